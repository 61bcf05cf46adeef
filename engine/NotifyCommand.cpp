#include "NotifyCommand.h"

#include <QProcess>

#include <grp.h>
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
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("FERRY_JOB_ID"), job.id.toString(QUuid::WithoutBraces));
    env.insert(QStringLiteral("FERRY_JOB_NAME"), job.displayName);
    env.insert(QStringLiteral("FERRY_JOB_STATE"), stateName(job.state));
    process->setProcessEnvironment(env);

    if (::geteuid() == 0 && job.owner.uid != 0) {
        // A root engine runs a user's program as that user, never as root.
        const uid_t uid = job.owner.uid;
        const gid_t gid = job.owner.gid;
        const QByteArray name = job.owner.userName.toLocal8Bit();
        int count = 64;
        std::vector<gid_t> groups(count);
        if (::getgrouplist(name.constData(), gid, groups.data(), &count) < 0)
            count = 1, groups[0] = gid;
        groups.resize(count);
        process->setChildProcessModifier([uid, gid, groups] {
            if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
                ::_exit(126);
        });
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
