#include "peercache/PeerServer.h"

#include "peercache/CacheStore.h"
#include "peercache/PeerRequest.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSslCipher>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>
#include <QTimer>

#include <algorithm>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::peercache {

Q_LOGGING_CATEGORY(lcPeerServer, "ferry.peercache.server")

using namespace http;

namespace {

// The request bytes taken from the socket at a time: one head at most, parsed before more is read.
constexpr qint64 MaxReadBuffer = 2 * PeerServer::MaxHeaderBytes;

QByteArray reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    default: return "Error";
    }
}

} // namespace

// One accepted, authenticated connection: reads request heads, answers them in order. One request
// at a time: the next is read and parsed only once the answer to the previous one is queued and
// the send queue is below HighWater, so a peer that sends requests and never reads the answers
// holds at most HighWater plus one chunk here, and MaxReadBuffer of requests (the socket's read
// buffer is bounded too; TCP holds the rest back). It is dropped by the idle timer, which only
// a taken request or a written byte restarts.
class PeerConnection : public QObject
{
public:
    PeerConnection(QSslSocket *socket, PeerServer *server, QString groupId);
    ~PeerConnection() override;
    QString groupId() const { return m_groupId; }

private:
    void onReadyRead();
    void onWritten();
    void processBuffer();
    qint64 queued() const { return m_socket->bytesToWrite() + m_socket->encryptedBytesToWrite(); }
    void noteQueued();
    void handle(const Request &r);
    void hello();
    void has(const QByteArray &query);
    void manifest(const QString &id);
    void content(const QString &id, bool headOnly, const Request &r);
    bool openData(const CacheRecord &rec, QFile *file);
    void respond(int status, const QByteArray &body = {}, const QByteArray &contentType = {},
                 const QList<std::pair<QByteArray, QByteArray>> &extra = {});
    void writeHead(int status, qint64 contentLength, const QByteArray &contentType,
                   const QList<std::pair<QByteArray, QByteArray>> &extra);
    void pump();
    void finishBody();
    void responseDone();
    void activity() { m_idle.start(); }

    PeerServer *m_server;
    QSslSocket *m_socket;
    QString m_groupId;
    QTimer m_idle;
    bool m_paused = false;        // requests wait behind a full send queue
    QByteArray m_in;
    bool m_closeAfter = false;
    bool m_head = false;          // the current request is a HEAD: headers only
    bool m_closing = false;
    std::unique_ptr<QFile> m_file;   // the body being streamed
    qint64 m_remaining = 0;
    QString m_inUseId;
    QByteArray m_chunk;
};

PeerConnection::PeerConnection(QSslSocket *socket, PeerServer *server, QString groupId)
    : QObject(server)
    , m_server(server)
    , m_socket(socket)
    , m_groupId(std::move(groupId))
{
    socket->setParent(this);
    socket->setReadBufferSize(MaxReadBuffer);
    m_idle.setSingleShot(true);
    m_idle.setInterval(server->m_limits.idleTimeoutMs);
    connect(&m_idle, &QTimer::timeout, this, [this] {
        qCDebug(lcPeerServer) << "idle timeout" << m_socket->peerAddress() << "with" << queued() << "bytes unsent";
        ++m_server->m_counters.idleDrops;
        m_socket->abort();
        deleteLater();
    });
    connect(socket, &QIODevice::readyRead, this, &PeerConnection::onReadyRead);
    connect(socket, &QIODevice::bytesWritten, this, &PeerConnection::onWritten);
    connect(socket, &QSslSocket::encryptedBytesWritten, this, &PeerConnection::onWritten);
    connect(socket, &QAbstractSocket::disconnected, this, &QObject::deleteLater);
    m_idle.start();
    if (socket->state() != QAbstractSocket::ConnectedState)
        deleteLater();
    else if (socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &PeerConnection::onReadyRead, Qt::QueuedConnection);
}

PeerConnection::~PeerConnection()
{
    if (!m_inUseId.isEmpty())
        m_server->m_store->setInUse(m_inUseId, false);
}

void PeerConnection::onReadyRead()
{
    if (m_closing) {
        m_socket->skip(m_socket->bytesAvailable());   // nothing more is answered
        return;
    }
    processBuffer();
}

void PeerConnection::onWritten()
{
    activity();
    pump();
    // Requests that waited behind the send queue resume from the event loop, not from inside a
    // bytesWritten handler.
    if (m_paused && !m_file && !m_closing && queued() < PeerServer::HighWater) {
        m_paused = false;
        QMetaObject::invokeMethod(this, &PeerConnection::processBuffer, Qt::QueuedConnection);
    }
}

void PeerConnection::processBuffer()
{
    while (!m_file && !m_closing) {
        if (queued() >= PeerServer::HighWater) {
            if (!m_paused && (!m_in.isEmpty() || m_socket->bytesAvailable() > 0))
                ++m_server->m_counters.readsPaused;
            m_paused = true;
            return;
        }
        if (m_in.size() <= PeerServer::MaxHeaderBytes)
            m_in += m_socket->read(PeerServer::MaxHeaderBytes + 1 - m_in.size());
        const qsizetype end = m_in.indexOf("\r\n\r\n");
        if ((end < 0 && m_in.size() > PeerServer::MaxHeaderBytes) || end + 4 > PeerServer::MaxHeaderBytes) {
            m_head = false;
            respond(431);
            return;
        }
        if (end < 0)
            return;
        activity();
        const QByteArray head = m_in.left(end);
        m_in.remove(0, end + 4);
        Request r;
        if (const int status = parseHead(head, &r)) {
            m_head = false;
            respond(status);
            return;
        }
        handle(r);
    }
}

void PeerConnection::handle(const Request &r)
{
    const QList<QByteArray> connection = r.values("connection");
    m_closeAfter = r.version == "HTTP/1.0"
                   || std::any_of(connection.begin(), connection.end(),
                                  [](const QByteArray &v) { return v.toLower().contains("close"); });
    const bool head = m_head = r.method == "HEAD";
    if (r.method != "GET" && !head)   // closes: a body may follow that we will not read
        return respond(405, {}, {}, {{"Allow", "GET, HEAD"}});
    // No request has a body: refuse any sign of one, and never read it.
    const QList<QByteArray> lengths = r.values("content-length");
    const bool body = !r.values("transfer-encoding").isEmpty()
                      || std::any_of(lengths.begin(), lengths.end(),
                                     [](const QByteArray &v) { return !isDigits(v) || v.toLongLong() != 0; });
    if (body || !r.target.startsWith('/'))   // also refuses absolute-form and "*"
        return respond(400);
    const qsizetype q = r.target.indexOf('?');
    const QByteArray path = q < 0 ? r.target : r.target.left(q);
    const QByteArray query = q < 0 ? QByteArray() : r.target.mid(q + 1);
    if (path == "/v1/hello")
        return hello();
    if (path == "/v1/has")
        return has(query);
    const bool isManifest = path.startsWith("/v1/m/"), isContent = path.startsWith("/v1/c/");
    if (!isManifest && !isContent)
        return respond(404);
    // Never decoded: anything but 32 lower-case hex (`..`, `%2e`, `/`, …) is a bad request.
    const QString id = QString::fromLatin1(path.mid(6));
    if (!CacheStore::isValidId(id))
        return respond(400);
    if (isManifest)
        return manifest(id);
    content(id, head, r);
}

void PeerConnection::hello()
{
    const QJsonObject o{{QStringLiteral("peerId"), m_server->m_peerId}, {QStringLiteral("v"), 1},
                        {QStringLiteral("serving"), m_server->m_serving}};
    respond(200, QJsonDocument(o).toJson(QJsonDocument::Compact), "application/json");
}

void PeerConnection::has(const QByteArray &query)
{
    QStringList ids;
    for (const QByteArray &param : query.split('&')) {
        if (!param.startsWith("ids="))
            continue;
        for (const QByteArray &id : param.mid(4).split(',')) {
            if (!id.isEmpty())
                ids << QString::fromLatin1(id);
        }
    }
    if (ids.size() > PeerServer::MaxHasIds
        || !std::all_of(ids.begin(), ids.end(), [](const QString &id) { return CacheStore::isValidId(id); }))
        return respond(400);
    const QStringList held = m_server->m_serving ? m_server->m_store->heldLookupIds(ids) : QStringList();
    respond(200, QJsonDocument(QJsonArray::fromStringList(held)).toJson(QJsonDocument::Compact), "application/json");
}

void PeerConnection::manifest(const QString &id)
{
    const auto rec = m_server->m_serving ? m_server->m_store->findByLookupId(id) : std::nullopt;
    if (!rec || rec->manifest.isEmpty())
        return respond(404);
    respond(200, rec->manifest, "application/octet-stream");
}

bool PeerConnection::openData(const CacheRecord &rec, QFile *file)
{
    // The path comes only from the row, and must be this record's own file, inside the cache
    // directory, reached without any symlink, opened read-only.
    const QFileInfo info(rec.path);
    if (info.isSymLink())
        return false;
    const QString canonical = info.canonicalFilePath();
    const QString dir = m_server->m_store->directory() + u'/';
    if (canonical.isEmpty() || !canonical.startsWith(dir) || canonical.mid(dir.size()) != rec.id + QLatin1String(".data"))
        return false;
    if (m_server->m_openObserver)
        m_server->m_openObserver(canonical);
    const int fd = ::open(QFile::encodeName(canonical).constData(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || qint64(st.st_size) != rec.size
        || !file->open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        return false;
    }
    return true;
}

void PeerConnection::content(const QString &id, bool headOnly, const Request &r)
{
    CacheStore *store = m_server->m_store;
    const auto rec = m_server->m_serving ? store->findByLookupId(id) : std::nullopt;
    auto file = std::make_unique<QFile>();
    if (!rec || !openData(*rec, file.get()))
        return respond(404);
    qint64 first = 0, last = rec->size - 1;
    const RangeResult range = parseRange(r.values("range"), rec->size, &first, &last);
    if (range == RangeResult::Multiple)
        return respond(400);
    if (range == RangeResult::Unsatisfiable)
        return respond(416, {}, {}, {{"Content-Range", "bytes */" + QByteArray::number(rec->size)}});
    QList<std::pair<QByteArray, QByteArray>> extra{{"Accept-Ranges", "bytes"}};
    if (range == RangeResult::One)
        extra.append({"Content-Range", "bytes " + QByteArray::number(first) + '-' + QByteArray::number(last) + '/'
                                           + QByteArray::number(rec->size)});
    const qint64 length = rec->size == 0 ? 0 : last - first + 1;
    writeHead(range == RangeResult::One ? 206 : 200, length, "application/octet-stream", extra);
    if (headOnly || length == 0)
        return responseDone();
    if (!file->seek(first)) {
        m_socket->abort();
        return deleteLater();
    }
    store->touch(rec->id);
    store->setInUse(rec->id, true);   // eviction skips it until the last byte is queued
    m_inUseId = rec->id;
    m_file = std::move(file);
    m_remaining = length;
    ++m_server->m_counters.contentResponses;
    m_chunk.resize(PeerServer::ChunkSize);
    pump();
}

void PeerConnection::pump()
{
    while (m_file && m_remaining > 0 && queued() < PeerServer::HighWater) {
        const qint64 n = m_file->read(m_chunk.data(), qMin(PeerServer::ChunkSize, m_remaining));
        if (n <= 0) {   // the file shrank under us: the response cannot be completed
            m_socket->abort();
            deleteLater();
            return;
        }
        m_socket->write(m_chunk.constData(), n);
        noteQueued();
        m_remaining -= n;
        m_server->m_counters.bytesServed += n;
    }
    if (m_file && m_remaining == 0)
        finishBody();
}

void PeerConnection::finishBody()
{
    m_file.reset();
    m_chunk = QByteArray();
    m_server->m_store->setInUse(std::exchange(m_inUseId, QString()), false);
    responseDone();
    // Pipelined requests resume from the event loop, not from inside a bytesWritten handler.
    if (!m_closing)
        QMetaObject::invokeMethod(this, &PeerConnection::processBuffer, Qt::QueuedConnection);
}

void PeerConnection::respond(int status, const QByteArray &body, const QByteArray &contentType,
                             const QList<std::pair<QByteArray, QByteArray>> &extra)
{
    // A malformed or refused request says the client is not one of ours: end the connection.
    if (status == 400 || status == 405 || status == 431)
        m_closeAfter = true;
    writeHead(status, body.size(), contentType, extra);
    if (!m_head)
        m_socket->write(body);
    noteQueued();
    responseDone();
}

void PeerConnection::writeHead(int status, qint64 contentLength, const QByteArray &contentType,
                               const QList<std::pair<QByteArray, QByteArray>> &extra)
{
    ++m_server->m_counters.requests;
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason(status) + "\r\n";
    if (!contentType.isEmpty())
        head += "Content-Type: " + contentType + "\r\n";
    head += "Content-Length: " + QByteArray::number(contentLength) + "\r\n";
    for (const auto &[name, value] : extra)
        head += name + ": " + value + "\r\n";
    head += "Cache-Control: no-store\r\n";
    head += m_closeAfter ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
    m_socket->write(head);
    noteQueued();
}

void PeerConnection::noteQueued()
{
    qint64 &most = m_server->m_counters.maxQueuedBytes;
    most = qMax(most, queued());
}

void PeerConnection::responseDone()
{
    if (m_closeAfter && !m_closing) {
        m_closing = true;
        m_in.clear();
        m_socket->disconnectFromHost();   // after what is queued has been sent
    }
}

// ---- PeerServer ----

PeerServer::PeerServer(CacheStore *store, QString peerId, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_peerId(std::move(peerId))
{
}

PeerServer::~PeerServer() { stop(); }

QSslConfiguration PeerServer::tlsConfiguration()
{
    QSslConfiguration cfg = QSslConfiguration::defaultConfiguration();
    // Exactly 1.2: Qt-to-Qt TLS 1.3 has no external PSK, and 1.3 would ignore the cipher list.
    cfg.setProtocol(QSsl::TlsV1_2);
    cfg.setCiphers({QSslCipher(QStringLiteral("ECDHE-PSK-CHACHA20-POLY1305")),
                    QSslCipher(QStringLiteral("PSK-AES256-GCM-SHA384"))});
    cfg.setPeerVerifyMode(QSslSocket::VerifyNone);   // no certificates: the PSK authenticates
    cfg.setCaCertificates({});
    return cfg;
}

QByteArray PeerServer::pskIdentity(const GroupKey &key, const QString &peerId)
{
    return (key.groupId() + u':' + peerId).toUtf8();
}

void PeerServer::setKeys(const GroupKey &current, const std::optional<GroupKey> &previous)
{
    m_current = current;
    m_previous = previous;
    const QSet<PeerConnection *> connections = m_connections;
    for (PeerConnection *c : connections) {
        if (keyForIdentity(c->groupId().toUtf8() + ':').isEmpty()) {
            qCInfo(lcPeerServer) << "closing a connection of group" << c->groupId() << ": its key is no longer accepted";
            delete c;
        }
    }
}

QString PeerServer::groupOf(const QByteArray &identity)
{
    const qsizetype colon = identity.indexOf(':');
    return colon <= 0 ? QString() : QString::fromLatin1(identity.left(colon));
}

QByteArray PeerServer::keyForIdentity(const QByteArray &identity) const
{
    const QString group = groupOf(identity);
    if (group.isEmpty())
        return {};
    for (const std::optional<GroupKey> &k : {m_current, m_previous}) {
        if (k && k->isValid() && k->groupId() == group)
            return k->pskKey();
    }
    return {};
}

Status PeerServer::start(const QHostAddress &address, quint16 port)
{
    if (!m_current || !m_current->isValid())
        return {hr::BG_E_INVALID_STATE, QStringLiteral("the peer server needs a group key")};
    stop();
    PeerHandshakes::Limits budget;
    budget.maxInProgress = m_limits.maxHandshakes;
    budget.maxPerAddress = m_limits.maxHandshakesPerAddress;
    budget.firstByteTimeoutMs = m_limits.firstByteTimeoutMs;
    budget.timeoutMs = m_limits.handshakeTimeoutMs;
    auto *server = new PeerHandshakes(tlsConfiguration(), budget, &m_handshakeCounters, this);
    server->keyFor = [this](const QByteArray &identity, const QHostAddress &from) {
        // An unknown group, or a member over the connection limits: no key, the handshake fails.
        const QByteArray key = keyForIdentity(identity);
        return key.isEmpty() || !roomFor(from) ? QByteArray() : key;
    };
    connect(server, &PeerHandshakes::encrypted, this, &PeerServer::onEncrypted);
    if (!server->listen(address, port)) {
        const QString why = server->errorString();
        delete server;
        return {hr::E_FAIL, QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(why)};
    }
    m_server = server;
    return {};
}

void PeerServer::stop()
{
    const QSet<PeerConnection *> connections = m_connections;
    for (PeerConnection *c : connections)
        delete c;
    delete std::exchange(m_server, nullptr);   // with the sockets still in their handshake
}

bool PeerServer::isListening() const { return m_server && m_server->isListening(); }

quint16 PeerServer::port() const { return m_server ? m_server->serverPort() : 0; }

int PeerServer::handshakeCount() const { return m_server ? m_server->inProgress() : 0; }

PeerServer::Counters PeerServer::counters() const
{
    Counters c = m_counters;
    c.handshakesFailed = m_handshakeCounters.failed;
    c.handshakesEvicted = m_handshakeCounters.evicted;
    c.handshakesTimedOut = m_handshakeCounters.timedOut;
    return c;
}

bool PeerServer::roomFor(const QHostAddress &address)
{
    if (m_totalConnections >= m_limits.maxConnections || m_perAddress.value(address) >= m_limits.maxConnectionsPerAddress) {
        ++m_counters.connectionsRefused;
        qCDebug(lcPeerServer) << "connection refused, over the limits:" << address;
        return false;
    }
    return true;
}

void PeerServer::onEncrypted(QSslSocket *socket, const QHostAddress &address, const QByteArray &identity)
{
    // Checked again: other handshakes may have completed since this one's key was given, and
    // the key may have been revoked meanwhile.
    if (keyForIdentity(identity).isEmpty() || !roomFor(address)) {
        socket->abort();
        socket->deleteLater();
        return;
    }
    ++m_counters.handshakesCompleted;
    auto *connection = new PeerConnection(socket, this, groupOf(identity));
    m_connections.insert(connection);
    ++m_totalConnections;
    ++m_perAddress[address];
    connect(connection, &QObject::destroyed, this, [this, connection, address] {
        m_connections.remove(connection);
        --m_totalConnections;
        if (--m_perAddress[address] <= 0)
            m_perAddress.remove(address);
    });
    // The handshake proved group membership, not that the id is sensible: only ids fit for
    // the peers table and the admin view are reported (the connection is served either way).
    const QString peerId = QString::fromUtf8(identity.mid(identity.indexOf(':') + 1));
    const bool sane = !peerId.isEmpty() && peerId.size() <= 64
                      && std::all_of(peerId.begin(), peerId.end(), [](QChar c) { return c.unicode() > 0x20 && c.unicode() < 0x7f; });
    if (sane)
        emit peerAuthenticated(peerId, address);
}

} // namespace ferry::peercache
