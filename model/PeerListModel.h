// The peers the peer cache knows of (`cache peers --json`) as a table for the peer cache
// window: address, peer id, authentication, when last seen, strikes and bans.
#pragma once

#include "JsonTableModel.h"

namespace ferry {

// A row of the table (PeerListModel::Peer), declared first because the model's base class is made from it.
struct KnownPeer
{
    QString peerId;
    QString address;
    int tlsPort = 0;
    QString via;               // "multicast", "static" or "tls"
    QDateTime firstSeen;
    QDateTime lastSeen;
    bool authenticated = false;
    int strikes = 0;
    bool banned = false;       // the ban is still running
    QDateTime bannedUntil;     // invalid when never banned
};

class PeerListModel : public JsonTableModel<KnownPeer>
{
    Q_OBJECT
public:
    enum Column { Address, PeerId, Authenticated, LastSeen, Strikes, BannedUntil, ColumnCount };
    Q_ENUM(Column)
    // SortRole: the raw value of a column (address text, peer id, authenticated 0/1, times in ms
    // since the epoch or -1, strikes). PeerIdRole on any column.
    enum Role {
        PeerIdRole = Qt::UserRole + 1,
        SortRole,
    };
    Q_ENUM(Role)

    using Peer = KnownPeer;

    explicit PeerListModel(QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Replaces every row with the engine's array (objects: peerId, address, tlsPort, via,
    // firstSeen, lastSeen, authenticated, strikes, banned, bannedUntil).
    void setPeers(const QJsonArray &peers);
    const Peer *peerAt(int row) const { return rowAt(row); }   // nullptr when out of range
    QString peerId(int row) const;
    // -1 when not listed
    int rowOf(const QString &peerId) const { return rowWhere(&Peer::peerId, peerId); }

    static Peer fromJson(const QJsonObject &object);
    static QString addressText(const QString &address, int port);   // "10.0.0.2:41771", "[::1]:41771"
    static QString viaText(const QString &via);
};

} // namespace ferry
