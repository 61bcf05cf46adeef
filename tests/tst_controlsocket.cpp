// End to end: the engine's control socket against hostile local clients. Real engines (started
// by ferry-admin, some under `prlimit` so they have the usual 1024 descriptors and cannot raise
// them), real sockets. When the test runs as root the engine is the system instance and the
// attacker is uid 65534 (setpriv), a user it must serve; otherwise the attacker is this user.
// Checked: an attacker holding all the connections it can does not lock out the engine's user or
// root, nor make the engine stop listening, even when the engine runs out of descriptors; a
// client that never reads its replies costs bounded memory and is dropped; idle connections are
// closed, `wait` ones are not; malformed requests get E_INVALIDARG saying what is wrong; a
// half-closed client gets its replies; a connection costs one descriptor, no pidfd.
#include "AdminRunner.h"
#include "EngineClient.h"
#include "control/ControlLimits.h"
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

#include <csignal>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <poll.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace admintest;
namespace limits = ferry::control;

namespace {

constexpr int AttackConnections = 1000;
constexpr qint64 MiB = 1024 * 1024;
constexpr qint64 HogBytes = 50 * MiB;          // requests the never-reading client offers
constexpr qint64 RssAllowanceKb = 100 * 1024;  // what the engine may grow by under that client
constexpr int ShortIdleTimeoutMs = 1500;
const QByteArray InvalidArg = "0x80070057";
const QByteArray TooManyConnections = "0x80070047";

const QFileDevice::Permissions Mode0755 = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                          | QFileDevice::ReadGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
                                          | QFileDevice::ExeOther;

// A control connection of this test process, on the bare socket: it sends exactly what it is
// given, reads what comes back, and can half-close.
class RawConnection
{
public:
    explicit RawConnection(const QString &socketPath)
    {
        m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        const QByteArray path = QFile::encodeName(socketPath);
        std::memcpy(addr.sun_path, path.constData(), size_t(qMin<qsizetype>(path.size(), sizeof addr.sun_path - 1)));
        if (m_fd >= 0 && ::connect(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
            ::close(m_fd);
            m_fd = -1;
        }
    }
    ~RawConnection()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    RawConnection(const RawConnection &) = delete;
    RawConnection &operator=(const RawConnection &) = delete;

    bool isOpen() const { return m_fd >= 0; }

    // False when the engine stopped taking bytes (it closed the connection).
    bool send(const QByteArray &bytes)
    {
        for (qsizetype done = 0; done < bytes.size();) {
            const ssize_t n = ::send(m_fd, bytes.constData() + done, size_t(bytes.size() - done), MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            done += n;
        }
        return true;
    }

    // The next line without its newline; empty when none came in time or the engine closed.
    QByteArray readLine(int timeoutMs = 60000)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            if (const qsizetype newline = m_buffer.indexOf('\n'); newline >= 0) {
                const QByteArray line = m_buffer.left(newline);
                m_buffer.remove(0, newline + 1);
                return line;
            }
            if (!fill(deadline))
                return {};
        }
    }

    QJsonObject readReply(int timeoutMs = 60000) { return QJsonDocument::fromJson(readLine(timeoutMs)).object(); }

    // The engine closed the connection and nothing unread is left (checked now, no waiting).
    bool closedByEngine()
    {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0)
            return false;
        char c;
        return m_buffer.isEmpty() && ::recv(m_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
    }

    // Reads until the engine closes; false if it did not within the time.
    bool waitClosed(int timeoutMs = 60000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (fill(deadline)) {
        }
        return m_eof;
    }

    void shutdownWrite() { ::shutdown(m_fd, SHUT_WR); }

private:
    bool fill(const QDeadlineTimer &deadline)
    {
        pollfd p{m_fd, POLLIN, 0};
        if (m_fd < 0 || m_eof || ::poll(&p, 1, int(qMax<qint64>(0, deadline.remainingTime()))) <= 0)
            return false;
        char buffer[64 * 1024];
        const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            m_eof = true;
            return false;
        }
        m_buffer.append(buffer, n);
        return true;
    }

    int m_fd = -1;
    bool m_eof = false;
    QByteArray m_buffer;
};

QByteArray requestLine(const QString &verb, const QStringList &args = {}, bool json = true)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("verb"), verb},
                                     {QStringLiteral("args"), QJsonArray::fromStringList(args)},
                                     {QStringLiteral("json"), json}})
               .toJson(QJsonDocument::Compact)
           + '\n';
}

QString show(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

// The reply to `wait` on a job that was cancelled (and so is gone).
bool isCancelled(const QJsonObject &waitReply)
{
    const QString state = waitReply.value(QLatin1String("text")).toString();
    return state == QLatin1String("CANCELLED") || state == QLatin1String("REMOVED");
}

// The targets of a process's open descriptors, by number ("socket:[123]", "anon_inode:[pidfd]").
QHash<QString, QString> descriptorsOf(qint64 pid)
{
    QHash<QString, QString> targets;
    const QString dir = QStringLiteral("/proc/%1/fd").arg(pid);
    for (const QString &fd : QDir(dir).entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot)) {
        char target[256];
        const ssize_t n = ::readlink(QFile::encodeName(dir + QLatin1Char('/') + fd).constData(), target, sizeof target - 1);
        if (n > 0)
            targets.insert(fd, QString::fromLocal8Bit(target, n));
    }
    return targets;
}

int pidfdsOf(qint64 pid)
{
    int count = 0;
    for (const QString &target : descriptorsOf(pid))
        count += target.contains(QLatin1String("pidfd")) ? 1 : 0;
    return count;
}

// A field of /proc/PID/status in kB ("VmRSS", "VmHWM"); -1 if unreadable.
qint64 statusKb(qint64 pid, const QByteArray &field)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray value = statusField(f.readAll(), field);
    return value.isEmpty() ? -1 : value.split(' ').value(0).toLongLong();
}

// The soft "Max open files" of a process.
qint64 openFilesLimit(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/limits").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("Max open files"))
            return line.mid(14).simplified().split(' ').value(0).toLongLong();
    return -1;
}

// `ferry-rawclient --hold` running: its verdict, and the process that keeps the connections.
struct Holder
{
    std::unique_ptr<QProcess> process;
    int held = -1, turnedAway = -1, failed = -1;
    QJsonObject firstError;
    QString output;

    // Lets the connections go and waits for the holder to exit.
    bool release()
    {
        process->closeWriteChannel();
        return process->waitForFinished(60000) && process->exitCode() == 0;
    }
};

} // namespace

class TestControlSocket : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();

    void connectionsAreCappedPerUser();
    void runningOutOfDescriptorsKeepsTheSocket();
    void neverReadingClientIsBoundedAndDropped();
    void idleConnectionIsClosedWaitIsNot();
    void malformedRequestsGetInvalidArg();
    void oversizedRequestIsRefused();
    void halfClosedClientGetsItsReplies();
    void aConnectionCostsOneDescriptor();
    void subscriberGetsTheJobFeedInOrder();
    void windowClientWorksOverTheSocket();
    void subscriberThatNeverReadsIsDropped();
    void requestAfterTheConnectingProcessIsGoneIsUntrusted();

private:
    qint64 startEngine(const QString &name, const QStringList &launcher = {}, const QStringList &environment = {});
    QString socketPath() const { return ferry::Profile(m_profile).socketPath(); }
    QStringList asAttacker(const QStringList &command) const;
    bool hold(Holder *holder, int connections);
    QString createJob(const QString &name);

    bool m_root = false;
    QString m_setpriv, m_prlimit, m_rawclient;
    std::unique_ptr<QTemporaryDir> m_base; // 0755: bin/ (the rawclient uid 65534 runs), one folder per engine
    QString m_profile;
    QStringList m_profiles;
};

void TestControlSocket::initTestCase()
{
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(QFileInfo(engineProgram()).isExecutable(), "FERRY_ENGINE must name the ferry binary");
    const QString rawclient = qEnvironmentVariable("FERRY_RAWCLIENT");
    QVERIFY2(QFileInfo(rawclient).isExecutable(), "FERRY_RAWCLIENT must name the ferry-rawclient binary");
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");
    m_root = ::geteuid() == 0;
    m_setpriv = QStandardPaths::findExecutable(QStringLiteral("setpriv"));
    m_prlimit = QStandardPaths::findExecutable(QStringLiteral("prlimit"));
    QVERIFY2(!m_root || !m_setpriv.isEmpty(), "as root the attacker runs as uid 65534 through setpriv (util-linux)");

    const QString tempRoot = traversableByOthers(QDir::tempPath()) ? QDir::tempPath() : QStringLiteral("/tmp");
    m_base = std::make_unique<QTemporaryDir>(tempRoot + QStringLiteral("/tst_controlsocket-XXXXXX"));
    QVERIFY(m_base->isValid());
    QVERIFY(QFile::setPermissions(m_base->path(), Mode0755));
    // The build tree may be private: uid 65534 runs a copy.
    QVERIFY(QDir().mkpath(m_base->filePath(QStringLiteral("bin"))));
    QVERIFY(QFile::setPermissions(m_base->filePath(QStringLiteral("bin")), Mode0755));
    m_rawclient = m_base->filePath(QStringLiteral("bin/ferry-rawclient"));
    QVERIFY(QFile::copy(rawclient, m_rawclient));
    QVERIFY(QFile::setPermissions(m_rawclient, Mode0755));
}

void TestControlSocket::cleanup()
{
    const QStringList problems = shutdownEngines(&m_profiles);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

// An engine of its own for the test, started by ferry-admin through LAUNCHER (the engine inherits
// what the launcher sets) with ENVIRONMENT added; its pid, 0 (failed) when none came up.
qint64 TestControlSocket::startEngine(const QString &name, const QStringList &launcher, const QStringList &environment)
{
    m_profile = m_base->filePath(name + QStringLiteral("/profile"));
    m_profiles << m_profile;
    if (!QDir().mkpath(QFileInfo(m_profile).absolutePath())
        || !QFile::setPermissions(QFileInfo(m_profile).absolutePath(), Mode0755))
        return 0;
    AdminCall call;
    call.environment = QProcessEnvironment::systemEnvironment();
    for (const QString &variable : environment)
        call.environment.insert(variable.section(QLatin1Char('='), 0, 0), variable.section(QLatin1Char('='), 1));
    const AdminResult r = runAdminVia(launcher, m_profile, {QStringLiteral("list")}, call);
    const QList<qint64> engines = enginesFor(m_profile);
    if (r.exitCode != 0 || engines.size() != 1) {
        qWarning().noquote() << "the engine did not start:" << describe(r);
        return 0;
    }
    // The profile folder is private to its creator: open the way to the socket for uid 65534.
    QFile::setPermissions(m_profile, Mode0755);
    return engines.first();
}

// uid 65534 when the test is root (the engine then serves it as one of its users), else as is.
QStringList TestControlSocket::asAttacker(const QStringList &command) const
{
    if (!m_root)
        return command;
    return QStringList{m_setpriv, QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"),
                       QStringLiteral("--clear-groups"), QStringLiteral("--")}
           + command;
}

// Starts `ferry-rawclient --hold CONNECTIONS` as the attacker and reads its verdict.
bool TestControlSocket::hold(Holder *holder, int connections)
{
    const QStringList command = asAttacker({m_rawclient, QStringLiteral("--hold"), QString::number(connections), socketPath()});
    holder->process = std::make_unique<QProcess>();
    holder->process->setProgram(command.first());
    holder->process->setArguments(command.mid(1));
    holder->process->start();
    if (!holder->process->waitForStarted(10000))
        return false;
    QDeadlineTimer deadline(120000);
    QByteArray out;
    while (out.count('\n') < 2 && !deadline.hasExpired() && holder->process->state() == QProcess::Running) {
        holder->process->waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
        out += holder->process->readAllStandardOutput();
    }
    holder->output = QString::fromUtf8(out) + QString::fromUtf8(holder->process->readAllStandardError());
    const QList<QByteArray> lines = out.split('\n');
    const QList<QByteArray> counts = lines.value(0).split(' ');
    if (lines.size() < 2 || counts.size() != 6)
        return false;
    holder->held = counts[1].toInt();
    holder->turnedAway = counts[3].toInt();
    holder->failed = counts[5].toInt();
    holder->firstError = QJsonDocument::fromJson(lines[1]).object();
    return true;
}

QString TestControlSocket::createJob(const QString &name)
{
    RawConnection c(socketPath());
    c.send(requestLine(QStringLiteral("create"), {name}));
    const QJsonObject r = c.readReply();
    if (!r.value(QLatin1String("ok")).toBool())
        qWarning().noquote() << "create failed:" << show(r);
    return r.value(QLatin1String("text")).toString();
}

// 1,000 connections from one user against an engine with the usual 1024 descriptors: the user
// holds its share and no more, each one beyond hears why, the engine's user (root) still gets
// in, the socket stays, and once the attacker leaves its share is free again.
void TestControlSocket::connectionsAreCappedPerUser()
{
    if (m_prlimit.isEmpty())
        QSKIP("needs prlimit (util-linux) to give the engine the usual 1024 descriptors");
    rlimit ours{};
    QVERIFY(::getrlimit(RLIMIT_NOFILE, &ours) == 0);
    if (ours.rlim_max < rlim_t(AttackConnections + 64))
        QSKIP("this process may not open the 1,000 connections of the attack");
    const qint64 engine = startEngine(QStringLiteral("capped"), {m_prlimit, QStringLiteral("--nofile=1024:1024"), QStringLiteral("--")});
    QVERIFY(engine > 0);
    QCOMPARE(openFilesLimit(engine), 1024);
    const int share = m_root ? limits::MaxConnectionsPerUser : limits::MaxConnectionsPerPrivilegedUser;
    const int before = int(descriptorsOf(engine).size());

    Holder attacker;
    QVERIFY2(hold(&attacker, AttackConnections), qPrintable(attacker.output));
    QVERIFY2(attacker.held == share && attacker.turnedAway == AttackConnections - share && attacker.failed == 0,
             qPrintable(attacker.output));
    QCOMPARE(attacker.firstError.value(QLatin1String("code")).toString().toLatin1(), TooManyConnections);
    QCOMPARE(attacker.firstError.value(QLatin1String("name")).toString(), QStringLiteral("TOO_MANY_CONNECTIONS"));
    QVERIFY2(attacker.firstError.value(QLatin1String("message")).toString().contains(QLatin1String("too many connections")),
             qPrintable(show(attacker.firstError)));
    QVERIFY2(int(descriptorsOf(engine).size()) <= before + share + 4, qPrintable(QString::number(descriptorsOf(engine).size())));

    // The socket is still there and served: to root (the system instance's own user) at once;
    // an ordinary engine's own user is the attacker here and hears that it holds too many.
    struct stat st{};
    QVERIFY(::stat(QFile::encodeName(socketPath()).constData(), &st) == 0 && S_ISSOCK(st.st_mode));
    const AdminResult during = runAdmin(m_profile, {QStringLiteral("list")});
    if (m_root)
        QVERIFY2(during.exitCode == 0 && during.out.contains(QLatin1String("Listed 0 job(s).")), qPrintable(describe(during)));
    else
        QVERIFY2(during.exitCode == 1 && during.err.contains(QLatin1String("TOO_MANY_CONNECTIONS")), qPrintable(describe(during)));

    QVERIFY(attacker.release());
    QTRY_VERIFY_WITH_TIMEOUT(int(descriptorsOf(engine).size()) <= before + 2, 30000);
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("list")}));
    Holder again;
    QVERIFY2(hold(&again, 10), qPrintable(again.output));
    QVERIFY2(again.held == 10, qPrintable(again.output));
    QVERIFY(again.release());
    // The same engine all along: it never stopped listening (ferry-admin would have started another).
    QCOMPARE(enginesFor(m_profile), QList<qint64>{engine});
}

// The engine out of descriptors (its limit lowered while it runs): clients are turned away with
// a reason instead of the socket going away, and it serves again once descriptors are free.
void TestControlSocket::runningOutOfDescriptorsKeepsTheSocket()
{
    if (m_prlimit.isEmpty())
        QSKIP("needs prlimit (util-linux) to lower the engine's descriptor limit");
    const qint64 engine = startEngine(QStringLiteral("starved"));
    QVERIFY(engine > 0);
    const int limit = int(descriptorsOf(engine).size()) + 16;
    QProcess prlimit;
    prlimit.start(m_prlimit, {QStringLiteral("--pid"), QString::number(engine), QStringLiteral("--nofile=%1:%1").arg(limit)});
    if (!prlimit.waitForFinished(10000) || prlimit.exitCode() != 0)
        QSKIP(qPrintable(QStringLiteral("cannot lower the engine's descriptor limit: %1").arg(QString::fromUtf8(prlimit.readAllStandardError()))));
    QCOMPARE(openFilesLimit(engine), limit);

    const int connections = 48; // within the attacker's share: the descriptors run out first
    Holder attacker;
    QVERIFY2(hold(&attacker, connections), qPrintable(attacker.output));
    QVERIFY2(attacker.held < connections && attacker.held + attacker.turnedAway == connections, qPrintable(attacker.output));
    QCOMPARE(attacker.firstError.value(QLatin1String("code")).toString().toLatin1(), TooManyConnections);
    QVERIFY2(attacker.firstError.value(QLatin1String("message")).toString().contains(QLatin1String("out of file descriptors")),
             qPrintable(show(attacker.firstError)));
    struct stat st{};
    QVERIFY(::stat(QFile::encodeName(socketPath()).constData(), &st) == 0 && S_ISSOCK(st.st_mode));
    // Meanwhile a client hears the same at once, or gets in if a descriptor came free.
    const AdminResult during = runAdmin(m_profile, {QStringLiteral("list")});
    QVERIFY2(during.exitCode == 0 || during.err.contains(QLatin1String("out of file descriptors")), qPrintable(describe(during)));

    QVERIFY(attacker.release());
    QTRY_VERIFY_WITH_TIMEOUT(runAdmin(m_profile, {QStringLiteral("list")}).exitCode == 0, 30000);
    QVERIFY(::stat(QFile::encodeName(socketPath()).constData(), &st) == 0 && S_ISSOCK(st.st_mode));
    QCOMPARE(enginesFor(m_profile), QList<qint64>{engine});
}

// A client that pipelines 50 MB of `list` requests over 200 jobs and never reads a reply: the
// engine stops serving it once a megabyte of replies is unread, its memory stays put, others are
// served meanwhile, and the client is dropped once it has read nothing for the idle timeout.
void TestControlSocket::neverReadingClientIsBoundedAndDropped()
{
    const qint64 engine = startEngine(QStringLiteral("hog"), {}, {QStringLiteral("FERRY_CONTROL_IDLE_TIMEOUT_MS=3000")});
    QVERIFY(engine > 0);
    {
        RawConnection c(socketPath());
        QByteArray creates;
        for (int i = 0; i < 200; ++i)
            creates += requestLine(QStringLiteral("create"), {QStringLiteral("job %1").arg(i)});
        QVERIFY(c.send(creates));
        for (int i = 0; i < 200; ++i)
            QVERIFY2(c.readReply().value(QLatin1String("ok")).toBool(), qPrintable(QString::number(i)));
    }
    const qint64 rssBefore = statusKb(engine, "VmRSS");
    QVERIFY(rssBefore > 0);

    QProcess hog;
    hog.start(m_rawclient, {QStringLiteral("--hog"), socketPath(), QString::number(HogBytes),
                            QString::fromUtf8(requestLine(QStringLiteral("list")).trimmed())});
    QVERIFY(hog.waitForStarted(10000));
    QByteArray said;
    QTRY_VERIFY_WITH_TIMEOUT((said += hog.readAllStandardOutput()).contains('\n') || hog.state() != QProcess::Running, 60000);
    // (Stalled: the engine takes no more. Under a heavy load the drop may come first.)
    QVERIFY2(said.startsWith("stalled ") || said.startsWith("dropped "), said.constData());

    const AdminResult other = runAdmin(m_profile, {QStringLiteral("list")});
    QVERIFY2(other.exitCode == 0 && other.out.contains(QLatin1String("Listed 200 job(s).")), qPrintable(describe(other)));

    QVERIFY2(hog.waitForFinished(120000), "the never-reading client was not dropped");
    said += hog.readAllStandardOutput();
    const QList<QByteArray> lines = said.trimmed().split('\n');
    QVERIFY2(lines.last().startsWith("dropped "), said.constData());
    QVERIFY2(lines.last().mid(8).toLongLong() < HogBytes, said.constData());
    const qint64 peak = statusKb(engine, "VmHWM");
    QVERIFY2(peak < rssBefore + RssAllowanceKb + sanitizerMemorySlackKiB(),
             qPrintable(QStringLiteral("peak RSS %1 kB, %2 kB before the never-reading client").arg(peak).arg(rssBefore)));
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("list")}));
}

// With the idle timeout short: connections without a request in progress are closed, whether
// they never sent one or were answered; a `wait` is a request in progress and stays.
void TestControlSocket::idleConnectionIsClosedWaitIsNot()
{
    const qint64 engine = startEngine(QStringLiteral("idle"), {}, {QStringLiteral("FERRY_CONTROL_IDLE_TIMEOUT_MS=%1").arg(ShortIdleTimeoutMs)});
    QVERIFY(engine > 0);
    const QString job = createJob(QStringLiteral("waited for"));
    QVERIFY(!QUuid::fromString(job).isNull());

    RawConnection waiter(socketPath());
    QVERIFY(waiter.send(requestLine(QStringLiteral("wait"), {job})));
    RawConnection answered(socketPath());
    QVERIFY(answered.send(requestLine(QStringLiteral("list"))));
    QVERIFY(answered.readReply().value(QLatin1String("ok")).toBool());
    QVERIFY(answered.waitClosed());
    // One more that never says anything, opened only now: once it is closed the waiter has been
    // there for two idle timeouts.
    RawConnection silent(socketPath());
    QVERIFY(silent.isOpen());
    QVERIFY(silent.waitClosed());
    QVERIFY(!waiter.closedByEngine());

    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("cancel"), job}));
    const QJsonObject done = waiter.readReply();
    QVERIFY2(done.value(QLatin1String("ok")).toBool() && isCancelled(done), qPrintable(show(done)));
}

// Each malformed request gets one E_INVALIDARG line saying what is wrong, and the connection and
// the engine go on serving.
void TestControlSocket::malformedRequestsGetInvalidArg()
{
    QVERIFY(startEngine(QStringLiteral("malformed")) > 0);
    const QString job = createJob(QStringLiteral("typed"));
    QVERIFY(!job.isEmpty());
    const QList<std::pair<QByteArray, QString>> cases = {
        {R"({"verb":"getstate","args":[123]})", QStringLiteral("argument 1 must be a string")},
        {R"({"verb":"setdisplayname","args":[")" + job.toLatin1() + R"(",null]})", QStringLiteral("argument 2 must be a string")},
        {R"({"verb":"getstate","args":[{"id":")" + job.toLatin1() + R"("}]})", QStringLiteral("argument 1 must be a string")},
        {R"({"verb":"list","args":"all"})", QStringLiteral("args must be an array of strings")},
        {R"({"verb":"list","args":{"0":"x"}})", QStringLiteral("args must be an array of strings")},
        {R"(["list"])", QStringLiteral("a request is a JSON object")},
        {R"({"verb":42})", QStringLiteral("the verb must be a string")},
        {R"({"verb":["list"]})", QStringLiteral("the verb must be a string")},
        {R"({"args":[]})", QStringLiteral("it names no verb")},
        {R"({"verb":"/"})", QStringLiteral("the verb is empty")},
        {R"({"verb":"list","json":"yes"})", QStringLiteral("json must be true or false")},
        {R"({"verb":"list")", QStringLiteral("malformed request")},
        {"", QStringLiteral("malformed request")},
    };
    RawConnection c(socketPath());
    QByteArray pipelined;
    for (const auto &[line, why] : cases)
        pipelined += line + '\n';
    QVERIFY(c.send(pipelined + requestLine(QStringLiteral("getstate"), {job})));
    for (const auto &[line, why] : cases) {
        const QJsonObject r = c.readReply();
        QVERIFY2(!r.value(QLatin1String("ok")).toBool(true) && r.value(QLatin1String("code")).toString().toLatin1() == InvalidArg
                     && r.value(QLatin1String("message")).toString().contains(why),
                 qPrintable(QStringLiteral("%1 -> %2 (expected: %3)").arg(QString::fromUtf8(line), show(r), why)));
    }
    const QJsonObject state = c.readReply();
    QVERIFY2(state.value(QLatin1String("ok")).toBool() && state.value(QLatin1String("text")).toString() == QLatin1String("SUSPENDED"),
             qPrintable(show(state)));
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("getstate"), job}));
}

// A request may be a megabyte long; one byte more without a newline is refused, and the client
// is closed without the engine holding more of it.
void TestControlSocket::oversizedRequestIsRefused()
{
    QVERIFY(startEngine(QStringLiteral("oversized")) > 0);
    RawConnection longest(socketPath());
    QByteArray line = requestLine(QStringLiteral("list")).trimmed();
    line += QByteArray(limits::MaxRequestBytes - line.size(), ' ');
    QVERIFY(longest.send(line + '\n'));
    QVERIFY2(longest.readReply().value(QLatin1String("ok")).toBool(), "a request of the largest size is served");

    RawConnection tooLong(socketPath());
    tooLong.send(QByteArray(limits::MaxRequestBytes + 1, ' '));
    const QJsonObject r = tooLong.readReply();
    QVERIFY2(r.value(QLatin1String("code")).toString().toLatin1() == InvalidArg
                 && r.value(QLatin1String("message")).toString().contains(QLatin1String("request too large")),
             qPrintable(show(r)));
    QVERIFY(tooLong.waitClosed());
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("list")}));
}

// A client that sends its requests and shuts down its writing side still gets every reply,
// a `wait` too once the job is done, and only then is closed.
void TestControlSocket::halfClosedClientGetsItsReplies()
{
    QVERIFY(startEngine(QStringLiteral("halfclosed")) > 0);
    RawConnection c(socketPath());
    // The last request without a newline: the end of the stream ends it.
    QVERIFY(c.send(requestLine(QStringLiteral("create"), {QStringLiteral("half-closed")}) + requestLine(QStringLiteral("getconfig")).trimmed()));
    c.shutdownWrite();
    const QJsonObject created = c.readReply();
    QVERIFY2(created.value(QLatin1String("ok")).toBool(), qPrintable(show(created)));
    const QString job = created.value(QLatin1String("text")).toString();
    QVERIFY(!QUuid::fromString(job).isNull());
    const QJsonObject config = c.readReply();
    QVERIFY2(config.value(QLatin1String("text")).toString().contains(QLatin1String("maxBackgroundJobs")), qPrintable(show(config)));
    QVERIFY(c.waitClosed());

    RawConnection waiter(socketPath());
    QVERIFY(waiter.send(requestLine(QStringLiteral("wait"), {job})));
    waiter.shutdownWrite();
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("cancel"), job}));
    const QJsonObject done = waiter.readReply();
    QVERIFY2(isCancelled(done), qPrintable(show(done)));
    QVERIFY(waiter.waitClosed());
}

// `subscribe` turns the connection into the caller's job feed (docs/engine.md, "The window's
// client"): every job first, then each change in order, one JSON line per event.
void TestControlSocket::subscriberGetsTheJobFeedInOrder()
{
    QVERIFY(startEngine(QStringLiteral("feed")) > 0);
    const QString before = createJob(QStringLiteral("there before"));
    RawConnection feed(socketPath());
    QVERIFY(feed.send(requestLine(QStringLiteral("subscribe"))));
    QJsonObject first = feed.readReply();
    if (first.value(QLatin1String("event")).toString() == QLatin1String("settings"))
        first = feed.readReply(); // the settings come first, then every job
    QCOMPARE(first.value(QLatin1String("event")).toString(), QStringLiteral("jobs"));
    const QJsonArray jobs = first.value(QLatin1String("jobs")).toArray();
    QCOMPARE(jobs.size(), 1);
    QCOMPARE(jobs.at(0).toObject().value(QLatin1String("id")).toString(), before);

    const QString made = createJob(QStringLiteral("made while watching"));
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("setdescription"), made, QStringLiteral("second change")}));
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("cancel"), made}));
    QStringList seen;
    QString description;
    while (!seen.endsWith(QStringLiteral("removed"))) {
        const QJsonObject event = feed.readReply();
        const QString kind = event.value(QLatin1String("event")).toString();
        QVERIFY2(!kind.isEmpty(), qPrintable(show(event)));
        if (kind == QLatin1String("settings") || kind == QLatin1String("peercache"))
            continue;
        const QString id = kind == QLatin1String("removed") ? event.value(QLatin1String("id")).toString()
                                                            : event.value(QLatin1String("job")).toObject().value(QLatin1String("id")).toString();
        QCOMPARE(id, made);
        if (kind == QLatin1String("changed") && description.isEmpty())
            description = event.value(QLatin1String("job")).toObject().value(QLatin1String("description")).toString();
        seen << kind;
    }
    QCOMPARE(seen.first(), QStringLiteral("changed"));           // created, then changed...
    QVERIFY(seen.count(QStringLiteral("changed")) >= 2);
    QCOMPARE(seen.last(), QStringLiteral("removed"));            // ...and removed last
    QVERIFY(description.isEmpty() || description == QStringLiteral("second change"));

    // The connection serves nothing else now: a request sent on it is not answered.
    QVERIFY(feed.send(requestLine(QStringLiteral("list"))));
    const QByteArray unanswered = feed.readLine(500);
    QVERIFY2(unanswered.isEmpty(), unanswered.constData());
}

// The window's client over the socket of an engine that runs already (`ferry --headless`): the
// jobs arrive through the feed, a change made through it comes back through the feed, a
// refusal reaches the caller, and a cancelled job leaves the window's copy.
void TestControlSocket::windowClientWorksOverTheSocket()
{
    using ferry::EngineClient;
    using ferry::Status;
    QVERIFY(startEngine(QStringLiteral("window")) > 0);
    const QUuid id = QUuid::fromString(createJob(QStringLiteral("listed")));
    QVERIFY(!id.isNull());
    EngineClient client(socketPath());
    QVERIFY(client.isConnected());
    QTRY_COMPARE_WITH_TIMEOUT(client.jobs()->count(), 1, 20000);
    QCOMPARE(client.jobs()->job(id)->displayName, QStringLiteral("listed"));
    QCOMPARE(client.jobs()->job(id)->state, ferry::JobState::Suspended);
    QTRY_VERIFY_WITH_TIMEOUT(client.hasSettings(), 20000);
    QCOMPARE(client.settings().maxBackgroundJobs, 1);

    std::optional<Status> answered;
    client.setDescription(id, QStringLiteral("from the window"), [&answered](const Status &s) { answered = s; });
    QTRY_VERIFY_WITH_TIMEOUT(answered.has_value(), 20000);
    QVERIFY2(answered->ok(), qPrintable(answered->message));
    QTRY_COMPARE_WITH_TIMEOUT(client.jobs()->job(id)->description, QStringLiteral("from the window"), 20000);

    std::optional<Status> refused;
    client.setNumber(QStringLiteral("setpeercachingflags"), id, 0xF0, [&refused](const Status &s) { refused = s; });
    QTRY_VERIFY_WITH_TIMEOUT(refused.has_value(), 20000);
    QCOMPARE(refused->code, ferry::hr::E_NOTIMPL);
    QCOMPARE(client.jobs()->job(id)->peerCachingFlags, 0u);

    client.cancel(id);
    QTRY_VERIFY_WITH_TIMEOUT(client.jobs()->job(id) == nullptr, 20000);
    QCOMPARE(client.jobs()->count(), 0);
}

// A subscriber that never reads may not make the engine hold its backlog: once more than
// ReplyHighWaterBytes of events wait unread it is closed, and the engine goes on serving others.
void TestControlSocket::subscriberThatNeverReadsIsDropped()
{
    QVERIFY(startEngine(QStringLiteral("deaf")) > 0);
    const QString job = createJob(QStringLiteral("busy"));
    RawConnection deaf(socketPath());
    QVERIFY(deaf.send(requestLine(QStringLiteral("subscribe"))));
    QVERIFY(!deaf.readLine().isEmpty()); // subscribed; from here on it reads nothing

    // Each change is one event of about 2 KiB for the subscriber: 3,000 of them are far more than
    // the bound plus what the kernel's socket buffers take.
    RawConnection writer(socketPath());
    const QString text(1000, QLatin1Char('x'));
    constexpr int Changes = 3000;
    for (int i = 0; i < Changes; ++i) {
        QVERIFY(writer.send(requestLine(QStringLiteral("setdescription"), {job, text + QString::number(i)})));
        const QJsonObject r = writer.readReply();
        QVERIFY2(r.value(QLatin1String("ok")).toBool(), qPrintable(show(r)));
    }
    QVERIFY2(deaf.waitClosed(20000), "the engine kept a subscriber that reads nothing");
    RawConnection other(socketPath());
    QVERIFY(other.send(requestLine(QStringLiteral("getdescription"), {job})));
    QCOMPARE(other.readReply().value(QLatin1String("text")).toString(), text + QString::number(Changes - 1));
}

// Identified clients cost the engine their socket and nothing else: no pidfd stays open.
void TestControlSocket::aConnectionCostsOneDescriptor()
{
    const qint64 engine = startEngine(QStringLiteral("descriptors"));
    QVERIFY(engine > 0);
    const QHash<QString, QString> before = descriptorsOf(engine);
    constexpr int Clients = 20;
    std::vector<std::unique_ptr<RawConnection>> clients;
    for (int i = 0; i < Clients; ++i) {
        clients.push_back(std::make_unique<RawConnection>(socketPath()));
        QVERIFY(clients.back()->send(requestLine(QStringLiteral("list"))));
        QVERIFY(clients.back()->readReply().value(QLatin1String("ok")).toBool()); // identified and served
    }
    const QHash<QString, QString> after = descriptorsOf(engine);
    QStringList added;
    for (auto it = after.constBegin(); it != after.constEnd(); ++it)
        if (before.value(it.key()) != it.value())
            added << it.value();
    QCOMPARE(pidfdsOf(engine), 0);
    QVERIFY2(added.size() == Clients, qPrintable(added.join(QLatin1Char(' '))));
    for (const QString &target : std::as_const(added))
        QVERIFY2(target.startsWith(QLatin1String("socket:")), qPrintable(target));
}

// The engine keeps no pidfd of a client: it remembers its process's start time instead. A
// request sent after the connecting process exited (a child kept the socket) is no longer that
// process's: the job it creates is UNTRUSTED, not the connecting user's ordinary job.
void TestControlSocket::requestAfterTheConnectingProcessIsGoneIsUntrusted()
{
    QVERIFY(startEngine(QStringLiteral("gone")) > 0);
    const QByteArray path = QFile::encodeName(socketPath());
    const QByteArray request = requestLine(QStringLiteral("create"), {QStringLiteral("sent by an orphan")});
    int pipeFds[2];
    QVERIFY(::pipe2(pipeFds, O_CLOEXEC) == 0);
    // Between fork and _exit only async-signal-safe calls.
    const pid_t connecting = ::fork();
    QVERIFY(connecting >= 0);
    if (connecting == 0) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.constData(), size_t(path.size()));
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
            ::_exit(2);
        const pid_t parent = ::getpid();
        if (::fork() == 0) {
            while (::kill(parent, 0) == 0) // until the connecting process is gone (reaped by the test)
                ::usleep(1000);
            if (::write(fd, request.constData(), size_t(request.size())) != ssize_t(request.size()))
                ::_exit(3);
            char c;
            while (::read(fd, &c, 1) == 1 && ::write(pipeFds[1], &c, 1) == 1 && c != '\n') {
            }
            ::_exit(0);
        }
        ::_exit(0);
    }
    ::close(pipeFds[1]);
    int status = 0;
    QCOMPARE(::waitpid(connecting, &status, 0), connecting);
    QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    QByteArray reply;
    char buffer[4096];
    for (ssize_t n; (n = ::read(pipeFds[0], buffer, sizeof buffer)) > 0;) // the orphan (now our child) ends it
        reply.append(buffer, n);
    ::close(pipeFds[0]);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    const QJsonObject created = QJsonDocument::fromJson(reply).object();
    QVERIFY2(created.value(QLatin1String("ok")).toBool(), reply.constData());
    const AdminResult info = runAdmin(m_profile, {QStringLiteral("info"), created.value(QLatin1String("text")).toString(),
                                                  QStringLiteral("--json")});
    ADMIN_OK(info);
    const QJsonObject job = jsonObject(info.out);
    QCOMPARE(job.value(QLatin1String("ownerIntegrityLevel")).toString(), QStringLiteral("UNTRUSTED"));
    QCOMPARE(job.value(QLatin1String("ownerElevated")).toBool(), false);
}

QTEST_GUILESS_MAIN(TestControlSocket)
#include "tst_controlsocket.moc"
