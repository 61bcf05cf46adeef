// The engine's timing of jobs (docs/jobs.md §4.3, §5, §11): the one-second tick and the tick
// asked for "soon", the maximum-download-time clock of each job with the precise deadline timer
// at its nearest expiry, the retry delay and no-progress timeout of a job in TRANSIENT_ERROR, and
// when a job's notification program may run (again). It keeps times only: JobManager decides
// what a due time does to a job and drives this through the calls below.
#pragma once

#include "core/Job.h"

#include <QHash>
#include <QObject>
#include <QTimer>
#include <QUuid>

#include <optional>

namespace ferry {

class Clock;

class JobClock : public QObject
{
    Q_OBJECT
public:
    static constexpr int TickMs = 1000;

    explicit JobClock(Clock *clock, QObject *parent = nullptr);

    // A tick as soon as the event loop runs, however often asked before it does.
    void soon();
    // Said at the start of each tick: a soon() from now on asks for another.
    void ticking() { m_soonPending = false; }

    // The maximum-download-time clock runs exactly while the job is CONNECTING or TRANSFERRING,
    // on CLOCK_BOOTTIME so that a suspend-to-RAM mid-transfer counts too: adds the time since
    // the last count to the job's downloadTimeUsedMs and starts or stops the clock by its state.
    void track(Job &job);
    bool counting(const QUuid &id) const { return m_jobs.value(id).counting; }
    qint64 usedMs(const Job &job) const;             // downloadTimeUsedMs with the running time
    void restartCount(const QUuid &id);              // Resume: a new clock from now
    // Between ticks a precise timer fires at the nearest expiry, so a job ends within
    // milliseconds of its limit rather than up to a tick late.
    void armDeadline(const QHash<QUuid, Job> &jobs);

    // A failed attempt: retry at retryAtMs; the no-progress timeout counts from the first
    // failure since the last progress. Both run on the monotonic clock; the job gets them as
    // wall times too (noProgressSince, retryAt), which only restore() reads (docs/jobs.md §4.5).
    void waitToRetry(Job &job, qint64 now, qint64 retryAtMs);
    // A byte moved: the no-progress clock stops. True if it was running (the stored copy is stale).
    bool progressed(Job &job);
    bool noProgressExpired(const Job &job, qint64 now) const;
    bool retryDue(const QUuid &id, qint64 now) const { return now >= m_jobs.value(id).retryAtMs; }

    // Progress or a change by a caller: the inactivity timeout starts over (lastActivityTime).
    void active(Job &job);
    bool inactiveFor(const QUuid &id, qint64 now, qint64 limitMs) const;
    // After a restart: the activity and no-progress clocks and the retry time from the wall
    // times the job stored. A job in TRANSIENT_ERROR that stored none retries at once.
    void restore(Job &job);

    // The notification program (docs/jobs.md §11) runs at or after this time.
    void notifyAt(const QUuid &id, qint64 atMs) { m_jobs[id].notifyAtMs = atMs; }
    bool notifyDue(const QUuid &id, qint64 now) { return now >= m_jobs[id].notifyAtMs; }

    void forget(const QUuid &id) { m_jobs.remove(id); }

signals:
    void due();                                      // time for JobManager::tick

private:
    struct Times
    {
        qint64 accountedUntilMs = 0;                 // download time counted up to here
        bool counting = false;                       // the download-time clock runs
        qint64 retryAtMs = 0;
        std::optional<qint64> noProgressSinceMs;     // none: progress since the last error
        std::optional<qint64> activityMs;            // the last progress or change by a caller
        qint64 notifyAtMs = 0;                       // next run of the notification program
    };

    Clock *m_clock;
    QHash<QUuid, Times> m_jobs;
    QTimer m_tick;
    QTimer m_deadline;                               // the nearest maximum-download-time expiry
    bool m_soonPending = false;
};

} // namespace ferry
