#include "AdminRunner.h"

#include "core/Sha256.h"
#include "store/Profile.h"
#include "TestContent.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLocalSocket>
#include <QProcess>
#include <QThread>

#include <cerrno>
#include <csignal>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

AdminResult collect(QProcess &p, int timeoutMs)
{
    AdminResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError())
                + QStringLiteral("[test: %1 did not finish within %2 ms and was killed]").arg(QFileInfo(p.program()).fileName()).arg(timeoutMs);
        return r;
    }
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return r;
}

void prepare(QProcess &p, const QString &profile, const QStringList &args)
{
    p.setProgram(admintest::adminProgram());
    p.setArguments(QStringList{QStringLiteral("--profile"), profile} + args);
    p.setStandardInputFile(QProcess::nullDevice());
}

// /proc/PID/stat: "pid (comm) S ppid ..."; comm may hold spaces and parentheses.
bool procStat(qint64 pid, QByteArray *comm, char *state, qint64 *ppid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray stat = f.readAll();
    const qsizetype open = stat.indexOf('('), close = stat.lastIndexOf(')');
    if (open < 0 || close < open || close + 4 > stat.size())
        return false;
    if (comm)
        *comm = stat.mid(open + 1, close - open - 1);
    const QList<QByteArray> rest = stat.mid(close + 2).split(' ');
    if (rest.size() < 2)
        return false;
    if (state)
        *state = rest[0].isEmpty() ? '?' : rest[0].at(0);
    if (ppid)
        *ppid = rest[1].toLongLong();
    return true;
}

QList<qint64> allPids()
{
    QList<qint64> pids;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &e : entries) {
        bool ok = false;
        const qint64 pid = e.toLongLong(&ok);
        if (ok)
            pids << pid;
    }
    return pids;
}

bool canConnect(const QString &profile)
{
    QLocalSocket socket;
    socket.connectToServer(ferry::Profile(profile).socketPath());
    return socket.waitForConnected(1000);
}

bool waitGone(qint64 pid, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (admintest::isAlive(pid)) {
        if (deadline.hasExpired())
            return false;
        QThread::msleep(20);
    }
    return true;
}

} // namespace

AdminResult runAdmin(const QString &profile, const QStringList &args, int timeoutMs)
{
    QProcess p;
    prepare(p, profile, args);
    p.start();
    if (!p.waitForStarted(10000)) {
        AdminResult r;
        r.err = QStringLiteral("[test: cannot start %1: %2]").arg(admintest::adminProgram(), p.errorString());
        return r;
    }
    return collect(p, timeoutMs);
}

AdminResult runAdmin(const QString &profile, const QStringList &args, const AdminCall &call)
{
    QProcess p;
    prepare(p, profile, args);
    p.setStandardInputFile(QString()); // a pipe: the input below, then end of file
    if (!call.environment.isEmpty())
        p.setProcessEnvironment(call.environment);
    p.start();
    if (!p.waitForStarted(10000)) {
        AdminResult r;
        r.err = QStringLiteral("[test: cannot start %1: %2]").arg(admintest::adminProgram(), p.errorString());
        return r;
    }
    p.write(call.input);
    p.closeWriteChannel();
    return collect(p, call.timeoutMs);
}

AdminResult runAdminVia(const QStringList &launcher, const QString &profile, const QStringList &args, const AdminCall &call)
{
    if (launcher.isEmpty())
        return runAdmin(profile, args, call);
    QProcess p;
    p.setProgram(launcher.first());
    p.setArguments(launcher.mid(1) + QStringList{admintest::adminProgram(), QStringLiteral("--profile"), profile} + args);
    if (!call.environment.isEmpty())
        p.setProcessEnvironment(call.environment);
    p.start();
    if (!p.waitForStarted(10000)) {
        AdminResult r;
        r.err = QStringLiteral("[test: cannot start %1: %2]").arg(launcher.first(), p.errorString());
        return r;
    }
    p.write(call.input);
    p.closeWriteChannel();
    return collect(p, call.timeoutMs);
}

AdminResult runCommand(const QString &program, const QStringList &args, const AdminCall &call)
{
    QProcess p;
    p.setProgram(program);
    p.setArguments(args);
    if (!call.environment.isEmpty())
        p.setProcessEnvironment(call.environment);
    if (call.childModifier)
        p.setChildProcessModifier(call.childModifier);
    p.start();
    if (!p.waitForStarted(10000)) {
        AdminResult r;
        r.err = QStringLiteral("[test: cannot start %1: %2]").arg(program, p.errorString());
        return r;
    }
    p.write(call.input);
    p.closeWriteChannel();
    return collect(p, call.timeoutMs);
}

namespace admintest {

QString adminProgram() { return qEnvironmentVariable("FERRY_ADMIN"); }
QString engineProgram() { return qEnvironmentVariable("FERRY_ENGINE"); }

QProcess *startAdmin(const QString &profile, const QStringList &args, QObject *parent)
{
    auto *p = new QProcess(parent);
    prepare(*p, profile, args);
    p->start();
    return p;
}

AdminResult finishAdmin(QProcess *process, int timeoutMs)
{
    return collect(*process, timeoutMs);
}

QString describe(const AdminResult &r)
{
    return QStringLiteral("ferry-admin exit code %1\n--- stdout:\n%2\n--- stderr:\n%3").arg(r.exitCode).arg(r.out, r.err);
}

QStringList lines(const QString &text)
{
    return text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

QJsonObject jsonObject(const QString &text, bool *ok)
{
    QJsonParseError e;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &e);
    if (ok)
        *ok = e.error == QJsonParseError::NoError && doc.isObject();
    return doc.object();
}

QJsonArray jsonArray(const QString &text, bool *ok)
{
    QJsonParseError e;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &e);
    if (ok)
        *ok = e.error == QJsonParseError::NoError && doc.isArray();
    return doc.array();
}

QByteArray sha256(const QString &path)
{
    return ferry::Sha256::ofFile(path).toLower();
}

bool writeRandomFile(const QString &path, qint64 size, quint32 seed)
{
    return ferry::test::TestContent::writeFile(path, seed, size);
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QStringList partFiles(const QString &dir)
{
    return QDir(dir).entryList({QStringLiteral(".*.part")}, QDir::Files | QDir::Hidden | QDir::System);
}

bool becomeSubreaper()
{
    return ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
}

qint64 lockPid(const QString &profile)
{
    QFile f(profile + QStringLiteral("/engine.lock"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return f.readLine().trimmed().toLongLong();
}

bool isAlive(qint64 pid)
{
    if (pid <= 0)
        return false;
    char state = '?';
    qint64 ppid = 0;
    if (!procStat(pid, nullptr, &state, &ppid))
        return false;
    if (state != 'Z' && state != 'X')
        return true;
    // A dead thread-group leader shows Z while its other threads still exit, and until the last
    // one is gone the process's files (its listening socket, say) stay open. Our (adopted) child
    // can be reaped only then, which makes that the moment it is gone.
    if (ppid == qint64(::getpid()))
        return ::waitpid(pid_t(pid), nullptr, WNOHANG) == 0;
    return false;
}

QList<qint64> enginesFor(const QString &profile)
{
    const QString wanted = QDir::cleanPath(QDir(profile).absolutePath());
    QList<qint64> found;
    for (qint64 pid : allPids()) {
        QFile f(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QList<QByteArray> argv = f.readAll().split('\0');
        if (argv.isEmpty() || QFileInfo(QFile::decodeName(argv[0])).fileName() != QLatin1String("ferry"))
            continue;
        for (qsizetype i = 1; i + 1 < argv.size(); ++i) {
            if (argv[i] == "--profile" && QDir::cleanPath(QFile::decodeName(argv[i + 1])) == wanted && isAlive(pid)) {
                found << pid;
                break;
            }
        }
    }
    return found;
}

QStringList shutdownEngines(QStringList *profiles)
{
    QStringList problems;
    for (const QString &profile : std::as_const(*profiles)) {
        QString reason;
        if (!shutdownEngine(profile, &reason))
            problems << reason;
    }
    profiles->clear();
    return problems;
}

bool traversableByOthers(const QString &path)
{
    for (QDir dir(path);;) {
        if (!(QFileInfo(dir.path()).permissions() & QFileDevice::ExeOther))
            return false;
        if (dir.isRoot() || !dir.cdUp())
            return true;
    }
}

void reapEngineZombies()
{
    for (qint64 pid : allPids()) {
        QByteArray comm;
        char state = '?';
        qint64 ppid = 0;
        if (procStat(pid, &comm, &state, &ppid) && ppid == qint64(::getpid()) && state == 'Z' && comm == "ferry")
            ::waitpid(pid_t(pid), nullptr, WNOHANG);
    }
}

bool shutdownEngine(const QString &profile, QString *reason)
{
    bool clean = true;
    QStringList problems;
    // Ask only once the engine is up: a ferry-admin that finds no socket starts an engine of its
    // own, and one that finds a starting engine may race it (see noEngineRunsAfterShutdown...).
    QDeadlineTimer settle(20000);
    while (!enginesFor(profile).isEmpty() && !settle.hasExpired()) {
        const QList<qint64> engines = enginesFor(profile);
        if (engines.size() == 1 && lockPid(profile) == engines.first() && canConnect(profile))
            break;
        QThread::msleep(20);
    }
    const QList<qint64> running = enginesFor(profile);
    if (!running.isEmpty()) {
        const AdminResult r = runAdmin(profile, {QStringLiteral("shutdown")}, 20000);
        if (r.exitCode != 0) {
            clean = false;
            problems << QStringLiteral("shutdown failed: ") + describe(r);
        }
        for (qint64 pid : running) {
            if (!waitGone(pid, 20000)) {
                clean = false;
                problems << QStringLiteral("engine %1 still runs after shutdown").arg(pid);
            }
        }
    }
    for (qint64 pid : enginesFor(profile)) {
        clean = false;
        problems << QStringLiteral("killed leftover engine %1").arg(pid);
        ::kill(pid_t(pid), SIGKILL);
        waitGone(pid, 5000);
    }
    reapEngineZombies();
    if (reason)
        *reason = problems.join(QLatin1Char('\n'));
    return clean;
}

QByteArray statusField(const QByteArray &status, const QByteArray &key)
{
    for (const QByteArray &line : status.split('\n'))
        if (line.startsWith(key + ':'))
            return line.mid(key.size() + 1).simplified();
    return {};
}

SelfFacts selfFacts()
{
    const auto self = [](const char *what) { return readAll(QStringLiteral("/proc/self/") + QLatin1String(what)); };
    const QByteArray status = self("status");
    const QByteArray session = self("sessionid").trimmed();
    SelfFacts f;
    f.euid = statusField(status, "Uid").split(' ').value(1).toUInt();
    f.capEff = statusField(status, "CapEff").toULongLong(nullptr, 16);
    f.adminCaps = f.capEff & ((quint64(1) << 21) | (quint64(1) << 1));
    f.sandboxed = (statusField(status, "NoNewPrivs") == "1" && statusField(status, "Seccomp") == "2")
                  || QFileInfo::exists(QStringLiteral("/.flatpak-info")) || self("attr/current").startsWith("snap.");
    f.inSession = (!session.isEmpty() && session != "4294967295") || self("cgroup").contains("/session-");
    f.why = QStringLiteral("euid %1, CapEff %2, sandboxed %3, login session %4 (sessionid %5)")
                .arg(f.euid)
                .arg(f.capEff, 0, 16)
                .arg(f.sandboxed)
                .arg(f.inSession)
                .arg(QString::fromLatin1(session));
    return f;
}

PrivateKeyring::PrivateKeyring(const QString &dir)
    : m_dir(dir)
{
}

PrivateKeyring::~PrivateKeyring()
{
    stop();
}

bool PrivateKeyring::startBus(QString *error)
{
    const QString run = m_dir + QStringLiteral("/bus-run");
    if (!QDir().mkpath(run) || !QDir().mkpath(m_dir + QStringLiteral("/keyrings-data"))) {
        if (error)
            *error = QStringLiteral("cannot create the bus and keyring directories below ") + m_dir;
        return false;
    }
    QFile::setPermissions(run, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QFile config(m_dir + QStringLiteral("/bus.conf"));
    if (!config.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(config.fileName(), config.errorString());
        return false;
    }
    config.write(QStringLiteral("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
                                "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                                "<busconfig><type>session</type><listen>unix:dir=%1</listen><auth>EXTERNAL</auth>"
                                "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
                                "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n")
                     .arg(run)
                     .toUtf8());
    config.close();

    m_bus = std::make_unique<QProcess>();
    m_bus->start(QStringLiteral("dbus-daemon"), {QStringLiteral("--config-file=") + config.fileName(), QStringLiteral("--nofork"),
                                                 QStringLiteral("--print-address=1")});
    if (!m_bus->waitForStarted(10000)) {
        if (error)
            *error = QStringLiteral("cannot start dbus-daemon: ") + m_bus->errorString();
        return false;
    }
    const QDeadlineTimer deadline(10000);
    while (!m_bus->canReadLine() && m_bus->waitForReadyRead(int(deadline.remainingTime()))) {
    }
    if (!m_bus->canReadLine()) {
        if (error)
            *error = QStringLiteral("dbus-daemon printed no address: ") + QString::fromLocal8Bit(m_bus->readAllStandardError());
        return false;
    }
    m_address = QString::fromUtf8(m_bus->readLine()).trimmed();
    return true;
}

bool PrivateKeyring::start(QString *error)
{
    if ((!m_bus || m_bus->state() == QProcess::NotRunning) && !startBus(error))
        return false;
    if (m_daemon && m_daemon->state() != QProcess::NotRunning)
        return true;
    m_daemon = std::make_unique<QProcess>();
    m_daemon->setProcessEnvironment(environment());
    m_daemon->start(QStringLiteral("gnome-keyring-daemon"),
                    {QStringLiteral("--foreground"), QStringLiteral("--unlock"), QStringLiteral("--components=secrets")});
    if (!m_daemon->waitForStarted(10000)) {
        if (error)
            *error = QStringLiteral("cannot start gnome-keyring-daemon: ") + m_daemon->errorString();
        return false;
    }
    m_daemon->write("keyring-test-password");   // --unlock reads the password from stdin
    m_daemon->closeWriteChannel();
    return true;
}

bool PrivateKeyring::stopDaemon()
{
    if (!m_daemon || m_daemon->state() == QProcess::NotRunning)
        return true;
    m_daemon->terminate();
    if (m_daemon->waitForFinished(10000))
        return true;
    m_daemon->kill();
    m_daemon->waitForFinished(5000);
    return false;
}

void PrivateKeyring::stop()
{
    stopDaemon();
    if (m_bus && m_bus->state() != QProcess::NotRunning) {
        m_bus->kill();
        m_bus->waitForFinished(5000);
    }
}

QString PrivateKeyring::address() const
{
    return m_address;
}

QProcessEnvironment PrivateKeyring::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), m_address);
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir + QStringLiteral("/keyrings-data"));
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_dir + QStringLiteral("/bus-run"));
    return env;
}

QString PrivateKeyring::readDaemonLog()
{
    return m_daemon ? QString::fromLocal8Bit(m_daemon->readAllStandardError()) : QString();
}

qint64 sanitizerMemorySlackKiB()
{
    const QString options = qEnvironmentVariable("ASAN_OPTIONS");
    if (options.isEmpty())
        return 0;
    qint64 quarantineMb = 256;
    for (const QString &option : options.split(QLatin1Char(':'))) {
        if (option.startsWith(QLatin1String("quarantine_size_mb=")))
            quarantineMb = option.section(QLatin1Char('='), 1).toLongLong();
    }
    return (quarantineMb + 32) * 1024;
}

} // namespace admintest
