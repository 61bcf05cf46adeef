#include "PeerRecordsModel.h"

#include "ModelText.h"

namespace ferry {

PeerRecordsModel::PeerRecordsModel(QObject *parent)
    : JsonTableModel(ColumnCount, parent)
{
}

PeerRecordsModel::Record PeerRecordsModel::fromJson(const QJsonObject &o)
{
    Record r;
    r.id = o.value(QLatin1String("id")).toString();
    r.url = o.value(QLatin1String("url")).toString();
    r.size = qint64(o.value(QLatin1String("size")).toDouble());
    r.sha256 = o.value(QLatin1String("sha256")).toString();
    r.source = o.value(QLatin1String("source")).toString();
    r.validated = o.value(QLatin1String("validated")).toBool();
    r.created = isoTime(o.value(QLatin1String("created")));
    r.lastAccess = isoTime(o.value(QLatin1String("lastAccess")));
    r.inUse = o.value(QLatin1String("inUse")).toBool();
    return r;
}

void PeerRecordsModel::setRecords(const QJsonArray &records)
{
    resetRows(records, &fromJson);
}

QString PeerRecordsModel::recordId(int row) const
{
    const Record *r = recordAt(row);
    return r ? r->id : QString();
}

QString PeerRecordsModel::url(int row) const
{
    const Record *r = recordAt(row);
    return r ? r->url : QString();
}

QVariant PeerRecordsModel::data(const QModelIndex &index, int role) const
{
    const Record *r = rowAt(index);
    if (!r)
        return {};
    switch (role) {
    case IdRole: return r->id;
    case UrlRole: return r->url;
    case SortRole:
        switch (index.column()) {
        case Url: return r->url;
        case Size: return r->size;
        case LastAccess: return sortTime(r->lastAccess);
        case Validated: return int(r->validated);
        default: return {};
        }
    case Qt::TextAlignmentRole:
        return index.column() == Size ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter)) : QVariant();
    case Qt::ToolTipRole: {
        QStringList lines{r->url};
        if (!r->sha256.isEmpty())
            lines << tr("SHA-256: %1").arg(r->sha256);
        if (r->source == QLatin1String("peer-strong"))
            lines << tr("Downloaded from peers and proven by the origin's own digest");
        else
            lines << tr("Downloaded from the origin server");
        if (r->created.isValid())
            lines << tr("Cached: %1").arg(ModelText::dateTime(r->created));
        if (r->inUse)
            lines << tr("Being served to a peer now");
        return lines.join(QLatin1Char('\n'));
    }
    case Qt::DisplayRole:
        switch (index.column()) {
        case Url: return r->url;
        case Size: return ModelText::dataSize(r->size);
        case LastAccess: return r->lastAccess.isValid() ? ModelText::dateTime(r->lastAccess) : tr("never", "last access of a cached file");
        case Validated:
            return r->validated ? tr("Yes", "the cached file is validated") : tr("No", "the cached file is not validated");
        default: return {};
        }
    default: return {};
    }
}

QVariant PeerRecordsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Url: return tr("URL");
    case Size: return tr("Size");
    case LastAccess: return tr("Last access");
    case Validated: return tr("Validated");
    default: return {};
    }
}

} // namespace ferry
