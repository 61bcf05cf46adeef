#include "jobs/JobManager.h"

#include "core/FileRanges.h"

#include "core/Clock.h"
#include "core/FileRules.h"
#include "core/HttpDate.h"
#include "jobs/FileCompletion.h"
#include "jobs/JobClock.h"
#include "jobs/NotifyCommand.h"
#include "jobs/OwnerSessions.h"
#include "jobs/TransferDispatch.h"
#include "owner/OwnerIdentity.h"
#include "peercache/PeerCache.h"
#include "core/SettingsPolicy.h"
#include "store/JobStore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSet>

namespace ferry {

Q_LOGGING_CATEGORY(lcJobs, "ferry.jobs")

JobManager::JobManager(JobStore *store, Downloader *downloader, Clock *clock, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_dispatch(new TransferDispatch(downloader, this))
    , m_clock(clock)
    , m_times(new JobClock(clock, this))
    , m_notify(new NotifyCommand(this))
    , m_credentials(new CredentialStore(QStringLiteral("ferry"), this))
{
    qRegisterMetaType<Job>();
    qRegisterMetaType<EngineSettings>();
    qRegisterMetaType<TransferFailure>();
    qRegisterMetaType<TransferCheckpoint>();
    connect(m_dispatch, &TransferDispatch::arrived, this, &JobManager::onTransferEvent);
    qRegisterMetaType<peercache::PeerPlan>();
    qRegisterMetaType<QList<peercache::PeerVerdict>>();
    connect(m_times, &JobClock::due, this, &JobManager::tick);
    connect(m_notify, &NotifyCommand::finished, this, &JobManager::onNotifyFinished);
}

JobManager::~JobManager()
{
    const auto ids = m_runtime.keys();
    for (const QUuid &id : ids) {
        stopTransfer(id);
        auto job = m_jobs.find(id);
        if (job != m_jobs.end() && m_times->counting(id)) {
            m_times->track(*job); // the time up to this stop survives the restart
            m_store->saveDownloadTime(id, job->downloadTimeUsedMs);
        }
    }
}

void JobManager::load()
{
    m_settings = loadEngineSettings(m_store);
    m_scheduler.maxBackgroundJobs = m_settings.maxBackgroundJobs;
    m_scheduler.timeSliceMs = qint64(m_settings.timeSliceSeconds) * 1000;

    const QList<Job> loaded = m_store->loadJobs();
    for (Job job : loaded) {
        m_nextSequence = qMax(m_nextSequence, job.queueSequence + 1);
        if (isActive(job.state))
            job.state = JobState::Queued; // it was running when the engine stopped
        const bool lostBytes = checkTransferredFiles(job);
        const std::optional<Credentials> fromUrl = takeUserInfo(job);
        Runtime &rt = m_runtime[job.id];
        rt.committedState = job.state;
        m_times->restore(job); // the retry and timeout clocks go on from where they were
        m_order << job.id;
        m_jobs.insert(job.id, job);
        if (lostBytes || fromUrl)
            commit(m_jobs[job.id]);
        if (fromUrl && !fromUrl->user.isEmpty()) {
            const QString name = job.displayName;
            setCredentials(job.id, AuthTarget::Server, AuthScheme::Basic, *fromUrl, [name](const Status &s) {
                if (!s)
                    qCWarning(lcJobs).noquote() << name << ": the user name and password its URL carried could not be kept in "
                                                           "the keychain (" << s.message << "); set them with setcredentials";
            });
        }
    }
    if (m_scrubAfterLoad) {
        m_store->scrub(); // no copy of a removed password stays in free pages or the WAL
        m_scrubAfterLoad = false;
    }
    qCInfo(lcJobs) << "loaded" << m_jobs.size() << "jobs";
    scheduleSoon();
}

QList<Job> JobManager::jobs() const
{
    QList<Job> out;
    out.reserve(m_order.size());
    for (const QUuid &id : m_order)
        out << m_jobs.value(id);
    return out;
}

const Job *JobManager::job(const QUuid &id) const
{
    auto it = m_jobs.constFind(id);
    return it == m_jobs.constEnd() ? nullptr : &*it;
}

Job JobManager::snapshot(const QUuid &id) const
{
    Job job = m_jobs.value(id);
    job.downloadTimeUsedMs = m_times->usedMs(job);
    return job;
}

void JobManager::attachPeerCache(peercache::PeerCache *cache)
{
    using peercache::PeerCache;
    connect(this, &JobManager::settingsChanged, cache, &PeerCache::setSettings);
    connect(this, &JobManager::fileValidated, cache, &PeerCache::onFileValidated);
    connect(this, &JobManager::fileInvalidated, cache, &PeerCache::onFileInvalidated);
    connect(this, &JobManager::peerVerdicts, cache, &PeerCache::onVerdicts);
    cache->setSettingWriter([this](const QString &key, const QString &value) { return setSetting(key, value); });
    setPeerPlanner([cache](const Job &job) { return cache->planFor(job); });
    connect(cache, &QObject::destroyed, this, [this] { setPeerPlanner({}); });
    cache->setSettings(m_settings);
}

Status JobManager::find(const QString &idOrName, QUuid *id, const std::function<bool(const Job &)> &isVisible) const
{
    const auto visible = [&](const QUuid &candidate) { return !isVisible || isVisible(*m_jobs.constFind(candidate)); };
    const QUuid asId = QUuid::fromString(idOrName.trimmed());
    if (!asId.isNull() && m_jobs.contains(asId) && visible(asId)) {
        *id = asId;
        return {};
    }
    QUuid match;
    int count = 0;
    for (const QUuid &candidate : m_order) {
        if (m_jobs.value(candidate).displayName == idOrName && visible(candidate)) {
            match = candidate;
            ++count;
        }
    }
    if (count == 1) {
        *id = match;
        return {};
    }
    if (count > 1)
        return {hr::E_INVALIDARG, QStringLiteral("%1 jobs are named '%2'; use the job id").arg(count).arg(idOrName)};
    return {hr::BG_E_NOT_FOUND, QStringLiteral("no job '%1'").arg(idOrName)};
}

Job *JobManager::mutableJob(const QUuid &id, Status *status)
{
    auto it = m_jobs.find(id);
    if (it == m_jobs.end()) {
        *status = {hr::BG_E_NOT_FOUND, QStringLiteral("no job %1").arg(id.toString(QUuid::WithoutBraces))};
        return nullptr;
    }
    *status = it->checkMutable();
    return status->ok() ? &*it : nullptr;
}

bool JobManager::commit(Job &job)
{
    m_times->track(job);
    Runtime &rt = m_runtime[job.id];
    // docs/jobs.md §11: the program runs on TRANSFERRED or ERROR when the notify flags ask for it.
    const bool notifiable = !job.notifyProgram.isEmpty()
                            && ((job.state == JobState::Transferred && notifyflags::wants(job.notifyFlags, notifyflags::JobTransferred))
                                || (job.state == JobState::Error && notifyflags::wants(job.notifyFlags, notifyflags::JobError)));
    if (!notifiable) {
        job.notifyPending = false;
    } else if (rt.committedState != job.state) {
        job.notifyPending = true;
        m_times->notifyAt(job.id, m_clock->monotonicMs());
        scheduleSoon();
    }
    if (!m_store->saveJob(job))
        return false;
    rt.committedState = job.state;
    emit jobChanged(job);
    return true;
}

void JobManager::removeFinal(Job &job)
{
    const QUuid id = job.id;
    forgetCredentials(id, job.credentials); // a job that ends takes its secrets with it
    if (job.writeOnlyHeaders > 0)
        forgetHeaders(id);
    m_store->removeJob(id);
    m_runtime.remove(id);
    m_times->forget(id);
    m_order.removeOne(id);
    m_jobs.remove(id);
    emit jobRemoved(id);
}

void JobManager::scheduleSoon()
{
    m_times->soon();
}

void JobManager::touched(Job &job)
{
    m_times->active(job);
}

Status JobManager::createJob(const QString &displayName, const Owner &owner, QUuid *id)
{
    if (displayName.size() > defaults::MaxDisplayName)
        return {hr::E_INVALIDARG, QStringLiteral("the display name is longer than %1 characters").arg(defaults::MaxDisplayName)};
    if (Status s = checkPlainText(displayName, QStringLiteral("the display name")); !s)
        return s;
    if (Status s = checkJobQuota(owner); !s)
        return s;
    Job job = Job::create(displayName, owner, m_clock->now());
    job.queueSequence = m_nextSequence++;
    touched(job);
    if (!m_store->saveJob(job))
        return {hr::E_FAIL, QStringLiteral("the job could not be saved")};
    m_order << job.id;
    m_jobs.insert(job.id, job);
    *id = job.id;
    emit jobChanged(job);
    return {};
}

QString JobManager::unusedLocalName(const QString &folder, const QString &fileName) const
{
    QSet<QString> taken;
    for (const Job &job : m_jobs)
        for (const JobFile &f : job.files)
            taken.insert(f.localName);
    const QDir dir(folder);
    const QFileInfo name(fileName);
    const QString base = name.completeBaseName().isEmpty() ? fileName : name.completeBaseName();
    const QString suffix = name.completeBaseName().isEmpty() || name.suffix().isEmpty() ? QString() : QLatin1Char('.') + name.suffix();
    QString candidate = QDir::cleanPath(dir.absoluteFilePath(fileName));
    for (int n = 1; taken.contains(candidate) || QFileInfo::exists(candidate); ++n)
        candidate = QDir::cleanPath(dir.absoluteFilePath(QStringLiteral("%1 (%2)%3").arg(base).arg(n).arg(suffix)));
    return candidate;
}

Status JobManager::addFile(const QUuid &id, const QString &remoteUrl, const QString &localName)
{
    return addFileWithRanges(id, remoteUrl, localName, QString());
}

// An empty RANGES adds the whole file.
Status JobManager::addFileWithRanges(const QUuid &id, const QString &remoteUrl, const QString &localName, const QString &rangeList)
{
    Status found;
    const Job *target = mutableJob(id, &found);
    if (!target)
        return found;
    QUrl url;
    QString local;
    if (Status s = checkRemoteUrl(remoteUrl, &url); !s)
        return s;
    QList<FileRange> ranges;
    if (!rangeList.isNull()) {
        if (Status s = parseRanges(rangeList, &ranges); !s)
            return s;
        if (target->dynamicContent)
            return {hr::E_INVALIDARG, QStringLiteral("a job with dynamic content cannot fetch ranges of a file")};
    }
    {
        // The folder must be writable by the job's owner, not merely by the engine (docs/jobs.md §6.1).
        const OwnerIdentity identity(target->owner);
        if (!identity.ok())
            return {hr::E_ACCESSDENIED, QStringLiteral("cannot check '%1' as the job's owner").arg(localName)};
        if (Status s = checkLocalName(localName, &local); !s)
            return s;
    }
    return change(id, [&](Job &job) -> Status {
        if (job.files.size() >= maxFilesFor(job.owner))
            return {hr::BG_E_TOO_MANY_FILES_IN_JOB,
                    QStringLiteral("a job holds at most %1 files (maxFilesPerJob)").arg(m_settings.maxFilesPerJob)};
        for (const JobFile &f : std::as_const(job.files))
            if (f.localName == local)
                return {hr::E_INVALIDARG, QStringLiteral("the job already writes to '%1'").arg(local)};
        JobFile file;
        file.remoteUrl = url;
        file.localName = local;
        file.tempName = Job::temporaryNameFor(local, job.id);
        file.ranges = ranges;
        job.files << file;
        return {};
    });
}

Status JobManager::resume(const QUuid &id)
{
    const Status s = change(id, [&](Job &job) {
        const JobState before = job.state;
        Status r = job.resume();
        if (r)
            job.resumedOnce = true; // DYNAMIC_CONTENT and MAX_DOWNLOAD_SIZE are fixed from now on
        if (r && job.state == JobState::Queued && before != JobState::Queued) {
            job.queueSequence = m_nextSequence++;
            m_times->progressed(job);
        }
        if (r)
            m_times->restartCount(id); // Resume starts a new clock
        return r;
    });
    if (s)
        scheduleSoon();
    return s;
}

Status JobManager::suspend(const QUuid &id)
{
    Status s;
    if (!mutableJob(id, &s))
        return s;
    stopTransfer(id);
    return change(id, [](Job &job) { return job.suspend(); });
}

Status JobManager::cancel(const QUuid &id)
{
    Status s;
    Job *job = mutableJob(id, &s);
    if (!job)
        return s;
    stopTransfer(id);
    job->cancel();
    const bool leftovers = !removeTemporaryFiles(*job);
    removeFinal(*job);
    scheduleSoon();
    if (leftovers)
        return {hr::BG_S_UNABLE_TO_DELETE_FILES, QStringLiteral("the job was cancelled; some temporary files could not be deleted")};
    return {};
}

Status JobManager::complete(const QUuid &id)
{
    Status s;
    Job *job = mutableJob(id, &s);
    if (!job)
        return s;
    stopTransfer(id);

    const OwnerIdentity identity(job->owner); // the files are the owner's: rename them as the owner
    if (!identity.ok())
        return {hr::E_ACCESSDENIED, QStringLiteral("cannot act as the job's owner to move its files")};
    // Files transferred before the call are renamed; the others are left out, their temporary
    // files deleted (docs/jobs.md §7.1).
    const CompletedFiles done = completeFiles(*job);
    for (int i = 0; i < job->files.size(); ++i)
        if (!job->files[i].transferred && !job->files[i].completed)
            m_store->clearCheckpoint(id, i);
    const bool deleted = removeUntransferred(*job);
    for (int i : done.validatedNow) // files validated earlier were offered then
        emit fileValidated(*job, i);
    if (!done.problems.isEmpty()) {
        // Renamed files stay visible under their names; the job stays TRANSFERRED with the rest,
        // for another complete once the cause is gone, or a cancel.
        if (job->state != JobState::Transferred)
            job->toTransferred(m_clock->now());
        job->modificationTime = m_clock->now();
        touched(*job);
        commit(*job);
        scheduleSoon();
        return {done.failure, done.problems.join(QLatin1String("; "))};
    }
    job->markAcknowledged();
    removeFinal(*job);
    scheduleSoon();
    if (!deleted)
        return {hr::BG_S_UNABLE_TO_DELETE_FILES, QStringLiteral("the job was completed%1; some temporary files could not be deleted")
                                                     .arg(done.partial ? QStringLiteral(" with the files transferred so far") : QString())};
    if (done.partial)
        return {hr::BG_S_PARTIAL_COMPLETE, QStringLiteral("only the files transferred so far were kept")};
    return {};
}

Status JobManager::setSetting(const QString &key, const QString &value)
{
    EngineSettings next;
    QString stored;
    // A failure, or BG_S_OVERRIDDEN_BY_POLICY: a success code that changes nothing.
    if (Status s = changeSetting(m_settings, key, value, &next, &stored); s.code != hr::S_OK)
        return s;
    // Saved first: a setting the engine runs with is one that survives its restart.
    if (!m_store->setSetting(key, stored))
        return {hr::E_FAIL, QStringLiteral("the setting could not be saved")};
    const bool peerRuleChanged = next.peerClientAllowed() != m_settings.peerClientAllowed()
                                 || next.requireOriginDigest != m_settings.requireOriginDigest;
    m_settings = next;
    if (peerRuleChanged)
        for (const QUuid &jobId : std::as_const(m_order))
            if (isActive(m_jobs[jobId].state) && (m_jobs[jobId].peerCachingFlags & peercaching::Client))
                connectionChanged(m_jobs[jobId]);
    m_scheduler.maxBackgroundJobs = m_settings.maxBackgroundJobs;
    m_scheduler.timeSliceMs = qint64(m_settings.timeSliceSeconds) * 1000;
    emit settingsChanged(m_settings);
    scheduleSoon();
    return {};
}

void JobManager::tick()
{
    m_times->ticking();
    const qint64 now = m_clock->monotonicMs();
    cancelInactiveJobs();

    for (const QUuid &id : std::as_const(m_order)) {
        Job &job = m_jobs[id];
        if (job.state != JobState::TransientError)
            continue;
        if (m_times->noProgressExpired(job, now)) {
            job.toError(job.error);
            job.modificationTime = m_clock->now();
            commit(job);
            emit jobFailed(id);
        } else if (m_times->retryDue(id, now) && (m_online || !waitsForNetwork(job))) {
            requeue(job); // offline, a network failure waits for the network instead of the delay
        }
    }

    for (const QUuid &id : std::as_const(m_order)) {
        Job &job = m_jobs[id];
        if (!isActive(job.state))
            continue;
        m_times->track(job);
        m_store->saveDownloadTime(id, job.downloadTimeUsedMs); // a crash loses at most one tick
        m_store->saveActivity(job);
        checkDownloadTime(job);
    }

    runNotifications(now);

    // Offline or not, queued jobs run: the network watch can be wrong (a LAN without a default
    // route looks disconnected), and a server that answers settles it (onResponded).
    QList<SchedulerEntry> candidates;
    for (const QUuid &id : std::as_const(m_order)) {
        Job &job = m_jobs[id];
        if ((job.state == JobState::Queued || isActive(job.state)) && waitsForOwner(job)) {
            if (isActive(job.state)) {
                qCInfo(lcJobs).noquote() << job.displayName << ": its owner" << job.owner.userName
                                         << "is no longer logged on; back to QUEUED until they are";
                stopTransfer(id);
                requeue(job);
            }
            continue; // takes no slot while it waits
        }
        if (job.state == JobState::Queued || isActive(job.state))
            candidates << SchedulerEntry{id, job.priority, isActive(job.state), m_runtime.value(id).runningSinceMs,
                                         job.queueSequence};
    }
    const SchedulerDecision decision = m_scheduler.decide(candidates, now);
    for (const QUuid &id : decision.preempt) {
        stopTransfer(id);
        requeue(m_jobs[id]);
    }
    for (const QUuid &id : decision.start)
        startJob(m_jobs[id]);
    m_times->armDeadline(m_jobs);
}

// Expiry stops the transfer at once and fails the job. 0 means no limit.
void JobManager::checkDownloadTime(Job &job)
{
    if (job.maximumDownloadTime == 0 || job.downloadTimeUsedMs < qint64(job.maximumDownloadTime) * 1000)
        return;
    stopTransfer(job.id);
    ++job.errorCount;
    job.toError({ErrorContext::GeneralQueueManager, hr::BG_E_MAXDOWNLOAD_TIMEOUT,
                 QStringLiteral("the job did not finish within its maximum download time of %1 s").arg(job.maximumDownloadTime),
                 job.currentFileIndex()});
    job.modificationTime = m_clock->now();
    commit(job);
    emit jobFailed(job.id);
}

// What the network watch says (docs/security.md, "Network awareness"). Offline only pauses the
// retries of jobs that failed for want of a network; nothing is stopped and new attempts still
// run, so a reachable server is never blocked by a wrong guess. Back online, those jobs go at once.
void JobManager::setNetworkOnline(bool online)
{
    if (online == m_online)
        return;
    m_online = online;
    qCInfo(lcJobs) << (online ? "network back: queueing the jobs that waited for it" : "network gone: failed transfers wait for it");
    if (!online)
        return;
    for (const QUuid &id : std::as_const(m_order)) {
        Job &job = m_jobs[id];
        if (job.state == JobState::TransientError && waitsForNetwork(job))
            requeue(job); // the network's return is worth a new attempt
    }
    scheduleSoon();
}

void JobManager::attachOwnerSessions(OwnerSessions *sessions)
{
    m_sessions = sessions;
    connect(sessions, &OwnerSessions::changed, this, &JobManager::scheduleSoon);
    connect(sessions, &QObject::destroyed, this, [this] { m_sessions = nullptr; });
    scheduleSoon();
}

bool JobManager::waitsForOwner(const Job &job) const
{
    return m_sessions && !m_sessions->mayRun(job.owner.uid, m_settings.runJobsOfLingeringUsers);
}

bool JobManager::waitsForNetwork(const Job &job) const
{
    return job.error.context == ErrorContext::GeneralTransport;
}

void JobManager::runNotifications(qint64 now)
{
    for (const QUuid &id : std::as_const(m_order)) {
        const Job &job = m_jobs[id];
        if (job.notifyPending && !m_notify->isRunning(id) && m_times->notifyDue(id, now))
            m_notify->run(job);
    }
}

// Non-zero exit with the job still open: run it again after MinimumRetryDelay (docs/jobs.md §11).
void JobManager::onNotifyFinished(const QUuid &id, bool succeeded, const QString &detail)
{
    auto it = m_jobs.find(id);
    if (it == m_jobs.end() || !it->notifyPending)
        return;
    if (succeeded) {
        it->notifyPending = false;
        commit(*it);
        return;
    }
    m_times->notifyAt(id, m_clock->monotonicMs() + qint64(it->minimumRetryDelay) * 1000);
    const QString message = QStringLiteral("%1; it runs again in %2 s").arg(detail).arg(it->minimumRetryDelay);
    qCWarning(lcJobs).noquote() << it->displayName << ":" << message;
    emit warning(id, message);
}

void JobManager::requeue(Job &job)
{
    job.toQueued();
    job.queueSequence = m_nextSequence++;
    job.modificationTime = m_clock->now();
    commit(job);
}

void JobManager::startJob(Job &job)
{
    const int index = job.currentFileIndex();
    if (index < 0) {
        job.toTransferred(m_clock->now());
        job.modificationTime = job.transferCompletionTime;
        commit(job);
        emit jobTransferred(job.id);
        return;
    }
    Runtime &rt = m_runtime[job.id];
    if (!isActive(job.state))
        rt.runningSinceMs = m_clock->monotonicMs();
    if (job.state != JobState::Transferring) {
        job.toConnecting();
        job.modificationTime = m_clock->now();
        commit(job);
    }
    if ((!job.credentials.isEmpty() || job.writeOnlyHeaders > 0) && !rt.secrets)
        return readCredentials(job);
    sendTransfer(job);
}

// SetValidationState (docs/jobs.md §7.3): only for a transferred file. TRUE lets its content be served;
// FALSE on a file with peer bytes drops the cached copies and fetches it from the origin alone;
// FALSE on an origin-only file fails the job with VALIDATION_FAILED. Either way progress is 0.
Status JobManager::setValidationState(const QUuid &id, int fileIndex, bool valid)
{
    Status s;
    Job *job = mutableJob(id, &s);
    if (!job)
        return s;
    if (fileIndex < 0 || fileIndex >= job->files.size())
        return {hr::E_INVALIDARG, QStringLiteral("the job has no file %1").arg(fileIndex)};
    JobFile &file = job->files[fileIndex];
    if (!file.transferred || file.completed)
        return {hr::E_PENDING, QStringLiteral("the file is not transferred (or already completed): nothing to validate")};
    stopTransfer(id);
    touched(*job);
    if (valid) {
        file.validationState = ValidationState::Valid;
        job->modificationTime = m_clock->now();
        commit(*job);
        emit fileValidated(*job, fileIndex);
        return {};
    }
    file.validationState = ValidationState::Invalid;
    emit fileInvalidated(*job, fileIndex);
    const bool fromPeer = file.downloadedFromPeer;
    {
        const OwnerIdentity identity(job->owner);
        QFile::remove(file.tempName);
    }
    file.transferred = false;
    file.bytesTransferred = 0;
    file.bytesFromPeers = 0;
    file.downloadedFromPeer = false;
    file.peerVerification = PeerVerification::None;
    file.etag.clear();
    file.lastModified.clear();
    job->modificationTime = m_clock->now();
    if (fromPeer) {
        m_runtime[id].originOnly.insert(fileIndex); // this time from the origin alone
        file.validationState = ValidationState::Unset; // the new bytes are still to be judged
        requeue(*job);
        scheduleSoon();
        return {};
    }
    ++job->errorCount;
    job->toError({ErrorContext::RemoteFile, hr::BG_E_VALIDATION_FAILED,
                  QStringLiteral("the file was declared invalid (SetValidationState FALSE)"), fileIndex});
    commit(*job);
    emit jobFailed(id);
    return {};
}

} // namespace ferry
