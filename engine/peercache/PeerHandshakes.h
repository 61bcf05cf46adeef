// The peer server's front door (docs/security.md): accepts TCP connections and runs their TLS
// handshakes within a budget of their own, apart from the authenticated connections. Nobody
// needs the group key to open a connection, so a full budget never refuses the newcomer: it
// evicts the oldest handshake still in progress (of the newcomer's own address first, when that
// address holds its share). A group member's handshake takes a few round trips; an attacker must
// open a whole budget's worth of connections in that time to push it out. A connection must
// send the first byte of a ClientHello soon, and finish the handshake within its timeout.
#pragma once

#include <QElapsedTimer>
#include <QHostAddress>
#include <QList>
#include <QSslConfiguration>
#include <QTcpServer>

#include <functional>

class QSslSocket;
class QTimer;

namespace ferry::peercache {

class PeerHandshakes : public QTcpServer
{
    Q_OBJECT
public:
    struct Limits
    {
        int maxInProgress = 32;
        int maxPerAddress = 8;
        int firstByteTimeoutMs = 3000;   // from accept to the ClientHello's first byte
        int timeoutMs = 10000;           // from accept to a completed handshake
    };

    struct Counters
    {
        qint64 failed = 0;      // not TLS, a wrong or unknown key, a refused identity
        qint64 evicted = 0;     // pushed out by a newer connection
        qint64 timedOut = 0;    // no first byte in time, or no completed handshake
    };

    // counters must outlive this object (the server keeps them across restarts).
    PeerHandshakes(const QSslConfiguration &tls, const Limits &limits, Counters *counters, QObject *parent = nullptr);
    ~PeerHandshakes() override;

    // The pre-shared key for a PSK identity from this address; empty refuses it (the handshake
    // fails).
    std::function<QByteArray(const QByteArray &identity, const QHostAddress &address)> keyFor;

    int inProgress() const { return int(m_pending.size()); }

    // The plain form of an address: ::ffff:a.b.c.d is a.b.c.d.
    static QHostAddress plainAddress(const QHostAddress &address);

signals:
    // A completed handshake, with the identity the key was found for. The receiver takes the
    // socket (re-parents it, or closes and deletes it); this object no longer watches it.
    void encrypted(QSslSocket *socket, const QHostAddress &address, const QByteArray &identity);

protected:
    void incomingConnection(qintptr fd) override;

private:
    struct Pending
    {
        QSslSocket *socket;
        QHostAddress address;
        QTimer *timer;
        QElapsedTimer since;
    };

    void makeRoomFor(const QHostAddress &address);
    void onFirstBytes(QSslSocket *socket);
    void onEncrypted(QSslSocket *socket);
    void drop(QSslSocket *socket, qint64 Counters::*counter, bool abort = true);
    qsizetype indexOf(const QSslSocket *socket) const;

    QSslConfiguration m_tls;
    Limits m_limits;
    Counters *m_counters;
    QList<Pending> m_pending;   // oldest first
};

} // namespace ferry::peercache
