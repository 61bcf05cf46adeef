// A job's notification program (SetNotifyCmdLine, docs/jobs.md §11): started without a shell when the
// job reaches TRANSFERRED or ERROR. PARAMETERS is a command line whose first word is the
// program's own name (argv[0], as in bitsadmin); the rest are its arguments, split on blanks
// with "double quotes" grouping, never expanded. The program learns the job from its
// environment: FERRY_JOB_ID, FERRY_JOB_NAME and FERRY_JOB_STATE. In a root engine a user's
// program runs with the owner's uid, gid and groups, in the owner's home, with an environment
// made from the owner's passwd entry only (ownerEnvironment).
#pragma once

#include "core/Job.h"

#include <QHash>
#include <QObject>
#include <QProcessEnvironment>
#include <QUuid>

class QProcess;

namespace ferry {

class NotifyCommand : public QObject
{
    Q_OBJECT
public:
    explicit NotifyCommand(QObject *parent = nullptr);
    ~NotifyCommand() override;

    static QStringList argumentsFor(const QString &parameters);
    static QProcessEnvironment ownerEnvironment(const Owner &owner);

    void run(const Job &job);
    bool isRunning(const QUuid &jobId) const { return m_running.contains(jobId); }

signals:
    // succeeded: started and exited with status 0. detail says what happened otherwise.
    void finished(const QUuid &jobId, bool succeeded, const QString &detail);

private:
    QHash<QUuid, QProcess *> m_running;
};

} // namespace ferry
