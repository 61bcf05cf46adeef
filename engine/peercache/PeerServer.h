// The read-only peer HTTPS server (docs/peer-caching.md §6): TLS 1.2 with pre-shared-key suites only,
// so nobody without the group's PSK completes a handshake, and a deliberately tiny HTTP/1.1 that
// serves cache records by lookup id, never by name. Lives on the engine thread.
#pragma once

#include "core/BitsError.h"
#include "peercache/PeerCrypto.h"
#include "peercache/PeerHandshakes.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QSet>
#include <QSslConfiguration>

#include <functional>
#include <optional>

class QSslSocket;

namespace ferry::peercache {

class CacheStore;
class PeerConnection;

class PeerServer : public QObject
{
    Q_OBJECT

public:
    struct Limits
    {
        // Authenticated connections (the handshake proved the group key).
        int maxConnections = 16;
        int maxConnectionsPerAddress = 4;
        int idleTimeoutMs = 30000;          // no request taken and no byte written for this long
        // Connections still in their TLS handshake: a budget of their own (PeerHandshakes.h),
        // where a newcomer evicts the oldest instead of being refused.
        int maxHandshakes = 32;
        int maxHandshakesPerAddress = 8;
        int firstByteTimeoutMs = 3000;      // from accept to the ClientHello's first byte
        int handshakeTimeoutMs = 10000;     // from accept to a completed handshake
    };

    struct Counters
    {
        qint64 requests = 0;            // responses of any status
        qint64 contentResponses = 0;    // 200/206 GETs of /v1/c
        qint64 bytesServed = 0;         // body bytes of /v1/c written to sockets
        qint64 handshakesCompleted = 0;
        qint64 handshakesFailed = 0;
        qint64 handshakesEvicted = 0;   // pushed out of the handshake budget by a newer connection
        qint64 handshakesTimedOut = 0;  // no ClientHello in time, or no completed handshake
        qint64 connectionsRefused = 0;  // authenticated, but over a connection limit
        qint64 readsPaused = 0;         // a connection had requests waiting behind a full send queue
        qint64 idleDrops = 0;           // closed by the idle timer (idle, or not reading its responses)
        qint64 maxQueuedBytes = 0;      // the most one connection ever had queued to send
    };

    static constexpr qint64 HighWater = 1 << 20;   // queued to send before no more is read or streamed
    static constexpr qint64 ChunkSize = 256 * 1024;
    static constexpr int MaxHeaderBytes = 8192;
    static constexpr int MaxHasIds = 32;

    // store must outlive the server; peerId is what /v1/hello reports.
    PeerServer(CacheStore *store, QString peerId, QObject *parent = nullptr);
    ~PeerServer() override;

    // The PSK for an identity "<groupId>:<peerId>" comes from the key with that group id, so a
    // rotation keeps serving clients that still hold the previous key. Connections authenticated
    // with a key no longer given here are closed (a revoked previous key).
    void setKeys(const GroupKey &current, const std::optional<GroupKey> &previous = std::nullopt);
    void setLimits(const Limits &limits) { m_limits = limits; }   // takes effect at start()
    // When false, /v1/c and /v1/m answer 404 and /v1/has is empty (SERVER turned off).
    void setServing(bool serving) { m_serving = serving; }
    bool isServing() const { return m_serving; }

    // port 0 picks an ephemeral port; see port().
    Status start(const QHostAddress &address = QHostAddress(QHostAddress::LocalHost), quint16 port = 0);
    void stop();   // closes the listener and every connection
    bool isListening() const;
    quint16 port() const;
    int connectionCount() const { return m_totalConnections; }   // authenticated
    int handshakeCount() const;                                   // still in their handshake
    Counters counters() const;

    // Test hook: called with the path of every data file the server opens.
    void setOpenObserver(std::function<void(const QString &)> observer) { m_openObserver = std::move(observer); }

    // The TLS settings of both ends: exactly TLS 1.2, the two PSK suites, no certificates.
    static QSslConfiguration tlsConfiguration();
    static QByteArray pskIdentity(const GroupKey &key, const QString &peerId);   // "<groupId>:<peerId>"

signals:
    // A client completed a handshake with a group key: peerId is the part after "<groupId>:"
    // (only reported when it is 1-64 printable ASCII characters). The owner records it.
    void peerAuthenticated(const QString &peerId, const QHostAddress &address);

private:
    friend class PeerConnection;

    bool roomFor(const QHostAddress &address);
    void onEncrypted(QSslSocket *socket, const QHostAddress &address, const QByteArray &identity);
    QByteArray keyForIdentity(const QByteArray &identity) const;
    static QString groupOf(const QByteArray &identity);

    CacheStore *m_store;
    QString m_peerId;
    std::optional<GroupKey> m_current;
    std::optional<GroupKey> m_previous;
    Limits m_limits;
    bool m_serving = true;
    PeerHandshakes *m_server = nullptr;
    PeerHandshakes::Counters m_handshakeCounters;
    QHash<QHostAddress, int> m_perAddress;
    int m_totalConnections = 0;
    QSet<PeerConnection *> m_connections;
    Counters m_counters;
    std::function<void(const QString &)> m_openObserver;
};

} // namespace ferry::peercache
