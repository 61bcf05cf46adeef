// A computer whose only network is a LAN without a default route (a lab, an air-gapped site, a
// container) downloads from its own servers: the network watch must never block a server that
// answers (README, "Network loss"). Root only: the engine runs in a network namespace joined to
// the test's by a veth pair, with addresses on the link and no route beyond it, which glib's
// network monitor calls "disconnected"; nginx listens on the test's end of the link.
#include "AdminRunner.h"
#include "NginxServer.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <unistd.h>

using namespace admintest;
using ferry::test::NginxServer;

class TestLanOnly : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void downloadsWithoutADefaultRoute();

private:
    AdminResult ip(const QStringList &args);

    QString m_ip;
    QString m_ns;
    QString m_vethHost, m_vethLan;
    QString m_hostAddress, m_lanAddress;
    bool m_created = false;
    QTemporaryDir m_tmp;
    std::unique_ptr<NginxServer> m_nginx;
    QString m_profile;
};

AdminResult TestLanOnly::ip(const QStringList &args)
{
    QProcess p;
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(m_ip, args);
    AdminResult r;
    if (p.waitForFinished(20000) && p.exitStatus() == QProcess::NormalExit)
        r.exitCode = p.exitCode();
    r.out = QString::fromLocal8Bit(p.readAllStandardOutput());
    r.err = QString::fromLocal8Bit(p.readAllStandardError());
    return r;
}

void TestLanOnly::initTestCase()
{
    if (::geteuid() != 0)
        QSKIP("needs root: the test creates a network namespace and a veth pair");
    m_ip = QStandardPaths::findExecutable(QStringLiteral("ip"));
    if (m_ip.isEmpty())
        QSKIP("iproute2's `ip` is not installed (FERRY_TEST_PACKAGES has it)");
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");
    QVERIFY(m_tmp.isValid());

    const qint64 pid = QCoreApplication::applicationPid();
    const int subnet = int(pid % 250) + 1;
    m_ns = QStringLiteral("ferry-lan-%1").arg(pid);
    m_vethHost = QStringLiteral("fln%1h").arg(pid); // <= 15 characters
    m_vethLan = QStringLiteral("fln%1l").arg(pid);
    m_hostAddress = QStringLiteral("10.78.%1.1").arg(subnet);
    m_lanAddress = QStringLiteral("10.78.%1.2").arg(subnet);

    AdminResult r = ip({QStringLiteral("netns"), QStringLiteral("add"), m_ns});
    if (r.exitCode != 0)
        QSKIP(qPrintable(QStringLiteral("`ip netns add` is not permitted here: ") + r.err.trimmed()));
    m_created = true;
    const QList<QStringList> setup = {
        {QStringLiteral("link"), QStringLiteral("add"), m_vethHost, QStringLiteral("type"), QStringLiteral("veth"),
         QStringLiteral("peer"), QStringLiteral("name"), m_vethLan},
        {QStringLiteral("link"), QStringLiteral("set"), m_vethLan, QStringLiteral("netns"), m_ns},
        {QStringLiteral("addr"), QStringLiteral("add"), m_hostAddress + QStringLiteral("/24"), QStringLiteral("dev"), m_vethHost},
        {QStringLiteral("link"), QStringLiteral("set"), m_vethHost, QStringLiteral("up")},
        {QStringLiteral("-n"), m_ns, QStringLiteral("addr"), QStringLiteral("add"), m_lanAddress + QStringLiteral("/24"),
         QStringLiteral("dev"), m_vethLan},
        {QStringLiteral("-n"), m_ns, QStringLiteral("link"), QStringLiteral("set"), m_vethLan, QStringLiteral("up")},
        {QStringLiteral("-n"), m_ns, QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"), QStringLiteral("up")},
    };
    for (const QStringList &args : setup) {
        r = ip(args);
        QVERIFY2(r.exitCode == 0, qPrintable(QStringLiteral("ip %1: %2").arg(args.join(QLatin1Char(' ')), describe(r))));
    }
    // The point of the test: the LAN's only route is the link itself.
    r = ip({QStringLiteral("-n"), m_ns, QStringLiteral("route"), QStringLiteral("show"), QStringLiteral("default")});
    QVERIFY2(r.exitCode == 0 && r.out.trimmed().isEmpty(), qPrintable(describe(r)));

    QVERIFY(writeRandomFile(m_tmp.filePath(QStringLiteral("lab.bin")), 3 << 20, 78));
    m_nginx = std::make_unique<NginxServer>(m_tmp.path());
    m_nginx->setListenAddress(QHostAddress(m_hostAddress));
    QString error;
    QVERIFY2(m_nginx->start(&error), qPrintable(error));
    m_profile = m_tmp.filePath(QStringLiteral("profile"));
}

void TestLanOnly::cleanupTestCase()
{
    if (!m_profile.isEmpty()) {
        if (QTest::currentTestFailed())
            qWarning().noquote() << "engine.log:\n" << QString::fromUtf8(readAll(m_profile + QStringLiteral("/engine.log")).right(4096));
        QString reason;
        if (!shutdownEngine(m_profile, &reason)) // its socket is a file: reachable from here
            qWarning().noquote() << reason;
    }
    if (m_nginx)
        m_nginx->stop();
    if (!m_created)
        return;
    for (const QString &line : lines(ip({QStringLiteral("netns"), QStringLiteral("pids"), m_ns}).out)) {
        if (const qint64 leftover = line.trimmed().toLongLong(); leftover > 0)
            ::kill(pid_t(leftover), SIGKILL);
    }
    reapEngineZombies();
    ip({QStringLiteral("netns"), QStringLiteral("del"), m_ns}); // takes the veth pair with it
}

void TestLanOnly::downloadsWithoutADefaultRoute()
{
    // The engine ferry-admin starts runs inside the namespace; it needs no keychain here (and the
    // test's bus would be out of its reach).
    AdminCall call;
    call.environment = QProcessEnvironment::systemEnvironment();
    call.environment.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    call.timeoutMs = 120000;
    const QString target = m_tmp.filePath(QStringLiteral("downloads-lab.bin"));
    const AdminResult r = runAdminVia({m_ip, QStringLiteral("netns"), QStringLiteral("exec"), m_ns}, m_profile,
                                      {QStringLiteral("transfer"), QStringLiteral("lab"),
                                       m_nginx->url(QStringLiteral("/lab.bin")).toString(), target},
                                      call);
    QVERIFY2(r.exitCode == 0, qPrintable(describe(r) + QStringLiteral("\nengine.log:\n")
                                         + QString::fromUtf8(readAll(m_profile + QStringLiteral("/engine.log")).right(4096))));
    QCOMPARE(sha256(target), sha256(m_tmp.filePath(QStringLiteral("lab.bin"))));
}

QTEST_GUILESS_MAIN(TestLanOnly)
#include "tst_lanonly.moc"
