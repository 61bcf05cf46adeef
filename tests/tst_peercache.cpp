// Peer caching through the whole engine, in-process (docs/peer-caching.md §10: T1-T3, T7, T8, T11).
// Every node is an EngineFixture (JobManager + JobStore + transfer thread on a private profile)
// with its own PeerCache, TLS port and discovery port, and the others as static peers on
// 127.0.0.1. An "evil node" is a bare CacheStore + PeerServer + Discovery holding the group key,
// whose records the test forges or tampers with. The origin is the FaultServer (strong ETag,
// Last-Modified, optional Repr-Digest and Cache-Control). Assertions are what a user sees: the
// job's state, the bytes on disk against the origin's SHA-256, the file's bytesFromPeers /
// downloadedFromPeer / peerVerification, the records a node caches and the strikes and bans it keeps.
//
// Needs a Secret Service (the group key lives in the keychain): tests/run.sh starts one; without
// it the suite skips, or fails under FERRY_REQUIRE_KEYCHAIN=1.
#include "CacheSource.h"
#include "EngineFixture.h"
#include "FaultServer.h"
#include "NginxServer.h"
#include "TestContent.h"

#include "core/BitsError.h"
#include "core/Sha256.h"
#include "jobs/JobManager.h"
#include "peercache/CacheStore.h"
#include "peercache/ContentKey.h"
#include "peercache/Discovery.h"
#include "peercache/Manifest.h"
#include "peercache/PeerCache.h"
#include "peercache/PeerCrypto.h"
#include "peercache/PeerServer.h"
#include "peercache/PeerSource.h"
#include "store/CredentialStore.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkProxy>
#include <QSet>
#include <QSignalSpy>
#include <QSslPreSharedKeyAuthenticator>
#include <QSslSocket>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

#include <memory>

using namespace ferry;
using namespace ferry::test;
using namespace ferry::peercache;

namespace {

constexpr int kTimeout = 20000;            // a wait, never a measurement
constexpr qint64 MiB = 1 << 20;
constexpr qint64 kSize = 6 * MiB;           // six manifest blocks

bool keychainRequired() { return qEnvironmentVariableIntValue("FERRY_REQUIRE_KEYCHAIN") == 1; }

QSet<quint16> g_usedPorts;

// A loopback port no other node of this run was given (discovery binds with ShareAddress: two
// nodes on one UDP port would split each other's datagrams).
quint16 uniquePort()
{
    for (int i = 0; i < 100; ++i) {
        const quint16 p = freeLoopbackPort();
        if (p != 0 && !g_usedPorts.contains(p)) {
            g_usedPorts.insert(p);
            return p;
        }
    }
    return 0;
}

QString fileSha(const QString &path) { return QString::fromLatin1(Sha256::ofFile(path)); }
QString contentSha(quint32 seed, qint64 size) { return QString::fromLatin1(TestContent::sha256Hex(seed, size)); }

// An in-process engine with its peer cache: a client, or an honest serving node.
struct Node
{
    explicit Node(QString n) : name(std::move(n)) {}
    Q_DISABLE_COPY_MOVE(Node)

    QString name;
    std::unique_ptr<EngineFixture> f;
    std::unique_ptr<PeerCache> cache;
    quint16 udpPort = 0;
    quint16 tlsPort = 0;

    QString peerId() const { return cache->peerId(); }
    PeerServer::Counters served() const { return cache->server()->counters(); }
    QList<CacheRecord> records() const { return cache->store()->records(); }
    int recordCount() const { return int(records().size()); }
    std::optional<CachePeer> peer(const QString &id) const { return cache->store()->peer(id); }
    bool knows(const QString &peerId) const
    {
        const auto p = cache->discovery()->peer(peerId);
        return p && p->tlsPort > 0 && p->serving;
    }
    const JobFile &file(const QUuid &id) const
    {
        static const JobFile none;
        const Job &j = f->job(id);
        return j.files.isEmpty() ? none : j.files.first();
    }

    ~Node()
    {
        cache.reset(); // before the manager it plans for
        f.reset();
    }
};

// A group member that serves whatever records the test puts in its store: honest copies,
// tampered bytes, forged manifests, bad MACs.
struct EvilNode
{
    QTemporaryDir dir;
    GroupKey key;
    QString peerId;
    quint16 udpPort = 0;
    std::unique_ptr<CacheStore> store;
    std::unique_ptr<PeerServer> server;
    std::unique_ptr<Discovery> discovery;

    ~EvilNode()
    {
        discovery.reset();
        server.reset();
        store.reset();
    }

    PeerServer::Counters served() const { return server->counters(); }

    QString start(const GroupKey &groupKey, quint16 udp, const QList<quint16> &peers)
    {
        key = groupKey;
        udpPort = udp;
        const QByteArray sender = randomBytes(16);
        peerId = QString::fromLatin1(sender.toHex());
        store = std::make_unique<CacheStore>(dir.filePath(QStringLiteral("evil.db")), dir.filePath(QStringLiteral("cache")));
        if (Status s = store->open(); !s)
            return QStringLiteral("evil store: ") + s.message;
        server = std::make_unique<PeerServer>(store.get(), peerId);
        server->setKeys(key);
        server->setServing(true);
        if (Status s = server->start(QHostAddress(QHostAddress::LocalHost), 0); !s)
            return QStringLiteral("evil server: ") + s.message;
        discovery = std::make_unique<Discovery>(sender);
        discovery->setKeys(key);
        discovery->setPort(udp);
        discovery->setMulticastEnabled(false);
        QStringList statics;
        for (quint16 p : peers)
            statics << QStringLiteral("127.0.0.1:%1").arg(p);
        discovery->setStaticPeers(statics);
        discovery->setTlsPort(server->port());
        discovery->setServing(true);
        discovery->setHeldIds([this](const QList<QByteArray> &ids) {
            QStringList hex;
            for (const QByteArray &id : ids)
                hex << QString::fromLatin1(id.toHex());
            QList<QByteArray> held;
            for (const QString &id : store->heldLookupIds(hex))
                held << QByteArray::fromHex(id.toLatin1());
            return held;
        });
        if (!discovery->start())
            return QStringLiteral("evil discovery cannot bind UDP %1").arg(udp);
        return {};
    }

    struct Offer
    {
        std::function<void(Manifest &)> forge;   // change the manifest before it is signed
        QString alsoIndexUnder;                  // a content key the record is also found by
        bool badMac = false;                     // flip a byte of the MAC
    };

    // Puts `file` in the store as a validated record for `url` as the origin describes it
    // (facts): indexed under the origin's CK-V and the SHA-256 its manifest claims.
    QString offer(const QUrl &url, const OriginFacts &facts, const QString &file, const Offer &how, QString *error)
    {
        QString why;
        auto m = Manifest::ofFile(file, &why);
        if (!m) {
            *error = why;
            return {};
        }
        Manifest manifest = *m;
        const QString actualSha = QString::fromLatin1(manifest.fileSha256.toHex());
        manifest.contentKeyV = contentKeyV(url, facts);
        manifest.contentKeyD = QStringLiteral("sha256:") + actualSha;
        manifest.url = url.toString(QUrl::FullyEncoded);
        manifest.etag = facts.etag;
        manifest.lastModified = facts.lastModified;
        manifest.source = QStringLiteral("origin");
        manifest.createdAtMs = QDateTime::currentMSecsSinceEpoch();
        manifest.peerId = peerId;
        if (how.forge)
            how.forge(manifest);
        QByteArray encoded = manifest.encode(key.manifestKey());
        if (how.badMac)
            encoded[encoded.size() - 1] = char(encoded.at(encoded.size() - 1) ^ 0x01);
        CacheRecordInput in;
        const auto source = useAsCacheSource(in, file);
        in.contentKeyV = manifest.contentKeyV;
        in.contentKeyD = manifest.contentKeyD;
        in.lookupV = manifest.contentKeyV.isEmpty() ? QString() : lookupId(key.lookupKey(), manifest.contentKeyV);
        in.lookupD = lookupId(key.lookupKey(), how.alsoIndexUnder.isEmpty() ? manifest.contentKeyD : how.alsoIndexUnder);
        in.url = manifest.url;
        in.etag = facts.etag;
        in.lastModified = facts.lastModified;
        in.fileSha256 = actualSha;
        in.manifest = encoded;
        in.source = manifest.source;
        in.validated = true;
        QString id;
        if (Status s = store->insert(in, &id); !s) {
            *error = s.message;
            return {};
        }
        return id;
    }
};

// An evil node's peer server that answers /v1/has and /v1/m/ honestly from the node's store but
// sends more than the range asked of /v1/c/: the range, then bytes without end, with no
// Content-Length (close-delimited) or with one a GiB too long.
class OverSendingPeer : public QTcpServer
{
public:
    OverSendingPeer(EvilNode *evil, bool announceTooMuch) : m_evil(evil), m_announceTooMuch(announceTooMuch)
    {
        listen(QHostAddress(QHostAddress::LocalHost), 0);
    }

    qint64 sent = 0;             // bytes of /v1/c/ responses handed to the kernel
    int contentRequests = 0;
    bool droppedByClient = false;

protected:
    void incomingConnection(qintptr fd) override
    {
        auto *s = new QSslSocket(this);
        if (!s->setSocketDescriptor(fd)) {
            delete s;
            return;
        }
        s->setSslConfiguration(PeerServer::tlsConfiguration());
        connect(s, &QSslSocket::preSharedKeyAuthenticationRequired, s,
                [this](QSslPreSharedKeyAuthenticator *a) { a->setPreSharedKey(m_evil->key.pskKey()); });
        connect(s, &QIODevice::readyRead, s, [this, s] { onRead(s); });
        connect(s, &QSslSocket::encryptedBytesWritten, s, [this, s](qint64 n) {
            if (m_streaming.contains(s))
                sent += n;
            feed(s);
        });
        connect(s, &QAbstractSocket::disconnected, s, [this, s] {
            droppedByClient |= m_streaming.contains(s);
            m_streaming.remove(s);
            s->deleteLater();
        });
        s->startServerEncryption();
    }

private:
    void onRead(QSslSocket *s)
    {
        QByteArray &in = m_in[s];
        in += s->readAll();
        for (qsizetype end; (end = in.indexOf("\r\n\r\n")) >= 0;) {
            const QList<QByteArray> lines = in.left(end).split('\n');
            in.remove(0, end + 4);
            const QByteArray path = lines.value(0).split(' ').value(1);
            qint64 from = 0;
            for (const QByteArray &line : lines) {
                if (line.toLower().startsWith("range: bytes="))
                    from = line.mid(13).trimmed().chopped(1).toLongLong();
            }
            answer(s, path, from);
        }
    }

    void answer(QSslSocket *s, const QByteArray &path, qint64 from)
    {
        const auto ok = [s](const QByteArray &body) {
            s->write("HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        };
        if (path.startsWith("/v1/has?ids=")) {
            QStringList ids;
            for (const QByteArray &id : path.mid(12).split(','))
                ids << QString::fromLatin1(id);
            return ok(QJsonDocument(QJsonArray::fromStringList(m_evil->store->heldLookupIds(ids))).toJson(QJsonDocument::Compact));
        }
        const auto rec = m_evil->store->findByLookupId(QString::fromLatin1(path.mid(6)));
        if (!rec)
            return s->write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), void();
        if (path.startsWith("/v1/m/"))
            return ok(rec->manifest);
        ++contentRequests;
        QByteArray head = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + QByteArray::number(from) + '-'
                          + QByteArray::number(rec->size - 1) + '/' + QByteArray::number(rec->size) + "\r\n";
        head += m_announceTooMuch ? "Content-Length: " + QByteArray::number(rec->size - from + (1LL << 30)) + "\r\n"
                                  : QByteArray("Connection: close\r\n");
        s->write(head + "\r\n");
        auto file = std::make_shared<QFile>(rec->path);
        if (!file->open(QIODevice::ReadOnly) || !file->seek(from))
            return s->abort();
        m_streaming.insert(s, file);
        feed(s);
    }

    void feed(QSslSocket *s)
    {
        const auto file = m_streaming.value(s);
        while (file && s->state() == QAbstractSocket::ConnectedState && s->bytesToWrite() + s->encryptedBytesToWrite() < MiB) {
            QByteArray chunk = file->read(256 * 1024);
            if (chunk.isEmpty())
                chunk = QByteArray(256 * 1024, 'x');   // past the range: without end
            s->write(chunk);
        }
    }

    EvilNode *m_evil;
    bool m_announceTooMuch;
    QHash<QSslSocket *, QByteArray> m_in;
    QHash<QSslSocket *, std::shared_ptr<QFile>> m_streaming;
};

// Whether a TLS-PSK handshake with key completes against the peer server on port.
bool handshakes(quint16 port, const GroupKey &key)
{
    QSslSocket s;
    s.setSslConfiguration(PeerServer::tlsConfiguration());
    s.setProxy(QNetworkProxy::NoProxy);
    QObject::connect(&s, &QSslSocket::preSharedKeyAuthenticationRequired, &s, [&key](QSslPreSharedKeyAuthenticator *a) {
        a->setIdentity(PeerServer::pskIdentity(key, QStringLiteral("probe")));
        a->setPreSharedKey(key.pskKey());
    });
    bool failed = false;
    QObject::connect(&s, &QAbstractSocket::errorOccurred, &s, [&failed] { failed = true; });
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    return QTest::qWaitFor([&] { return s.isEncrypted() || failed; }, kTimeout) && s.isEncrypted();
}

// What the client's probe will see: the origin's HEAD answer.
OriginFacts probeOrigin(const QUrl &url, const QList<std::pair<QByteArray, QByteArray>> &headers = {})
{
    QNetworkAccessManager nam;
    QNetworkRequest request(url);
    request.setRawHeader("Accept-Encoding", "identity");
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    std::unique_ptr<QNetworkReply> reply(nam.head(request));
    if (!QTest::qWaitFor([&] { return reply->isFinished(); }, kTimeout))
        qWarning() << "the origin never answered the HEAD of" << url;
    return PeerSource::factsOf(reply.get());
}

// Lets every queued hashing job of PeerCache::onFileValidated finish and deliver its result:
// after this, whatever a validation was going to cache is in the store.
void drainCaching()
{
    QThreadPool::globalInstance()->waitForDone();
    for (int i = 0; i < 3; ++i)
        QCoreApplication::processEvents();
}

// Complete and Cancel take a job's credentials out of the keychain asynchronously. A
// JobManager destroyed while that runs takes its pending QtKeychain job with it, and the Secret
// Service's late answer then crashes the process (see the report), so a test waits until the
// keychain no longer holds them: its own read comes back after the delete, on one connection.
bool credentialsForgotten(const QUuid &job, AuthTarget target, AuthScheme scheme)
{
    CredentialStore keychain(QStringLiteral("ferry"));
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto answer = std::make_shared<std::optional<Status>>();
        keychain.read(job, target, scheme, [answer](const Status &s, const Credentials &) { *answer = s; });
        if (!QTest::qWaitFor([&] { return answer->has_value(); }, kTimeout))
            return false;
        if ((*answer)->code == hr::BG_E_NOT_FOUND)
            return true;
        QTest::qWait(20);
    }
    return false;
}

QString describeFile(const JobFile &f)
{
    return QStringLiteral("bytesFromPeers %1, downloadedFromPeer %2, peerVerification '%3', peerId %4, %5 of %6 bytes")
        .arg(f.bytesFromPeers)
        .arg(f.downloadedFromPeer)
        .arg(peerVerificationName(f.peerVerification), f.peerId)
        .arg(f.bytesTransferred)
        .arg(f.bytesTotal);
}

int countRequests(const FaultServer &origin, const QUrl &url, const QByteArray &method)
{
    const QByteArray target = url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority);
    int n = 0;
    for (const FaultServer::Request &r : origin.requests())
        n += r.path == target && r.method == method ? 1 : 0;
    return n;
}

} // namespace

#define WAIT_NODE_STATE(node, id, expected)                                                          \
    QTRY_VERIFY2_WITH_TIMEOUT((node).f->state(id) == (expected),                                     \
                              qPrintable(QStringLiteral("%1: expected %2, %3")                        \
                                             .arg((node).name, stateName(expected),                   \
                                                  describeJob((node).f->job(id)))),                   \
                              kTimeout)

#define START_NODE(node, ...)                                                                        \
    do {                                                                                             \
        const QString why_ = startNode(node, __VA_ARGS__);                                           \
        if (why_ == QLatin1String("skip"))                                                           \
            QSKIP("no Secret Service keychain (tests/run.sh starts one)");                           \
        QVERIFY2(why_.isEmpty(), qPrintable((node).name + QLatin1String(": ") + why_));             \
    } while (false)

#define START_EVIL(evil, ...)                                                                        \
    do {                                                                                             \
        const QString why_ = (evil).start(*m_key, __VA_ARGS__);                                      \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                  \
    } while (false)

// The client knows the serving node (its TLS port, serving) before a job asks for a plan.
#define MEET(client, servingPeerId)                                                                  \
    QTRY_VERIFY2_WITH_TIMEOUT(((client).cache->rediscover(), (client).knows(servingPeerId)),          \
                              qPrintable((client).name + QLatin1String(" never heard of ") + (servingPeerId)), kTimeout)

class TestPeerCache : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    // T1
    void flagMatrixClient_data();
    void flagMatrixClient();
    void flagMatrixServer();
    void machineServerOffStopsServing();
    // T2
    void credentialedJobNeverUsesPeers();
    void noStoreOriginIsNeitherLookedUpNorCached();
    // T3
    void originChangedAfterCachingMisses();
    void originDownMeansNoPeerTraffic();
    // T7
    void badBlockIsRefetchedFromOrigin();
    void forgedManifestRejectedBeforeDownload_data();
    void forgedManifestRejectedBeforeDownload();
    void sha512OnlyOriginCatchesForgeryAtTheEnd();
    void noDigestAcceptedAsGroupAndNotReserved();
    void headRefusedProbesWithOneByte();
    void badBlockRestComesFromAnotherPeer();
    void badMacBans();
    void overSendingPeerIsStruckAndCutOff_data();
    void overSendingPeerIsStruckAndCutOff();
    void wrongOriginDigestIsAnIntegrityError();
    // T8
    void notServedBeforeValidation();
    void validationStateTrueServes();
    void invalidPeerFileRefetchedFromOrigin();
    void invalidOriginFileFailsValidation();
    void invalidatingAValidatedFileDropsItsRecord();
    // T11
    void oneDigestTwoUrlsShareARecord();
    // Key rotation
    void revokedPreviousKeyIsRefusedAtOnce();

private:
    QString startNode(Node &node, const QList<quint16> &peerUdpPorts, const QList<std::pair<QString, QString>> &settings = {});
    QUuid download(Node &node, const QUrl &url, quint32 flags, const QString &localName);
    // A serving node caches url (SERVER job, Complete) and shows one validated record.
    void cacheOn(Node &node, const QUrl &url, const QString &localName);

    std::optional<GroupKey> m_key;
    std::unique_ptr<FaultServer> m_origin;
    quint32 m_seed = 100;   // each test its own payloads
};

void TestPeerCache::initTestCase()
{
    qRegisterMetaType<JobState>();
    m_key = GroupKey::generate();
}

void TestPeerCache::init()
{
    m_origin = std::make_unique<FaultServer>();
    QVERIFY(m_origin->port() != 0);
    m_seed += 10;
}

void TestPeerCache::cleanup()
{
    m_origin.reset();
}

QString TestPeerCache::startNode(Node &node, const QList<quint16> &peerUdpPorts, const QList<std::pair<QString, QString>> &settings)
{
    node.f = std::make_unique<EngineFixture>();
    if (!node.f->isValid())
        return node.f->error();
    if (node.udpPort == 0)
        node.udpPort = uniquePort();
    // 0: the server takes a free port itself and discovery advertises it, so no other suite can
    // take a probed port before the server binds it.
    node.tlsPort = 0;
    node.cache = std::make_unique<PeerCache>(node.f->store(), node.f->databasePath(),
                                             node.f->profileDir() + QStringLiteral("/peercache"));
    node.f->jobs()->attachPeerCache(node.cache.get());
    node.cache->start();
    QStringList statics;
    for (quint16 p : peerUdpPorts)
        statics << QStringLiteral("127.0.0.1:%1").arg(p);
    QList<std::pair<QString, QString>> all = {
        {QStringLiteral("multicast"), QStringLiteral("false")},
        {QStringLiteral("discoveryPort"), QString::number(node.udpPort)},
        {QStringLiteral("tlsPort"), QString::number(node.tlsPort)},
        {QStringLiteral("staticPeers"), statics.join(QLatin1Char(' '))},
        {QStringLiteral("enabled"), QStringLiteral("true")},
    };
    all += settings;
    for (const auto &[key, value] : std::as_const(all))
        if (Status s = node.cache->set(key, value); !s)
            return QStringLiteral("cache set %1 %2: %3").arg(key, value, s.message);
    struct Result
    {
        bool done = false;
        Status status;
    };
    auto result = std::make_shared<Result>();
    node.cache->group()->import(m_key->base32(), [result](const Status &s) {
        result->done = true;
        result->status = s;
    });
    if (!QTest::qWaitFor([&] { return result->done; }, kTimeout))
        return keychainRequired() ? QStringLiteral("the keychain never answered") : QStringLiteral("skip");
    if (!result->status)
        return keychainRequired() ? QStringLiteral("the keychain refused the group key: ") + result->status.message
                                  : QStringLiteral("skip");
    const bool enabled = node.f->jobs()->settings().peerCachingEnabled;
    if (enabled && !QTest::qWaitFor([&] { return node.cache->isActive() && node.cache->server()->isListening()
                                                 && node.cache->discovery()->isRunning(); }, kTimeout))
        return QStringLiteral("peer caching is not running: ") + node.cache->offReason();
    return {};
}

QUuid TestPeerCache::download(Node &node, const QUrl &url, quint32 flags, const QString &localName)
{
    const QUuid id = node.f->addJob(localName, {{url, localName}});
    if (id.isNull()) {
        qWarning().noquote() << node.name << node.f->error();
        return {};
    }
    if (Status s = node.f->jobs()->setPeerCachingFlags(id, flags); !s) {
        qWarning().noquote() << node.name << "setPeerCachingFlags:" << s.message;
        return {};
    }
    if (Status s = node.f->jobs()->resume(id); !s) {
        qWarning().noquote() << node.name << "resume:" << s.message;
        return {};
    }
    return id;
}

void TestPeerCache::cacheOn(Node &node, const QUrl &url, const QString &localName)
{
    const int before = node.recordCount();
    const QUuid id = download(node, url, peercaching::Server, localName);
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(node, id, JobState::Transferred);
    QCOMPARE(node.file(id).bytesFromPeers, 0);
    QVERIFY2(node.file(id).notServable.isEmpty(), qPrintable(node.file(id).notServable));
    QVERIFY(node.f->jobs()->complete(id));
    QTRY_COMPARE_WITH_TIMEOUT(node.recordCount(), before + 1, kTimeout);
    QVERIFY(node.records().constFirst().validated);
}

// ---- T1: both levels must allow it ----

void TestPeerCache::flagMatrixClient_data()
{
    QTest::addColumn<quint32>("jobFlags");
    QTest::addColumn<QString>("machineSetting");   // "key=value" applied to the client, or empty
    QTest::addColumn<bool>("usesPeers");
    QTest::newRow("job CLIENT, machine on") << peercaching::Client << QString() << true;
    QTest::newRow("job CLIENT|SERVER, machine on") << (peercaching::Client | peercaching::Server) << QString() << true;
    QTest::newRow("job without flags") << quint32(0) << QString() << false;
    QTest::newRow("job SERVER only") << peercaching::Server << QString() << false;
    QTest::newRow("job CLIENT, machine client off") << peercaching::Client << QStringLiteral("client=false") << false;
    QTest::newRow("job CLIENT, machine disabled") << peercaching::Client << QStringLiteral("enabled=false") << false;
}

void TestPeerCache::flagMatrixClient()
{
    QFETCH(quint32, jobFlags);
    QFETCH(QString, machineSetting);
    QFETCH(bool, usesPeers);

    Node client{QStringLiteral("client")};
    EvilNode evil;   // here an honest holder of the file: it serves the origin's own bytes
    client.udpPort = uniquePort();
    const quint16 evilUdp = uniquePort();
    QList<std::pair<QString, QString>> settings;
    if (!machineSetting.isEmpty())
        settings.append({machineSetting.section(QLatin1Char('='), 0, 0), machineSetting.section(QLatin1Char('='), 1)});
    START_NODE(client, {evilUdp});
    START_EVIL(evil, evilUdp, {client.udpPort});
    MEET(client, evil.peerId);
    // The machine-level switch goes off only now, once the client knows the peer: with it on
    // the job would have used it.
    for (const auto &[key, value] : std::as_const(settings))
        QVERIFY(client.cache->set(key, value));

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    const QString honest = evil.dir.filePath(QStringLiteral("honest.bin"));
    QVERIFY(TestContent::writeFile(honest, m_seed, kSize));
    QString error;
    QVERIFY2(!evil.offer(url, probeOrigin(url), honest, {}, &error).isEmpty(), qPrintable(error));
    m_origin->clear();

    const QUuid id = download(client, url, jobFlags, QStringLiteral("matrix.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("matrix.bin"))), contentSha(m_seed, kSize));
    if (usesPeers) {
        QVERIFY2(file.downloadedFromPeer, qPrintable(describeFile(file)));
        QCOMPARE(file.bytesFromPeers, kSize);
        QCOMPARE(file.peerId, evil.peerId);
        QCOMPARE(evil.served().bytesServed, kSize);
        QCOMPARE(countRequests(*m_origin, url, "GET"), 0);
    } else {
        QVERIFY2(!file.downloadedFromPeer, qPrintable(describeFile(file)));
        QCOMPARE(file.bytesFromPeers, 0);
        QCOMPARE(evil.served().requests, 0);           // not even asked
        QCOMPARE(evil.served().handshakesCompleted, 0);
        QCOMPARE(countRequests(*m_origin, url, "HEAD"), 0);   // no origin probe either
        QCOMPARE(countRequests(*m_origin, url, "GET"), 1);
    }
}

void TestPeerCache::flagMatrixServer()
{
    Node node{QStringLiteral("server")};
    START_NODE(node, {}, {{QStringLiteral("server"), QStringLiteral("false")}});

    // Machine server off: a SERVER job's file is not cached.
    const QUrl first = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    QUuid id = download(node, first, peercaching::Server, QStringLiteral("off.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(node, id, JobState::Transferred);
    QVERIFY(node.f->jobs()->complete(id));
    drainCaching();
    QCOMPARE(node.recordCount(), 0);

    // Machine server on, job without SERVER: not cached.
    QVERIFY(node.cache->set(QStringLiteral("server"), QStringLiteral("true")));
    const QUrl second = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed + 1));
    id = download(node, second, 0, QStringLiteral("noflag.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(node, id, JobState::Transferred);
    QVERIFY(node.f->jobs()->complete(id));
    drainCaching();
    QCOMPARE(node.recordCount(), 0);

    // Both on: cached, as the origin's bytes.
    const QUrl third = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed + 2));
    cacheOn(node, third, QStringLiteral("on.bin"));
    const CacheRecord r = node.records().constFirst();
    QCOMPARE(r.url, third.toString(QUrl::FullyEncoded));
    QCOMPARE(r.fileSha256, contentSha(m_seed + 2, kSize));
    QCOMPARE(r.source, QStringLiteral("origin"));
}

// A record cached while SERVER was allowed stays, but is not served while the machine's server
// switch is off (docs/peer-caching.md §6.2: the same 404 as an unknown id), and is served again
// once it is on.
void TestPeerCache::machineServerOffStopsServing()
{
    Node server{QStringLiteral("server")}, client{QStringLiteral("client")};
    server.udpPort = uniquePort();
    client.udpPort = uniquePort();
    START_NODE(server, {client.udpPort});
    START_NODE(client, {server.udpPort});
    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    cacheOn(server, url, QStringLiteral("served.bin"));
    MEET(client, server.peerId());

    QVERIFY(server.cache->set(QStringLiteral("server"), QStringLiteral("false")));
    QUuid id = download(client, url, peercaching::Client, QStringLiteral("off.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    QCOMPARE(client.file(id).bytesFromPeers, 0);
    QCOMPARE(server.served().bytesServed, 0);
    QCOMPARE(server.recordCount(), 1);   // validated before: it stays
    QVERIFY(client.f->jobs()->complete(id));

    QVERIFY(server.cache->set(QStringLiteral("server"), QStringLiteral("true")));
    MEET(client, server.peerId());
    id = download(client, url, peercaching::Client, QStringLiteral("on.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    QCOMPARE(client.file(id).bytesFromPeers, kSize);
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("on.bin"))), contentSha(m_seed, kSize));
}

// ---- T2: access without origin rights ----

void TestPeerCache::credentialedJobNeverUsesPeers()
{
    Node client{QStringLiteral("client")};
    EvilNode evil;
    client.udpPort = uniquePort();
    const quint16 evilUdp = uniquePort();
    START_NODE(client, {evilUdp});
    START_EVIL(evil, evilUdp, {client.udpPort});
    MEET(client, evil.peerId);

    m_origin->setDigestCredentials("alice", "s3cret");
    const QUrl url = m_origin->url(QStringLiteral("/basic/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    const OriginFacts facts = probeOrigin(url, {{"Authorization", "Basic " + QByteArray("alice:s3cret").toBase64()}});
    QCOMPARE(facts.status, 200);
    const QString honest = evil.dir.filePath(QStringLiteral("honest.bin"));
    QVERIFY(TestContent::writeFile(honest, m_seed, kSize));
    QString error;
    QVERIFY2(!evil.offer(url, facts, honest, {}, &error).isEmpty(), qPrintable(error));
    m_origin->clear();

    const QUuid id = client.f->addJob(QStringLiteral("cred.bin"), {{url, QStringLiteral("cred.bin")}});
    QVERIFY(!id.isNull());
    QVERIFY(client.f->jobs()->setPeerCachingFlags(id, peercaching::Client | peercaching::Server));
    auto stored = std::make_shared<std::optional<Status>>();
    client.f->jobs()->setCredentials(id, AuthTarget::Server, AuthScheme::Basic, {QStringLiteral("alice"), QStringLiteral("s3cret")},
                                     [stored](const Status &s) { *stored = s; });
    QTRY_VERIFY_WITH_TIMEOUT(stored->has_value(), kTimeout);
    QVERIFY2(**stored, qPrintable((*stored)->message));
    QVERIFY(client.f->jobs()->resume(id));
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QVERIFY2(!file.downloadedFromPeer, qPrintable(describeFile(file)));
    QCOMPARE(file.bytesFromPeers, 0);
    QCOMPARE(evil.served().requests, 0);
    QCOMPARE(evil.served().handshakesCompleted, 0);
    QCOMPARE(countRequests(*m_origin, url, "HEAD"), 0);

    // Credentialed content is not served to others either.
    QVERIFY(client.f->jobs()->complete(id));
    QVERIFY(credentialsForgotten(id, AuthTarget::Server, AuthScheme::Basic));
    drainCaching();
    QCOMPARE(client.recordCount(), 0);
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("cred.bin"))), contentSha(m_seed, kSize));
}

void TestPeerCache::noStoreOriginIsNeitherLookedUpNorCached()
{
    Node client{QStringLiteral("client")};
    EvilNode evil;
    client.udpPort = uniquePort();
    const quint16 evilUdp = uniquePort();
    START_NODE(client, {evilUdp});
    START_EVIL(evil, evilUdp, {client.udpPort});
    MEET(client, evil.peerId);

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2&cc=no-store").arg(kSize).arg(m_seed));
    const OriginFacts facts = probeOrigin(url);
    QCOMPARE(facts.cacheControl, QStringLiteral("no-store"));
    const QString honest = evil.dir.filePath(QStringLiteral("honest.bin"));
    QVERIFY(TestContent::writeFile(honest, m_seed, kSize));
    QString error;
    QVERIFY2(!evil.offer(url, facts, honest, {}, &error).isEmpty(), qPrintable(error));
    m_origin->clear();

    const QUuid id = download(client, url, peercaching::Client | peercaching::Server, QStringLiteral("nostore.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QVERIFY2(!file.downloadedFromPeer, qPrintable(describeFile(file)));
    QCOMPARE(file.bytesFromPeers, 0);
    QVERIFY2(file.notServable.contains(QLatin1String("no-store")), qPrintable(file.notServable));
    QCOMPARE(evil.served().requests, 0);   // the probe said no: no lookup
    QVERIFY(client.f->jobs()->complete(id));
    drainCaching();
    QCOMPARE(client.recordCount(), 0);
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("nostore.bin"))), contentSha(m_seed, kSize));
}

// ---- T3: stale content ----

void TestPeerCache::originChangedAfterCachingMisses()
{
    Node server{QStringLiteral("server")}, client{QStringLiteral("client")};
    server.udpPort = uniquePort();
    client.udpPort = uniquePort();
    START_NODE(server, {client.udpPort});
    START_NODE(client, {server.udpPort});

    // The server node caches version 1 (ETag "v1"); every later request sees version 2.
    const QUrl url = m_origin->url(QStringLiteral("/etag-change?size=%1&seed=%2&after=%1").arg(kSize).arg(m_seed));
    cacheOn(server, url, QStringLiteral("v1.bin"));
    QCOMPARE(server.records().constFirst().fileSha256, contentSha(m_seed, kSize));
    MEET(client, server.peerId());

    const QUuid id = download(client, url, peercaching::Client, QStringLiteral("v2.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QVERIFY2(!file.downloadedFromPeer, qPrintable(describeFile(file)));
    QCOMPARE(file.bytesFromPeers, 0);
    QVERIFY2(server.served().requests >= 1, "the client never looked the file up");
    QCOMPARE(server.served().contentResponses, 0);
    QCOMPARE(server.served().bytesServed, 0);
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("v2.bin"))), contentSha(m_seed + 1000, kSize));
}

void TestPeerCache::originDownMeansNoPeerTraffic()
{
    Node server{QStringLiteral("server")}, client{QStringLiteral("client")};
    server.udpPort = uniquePort();
    client.udpPort = uniquePort();
    START_NODE(server, {client.udpPort});
    START_NODE(client, {server.udpPort});

    auto origin = std::make_unique<FaultServer>();
    const QUrl url = origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    cacheOn(server, url, QStringLiteral("cached.bin"));
    MEET(client, server.peerId());
    const qint64 asked = server.served().requests;
    origin.reset();   // the origin is gone; the peer still holds its bytes

    const QUuid id = download(client, url, peercaching::Client, QStringLiteral("down.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::TransientError);
    QCOMPARE(client.f->job(id).error.context, ErrorContext::GeneralTransport);
    QCOMPARE(client.file(id).bytesFromPeers, 0);
    QCOMPARE(client.f->fileBytes(id), 0);
    QCOMPARE(server.served().requests, asked);
    QCOMPARE(server.served().handshakesCompleted, 0);
    QCOMPARE(server.served().bytesServed, 0);
}

// ---- T7: a malicious group member ----

void TestPeerCache::badBlockIsRefetchedFromOrigin()
{
    Node client{QStringLiteral("client")};
    EvilNode evil;
    client.udpPort = uniquePort();
    const quint16 evilUdp = uniquePort();
    START_NODE(client, {evilUdp});
    START_EVIL(evil, evilUdp, {client.udpPort});
    MEET(client, evil.peerId);

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    const QString honest = evil.dir.filePath(QStringLiteral("honest.bin"));
    QVERIFY(TestContent::writeFile(honest, m_seed, kSize));
    QString error;
    const QString record = evil.offer(url, probeOrigin(url), honest, {}, &error);
    QVERIFY2(!record.isEmpty(), qPrintable(error));
    {   // An honest manifest, but block 3 of the served copy has one byte flipped.
        QFile data(evil.store->record(record)->path);
        QVERIFY(data.open(QIODevice::ReadWrite));
        QVERIFY(data.seek(3 * MiB + 4321));
        char c = 0;
        QVERIFY(data.getChar(&c));
        QVERIFY(data.seek(3 * MiB + 4321));
        QVERIFY(data.putChar(char(c ^ 0x5a)));
    }
    m_origin->clear();

    const QUuid id = download(client, url, peercaching::Client, QStringLiteral("block3.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QVERIFY2(file.downloadedFromPeer, qPrintable(describeFile(file)));
    QCOMPARE(file.bytesFromPeers, 3 * MiB);   // blocks 0-2; nothing of block 3 was kept
    QCOMPARE(file.peerId, evil.peerId);
    QCOMPARE(file.peerVerification, PeerVerification::Group);
    // The rest came from the origin by range, starting at block 3.
    bool ranged = false;
    for (const FaultServer::Request &r : m_origin->requests())
        ranged |= r.method == "GET" && r.rangeHeader == "bytes=" + QByteArray::number(3 * MiB) + "-";
    QVERIFY2(ranged, "no ranged origin request from block 3");
    const auto struck = client.peer(evil.peerId);
    QVERIFY(struck);
    QCOMPARE(struck->strikes, 1);
    QVERIFY(struck->bannedUntilMs <= QDateTime::currentMSecsSinceEpoch());   // one strike is no ban
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("block3.bin"))), contentSha(m_seed, kSize));

    // A second bad block within 24 h: banned.
    const QUuid again = download(client, url, peercaching::Client, QStringLiteral("block3-again.bin"));
    QVERIFY(!again.isNull());
    WAIT_NODE_STATE(client, again, JobState::Transferred);
    QCOMPARE(client.file(again).bytesFromPeers, 3 * MiB);
    QCOMPARE(client.peer(evil.peerId)->strikes, 2);
    QVERIFY2(client.cache->store()->isBanned(evil.peerId), "two bad blocks in 24 h are a ban");
    QVERIFY(client.f->jobs()->complete(again));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("block3-again.bin"))), contentSha(m_seed, kSize));
}

void TestPeerCache::forgedManifestRejectedBeforeDownload_data()
{
    QTest::addColumn<bool>("claimOriginSha");
    // The forger's manifest names its own bytes' SHA-256 (found by CK-V only) ...
    QTest::newRow("self-consistent, found by CK-V") << false;
    // ... or claims the origin's SHA-256 as its ck_d and is indexed under the origin's CK-D.
    QTest::newRow("claims the origin's CK-D") << true;
}

void TestPeerCache::forgedManifestRejectedBeforeDownload()
{
    QFETCH(bool, claimOriginSha);
    Node client{QStringLiteral("client")};
    EvilNode evil;
    client.udpPort = uniquePort();
    const quint16 evilUdp = uniquePort();
    START_NODE(client, {evilUdp});
    START_EVIL(evil, evilUdp, {client.udpPort});
    MEET(client, evil.peerId);

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2&digest=sha256").arg(kSize).arg(m_seed));
    const OriginFacts facts = probeOrigin(url);
    QCOMPARE(contentKeyD(facts), QStringLiteral("sha256:") + contentSha(m_seed, kSize));
    const QString forged = evil.dir.filePath(QStringLiteral("forged.bin"));
    QVERIFY(TestContent::writeFile(forged, m_seed + 500, kSize));   // other bytes, same size
    EvilNode::Offer how;
    if (claimOriginSha) {
        how.alsoIndexUnder = contentKeyD(facts);
        how.forge = [&](Manifest &m) { m.contentKeyD = contentKeyD(facts); };
    }
    QString error;
    QVERIFY2(!evil.offer(url, facts, forged, how, &error).isEmpty(), qPrintable(error));
    m_origin->clear();

    const QUuid id = download(client, url, peercaching::Client, QStringLiteral("forged.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QVERIFY2(!file.downloadedFromPeer, qPrintable(describeFile(file)));
    QCOMPARE(file.bytesFromPeers, 0);
    QVERIFY2(evil.served().requests >= 2, "the manifest was never asked for");   // has, m
    QCOMPARE(evil.served().contentResponses, 0);
    QCOMPARE(evil.served().bytesServed, 0);
    const auto banned = client.peer(evil.peerId);
    QVERIFY(banned);
    QVERIFY2(banned->bannedUntilMs > QDateTime::currentMSecsSinceEpoch(), "the forger is not banned");
    QVERIFY(client.cache->store()->isBanned(evil.peerId));
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("forged.bin"))), contentSha(m_seed, kSize));

    // Banned: the next job does not even ask it.
    const qint64 asked = evil.served().requests;
    const QUuid again = download(client, url, peercaching::Client, QStringLiteral("again.bin"));
    QVERIFY(!again.isNull());
    WAIT_NODE_STATE(client, again, JobState::Transferred);
    QCOMPARE(evil.served().requests, asked);
}

void TestPeerCache::sha512OnlyOriginCatchesForgeryAtTheEnd()
{
    Node client{QStringLiteral("client")};
    EvilNode evil;
    client.udpPort = uniquePort();
    const quint16 evilUdp = uniquePort();
    START_NODE(client, {evilUdp});
    START_EVIL(evil, evilUdp, {client.udpPort});
    MEET(client, evil.peerId);

    // The origin publishes only a SHA-512: no CK-D, a CK-V lookup, a SHA-512 check at the end.
    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2&digest=sha512").arg(kSize).arg(m_seed));
    const OriginFacts facts = probeOrigin(url);
    QVERIFY(contentKeyD(facts).isEmpty());
    QCOMPARE(facts.digests.size(), 1);
    QCOMPARE(facts.digests.first().algorithm, QStringLiteral("sha-512"));
    // Tampered bytes (block 2 replaced) with a manifest consistent with them: every block hash
    // and the whole-file SHA-256 match what is served.
    const QString tampered = evil.dir.filePath(QStringLiteral("tampered.bin"));
    QVERIFY(TestContent::writeFile(tampered, m_seed, kSize));
    {
        QFile f(tampered);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.seek(2 * MiB));
        QCOMPARE(f.write(TestContent::bytes(m_seed + 7, 0, MiB)), MiB);
    }
    QString error;
    QVERIFY2(!evil.offer(url, facts, tampered, {}, &error).isEmpty(), qPrintable(error));
    m_origin->clear();

    const QUuid id = download(client, url, peercaching::Client, QStringLiteral("sha512.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QVERIFY2(evil.served().contentResponses >= 1, "the peer was never used: nothing to catch at the end");
    // docs/peer-caching.md §8, step 7: every origin digest must match the finished file; the
    // peer bytes are redone from the origin.
    const QString assembled = fileSha(file.tempName);
    QVERIFY2(assembled == contentSha(m_seed, kSize),
             qPrintable(QStringLiteral("the transferred file is not the origin's (SHA-256 %1, origin %2): %3")
                            .arg(assembled, contentSha(m_seed, kSize), describeFile(file))));
    QVERIFY2(!file.downloadedFromPeer, qPrintable(describeFile(file)));
    QCOMPARE(file.bytesFromPeers, 0);
    QVERIFY(countRequests(*m_origin, url, "GET") >= 1);
    const auto struck = client.peer(evil.peerId);
    QVERIFY(struck && (struck->strikes >= 1 || struck->bannedUntilMs > QDateTime::currentMSecsSinceEpoch()));
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("sha512.bin"))), contentSha(m_seed, kSize));
}

void TestPeerCache::noDigestAcceptedAsGroupAndNotReserved()
{
    Node server{QStringLiteral("server")}, client{QStringLiteral("client")};
    server.udpPort = uniquePort();
    client.udpPort = uniquePort();
    START_NODE(server, {client.udpPort});
    START_NODE(client, {server.udpPort});

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    cacheOn(server, url, QStringLiteral("served.bin"));
    MEET(client, server.peerId());
    m_origin->clear();

    const QUuid id = download(client, url, peercaching::Client | peercaching::Server, QStringLiteral("group.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QVERIFY2(file.downloadedFromPeer, qPrintable(describeFile(file)));
    QCOMPARE(file.bytesFromPeers, kSize);
    QCOMPARE(file.peerVerification, PeerVerification::Group);
    QCOMPARE(file.peerId, server.peerId());
    QCOMPARE(countRequests(*m_origin, url, "GET"), 0);
    QCOMPARE(countRequests(*m_origin, url, "HEAD"), 1);   // the probe: the origin is still asked
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("group.bin"))), contentSha(m_seed, kSize));
    // No laundering: a SERVER job's file proven only by the group is not served again.
    drainCaching();
    QCOMPARE(client.recordCount(), 0);
}

// T2: an origin that refuses HEAD is probed with a one-byte ranged GET instead, and peers are used.
void TestPeerCache::headRefusedProbesWithOneByte()
{
    Node server{QStringLiteral("server")}, client{QStringLiteral("client")};
    server.udpPort = uniquePort();
    client.udpPort = uniquePort();
    START_NODE(server, {client.udpPort});
    START_NODE(client, {server.udpPort});

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2&head=405").arg(kSize).arg(m_seed));
    cacheOn(server, url, QStringLiteral("served.bin"));
    MEET(client, server.peerId());
    m_origin->clear();

    const QUuid id = download(client, url, peercaching::Client, QStringLiteral("nohead.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    QCOMPARE(client.file(id).bytesFromPeers, kSize);
    QCOMPARE(countRequests(*m_origin, url, "HEAD"), 1);
    bool oneByte = false;
    for (const FaultServer::Request &r : m_origin->requests())
        oneByte = oneByte || (r.method == "GET" && r.rangeHeader == "bytes=0-0" && r.bodyBytesSent <= 1);
    QVERIFY(oneByte);
    QCOMPARE(countRequests(*m_origin, url, "GET"), 1); // the probe; every byte of the file came from the peer
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("nohead.bin"))), contentSha(m_seed, kSize));
}

// With an honest peer beside the evil one, whatever the evil one spoiled comes from the honest
// one, not the origin (docs/peer-caching.md §8, step 5). Which peer is asked first is up to discovery.
void TestPeerCache::badBlockRestComesFromAnotherPeer()
{
    Node client{QStringLiteral("client")}, server{QStringLiteral("server")};
    EvilNode evil;
    client.udpPort = uniquePort();
    server.udpPort = uniquePort();
    const quint16 evilUdp = uniquePort();
    START_NODE(server, {client.udpPort});
    START_NODE(client, {server.udpPort, evilUdp});
    START_EVIL(evil, evilUdp, {client.udpPort});

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    cacheOn(server, url, QStringLiteral("served.bin"));
    const QString honest = evil.dir.filePath(QStringLiteral("honest.bin"));
    QVERIFY(TestContent::writeFile(honest, m_seed, kSize));
    QString error;
    const QString record = evil.offer(url, probeOrigin(url), honest, {}, &error);
    QVERIFY2(!record.isEmpty(), qPrintable(error));
    {
        QFile data(evil.store->record(record)->path);
        QVERIFY(data.open(QIODevice::ReadWrite));
        QVERIFY(data.seek(3 * MiB + 99));
        QVERIFY(data.putChar('\x7f') && data.seek(3 * MiB + 100) && data.putChar('\x01'));
    }
    MEET(client, server.peerId());
    MEET(client, evil.peerId);
    m_origin->clear();

    const QUuid id = download(client, url, peercaching::Client, QStringLiteral("two-peers.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QCOMPARE(file.bytesFromPeers, kSize);                   // every byte from peers
    QCOMPARE(countRequests(*m_origin, url, "GET"), 0);       // none from the origin
    if (evil.served().bytesServed > 0) {                     // the evil peer went first
        QCOMPARE(client.peer(evil.peerId)->strikes, 1);
        QCOMPARE(file.peerId, server.peerId());              // the honest one finished it
    }
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("two-peers.bin"))), contentSha(m_seed, kSize));
}

void TestPeerCache::overSendingPeerIsStruckAndCutOff_data()
{
    QTest::addColumn<bool>("announceTooMuch");
    // The range, then more without end: the client takes the range, notices the rest, stops.
    QTest::newRow("endless past the range") << false;
    // A Content-Length past the range: refused before a byte is taken; the origin supplies it.
    QTest::newRow("length past the range") << true;
}

void TestPeerCache::overSendingPeerIsStruckAndCutOff()
{
    QFETCH(bool, announceTooMuch);
    Node client{QStringLiteral("client")};
    EvilNode evil;
    client.udpPort = uniquePort();
    const quint16 evilUdp = uniquePort();
    START_NODE(client, {evilUdp});
    START_EVIL(evil, evilUdp, {client.udpPort});
    OverSendingPeer over(&evil, announceTooMuch);
    QVERIFY(over.isListening());
    evil.discovery->setTlsPort(over.serverPort());   // clients come to the over-sender instead
    QTRY_VERIFY_WITH_TIMEOUT((client.cache->rediscover(), client.cache->discovery()->peer(evil.peerId)
                              && client.cache->discovery()->peer(evil.peerId)->tlsPort == over.serverPort()),
                             kTimeout);

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    const QString honest = evil.dir.filePath(QStringLiteral("honest.bin"));
    QVERIFY(TestContent::writeFile(honest, m_seed, kSize));
    QString error;
    QVERIFY2(!evil.offer(url, probeOrigin(url), honest, {}, &error).isEmpty(), qPrintable(error));
    m_origin->clear();

    const QUuid id = download(client, url, peercaching::Client, QStringLiteral("over.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QCOMPARE(over.contentRequests, 1);
    QCOMPARE(file.bytesFromPeers, announceTooMuch ? 0 : kSize);
    QCOMPARE(countRequests(*m_origin, url, "GET") > 0, announceTooMuch);
    QTRY_COMPARE(client.peer(evil.peerId) ? client.peer(evil.peerId)->strikes : -1, 1);
    // The client stopped reading and closed the connection: what the peer got to send is
    // bounded by socket buffers, not by how much it wanted to send.
    QTRY_VERIFY(over.droppedByClient);
    QVERIFY2(over.sent < kSize + 32 * MiB, qPrintable(QString::number(over.sent)));
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("over.bin"))), contentSha(m_seed, kSize));
}

void TestPeerCache::badMacBans()
{
    Node client{QStringLiteral("client")};
    EvilNode evil;
    client.udpPort = uniquePort();
    const quint16 evilUdp = uniquePort();
    START_NODE(client, {evilUdp});
    START_EVIL(evil, evilUdp, {client.udpPort});
    MEET(client, evil.peerId);

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    const QString honest = evil.dir.filePath(QStringLiteral("honest.bin"));
    QVERIFY(TestContent::writeFile(honest, m_seed, kSize));
    EvilNode::Offer how;
    how.badMac = true;
    QString error;
    QVERIFY2(!evil.offer(url, probeOrigin(url), honest, how, &error).isEmpty(), qPrintable(error));

    const QUuid id = download(client, url, peercaching::Client, QStringLiteral("mac.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QVERIFY2(!file.downloadedFromPeer, qPrintable(describeFile(file)));
    QCOMPARE(file.bytesFromPeers, 0);
    QCOMPARE(evil.served().bytesServed, 0);
    QVERIFY2(client.cache->store()->isBanned(evil.peerId), "a bad manifest MAC is a ban at once");
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("mac.bin"))), contentSha(m_seed, kSize));
}

// The origin's own SHA-256 is checked even with no peer involved: a file that does not match
// what the origin published fails with an integrity error.
void TestPeerCache::wrongOriginDigestIsAnIntegrityError()
{
    Node client{QStringLiteral("client")};
    START_NODE(client, {});
    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2&digest=wrong").arg(kSize).arg(m_seed));
    const QUuid id = download(client, url, peercaching::Client, QStringLiteral("wrong.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Error);
    QCOMPARE(client.f->job(id).error.code, hr::BG_E_VALIDATION_FAILED);
    QCOMPARE(client.file(id).bytesFromPeers, 0);
}

// ---- T8: validation ----

void TestPeerCache::notServedBeforeValidation()
{
    Node server{QStringLiteral("server")}, client{QStringLiteral("client")};
    server.udpPort = uniquePort();
    client.udpPort = uniquePort();
    START_NODE(server, {client.udpPort});
    START_NODE(client, {server.udpPort});
    MEET(client, server.peerId());

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    const QUuid held = download(server, url, peercaching::Server, QStringLiteral("held.bin"));
    QVERIFY(!held.isNull());
    WAIT_NODE_STATE(server, held, JobState::Transferred);
    drainCaching();
    QCOMPARE(server.recordCount(), 0);   // transferred, not validated: nothing to serve

    QUuid id = download(client, url, peercaching::Client, QStringLiteral("before.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    QCOMPARE(client.file(id).bytesFromPeers, 0);
    QVERIFY2(server.served().requests >= 1, "the client never looked the file up");
    QCOMPARE(server.served().bytesServed, 0);
    QVERIFY(client.f->jobs()->complete(id));

    // Complete validates: the record appears, validated, and the next client is served.
    QVERIFY(server.f->jobs()->complete(held));
    QTRY_COMPARE_WITH_TIMEOUT(server.recordCount(), 1, kTimeout);
    QVERIFY(server.records().constFirst().validated);
    m_origin->clear();
    id = download(client, url, peercaching::Client, QStringLiteral("after.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    QCOMPARE(client.file(id).bytesFromPeers, kSize);
    QCOMPARE(countRequests(*m_origin, url, "GET"), 0);
    QCOMPARE(server.served().bytesServed, kSize);
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("after.bin"))), contentSha(m_seed, kSize));
}

void TestPeerCache::validationStateTrueServes()
{
    Node server{QStringLiteral("server")}, client{QStringLiteral("client")};
    server.udpPort = uniquePort();
    client.udpPort = uniquePort();
    START_NODE(server, {client.udpPort});
    START_NODE(client, {server.udpPort});
    MEET(client, server.peerId());

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    const QUuid held = download(server, url, peercaching::Server, QStringLiteral("held.bin"));
    QVERIFY(!held.isNull());
    WAIT_NODE_STATE(server, held, JobState::Transferred);
    QVERIFY(server.f->jobs()->setValidationState(held, 0, true));
    QTRY_COMPARE_WITH_TIMEOUT(server.recordCount(), 1, kTimeout);
    QCOMPARE(server.records().constFirst().fileSha256, contentSha(m_seed, kSize));

    const QUuid id = download(client, url, peercaching::Client, QStringLiteral("valid.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    QCOMPARE(client.file(id).bytesFromPeers, kSize);
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("valid.bin"))), contentSha(m_seed, kSize));
    QVERIFY(server.f->jobs()->complete(held));
    QCOMPARE(fileSha(server.f->downloadPath(QStringLiteral("held.bin"))), contentSha(m_seed, kSize));
    // Complete after SetValidationState(TRUE) validates nothing new: still the one record.
    drainCaching();
    QCOMPARE(server.recordCount(), 1);
}

void TestPeerCache::invalidPeerFileRefetchedFromOrigin()
{
    Node server{QStringLiteral("server")}, client{QStringLiteral("client")};
    server.udpPort = uniquePort();
    client.udpPort = uniquePort();
    START_NODE(server, {client.udpPort});
    START_NODE(client, {server.udpPort});

    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    cacheOn(server, url, QStringLiteral("served.bin"));
    MEET(client, server.peerId());
    m_origin->clear();

    const QUuid id = download(client, url, peercaching::Client | peercaching::Server, QStringLiteral("invalid.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    QCOMPARE(client.file(id).bytesFromPeers, kSize);
    QCOMPARE(countRequests(*m_origin, url, "GET"), 0);
    const qint64 served = server.served().bytesServed;

    QVERIFY(client.f->jobs()->setValidationState(id, 0, false));
    QCOMPARE(client.file(id).bytesTransferred, 0);   // progress reset at once
    QCOMPARE(client.file(id).bytesFromPeers, 0);
    QVERIFY(client.f->state(id) != JobState::Transferred);
    QTRY_COMPARE_WITH_TIMEOUT(countRequests(*m_origin, url, "GET"), 1, kTimeout);
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QVERIFY2(!file.downloadedFromPeer, qPrintable(describeFile(file)));
    QCOMPARE(file.bytesFromPeers, 0);
    QCOMPARE(file.bytesTransferred, kSize);
    QCOMPARE(server.served().bytesServed, served);       // the origin alone this time
    QCOMPARE(countRequests(*m_origin, url, "GET"), 1);
    QCOMPARE(client.recordCount(), 0);
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("invalid.bin"))), contentSha(m_seed, kSize));
}

void TestPeerCache::invalidOriginFileFailsValidation()
{
    Node client{QStringLiteral("client")};
    START_NODE(client, {});
    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    const QUuid id = download(client, url, peercaching::Client | peercaching::Server, QStringLiteral("origin.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    QVERIFY(!client.file(id).downloadedFromPeer);
    const int gets = countRequests(*m_origin, url, "GET");

    QVERIFY(client.f->jobs()->setValidationState(id, 0, false));
    WAIT_NODE_STATE(client, id, JobState::Error);
    QCOMPARE(client.f->job(id).error.code, hr::BG_E_VALIDATION_FAILED);
    QCOMPARE(client.f->fileBytes(id), 0);
    QCOMPARE(countRequests(*m_origin, url, "GET"), gets);   // not fetched again
    QCOMPARE(client.recordCount(), 0);
}

void TestPeerCache::invalidatingAValidatedFileDropsItsRecord()
{
    Node server{QStringLiteral("server")};
    START_NODE(server, {});
    const QUrl url = m_origin->url(QStringLiteral("/file?size=%1&seed=%2").arg(kSize).arg(m_seed));
    const QUuid id = download(server, url, peercaching::Server, QStringLiteral("held.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(server, id, JobState::Transferred);
    QVERIFY(server.f->jobs()->setValidationState(id, 0, true));
    QTRY_COMPARE_WITH_TIMEOUT(server.recordCount(), 1, kTimeout);

    QVERIFY(server.f->jobs()->setValidationState(id, 0, false));
    QCOMPARE(server.recordCount(), 0);
    WAIT_NODE_STATE(server, id, JobState::Error);
    QCOMPARE(server.f->job(id).error.code, hr::BG_E_VALIDATION_FAILED);
    drainCaching();
    QCOMPARE(server.recordCount(), 0);
}

// ---- T11: one digest, two URLs ----

void TestPeerCache::oneDigestTwoUrlsShareARecord()
{
    Node server{QStringLiteral("server")}, client{QStringLiteral("client")};
    server.udpPort = uniquePort();
    client.udpPort = uniquePort();
    START_NODE(server, {client.udpPort});
    START_NODE(client, {server.udpPort});

    const QUrl first = m_origin->url(QStringLiteral("/file?size=%1&seed=%2&digest=sha256&mirror=one").arg(kSize).arg(m_seed));
    const QUrl second = m_origin->url(QStringLiteral("/file?size=%1&seed=%2&digest=sha256&mirror=two").arg(kSize).arg(m_seed));
    cacheOn(server, first, QStringLiteral("one.bin"));
    MEET(client, server.peerId());
    m_origin->clear();

    const QUuid id = download(client, second, peercaching::Client | peercaching::Server, QStringLiteral("two.bin"));
    QVERIFY(!id.isNull());
    WAIT_NODE_STATE(client, id, JobState::Transferred);
    const JobFile file = client.file(id);
    QVERIFY2(file.downloadedFromPeer, qPrintable(describeFile(file)));
    QCOMPARE(file.bytesFromPeers, kSize);
    QCOMPARE(file.peerVerification, PeerVerification::OriginStrong);
    QCOMPARE(countRequests(*m_origin, second, "GET"), 0);
    QCOMPARE(countRequests(*m_origin, first, "GET"), 0);
    QVERIFY(client.f->jobs()->complete(id));
    QCOMPARE(fileSha(client.f->downloadPath(QStringLiteral("two.bin"))), contentSha(m_seed, kSize));
    // Proven by the origin's own digest: this copy may be served again (source peer-strong).
    QTRY_COMPARE_WITH_TIMEOUT(client.recordCount(), 1, kTimeout);
    QCOMPARE(client.records().constFirst().source, QStringLiteral("peer-strong"));
    QCOMPARE(client.records().constFirst().fileSha256, contentSha(m_seed, kSize));
}

// A rotation keeps the previous key accepted; revoking it ends that at once (no restart): a
// node holding only the old key fails the handshake and its discovery datagrams are ignored,
// and a fresh load of the group (the next start) has no previous key, nor the keychain its entry.
void TestPeerCache::revokedPreviousKeyIsRefusedAtOnce()
{
    Node client{QStringLiteral("client")};
    client.udpPort = uniquePort();
    const quint16 holderUdp = uniquePort(), lateUdp = uniquePort();
    START_NODE(client, {holderUdp, lateUdp});
    const GroupKey old = *m_key;
    Status status;
    bool answered = false;
    client.cache->group()->create([&](const Status &s, const QString &) { status = s, answered = true; });
    QTRY_VERIFY_WITH_TIMEOUT(answered, kTimeout);
    QVERIFY2(status, qPrintable(status.message));
    QVERIFY(client.cache->group()->previous());
    QCOMPARE(client.cache->group()->previous()->groupId(), old.groupId());
    const GroupKey current = *client.cache->group()->current();
    const quint16 port = client.cache->server()->port();

    // Rotated: a node that holds only the old key is still heard and let in.
    EvilNode holder;
    QVERIFY2(holder.start(old, holderUdp, {client.udpPort}).isEmpty(), "holder");
    QTRY_VERIFY_WITH_TIMEOUT((client.cache->rediscover(), client.knows(holder.peerId)), kTimeout);
    QVERIFY(handshakes(port, old));
    QVERIFY(handshakes(port, current));

    // Revoked.
    QSignalSpy rejected(client.cache->discovery(), &Discovery::rejected);
    answered = false;
    client.cache->group()->revokePrevious([&](const Status &s) { status = s, answered = true; });
    QTRY_VERIFY_WITH_TIMEOUT(answered, kTimeout);
    QVERIFY2(status, qPrintable(status.message));
    QVERIFY(!client.cache->group()->previous());
    QVERIFY(!handshakes(port, old));
    QVERIFY(handshakes(port, current));
    EvilNode late;   // says HELLO under the old key
    QVERIFY2(late.start(old, lateUdp, {client.udpPort}).isEmpty(), "late");
    const auto rejectedForGroup = [&] {
        for (const QList<QVariant> &args : std::as_const(rejected))
            if (args.value(0).toString() == QLatin1String("group"))
                return true;
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(rejectedForGroup(), kTimeout);
    QVERIFY(!client.cache->discovery()->peer(late.peerId));

    // Persistently.
    PeerGroup reloaded(client.f->store());
    QSignalSpy loaded(&reloaded, &PeerGroup::keysChanged);
    reloaded.load();
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), kTimeout);
    QVERIFY(reloaded.hasKey());
    QCOMPARE(reloaded.current()->groupId(), current.groupId());
    QVERIFY(!reloaded.previous());
    CredentialStore keychain(PeerGroup::keychainService());
    std::optional<Status> read;
    keychain.readSecret(QStringLiteral("group/") + old.groupId(), [&](const Status &s, const QByteArray &) { read = s; });
    QTRY_VERIFY_WITH_TIMEOUT(read.has_value(), kTimeout);
    QCOMPARE(read->code, hr::BG_E_NOT_FOUND);

    // With nothing left to revoke: a clear error, nothing changes.
    answered = false;
    client.cache->group()->revokePrevious([&](const Status &s) { status = s, answered = true; });
    QTRY_VERIFY_WITH_TIMEOUT(answered, kTimeout);
    QCOMPARE(status.code, hr::BG_E_NOT_FOUND);
    QVERIFY(handshakes(port, current));
}

QTEST_GUILESS_MAIN(TestPeerCache)
#include "tst_peercache.moc"
