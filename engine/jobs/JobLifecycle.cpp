// How long a job may stay and how many there may be (docs/jobs.md §3 "Quotas", §4.6): the
// inactivity timeout that cancels a forgotten job, and the per-user, per-machine and per-job
// file quotas, which bind every owner but an elevated one (root, or an admin capability).
#include "jobs/JobManager.h"

#include "jobs/JobClock.h"

#include <QLoggingCategory>

#include <limits>

namespace ferry {

Q_DECLARE_LOGGING_CATEGORY(lcJobs)

namespace {

bool exemptFromQuotas(const Owner &owner)
{
    return owner.elevated || owner.isRoot();
}

} // namespace

// A job neither completed nor cancelled whose last progress or change by a caller is
// jobInactivityDays old is cancelled as Cancel would: its temporary files go with it. A job
// CONNECTING or TRANSFERRING is not inactive: its transfer's own timeouts end it if it hangs.
void JobManager::cancelInactiveJobs()
{
    const qint64 now = m_clock->monotonicMs();
    const qint64 limitMs = qint64(m_settings.jobInactivityDays) * 86400 * 1000;
    const QList<QUuid> ids = m_order; // cancel() removes from m_order
    for (const QUuid &id : ids) {
        if (isActive(m_jobs.value(id).state) || !m_times->inactiveFor(id, now, limitMs))
            continue;
        const QString name = m_jobs.value(id).displayName;
        const Status s = cancel(id);
        qCInfo(lcJobs).noquote() << name << ": cancelled after" << m_settings.jobInactivityDays
                                 << "days without progress or change (jobInactivityDays)" << s.message;
    }
}

Status JobManager::checkJobQuota(const Owner &owner) const
{
    if (exemptFromQuotas(owner))
        return {};
    // Every job held counts: completed and cancelled ones are gone already.
    qsizetype mine = 0;
    for (const Job &job : m_jobs)
        mine += job.owner.uid == owner.uid ? 1 : 0;
    if (mine >= m_settings.maxJobsPerUser)
        return {
            hr::BG_E_TOO_MANY_JOBS_PER_USER,
            QStringLiteral("%1 has %2 jobs, the most a user may have (maxJobsPerUser); complete or cancel one first")
                .arg(owner.userName.isEmpty() ? Owner::nameOf(owner.uid) : owner.userName)
                .arg(mine)};
    if (m_jobs.size() >= m_settings.maxJobsPerMachine)
        return {hr::BG_E_TOO_MANY_JOBS_PER_MACHINE,
                QStringLiteral("the computer has %1 jobs, the most it takes (maxJobsPerMachine)").arg(m_jobs.size())};
    return {};
}

int JobManager::maxFilesFor(const Owner &owner) const
{
    return exemptFromQuotas(owner) ? std::numeric_limits<int>::max() : m_settings.maxFilesPerJob;
}

} // namespace ferry
