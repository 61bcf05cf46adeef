// Peer caching end to end (issue 6): three `ferry --headless` profiles on 127.0.0.1 that know
// each other as static peers, and a throttled nginx origin. A downloads a 200 MiB file and
// serves it; B (same group, CLIENT) gets its bytes from A, the origin seeing only B's probe; C
// (another group key) gets nothing from A and falls back to the origin. Every copy's SHA-256
// is the origin's.
#include "AdminRunner.h"
#include "NginxServer.h"
#include "TestContent.h"

#include "peercache/PeerCrypto.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace admintest;
using ferry::test::NginxServer;
using ferry::test::TestContent;
using ferry::test::freeLoopbackPort;

namespace {

constexpr qint64 FileSize = 200ll << 20;
constexpr quint32 FileSeed = 77;

struct Node
{
    QString name;
    QString profile;
    quint16 udpPort = 0;
    quint16 tlsPort = 0;
};

} // namespace

class TestPeerCacheE2E : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void peersSupplyTheFileAndOutsidersGetNothing();
    void adminVerbsManageRecordsAndPeers();
    void unreadableKeyTurnsPeerCachingOffWithTheReason();
    void administratorPolicyOverridesUsers();
    void revokeEndsThePreviousKeysGrace();

private:
    AdminResult admin(const Node &node, const QStringList &args);
    bool configure(const Node &node, const QList<Node> &peers, QString *why);
    QJsonObject fileInfo(const Node &node, const QString &job);
    QString download(const Node &node, const QString &file, quint32 flags);   // job id
    QList<NginxServer::LogEntry> logSince(int from) const;

    QTemporaryDir m_tmp;
    std::unique_ptr<NginxServer> m_nginx;
    Node m_a, m_b, m_c;
};

void TestPeerCacheE2E::initTestCase()
{
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");
    QVERIFY(QDir().mkpath(m_tmp.filePath(QStringLiteral("www"))));
    QVERIFY(writeRandomFile(m_tmp.filePath(QStringLiteral("www/big.bin")), FileSize, FileSeed));
    m_nginx = std::make_unique<NginxServer>(m_tmp.filePath(QStringLiteral("www")));
    m_nginx->setSlowRate("40m"); // a WAN-like origin: 5 s for the whole file
    QString error;
    QVERIFY2(m_nginx->start(&error), qPrintable(error));
    int i = 0;
    for (Node *node : {&m_a, &m_b, &m_c}) {
        node->name = QStringList{QStringLiteral("A"), QStringLiteral("B"), QStringLiteral("C")}[i++];
        node->profile = m_tmp.filePath(QStringLiteral("profile-") + node->name);
        node->udpPort = freeLoopbackPort();
        node->tlsPort = 0;   // the engine takes a free port and advertises it in discovery
    }
}

void TestPeerCacheE2E::cleanupTestCase()
{
    for (const Node *node : {&m_a, &m_b, &m_c}) {
        QString reason;
        if (!node->profile.isEmpty() && !shutdownEngine(node->profile, &reason))
            qWarning().noquote() << reason;
    }
}

AdminResult TestPeerCacheE2E::admin(const Node &node, const QStringList &args)
{
    return runAdmin(node.profile, args);
}

bool TestPeerCacheE2E::configure(const Node &node, const QList<Node> &peers, QString *why)
{
    QStringList staticPeers;
    for (const Node &p : peers)
        staticPeers << QStringLiteral("127.0.0.1:%1").arg(p.udpPort);
    const QList<QStringList> calls = {
        {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("multicast"), QStringLiteral("false")},
        {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("discoveryPort"), QString::number(node.udpPort)},
        {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("tlsPort"), QString::number(node.tlsPort)},
        {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("staticPeers"), staticPeers.join(QLatin1Char(' '))},
        {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("enabled"), QStringLiteral("true")},
    };
    for (const QStringList &call : calls) {
        const AdminResult r = admin(node, call);
        if (r.exitCode != 0) {
            *why = node.name + QStringLiteral(": ") + describe(r);
            return false;
        }
    }
    return true;
}

QString TestPeerCacheE2E::download(const Node &node, const QString &file, quint32 flags)
{
    const AdminResult created = admin(node, {QStringLiteral("create"), file});
    const QString id = created.out.trimmed();
    const QString target = m_tmp.filePath(node.name + QLatin1Char('-') + file);
    if (admin(node, {QStringLiteral("addfile"), id, m_nginx->url(QStringLiteral("/slow/big.bin")).toString(), target}).exitCode != 0
        || admin(node, {QStringLiteral("setpeercachingflags"), id, QString::number(flags)}).exitCode != 0
        || admin(node, {QStringLiteral("resume"), id}).exitCode != 0)
        return {};
    const AdminResult waited = runAdmin(node.profile, {QStringLiteral("wait"), id}, 300000);
    if (waited.exitCode != 0) {
        qWarning().noquote() << node.name << "wait:" << describe(waited) << admin(node, {QStringLiteral("geterror"), id}).out;
        return {};
    }
    return id;
}

QJsonObject TestPeerCacheE2E::fileInfo(const Node &node, const QString &job)
{
    const AdminResult r = admin(node, {QStringLiteral("info"), job, QStringLiteral("--json")});
    return jsonObject(r.out).value(QLatin1String("files")).toArray().at(0).toObject();
}

QList<NginxServer::LogEntry> TestPeerCacheE2E::logSince(int from) const
{
    return m_nginx->accessLog().mid(from);
}

void TestPeerCacheE2E::peersSupplyTheFileAndOutsidersGetNothing()
{
    QString why;
    // A and B share a group key; C has one of its own.
    QVERIFY2(configure(m_a, {m_b, m_c}, &why), qPrintable(why));
    QVERIFY2(configure(m_b, {m_a, m_c}, &why), qPrintable(why));
    QVERIFY2(configure(m_c, {m_a, m_b}, &why), qPrintable(why));
    const AdminResult created = admin(m_a, {QStringLiteral("cache"), QStringLiteral("groupkey"), QStringLiteral("create")});
    QCOMPARE(created.exitCode, 0);
    const QString key = lines(created.out).constLast();
    ADMIN_OK(admin(m_b, {QStringLiteral("cache"), QStringLiteral("groupkey"), QStringLiteral("import"), key}));
    ADMIN_OK(admin(m_c, {QStringLiteral("cache"), QStringLiteral("groupkey"), QStringLiteral("create")}));
    for (const Node *node : {&m_a, &m_b, &m_c}) {
        const QJsonObject info = jsonObject(admin(*node, {QStringLiteral("cache"), QStringLiteral("info"), QStringLiteral("--json")}).out);
        QVERIFY2(info.value(QLatin1String("active")).toBool(), qPrintable(node->name + QLatin1String(": ") + info.value(QLatin1String("reason")).toString()));
    }

    // A: from the origin, then served.
    const QString a = download(m_a, QStringLiteral("big.bin"), 0x3);
    QVERIFY(!a.isEmpty());
    ADMIN_OK(admin(m_a, {QStringLiteral("complete"), a}));
    QCOMPARE(sha256(m_tmp.filePath(QStringLiteral("A-big.bin"))), TestContent::sha256Hex(FileSeed, FileSize));
    QTRY_VERIFY_WITH_TIMEOUT(jsonArray(admin(m_a, {QStringLiteral("cache"), QStringLiteral("records"), QStringLiteral("--json")}).out).size() == 1,
                             60000);

    // B knows A (its HELLO carried A's TLS port), C does not (A's datagrams fail C's key check).
    const auto knows = [&](const Node &node, const Node &other) {
        const QJsonObject ownInfo = jsonObject(admin(other, {QStringLiteral("cache"), QStringLiteral("info"), QStringLiteral("--json")}).out);
        const QString otherId = ownInfo.value(QLatin1String("peerId")).toString();
        for (const QJsonValue &v : jsonArray(admin(node, {QStringLiteral("peers"), QStringLiteral("--json")}).out))
            if (v.toObject().value(QLatin1String("peerId")).toString() == otherId && v.toObject().value(QLatin1String("tlsPort")).toInt() > 0)
                return true;
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(knows(m_b, m_a), 30000);
    QVERIFY(!knows(m_c, m_a));

    // B: everything from A; the origin sees the probe and nothing more.
    const int beforeB = int(m_nginx->accessLog().size());
    const QString b = download(m_b, QStringLiteral("big.bin"), 0x1);
    QVERIFY(!b.isEmpty());
    const QJsonObject fileB = fileInfo(m_b, b);
    QCOMPARE(qint64(fileB.value(QLatin1String("bytesFromPeers")).toDouble()), FileSize);
    QCOMPARE(qint64(fileB.value(QLatin1String("bytesFromOrigin")).toDouble()), 0);
    QVERIFY(fileB.value(QLatin1String("downloadedFromPeer")).toBool());
    QCOMPARE(fileB.value(QLatin1String("integrityLevel")).toString(), QStringLiteral("group"));
    ADMIN_OK(admin(m_b, {QStringLiteral("complete"), b}));
    QCOMPARE(sha256(m_tmp.filePath(QStringLiteral("B-big.bin"))), TestContent::sha256Hex(FileSeed, FileSize));
    QTest::qWait(500); // nginx writes its log line once the response is out
    qint64 originBytesForB = 0;
    int probes = 0;
    for (const NginxServer::LogEntry &e : logSince(beforeB)) {
        if (e.request.startsWith(QLatin1String("HEAD ")))
            ++probes;
        else
            originBytesForB += e.bytesSent;
    }
    QCOMPARE(probes, 1);
    QCOMPARE(originBytesForB, 0);

    // C: another group: nothing from A, all of it from the origin.
    const QString c = download(m_c, QStringLiteral("big.bin"), 0x1);
    QVERIFY(!c.isEmpty());
    const QJsonObject fileC = fileInfo(m_c, c);
    QCOMPARE(qint64(fileC.value(QLatin1String("bytesFromPeers")).toDouble()), 0);
    QVERIFY(!fileC.value(QLatin1String("downloadedFromPeer")).toBool());
    ADMIN_OK(admin(m_c, {QStringLiteral("complete"), c}));
    QCOMPARE(sha256(m_tmp.filePath(QStringLiteral("C-big.bin"))), TestContent::sha256Hex(FileSeed, FileSize));
    // A may list C as seen (a static peer), but C never completed a handshake with A.
    for (const QJsonValue &v : jsonArray(admin(m_a, {QStringLiteral("peers"), QStringLiteral("--json")}).out)) {
        const QJsonObject p = v.toObject();
        const QString cId = jsonObject(admin(m_c, {QStringLiteral("cache"), QStringLiteral("info"), QStringLiteral("--json")}).out)
                                .value(QLatin1String("peerId")).toString();
        if (p.value(QLatin1String("peerId")).toString() == cId)
            QVERIFY2(!p.value(QLatin1String("authenticated")).toBool(), "C completed a TLS handshake with A");
    }
}

// Runs after the transfer test: A holds B's file as a record and knows B and C as peers.
void TestPeerCacheE2E::adminVerbsManageRecordsAndPeers()
{
    const QJsonArray records = jsonArray(admin(m_a, {QStringLiteral("cache"), QStringLiteral("records"), QStringLiteral("--json")}).out);
    QCOMPARE(records.size(), 1);
    const QJsonObject record = records[0].toObject();
    QCOMPARE(record.value(QLatin1String("url")).toString(), m_nginx->url(QStringLiteral("/slow/big.bin")).toString());
    QCOMPARE(qint64(record.value(QLatin1String("size")).toDouble()), FileSize);
    QVERIFY(record.value(QLatin1String("validated")).toBool());
    QCOMPARE(record.value(QLatin1String("sha256")).toString().toLatin1(), TestContent::sha256Hex(FileSeed, FileSize));

    // Bad input gets a clear error and changes nothing.
    const AdminResult bad = admin(m_a, {QStringLiteral("cache"), QStringLiteral("delete"), QStringLiteral("../../etc/passwd")});
    QVERIFY2(bad.exitCode != 0 && !bad.err.isEmpty(), qPrintable(describe(bad)));
    QCOMPARE(jsonArray(admin(m_a, {QStringLiteral("cache"), QStringLiteral("records"), QStringLiteral("--json")}).out).size(), 1);
    const AdminResult badSet = admin(m_a, {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("maxCacheSizePercent"), QStringLiteral("81")});
    QVERIFY(badSet.exitCode != 0 && badSet.err.contains(QLatin1String("maxCacheSizePercent")));

    ADMIN_OK(admin(m_a, {QStringLiteral("cache"), QStringLiteral("delete"), record.value(QLatin1String("id")).toString()}));
    QCOMPARE(jsonArray(admin(m_a, {QStringLiteral("cache"), QStringLiteral("records"), QStringLiteral("--json")}).out).size(), 0);
    const QString dataFile = m_a.profile + QStringLiteral("/peercache/") + record.value(QLatin1String("id")).toString() + QStringLiteral(".data");
    QVERIFY2(!QFile::exists(dataFile), qPrintable(dataFile));

    // B's copy: deleted by URL, then the whole cache cleared.
    const QJsonArray onB = jsonArray(admin(m_b, {QStringLiteral("cache"), QStringLiteral("records"), QStringLiteral("--json")}).out);
    QCOMPARE(onB.size(), 0); // peer bytes without an origin digest are never served again
    QVERIFY(admin(m_b, {QStringLiteral("cache"), QStringLiteral("deleteurl"), m_nginx->url(QStringLiteral("/slow/big.bin")).toString()})
                .out.contains(QLatin1String("Deleted 0 record(s).")));
    ADMIN_OK(admin(m_b, {QStringLiteral("cache"), QStringLiteral("clear")}));

    QVERIFY(!jsonArray(admin(m_a, {QStringLiteral("peers"), QStringLiteral("--json")}).out).isEmpty());
    ADMIN_OK(admin(m_a, {QStringLiteral("peers"), QStringLiteral("clear")}));
    QCOMPARE(jsonArray(admin(m_a, {QStringLiteral("peers"), QStringLiteral("--json")}).out).size(), 0);
    // Rediscovery finds B again (it answers A's probe).
    ADMIN_OK(admin(m_a, {QStringLiteral("peers"), QStringLiteral("discover")}));
    QTRY_VERIFY_WITH_TIMEOUT(!jsonArray(admin(m_a, {QStringLiteral("peers"), QStringLiteral("--json")}).out).isEmpty(), 30000);
}

// A group key the keychain cannot give back turns peer caching off, and says why; the key is in
// no file of the profile.
void TestPeerCacheE2E::unreadableKeyTurnsPeerCachingOffWithTheReason()
{
    const Node d{QStringLiteral("D"), m_tmp.filePath(QStringLiteral("profile-D")), freeLoopbackPort(), 0};
    QString why;
    QVERIFY2(configure(d, {}, &why), qPrintable(why));
    const AdminResult created = admin(d, {QStringLiteral("cache"), QStringLiteral("groupkey"), QStringLiteral("create")});
    QCOMPARE(created.exitCode, 0);
    const QString key = lines(created.out).constLast();
    QVERIFY(jsonObject(admin(d, {QStringLiteral("cache"), QStringLiteral("info"), QStringLiteral("--json")}).out)
                .value(QLatin1String("active")).toBool());
    QString reason;
    QVERIFY2(shutdownEngine(d.profile, &reason), qPrintable(reason));

    // The next engine has no Secret Service on its session bus.
    AdminCall noKeychain;
    noKeychain.environment = QProcessEnvironment::systemEnvironment();
    noKeychain.environment.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), QStringLiteral("unix:path=") + m_tmp.filePath(QStringLiteral("no-bus")));
    const AdminResult info = runAdmin(d.profile, {QStringLiteral("cache"), QStringLiteral("info"), QStringLiteral("--json")}, noKeychain);
    QCOMPARE(info.exitCode, 0);
    QTRY_VERIFY_WITH_TIMEOUT(jsonObject(admin(d, {QStringLiteral("cache"), QStringLiteral("info"), QStringLiteral("--json")}).out)
                                 .value(QLatin1String("reason")).toString().contains(QLatin1String("cannot be read")),
                             30000);
    const QJsonObject off = jsonObject(admin(d, {QStringLiteral("cache"), QStringLiteral("info"), QStringLiteral("--json")}).out);
    QVERIFY(!off.value(QLatin1String("active")).toBool());
    QVERIFY(admin(d, {QStringLiteral("cache"), QStringLiteral("info")}).out.contains(QLatin1String("peer caching: off")));
    QVERIFY2(shutdownEngine(d.profile, &reason), qPrintable(reason));

    // The key, in any form, is in no file of the profile.
    const QByteArray secret = *ferry::peercache::base32Decode(key);
    QDirIterator it(d.profile, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QByteArray bytes = readAll(it.next());
        QVERIFY2(!bytes.contains(secret) && !bytes.contains(key.toLatin1()) && !bytes.contains(secret.toHex())
                     && !bytes.contains(secret.toBase64()),
                 qPrintable(it.filePath()));
    }
}

// T1's "policy overrides user": the administrator's ferry/peercache.conf (here in a private
// XDG_CONFIG_DIRS folder instead of /etc/xdg) fixes settings; users' setters leave them alone.
void TestPeerCacheE2E::administratorPolicyOverridesUsers()
{
    const QString policyDir = m_tmp.filePath(QStringLiteral("policy"));
    QVERIFY(QDir().mkpath(policyDir + QStringLiteral("/ferry")));
    QFile conf(policyDir + QStringLiteral("/ferry/peercache.conf"));
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write("[peercache]\nenabled=false\nmaxCacheSizePercent=5\n");
    conf.close();
    const QString profile = m_tmp.filePath(QStringLiteral("profile-E"));
    AdminCall withPolicy;
    withPolicy.environment = QProcessEnvironment::systemEnvironment();
    withPolicy.environment.insert(QStringLiteral("XDG_CONFIG_DIRS"), policyDir);

    const AdminResult set = runAdmin(profile, {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("enabled"), QStringLiteral("true")},
                                     withPolicy);
    QCOMPARE(set.exitCode, 0); // BG_S_OVERRIDDEN_BY_POLICY is a success code, with its message
    QVERIFY2(set.out.contains(QLatin1String("policy")), qPrintable(describe(set)));
    const AdminResult changed = runAdmin(profile, {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("maxCacheSizePercent"),
                                                   QStringLiteral("2")});
    QVERIFY(changed.out.contains(QLatin1String("policy")));
    ADMIN_OK(runAdmin(profile, {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("requireOriginDigest"), QStringLiteral("true")}));
    const QJsonObject info = jsonObject(runAdmin(profile, {QStringLiteral("cache"), QStringLiteral("info"), QStringLiteral("--json")}).out);
    QCOMPARE(info.value(QLatin1String("enabled")).toBool(), false);
    QCOMPARE(info.value(QLatin1String("maxCacheSizePercent")).toInt(), 5);
    QCOMPARE(info.value(QLatin1String("requireOriginDigest")).toBool(), true); // not in the policy: the user's
    QCOMPARE(info.value(QLatin1String("policyFile")).toString(), conf.fileName());
    QVERIFY(info.value(QLatin1String("reason")).toString().contains(QLatin1String("disabled")));
    QString reason;
    QVERIFY2(shutdownEngine(profile, &reason), qPrintable(reason));
}

// `cache groupkey revoke` after a rotation, and rotation with --revoke-previous: the previous
// key is gone from `cache info` at once and after a restart; with none, a clear error.
void TestPeerCacheE2E::revokeEndsThePreviousKeysGrace()
{
    const Node f{QStringLiteral("F"), m_tmp.filePath(QStringLiteral("profile-F")), freeLoopbackPort(), 0};
    QString why;
    QVERIFY2(configure(f, {}, &why), qPrintable(why));
    const auto info = [&] { return jsonObject(admin(f, {QStringLiteral("cache"), QStringLiteral("info"), QStringLiteral("--json")}).out); };
    const QStringList groupkey{QStringLiteral("cache"), QStringLiteral("groupkey")};
    ADMIN_OK(admin(f, groupkey + QStringList{QStringLiteral("create")}));
    const QString first = info().value(QLatin1String("groupId")).toString();
    ADMIN_OK(admin(f, groupkey + QStringList{QStringLiteral("create")}));
    QCOMPARE(info().value(QLatin1String("previousGroupId")).toString(), first);
    QVERIFY(admin(f, {QStringLiteral("cache"), QStringLiteral("info")}).out.contains(first));

    const AdminResult revoked = admin(f, groupkey + QStringList{QStringLiteral("revoke")});
    ADMIN_OK(revoked);
    QVERIFY2(revoked.out.contains(QLatin1String("revoked")), qPrintable(describe(revoked)));
    QCOMPARE(info().value(QLatin1String("previousGroupId")).toString(), QString());
    QVERIFY(info().value(QLatin1String("active")).toBool());
    const AdminResult none = admin(f, groupkey + QStringList{QStringLiteral("revoke")});
    QVERIFY2(none.exitCode != 0 && none.err.contains(QLatin1String("no previous group key")), qPrintable(describe(none)));

    // A rotation that revokes at once.
    const QString second = info().value(QLatin1String("groupId")).toString();
    const AdminResult rotated = admin(f, groupkey + QStringList{QStringLiteral("create"), QStringLiteral("--revoke-previous")});
    ADMIN_OK(rotated);
    QVERIFY(rotated.out.contains(QLatin1String("previous key is revoked")));
    QVERIFY(info().value(QLatin1String("groupId")).toString() != second);
    QCOMPARE(info().value(QLatin1String("previousGroupId")).toString(), QString());
    const AdminResult bad = admin(f, groupkey + QStringList{QStringLiteral("revoke"), QStringLiteral("now")});
    QVERIFY2(bad.exitCode != 0 && bad.err.contains(QLatin1String("revoke")), qPrintable(describe(bad)));

    // And after a restart.
    QString reason;
    QVERIFY2(shutdownEngine(f.profile, &reason), qPrintable(reason));
    QTRY_VERIFY_WITH_TIMEOUT(info().value(QLatin1String("active")).toBool(), 30000);
    QCOMPARE(info().value(QLatin1String("previousGroupId")).toString(), QString());
    QVERIFY2(shutdownEngine(f.profile, &reason), qPrintable(reason));
}

QTEST_GUILESS_MAIN(TestPeerCacheE2E)
#include "tst_peercache_e2e.moc"
