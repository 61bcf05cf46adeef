// Which jobs run (docs/jobs.md §2): every FOREGROUND job, plus a bounded number of background jobs
// chosen by priority, then round-robin by time slice among equal priorities. Pure: JobManager
// feeds it the candidates and carries out the decision.
#pragma once

#include "core/JobTypes.h"

#include <QList>
#include <QUuid>

namespace ferry {

struct SchedulerEntry
{
    QUuid id;
    JobPriority priority = JobPriority::Normal;
    bool running = false;        // CONNECTING or TRANSFERRING
    qint64 runningSinceMs = 0;
    quint64 sequence = 0;        // queue order: lower waited longer
};

struct SchedulerDecision
{
    QList<QUuid> start;
    QList<QUuid> preempt;        // back to QUEUED, to the end of their priority's queue
};

class Scheduler
{
public:
    int maxBackgroundJobs = 1;
    qint64 timeSliceMs = 60000;

    SchedulerDecision decide(QList<SchedulerEntry> candidates, qint64 nowMs) const;
};

} // namespace ferry
