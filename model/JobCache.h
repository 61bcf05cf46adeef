// The window's copy of the jobs it may see, fed by the engine's job feed through EngineClient:
// the one GUI-side home of job state, read by the list model, the tray, the status bar and every
// dialog. Lives on the GUI thread.
#pragma once

#include "core/Job.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QUuid>

namespace ferry {

class JobCache : public QObject
{
    Q_OBJECT
public:
    explicit JobCache(QObject *parent = nullptr) : QObject(parent) {}

    QList<Job> jobs() const;                    // in creation order
    const Job *job(const QUuid &id) const;      // null when gone or never seen
    int count() const { return int(m_order.size()); }

    struct Totals
    {
        int jobs = 0;
        int active = 0;                         // QUEUED, CONNECTING or TRANSFERRING
        quint64 activeBytesTransferred = 0;     // of the active jobs
        quint64 activeBytesTotal = 0;           // of the active jobs whose size is known
    };
    Totals totals() const;

    // Fed by EngineClient.
    void reset(const QList<Job> &jobs);
    void update(const Job &job);
    void remove(const QUuid &id);

signals:
    void jobsReset(const QList<ferry::Job> &jobs);
    void jobChanged(const ferry::Job &job);
    void jobRemoved(const QUuid &id);

private:
    QHash<QUuid, Job> m_jobs;
    QList<QUuid> m_order;
};

} // namespace ferry
