// End to end: a root engine (the computer's system instance) transfers a regular user's jobs only
// while that user is logged on, as systemd-logind says (docs/jobs.md §12.1). Real binaries, a
// real nginx and the fault-injecting server, the user played by uid 65534 through setpriv.
//
// No real logind: this container (and CI) has no systemd as PID 1, so systemd-logind cannot run
// and no session can be opened that loginctl would show. The engine reads logind's own state
// files instead of asking it over D-Bus, so the test gives it a private tree through
// FERRY_LOGIND_ROOT and writes those files there as logind does (STATE= lines, each file
// replaced by a rename, which is what the engine watches for): run/systemd/system and
// run/systemd/seats say "booted with systemd, logind running", run/systemd/users/<uid> holds a
// user's state, and etc/login.defs makes 65534 a regular user (UID_MAX 65534; Debian's 60000
// would make nobody a service account, whose jobs always run: serviceAccountRunsWithoutSession).
#include "AdminRunner.h"
#include "FaultServer.h"
#include "NginxServer.h"
#include "OtherUser.h"
#include "TestContent.h"
#include "store/Profile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QSaveFile>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <memory>

using namespace admintest;
using ferry::test::FaultServer;
using ferry::test::NginxServer;
using ferry::test::TestContent;

namespace {

constexpr qint64 KiB = 1024;
constexpr qint64 PayloadSize = 256 * KiB;
constexpr int TransferMs = 60000;

const QFileDevice::Permissions Mode0755 = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                          | QFileDevice::ReadGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
                                          | QFileDevice::ExeOther;
const QFileDevice::Permissions Mode0777 = Mode0755 | QFileDevice::WriteGroup | QFileDevice::WriteOther;

} // namespace

class TestLogind : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void userJobWaitsForLogonWhileRootJobTransfers();
    void logOffMidTransferRequeues();
    void lingeringRunsUnlessSettingSaysNo();
    void takeOwnershipLooksAtTheNewOwner();
    void serviceAccountRunsWithoutSession();

private:
    void writeLoginDefs(uint uidMax);
    void setState(uint uid, const QString &state);            // "offline" removes the file
    AdminResult userAdmin(const QStringList &args, const QStringList &setprivArgs = {});
    QString createJob(bool asUser, const QString &name, const QString &url, const QString &local);
    QJsonObject info(const QString &id);                      // as root, --json
    QString state(const QString &id) { return info(id).value(QLatin1String("state")).toString(); }
    void startEngine();

    OtherUser m_user;
    QTemporaryDir m_logind;   // the private root: run/systemd/..., etc/login.defs
    QTemporaryDir m_www;
    std::unique_ptr<NginxServer> m_nginx;
    std::unique_ptr<FaultServer> m_fault;

    QString m_case;
    QString m_open;           // 0777: the user's downloads go here
    QString m_profile;
    QStringList m_profiles;
};

void TestLogind::initTestCase()
{
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(QFileInfo(engineProgram()).isExecutable(), "FERRY_ENGINE must name the ferry binary");
    if (const QString problem = m_user.setUp({adminProgram()}); !problem.isEmpty())
        QSKIP(qPrintable(problem));
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");

    QVERIFY(m_logind.isValid());
    for (const char *dir : {"run/systemd/system", "run/systemd/seats", "run/systemd/users", "etc"})
        QVERIFY(QDir(m_logind.path()).mkpath(QString::fromLatin1(dir)));
    // Inherited by ferry-admin and the root engines it starts; the clients of uid 65534 get a
    // clean environment of their own (OtherUser).
    qputenv("FERRY_LOGIND_ROOT", QFile::encodeName(m_logind.path()));

    QVERIFY(m_www.isValid());
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("payload.bin")), PayloadSize, 14));
    m_nginx = std::make_unique<NginxServer>(m_www.path());
    QString error;
    QVERIFY2(m_nginx->start(&error), qPrintable(error));
    m_fault = std::make_unique<FaultServer>();
}

void TestLogind::cleanupTestCase()
{
    shutdownEngines(&m_profiles);
    if (m_nginx)
        m_nginx->stop();
    qunsetenv("FERRY_LOGIND_ROOT");
}

void TestLogind::init()
{
    writeLoginDefs(65534);
    const QDir users(m_logind.filePath(QStringLiteral("run/systemd/users")));
    for (const QString &f : users.entryList(QDir::Files))
        QVERIFY(QFile::remove(users.filePath(f)));
    m_case = OtherUser::makeDir(m_user.base() + QLatin1Char('/') + QString::fromLatin1(QTest::currentTestFunction()), Mode0755);
    QVERIFY(!m_case.isEmpty());
    m_open = OtherUser::makeDir(m_case + QStringLiteral("/open"), Mode0777);
    QVERIFY(!m_open.isEmpty());
    m_profile = m_case + QStringLiteral("/profile");
    m_profiles << m_profile;
    startEngine();
}

void TestLogind::cleanup()
{
    const QStringList problems = shutdownEngines(&m_profiles);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

// As root: the engine starts as root and reads login.defs then.
void TestLogind::startEngine()
{
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("list")}));
    QCOMPARE(enginesFor(m_profile).size(), 1);
    QVERIFY(QFile::setPermissions(m_profile, Mode0755)); // the way to the socket for uid 65534
}

void TestLogind::writeLoginDefs(uint uidMax)
{
    QFile defs(m_logind.filePath(QStringLiteral("etc/login.defs")));
    QVERIFY(defs.open(QIODevice::WriteOnly | QIODevice::Truncate));
    defs.write(QStringLiteral("# as Debian's, with another UID_MAX\nMAIL_DIR /var/mail\nUID_MIN\t\t\t 1000\nUID_MAX\t\t\t%1\n")
                   .arg(uidMax)
                   .toLatin1());
}

// What logind does to /run/systemd/users/<uid>: a new file renamed over the old one, gone when the
// user has no processes left.
void TestLogind::setState(uint uid, const QString &state)
{
    const QString path = m_logind.filePath(QStringLiteral("run/systemd/users/%1").arg(uid));
    if (state == QLatin1String("offline")) {
        QVERIFY(QFile::remove(path));
        return;
    }
    QSaveFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral("# This is private data. Do not parse.\nNAME=nobody\nSTATE=%1\nSTOPPING=no\nRUNTIME=/run/user/%2\n"
                              "SLICE=user-%2.slice\nREALTIME=1700000000000000\nMONOTONIC=1000000\n")
                   .arg(state)
                   .arg(uid)
                   .toLatin1());
    QVERIFY(file.commit());
}

AdminResult TestLogind::userAdmin(const QStringList &args, const QStringList &setprivArgs)
{
    OtherUser::Options options;
    options.setprivArgs = setprivArgs;
    return m_user.admin(m_profile, args, options);
}

QString TestLogind::createJob(bool asUser, const QString &name, const QString &url, const QString &local)
{
    const auto admin = [&](const QStringList &args) { return asUser ? userAdmin(args) : runAdmin(m_profile, args); };
    const AdminResult r = admin({QStringLiteral("create"), name});
    const QString id = r.out.trimmed();
    if (r.exitCode != 0 || QUuid::fromString(id).isNull()) {
        qWarning().noquote() << "create failed:" << describe(r);
        return {};
    }
    const AdminResult added = admin({QStringLiteral("addfile"), id, url, local});
    const AdminResult resumed = admin({QStringLiteral("resume"), id});
    if (added.exitCode != 0 || resumed.exitCode != 0) {
        qWarning().noquote() << "addfile/resume failed:" << describe(added) << describe(resumed);
        return {};
    }
    return id;
}

QJsonObject TestLogind::info(const QString &id)
{
    const AdminResult r = runAdmin(m_profile, {QStringLiteral("info"), id, QStringLiteral("--json")});
    bool ok = false;
    const QJsonObject o = jsonObject(r.out, &ok);
    if (r.exitCode != 0 || !ok)
        qWarning().noquote() << "info failed:" << describe(r);
    return o;
}

// The user's job comes first in the queue and the engine runs one background job at a time: only
// the missing session explains why root's job, created after it, transfers while it waits. Once
// the user logs on, it transfers too.
void TestLogind::userJobWaitsForLogonWhileRootJobTransfers()
{
    const QString url = m_nginx->url(QStringLiteral("/payload.bin")).toString();
    const QString userJob = createJob(true, QStringLiteral("nobody's"), url, m_open + QStringLiteral("/user.bin"));
    QVERIFY(!userJob.isEmpty());
    const QString rootJob = createJob(false, QStringLiteral("root's"), url, m_case + QStringLiteral("/root.bin"));
    QVERIFY(!rootJob.isEmpty());

    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("wait"), rootJob}, TransferMs));
    QCOMPARE(state(rootJob), QStringLiteral("TRANSFERRED"));
    const QJsonObject waiting = info(userJob);
    QCOMPARE(waiting.value(QLatin1String("state")).toString(), QStringLiteral("QUEUED"));
    QCOMPARE(waiting.value(QLatin1String("bytesTransferred")).toDouble(), 0.0);
    QCOMPARE(waiting.value(QLatin1String("waitingForOwnerLogon")).toBool(), true);
    const AdminResult text = userAdmin({QStringLiteral("info"), userJob});
    QVERIFY2(text.out.contains(QLatin1String("waiting for the owner to log on")), qPrintable(describe(text)));

    setState(OtherUser::Uid, QStringLiteral("active"));
    ADMIN_OK(userAdmin({QStringLiteral("wait"), userJob}));
    const QJsonObject done = info(userJob);
    QCOMPARE(done.value(QLatin1String("state")).toString(), QStringLiteral("TRANSFERRED"));
    QVERIFY(!done.contains(QLatin1String("waitingForOwnerLogon")));
    ADMIN_OK(userAdmin({QStringLiteral("complete"), userJob}));
    QCOMPARE(sha256(m_open + QStringLiteral("/user.bin")), sha256(m_www.filePath(QStringLiteral("payload.bin"))));
}

// Logging off (logind: closing, then no file) sends a running transfer back to QUEUED with the
// bytes it had; logging on again resumes it to the end.
void TestLogind::logOffMidTransferRequeues()
{
    constexpr qint64 Size = 512 * KiB;
    setState(OtherUser::Uid, QStringLiteral("online"));
    const QString url = m_fault->url(QStringLiteral("/trickle?size=%1&chunk=8192&interval=50&seed=41").arg(Size)).toString();
    const QString id = createJob(true, QStringLiteral("slow"), url, m_open + QStringLiteral("/slow.bin"));
    QVERIFY(!id.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(info(id).value(QLatin1String("bytesTransferred")).toDouble() > 0, TransferMs);

    setState(OtherUser::Uid, QStringLiteral("closing"));
    QTRY_COMPARE_WITH_TIMEOUT(state(id), QStringLiteral("QUEUED"), TransferMs);
    const QJsonObject queued = info(id);
    QVERIFY(queued.value(QLatin1String("waitingForOwnerLogon")).toBool());
    const double kept = queued.value(QLatin1String("bytesTransferred")).toDouble();
    QVERIFY2(kept < double(Size), "the transfer ended before the owner logged off");
    setState(OtherUser::Uid, QStringLiteral("offline"));
    QCOMPARE(state(id), QStringLiteral("QUEUED"));

    setState(OtherUser::Uid, QStringLiteral("active"));
    ADMIN_OK(userAdmin({QStringLiteral("wait"), id}));
    QCOMPARE(state(id), QStringLiteral("TRANSFERRED"));
    ADMIN_OK(userAdmin({QStringLiteral("complete"), id}));
    QCOMPARE(sha256(m_open + QStringLiteral("/slow.bin")), TestContent::sha256Hex(41, Size));
}

// Lingering (loginctl enable-linger) counts as logged on by default; runJobsOfLingeringUsers 0
// holds such a user's jobs as BITS would.
void TestLogind::lingeringRunsUnlessSettingSaysNo()
{
    const AdminResult config = runAdmin(m_profile, {QStringLiteral("getconfig")});
    QVERIFY2(lines(config.out).contains(QStringLiteral("runJobsOfLingeringUsers 1")), qPrintable(describe(config)));
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("setconfig"), QStringLiteral("runJobsOfLingeringUsers"), QStringLiteral("0")}));
    setState(OtherUser::Uid, QStringLiteral("lingering"));

    const QString url = m_nginx->url(QStringLiteral("/payload.bin")).toString();
    const QString userJob = createJob(true, QStringLiteral("lingering"), url, m_open + QStringLiteral("/linger.bin"));
    QVERIFY(!userJob.isEmpty());
    const QString rootJob = createJob(false, QStringLiteral("root's"), url, m_case + QStringLiteral("/root.bin"));
    QVERIFY(!rootJob.isEmpty());
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("wait"), rootJob}, TransferMs));
    QCOMPARE(state(userJob), QStringLiteral("QUEUED"));

    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("setconfig"), QStringLiteral("runJobsOfLingeringUsers"), QStringLiteral("1")}));
    ADMIN_OK(userAdmin({QStringLiteral("wait"), userJob}));
    QCOMPARE(state(userJob), QStringLiteral("TRANSFERRED"));
}

// After TakeOwnership the new owner's session counts. Ferry's access rules let only root see, and
// so take, another uid's job (docs/jobs.md §13), and root always runs: a job that waits for its
// logged-off owner runs at once when root takes it over.
void TestLogind::takeOwnershipLooksAtTheNewOwner()
{
    const QString id = createJob(true, QStringLiteral("nobody's, then root's"), m_nginx->url(QStringLiteral("/payload.bin")).toString(),
                                 m_open + QStringLiteral("/taken.bin"));
    QVERIFY(!id.isEmpty());
    QVERIFY(info(id).value(QLatin1String("waitingForOwnerLogon")).toBool());

    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("takeownership"), id}));
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("wait"), id}, TransferMs));
    const QJsonObject done = info(id);
    QCOMPARE(done.value(QLatin1String("state")).toString(), QStringLiteral("TRANSFERRED"));
    QCOMPARE(done.value(QLatin1String("owner")).toString(), QStringLiteral("root"));
}

// With Debian's UID_MAX 60000, uid 65534 (nobody) is no regular user but a service account: its
// jobs run with no session at all.
void TestLogind::serviceAccountRunsWithoutSession()
{
    writeLoginDefs(60000);
    QString reason;
    QVERIFY2(shutdownEngine(m_profile, &reason), qPrintable(reason)); // login.defs is read at start
    startEngine();

    const QString id = createJob(true, QStringLiteral("a service's"), m_nginx->url(QStringLiteral("/payload.bin")).toString(),
                                 m_open + QStringLiteral("/service.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(userAdmin({QStringLiteral("wait"), id}));
    QCOMPARE(state(id), QStringLiteral("TRANSFERRED"));
    QVERIFY(!info(id).contains(QLatin1String("waitingForOwnerLogon")));
}

QTEST_GUILESS_MAIN(TestLogind)
#include "tst_logind.moc"
