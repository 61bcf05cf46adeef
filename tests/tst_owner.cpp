// End to end: job ownership in a root engine (the computer's system instance), seen by real
// clients of different users and privileges (docs/jobs.md §12, §13). The test runs as root,
// starts the engine as root, and runs copies of ferry-admin and ferry-rawclient as uid 65534 (nobody)
// through setpriv, with and without an ambient admin capability. It checks what each of them
// gets: who owns the jobs they create, which jobs they see and may change, that a client's claims
// about itself are ignored, and that the engine touches a user's files as that user.
#include "AdminRunner.h"
#include "NginxServer.h"
#include "OtherUser.h"
#include "store/Profile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <memory>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

using namespace admintest;
using ferry::test::NginxServer;

namespace {

constexpr uint NobodyUid = 65534;
constexpr qint64 KiB = 1024;
constexpr qint64 PayloadSize = 384 * KiB;

const QFileDevice::Permissions Mode0755 = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                          | QFileDevice::ReadGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
                                          | QFileDevice::ExeOther;
const QFileDevice::Permissions Mode0777 = Mode0755 | QFileDevice::WriteGroup | QFileDevice::WriteOther;

// Who runs a client.
enum class As {
    Root,        // this test process's own identity (root)
    User,        // uid/gid 65534, no capabilities
    CapableUser, // uid/gid 65534 with CAP_DAC_OVERRIDE in its effective (ambient) set: elevated, not root
    SandboxedRoot, // root under no_new_privs and a seccomp filter (as a sandbox runs it): elevated, LOW
    SandboxedUser, // uid/gid 65534 likewise: LOW
};

bool isRoot(As who) { return who == As::Root || who == As::SandboxedRoot; }
bool isSandboxed(As who) { return who == As::SandboxedRoot || who == As::SandboxedUser; }

// Runs in the child between fork and exec (async-signal-safe calls only): no_new_privs and an
// allow-everything seccomp filter, which is what /proc/<pid>/status shows for a sandboxed process
// (NoNewPrivs: 1, Seccomp: 2), without restricting anything the client does.
void enterSandbox()
{
    static sock_filter allowAll[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    static sock_fprog program{1, allowAll};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0)
        ::_exit(125);
}

// The facts the engine's owner mapping depends on that every client inherits from this process
// (setpriv changes uids and capabilities, not sandboxing or the login session).
struct InheritedFacts
{
    bool sandboxed = false;
    bool inSession = false;
    QString why;
};

InheritedFacts inheritedFacts()
{
    const SelfFacts self = selfFacts();
    return {self.sandboxed, self.inSession, self.why};
}

// What the engine should record as the owner of a job created by a client of the given kind:
// the mapping of docs/jobs.md §12, worked out from the facts the client has.
struct ExpectedOwner
{
    uint uid = 0;
    bool elevated = false;
    QString integrity;
    QString why;
};

ExpectedOwner expectedOwner(As who)
{
    const InheritedFacts inherited = inheritedFacts();
    ExpectedOwner e;
    bool euid0 = false;
    if (isRoot(who)) {
        const SelfFacts self = selfFacts();
        euid0 = self.euid == 0;
        e.uid = ::getuid();
        e.elevated = euid0 || self.adminCaps;
    } else {
        e.uid = NobodyUid;
        e.elevated = who == As::CapableUser; // initTestCase checked the capability sets setpriv gives
    }
    if (inherited.sandboxed || isSandboxed(who))
        e.integrity = QStringLiteral("LOW");
    else if (e.elevated)
        e.integrity = euid0 && !inherited.inSession ? QStringLiteral("SYSTEM") : QStringLiteral("HIGH");
    else
        e.integrity = QStringLiteral("MEDIUM");
    e.why = QStringLiteral("uid %1, euid 0 %2, elevated %3, sandboxed client %4, %5")
                .arg(e.uid)
                .arg(euid0)
                .arg(e.elevated)
                .arg(isSandboxed(who))
                .arg(inherited.why);
    return e;
}

QString userNameOf(uint uid)
{
    if (const passwd *pw = ::getpwuid(uid))
        return QString::fromLocal8Bit(pw->pw_name);
    return QString::number(uid);
}

// Owner, elevation and integrity of `info JOB --json`, as one line for comparisons and messages.
QString ownerLine(const QJsonObject &info)
{
    return QStringLiteral("%1 uid %2 elevated %3 %4")
        .arg(info.value(QLatin1String("owner")).toString())
        .arg(info.value(QLatin1String("ownerUid")).toVariant().toString())
        .arg(info.value(QLatin1String("ownerElevated")).toVariant().toString())
        .arg(info.value(QLatin1String("ownerIntegrityLevel")).toString());
}

QString ownerLine(const ExpectedOwner &e)
{
    return QStringLiteral("%1 uid %2 elevated %3 %4")
        .arg(userNameOf(e.uid))
        .arg(e.uid)
        .arg(e.elevated ? QStringLiteral("true") : QStringLiteral("false"))
        .arg(e.integrity);
}

QStringList idsOf(const QJsonArray &jobs)
{
    QStringList ids;
    for (const QJsonValue &v : jobs)
        ids << v.toObject().value(QLatin1String("id")).toString();
    return ids;
}

// A BITS error as ferry-admin prints it.
struct ErrorId
{
    const char *name;
    const char *code;
};
const ErrorId AccessDenied{"ACCESSDENIED", "0x80070005"}; // E_ACCESSDENIED
const ErrorId NotFound{"NOT_FOUND", "0x80200001"};        // BG_E_NOT_FOUND

// An empty string when ferry-admin failed the way a user should see it: a non-zero exit, nothing
// on stdout and one line on stderr naming the error and its code, then a message; otherwise
// what went wrong.
QString failureProblem(const AdminResult &r, const ErrorId &error)
{
    const QString prefix = QStringLiteral("ferry-admin: %1 (%2): ").arg(QLatin1String(error.name), QLatin1String(error.code));
    if (r.exitCode <= 0)
        return QStringLiteral("expected %1 and a non-zero exit; ").arg(QLatin1String(error.name)) + describe(r);
    if (lines(r.err).size() != 1 || !r.err.startsWith(prefix) || !r.err.endsWith(QLatin1Char('\n'))
        || r.err.size() <= prefix.size() + 1)
        return QStringLiteral("expected one stderr line starting '%1' and a message; ").arg(prefix) + describe(r);
    if (!r.out.isEmpty())
        return QStringLiteral("expected nothing on stdout; ") + describe(r);
    return {};
}

// Evaluates CALL once.
#define ADMIN_FAILS_WITH(call, error)                                                                          \
    do {                                                                                                       \
        const QString problem_ = failureProblem((call), (error));                                              \
        QVERIFY2(problem_.isEmpty(), qPrintable(problem_));                                                    \
    } while (false)

} // namespace

class TestOwner : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void rootClientOwnsElevatedJob();
    void userClientOwnsMediumJob();
    void capableUserOwnsElevatedJobOnlyElevatedMayChange();
    void usersNeitherSeeNorChangeRootJobs();
    void spoofedClaimsAreIgnored();
    void execAfterConnectGainsNothing();
    void longProfilePathIsServedToo();
    void unreachableProfileSaysWhy();
    void addFileChecksTheFolderAsTheOwner();
    void transferWritesFilesAsTheOwner();
    void notifyProgramRunsAsTheOwner();
    void onlyRootOrTheEngineUserConfiguresAndShutsDown();
    void lowerIntegrityChangesNoHigherJob();

private:
    AdminResult runProgram(As who, const QString &program, const QStringList &args, int timeoutMs = 60000);
    AdminResult admin(As who, const QStringList &args, int timeoutMs = 60000);
    AdminResult raw(As who, const QJsonObject &request);
    QJsonObject rawReply(As who, const QJsonObject &request); // the parsed reply; empty (warned) if none
    QString createJob(As who, const QString &name);           // the id; empty (warned) on failure
    QJsonObject info(As who, const QString &job);             // `info JOB --json`; empty (warned) on failure
    QJsonArray listJson(As who);

    OtherUser m_user;    // uid 65534: base() 0755 with bin/ (the copies), home/, one folder per test
    bool m_capsWork = false;
    QString m_capsProblem;
    QString m_sandboxProblem; // why sandboxed clients cannot be shown here; empty if they can
    QTemporaryDir m_www;
    std::unique_ptr<NginxServer> m_nginx;

    QString m_case;    // this test's folder (0755)
    QString m_profile; // the root engine's profile in it
    qint64 m_enginePid = 0;
    QStringList m_profiles;
};

void TestOwner::initTestCase()
{
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(QFileInfo(engineProgram()).isExecutable(), "FERRY_ENGINE must name the ferry binary");
    QCOMPARE(QFileInfo(adminProgram()).absolutePath(), QFileInfo(engineProgram()).absolutePath());
    const QString rawclient = qEnvironmentVariable("FERRY_RAWCLIENT");
    QVERIFY2(QFileInfo(rawclient).isExecutable(), "FERRY_RAWCLIENT must name the ferry-rawclient binary");
    // The build tree may be private (0700): uid 65534 runs copies. They need no `ferry` next to
    // them, and must not find one: a copy that found no engine would start its own instead of
    // talking to the root engine under test. (They link only system Qt libraries.)
    if (const QString problem = m_user.setUp({adminProgram(), rawclient}); !problem.isEmpty())
        QSKIP(qPrintable(problem));
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");

    // setpriv must really make a client uid 65534 without capabilities (else skip: the
    // environment cannot show what an ordinary user gets), and with --ambient-caps an uid 65534
    // that holds CAP_DAC_OVERRIDE (else only that test is skipped).
    const QString cat = QStandardPaths::findExecutable(QStringLiteral("cat"));
    QVERIFY2(!cat.isEmpty(), "no cat to probe what setpriv gives a client");
    const auto probe = [&](As who, quint64 *capEff) {
        const AdminResult r = runProgram(who, cat, {QStringLiteral("/proc/self/status")});
        const QByteArray status = r.out.toUtf8();
        *capEff = statusField(status, "CapEff").toULongLong(nullptr, 16);
        return r.exitCode == 0 && statusField(status, "Uid") == "65534 65534 65534 65534"
                       && statusField(status, "Gid") == "65534 65534 65534 65534"
                   ? QString()
                   : describe(r);
    };
    quint64 capEff = 0;
    if (const QString problem = probe(As::User, &capEff); !problem.isEmpty())
        QSKIP(qPrintable(QStringLiteral("setpriv cannot run a client as uid 65534 here: ") + problem));
    QVERIFY2(capEff == 0, qPrintable(QStringLiteral("a setpriv'd uid 65534 still has capabilities %1").arg(capEff, 0, 16)));
    const QString capProblem = probe(As::CapableUser, &capEff);
    m_capsWork = capProblem.isEmpty() && (capEff & 0x2) && !(capEff & (quint64(1) << 21));
    if (!m_capsWork)
        m_capsProblem = QStringLiteral("setpriv cannot give uid 65534 an ambient CAP_DAC_OVERRIDE here (CapEff %1) %2")
                            .arg(capEff, 0, 16)
                            .arg(capProblem);

    // A sandboxed client is what shows the integrity rule on its own (an elevated root client at
    // LOW against a MEDIUM job); it needs a test process that is not sandboxed itself.
    const AdminResult sandboxProbe = runProgram(As::SandboxedUser, cat, {QStringLiteral("/proc/self/status")});
    const QByteArray sandboxStatus = sandboxProbe.out.toUtf8();
    if (inheritedFacts().sandboxed)
        m_sandboxProblem = QStringLiteral("the test itself runs sandboxed (%1): every client is LOW").arg(inheritedFacts().why);
    else if (sandboxProbe.exitCode != 0 || statusField(sandboxStatus, "NoNewPrivs") != "1"
             || statusField(sandboxStatus, "Seccomp") != "2" || statusField(sandboxStatus, "Uid") != "65534 65534 65534 65534")
        m_sandboxProblem = QStringLiteral("cannot run a client under no_new_privs + seccomp here: ") + describe(sandboxProbe);

    QVERIFY(m_www.isValid());
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("payload.bin")), PayloadSize, 65534));
    m_nginx = std::make_unique<NginxServer>(m_www.path());
    QString error;
    QVERIFY2(m_nginx->start(&error), qPrintable(error));
}

void TestOwner::cleanupTestCase()
{
    for (const QString &profile : std::as_const(m_profiles))
        shutdownEngine(profile);
    m_profiles.clear();
    if (m_nginx)
        m_nginx->stop();
}

// Every test gets a fresh root engine on a profile uid 65534 can reach.
void TestOwner::init()
{
    m_case = OtherUser::makeDir(m_user.base() + QLatin1Char('/') + QString::fromLatin1(QTest::currentTestFunction()), Mode0755);
    QVERIFY(!m_case.isEmpty());
    m_profile = m_case + QStringLiteral("/profile");
    m_profiles << m_profile;

    // As root first: this call starts the engine, as root, so the clients below find it running.
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("list")}));
    const QList<qint64> engines = enginesFor(m_profile);
    QCOMPARE(engines.size(), 1);
    m_enginePid = engines.first();
    // The profile folder is private to its creator: open the way to the socket for other users.
    QVERIFY(QFile::setPermissions(m_profile, Mode0755));

    // A root engine is the system instance: its socket is connectable by every local user.
    const QString socket = ferry::Profile(m_profile).socketPath();
    QVERIFY2(QFileInfo(socket).absolutePath() == m_profile,
             qPrintable(QStringLiteral("the socket %1 is not in the profile (path too long?)").arg(socket)));
    struct stat st{};
    QVERIFY2(::stat(QFile::encodeName(socket).constData(), &st) == 0, qPrintable(socket));
    QVERIFY2(S_ISSOCK(st.st_mode) && (st.st_mode & 0006) == 0006,
             qPrintable(QStringLiteral("a root engine's socket should be world-connectable: %1 has mode 0%2")
                            .arg(socket)
                            .arg(st.st_mode & 07777, 0, 8)));
}

void TestOwner::cleanup()
{
    const QStringList problems = shutdownEngines(&m_profiles);
    m_enginePid = 0;
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

// Root runs PROGRAM itself; uid 65534 runs it under setpriv, with a small clean environment
// (its own HOME, no XDG_RUNTIME_DIR of root's) so that nothing of root's leaks into it.
AdminResult TestOwner::runProgram(As who, const QString &program, const QStringList &args, int timeoutMs)
{
    OtherUser::Options options;
    options.timeoutMs = timeoutMs;
    if (isSandboxed(who))
        options.childModifier = enterSandbox;
    if (who == As::CapableUser)
        options.setprivArgs = {QStringLiteral("--inh-caps=+dac_override"), QStringLiteral("--ambient-caps=+dac_override")};
    if (!isRoot(who))
        return m_user.run(program, args, options);
    AdminCall call;
    call.timeoutMs = timeoutMs;
    call.childModifier = options.childModifier;
    return runCommand(program, args, call);
}

AdminResult TestOwner::admin(As who, const QStringList &args, int timeoutMs)
{
    if (who == As::Root)
        return runAdmin(m_profile, args, timeoutMs);
    const QString program = isRoot(who) ? adminProgram() : m_user.bin() + QStringLiteral("/ferry-admin");
    return runProgram(who, program, QStringList{QStringLiteral("--profile"), m_profile} + args, timeoutMs);
}

AdminResult TestOwner::raw(As who, const QJsonObject &request)
{
    return runProgram(who, m_user.bin() + QStringLiteral("/ferry-rawclient"),
                      {ferry::Profile(m_profile).socketPath(),
                       QString::fromUtf8(QJsonDocument(request).toJson(QJsonDocument::Compact))});
}

QJsonObject TestOwner::rawReply(As who, const QJsonObject &request)
{
    const AdminResult r = raw(who, request);
    bool ok = false;
    const QJsonObject reply = jsonObject(r.out, &ok);
    if (r.exitCode != 0 || !ok || lines(r.out).size() != 1) {
        qWarning().noquote() << "ferry-rawclient got no single JSON reply line:" << describe(r);
        return {};
    }
    return reply;
}

QString TestOwner::createJob(As who, const QString &name)
{
    const AdminResult r = admin(who, {QStringLiteral("create"), name});
    if (r.exitCode != 0 || QUuid::fromString(r.out.trimmed()).isNull()) {
        qWarning().noquote() << "create" << name << "failed:" << describe(r);
        return {};
    }
    return r.out.trimmed();
}

QJsonObject TestOwner::info(As who, const QString &job)
{
    const AdminResult r = admin(who, {QStringLiteral("info"), job, QStringLiteral("--json")});
    bool ok = false;
    const QJsonObject o = jsonObject(r.out, &ok);
    if (r.exitCode != 0 || !ok) {
        qWarning().noquote() << "info" << job << "failed:" << describe(r);
        return {};
    }
    return o;
}

QJsonArray TestOwner::listJson(As who)
{
    const AdminResult r = admin(who, {QStringLiteral("list"), QStringLiteral("--json")});
    bool ok = false;
    const QJsonArray a = jsonArray(r.out, &ok);
    if (r.exitCode != 0 || !ok)
        qWarning().noquote() << "list --json failed:" << describe(r);
    return a;
}

// Root's own client: the job is root's, elevated, at this process's level (SYSTEM outside a
// login session, HIGH inside one, e.g. under sudo).
void TestOwner::rootClientOwnsElevatedJob()
{
    const QString id = createJob(As::Root, QStringLiteral("root job"));
    QVERIFY(!id.isEmpty());
    const ExpectedOwner expected = expectedOwner(As::Root);
    QVERIFY2(expected.elevated, qPrintable(expected.why));

    const QJsonObject job = info(As::Root, id);
    QVERIFY(!job.isEmpty());
    QVERIFY(job.value(QLatin1String("ownerElevated")).isBool());
    QVERIFY(job.value(QLatin1String("ownerUid")).isDouble());
    QVERIFY2(ownerLine(job) == ownerLine(expected),
             qPrintable(QStringLiteral("got %1, expected %2 for %3").arg(ownerLine(job), ownerLine(expected), expected.why)));

    const AdminResult elevation = admin(As::Root, {QStringLiteral("getownerelevationstate"), id});
    ADMIN_OK(elevation);
    QCOMPARE(elevation.out, QStringLiteral("true\n"));
    const AdminResult integrity = admin(As::Root, {QStringLiteral("getownerintegritylevel"), id});
    ADMIN_OK(integrity);
    QCOMPARE(integrity.out, expected.integrity + QLatin1Char('\n'));
    const AdminResult owner = admin(As::Root, {QStringLiteral("getowner"), id});
    ADMIN_OK(owner);
    QCOMPARE(owner.out, QStringLiteral("%1 (uid 0)\n").arg(userNameOf(0)));
}

// An ordinary user's client in the system instance: the job is that user's, not elevated, MEDIUM.
void TestOwner::userClientOwnsMediumJob()
{
    const QString id = createJob(As::User, QStringLiteral("user job"));
    QVERIFY(!id.isEmpty());
    const ExpectedOwner expected = expectedOwner(As::User);

    // The user reads its own job, and root reads the same.
    const QJsonObject mine = info(As::User, id);
    QVERIFY(!mine.isEmpty());
    QVERIFY2(ownerLine(mine) == ownerLine(expected),
             qPrintable(QStringLiteral("got %1, expected %2 for %3").arg(ownerLine(mine), ownerLine(expected), expected.why)));
    QCOMPARE(mine.value(QLatin1String("ownerUid")).toDouble(), double(NobodyUid));
    QCOMPARE(mine.value(QLatin1String("ownerElevated")), QJsonValue(false));
    QCOMPARE(info(As::Root, id), mine);
    QCOMPARE(idsOf(listJson(As::User)), QStringList{id});

    const AdminResult elevation = admin(As::User, {QStringLiteral("getownerelevationstate"), id});
    ADMIN_OK(elevation);
    QCOMPARE(elevation.out, QStringLiteral("false\n"));
    const AdminResult integrity = admin(As::User, {QStringLiteral("getownerintegritylevel"), id});
    ADMIN_OK(integrity);
    QCOMPARE(integrity.out, expected.integrity + QLatin1Char('\n'));
    const AdminResult owner = admin(As::User, {QStringLiteral("getowner"), id});
    ADMIN_OK(owner);
    QCOMPARE(owner.out, QStringLiteral("%1 (uid %2)\n").arg(userNameOf(NobodyUid)).arg(NobodyUid));

    // Its owner changes it freely.
    ADMIN_OK(admin(As::User, {QStringLiteral("setpriority"), id, QStringLiteral("HIGH")}));
    ADMIN_OK(admin(As::User, {QStringLiteral("setdescription"), id, QStringLiteral("mine")}));
    const QJsonObject changed = info(As::User, id);
    QCOMPARE(changed.value(QLatin1String("priority")).toString(), QStringLiteral("HIGH"));
    QCOMPARE(changed.value(QLatin1String("description")).toString(), QStringLiteral("mine"));
    // But not take it over, not even its own job: TakeOwnership is for elevated callers only
    // (docs/jobs.md §13). Nothing changes.
    const QJsonObject untaken = info(As::Root, id);
    const AdminResult take = admin(As::User, {QStringLiteral("takeownership"), id});
    ADMIN_FAILS_WITH(take, AccessDenied);
    QVERIFY2(take.err.contains(QLatin1String("elevated")), qPrintable(describe(take)));
    QCOMPARE(info(As::Root, id), untaken);
    QCOMPARE(ownerLine(info(As::Root, id)), ownerLine(expected));
}

// Elevation without root (an admin capability): the job is the user's but elevated and HIGH; the
// same user without the capability may read it but not change it (docs/jobs.md §13: reading
// stays allowed), the capable client may.
void TestOwner::capableUserOwnsElevatedJobOnlyElevatedMayChange()
{
    if (!m_capsWork)
        QSKIP(qPrintable(m_capsProblem));
    const QString id = createJob(As::CapableUser, QStringLiteral("capable job"));
    QVERIFY(!id.isEmpty());
    const ExpectedOwner expected = expectedOwner(As::CapableUser);
    QCOMPARE(expected.integrity, inheritedFacts().sandboxed ? QStringLiteral("LOW") : QStringLiteral("HIGH"));

    const QJsonObject before = info(As::Root, id);
    QVERIFY(!before.isEmpty());
    QVERIFY2(ownerLine(before) == ownerLine(expected),
             qPrintable(QStringLiteral("got %1, expected %2 for %3").arg(ownerLine(before), ownerLine(expected), expected.why)));

    // Read: the owner's uid sees it, without elevation too.
    QVERIFY(idsOf(listJson(As::User)).contains(id));
    const AdminResult state = admin(As::User, {QStringLiteral("getstate"), id});
    ADMIN_OK(state);
    QCOMPARE(state.out, QStringLiteral("SUSPENDED\n"));
    QCOMPARE(info(As::User, id), before);
    const AdminResult elevation = admin(As::User, {QStringLiteral("getownerelevationstate"), id});
    ADMIN_OK(elevation);
    QCOMPARE(elevation.out, QStringLiteral("true\n"));

    // Change: refused to the non-elevated client, with a message saying why.
    const AdminResult priority = admin(As::User, {QStringLiteral("setpriority"), id, QStringLiteral("HIGH")});
    ADMIN_FAILS_WITH(priority, AccessDenied);
    QVERIFY2(priority.err.contains(QLatin1String("elevated")), qPrintable(describe(priority)));
    ADMIN_FAILS_WITH(admin(As::User, {QStringLiteral("setdescription"), id, QStringLiteral("hijacked")}), AccessDenied);
    ADMIN_FAILS_WITH(admin(As::User, {QStringLiteral("resume"), id}), AccessDenied);
    ADMIN_FAILS_WITH(admin(As::User, {QStringLiteral("cancel"), id}), AccessDenied);
    // Taking it over is no way around: the same uid, but not elevated.
    ADMIN_FAILS_WITH(admin(As::User, {QStringLiteral("takeownership"), id}), AccessDenied);
    QCOMPARE(info(As::Root, id), before);

    // The elevated client changes it.
    ADMIN_OK(admin(As::CapableUser, {QStringLiteral("setpriority"), id, QStringLiteral("HIGH")}));
    ADMIN_OK(admin(As::CapableUser, {QStringLiteral("setdescription"), id, QStringLiteral("by the capable client")}));
    const QJsonObject after = info(As::Root, id);
    QCOMPARE(after.value(QLatin1String("priority")).toString(), QStringLiteral("HIGH"));
    QCOMPARE(after.value(QLatin1String("description")).toString(), QStringLiteral("by the capable client"));
    QCOMPARE(ownerLine(after), ownerLine(before));
    ADMIN_OK(admin(As::CapableUser, {QStringLiteral("cancel"), id}));
    QVERIFY(!idsOf(listJson(As::Root)).contains(id));
}

// Another user's job does not exist for an ordinary user (NOT_FOUND, not ACCESSDENIED: not even
// its existence leaks); root sees every job and, being elevated at HIGH or SYSTEM, changes a
// MEDIUM user's.
void TestOwner::usersNeitherSeeNorChangeRootJobs()
{
    const QString rootJob = createJob(As::Root, QStringLiteral("root only"));
    QVERIFY(!rootJob.isEmpty());
    const QString userJob = createJob(As::User, QStringLiteral("users"));
    QVERIFY(!userJob.isEmpty());
    const QJsonObject rootBefore = info(As::Root, rootJob);
    QVERIFY(!rootBefore.isEmpty());

    QCOMPARE(idsOf(listJson(As::User)), QStringList{userJob});
    const AdminResult listed = admin(As::User, {QStringLiteral("list")});
    ADMIN_OK(listed);
    QVERIFY2(!listed.out.contains(rootJob) && !listed.out.contains(QLatin1String("root only"))
                 && listed.out.contains(QLatin1String("Listed 1 job(s).")),
             qPrintable(describe(listed)));

    // By id and by name alike.
    for (const QString &job : {rootJob, QStringLiteral("root only")}) {
        ADMIN_FAILS_WITH(admin(As::User, {QStringLiteral("setpriority"), job, QStringLiteral("HIGH")}), NotFound);
        ADMIN_FAILS_WITH(admin(As::User, {QStringLiteral("cancel"), job}), NotFound);
        ADMIN_FAILS_WITH(admin(As::User, {QStringLiteral("info"), job, QStringLiteral("--json")}), NotFound);
        ADMIN_FAILS_WITH(admin(As::User, {QStringLiteral("getstate"), job}), NotFound);
        ADMIN_FAILS_WITH(admin(As::User, {QStringLiteral("takeownership"), job}), NotFound);
        ADMIN_FAILS_WITH(admin(As::User, {QStringLiteral("wait"), job}), NotFound);
    }
    if (m_capsWork) // an admin capability is not root: still not the user's to see
        ADMIN_FAILS_WITH(admin(As::CapableUser, {QStringLiteral("cancel"), rootJob}), NotFound);
    QCOMPARE(info(As::Root, rootJob), rootBefore); // same priority, state, times: untouched

    // Root sees both and changes the user's job.
    const QStringList all = idsOf(listJson(As::Root));
    QVERIFY2(all.contains(rootJob) && all.contains(userJob), qPrintable(all.join(QLatin1Char(' '))));
    ADMIN_OK(admin(As::Root, {QStringLiteral("setpriority"), userJob, QStringLiteral("LOW")}));
    ADMIN_OK(admin(As::Root, {QStringLiteral("setdescription"), userJob, QStringLiteral("set by root")}));
    const QJsonObject userAfter = info(As::User, userJob);
    QCOMPARE(userAfter.value(QLatin1String("priority")).toString(), QStringLiteral("LOW"));
    QCOMPARE(userAfter.value(QLatin1String("description")).toString(), QStringLiteral("set by root"));
    QCOMPARE(userAfter.value(QLatin1String("ownerUid")).toDouble(), double(NobodyUid)); // still the user's

    // Root takes it over: now it is root's, elevated, and gone for the user.
    ADMIN_OK(admin(As::Root, {QStringLiteral("takeownership"), userJob}));
    const QJsonObject taken = info(As::Root, userJob);
    QVERIFY2(ownerLine(taken) == ownerLine(expectedOwner(As::Root)), qPrintable(ownerLine(taken)));
    QCOMPARE(idsOf(listJson(As::User)), QStringList());
    ADMIN_FAILS_WITH(admin(As::User, {QStringLiteral("getstate"), userJob}), NotFound);
}

// The owner comes from the kernel only: whatever identity a request claims is ignored, upward
// (a user claiming root and SYSTEM) and downward (root claiming to be an ordinary user).
void TestOwner::spoofedClaimsAreIgnored()
{
    const QJsonObject claimRoot{
        {QStringLiteral("owner"),
         QJsonObject{{QStringLiteral("uid"), 0}, {QStringLiteral("gid"), 0}, {QStringLiteral("userName"), QStringLiteral("root")},
                     {QStringLiteral("elevated"), true}, {QStringLiteral("integrity"), QStringLiteral("SYSTEM")}}},
        {QStringLiteral("uid"), 0},
        {QStringLiteral("gid"), 0},
        {QStringLiteral("pid"), 1},
        {QStringLiteral("elevated"), true},
        {QStringLiteral("integrity"), QStringLiteral("SYSTEM")},
        {QStringLiteral("ownerUid"), 0},
        {QStringLiteral("ownerElevated"), true},
        {QStringLiteral("ownerIntegrityLevel"), QStringLiteral("SYSTEM")},
    };
    const auto request = [](const QJsonObject &claims, const QString &verb, const QStringList &args) {
        QJsonObject r = claims;
        r.insert(QStringLiteral("verb"), verb);
        r.insert(QStringLiteral("args"), QJsonArray::fromStringList(args));
        return r;
    };

    // Upward: uid 65534 claiming root/SYSTEM gets an ordinary MEDIUM job of its own.
    const QJsonObject created = rawReply(As::User, request(claimRoot, QStringLiteral("create"), {QStringLiteral("spoof up")}));
    QVERIFY2(created.value(QLatin1String("ok")).toBool(), QJsonDocument(created).toJson().constData());
    const QString upId = created.value(QLatin1String("text")).toString();
    QVERIFY2(!QUuid::fromString(upId).isNull(), QJsonDocument(created).toJson().constData());
    const ExpectedOwner user = expectedOwner(As::User);
    const QJsonObject up = info(As::Root, upId);
    QVERIFY2(ownerLine(up) == ownerLine(user),
             qPrintable(QStringLiteral("got %1, expected %2 for %3").arg(ownerLine(up), ownerLine(user), user.why)));
    QVERIFY(idsOf(listJson(As::User)).contains(upId));

    // The claim opens no other door either: root's job stays invisible, the settings closed.
    const QString rootJob = createJob(As::Root, QStringLiteral("root spoof target"));
    QVERIFY(!rootJob.isEmpty());
    const QJsonObject rootBefore = info(As::Root, rootJob);
    const QJsonObject denied =
        rawReply(As::User, request(claimRoot, QStringLiteral("setpriority"), {rootJob, QStringLiteral("HIGH")}));
    QCOMPARE(denied.value(QLatin1String("ok")), QJsonValue(false));
    QCOMPARE(denied.value(QLatin1String("name")).toString(), QStringLiteral("NOT_FOUND"));
    QCOMPARE(denied.value(QLatin1String("code")).toString(), QStringLiteral("0x80200001"));
    const QJsonObject listed = rawReply(As::User, request(claimRoot, QStringLiteral("list"), {}));
    QVERIFY2(listed.value(QLatin1String("ok")).toBool(), QJsonDocument(listed).toJson().constData());
    QVERIFY(!idsOf(listed.value(QLatin1String("json")).toArray()).contains(rootJob));
    const QJsonObject config = rawReply(
        As::User, request(claimRoot, QStringLiteral("setconfig"), {QStringLiteral("maxBackgroundJobs"), QStringLiteral("1")}));
    QCOMPARE(config.value(QLatin1String("ok")), QJsonValue(false));
    QCOMPARE(config.value(QLatin1String("code")).toString(), QStringLiteral("0x80070005"));
    QCOMPARE(info(As::Root, rootJob), rootBefore);

    // Downward: root claiming to be uid 65534 at MEDIUM still owns an elevated root job.
    const QJsonObject claimUser{
        {QStringLiteral("owner"),
         QJsonObject{{QStringLiteral("uid"), int(NobodyUid)}, {QStringLiteral("gid"), int(NobodyUid)},
                     {QStringLiteral("elevated"), false}, {QStringLiteral("integrity"), QStringLiteral("MEDIUM")}}},
        {QStringLiteral("uid"), int(NobodyUid)},
        {QStringLiteral("elevated"), false},
        {QStringLiteral("integrity"), QStringLiteral("MEDIUM")},
    };
    const QJsonObject down = rawReply(As::Root, request(claimUser, QStringLiteral("create"), {QStringLiteral("spoof down")}));
    QVERIFY2(down.value(QLatin1String("ok")).toBool(), QJsonDocument(down).toJson().constData());
    const QString downId = down.value(QLatin1String("text")).toString();
    const ExpectedOwner root = expectedOwner(As::Root);
    const QJsonObject downInfo = info(As::Root, downId);
    QVERIFY2(ownerLine(downInfo) == ownerLine(root),
             qPrintable(QStringLiteral("got %1, expected %2 for %3").arg(ownerLine(downInfo), ownerLine(root), root.why)));
    QVERIFY(!idsOf(listJson(As::User)).contains(downId));
}

// In a root engine a user's job cannot write where that user could not (docs/jobs.md §6.1: the folder
// must be writable by the owner, E_ACCESSDENIED otherwise).
void TestOwner::execAfterConnectGainsNothing()
{
    // A client connects as itself, then turns the connecting pid into a setuid-root program
    // (su, waiting at its password prompt) while a child of it keeps the socket and sends the
    // request. The engine must not take the now-elevated pid for the caller.
    const QFileInfo su(QStringLiteral("/usr/bin/su"));
    if (!su.exists() || su.ownerId() != 0 || !(su.permissions() & QFileDevice::ExeOther)
        || !(QFile(su.filePath()).permissions() & QFileDevice::ExeOwner))
        QSKIP("no setuid-root /usr/bin/su to exec after connecting");
    const QJsonObject request{{QStringLiteral("verb"), QStringLiteral("create")},
                              {QStringLiteral("args"), QJsonArray{QStringLiteral("exec after connect")}}};
    const AdminResult r = runProgram(As::User, m_user.bin() + QStringLiteral("/ferry-rawclient"),
                                     {QStringLiteral("--exec-after-connect"), ferry::Profile(m_profile).socketPath(),
                                      QString::fromUtf8(QJsonDocument(request).toJson(QJsonDocument::Compact)),
                                      su.filePath(), QStringLiteral("-")});
    bool ok = false;
    const QJsonObject created = jsonObject(r.out, &ok);
    QVERIFY2(ok && created.value(QLatin1String("ok")).toBool(), qPrintable(describe(r)));
    const QJsonObject job = info(As::Root, created.value(QLatin1String("text")).toString());
    QCOMPARE(job.value(QLatin1String("ownerUid")).toDouble(), double(NobodyUid));
    QCOMPARE(job.value(QLatin1String("ownerElevated")).toBool(), false);
    QCOMPARE(job.value(QLatin1String("ownerIntegrityLevel")).toString(), QStringLiteral("UNTRUSTED"));
}

void TestOwner::longProfilePathIsServedToo()
{
    // A profile path too long for a socket address puts the socket in /tmp under a name every
    // user derives from the path alone, so the root engine's users still find it.
    QString longProfile = m_case;
    while (QFile::encodeName(longProfile + QStringLiteral("/control.sock")).size() < 120)
        longProfile += QStringLiteral("/a-rather-long-folder-name");
    QVERIFY(!OtherUser::makeDir(longProfile, Mode0755).isEmpty());
    longProfile += QStringLiteral("/profile");
    m_profiles << longProfile;
    ADMIN_OK(runAdmin(longProfile, {QStringLiteral("create"), QStringLiteral("root job")}));
    QVERIFY(QFile::setPermissions(longProfile, Mode0755));
    QVERIFY(ferry::Profile(longProfile).socketPath().startsWith(QDir::tempPath() + QLatin1Char('/')));

    m_profile = longProfile; // admin() talks to m_profile
    const AdminResult created = admin(As::User, {QStringLiteral("create"), QStringLiteral("user job")});
    ADMIN_OK(created);
    const QJsonArray seen = listJson(As::User);
    QCOMPARE(seen.size(), 1);
    QCOMPARE(seen.at(0).toObject().value(QLatin1String("name")).toString(), QStringLiteral("user job"));
}

void TestOwner::unreachableProfileSaysWhy()
{
    // The root engine's profile before anyone opened it up: the user may neither reach the
    // socket nor start an engine there, and is told so (not "another ferry-admin is starting").
    QVERIFY(QFile::setPermissions(m_profile, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
    const AdminResult r = admin(As::User, {QStringLiteral("list")});
    QVERIFY2(r.exitCode > 0 && r.err.contains(QLatin1String("no write access")), qPrintable(describe(r)));
    QCOMPARE(enginesFor(m_profile), QList<qint64>{m_enginePid});
}

void TestOwner::addFileChecksTheFolderAsTheOwner()
{
    const QString rootOnly = OtherUser::makeDir(m_case + QStringLiteral("/root-only"), Mode0755);
    QVERIFY(!rootOnly.isEmpty());
    const QString id = createJob(As::User, QStringLiteral("into root's folder"));
    QVERIFY(!id.isEmpty());

    const QString target = rootOnly + QStringLiteral("/payload.bin");
    const AdminResult r = admin(As::User, {QStringLiteral("addfile"), id, m_nginx->url(QStringLiteral("/payload.bin")).toString(), target});
    ADMIN_FAILS_WITH(r, AccessDenied);
    QVERIFY2(r.err.contains(rootOnly), qPrintable(describe(r)));
    QCOMPARE(QDir(rootOnly).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot), QStringList());
    const QJsonObject job = info(As::Root, id);
    QCOMPARE(job.value(QLatin1String("filesTotal")).toDouble(), 0.0);
    QCOMPARE(job.value(QLatin1String("files")).toArray().size(), 0);

    // The same folder is fine for root's own job: the refusal was about the owner, not the path.
    const QString rootJob = createJob(As::Root, QStringLiteral("root's own"));
    QVERIFY(!rootJob.isEmpty());
    ADMIN_OK(admin(As::Root, {QStringLiteral("addfile"), rootJob, m_nginx->url(QStringLiteral("/payload.bin")).toString(), target}));
    QCOMPARE(QDir(rootOnly).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot), QStringList());
}

// A whole download for uid 65534 through the root engine: the file arrives intact and belongs to
// the user, as if the user had downloaded it.
void TestOwner::transferWritesFilesAsTheOwner()
{
    const QString open = OtherUser::makeDir(m_case + QStringLiteral("/open"), Mode0777); // root's, writable by all
    QVERIFY(!open.isEmpty());
    const QString local = open + QStringLiteral("/payload.bin");

    const AdminResult r = admin(As::User, {QStringLiteral("transfer"), QStringLiteral("as nobody"),
                                           m_nginx->url(QStringLiteral("/payload.bin")).toString(), local});
    ADMIN_OK(r);
    QVERIFY2(r.out.contains(QLatin1String("TRANSFERRED and completed")), qPrintable(describe(r)));

    const QFileInfo file(local);
    QVERIFY(file.exists());
    QCOMPARE(file.size(), PayloadSize);
    QCOMPARE(sha256(local), sha256(m_www.filePath(QStringLiteral("payload.bin"))));
    QVERIFY2(file.ownerId() == NobodyUid && file.groupId() == NobodyUid,
             qPrintable(QStringLiteral("%1 belongs to uid %2 gid %3, not to the job's owner %4")
                            .arg(local)
                            .arg(file.ownerId())
                            .arg(file.groupId())
                            .arg(NobodyUid)));
    QCOMPARE(QDir(open).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot),
             QStringList{QStringLiteral("payload.bin")}); // no temporary file left
    QCOMPARE(listJson(As::User), QJsonArray()); // completed jobs leave the list
}

// A root engine runs a user's notify program as that user, never as root.
void TestOwner::notifyProgramRunsAsTheOwner()
{
    const QString open = OtherUser::makeDir(m_case + QStringLiteral("/notify"), Mode0777);
    QVERIFY(!open.isEmpty());
    const QString script = open + QStringLiteral("/whoami.sh");
    const QString log = open + QStringLiteral("/ran-as");
    {
        QFile f(script);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral("#!/bin/sh\necho \"$(id -u) $(id -g) $FERRY_JOB_STATE\" > '%1'\n").arg(log).toUtf8());
    }
    QVERIFY(QFile::setPermissions(script, Mode0755));

    const QString id = createJob(As::User, QStringLiteral("notify me"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(admin(As::User, {QStringLiteral("addfile"), id, m_nginx->url(QStringLiteral("/payload.bin")).toString(),
                              open + QStringLiteral("/notified.bin")}));
    ADMIN_OK(admin(As::User, {QStringLiteral("setnotifycmdline"), id, script, QStringLiteral("whoami.sh")}));
    ADMIN_OK(admin(As::User, {QStringLiteral("resume"), id}));
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(log).size() > 0, 20000);
    QFile f(log);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(f.readAll()).trimmed(), QStringLiteral("%1 %1 TRANSFERRED").arg(NobodyUid));
    QCOMPARE(QFileInfo(log).ownerId(), NobodyUid);
}

// The engine's settings and its life belong to the engine's user (root here) alone: no other
// user, elevated or not, changes them.
void TestOwner::onlyRootOrTheEngineUserConfiguresAndShutsDown()
{
    const AdminResult before = admin(As::Root, {QStringLiteral("getconfig")});
    ADMIN_OK(before);

    QList<As> others{As::User};
    if (m_capsWork)
        others << As::CapableUser;
    for (As who : others) {
        ADMIN_FAILS_WITH(admin(who, {QStringLiteral("setconfig"), QStringLiteral("maxBackgroundJobs"), QStringLiteral("1")}),
                         AccessDenied);
        ADMIN_FAILS_WITH(admin(who, {QStringLiteral("shutdown")}), AccessDenied);
    }

    // Still the same engine, answering, with the same settings.
    QCOMPARE(enginesFor(m_profile), QList<qint64>{m_enginePid});
    const AdminResult after = admin(As::Root, {QStringLiteral("getconfig")});
    ADMIN_OK(after);
    QCOMPARE(after.out, before.out);
    ADMIN_OK(admin(As::User, {QStringLiteral("list")}));

    // Root itself may (the engine's user): the reference that the verbs work at all.
    ADMIN_OK(admin(As::Root, {QStringLiteral("setconfig"), QStringLiteral("maxBackgroundJobs"), QStringLiteral("3")}));
    const AdminResult changed = admin(As::Root, {QStringLiteral("getconfig")});
    ADMIN_OK(changed);
    QVERIFY2(changed.out.contains(QLatin1String("maxBackgroundJobs 3")), qPrintable(describe(changed)));
    ADMIN_OK(admin(As::Root, {QStringLiteral("shutdown")}));
    QTRY_VERIFY_WITH_TIMEOUT(!isAlive(m_enginePid), 20000);
}

// No caller changes a job whose owner runs at a higher integrity level (docs/jobs.md §13: a SYSTEM
// job resists an elevated caller), elevated or not, the owner's own uid or not. Sandboxed clients
// are LOW: root in a sandbox is elevated and sees every job, yet changes none above LOW.
void TestOwner::lowerIntegrityChangesNoHigherJob()
{
    if (!m_sandboxProblem.isEmpty())
        QSKIP(qPrintable(m_sandboxProblem));
    const QString rootJob = createJob(As::Root, QStringLiteral("system job"));
    const QString userJob = createJob(As::User, QStringLiteral("medium job"));
    const QString lowJob = createJob(As::SandboxedRoot, QStringLiteral("low job"));
    QVERIFY(!rootJob.isEmpty() && !userJob.isEmpty() && !lowJob.isEmpty());

    const ExpectedOwner low = expectedOwner(As::SandboxedRoot);
    QCOMPARE(low.integrity, QStringLiteral("LOW"));
    QVERIFY(low.elevated);
    const QJsonObject lowInfo = info(As::Root, lowJob);
    QVERIFY2(ownerLine(lowInfo) == ownerLine(low),
             qPrintable(QStringLiteral("got %1, expected %2 for %3").arg(ownerLine(lowInfo), ownerLine(low), low.why)));
    const QJsonObject rootBefore = info(As::Root, rootJob);
    const QJsonObject userBefore = info(As::Root, userJob);
    QVERIFY(!rootBefore.isEmpty() && !userBefore.isEmpty());

    // Sandboxed root: reads everything (uid 0), changes nothing above LOW, with a message saying why.
    QCOMPARE(info(As::SandboxedRoot, rootJob), rootBefore);
    QCOMPARE(info(As::SandboxedRoot, userJob), userBefore);
    for (const QString &job : {rootJob, userJob}) {
        const AdminResult r = admin(As::SandboxedRoot, {QStringLiteral("setpriority"), job, QStringLiteral("HIGH")});
        ADMIN_FAILS_WITH(r, AccessDenied);
        QVERIFY2(r.err.contains(QLatin1String("integrity")), qPrintable(describe(r)));
        ADMIN_FAILS_WITH(admin(As::SandboxedRoot, {QStringLiteral("setdescription"), job, QStringLiteral("low")}), AccessDenied);
        ADMIN_FAILS_WITH(admin(As::SandboxedRoot, {QStringLiteral("cancel"), job}), AccessDenied);
        ADMIN_FAILS_WITH(admin(As::SandboxedRoot, {QStringLiteral("takeownership"), job}), AccessDenied);
    }
    // The user itself, sandboxed: its own job, but created at MEDIUM.
    QCOMPARE(info(As::SandboxedUser, userJob), userBefore);
    ADMIN_FAILS_WITH(admin(As::SandboxedUser, {QStringLiteral("setpriority"), userJob, QStringLiteral("HIGH")}), AccessDenied);
    ADMIN_FAILS_WITH(admin(As::SandboxedUser, {QStringLiteral("cancel"), userJob}), AccessDenied);
    QCOMPARE(info(As::Root, rootJob), rootBefore);
    QCOMPARE(info(As::Root, userJob), userBefore);

    // At or above the owner's level it works: LOW on its own LOW job, SYSTEM/HIGH root on it too.
    ADMIN_OK(admin(As::SandboxedRoot, {QStringLiteral("setdescription"), lowJob, QStringLiteral("by low")}));
    ADMIN_OK(admin(As::Root, {QStringLiteral("setpriority"), lowJob, QStringLiteral("LOW")}));
    const QJsonObject lowAfter = info(As::Root, lowJob);
    QCOMPARE(lowAfter.value(QLatin1String("description")).toString(), QStringLiteral("by low"));
    QCOMPARE(lowAfter.value(QLatin1String("priority")).toString(), QStringLiteral("LOW"));
}

QTEST_GUILESS_MAIN(TestOwner)
#include "tst_owner.moc"
