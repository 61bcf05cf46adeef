// PeerServer (docs/peer-caching.md §6, tests T5, T6, T8): TLS 1.2 with the group's PSK only, the four
// read-only routes, the request grammar that keeps paths out of reach, file access only to the
// record's own file in the cache directory, and the connection limits. Real clients on
// 127.0.0.1: QNetworkAccessManager for ordinary requests, a raw QSslSocket where the bytes on the
// wire must be exactly as written.
#include "CacheSource.h"
#include "peercache/CacheStore.h"
#include "peercache/Manifest.h"
#include "peercache/PeerCrypto.h"
#include "peercache/PeerServer.h"
#include "TestContent.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSslCipher>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace ferry;
using namespace ferry::peercache;
using ferry::test::TestContent;

namespace {

const QStringList PskCiphers{QStringLiteral("ECDHE-PSK-CHACHA20-POLY1305"), QStringLiteral("PSK-AES256-GCM-SHA384")};

GroupKey keyOf(char fill) { return *GroupKey::fromSecret(QByteArray(GroupKey::SecretSize, fill)); }

QString lookup(char label, char kind = 'v')
{
    return QString::number(int(label), 16).repeated(8) + QString(16, QLatin1Char(kind == 'v' ? '1' : '2'));
}

// The client side, configured independently of the server's helper.
QSslConfiguration clientConfig(QSsl::SslProtocol protocol = QSsl::TlsV1_2)
{
    QSslConfiguration cfg = QSslConfiguration::defaultConfiguration();
    cfg.setProtocol(protocol);
    QList<QSslCipher> ciphers;
    for (const QString &name : PskCiphers)
        ciphers << QSslCipher(name);
    cfg.setCiphers(ciphers);
    cfg.setPeerVerifyMode(QSslSocket::VerifyNone);
    return cfg;
}

// The first bytes of a TLS ClientHello: a handshake record header announcing 512 bytes, and the
// start of the message. The rest never comes.
QByteArray halfClientHello() { return QByteArray::fromHex("1603010200010001fc0303"); }

// This process's resident memory (diagnostics only: never asserted).
qint64 residentBytes()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    }
    return -1;
}

struct RawResponse
{
    int status = 0;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;

    QByteArray header(const QByteArray &name) const
    {
        for (const auto &[n, v] : headers) {
            if (n.compare(name, Qt::CaseInsensitive) == 0)
                return v;
        }
        return {};
    }
};

// A TLS-PSK client that writes exactly the bytes it is given and parses what comes back.
class RawClient
{
public:
    RawClient(quint16 port, const QByteArray &identity, const QByteArray &key,
              const QSslConfiguration &cfg = clientConfig(), const QHostAddress &from = {})
    {
        socket.setSslConfiguration(cfg);
        socket.setProxy(QNetworkProxy::NoProxy);
        QObject::connect(&socket, &QSslSocket::preSharedKeyAuthenticationRequired, &socket,
                         [identity, key](QSslPreSharedKeyAuthenticator *a) {
                             a->setIdentity(identity);
                             a->setPreSharedKey(key);
                         });
        QObject::connect(&socket, &QSslSocket::readyRead, &socket, [this] { buffer += socket.readAll(); });
        QObject::connect(&socket, &QAbstractSocket::disconnected, &socket, [this] { closed = true; });
        QObject::connect(&socket, &QAbstractSocket::errorOccurred, &socket, [this] { failed = true; });
        if (!from.isNull())
            socket.bind(from);
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    }

    bool waitEncrypted() { return QTest::qWaitFor([this] { return socket.isEncrypted() || closed || failed; }) && socket.isEncrypted(); }

    // The next complete response, or nullopt when the connection ends first.
    std::optional<RawResponse> next(bool headOnly = false)
    {
        std::optional<RawResponse> r;
        if (QTest::qWaitFor([&] { return (r = parse(headOnly)).has_value() || closed; }, 20000) && !r)
            r = parse(headOnly);   // the last bytes may arrive with the close
        return r;
    }

    std::optional<RawResponse> request(const QByteArray &bytes, bool headOnly = false)
    {
        socket.write(bytes);
        return next(headOnly);
    }

    QSslSocket socket;
    QByteArray buffer;
    bool closed = false;
    bool failed = false;

private:
    std::optional<RawResponse> parse(bool headOnly)
    {
        buffer += socket.readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return std::nullopt;
        RawResponse r;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        r.status = lines.first().split(' ').value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            const qsizetype colon = line.indexOf(':');
            r.headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
        }
        const qint64 length = headOnly ? 0 : r.header("Content-Length").toLongLong();
        if (buffer.size() < end + 4 + length)
            return std::nullopt;
        r.body = buffer.mid(end + 4, length);
        buffer.remove(0, end + 4 + length);
        return r;
    }
};

} // namespace

class tst_PeerServer : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    // T5
    void rightKeyDownloadsRecord();
    void rangeAndHead();
    void helloHasAndManifest();
    void wrongKeyFailsHandshake();
    void unknownGroupFailsHandshake();
    void clientWithoutPskCiphersFails_data();
    void clientWithoutPskCiphersFails();
    void sessionIsTls12WithListedCipher_data();
    void sessionIsTls12WithListedCipher();
    void previousKeyStillAccepted();
    // T8
    void unvalidatedRecordIsNotServed();
    void notServingHidesEverything();
    // T6
    void grammar_data();
    void grammar();
    void keepAliveAndPipelining();
    void dataPathOutsideCacheIsNotServed();
    void symlinkedDataFileIsNotServed();
    void fourConnectionsPerAddress();
    void sixteenConnectionsInTotal();
    void idleAndHandshakeTimeouts();
    void recordInUseWhileServed();
    void unfinishedHandshakesCannotLockOutTheGroup();
    void neverReadingPeerIsBoundedAndDropped();
    void revokedKeyClosesItsConnections();

private:
    QString addRecord(char label, qint64 size, bool validated = true);
    std::unique_ptr<QNetworkReply> get(const QString &path, const QByteArray &range = {}, bool head = false);
    bool startServer(const PeerServer::Limits &limits = {});

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<CacheStore> m_store;
    std::unique_ptr<PeerServer> m_server;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    GroupKey m_key = keyOf('\x11');
    QStringList m_opened;
};

void tst_PeerServer::initTestCase()
{
    if (!QSslSocket::supportsSsl())
        QSKIP("no TLS backend");
    for (const QString &name : PskCiphers)
        QVERIFY2(!QSslCipher(name).isNull(), qPrintable(name));
}

void tst_PeerServer::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    m_store = std::make_unique<CacheStore>(m_tmp->filePath(QStringLiteral("ferry.db")), m_tmp->filePath(QStringLiteral("peercache")));
    m_store->setDiskBytes([] { return 100'000'000'000LL; });
    QVERIFY(m_store->open().ok());
    m_opened.clear();
    QVERIFY(startServer());
    m_nam = std::make_unique<QNetworkAccessManager>();
    m_nam->setProxy(QNetworkProxy::NoProxy);
    connect(m_nam.get(), &QNetworkAccessManager::preSharedKeyAuthenticationRequired, this,
            [this](QNetworkReply *, QSslPreSharedKeyAuthenticator *a) {
                a->setIdentity(PeerServer::pskIdentity(m_key, QStringLiteral("test")));
                a->setPreSharedKey(m_key.pskKey());
            });
}

void tst_PeerServer::cleanup()
{
    m_nam.reset();
    m_server.reset();
    m_store.reset();
    m_tmp.reset();
}

bool tst_PeerServer::startServer(const PeerServer::Limits &limits)
{
    m_server = std::make_unique<PeerServer>(m_store.get(), QStringLiteral("server-peer"));
    m_server->setKeys(m_key);
    m_server->setLimits(limits);
    m_server->setOpenObserver([this](const QString &path) { m_opened << path; });
    const Status s = m_server->start(QHostAddress(QHostAddress::LocalHost), 0);
    if (!s.ok())
        qWarning() << s.message;
    return s.ok() && m_server->isListening() && m_server->port() != 0;
}

QString tst_PeerServer::addRecord(char label, qint64 size, bool validated)
{
    const quint32 seed = quint32(label);
    const QString source = m_tmp->filePath(QStringLiteral("src-%1").arg(QLatin1Char(label)));
    if (!TestContent::writeFile(source, seed, size))
        return {};
    std::optional<Manifest> m = Manifest::ofFile(source);
    if (!m)
        return {};
    m->url = QStringLiteral("https://example.com/%1").arg(QLatin1Char(label));
    m->source = QStringLiteral("origin");
    CacheRecordInput in;
    const auto sourceFd = useAsCacheSource(in, source);
    in.lookupV = lookup(label, 'v');
    in.lookupD = lookup(label, 'd');
    in.url = m->url;
    in.fileSha256 = QString::fromLatin1(m->fileSha256.toHex());
    in.manifest = m->encode(m_key.manifestKey());
    in.source = m->source;
    in.validated = validated;
    QString id;
    const Status s = m_store->insert(in, &id);
    if (!s.ok())
        qWarning() << s.message;
    return id;
}

std::unique_ptr<QNetworkReply> tst_PeerServer::get(const QString &path, const QByteArray &range, bool head)
{
    QNetworkRequest req(QUrl(QStringLiteral("https://127.0.0.1:%1%2").arg(m_server->port()).arg(path)));
    req.setSslConfiguration(clientConfig());
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    if (!range.isEmpty())
        req.setRawHeader("Range", range);
    std::unique_ptr<QNetworkReply> reply(head ? m_nam->head(req) : m_nam->get(req));
    if (!QTest::qWaitFor([&] { return reply->isFinished(); }, 30000))
        qWarning() << "no reply for" << path;
    return reply;
}

void tst_PeerServer::rightKeyDownloadsRecord()
{
    constexpr qint64 Size = 3 * 1024 * 1024 + 12345;   // several chunks, not block-aligned
    QVERIFY(!addRecord('a', Size).isEmpty());
    QSignalSpy authenticated(m_server.get(), &PeerServer::peerAuthenticated);

    const auto reply = get(QStringLiteral("/v1/c/") + lookup('a'));
    QVERIFY(reply->isFinished());
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    const QByteArray body = reply->readAll();
    QCOMPARE(body.size(), Size);
    QCOMPARE(QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex(), TestContent::sha256Hex('a', Size));
    QCOMPARE(reply->rawHeader("Accept-Ranges"), QByteArray("bytes"));

    // The CK-D lookup id reaches the same record.
    const auto byDigest = get(QStringLiteral("/v1/c/") + lookup('a', 'd'));
    QCOMPARE(byDigest->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QCOMPARE(byDigest->readAll().size(), Size);

    QCOMPARE(m_server->counters().contentResponses, 2);
    QCOMPARE(m_server->counters().bytesServed, 2 * Size);
    QVERIFY(authenticated.size() >= 1);
    QCOMPARE(authenticated.first().at(0).toString(), QStringLiteral("test"));
    QCOMPARE(authenticated.first().at(1).value<QHostAddress>(), QHostAddress(QHostAddress::LocalHost));
    QTRY_VERIFY(m_opened.size() == 2);
    for (const QString &path : std::as_const(m_opened))
        QVERIFY(path.startsWith(m_store->directory() + u'/'));
}

void tst_PeerServer::rangeAndHead()
{
    constexpr qint64 Size = 2 * 1024 * 1024;
    QVERIFY(!addRecord('a', Size).isEmpty());
    const QString path = QStringLiteral("/v1/c/") + lookup('a');

    auto reply = get(path, "bytes=1048570-1048580");
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 206);
    QCOMPARE(reply->readAll(), TestContent::bytes('a', 1048570, 11));
    QCOMPARE(reply->rawHeader("Content-Range"), QByteArray("bytes 1048570-1048580/2097152"));

    reply = get(path, "bytes=-100");
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 206);
    QCOMPARE(reply->readAll(), TestContent::bytes('a', Size - 100, 100));

    reply = get(path, "bytes=2000000-");
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 206);
    QCOMPARE(reply->readAll(), TestContent::bytes('a', 2000000, Size - 2000000));

    reply = get(path, "bytes=3000000-3000001");
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 416);
    QCOMPARE(reply->rawHeader("Content-Range"), QByteArray("bytes */2097152"));

    const qint64 servedBefore = m_server->counters().bytesServed;
    reply = get(path, {}, /*head=*/true);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QCOMPARE(reply->header(QNetworkRequest::ContentLengthHeader).toLongLong(), Size);
    QCOMPARE(m_server->counters().bytesServed, servedBefore);
}

void tst_PeerServer::helloHasAndManifest()
{
    QVERIFY(!addRecord('a', 5000).isEmpty());
    QVERIFY(!addRecord('b', 5000, /*validated=*/false).isEmpty());

    auto reply = get(QStringLiteral("/v1/hello"));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    const QJsonObject hello = QJsonDocument::fromJson(reply->readAll()).object();
    QCOMPARE(hello.value(QLatin1String("peerId")).toString(), QStringLiteral("server-peer"));
    QCOMPARE(hello.value(QLatin1String("v")).toInt(), 1);
    QCOMPARE(hello.value(QLatin1String("serving")).toBool(), true);

    reply = get(QStringLiteral("/v1/has?ids=%1,%2,%3,%4").arg(lookup('b'), lookup('a', 'd'), lookup('z'), lookup('a')));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QCOMPARE(QJsonDocument::fromJson(reply->readAll()).array(),
             QJsonArray::fromStringList({lookup('a', 'd'), lookup('a')}));

    reply = get(QStringLiteral("/v1/m/") + lookup('a'));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QString error;
    const auto manifest = Manifest::decode(reply->readAll(), m_key.manifestKey(), &error);
    QVERIFY2(manifest, qPrintable(error));
    QCOMPARE(manifest->size, 5000);
    QCOMPARE(manifest->fileSha256.toHex(), TestContent::sha256Hex('a', 5000));

    reply = get(QStringLiteral("/v1/m/") + lookup('b'));   // not validated
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
}

void tst_PeerServer::wrongKeyFailsHandshake()
{
    QVERIFY(!addRecord('a', 1000).isEmpty());
    QSignalSpy authenticated(m_server.get(), &PeerServer::peerAuthenticated);
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    const GroupKey wrong = keyOf('\x22');
    connect(&nam, &QNetworkAccessManager::preSharedKeyAuthenticationRequired, this,
            [this, wrong](QNetworkReply *, QSslPreSharedKeyAuthenticator *a) {
                // The right group id with the wrong secret: only the key itself differs.
                a->setIdentity(PeerServer::pskIdentity(m_key, QStringLiteral("test")));
                a->setPreSharedKey(wrong.pskKey());
            });
    QNetworkRequest req(QUrl(QStringLiteral("https://127.0.0.1:%1/v1/c/%2").arg(m_server->port()).arg(lookup('a'))));
    req.setSslConfiguration(clientConfig());
    std::unique_ptr<QNetworkReply> reply(nam.get(req));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 30000);
    QCOMPARE(reply->error(), QNetworkReply::SslHandshakeFailedError);
    QVERIFY(reply->readAll().isEmpty());
    QTRY_COMPARE(m_server->counters().handshakesFailed, 1);
    QCOMPARE(m_server->counters().requests, 0);
    QCOMPARE(authenticated.size(), 0);

    // The raw client fails the same way and never sees an encrypted session.
    RawClient raw(m_server->port(), PeerServer::pskIdentity(m_key, QStringLiteral("x")), wrong.pskKey());
    QVERIFY(!raw.waitEncrypted());
}

void tst_PeerServer::unknownGroupFailsHandshake()
{
    const GroupKey other = keyOf('\x33');
    RawClient raw(m_server->port(), PeerServer::pskIdentity(other, QStringLiteral("x")), other.pskKey());
    QVERIFY(!raw.waitEncrypted());
    RawClient noGroup(m_server->port(), QByteArray("test"), m_key.pskKey());   // no "<groupId>:"
    QVERIFY(!noGroup.waitEncrypted());
    QTRY_COMPARE(m_server->counters().handshakesFailed, 2);
    QCOMPARE(m_server->counters().handshakesCompleted, 0);
}

void tst_PeerServer::clientWithoutPskCiphersFails_data()
{
    QTest::addColumn<QSslConfiguration>("config");
    QTest::addColumn<bool>("withKey");
    QList<QSslCipher> ciphers;
    for (const QSslCipher &c : QSslConfiguration::supportedCiphers()) {
        if (!c.name().contains(QLatin1String("PSK")))
            ciphers << c;
    }
    QVERIFY(!ciphers.isEmpty());
    QSslConfiguration certOnly = QSslConfiguration::defaultConfiguration();
    certOnly.setProtocol(QSsl::TlsV1_2);
    certOnly.setCiphers(ciphers);
    certOnly.setPeerVerifyMode(QSslSocket::VerifyNone);
    QTest::newRow("TLS 1.2, every non-PSK suite, with the key") << certOnly << true;
    QSslConfiguration modern = certOnly;
    modern.setProtocol(QSsl::TlsV1_2OrLater);
    QTest::newRow("TLS 1.2 or 1.3, every non-PSK suite, with the key") << modern << true;
    QSslConfiguration defaults = QSslConfiguration::defaultConfiguration();   // like curl -k or a browser
    defaults.setPeerVerifyMode(QSslSocket::VerifyNone);
    QTest::newRow("defaults, no key") << defaults << false;
}

void tst_PeerServer::clientWithoutPskCiphersFails()
{
    QFETCH(QSslConfiguration, config);
    QFETCH(bool, withKey);
    // Even holding the key: with no PSK suite offered there is no shared cipher.
    RawClient raw(m_server->port(), withKey ? PeerServer::pskIdentity(m_key, QStringLiteral("x")) : QByteArray(),
                  withKey ? m_key.pskKey() : QByteArray(), config);
    QVERIFY(!raw.waitEncrypted());
    QTRY_COMPARE(m_server->counters().handshakesFailed, 1);
    QCOMPARE(m_server->counters().handshakesCompleted, 0);
}

void tst_PeerServer::sessionIsTls12WithListedCipher_data()
{
    QTest::addColumn<int>("protocol");
    QTest::newRow("client TLS 1.2") << int(QSsl::TlsV1_2);
    QTest::newRow("client TLS 1.2 or later") << int(QSsl::TlsV1_2OrLater);
}

void tst_PeerServer::sessionIsTls12WithListedCipher()
{
    QFETCH(int, protocol);
    RawClient raw(m_server->port(), PeerServer::pskIdentity(m_key, QStringLiteral("raw")), m_key.pskKey(),
                  clientConfig(QSsl::SslProtocol(protocol)));
    QVERIFY(raw.waitEncrypted());
    QCOMPARE(raw.socket.sessionProtocol(), QSsl::TlsV1_2);
    QVERIFY2(PskCiphers.contains(raw.socket.sessionCipher().name()), qPrintable(raw.socket.sessionCipher().name()));
    const auto r = raw.request("GET /v1/hello HTTP/1.1\r\nHost: peer\r\n\r\n");
    QVERIFY(r);
    QCOMPARE(r->status, 200);
}

void tst_PeerServer::previousKeyStillAccepted()
{
    const GroupKey previous = m_key;
    const GroupKey current = keyOf('\x44');
    m_server->setKeys(current, previous);
    for (const GroupKey &k : {previous, current}) {
        RawClient raw(m_server->port(), PeerServer::pskIdentity(k, QStringLiteral("r")), k.pskKey());
        QVERIFY(raw.waitEncrypted());
    }
    m_server->setKeys(current);   // rotation finished: the old key is out
    RawClient old(m_server->port(), PeerServer::pskIdentity(previous, QStringLiteral("r")), previous.pskKey());
    QVERIFY(!old.waitEncrypted());
}

void tst_PeerServer::unvalidatedRecordIsNotServed()
{
    const QString id = addRecord('a', 4000, /*validated=*/false);
    QVERIFY(!id.isEmpty());
    const QString path = QStringLiteral("/v1/c/") + lookup('a');
    auto reply = get(path);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
    const QByteArray notFound = reply->readAll();
    // The same 404 as for an id nobody holds.
    reply = get(QStringLiteral("/v1/c/") + lookup('z'));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
    QCOMPARE(reply->readAll(), notFound);
    QVERIFY(m_opened.isEmpty());

    QVERIFY(m_store->setValidated(id, true).ok());
    reply = get(path);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QCOMPARE(reply->readAll(), TestContent::bytes('a', 0, 4000));

    QVERIFY(m_store->setValidated(id, false).ok());   // SetValidationState(false)
    reply = get(path);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
}

void tst_PeerServer::notServingHidesEverything()
{
    QVERIFY(!addRecord('a', 4000).isEmpty());
    m_server->setServing(false);
    QCOMPARE(get(QStringLiteral("/v1/c/") + lookup('a'))->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
    QCOMPARE(get(QStringLiteral("/v1/m/") + lookup('a'))->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
    auto reply = get(QStringLiteral("/v1/has?ids=") + lookup('a'));
    QCOMPARE(QJsonDocument::fromJson(reply->readAll()).array(), QJsonArray());
    reply = get(QStringLiteral("/v1/hello"));
    QCOMPARE(QJsonDocument::fromJson(reply->readAll()).object().value(QLatin1String("serving")).toBool(), false);
    m_server->setServing(true);
    QCOMPARE(get(QStringLiteral("/v1/c/") + lookup('a'))->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
}

void tst_PeerServer::grammar_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");

    const QByteArray id = lookup('a').toLatin1();
    const QByteArray end = " HTTP/1.1\r\nHost: peer\r\n\r\n";
    QTest::newRow("control: valid") << "GET /v1/c/" + id + end << 200;
    QTest::newRow("control: HEAD") << "HEAD /v1/c/" + id + end << 200;
    QTest::newRow("../ traversal") << "GET /v1/c/../../etc/passwd" + end << 400;
    QTest::newRow("%2e%2e%2f traversal") << "GET /v1/c/%2e%2e%2f%2e%2e%2fetc%2fpasswd" + end << 400;
    QTest::newRow("%2F in id") << "GET /v1/c/" + id.left(16) + "%2F" + id.left(13) + end << 400;
    QTest::newRow("manifest traversal") << "GET /v1/m/..%2f..%2f" + id.left(22) + end << 400;
    QTest::newRow("absolute-form") << "GET http://x/v1/c/" + id + end << 400;
    QTest::newRow("asterisk-form") << "GET *" + end << 400;
    QTest::newRow("non-hex id") << "GET /v1/c/" + id.left(31) + "g" + end << 400;
    QTest::newRow("upper-case id") << "GET /v1/c/" + lookup('z').toUpper().toLatin1() + end << 400;
    QTest::newRow("31-char id") << "GET /v1/c/" + id.left(31) + end << 400;
    QTest::newRow("33-char id") << "GET /v1/c/" + id + "0" + end << 400;
    QTest::newRow("trailing slash") << "GET /v1/c/" + id + "/" + end << 400;
    QTest::newRow("empty id") << "GET /v1/c/" + end << 400;
    QTest::newRow("POST") << "POST /v1/c/" + id + end << 405;
    QTest::newRow("PUT with body") << "PUT /v1/c/" + id + " HTTP/1.1\r\nHost: peer\r\nContent-Length: 5\r\n\r\nhello" << 405;
    QTest::newRow("DELETE") << "DELETE /v1/c/" + id + end << 405;
    QTest::newRow("GET with body") << "GET /v1/c/" + id + " HTTP/1.1\r\nHost: peer\r\nContent-Length: 5\r\n\r\nhello" << 400;
    QTest::newRow("GET chunked") << "GET /v1/c/" + id + " HTTP/1.1\r\nHost: peer\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" << 400;
    QTest::newRow("Content-Length: 0 is fine") << "GET /v1/c/" + id + " HTTP/1.1\r\nContent-Length: 0\r\n\r\n" << 200;
    QTest::newRow("multi-range") << "GET /v1/c/" + id + " HTTP/1.1\r\nRange: bytes=0-1,5-6\r\n\r\n" << 400;
    QTest::newRow("two Range headers") << "GET /v1/c/" + id + " HTTP/1.1\r\nRange: bytes=0-1\r\nRange: bytes=5-6\r\n\r\n" << 400;
    QTest::newRow("range past the end") << "GET /v1/c/" + id + " HTTP/1.1\r\nRange: bytes=999999-\r\n\r\n" << 416;
    QTest::newRow("range backwards") << "GET /v1/c/" + id + " HTTP/1.1\r\nRange: bytes=50-2\r\n\r\n" << 416;
    QTest::newRow("range garbage") << "GET /v1/c/" + id + " HTTP/1.1\r\nRange: items=0-1\r\n\r\n" << 416;
    QTest::newRow("single range") << "GET /v1/c/" + id + " HTTP/1.1\r\nRange: bytes=0-1\r\n\r\n" << 206;
    QTest::newRow("9 KiB of headers") << "GET /v1/c/" + id + " HTTP/1.1\r\nX-Pad: " + QByteArray(9 * 1024, 'p') + "\r\n\r\n" << 431;
    QTest::newRow("many headers over 8 KiB")
        << "GET /v1/c/" + id + " HTTP/1.1\r\n" + QByteArray("X-A: 0123456789012345678901234567890123456789\r\n").repeated(200) + "\r\n"
        << 431;
    QTest::newRow("bare LF") << "GET /v1/c/" + id + " HTTP/1.1\nHost: peer\n\n\r\n\r\n" << 400;
    QTest::newRow("obs-fold") << "GET /v1/c/" + id + " HTTP/1.1\r\nHost: peer\r\n folded\r\n\r\n" << 400;
    QTest::newRow("space before colon") << "GET /v1/c/" + id + " HTTP/1.1\r\nHost : peer\r\n\r\n" << 400;
    QTest::newRow("HTTP/2.0") << "GET /v1/c/" + id + " HTTP/2.0\r\n\r\n" << 400;
    QTest::newRow("extra space") << "GET  /v1/c/" + id + end << 400;
    QTest::newRow("other path") << "GET /etc/passwd" + end << 404;
    QTest::newRow("root") << "GET /" + end << 404;
    QTest::newRow("unknown route") << "GET /v1/x/" + id + end << 404;
    QTest::newRow("/v1/c without id") << "GET /v1/c" + end << 404;
    QTest::newRow("has: 33 ids") << "GET /v1/has?ids=" + QByteArray(id + ',').repeated(33).chopped(1) + end << 400;
    QTest::newRow("has: 32 ids") << "GET /v1/has?ids=" + QByteArray(id + ',').repeated(32).chopped(1) + end << 200;
    QTest::newRow("has: bad id") << "GET /v1/has?ids=" + id + ",../x" + end << 400;
}

void tst_PeerServer::grammar()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QVERIFY(!addRecord('a', 100).isEmpty());
    // Something outside the cache a traversal would reach.
    QVERIFY(TestContent::writeFile(m_tmp->filePath(QStringLiteral("secret")), 5, 100));

    RawClient raw(m_server->port(), PeerServer::pskIdentity(m_key, QStringLiteral("raw")), m_key.pskKey());
    QVERIFY(raw.waitEncrypted());
    const auto r = raw.request(request, request.startsWith("HEAD"));
    QVERIFY2(r, "no response");
    QCOMPARE(r->status, status);
    if (status == 200 && request.startsWith("GET /v1/c/"))
        QCOMPARE(r->body, TestContent::bytes('a', 0, 100));
    if (status >= 400 && status != 404 && status != 416)
        QTRY_VERIFY(raw.closed);   // refused requests end the connection
    for (const QString &path : std::as_const(m_opened))
        QVERIFY2(path.startsWith(m_store->directory() + u'/'), qPrintable(path));
}

void tst_PeerServer::keepAliveAndPipelining()
{
    QVERIFY(!addRecord('a', 300000).isEmpty());
    QVERIFY(!addRecord('b', 200).isEmpty());
    RawClient raw(m_server->port(), PeerServer::pskIdentity(m_key, QStringLiteral("raw")), m_key.pskKey());
    QVERIFY(raw.waitEncrypted());
    auto r = raw.request("GET /v1/c/" + lookup('b').toLatin1() + " HTTP/1.1\r\n\r\n");
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->header("Connection"), QByteArray("keep-alive"));
    // Three requests in one write: answered in order on the same connection.
    raw.socket.write("GET /v1/c/" + lookup('a').toLatin1() + " HTTP/1.1\r\n\r\n" + "GET /v1/hello HTTP/1.1\r\n\r\n"
                     + "GET /v1/c/" + lookup('b').toLatin1() + " HTTP/1.1\r\nConnection: close\r\n\r\n");
    r = raw.next();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->body, TestContent::bytes('a', 0, 300000));
    r = raw.next();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QVERIFY(r->body.contains("server-peer"));
    r = raw.next();
    QVERIFY(r);
    QCOMPARE(r->body, TestContent::bytes('b', 0, 200));
    QCOMPARE(r->header("Connection"), QByteArray("close"));
    QTRY_VERIFY(raw.closed);

    // HEAD sends headers only, on every route: the next response starts right after them.
    RawClient again(m_server->port(), PeerServer::pskIdentity(m_key, QStringLiteral("raw")), m_key.pskKey());
    QVERIFY(again.waitEncrypted());
    for (const char *path : {"/v1/hello", "/v1/has?ids=", "/v1/c/"}) {
        QByteArray target = path;
        if (target.endsWith('=') || target.endsWith('/'))
            target += lookup('b').toLatin1();
        r = again.request("HEAD " + target + " HTTP/1.1\r\n\r\n", /*headOnly=*/true);
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QVERIFY(r->header("Content-Length").toLongLong() > 0);
        r = again.request("GET /v1/c/" + lookup('b').toLatin1() + " HTTP/1.1\r\n\r\n");
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(r->body, TestContent::bytes('b', 0, 200));
    }
}

void tst_PeerServer::dataPathOutsideCacheIsNotServed()
{
    const QString id = addRecord('a', 1000);
    const QString other = addRecord('b', 1000);
    QVERIFY(!id.isEmpty() && !other.isEmpty());
    const QString outside = m_tmp->filePath(QStringLiteral("outside"));
    QVERIFY(TestContent::writeFile(outside, 'a', 1000));   // even with the expected bytes and size

    auto tamper = [this, &id](const QString &path) {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tamper"));
        db.setDatabaseName(m_tmp->filePath(QStringLiteral("ferry.db")));
        bool ok = db.open();
        {
            QSqlQuery q(db);
            q.prepare(QStringLiteral("UPDATE pc_records SET path=? WHERE id=?"));
            q.addBindValue(path);
            q.addBindValue(id);
            ok = ok && q.exec();
        }
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(QStringLiteral("tamper"));
        return ok;
    };
    const QString dir = m_store->directory();
    for (const QString &path : {outside, dir + QLatin1String("/../outside"), dir + u'/' + other + QLatin1String(".data")}) {
        QVERIFY(tamper(path));
        const auto reply = get(QStringLiteral("/v1/c/") + lookup('a'));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
    }
    QVERIFY(tamper(dir + u'/' + id + QLatin1String(".data")));
    QCOMPARE(get(QStringLiteral("/v1/c/") + lookup('a'))->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    for (const QString &path : std::as_const(m_opened))
        QVERIFY2(path.startsWith(dir + u'/'), qPrintable(path));
}

void tst_PeerServer::symlinkedDataFileIsNotServed()
{
    const QString id = addRecord('a', 1000);
    QVERIFY(!id.isEmpty());
    const QString data = m_store->record(id)->path;
    const QString outside = m_tmp->filePath(QStringLiteral("outside"));
    QVERIFY(QFile::rename(data, outside));
    QVERIFY(QFile::link(outside, data));
    QCOMPARE(get(QStringLiteral("/v1/c/") + lookup('a'))->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
    QVERIFY(m_opened.isEmpty());
    // A symlink inside the directory is refused too.
    QVERIFY(QFile::remove(data));
    const QString inside = m_store->directory() + QLatin1String("/elsewhere");
    QVERIFY(QFile::rename(outside, inside));
    QVERIFY(QFile::link(inside, data));
    QCOMPARE(get(QStringLiteral("/v1/c/") + lookup('a'))->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
    QVERIFY(m_opened.isEmpty());
}

void tst_PeerServer::fourConnectionsPerAddress()
{
    const QByteArray identity = PeerServer::pskIdentity(m_key, QStringLiteral("raw"));
    std::vector<std::unique_ptr<RawClient>> open;
    for (int i = 0; i < 4; ++i) {
        open.push_back(std::make_unique<RawClient>(m_server->port(), identity, m_key.pskKey()));
        QVERIFY(open.back()->waitEncrypted());
    }
    QCOMPARE(m_server->connectionCount(), 4);
    RawClient fifth(m_server->port(), identity, m_key.pskKey());
    QVERIFY(!fifth.waitEncrypted());
    QTRY_VERIFY(fifth.closed || fifth.failed);
    QCOMPARE(m_server->counters().connectionsRefused, 1);
    // The first four still work.
    for (const auto &c : open) {
        const auto r = c->request("GET /v1/hello HTTP/1.1\r\n\r\n");
        QVERIFY(r);
        QCOMPARE(r->status, 200);
    }
    // Closing one frees its slot, and the server keeps accepting.
    open.front()->socket.disconnectFromHost();
    QTRY_COMPARE(m_server->connectionCount(), 3);
    RawClient again(m_server->port(), identity, m_key.pskKey());
    QVERIFY(again.waitEncrypted());
}

void tst_PeerServer::sixteenConnectionsInTotal()
{
    // Other loopback source addresses (127.0.0.0/8 is all local on Linux) to stay under 4 each.
    const QByteArray identity = PeerServer::pskIdentity(m_key, QStringLiteral("raw"));
    std::vector<std::unique_ptr<RawClient>> open;
    for (int i = 0; i < 16; ++i) {
        const QHostAddress from(QStringLiteral("127.0.0.%1").arg(1 + i / 4));
        open.push_back(std::make_unique<RawClient>(m_server->port(), identity, m_key.pskKey(), clientConfig(), from));
        QVERIFY2(open.back()->waitEncrypted(), qPrintable(open.back()->socket.errorString()));
    }
    QCOMPARE(m_server->connectionCount(), 16);
    RawClient extra(m_server->port(), identity, m_key.pskKey(), clientConfig(), QHostAddress(QStringLiteral("127.0.0.9")));
    QVERIFY(!extra.waitEncrypted());
    QCOMPARE(m_server->counters().connectionsRefused, 1);
    open.clear();
    QTRY_COMPARE(m_server->connectionCount(), 0);
    RawClient after(m_server->port(), identity, m_key.pskKey(), clientConfig(), QHostAddress(QStringLiteral("127.0.0.9")));
    QVERIFY(after.waitEncrypted());
}

void tst_PeerServer::idleAndHandshakeTimeouts()
{
    PeerServer::Limits limits;
    limits.idleTimeoutMs = 300;
    limits.firstByteTimeoutMs = 300;
    limits.handshakeTimeoutMs = 1500;
    QVERIFY(startServer(limits));
    // Connected and silent after the handshake: closed by the idle timer.
    RawClient idle(m_server->port(), PeerServer::pskIdentity(m_key, QStringLiteral("raw")), m_key.pskKey());
    QVERIFY(idle.waitEncrypted());
    QTRY_VERIFY(idle.closed);
    QCOMPARE(m_server->counters().idleDrops, 1);
    // TCP only, never a ClientHello: closed by the first-byte timer; half a ClientHello, then
    // nothing: closed by the handshake timer. Their slots come back.
    QTcpSocket silent, half;
    for (QTcpSocket *s : {&silent, &half}) {
        s->setProxy(QNetworkProxy::NoProxy);
        s->connectToHost(QHostAddress(QHostAddress::LocalHost), m_server->port());
        QVERIFY(s->waitForConnected(5000));
    }
    half.write(halfClientHello());
    QTRY_COMPARE(silent.state(), QAbstractSocket::UnconnectedState);
    QTRY_COMPARE(half.state(), QAbstractSocket::UnconnectedState);
    QCOMPARE(m_server->counters().handshakesTimedOut, 2);
    QTRY_COMPARE(m_server->handshakeCount(), 0);
    QTRY_COMPARE(m_server->connectionCount(), 0);
    RawClient after(m_server->port(), PeerServer::pskIdentity(m_key, QStringLiteral("raw")), m_key.pskKey());
    QVERIFY(after.waitEncrypted());
}

void tst_PeerServer::recordInUseWhileServed()
{
    constexpr qint64 Size = 32 * 1024 * 1024;   // well over what loopback socket buffers hold
    const QString id = addRecord('a', Size);
    QVERIFY(!id.isEmpty());
    RawClient raw(m_server->port(), PeerServer::pskIdentity(m_key, QStringLiteral("raw")), m_key.pskKey());
    raw.socket.setReadBufferSize(64 * 1024);   // a slow reader: the server must stall
    QVERIFY(raw.waitEncrypted());
    QObject::disconnect(&raw.socket, &QSslSocket::readyRead, nullptr, nullptr);
    raw.socket.write("GET /v1/c/" + lookup('a').toLatin1() + " HTTP/1.1\r\n\r\n");
    QTRY_VERIFY(m_server->counters().bytesServed > 0);
    QVERIFY(m_store->isInUse(id));

    // Eviction (age and size) leaves a record alone while it is being served.
    CacheLimits limits;
    limits.maxContentAgeSec = 1;
    m_store->setLimits(limits);
    m_store->setDiskBytes([] { return qint64(1000); });
    m_store->setClock([] { return QDateTime::currentMSecsSinceEpoch() + 3600 * 1000LL; });
    QCOMPARE(m_store->evict(), 0);
    QVERIFY(m_store->record(id));

    // Drain it: every byte arrives, then the record is free again (and evictable).
    QSslSocket &s = raw.socket;
    s.setReadBufferSize(0);
    QByteArray all;
    const bool done = QTest::qWaitFor([&] {
        all += s.readAll();
        const qsizetype end = all.indexOf("\r\n\r\n");
        return end >= 0 && all.size() - (end + 4) >= Size;
    }, 60000);
    QVERIFY(done);
    const QByteArray body = all.mid(all.indexOf("\r\n\r\n") + 4);
    QCOMPARE(QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex(), TestContent::sha256Hex('a', Size));
    QTRY_VERIFY(!m_store->isInUse(id));
    QCOMPARE(m_store->evict(), 1);
}

// More connections than the handshake budget that never finish a handshake (silent ones, and
// ones that send half a ClientHello), from four addresses, held open, and still more opened
// while a group member connects: the member gets in and is served, because each newcomer
// evicts the oldest unfinished handshake, and no address holds more than its share.
void tst_PeerServer::unfinishedHandshakesCannotLockOutTheGroup()
{
    PeerServer::Limits limits;
    limits.firstByteTimeoutMs = limits.handshakeTimeoutMs = 120000;   // only eviction frees a slot here
    QVERIFY(startServer(limits));
    QVERIFY(!addRecord('a', 300000).isEmpty());
    std::vector<std::unique_ptr<QTcpSocket>> attackers;
    int opened = 0;
    const auto open = [&] {
        auto s = std::make_unique<QTcpSocket>();
        s->setProxy(QNetworkProxy::NoProxy);
        s->bind(QHostAddress(QStringLiteral("127.0.0.%1").arg(2 + opened % 4)));
        if (opened++ % 2) {
            QTcpSocket *raw = s.get();
            connect(raw, &QTcpSocket::connected, raw, [raw] { raw->write(halfClientHello()); });
        }
        s->connectToHost(QHostAddress(QHostAddress::LocalHost), m_server->port());
        attackers.push_back(std::move(s));
    };
    const int flood = 2 * limits.maxHandshakes;   // four times the old limit of 16
    while (opened < flood)
        open();
    // Every one accepted; the budget and each address's share hold.
    QTRY_COMPARE(m_server->counters().handshakesEvicted + m_server->handshakeCount(), qint64(flood));
    QCOMPARE(m_server->handshakeCount(), limits.maxHandshakes);
    QCOMPARE(m_server->counters().handshakesEvicted, qint64(flood - limits.maxHandshakes));
    QCOMPARE(m_server->counters().connectionsRefused, 0);

    // The attack goes on at a steady pace while a member of the group connects.
    int most = 0;
    QTimer more;
    connect(&more, &QTimer::timeout, this, [&] {
        open();
        most = qMax(most, m_server->handshakeCount());
    });
    more.start(10);
    QTRY_VERIFY(m_server->counters().handshakesEvicted >= flood);   // it is under way
    RawClient member(m_server->port(), PeerServer::pskIdentity(m_key, QStringLiteral("member")), m_key.pskKey(),
                     clientConfig(), QHostAddress(QStringLiteral("127.0.0.10")));
    QVERIFY2(member.waitEncrypted(), qPrintable(member.socket.errorString()));
    const auto r = member.request("GET /v1/c/" + lookup('a').toLatin1() + " HTTP/1.1\r\n\r\n");
    more.stop();
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->body, TestContent::bytes('a', 0, 300000));
    QVERIFY2(most <= limits.maxHandshakes, qPrintable(QString::number(most)));
    QCOMPARE(m_server->connectionCount(), 1);
    qInfo() << "opened" << opened << "unfinished connections, evicted" << m_server->counters().handshakesEvicted;
}

// A group member that pipelines requests without end and never reads an answer: the server
// holds at most HighWater plus one chunk for it, reads no more of its requests meanwhile,
// serves everyone else, and drops it after the idle timeout.
void tst_PeerServer::neverReadingPeerIsBoundedAndDropped()
{
    PeerServer::Limits limits;
    limits.idleTimeoutMs = 2000;
    QVERIFY(startServer(limits));
    constexpr qint64 Size = 256 * 1024;
    QVERIFY(!addRecord('a', Size).isEmpty());
    const qint64 rssBefore = residentBytes();

    RawClient hog(m_server->port(), PeerServer::pskIdentity(m_key, QStringLiteral("hog")), m_key.pskKey());
    QVERIFY(hog.waitEncrypted());
    hog.socket.setReadBufferSize(16 * 1024);   // with nobody reading, the kernel's buffers fill
    QObject::disconnect(&hog.socket, &QSslSocket::readyRead, nullptr, nullptr);
    const QByteArray id = lookup('a').toLatin1();
    QByteArray batch;
    for (const QByteArray &request : {QByteArray("GET /v1/hello HTTP/1.1\r\n\r\n"), "GET /v1/m/" + id + " HTTP/1.1\r\n\r\n",
                                      "HEAD /v1/c/" + id + " HTTP/1.1\r\n\r\n", "GET /v1/has?ids=" + id + " HTTP/1.1\r\n\r\n",
                                      "GET /v1/c/" + id + " HTTP/1.1\r\n\r\n"})
        batch += request.repeated(20);
    qint64 requested = 0;
    QTimer feed;   // keeps its send queue topped up, as long as the server takes requests
    connect(&feed, &QTimer::timeout, this, [&] {
        if (hog.socket.state() == QAbstractSocket::ConnectedState && hog.socket.bytesToWrite() + hog.socket.encryptedBytesToWrite() < 64 * 1024) {
            hog.socket.write(batch);
            requested += 20 * Size;
        }
    });
    feed.start(5);
    QTRY_VERIFY_WITH_TIMEOUT(m_server->counters().readsPaused > 0, 30000);

    // Meanwhile another member is served in full.
    {
        RawClient other(m_server->port(), PeerServer::pskIdentity(m_key, QStringLiteral("other")), m_key.pskKey());
        QVERIFY(other.waitEncrypted());
        const auto r = other.request("GET /v1/c/" + id + " HTTP/1.1\r\nConnection: close\r\n\r\n");
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(r->body, TestContent::bytes('a', 0, Size));
    }
    // The hog is dropped by the idle timer although it keeps sending requests.
    QTRY_VERIFY_WITH_TIMEOUT(m_server->counters().idleDrops >= 1, 30000);
    QTRY_COMPARE(m_server->connectionCount(), 0);
    feed.stop();
    const PeerServer::Counters c = m_server->counters();
    QVERIFY2(c.maxQueuedBytes <= PeerServer::HighWater + PeerServer::ChunkSize + 16 * 1024, qPrintable(QString::number(c.maxQueuedBytes)));
    QVERIFY2(c.bytesServed < requested / 4, qPrintable(QStringLiteral("%1 of %2").arg(c.bytesServed).arg(requested)));
    qInfo() << "hog: asked for" << requested << "body bytes, server queued at most" << c.maxQueuedBytes
            << "bytes for one connection; this process grew by" << (residentBytes() - rssBefore) << "bytes";
}

// Revoking the previous key (setKeys without it) closes the connections it authenticated, and
// refuses new ones; the current key's connections go on.
void tst_PeerServer::revokedKeyClosesItsConnections()
{
    const GroupKey previous = m_key;
    const GroupKey current = keyOf('\x22');
    m_server->setKeys(current, previous);
    RawClient old(m_server->port(), PeerServer::pskIdentity(previous, QStringLiteral("old")), previous.pskKey());
    QVERIFY(old.waitEncrypted());
    RawClient fresh(m_server->port(), PeerServer::pskIdentity(current, QStringLiteral("new")), current.pskKey());
    QVERIFY(fresh.waitEncrypted());
    const QByteArray hello = "GET /v1/hello HTTP/1.1\r\n\r\n";
    QCOMPARE(old.request(hello)->status, 200);

    m_server->setKeys(current);
    QTRY_VERIFY(old.closed);
    QTRY_COMPARE(m_server->connectionCount(), 1);
    const auto r = fresh.request(hello);
    QVERIFY(r);
    QCOMPARE(r->status, 200);
    RawClient again(m_server->port(), PeerServer::pskIdentity(previous, QStringLiteral("old")), previous.pskKey());
    QVERIFY(!again.waitEncrypted());
}

QTEST_GUILESS_MAIN(tst_PeerServer)
#include "tst_peerserver.moc"
