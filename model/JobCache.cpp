#include "JobCache.h"

namespace ferry {

QList<Job> JobCache::jobs() const
{
    QList<Job> out;
    out.reserve(m_order.size());
    for (const QUuid &id : m_order)
        out << m_jobs.value(id);
    return out;
}

const Job *JobCache::job(const QUuid &id) const
{
    const auto it = m_jobs.constFind(id);
    return it == m_jobs.constEnd() ? nullptr : &*it;
}

JobCache::Totals JobCache::totals() const
{
    Totals t;
    for (const Job &job : m_jobs) {
        ++t.jobs;
        if (job.state != JobState::Queued && job.state != JobState::Connecting && job.state != JobState::Transferring)
            continue;
        ++t.active;
        const JobProgress p = job.progress();
        t.activeBytesTransferred += p.bytesTransferred;
        if (p.bytesTotal != SizeUnknown)
            t.activeBytesTotal += p.bytesTotal;
    }
    return t;
}

void JobCache::reset(const QList<Job> &jobs)
{
    m_jobs.clear();
    m_order.clear();
    for (const Job &job : jobs) {
        m_jobs.insert(job.id, job);
        m_order << job.id;
    }
    emit jobsReset(jobs);
}

void JobCache::update(const Job &job)
{
    auto it = m_jobs.find(job.id);
    if (it == m_jobs.end())
        m_order << job.id;
    m_jobs.insert(job.id, job);
    emit jobChanged(job);
}

void JobCache::remove(const QUuid &id)
{
    if (!m_jobs.remove(id))
        return;
    m_order.removeOne(id);
    emit jobRemoved(id);
}

} // namespace ferry
