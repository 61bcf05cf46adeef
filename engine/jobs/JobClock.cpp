#include "jobs/JobClock.h"

#include "core/Clock.h"

namespace ferry {

JobClock::JobClock(Clock *clock, QObject *parent)
    : QObject(parent)
    , m_clock(clock)
{
    m_tick.setInterval(TickMs);
    connect(&m_tick, &QTimer::timeout, this, &JobClock::due);
    m_tick.start();
    m_deadline.setSingleShot(true);
    m_deadline.setTimerType(Qt::PreciseTimer);
    connect(&m_deadline, &QTimer::timeout, this, &JobClock::due);
}

void JobClock::soon()
{
    if (m_soonPending)
        return;
    m_soonPending = true;
    QMetaObject::invokeMethod(this, &JobClock::due, Qt::QueuedConnection);
}

void JobClock::track(Job &job)
{
    Times &t = m_jobs[job.id];
    const qint64 now = m_clock->monotonicMs();
    if (t.counting)
        job.downloadTimeUsedMs += qMax<qint64>(0, now - t.accountedUntilMs);
    t.accountedUntilMs = now;
    t.counting = isActive(job.state);
}

qint64 JobClock::usedMs(const Job &job) const
{
    const Times t = m_jobs.value(job.id);
    if (!t.counting)
        return job.downloadTimeUsedMs;
    return job.downloadTimeUsedMs + qMax<qint64>(0, m_clock->monotonicMs() - t.accountedUntilMs);
}

void JobClock::restartCount(const QUuid &id)
{
    m_jobs[id].accountedUntilMs = m_clock->monotonicMs();
}

void JobClock::armDeadline(const QHash<QUuid, Job> &jobs)
{
    const qint64 now = m_clock->monotonicMs();
    qint64 soonest = -1;
    for (auto it = m_jobs.cbegin(); it != m_jobs.cend(); ++it) {
        if (!it->counting)
            continue;
        const auto job = jobs.constFind(it.key());
        if (job == jobs.cend() || job->maximumDownloadTime == 0)
            continue;
        const qint64 left = qint64(job->maximumDownloadTime) * 1000 - job->downloadTimeUsedMs - (now - it->accountedUntilMs);
        soonest = soonest < 0 ? qMax<qint64>(0, left) : qMin(soonest, qMax<qint64>(0, left));
    }
    if (soonest >= 0 && soonest <= m_tick.interval())
        m_deadline.start(int(soonest));
    else
        m_deadline.stop();
}

void JobClock::waitToRetry(Job &job, qint64 now, qint64 retryAtMs)
{
    Times &t = m_jobs[job.id];
    if (!t.noProgressSinceMs)
        t.noProgressSinceMs = now;
    t.retryAtMs = retryAtMs;
    // Wall times as of now, derived from the monotonic ones: a wall clock set while the engine
    // runs moves neither clock, only what a restart would restore.
    const QDateTime wall = m_clock->now();
    job.noProgressSince = wall.addMSecs(*t.noProgressSinceMs - now);
    job.retryAt = wall.addMSecs(retryAtMs - now);
}

bool JobClock::progressed(Job &job)
{
    m_jobs[job.id].noProgressSinceMs.reset();
    const bool wasCounting = job.noProgressSince.isValid();
    job.noProgressSince = QDateTime();
    job.retryAt = QDateTime();
    return wasCounting;
}

bool JobClock::noProgressExpired(const Job &job, qint64 now) const
{
    const Times t = m_jobs.value(job.id);
    return t.noProgressSinceMs && now - *t.noProgressSinceMs >= qint64(job.noProgressTimeout) * 1000;
}

void JobClock::active(Job &job)
{
    m_jobs[job.id].activityMs = m_clock->monotonicMs();
    job.lastActivityTime = m_clock->now();
}

bool JobClock::inactiveFor(const QUuid &id, qint64 now, qint64 limitMs) const
{
    const auto it = m_jobs.constFind(id);
    return it != m_jobs.cend() && it->activityMs && now - *it->activityMs >= limitMs;
}

void JobClock::restore(Job &job)
{
    Times &t = m_jobs[job.id];
    const qint64 now = m_clock->monotonicMs();
    const QDateTime wall = m_clock->now();
    // Time that passed while the engine was stopped, by the wall clock; never negative.
    const auto since = [&](const QDateTime &then) { return qMax<qint64>(0, then.msecsTo(wall)); };
    if (!job.lastActivityTime.isValid())
        job.lastActivityTime = wall;
    t.activityMs = now - since(job.lastActivityTime);
    if (job.noProgressSince.isValid())
        t.noProgressSinceMs = now - since(job.noProgressSince);
    if (job.state != JobState::TransientError)
        return;
    if (!t.noProgressSinceMs) {
        t.noProgressSinceMs = now;
        job.noProgressSince = wall;
    }
    // What is left of the delay; a retry time further away than the no-progress timeout (a wall
    // clock set back) counts as that far.
    const qint64 left = job.retryAt.isValid() ? wall.msecsTo(job.retryAt) : 0;
    t.retryAtMs = now + qBound<qint64>(0, left, qint64(job.noProgressTimeout) * 1000);
}

} // namespace ferry
