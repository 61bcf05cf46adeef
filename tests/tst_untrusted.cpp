// A root engine (the computer's system instance) against a hostile local user (docs/security.md).
// The test runs as root, starts the engine as root and plays uid 65534 through setpriv with the
// real binaries: the user swaps its own `.part` for a symlink to a root-only file, a FIFO or
// /dev/zero, names jobs with terminal escapes, hides a password in a URL, claims capabilities from
// a user namespace of its own, and reads what it should not. Each test first shows the honest
// path works, then that the attack gets nothing and the engine keeps serving everyone.
#include "AdminRunner.h"
#include "ChildServer.h"
#include "FaultServer.h"
#include "OtherUser.h"
#include "TestContent.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTest>
#include <QUuid>

#include <memory>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace admintest;
using ferry::test::FaultServer;
using ferry::test::TestContent;

namespace {

constexpr qint64 PayloadSize = 200000;
constexpr int WaitMs = 60000;

const QFileDevice::Permissions Mode0777 = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                          | QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
                                          | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;
const QFileDevice::Permissions Mode0755 = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                          | QFileDevice::ReadGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
                                          | QFileDevice::ExeOther;

mode_t modeOf(const QString &path)
{
    struct stat st {};
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 ? (st.st_mode & 07777) : mode_t(-1);
}

QString octal(mode_t mode) { return QStringLiteral("0%1").arg(mode, 0, 8); }

} // namespace

class TestUntrusted : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void symlinkedPartIsNeverPublished();
    void rewrittenPartIsNeverPublished();
    void symlinkedPartOnCompleteIsNeverPublished();
    void fifoPartCannotFreezeTheEngine();
    void fifoPartAtResumeFailsTheJobAlone();
    void devicesAndFifosAreNeverHashed();
    void systemInstanceFilesArePrivate();
    void urlUserInfoIsRefused();
    void capabilitiesInAUserNamespaceAreNoElevation();
    void controlCharactersAreRefusedAndEscaped();
    void notifyRunsInTheOwnersOwnEnvironment();

private:
    AdminResult root(const QStringList &args, int timeoutMs = WaitMs) { return runAdmin(m_profile, args, timeoutMs); }
    AdminResult user(const QStringList &args) { return m_user.admin(m_profile, args); }
    AdminResult userShell(const QString &script);
    QString userJob(const QString &name, const QString &url, const QString &fileName, bool server); // id, resumed
    QJsonObject info(const QString &id);
    QString partOf(const QString &id);
    QString stateOf(const QString &id);
    void enablePeerCache();
    QJsonArray records();
    QString engineLog() const;
    QString makeSecret(const QString &name);   // a root-only file of PayloadSize bytes

    OtherUser m_user;
    std::unique_ptr<FaultServer> m_fault;
    QString m_case;     // this test's folder (0755)
    QString m_files;    // the user's download folder (0777)
    QString m_profile;  // the root engine's
};

void TestUntrusted::initTestCase()
{
    const QString problem = m_user.setUp({adminProgram(), qEnvironmentVariable("FERRY_RAWCLIENT")});
    if (!problem.isEmpty())
        QSKIP(qPrintable(problem));
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");
    m_fault = std::make_unique<FaultServer>();
    QVERIFY(m_fault->port() != 0);
}

void TestUntrusted::cleanupTestCase()
{
    m_fault.reset();
}

// Every test gets a fresh root engine, started by root with a secret of root's in its environment
// (which nothing of a user's may ever see).
void TestUntrusted::init()
{
    m_case = OtherUser::makeDir(m_user.base() + QLatin1Char('/') + QString::fromLatin1(QTest::currentTestFunction()), Mode0755);
    m_files = OtherUser::makeDir(m_case + QStringLiteral("/files"), Mode0777);
    QVERIFY(!m_case.isEmpty() && !m_files.isEmpty());
    m_profile = m_case + QStringLiteral("/profile");
    AdminCall call;
    call.environment = QProcessEnvironment::systemEnvironment();
    call.environment.insert(QStringLiteral("FERRY_ROOT_CANARY"), QStringLiteral("root-only-canary"));
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("list")}, call));
}

void TestUntrusted::cleanup()
{
    if (QTest::currentTestFailed())
        qWarning().noquote() << "engine.log (last 4 KiB):\n" << engineLog().right(4096);
    QString reason;
    const bool clean = shutdownEngine(m_profile, &reason);
    QVERIFY2(clean, qPrintable(reason)); // it ended when told, nothing had to be killed
}

AdminResult TestUntrusted::userShell(const QString &script)
{
    return m_user.run(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), script});
}

QString TestUntrusted::userJob(const QString &name, const QString &url, const QString &fileName, bool server)
{
    const AdminResult created = user({QStringLiteral("create"), name});
    const QString id = created.out.trimmed();
    if (created.exitCode != 0 || QUuid::fromString(id).isNull()) {
        qWarning().noquote() << "create failed:" << describe(created);
        return {};
    }
    QList<QStringList> steps{{QStringLiteral("addfile"), id, url, m_files + QLatin1Char('/') + fileName}};
    if (server)
        steps << QStringList{QStringLiteral("setpeercachingflags"), id, QStringLiteral("2")};
    steps << QStringList{QStringLiteral("resume"), id};
    for (const QStringList &step : steps) {
        const AdminResult r = user(step);
        if (r.exitCode != 0) {
            qWarning().noquote() << step.first() << "failed:" << describe(r);
            return {};
        }
    }
    return id;
}

QJsonObject TestUntrusted::info(const QString &id)
{
    return jsonObject(root({QStringLiteral("info"), id, QStringLiteral("--json")}).out);
}

QString TestUntrusted::partOf(const QString &id)
{
    return info(id).value(QLatin1String("files")).toArray().first().toObject().value(QLatin1String("tempName")).toString();
}

QString TestUntrusted::stateOf(const QString &id)
{
    return root({QStringLiteral("getstate"), id}).out.trimmed();
}

void TestUntrusted::enablePeerCache()
{
    for (const QStringList &args : QList<QStringList>{
             {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("tlsPort"), QString::number(ferry::test::freeLoopbackPort())},
             {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("discoveryPort"), QString::number(ferry::test::freeLoopbackPort())},
             {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("multicast"), QStringLiteral("false")},
             {QStringLiteral("cache"), QStringLiteral("set"), QStringLiteral("enabled"), QStringLiteral("true")},
             {QStringLiteral("cache"), QStringLiteral("groupkey"), QStringLiteral("create")}})
        ADMIN_OK(root(args));
    QTRY_VERIFY2_WITH_TIMEOUT(jsonObject(root({QStringLiteral("cache"), QStringLiteral("info"), QStringLiteral("--json")}).out)
                                  .value(QLatin1String("active"))
                                  .toBool(),
                              qPrintable(root({QStringLiteral("cache"), QStringLiteral("info")}).out), WaitMs);
}

QJsonArray TestUntrusted::records()
{
    return jsonArray(root({QStringLiteral("cache"), QStringLiteral("records"), QStringLiteral("--json")}).out);
}

QString TestUntrusted::engineLog() const
{
    return QString::fromUtf8(readAll(m_profile + QStringLiteral("/engine.log")));
}

QString TestUntrusted::makeSecret(const QString &name)
{
    const QString path = m_case + QLatin1Char('/') + name;
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(QByteArray(PayloadSize, 'S')) != PayloadSize)
        return {};
    f.close();
    QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return path;
}

// The attack of issue 11: a user's TRANSFERRED `.part` becomes a symlink to a root-only file, then
// the user validates it. Root must neither hash nor copy that file into the peer cache, from where
// the group would serve it to anyone fetching the job's URL.
void TestUntrusted::symlinkedPartIsNeverPublished()
{
    enablePeerCache();
    const QString honest = userJob(QStringLiteral("honest"), m_fault->url(QStringLiteral("/file?size=%1&seed=11").arg(PayloadSize)).toString(),
                                   QStringLiteral("honest.bin"), true);
    const QString evil = userJob(QStringLiteral("evil"), m_fault->url(QStringLiteral("/file?size=%1&seed=12").arg(PayloadSize)).toString(),
                                 QStringLiteral("evil.bin"), true);
    QVERIFY(!honest.isEmpty() && !evil.isEmpty());
    ADMIN_OK(user({QStringLiteral("wait"), honest}));
    ADMIN_OK(user({QStringLiteral("wait"), evil}));

    // The honest path works: a validated SERVER file becomes a record.
    ADMIN_OK(user({QStringLiteral("setvalidationstate"), honest, QStringLiteral("0"), QStringLiteral("true")}));
    QTRY_COMPARE_WITH_TIMEOUT(records().size(), 1, WaitMs);

    const QString secret = makeSecret(QStringLiteral("secret"));
    QVERIFY(!secret.isEmpty());
    const QString part = partOf(evil);
    ADMIN_OK(userShell(QStringLiteral("ln -sf '%1' '%2'").arg(secret, part)));
    QVERIFY(QFileInfo(part).isSymLink());
    ADMIN_OK(user({QStringLiteral("setvalidationstate"), evil, QStringLiteral("0"), QStringLiteral("true")}));
    QTRY_VERIFY_WITH_TIMEOUT(engineLog().contains(part + QStringLiteral(" is a symbolic link")), WaitMs);

    QCOMPARE(records().size(), 1);
    const QByteArray secretSha = sha256(secret);
    for (QDirIterator it(m_profile + QStringLiteral("/peercache"), QDir::Files); it.hasNext();)
        QVERIFY2(sha256(it.next()) != secretSha, "the root-only file was copied into the peer cache");
    ADMIN_OK(root({QStringLiteral("list")})); // and the engine serves on
}

// The user rewrites its own `.part` with other bytes of the same size after the transfer: the
// cache takes only the bytes the transfer hashed as it wrote them.
void TestUntrusted::rewrittenPartIsNeverPublished()
{
    enablePeerCache();
    const QString id = userJob(QStringLiteral("rewritten"), m_fault->url(QStringLiteral("/file?size=%1&seed=13").arg(PayloadSize)).toString(),
                               QStringLiteral("rewritten.bin"), true);
    QVERIFY(!id.isEmpty());
    ADMIN_OK(user({QStringLiteral("wait"), id}));
    const QString part = partOf(id);
    ADMIN_OK(userShell(QStringLiteral("head -c %1 /dev/zero | tr '\\0' 'X' > '%2'").arg(PayloadSize).arg(part)));
    QCOMPARE(QFileInfo(part).size(), PayloadSize);
    ADMIN_OK(user({QStringLiteral("setvalidationstate"), id, QStringLiteral("0"), QStringLiteral("true")}));
    QTRY_VERIFY_WITH_TIMEOUT(engineLog().contains(part + QStringLiteral(" is not cached: it changed after it was transferred")), WaitMs);
    QCOMPARE(records().size(), 0);
}

// Complete renames the `.part` as the user: a symlink stays a symlink under the final name, and
// the validation that follows refuses it just the same.
void TestUntrusted::symlinkedPartOnCompleteIsNeverPublished()
{
    enablePeerCache();
    const QString id = userJob(QStringLiteral("complete"), m_fault->url(QStringLiteral("/file?size=%1&seed=14").arg(PayloadSize)).toString(),
                               QStringLiteral("complete.bin"), true);
    QVERIFY(!id.isEmpty());
    ADMIN_OK(user({QStringLiteral("wait"), id}));
    const QString secret = makeSecret(QStringLiteral("secret"));
    QVERIFY(!secret.isEmpty());
    ADMIN_OK(userShell(QStringLiteral("ln -sf '%1' '%2'").arg(secret, partOf(id))));
    ADMIN_OK(user({QStringLiteral("complete"), id}));
    const QString final = m_files + QStringLiteral("/complete.bin");
    QTRY_VERIFY_WITH_TIMEOUT(engineLog().contains(final + QStringLiteral(" is a symbolic link")), WaitMs);
    QCOMPARE(records().size(), 0);

    // The honest control: the same steps without the swap give a record.
    const QString honest = userJob(QStringLiteral("honest"), m_fault->url(QStringLiteral("/file?size=%1&seed=15").arg(PayloadSize)).toString(),
                                   QStringLiteral("honest.bin"), true);
    QVERIFY(!honest.isEmpty());
    ADMIN_OK(user({QStringLiteral("wait"), honest}));
    ADMIN_OK(user({QStringLiteral("complete"), honest}));
    QTRY_COMPARE_WITH_TIMEOUT(records().size(), 1, WaitMs);
}

// While the origin trickles a file with a Repr-Digest, the user swaps the `.part` for a FIFO. The
// single transfer thread hashes the bytes it wrote, never the path: the job ends TRANSFERRED (the
// digest matched), everyone else is served meanwhile, and the engine shuts down when told.
void TestUntrusted::fifoPartCannotFreezeTheEngine()
{
    const QString id = userJob(QStringLiteral("trickle"),
                               m_fault->url(QStringLiteral("/trickle?size=1048576&chunk=8192&interval=30&digest=sha256&seed=16")).toString(),
                               QStringLiteral("trickle.bin"), false);
    QVERIFY(!id.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(partOf(id)).size() > 0, WaitMs);
    const QString part = partOf(id);
    ADMIN_OK(userShell(QStringLiteral("rm -f '%1' && mkfifo '%1'").arg(part)));
    const QString bystander = m_fault->url(QStringLiteral("/file?size=%1&seed=17").arg(PayloadSize)).toString();
    ADMIN_OK(root({QStringLiteral("transfer"), QStringLiteral("bystander"), bystander, m_case + QStringLiteral("/bystander.bin")}));
    QCOMPARE(sha256(m_case + QStringLiteral("/bystander.bin")), TestContent::sha256Hex(17, PayloadSize));
    ADMIN_OK(user({QStringLiteral("wait"), id}));
    QCOMPARE(stateOf(id), QStringLiteral("TRANSFERRED"));
    ADMIN_OK(root({QStringLiteral("list")}));
}

// A FIFO (or a symlink) put in place of a suspended job's `.part` fails that job when it resumes,
// with the reason; the engine neither blocks nor follows it.
void TestUntrusted::fifoPartAtResumeFailsTheJobAlone()
{
    const QString id = userJob(QStringLiteral("resumed"),
                               m_fault->url(QStringLiteral("/trickle?size=1048576&chunk=8192&interval=30&seed=18")).toString(),
                               QStringLiteral("resumed.bin"), false);
    QVERIFY(!id.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(partOf(id)).size() > 0, WaitMs);
    ADMIN_OK(user({QStringLiteral("suspend"), id}));
    const QString part = partOf(id);
    ADMIN_OK(userShell(QStringLiteral("rm -f '%1' && mkfifo '%1'").arg(part)));
    ADMIN_OK(user({QStringLiteral("resume"), id}));
    const AdminResult waited = user({QStringLiteral("wait"), id});
    QCOMPARE(waited.out.trimmed(), QStringLiteral("ERROR"));
    const AdminResult error = user({QStringLiteral("geterror"), id});
    QVERIFY2(error.out.contains(QLatin1String("is not a regular file")), qPrintable(describe(error)));

    ADMIN_OK(userShell(QStringLiteral("rm -f '%1' && ln -s /etc/passwd '%1'").arg(part)));
    ADMIN_OK(user({QStringLiteral("resume"), id}));
    QCOMPARE(user({QStringLiteral("wait"), id}).out.trimmed(), QStringLiteral("ERROR"));
    const AdminResult linked = user({QStringLiteral("geterror"), id});
    QVERIFY2(linked.out.contains(QLatin1String("symbolic link")), qPrintable(describe(linked)));
    QVERIFY(QFileInfo(QStringLiteral("/etc/passwd")).size() > 0); // untouched, not truncated
    ADMIN_OK(root({QStringLiteral("list")}));
}

// /dev/zero behind a symlink, or a FIFO, in place of a validated file: refused before any read
// (the pool threads used to spin on them forever).
void TestUntrusted::devicesAndFifosAreNeverHashed()
{
    enablePeerCache();
    const QString id = userJob(QStringLiteral("device"), m_fault->url(QStringLiteral("/file?size=%1&seed=19").arg(PayloadSize)).toString(),
                               QStringLiteral("device.bin"), true);
    QVERIFY(!id.isEmpty());
    ADMIN_OK(user({QStringLiteral("wait"), id}));
    const QString part = partOf(id);
    ADMIN_OK(userShell(QStringLiteral("ln -sf /dev/zero '%1'").arg(part)));
    ADMIN_OK(user({QStringLiteral("setvalidationstate"), id, QStringLiteral("0"), QStringLiteral("true")}));
    QTRY_VERIFY_WITH_TIMEOUT(engineLog().contains(part + QStringLiteral(" is a symbolic link")), WaitMs);
    ADMIN_OK(userShell(QStringLiteral("rm -f '%1' && mkfifo '%1'").arg(part)));
    ADMIN_OK(user({QStringLiteral("setvalidationstate"), id, QStringLiteral("0"), QStringLiteral("true")}));
    QTRY_VERIFY_WITH_TIMEOUT(engineLog().contains(part + QStringLiteral(" is not a regular file")), WaitMs);
    QCOMPARE(records().size(), 0);
    ADMIN_OK(root({QStringLiteral("list")}));
}

// The system instance's database and log hold every user's URLs, headers and command lines: they
// are root's alone; users reach the socket and nothing else. A user's download is the user's.
void TestUntrusted::systemInstanceFilesArePrivate()
{
    enablePeerCache();
    const QString id = userJob(QStringLiteral("private"), m_fault->url(QStringLiteral("/file?size=%1&seed=20&token=api-key-123").arg(PayloadSize)).toString(),
                               QStringLiteral("private.bin"), false);
    QVERIFY(!id.isEmpty());
    ADMIN_OK(user({QStringLiteral("wait"), id}));
    ADMIN_OK(user({QStringLiteral("complete"), id}));

    QCOMPARE(octal(modeOf(m_profile)), QStringLiteral("0711"));
    for (const char *name : {"jobs.db", "jobs.db-wal", "jobs.db-shm", "engine.log", "engine.lock"})
        QVERIFY2(modeOf(m_profile + QLatin1Char('/') + QLatin1String(name)) == 0600,
                 qPrintable(QStringLiteral("%1 has mode %2").arg(QLatin1String(name), octal(modeOf(m_profile + QLatin1Char('/') + QLatin1String(name))))));
    QCOMPARE(octal(modeOf(m_profile + QStringLiteral("/peercache"))), QStringLiteral("0700"));

    const AdminResult read = m_user.run(QStringLiteral("/bin/cat"), {m_profile + QStringLiteral("/jobs.db")});
    QVERIFY2(read.exitCode != 0 && !read.out.contains(QLatin1String("api-key-123")), qPrintable(describe(read)));
    const AdminResult listing = m_user.run(QStringLiteral("/bin/ls"), {m_profile});
    QVERIFY2(listing.exitCode != 0, qPrintable(describe(listing)));
    const AdminResult recordsAsUser = user({QStringLiteral("cache"), QStringLiteral("records")});
    QVERIFY2(recordsAsUser.exitCode != 0 && recordsAsUser.err.contains(QLatin1String("ACCESSDENIED")), qPrintable(describe(recordsAsUser)));
    ADMIN_OK(root({QStringLiteral("cache"), QStringLiteral("records")}));

    const QFileInfo download(m_files + QStringLiteral("/private.bin"));
    QCOMPARE(download.ownerId(), OtherUser::Uid);
    QCOMPARE(octal(modeOf(download.filePath())), QStringLiteral("0644"));
    QCOMPARE(sha256(download.filePath()), TestContent::sha256Hex(20, PayloadSize));
}

// A password in a URL would be stored, printed and sent to peers: addfile refuses it, points to
// setcredentials, and repeats it nowhere.
void TestUntrusted::urlUserInfoIsRefused()
{
    const QString password = QStringLiteral("Pw-S3cret-%1").arg(QUuid::createUuid().toString(QUuid::Id128).left(8));
    const AdminResult created = user({QStringLiteral("create"), QStringLiteral("userinfo")});
    ADMIN_OK(created);
    const QString id = created.out.trimmed();
    QUrl url = m_fault->url(QStringLiteral("/basic/file?size=1000"));
    url.setUserName(QStringLiteral("alice"));
    url.setPassword(password);
    const AdminResult r = user({QStringLiteral("addfile"), id, url.toString(), m_files + QStringLiteral("/userinfo.bin")});
    QVERIFY2(r.exitCode != 0 && r.err.contains(QLatin1String("setcredentials")), qPrintable(describe(r)));
    QVERIFY2(!r.err.contains(password) && !r.out.contains(password), qPrintable(describe(r)));
    QVERIFY(info(id).value(QLatin1String("files")).toArray().isEmpty());
    for (QDirIterator it(m_profile, QDir::Files, QDirIterator::Subdirectories); it.hasNext();) {
        const QString path = it.next();
        QVERIFY2(!readAll(path).contains(password.toUtf8()), qPrintable(path));
    }
}

// `unshare -r` gives a user every capability inside a user namespace of its own. They are worth
// nothing outside it, and its jobs are not elevated.
void TestUntrusted::capabilitiesInAUserNamespaceAreNoElevation()
{
    const QString unshare = QStandardPaths::findExecutable(QStringLiteral("unshare"));
    if (unshare.isEmpty())
        QSKIP("no unshare (util-linux)");
    OtherUser::Options inNamespace;
    inNamespace.launcher = {unshare, QStringLiteral("-r")};
    const AdminResult probe = m_user.run(QStringLiteral("/bin/cat"), {QStringLiteral("/proc/self/status")}, inNamespace);
    if (probe.exitCode != 0)
        QSKIP(qPrintable(QStringLiteral("unprivileged user namespaces are not available here: ") + describe(probe)));
    const quint64 capEff = statusField(probe.out.toUtf8(), "CapEff").toULongLong(nullptr, 16);
    QVERIFY2(capEff & (quint64(1) << 21), qPrintable(describe(probe))); // CAP_SYS_ADMIN, in there

    // ferry-admin itself refuses to talk to an engine it cannot see as root from in there; the
    // attacker's own client has no such scruples.
    const QJsonObject request{{QStringLiteral("verb"), QStringLiteral("create")}, {QStringLiteral("args"), QJsonArray{QStringLiteral("namespaced")}}};
    const AdminResult created = m_user.run(m_user.bin() + QStringLiteral("/ferry-rawclient"),
                                           {m_profile + QStringLiteral("/control.sock"),
                                            QString::fromUtf8(QJsonDocument(request).toJson(QJsonDocument::Compact))},
                                           inNamespace);
    const QJsonObject reply = jsonObject(created.out);
    QVERIFY2(reply.value(QLatin1String("ok")).toBool(), qPrintable(describe(created)));
    const QJsonObject job = info(reply.value(QLatin1String("text")).toString());
    QCOMPARE(job.value(QLatin1String("ownerUid")).toDouble(), double(OtherUser::Uid));
    QCOMPARE(job.value(QLatin1String("ownerElevated")), QJsonValue(false));
    QCOMPARE(job.value(QLatin1String("ownerIntegrityLevel")).toString(), QStringLiteral("MEDIUM"));
}

// Names and descriptions reach root's terminal: control characters are refused, and whatever
// ferry-admin prints is made visible first.
void TestUntrusted::controlCharactersAreRefusedAndEscaped()
{
    const AdminResult escape = user({QStringLiteral("create"), QStringLiteral("evil\x1b[2Jname")});
    QVERIFY2(escape.exitCode != 0 && escape.err.contains(QLatin1String("INVALIDARG")) && escape.err.contains(QLatin1String("U+001B")),
             qPrintable(describe(escape)));
    QVERIFY2(!escape.err.contains(QChar(0x1b)), "a raw ESC reached the terminal");

    const QString raw = m_user.bin() + QStringLiteral("/ferry-rawclient");
    const QString socket = m_profile + QStringLiteral("/control.sock");
    for (const QString &name : {QStringLiteral("a\u0000b"), QStringLiteral("csi\u009bname"), QStringLiteral("two\nlines")}) {
        const QJsonObject request{{QStringLiteral("verb"), QStringLiteral("create")}, {QStringLiteral("args"), QJsonArray{name}}};
        const AdminResult r = m_user.run(raw, {socket, QString::fromUtf8(QJsonDocument(request).toJson(QJsonDocument::Compact))});
        const QJsonObject reply = jsonObject(r.out);
        QVERIFY2(reply.value(QLatin1String("ok")) == QJsonValue(false) && reply.value(QLatin1String("code")).toString() == QStringLiteral("0x80070057"),
                 qPrintable(describe(r)));
    }
    const AdminResult created = user({QStringLiteral("create"), QStringLiteral("Grüße ✓")});
    ADMIN_OK(created);
    ADMIN_FAILS_ONE_LINE(user({QStringLiteral("setdescription"), created.out.trimmed(), QStringLiteral("line\rover")}));

    // What comes back from the engine is escaped too: here an argument echoed in an error.
    const AdminResult echoed = root({QStringLiteral("getstate"), QStringLiteral("\x1b]0;owned\x07")});
    QVERIFY2(echoed.exitCode != 0 && echoed.err.contains(QLatin1String("\\x1b]0;owned\\x07")), qPrintable(describe(echoed)));
    QVERIFY2(!echoed.err.contains(QChar(0x1b)) && !echoed.err.contains(QChar(0x07)), "raw control characters reached the terminal");
    const AdminResult listed = root({QStringLiteral("list")});
    ADMIN_OK(listed);
    QVERIFY2(listed.out.contains(QStringLiteral("Grüße ✓")), qPrintable(describe(listed)));
}

// A root engine runs a user's notify program as the user, with the user's own environment basics
// from the passwd entry, in the user's home, and nothing of root's.
void TestUntrusted::notifyRunsInTheOwnersOwnEnvironment()
{
    const QString script = m_files + QStringLiteral("/notify.sh");
    const QString out = m_files + QStringLiteral("/notify.out");
    {
        QFile f(script);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QStringLiteral("#!/bin/sh\n{ env; echo \"PWD_IS=$(pwd)\"; echo \"UMASK_IS=$(umask)\"; echo \"ID_IS=$(id -u)\"; } > '%1'\n")
                    .arg(out)
                    .toUtf8());
    }
    QVERIFY(QFile::setPermissions(script, Mode0755));
    const QString id = userJob(QStringLiteral("notify"), m_fault->url(QStringLiteral("/file?size=1000&seed=21")).toString(),
                               QStringLiteral("notify.bin"), false);
    QVERIFY(!id.isEmpty());
    ADMIN_OK(user({QStringLiteral("suspend"), id}));
    ADMIN_OK(user({QStringLiteral("setnotifycmdline"), id, script, QStringLiteral("notify.sh")}));
    ADMIN_OK(user({QStringLiteral("resume"), id}));
    QTRY_VERIFY_WITH_TIMEOUT(readAll(out).contains("ID_IS="), WaitMs);

    const passwd *pw = ::getpwuid(OtherUser::Uid);
    QVERIFY(pw);
    const QString home = QFile::decodeName(pw->pw_dir);
    QStringList seen = QString::fromUtf8(readAll(out)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    const auto has = [&](const QString &line) { return seen.contains(line); };
    QVERIFY2(has(QStringLiteral("ID_IS=%1").arg(OtherUser::Uid)), qPrintable(seen.join(QLatin1Char('\n'))));
    QVERIFY2(has(QStringLiteral("HOME=") + home), qPrintable(seen.join(QLatin1Char('\n'))));
    QVERIFY2(has(QStringLiteral("USER=") + QString::fromLocal8Bit(pw->pw_name)), qPrintable(seen.join(QLatin1Char('\n'))));
    QVERIFY2(has(QStringLiteral("LOGNAME=") + QString::fromLocal8Bit(pw->pw_name)), qPrintable(seen.join(QLatin1Char('\n'))));
    QVERIFY2(has(QStringLiteral("PATH=/usr/local/bin:/usr/bin:/bin")), qPrintable(seen.join(QLatin1Char('\n'))));
    QVERIFY2(has(QStringLiteral("FERRY_JOB_STATE=TRANSFERRED")), qPrintable(seen.join(QLatin1Char('\n'))));
    QVERIFY2(has(QStringLiteral("UMASK_IS=0022")), qPrintable(seen.join(QLatin1Char('\n'))));
    QVERIFY2(has(QStringLiteral("PWD_IS=") + (QFileInfo(home).isDir() ? home : QStringLiteral("/"))), qPrintable(seen.join(QLatin1Char('\n'))));
    for (const QString &line : std::as_const(seen))
        for (const char *rootOnly : {"FERRY_ROOT_CANARY=", "DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR=", "XDG_DATA_HOME="})
            QVERIFY2(!line.startsWith(QLatin1String(rootOnly)), qPrintable(line));
}

QTEST_GUILESS_MAIN(TestUntrusted)
#include "tst_untrusted.moc"
