// The job events a client subscribes to (docs/engine.md, "Job events"): TRANSFERRED, ERROR,
// MODIFICATION and FILE_TRANSFERRED, each told only for a job whose notify flags ask for it and
// do not hold DISABLE. Modifications of one job are told at most once per
// MinimumModificationIntervalMs; those in between are coalesced into one carrying the latest state,
// sent when the interval is over, so the last one is never lost.
#pragma once

#include "core/Job.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>

#include <optional>

namespace ferry {

class JobManager;

struct JobEvent
{
    enum Kind { Transferred, Error, Modification, FileTransferred };
    Kind kind = Modification;
    Job job;                 // the job as it is when the event is told
    int fileIndex = -1;      // FileTransferred: which file

    QString name() const;    // "transferred", "error", "modification", "fileTransferred"
};

class JobEvents : public QObject
{
    Q_OBJECT
public:
    static constexpr qint64 MinimumModificationIntervalMs = 500;

    explicit JobEvents(JobManager *jobs, QObject *parent = nullptr);

signals:
    void event(const ferry::JobEvent &event);

private:
    struct Pace
    {
        qint64 lastSentMs = -MinimumModificationIntervalMs;
        std::optional<Job> pending;  // the latest modification still to tell
    };
    void onChanged(const Job &job);
    void onRemoved(const QUuid &id);
    void tell(JobEvent::Kind kind, const QUuid &id, int fileIndex = -1);
    void flushDue();
    void arm();

    JobManager *m_jobs;
    QHash<QUuid, Pace> m_pace;
    QElapsedTimer m_clock;
    QTimer *m_timer;                 // a child: it follows the service to the engine's thread
};

} // namespace ferry

Q_DECLARE_METATYPE(ferry::JobEvent)
