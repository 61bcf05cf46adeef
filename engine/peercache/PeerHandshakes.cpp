#include "peercache/PeerHandshakes.h"

#include <QLoggingCategory>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>
#include <QTimer>

#include <sys/socket.h>
#include <unistd.h>

namespace ferry::peercache {

Q_LOGGING_CATEGORY(lcPeerHandshakes, "ferry.peercache.handshakes")

namespace {

constexpr char IdentityProperty[] = "ferryPskIdentity";
constexpr char TlsHandshakeRecord = 0x16;   // the content type of a ClientHello's record

} // namespace

PeerHandshakes::PeerHandshakes(const QSslConfiguration &tls, const Limits &limits, Counters *counters, QObject *parent)
    : QTcpServer(parent)
    , m_tls(tls)
    , m_limits(limits)
    , m_counters(counters)
{
}

PeerHandshakes::~PeerHandshakes()
{
    // The sockets still in their handshake are children: they go with this object.
    for (const Pending &p : std::as_const(m_pending))
        p.socket->disconnect(this);
    m_pending.clear();
}

QHostAddress PeerHandshakes::plainAddress(const QHostAddress &address)
{
    bool v4 = false;
    const quint32 ip4 = address.toIPv4Address(&v4);
    return v4 ? QHostAddress(ip4) : address;
}

qsizetype PeerHandshakes::indexOf(const QSslSocket *socket) const
{
    for (qsizetype i = 0; i < m_pending.size(); ++i) {
        if (m_pending[i].socket == socket)
            return i;
    }
    return -1;
}

// Before a newcomer from address is admitted: the oldest handshake of that address goes when the
// address holds its share, else the oldest of all when the budget is full.
void PeerHandshakes::makeRoomFor(const QHostAddress &address)
{
    int fromAddress = 0;
    const Pending *oldestOfAddress = nullptr;
    for (const Pending &p : std::as_const(m_pending)) {
        if (p.address == address && fromAddress++ == 0)
            oldestOfAddress = &p;
    }
    QSslSocket *victim = nullptr;
    if (fromAddress >= m_limits.maxPerAddress && oldestOfAddress)
        victim = oldestOfAddress->socket;
    else if (m_pending.size() >= m_limits.maxInProgress && !m_pending.isEmpty())
        victim = m_pending.constFirst().socket;
    if (victim)   // not logged one by one: an attacker sets the pace (see the counters)
        drop(victim, &Counters::evicted);
}

void PeerHandshakes::incomingConnection(qintptr fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(int(fd), reinterpret_cast<sockaddr *>(&ss), &len) != 0) {
        ::close(int(fd));
        return;
    }
    const QHostAddress address = plainAddress(QHostAddress(reinterpret_cast<sockaddr *>(&ss)));
    makeRoomFor(address);
    auto *socket = new QSslSocket(this);
    if (!socket->setSocketDescriptor(fd)) {
        delete socket;
        ::close(int(fd));
        return;
    }
    socket->setSslConfiguration(m_tls);
    auto *timer = new QTimer(socket);
    timer->setSingleShot(true);
    m_pending.append({socket, address, timer, {}});
    m_pending.last().since.start();

    connect(timer, &QTimer::timeout, this, [this, socket] { drop(socket, &Counters::timedOut); });
    // Unencrypted until the first bytes arrive: they must start a TLS handshake record.
    connect(socket, &QIODevice::readyRead, this, [this, socket] { onFirstBytes(socket); });
    connect(socket, &QSslSocket::preSharedKeyAuthenticationRequired, this,
            [this, socket](QSslPreSharedKeyAuthenticator *auth) {
                const qsizetype i = indexOf(socket);
                const QByteArray key = keyFor && i >= 0 ? keyFor(auth->identity(), m_pending[i].address) : QByteArray();
                if (key.isEmpty())
                    return;   // an empty key fails the handshake
                auth->setPreSharedKey(key);
                socket->setProperty(IdentityProperty, auth->identity());
            });
    connect(socket, &QSslSocket::encrypted, this, [this, socket] { onEncrypted(socket); });
    connect(socket, &QAbstractSocket::errorOccurred, this, [this, socket](QAbstractSocket::SocketError error) {
        qCDebug(lcPeerHandshakes) << "handshake failed" << socket->peerAddress() << error << socket->errorString();
        // Not aborted here: Qt sends the TLS alert after this signal, then aborts by itself.
        drop(socket, &Counters::failed, false);
    });
    connect(socket, &QAbstractSocket::disconnected, this, [this, socket] { drop(socket, &Counters::failed); });
    timer->start(qMin(m_limits.firstByteTimeoutMs, m_limits.timeoutMs));
    if (socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, [this, socket] { onFirstBytes(socket); }, Qt::QueuedConnection);
}

void PeerHandshakes::onFirstBytes(QSslSocket *socket)
{
    const qsizetype i = indexOf(socket);
    if (i < 0 || socket->mode() != QSslSocket::UnencryptedMode || socket->bytesAvailable() <= 0)
        return;
    char first = 0;
    // QSslSocket peeks its plain socket in this mode: the bytes stay for the handshake.
    if (socket->peek(&first, 1) != 1 || first != TlsHandshakeRecord) {
        qCDebug(lcPeerHandshakes) << "not a TLS handshake" << socket->peerAddress();
        return drop(socket, &Counters::failed);
    }
    disconnect(socket, &QIODevice::readyRead, this, nullptr);
    Pending &p = m_pending[i];
    p.timer->start(int(qMax<qint64>(0, m_limits.timeoutMs - p.since.elapsed())));
    socket->startServerEncryption();
}

void PeerHandshakes::onEncrypted(QSslSocket *socket)
{
    const qsizetype i = indexOf(socket);
    if (i < 0)
        return;
    const Pending p = m_pending.takeAt(i);
    delete p.timer;
    socket->disconnect(this);
    emit encrypted(socket, p.address, socket->property(IdentityProperty).toByteArray());
}

void PeerHandshakes::drop(QSslSocket *socket, qint64 Counters::*counter, bool abort)
{
    const qsizetype i = indexOf(socket);
    if (i < 0)
        return;   // already dropped (an error, then the disconnect)
    m_pending.takeAt(i).timer->stop();
    ++(m_counters->*counter);
    socket->disconnect(this);
    if (abort)
        socket->abort();
    socket->deleteLater();
}

} // namespace ferry::peercache
