#include "PeerListModel.h"

#include "ModelText.h"

namespace ferry {

PeerListModel::PeerListModel(QObject *parent)
    : JsonTableModel(ColumnCount, parent)
{
}

PeerListModel::Peer PeerListModel::fromJson(const QJsonObject &o)
{
    Peer p;
    p.peerId = o.value(QLatin1String("peerId")).toString();
    p.address = o.value(QLatin1String("address")).toString();
    p.tlsPort = o.value(QLatin1String("tlsPort")).toInt();
    p.via = o.value(QLatin1String("via")).toString();
    p.firstSeen = isoTime(o.value(QLatin1String("firstSeen")));
    p.lastSeen = isoTime(o.value(QLatin1String("lastSeen")));
    p.authenticated = o.value(QLatin1String("authenticated")).toBool();
    p.strikes = o.value(QLatin1String("strikes")).toInt();
    p.banned = o.value(QLatin1String("banned")).toBool();
    p.bannedUntil = isoTime(o.value(QLatin1String("bannedUntil")));
    return p;
}

QString PeerListModel::addressText(const QString &address, int port)
{
    const QString host = address.contains(QLatin1Char(':')) ? QLatin1Char('[') + address + QLatin1Char(']') : address;
    return port > 0 ? QStringLiteral("%1:%2").arg(host).arg(port) : host;
}

QString PeerListModel::viaText(const QString &via)
{
    if (via == QLatin1String("multicast"))
        return tr("Found by multicast discovery");
    if (via == QLatin1String("static"))
        return tr("Found through a static peer address");
    if (via == QLatin1String("tls"))
        return tr("Connected to this computer's peer server");
    return via;
}

void PeerListModel::setPeers(const QJsonArray &peers)
{
    resetRows(peers, &fromJson);
}

QString PeerListModel::peerId(int row) const
{
    const Peer *p = peerAt(row);
    return p ? p->peerId : QString();
}

QVariant PeerListModel::data(const QModelIndex &index, int role) const
{
    const Peer *p = rowAt(index);
    if (!p)
        return {};
    switch (role) {
    case PeerIdRole: return p->peerId;
    case SortRole:
        switch (index.column()) {
        case Address: return addressText(p->address, p->tlsPort);
        case PeerId: return p->peerId;
        case Authenticated: return int(p->authenticated);
        case LastSeen: return sortTime(p->lastSeen);
        case Strikes: return p->strikes;
        case BannedUntil: return p->banned ? sortTime(p->bannedUntil) : qint64(-1);
        default: return {};
        }
    case Qt::TextAlignmentRole:
        return index.column() == Strikes ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter)) : QVariant();
    case Qt::ToolTipRole: {
        QStringList lines{addressText(p->address, p->tlsPort), viaText(p->via)};
        if (p->firstSeen.isValid())
            lines << tr("First seen: %1").arg(ModelText::dateTime(p->firstSeen));
        if (p->banned)
            lines << tr("Banned until %1: it sent bad data").arg(ModelText::dateTime(p->bannedUntil));
        return lines.join(QLatin1Char('\n'));
    }
    case Qt::DisplayRole:
        switch (index.column()) {
        case Address: return addressText(p->address, p->tlsPort);
        case PeerId: return p->peerId;
        case Authenticated:
            return p->authenticated ? tr("Yes", "the peer proved it holds the group key")
                                    : tr("No", "the peer has not proved it holds the group key");
        case LastSeen: return p->lastSeen.isValid() ? ModelText::dateTime(p->lastSeen) : tr("never", "a peer last seen");
        case Strikes: return p->strikes;
        case BannedUntil: return p->banned ? ModelText::dateTime(p->bannedUntil) : tr("—", "not banned");
        default: return {};
        }
    default: return {};
    }
}

QVariant PeerListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Address: return tr("Address");
    case PeerId: return tr("Peer id");
    case Authenticated: return tr("Authenticated");
    case LastSeen: return tr("Last seen");
    case Strikes: return tr("Strikes");
    case BannedUntil: return tr("Banned until");
    default: return {};
    }
}

} // namespace ferry
