// Helpers for the end-to-end tests that drive the real ferry-admin and ferry binaries
// (paths from the FERRY_ADMIN and FERRY_ENGINE environment variables set by ctest).
#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTest>

#include <functional>
#include <memory>

class QProcess;

// One ferry-admin call: its exit code (-1 when it crashed or did not finish) and what it printed.
struct AdminResult
{
    int exitCode = -1;
    QString out, err;
};

// Runs FERRY_ADMIN --profile PROFILE ARGS... with stdin closed and waits for it.
AdminResult runAdmin(const QString &profile, const QStringList &args, int timeoutMs = 60000);

// The same with INPUT on its standard input and, when env is not empty, that environment (which
// an engine ferry-admin starts inherits: e.g. another D-Bus session).
struct AdminCall
{
    QByteArray input;
    QProcessEnvironment environment;
    int timeoutMs = 60000;
    std::function<void()> childModifier;   // runCommand only: between fork and exec
};
AdminResult runAdmin(const QString &profile, const QStringList &args, const AdminCall &call);
// The same through a launcher that ends by executing its arguments, e.g. {"ip", "netns", "exec",
// NS}: runs LAUNCHER... FERRY_ADMIN --profile PROFILE ARGS... (an engine ferry-admin starts then
// runs where the launcher put ferry-admin, in that network namespace, say).
AdminResult runAdminVia(const QStringList &launcher, const QString &profile, const QStringList &args,
                        const AdminCall &call = {});
// Any program the same way: PROGRAM ARGS with the call's input, environment (when not empty),
// child modifier and time limit.
AdminResult runCommand(const QString &program, const QStringList &args, const AdminCall &call = {});

namespace admintest {

QString adminProgram();     // $FERRY_ADMIN
QString engineProgram();    // $FERRY_ENGINE

// For races: starts ferry-admin without waiting; finishAdmin() collects it.
QProcess *startAdmin(const QString &profile, const QStringList &args, QObject *parent = nullptr);
AdminResult finishAdmin(QProcess *process, int timeoutMs = 60000);

QString describe(const AdminResult &r);           // for failure messages
QStringList lines(const QString &text);           // the non-empty lines
QJsonObject jsonObject(const QString &text, bool *ok = nullptr);
QJsonArray jsonArray(const QString &text, bool *ok = nullptr);

// Files.
QByteArray sha256(const QString &path);                                  // hex, via ferry::Sha256::ofFile
bool writeRandomFile(const QString &path, qint64 size, quint32 seed);    // deterministic bytes
QByteArray readAll(const QString &path);
QStringList partFiles(const QString &dir);                               // ".*.part" left in dir

// This test process's own kernel facts, read independently of the engine's code, to work out
// which owner the engine should record for a client this process starts (docs/jobs.md §12).
QByteArray statusField(const QByteArray &status, const QByteArray &key);   // "Uid" -> "0 0 0 0"
struct SelfFacts
{
    uint euid = 0;
    quint64 capEff = 0;
    bool adminCaps = false;      // CAP_SYS_ADMIN or CAP_DAC_OVERRIDE effective
    bool sandboxed = false;      // no_new_privs + seccomp filter, flatpak or snap
    bool inSession = false;      // audit session id set or a logind session scope
    QString why;                 // the facts, for failure messages
};
SelfFacts selfFacts();

// Processes. The engine is started detached by ferry-admin; when the test process is a child
// subreaper the orphaned engine becomes its child, so a killed or stopped engine is reaped at
// once instead of whenever the init process gets to it (until then QLockFile takes the zombie's
// pid for a live lock holder, and a new engine could not take over the profile).
bool becomeSubreaper();
qint64 lockPid(const QString &profile);               // first line of PROFILE/engine.lock, 0 if none
bool isAlive(qint64 pid);                             // exists and is no zombie (reaps our zombies)
QList<qint64> enginesFor(const QString &profile);     // live `ferry --headless --profile PROFILE`
// `ferry-admin shutdown` when an engine runs, waits until it is gone, then kills whatever engine
// for the profile is left. False (with a reason) when something had to be killed.
bool shutdownEngine(const QString &profile, QString *reason = nullptr);
// shutdownEngine() for every profile in *profiles, which is then cleared; the reasons of those
// that had to be killed (empty when every engine ended when told).
QStringList shutdownEngines(QStringList *profiles);
// Whether every folder on the way to PATH lets others through (x), so another user can reach it.
bool traversableByOthers(const QString &path);
void reapEngineZombies();                             // zombie `ferry` children of this process

// Memory an engine built with AddressSanitizer may hold on top of what a memory bound allows:
// freed blocks wait in ASan's quarantine (quarantine_size_mb of ASAN_OPTIONS, 256 by default)
// and every block carries redzones. 0 when the tests run without ASan (tests/sanitize.sh sets
// ASAN_OPTIONS and a 32 MB quarantine).
qint64 sanitizerMemorySlackKiB();

// A private D-Bus session bus and a gnome-keyring-daemon on it, for tests that take the
// keychain away or reach it from another network namespace. The bus listens on a filesystem
// socket (unix:dir=; an abstract socket is bound to the namespace it was made in) and has no
// service activation, so nothing starts a keychain behind the test's back. Its sockets and
// keyrings live below the directory given; the destructor stops both daemons.
class PrivateKeyring
{
public:
    explicit PrivateKeyring(const QString &dir);
    ~PrivateKeyring();

    // Starts the bus unless it runs, then the keyring daemon (unlocked) unless it runs. The
    // daemon takes a moment more to claim its name on the bus: until then the keychain is away.
    bool start(QString *error = nullptr);
    bool stopDaemon();                 // the keychain goes, the bus stays; false if it had to be killed
    void stop();                       // the daemon, then the bus

    QString address() const;           // the bus's, "unix:path=..."; empty before start()
    // The system environment on this bus, with the keyrings' XDG directories: for ferry-admin
    // and the engines it starts.
    QProcessEnvironment environment() const;
    QString readDaemonLog();           // what the daemon wrote to stderr since the last call

private:
    bool startBus(QString *error);

    QString m_dir;
    QString m_address;
    std::unique_ptr<QProcess> m_bus;
    std::unique_ptr<QProcess> m_daemon;   // a new process each start: no output left from the last
};

} // namespace admintest

// Fails the test with ferry-admin's output when the call did not exit 0. Evaluates its
// argument once (QVERIFY2 evaluates its message even when the check passes).
#define ADMIN_OK(call)                                                                                        \
    do {                                                                                                      \
        const AdminResult adminResult_ = (call);                                                              \
        QVERIFY2(adminResult_.exitCode == 0, qPrintable(admintest::describe(adminResult_)));                  \
    } while (false)
// Fails the test unless the call exited non-zero with exactly one line on stderr.
#define ADMIN_FAILS_ONE_LINE(call)                                                                            \
    do {                                                                                                      \
        const AdminResult adminResult_ = (call);                                                              \
        QVERIFY2(adminResult_.exitCode > 0, qPrintable(admintest::describe(adminResult_)));                   \
        QVERIFY2(adminResult_.err.count(QLatin1Char('\n')) == 1 && adminResult_.err.endsWith(QLatin1Char('\n')), \
                 qPrintable(QStringLiteral("expected one line on stderr; ") + admintest::describe(adminResult_))); \
    } while (false)
