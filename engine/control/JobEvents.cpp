#include "control/JobEvents.h"

#include "jobs/JobManager.h"

namespace ferry {

QString JobEvent::name() const
{
    switch (kind) {
    case Transferred: return QStringLiteral("transferred");
    case Error: return QStringLiteral("error");
    case Modification: return QStringLiteral("modification");
    case FileTransferred: return QStringLiteral("fileTransferred");
    }
    return {};
}

JobEvents::JobEvents(JobManager *jobs, QObject *parent)
    : QObject(parent), m_jobs(jobs), m_timer(new QTimer(this))
{
    m_clock.start();
    m_timer->setSingleShot(true);
    m_timer->setTimerType(Qt::PreciseTimer); // never early: an early wake-up finds nothing due
    connect(m_timer, &QTimer::timeout, this, &JobEvents::flushDue);
    connect(jobs, &JobManager::jobChanged, this, &JobEvents::onChanged);
    connect(jobs, &JobManager::jobRemoved, this, &JobEvents::onRemoved);
    connect(jobs, &JobManager::jobTransferred, this, [this](const QUuid &id) { tell(JobEvent::Transferred, id); });
    connect(jobs, &JobManager::jobFailed, this, [this](const QUuid &id) { tell(JobEvent::Error, id); });
    connect(jobs, &JobManager::fileTransferred, this,
            [this](const QUuid &id, int index) { tell(JobEvent::FileTransferred, id, index); });
}

void JobEvents::tell(JobEvent::Kind kind, const QUuid &id, int fileIndex)
{
    static constexpr quint32 bitOf[] = {notifyflags::JobTransferred, notifyflags::JobError, notifyflags::JobModification,
                                        notifyflags::FileTransferred};
    const Job *job = m_jobs->job(id);
    if (job && notifyflags::wants(job->notifyFlags, bitOf[kind]))
        emit event({kind, m_jobs->snapshot(id), fileIndex});
}

void JobEvents::onChanged(const Job &job)
{
    auto it = m_pace.find(job.id);
    if (!notifyflags::wants(job.notifyFlags, notifyflags::JobModification)) {
        if (it != m_pace.end())
            it->pending.reset(); // DISABLE or the bit taken away: nothing owed is told either
        return;
    }
    if (it == m_pace.end())
        it = m_pace.insert(job.id, Pace());
    const qint64 now = m_clock.elapsed();
    if (!it->pending && now - it->lastSentMs >= MinimumModificationIntervalMs) {
        it->lastSentMs = now;
        emit event({JobEvent::Modification, job, -1});
        return;
    }
    it->pending = job; // told when the interval is over, as the latest state then
    arm();
}

void JobEvents::onRemoved(const QUuid &id)
{
    m_pace.remove(id);
}

void JobEvents::flushDue()
{
    const qint64 now = m_clock.elapsed();
    QList<Job> due;
    for (Pace &pace : m_pace) {
        if (pace.pending && now - pace.lastSentMs >= MinimumModificationIntervalMs) {
            due << *pace.pending;
            pace.pending.reset();
            pace.lastSentMs = now;
        }
    }
    for (const Job &job : std::as_const(due))
        emit event({JobEvent::Modification, job, -1});
    arm();
}

// The timer waits for the earliest pending modification.
void JobEvents::arm()
{
    qint64 next = -1;
    for (const Pace &pace : std::as_const(m_pace))
        if (pace.pending) {
            const qint64 due = pace.lastSentMs + MinimumModificationIntervalMs;
            next = next < 0 ? due : qMin(next, due);
        }
    if (next < 0)
        return m_timer->stop();
    m_timer->start(int(qBound<qint64>(0, next - m_clock.elapsed(), MinimumModificationIntervalMs)));
}

} // namespace ferry
