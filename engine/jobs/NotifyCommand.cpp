#include "jobs/NotifyCommand.h"

#include "core/ProcessLimits.h"

#include <QFile>
#include <QProcess>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace ferry {

NotifyCommand::NotifyCommand(QObject *parent)
    : QObject(parent)
{
}

NotifyCommand::~NotifyCommand()
{
    // Programs still running are left to finish on their own; only our handles go.
    for (QProcess *p : std::as_const(m_running)) {
        p->disconnect(this);
        p->setParent(nullptr);
        QObject::connect(p, &QProcess::finished, p, &QObject::deleteLater);
        QObject::connect(p, &QProcess::errorOccurred, p, &QObject::deleteLater);
    }
}

// What a user's program gets from a root engine: HOME, USER, LOGNAME and SHELL from the user's
// passwd entry and a standard PATH; nothing else of the engine's environment.
QProcessEnvironment NotifyCommand::ownerEnvironment(const Owner &owner)
{
    QProcessEnvironment env;
    QString home = QStringLiteral("/");
    QString shell = QStringLiteral("/bin/sh");
    QString name = owner.userName;
    if (const passwd *pw = ::getpwuid(owner.uid)) {
        home = QFile::decodeName(pw->pw_dir);
        name = QString::fromLocal8Bit(pw->pw_name);
        if (pw->pw_shell && *pw->pw_shell)
            shell = QFile::decodeName(pw->pw_shell);
    }
    env.insert(QStringLiteral("HOME"), home);
    env.insert(QStringLiteral("USER"), name);
    env.insert(QStringLiteral("LOGNAME"), name);
    env.insert(QStringLiteral("SHELL"), shell);
    env.insert(QStringLiteral("PATH"), QStringLiteral("/usr/local/bin:/usr/bin:/bin"));
    return env;
}

QStringList NotifyCommand::argumentsFor(const QString &parameters)
{
    QStringList tokens = QProcess::splitCommand(parameters);
    if (!tokens.isEmpty())
        tokens.removeFirst(); // argv[0]: the program's own name
    return tokens;
}

void NotifyCommand::run(const Job &job)
{
    if (m_running.contains(job.id))
        return;
    auto *process = new QProcess(this);
    process->setProgram(job.notifyProgram);
    process->setArguments(argumentsFor(job.notifyParameters));
    process->setStandardInputFile(QProcess::nullDevice());
    process->setStandardOutputFile(QProcess::nullDevice());
    process->setStandardErrorFile(QProcess::nullDevice());
    const bool asOwner = ::geteuid() == 0 && job.owner.uid != 0;
    QProcessEnvironment env = asOwner ? ownerEnvironment(job.owner) : QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("FERRY_JOB_ID"), job.id.toString(QUuid::WithoutBraces));
    env.insert(QStringLiteral("FERRY_JOB_NAME"), job.displayName);
    env.insert(QStringLiteral("FERRY_JOB_STATE"), stateName(job.state));
    process->setProcessEnvironment(env);

    if (asOwner) {
        // A root engine runs a user's program as that user, never as root, and gives it nothing of
        // root's: the user's own environment basics, the user's home as its folder, and the usual
        // umask rather than the engine's 077 (docs/security.md).
        const uid_t uid = job.owner.uid;
        const gid_t gid = job.owner.gid;
        const QByteArray name = job.owner.userName.toLocal8Bit();
        int count = 64;
        std::vector<gid_t> groups(count);
        if (::getgrouplist(name.constData(), gid, groups.data(), &count) < 0)
            count = 1, groups[0] = gid;
        groups.resize(count);
        const QByteArray home = QFile::encodeName(env.value(QStringLiteral("HOME")));
        process->setChildProcessModifier([uid, gid, groups, home] {
            restoreInheritedFileLimit();
            if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
                ::_exit(126);
            ::umask(022);
            if (::chdir(home.constData()) != 0 && ::chdir("/") != 0)
                ::_exit(126);
        });
    } else {
        process->setChildProcessModifier(restoreInheritedFileLimit);
    }

    const QUuid id = job.id;
    m_running.insert(id, process);
    const auto done = [this, id, process](bool ok, const QString &detail) {
        if (m_running.value(id) != process)
            return;
        m_running.remove(id);
        process->deleteLater();
        emit finished(id, ok, detail);
    };
    connect(process, &QProcess::finished, this, [process, done](int code, QProcess::ExitStatus status) {
        if (status == QProcess::CrashExit)
            done(false, QStringLiteral("the notification program %1 crashed").arg(process->program()));
        else
            done(code == 0, QStringLiteral("the notification program %1 exited with status %2").arg(process->program()).arg(code));
    });
    connect(process, &QProcess::errorOccurred, this, [process, done](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            done(false, QStringLiteral("the notification program %1 could not be started: %2")
                            .arg(process->program(), process->errorString()));
    });
    process->start();
}

} // namespace ferry
