// Multicast discovery between two network namespaces (issue 6, docs/peer-caching.md §5, §10 T12):
// root only. Two namespaces joined by a veth pair; engine A runs in one, B and C in the other,
// each a real `ferry --headless` that ferry-admin starts inside its namespace (`ip netns exec`).
// No static peers: A and B (one group key) find each other through 239.255.77.12 alone, at their
// veth addresses; C (its own key, on B's UDP port, so it gets every datagram B gets) finds no
// one, and no one finds C.
//
// The group key lives in the keychain, reached over D-Bus. An abstract-socket bus address is
// bound to the network namespace it was made in, so the test starts a private session bus that
// listens on a filesystem socket (unix:dir=) and a gnome-keyring-daemon on it; filesystem
// sockets work across network namespaces, and so does each engine's control socket: the test
// shuts the engines down from its own namespace.
#include "AdminRunner.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <unistd.h>

using namespace admintest;

namespace {

struct Command
{
    int exitCode = -1;
    QString out, err;
};

Command run(const QString &program, const QStringList &args, const QProcessEnvironment &env = {}, int timeoutMs = 20000)
{
    QProcess p;
    if (!env.isEmpty())
        p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(program, args);
    Command c;
    if (!p.waitForStarted(10000)) {
        c.err = QStringLiteral("cannot start %1: %2").arg(program, p.errorString());
        return c;
    }
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        c.err = QStringLiteral("%1 did not finish within %2 ms").arg(program).arg(timeoutMs);
        return c;
    }
    c.out = QString::fromLocal8Bit(p.readAllStandardOutput());
    c.err = QString::fromLocal8Bit(p.readAllStandardError());
    c.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return c;
}

QString describe(const QString &what, const Command &c)
{
    return QStringLiteral("%1: exit code %2\n%3%4").arg(what).arg(c.exitCode).arg(c.out, c.err);
}

struct Node
{
    QString name;
    QString ns;
    QString profile;
    QString address;          // its veth address
    int tlsPort = 0;
    QString peerId;           // from cache info, once it runs
};

} // namespace

class TestMulticast : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void discoveryAcrossNamespaces();

private:
    Command ip(const QStringList &args) { return run(m_ip, args); }
    AdminResult admin(const Node &node, const QStringList &args);
    QJsonObject cacheInfo(const Node &node);
    QJsonObject peerEntry(const Node &node, const Node &other);   // other as node lists it, or {}
    QString peersText(const Node &node);

    QString m_ip;
    QProcessEnvironment m_env;   // the private bus and keyring
};

void TestMulticast::initTestCase()
{
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");
}

AdminResult TestMulticast::admin(const Node &node, const QStringList &args)
{
    // Always from inside the node's namespace: should the engine be gone, the one ferry-admin
    // starts must not run in the test's namespace.
    AdminCall call;
    call.environment = m_env;
    call.timeoutMs = 30000;
    return runAdminVia({m_ip, QStringLiteral("netns"), QStringLiteral("exec"), node.ns}, node.profile, args, call);
}

QJsonObject TestMulticast::cacheInfo(const Node &node)
{
    return jsonObject(admin(node, {QStringLiteral("cache"), QStringLiteral("info"), QStringLiteral("--json")}).out);
}

QJsonObject TestMulticast::peerEntry(const Node &node, const Node &other)
{
    const AdminResult r = admin(node, {QStringLiteral("peers"), QStringLiteral("--json")});
    for (const QJsonValue &v : jsonArray(r.out)) {
        if (v.toObject().value(QLatin1String("peerId")).toString() == other.peerId)
            return v.toObject();
    }
    return {};
}

QString TestMulticast::peersText(const Node &node)
{
    const AdminResult r = admin(node, {QStringLiteral("peers"), QStringLiteral("--json")});
    bool ok = false;
    const QJsonArray peers = jsonArray(r.out, &ok);
    return node.name + QStringLiteral(" lists: ")
           + (ok ? QString::fromUtf8(QJsonDocument(peers).toJson(QJsonDocument::Compact)) : admintest::describe(r));
}

void TestMulticast::discoveryAcrossNamespaces()
{
    if (::geteuid() != 0)
        QSKIP("needs root: the test creates network namespaces and a veth pair (docs/peer-caching.md §10 T12)");
    m_ip = QStandardPaths::findExecutable(QStringLiteral("ip"));
    if (m_ip.isEmpty())
        QSKIP("iproute2's `ip` is not installed (FERRY_TEST_PACKAGES has it)");
    for (const char *tool : {"dbus-daemon", "dbus-send", "gnome-keyring-daemon"})
        QVERIFY2(!QStandardPaths::findExecutable(QLatin1String(tool)).isEmpty(), tool);

    const qint64 pid = QCoreApplication::applicationPid();
    const int subnet = int(pid % 250) + 1;
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    Node a{QStringLiteral("A"), QStringLiteral("ferry-mc-%1-a").arg(pid), tmp.filePath(QStringLiteral("profile-A")),
           QStringLiteral("10.77.%1.1").arg(subnet), 41771, {}};
    Node b{QStringLiteral("B"), QStringLiteral("ferry-mc-%1-b").arg(pid), tmp.filePath(QStringLiteral("profile-B")),
           QStringLiteral("10.77.%1.2").arg(subnet), 41771, {}};
    Node c{QStringLiteral("C"), b.ns, tmp.filePath(QStringLiteral("profile-C")), b.address, 41772, {}};
    const QString vethA = QStringLiteral("fmc%1a").arg(pid), vethB = QStringLiteral("fmc%1b").arg(pid);   // <= 15 chars

    PrivateKeyring keyring(tmp.path());   // stopped after the cleanup below: the engines go first
    bool nsA = false, nsB = false, veth = false;
    const auto cleanup = qScopeGuard([&] {
        if (QTest::currentTestFailed()) {
            for (const Node *node : {&a, &b, &c}) {
                const QByteArray log = readAll(node->profile + QStringLiteral("/engine.log"));
                qWarning().noquote() << "---" << node->name << "engine.log (last 4 KiB):\n" << QString::fromUtf8(log.right(4096));
            }
            qWarning().noquote() << "--- gnome-keyring-daemon:" << keyring.readDaemonLog();
        }
        // The engines first, while their bus is still there; their control sockets are files,
        // reachable from here.
        for (const Node *node : {&a, &b, &c}) {
            QString reason;
            if (!shutdownEngine(node->profile, &reason))
                qWarning().noquote() << node->name << reason;
        }
        // Anything left in our namespaces is ours (a hung ferry-admin, say).
        for (const auto &[created, ns] : {std::pair{nsA, a.ns}, std::pair{nsB, b.ns}}) {
            if (!created)
                continue;
            for (const QString &line : lines(ip({QStringLiteral("netns"), QStringLiteral("pids"), ns}).out)) {
                const qint64 leftover = line.trimmed().toLongLong();
                if (leftover > 0) {
                    qWarning() << "killing process" << leftover << "left in" << ns;
                    ::kill(pid_t(leftover), SIGKILL);
                }
            }
            reapEngineZombies();
            const Command del = ip({QStringLiteral("netns"), QStringLiteral("del"), ns});
            if (del.exitCode != 0)
                qWarning().noquote() << describe(QStringLiteral("ip netns del ") + ns, del);
        }
        if (veth) {   // gone with a namespace if either end made it there; else still here
            for (const QString &end : {vethA, vethB})
                if (ip({QStringLiteral("link"), QStringLiteral("show"), end}).exitCode == 0)
                    ip({QStringLiteral("link"), QStringLiteral("del"), end});
        }
    });

    // The network: A's namespace and B's, one veth pair. No route at all, not even for
    // 224.0.0.0/4: the engine must pick the interface for its multicast itself.
    Command r = ip({QStringLiteral("netns"), QStringLiteral("add"), a.ns});
    if (r.exitCode != 0)
        QSKIP(qPrintable(QStringLiteral("`ip netns add` is not permitted here: ") + r.err.trimmed()));
    nsA = true;
    r = ip({QStringLiteral("netns"), QStringLiteral("add"), b.ns});
    if (r.exitCode != 0)
        QSKIP(qPrintable(QStringLiteral("`ip netns add` is not permitted here: ") + r.err.trimmed()));
    nsB = true;
    r = ip({QStringLiteral("link"), QStringLiteral("add"), vethA, QStringLiteral("type"), QStringLiteral("veth"),
            QStringLiteral("peer"), QStringLiteral("name"), vethB});
    if (r.exitCode != 0)
        QSKIP(qPrintable(QStringLiteral("cannot create a veth pair here: ") + r.err.trimmed()));
    veth = true;
    const QList<QStringList> setup = {
        {QStringLiteral("link"), QStringLiteral("set"), vethA, QStringLiteral("netns"), a.ns},
        {QStringLiteral("link"), QStringLiteral("set"), vethB, QStringLiteral("netns"), b.ns},
        {QStringLiteral("-n"), a.ns, QStringLiteral("addr"), QStringLiteral("add"), a.address + QStringLiteral("/24"), QStringLiteral("dev"), vethA},
        {QStringLiteral("-n"), b.ns, QStringLiteral("addr"), QStringLiteral("add"), b.address + QStringLiteral("/24"), QStringLiteral("dev"), vethB},
        {QStringLiteral("-n"), a.ns, QStringLiteral("link"), QStringLiteral("set"), vethA, QStringLiteral("up")},
        {QStringLiteral("-n"), b.ns, QStringLiteral("link"), QStringLiteral("set"), vethB, QStringLiteral("up")},
        {QStringLiteral("-n"), a.ns, QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"), QStringLiteral("up")},
        {QStringLiteral("-n"), b.ns, QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"), QStringLiteral("up")},
    };
    for (const QStringList &args : setup) {
        r = ip(args);
        QVERIFY2(r.exitCode == 0, qPrintable(describe(QStringLiteral("ip ") + args.join(QLatin1Char(' ')), r)));
    }

    // A private session bus on a filesystem socket, and a keychain on it.
    QString error;
    QVERIFY2(keyring.start(&error), qPrintable(error));
    QVERIFY2(keyring.address().startsWith(QLatin1String("unix:path=")),
             qPrintable(QStringLiteral("not a filesystem socket: ") + keyring.address()));
    m_env = keyring.environment();
    // It takes a moment to claim its name; seen from inside a namespace, as the engines see it.
    const QStringList nameHasOwner = {QStringLiteral("netns"), QStringLiteral("exec"), a.ns, QStringLiteral("dbus-send"),
                                      QStringLiteral("--session"), QStringLiteral("--print-reply"),
                                      QStringLiteral("--dest=org.freedesktop.DBus"), QStringLiteral("/org/freedesktop/DBus"),
                                      QStringLiteral("org.freedesktop.DBus.NameHasOwner"), QStringLiteral("string:org.freedesktop.secrets")};
    QTRY_VERIFY2_WITH_TIMEOUT(run(m_ip, nameHasOwner, m_env).out.contains(QLatin1String("boolean true")),
                              qPrintable(describe(QStringLiteral("NameHasOwner from ") + a.ns, run(m_ip, nameHasOwner, m_env))), 20000);

    // Three engines, multicast only. B and C share a namespace and the UDP port.
    for (const Node *node : {&a, &b, &c}) {
        for (const QStringList &set : QList<QStringList>{{QStringLiteral("multicast"), QStringLiteral("true")},
                                                         {QStringLiteral("staticPeers"), QString()},
                                                         {QStringLiteral("discoveryPort"), QStringLiteral("41770")},
                                                         {QStringLiteral("tlsPort"), QString::number(node->tlsPort)}})
            ADMIN_OK(admin(*node, QStringList{QStringLiteral("cache"), QStringLiteral("set")} + set));
    }
    for (Node *node : {&a, &b, &c}) {
        const QList<qint64> engines = enginesFor(node->profile);
        QCOMPARE(engines.size(), 1);
        const QString netns = QFile::symLinkTarget(QStringLiteral("/proc/%1/ns/net").arg(engines.first()));
        QVERIFY2(netns != QFile::symLinkTarget(QStringLiteral("/proc/self/ns/net")),
                 qPrintable(node->name + QStringLiteral("'s engine runs in the test's network namespace")));
        node->peerId = cacheInfo(*node).value(QLatin1String("peerId")).toString();
        QCOMPARE(node->peerId.size(), 32);
    }
    const AdminResult created = admin(a, {QStringLiteral("cache"), QStringLiteral("groupkey"), QStringLiteral("create")});
    QVERIFY2(created.exitCode == 0, qPrintable(admintest::describe(created)));
    ADMIN_OK(admin(b, {QStringLiteral("cache"), QStringLiteral("groupkey"), QStringLiteral("import"), lines(created.out).constLast()}));
    ADMIN_OK(admin(c, {QStringLiteral("cache"), QStringLiteral("groupkey"), QStringLiteral("create")}));

    // A first, then B: B's first HELLO (0-1 s after its start) finds A listening. C's finds both.
    const auto enable = [&](const Node &node, bool on) {
        const AdminResult set = admin(node, {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("enabled"),
                                             on ? QStringLiteral("true") : QStringLiteral("false")});
        if (set.exitCode != 0)
            return node.name + QStringLiteral(": ") + admintest::describe(set);
        const QJsonObject info = cacheInfo(node);
        if (info.value(QLatin1String("active")).toBool() != on)
            return node.name + QStringLiteral(" is not %1: ").arg(on ? QLatin1String("active") : QLatin1String("off"))
                   + info.value(QLatin1String("reason")).toString();
        if (on && info.value(QLatin1String("listeningDiscoveryPort")).toInt() != 41770)
            return node.name + QStringLiteral(" does not listen on UDP 41770: ") + info.value(QLatin1String("reason")).toString();
        return QString();
    };
    for (const Node *node : {&a, &b, &c}) {
        const QString problem = enable(*node, true);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }
    // A's first HELLO (0-1 s after its start) may have gone out before B and C listened, and
    // the next is due in 300 s: peer caching off and on again sends a BYE and a new HELLO.
    // (`peers discover` on B would not do: A's MATCH is unicast to UDP 41770 in B's namespace,
    // which B and C share, and Linux hands a unicast datagram to one of them only.)
    QTest::qWait(1200);   // B's and C's first HELLOs are out
    for (bool on : {false, true}) {
        const QString problem = enable(a, on);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    // A and B know each other by their veth addresses, through the group.
    const auto check = [&](const Node &node, const Node &other, QString *why) {
        const QJsonObject p = peerEntry(node, other);
        if (p.isEmpty()) {
            *why = QStringLiteral("%1 does not list %2. ").arg(node.name, other.name) + peersText(node);
            return false;
        }
        const QString via = p.value(QLatin1String("via")).toString(), at = p.value(QLatin1String("address")).toString();
        const int port = p.value(QLatin1String("tlsPort")).toInt();
        if (via != QLatin1String("multicast") || at != other.address || port != other.tlsPort) {
            *why = QStringLiteral("%1 lists %2 via %3 at %4 TLS port %5, expected multicast at %6 TLS port %7")
                       .arg(node.name, other.name, via, at)
                       .arg(port)
                       .arg(other.address)
                       .arg(other.tlsPort);
            return false;
        }
        return true;
    };
    QString why;
    QTRY_VERIFY2_WITH_TIMEOUT(check(b, a, &why), qPrintable(why), 10000);
    QTRY_VERIFY2_WITH_TIMEOUT(check(a, b, &why), qPrintable(why), 10000);

    // C got every HELLO that B got (same namespace, same port, same group) and dropped them all:
    // another key. Nor did A or B take C's.
    for (const auto &[node, other] : {std::pair{&c, &a}, std::pair{&c, &b}, std::pair{&a, &c}, std::pair{&b, &c}}) {
        QVERIFY2(peerEntry(*node, *other).isEmpty(),
                 qPrintable(QStringLiteral("%1 lists %2 of another group. ").arg(node->name, other->name) + peersText(*node)));
    }
}

QTEST_GUILESS_MAIN(TestMulticast)
#include "tst_multicast.moc"
