#include "core/Job.h"

#include <QFileInfo>

namespace ferry {

Job Job::create(const QString &displayName, const Owner &owner, const QDateTime &now)
{
    Job job;
    job.id = QUuid::createUuid();
    job.displayName = displayName;
    job.owner = owner;
    job.creationTime = now;
    job.modificationTime = now;
    job.lastActivityTime = now;
    return job;
}

QString Job::temporaryNameFor(const QString &localName, const QUuid &jobId)
{
    const QFileInfo target(localName);
    return target.absolutePath() + QLatin1String("/.") + target.fileName() + QLatin1String(".ferry-")
           + jobId.toString(QUuid::WithoutBraces) + QLatin1String(".part");
}

bool Job::credentialed() const
{
    if (!credentials.isEmpty() || writeOnlyHeaders > 0)
        return true;
    for (const JobFile &f : files)
        if (!f.remoteUrl.userInfo().isEmpty())
            return true;
    return false;
}

JobProgress Job::progress() const
{
    JobProgress p;
    p.filesTotal = int(files.size());
    bool unknown = false;
    for (const JobFile &f : files) {
        p.bytesTransferred += quint64(f.bytesTransferred);
        if (f.bytesTotal < 0)
            unknown = true;
        else
            p.bytesTotal += quint64(f.bytesTotal);
        if (f.transferred)
            ++p.filesTransferred;
    }
    if (unknown)
        p.bytesTotal = SizeUnknown;
    return p;
}

int Job::currentFileIndex() const
{
    for (int i = 0; i < files.size(); ++i)
        if (!files[i].transferred)
            return i;
    return -1;
}

Status Job::checkMutable() const
{
    if (isFinal(state))
        return {hr::BG_E_INVALID_STATE, QStringLiteral("the job is %1 and can no longer change").arg(stateName(state))};
    return {};
}

Status Job::resume()
{
    if (Status s = checkMutable(); !s)
        return s;
    switch (state) {
    case JobState::Suspended:
        if (files.isEmpty())
            return {hr::BG_E_EMPTY, QStringLiteral("the job has no files to transfer")};
        break;
    case JobState::Transferred:
        if (!hasPendingFiles())
            return {};
        break;
    case JobState::Error:
    case JobState::TransientError:
        break;
    default:
        downloadTimeUsedMs = 0; // QUEUED, CONNECTING, TRANSFERRING: no state change, but a new clock
        return {};
    }
    state = JobState::Queued;
    error = {};
    downloadTimeUsedMs = 0; // Resume resets the maximum-download-time clock (docs/jobs.md §4.3)
    return {};
}

Status Job::suspend()
{
    if (Status s = checkMutable(); !s)
        return s;
    state = JobState::Suspended;
    return {};
}

Status Job::cancel()
{
    if (Status s = checkMutable(); !s)
        return s;
    state = JobState::Cancelled;
    return {};
}

Status Job::markAcknowledged()
{
    if (Status s = checkMutable(); !s)
        return s;
    state = JobState::Acknowledged;
    return {};
}

void Job::toConnecting() { state = JobState::Connecting; }
void Job::toTransferring() { state = JobState::Transferring; }
void Job::toQueued() { state = JobState::Queued; }

void Job::toTransferred(const QDateTime &now)
{
    state = JobState::Transferred;
    transferCompletionTime = now;
    error = {};
}

void Job::toTransientError(const JobError &e)
{
    state = JobState::TransientError;
    error = e;
}

void Job::toError(const JobError &e)
{
    state = JobState::Error;
    error = e;
}

} // namespace ferry
