// LAN discovery of peer-cache nodes over UDP (docs/peer-caching.md §5): HELLO/BYE announce a node
// and its TLS port, PROBE asks who is there or who holds given lookup ids, MATCH answers a PROBE
// by unicast. Datagrams go to the multicast group (optional) and to every static peer, so tests
// and multicast-less networks work with static peers alone.
//
// Every datagram is authenticated by DiscoveryMessage::decode() before anything else; then
// Discovery drops stale timestamps, replays, its own datagrams, sources outside allowedNetworks
// and MATCHes that answer no PROBE of ours from the last 5 s. Answers are rate-limited per
// source and in total, and never larger than the PROBE plus 64 bytes.
#pragma once

#include "peercache/DiscoveryMessage.h"

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QNetworkInterface>
#include <QObject>
#include <QPair>
#include <QStringList>

#include <deque>
#include <functional>
#include <optional>

class QNetworkDatagram;
class QTimer;
class QUdpSocket;

namespace ferry::peercache {

struct DiscoveredPeer
{
    // How its datagrams reach us: to the multicast group, or by unicast (a static peer here
    // or there).
    enum class Via { Multicast, Static };

    QString peerId;                 // hex of its senderId
    QHostAddress address;           // source of its last datagram
    quint16 tlsPort = 0;            // from HELLO/MATCH
    Via via = Via::Static;
    qint64 lastSeenMs = 0;          // on Discovery's clock
    bool serving = false;           // flags bit0 of its last datagram
};

class Discovery : public QObject
{
    Q_OBJECT
public:
    using HeldIds = std::function<QList<QByteArray>(const QList<QByteArray> &lookupIds)>;
    using NowMs = std::function<qint64()>;
    using Network = QPair<QHostAddress, int>;

    static constexpr quint16 DefaultPort = 41770;
    static constexpr int MaxPeers = 256;
    static constexpr qint64 PeerLifetimeMs = 900'000;
    static constexpr qint64 MaxClockSkewMs = 120'000;
    static constexpr qint64 ReplayWindowMs = 240'000;
    static constexpr int MaxReplayEntries = 8192;
    static constexpr qint64 ProbeAnswerWindowMs = 5'000;
    static constexpr qint64 ProbeIntervalMs = 1'000;
    static constexpr qint64 HelloIntervalMs = 300'000;   // ±10 %
    static constexpr int MaxMatchDelayMs = 250;
    static constexpr int MatchOverheadBytes = 64;       // a MATCH is at most PROBE + this

    // senderId: this node's persisted random id, SenderIdSize bytes.
    explicit Discovery(const QByteArray &senderId, QObject *parent = nullptr);
    ~Discovery() override;   // stop()

    // Keys may change at any time (rotation); datagrams are sent under current and accepted
    // under either.
    void setKeys(const GroupKey &current, const std::optional<GroupKey> &previous = std::nullopt);
    // Read by start(): the UDP port (0 = ephemeral; the multicast group uses the same port).
    void setPort(quint16 port) { m_port = port; }
    void setMulticastEnabled(bool enabled) { m_multicast = enabled; }
    void setMulticastGroup(const QHostAddress &group) { m_group = group; }
    // "host:udpPort" entries (IPv4 or a name resolved to IPv4). Malformed entries are logged and
    // skipped; false if there were any.
    bool setStaticPeers(const QStringList &hostPorts);
    void setAllowedNetworks(const QList<Network> &networks) { m_allowed = networks; }
    static QList<Network> defaultAllowedNetworks();   // loopback, 10/8, 172.16/12, 192.168/16, 169.254/16
    void setTlsPort(quint16 port) { m_tlsPort = port; }
    void setServing(bool serving) { m_serving = serving; }
    // Asked on each PROBE with ids while serving: which of them this node holds (validated).
    void setHeldIds(HeldIds heldIds) { m_heldIds = std::move(heldIds); }
    // Wall clock for timestamps, the replay cache and peer expiry (tests shift it). Rate limits
    // and probe windows use a monotonic timer instead.
    void setClock(NowMs nowMs) { m_now = std::move(nowMs); }

    bool start();                    // bind, join the group, HELLO after 0-1 s; false if bind fails
    void stop();                     // BYE, then close
    bool isRunning() const;
    quint16 boundPort() const;
    QString peerId() const { return m_peerId; }
    QStringList multicastInterfaces() const;   // where the group was joined; empty = unicast only

    // Asks for peers holding lookupIds (raw, IdSize bytes each; empty = who is there). Sent from
    // the event loop, at most one PROBE per second: calls in the meantime are merged into the
    // next one (16 ids per PROBE; "who is there" goes out once no ids are waiting). Answers
    // arrive as matched() for 5 s.
    void probe(const QList<QByteArray> &lookupIds = {});

    QList<DiscoveredPeer> peers() const;
    std::optional<DiscoveredPeer> peer(const QString &peerId) const;
    void expirePeers();              // also runs every minute

signals:
    void peerSeen(const ferry::peercache::DiscoveredPeer &peer);   // new, or address/port/serving changed
    void peerGone(const QString &peerId);                          // BYE, expiry or table eviction
    void matched(const QString &peerId, const QHostAddress &address, quint16 tlsPort, const QList<QByteArray> &ids);
    // A datagram dropped: a DiscoveryDecodeResult reason, or "stale", "self", "network",
    // "replay", "unsolicited" (MATCH without a live PROBE), "rate" (PROBE over the bucket), "nokey".
    void rejected(const QString &reason, const QHostAddress &from);

private:
    struct TokenBucket
    {
        double tokens = 0;
        qint64 lastMs = 0;
        bool refill(qint64 nowMs, double perSecond, double burst);   // true if a token is there
    };
    struct SentProbe
    {
        QByteArray nonce;
        QList<QByteArray> ids;
        qint64 sentMono = 0;
    };
    struct StaticPeer
    {
        QString host;
        quint16 port = 0;
        QHostAddress address;        // null until resolved
    };

    QList<GroupKey> keys() const;
    DiscoveryMessage newMessage(DiscoveryType type) const;
    void send(const QByteArray &datagram, const QHostAddress &to, quint16 port);
    void sendToAll(const QByteArray &datagram);
    void sendHello(DiscoveryType type);
    void sendHelloTo(const QHostAddress &address, int port);   // one peer, unicast
    void scheduleHello();
    void sendPendingProbe();
    void readDatagrams();
    void handleDatagram(const QNetworkDatagram &datagram);
    void reject(const char *reason, const QHostAddress &from);
    bool isAllowed(const QHostAddress &address) const;
    bool remember(const QByteArray &senderId, const QByteArray &nonce, qint64 now);
    bool takeAnswerToken(const QHostAddress &from);
    void answerProbe(const DiscoveryMessage &probe, const QHostAddress &from, int probeSize);
    void sendMatch(const DiscoveryMessage &probe, QList<QByteArray> held, const QHostAddress &to, int probeSize);
    void handleMatch(const DiscoveryMessage &match, const QHostAddress &from, DiscoveredPeer::Via via);
    void updatePeer(const DiscoveryMessage &message, const QHostAddress &from, DiscoveredPeer::Via via);
    void removePeer(const QString &peerId);
    void joinGroup();

    QByteArray m_senderId;
    QString m_peerId;
    GroupKey m_key;
    std::optional<GroupKey> m_previousKey;
    quint16 m_port = DefaultPort;
    bool m_multicast = true;
    QHostAddress m_group{QStringLiteral("239.255.77.12")};
    QList<StaticPeer> m_staticPeers;
    QList<Network> m_allowed = defaultAllowedNetworks();
    quint16 m_tlsPort = 0;
    bool m_serving = false;
    HeldIds m_heldIds;
    NowMs m_now;

    QUdpSocket *m_socket = nullptr;
    QList<QNetworkInterface> m_joined;
    // Children, so that they follow moveToThread().
    QTimer *m_helloTimer = nullptr;
    QTimer *m_probeTimer = nullptr;
    QTimer *m_expiryTimer = nullptr;
    QElapsedTimer m_mono;
    qint64 m_helloSeq = 0;

    QHash<QString, DiscoveredPeer> m_peers;
    QHash<QByteArray, qint64> m_seen;                    // senderId+nonce -> first seen
    std::deque<std::pair<qint64, QByteArray>> m_seenOrder;
    QList<SentProbe> m_probes;                           // the last ProbeAnswerWindowMs
    QList<QByteArray> m_pendingIds;
    bool m_pendingWho = false;
    qint64 m_lastProbeMono = -ProbeIntervalMs;
    QHash<QHostAddress, TokenBucket> m_buckets;
    TokenBucket m_globalBucket;
    int m_staticGeneration = 0;                          // drops name lookups of replaced lists
};

} // namespace ferry::peercache
