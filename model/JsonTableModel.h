// What the peer cache window's tables share: a read-only table over an array the engine reports
// as JSON, each element read into a Row. The engine sends whole arrays, not changes, so every
// report replaces all the rows at once.
#pragma once

#include <QAbstractTableModel>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>

namespace ferry {

template <typename Row>
class JsonTableModel : public QAbstractTableModel
{
public:
    int rowCount(const QModelIndex &parent = {}) const override
    {
        return parent.isValid() ? 0 : int(m_rows.size());
    }
    int columnCount(const QModelIndex &parent = {}) const override
    {
        return parent.isValid() ? 0 : m_columnCount;
    }

protected:
    JsonTableModel(int columnCount, QObject *parent)
        : QAbstractTableModel(parent)
        , m_columnCount(columnCount)
    {
    }

    void resetRows(const QJsonArray &array, Row (*read)(const QJsonObject &))
    {
        beginResetModel();
        m_rows.clear();
        m_rows.reserve(array.size());
        for (const QJsonValue &v : array)
            m_rows.append(read(v.toObject()));
        endResetModel();
    }

    const Row *rowAt(int row) const   // nullptr when out of range
    {
        return row >= 0 && row < m_rows.size() ? &m_rows[row] : nullptr;
    }
    // The row behind a cell of this table; nullptr for any other index.
    const Row *rowAt(const QModelIndex &index) const
    {
        return index.isValid() && !index.parent().isValid() && index.column() < m_columnCount ? rowAt(index.row())
                                                                                             : nullptr;
    }
    int rowWhere(QString Row::*key, const QString &value) const   // the first match, -1 for none
    {
        for (int row = 0; row < m_rows.size(); ++row)
            if (m_rows[row].*key == value)
                return row;
        return -1;
    }

    // The engine writes times as ISO 8601 text, "" for never; never is an invalid time.
    static QDateTime isoTime(const QJsonValue &value)
    {
        const QString text = value.toString();
        return text.isEmpty() ? QDateTime() : QDateTime::fromString(text, Qt::ISODate);
    }
    // A time's SortRole value: ms since the epoch, and -1 for never so that never sorts first.
    static qint64 sortTime(const QDateTime &time)
    {
        return time.isValid() ? time.toMSecsSinceEpoch() : qint64(-1);
    }

private:
    QList<Row> m_rows;
    int m_columnCount;
};

} // namespace ferry
