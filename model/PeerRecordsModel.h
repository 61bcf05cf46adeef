// The peer cache's records (`cache records --json`) as a table for the peer cache window: one
// row per cached file, rebuilt whole whenever the engine reports a change.
#pragma once

#include "JsonTableModel.h"

namespace ferry {

// A row of the table (PeerRecordsModel::Record), declared first because the model's base class is made from it.
struct CachedFile
{
    QString id;
    QString url;
    qint64 size = 0;
    QString sha256;
    QString source;            // "origin" or "peer-strong"
    bool validated = false;
    QDateTime created;
    QDateTime lastAccess;      // invalid when never
    bool inUse = false;
};

class PeerRecordsModel : public JsonTableModel<CachedFile>
{
    Q_OBJECT
public:
    enum Column { Url, Size, LastAccess, Validated, ColumnCount };
    Q_ENUM(Column)
    // SortRole: the raw value of a column (URL text, size in bytes, last access in ms since the
    // epoch or -1 when never, validated as 0/1). IdRole and UrlRole on any column.
    enum Role {
        IdRole = Qt::UserRole + 1,
        UrlRole,
        SortRole,
    };
    Q_ENUM(Role)

    using Record = CachedFile;

    explicit PeerRecordsModel(QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Replaces every row with the engine's array (objects: id, url, size, sha256, source,
    // validated, created, lastAccess, inUse).
    void setRecords(const QJsonArray &records);
    const Record *recordAt(int row) const { return rowAt(row); }   // nullptr when out of range
    QString recordId(int row) const;
    QString url(int row) const;
    int rowOf(const QString &id) const { return rowWhere(&Record::id, id); }    // -1 when not listed

    static Record fromJson(const QJsonObject &object);
};

} // namespace ferry
