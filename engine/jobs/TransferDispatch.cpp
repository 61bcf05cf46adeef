#include "jobs/TransferDispatch.h"

#include "core/Clock.h"
#include "jobs/JobClock.h"
#include "jobs/JobManager.h"
#include "store/JobStore.h"
#include "transfer/Downloader.h"

#include <QLoggingCategory>
#include <QThread>

#include <type_traits>
#include <variant>

namespace ferry {

Q_DECLARE_LOGGING_CATEGORY(lcJobs)

namespace {
// HIGH_PERFORMANCE: a checkpoint at most every 30 s or 256 MiB (docs/jobs.md).
constexpr int HighPerformanceCheckpointMs = 30000;
constexpr qint64 HighPerformanceCheckpointBytes = qint64(256) << 20;
} // namespace

TransferDispatch::TransferDispatch(Downloader *downloader, QObject *parent)
    : QObject(parent)
    , m_downloader(downloader)
{
    qRegisterMetaType<TransferRequest>();
    qRegisterMetaType<TransferEvent>();
    connect(downloader, &Downloader::transferEvent, this, &TransferDispatch::arrived);
}

void TransferDispatch::send(const QUuid &jobId, const TransferRequest &request)
{
    m_tickets.insert(request.ticket, jobId);
    QMetaObject::invokeMethod(m_downloader, [d = m_downloader, request] { d->start(request); }, Qt::QueuedConnection);
}

bool TransferDispatch::stop(quint64 ticket, TransferCheckpoint *last)
{
    m_tickets.remove(ticket);
    // Wait for the transfer thread to close and checkpoint the file before anyone touches it.
    const auto type = m_downloader->thread() == QThread::currentThread() ? Qt::DirectConnection
                                                                          : Qt::BlockingQueuedConnection;
    bool stopped = false;
    QMetaObject::invokeMethod(m_downloader, [&] { stopped = m_downloader->stop(ticket, last); }, type);
    return stopped;
}

// JobManager's side: what it sends, and what it makes of the events.

// Which network manager a transfer may use (ConnectionPool): a job with credentials has its own,
// renewed with each generation, so nothing authenticated for it serves another request; the
// others share one per owner, proxy settings and TLS flags (docs/engine.md, "Connections").
QString JobManager::connectionKeyOf(const Job &job, quint64 generation)
{
    if (job.credentialed())
        return QStringLiteral("job:%1/%2").arg(job.id.toString(QUuid::WithoutBraces)).arg(generation);
    // The lists last and with their lengths, so no two settings spell the same key.
    return QStringLiteral("owner:%1/flags:%2/proxy:%3/%4/").arg(job.owner.uid).arg(job.securityFlags).arg(int(job.proxyUsage)).arg(job.proxyList.size())
           + job.proxyList + QLatin1Char('/') + job.proxyBypassList;
}

void JobManager::sendTransfer(Job &job)
{
    const int index = job.currentFileIndex();
    const JobFile &file = job.files[index];
    Runtime &rt = m_runtime[job.id];
    TransferRequest request;
    request.ticket = m_dispatch->nextTicket();
    request.jobId = job.id;
    request.fileIndex = index;
    request.url = file.remoteUrl;
    request.tempName = file.tempName;
    request.offset = file.bytesTransferred;
    request.bytesTotal = file.bytesTotal;
    request.etag = file.etag;
    request.lastModified = file.lastModified;
    request.headers = job.customHeadersWriteOnly ? rt.secretHeaders : job.customHeaders;
    request.credentials = rt.secrets.value_or(QList<StoredCredential>());
    request.securityFlags = job.securityFlags;
    request.proxyUsage = job.proxyUsage;
    request.proxyList = job.proxyList;
    request.proxyBypassList = job.proxyBypassList;
    request.connectionKey = connectionKeyOf(job, rt.connectionGeneration);
    request.checkpointBytes = m_settings.checkpointBytes;
    request.checkpointMs = m_settings.checkpointMs;
    request.syncCheckpoints = m_settings.syncCheckpoints;
    request.http2 = m_settings.http2;
    request.owner = job.owner;
    request.ranges = file.ranges;
    request.maxDownloadSize = job.maxDownloadSize;
    request.dynamicContent = job.dynamicContent;
    if (job.highPerformance) {
        // Fewer checkpoints for many small files (docs/jobs.md, "Job properties of BITS 5").
        request.checkpointMs = qMax(request.checkpointMs, HighPerformanceCheckpointMs);
        request.checkpointBytes = qMax(request.checkpointBytes, HighPerformanceCheckpointBytes);
    }
    // Ranges of a file are not the file: peers neither serve nor receive them.
    if (m_peerPlanner && !rt.originOnly.contains(index) && file.ranges.isEmpty())
        request.peerPlan = m_peerPlanner(job);
    // A file that may be cached for peers is hashed as it is written: the cache later takes only
    // bytes that still hash to that (docs/security.md).
    request.hashForCache = m_settings.peerServerAllowed() && (job.peerCachingFlags & peercaching::Server) && !job.credentialed()
                            && file.ranges.isEmpty();

    rt.ticket = request.ticket;
    m_dispatch->send(job.id, request);
}

void JobManager::stopTransfer(const QUuid &id)
{
    auto it = m_runtime.find(id);
    if (it == m_runtime.end())
        return;
    it->credentialsRead = 0;   // a keychain answer still on its way starts nothing now
    it->secrets.reset();       // read again at the next run: secrets live no longer than needed
    it->secretHeaders.clear();
    if (it->ticket == 0)
        return;
    const quint64 ticket = it->ticket;
    it->ticket = 0;
    TransferCheckpoint last;
    const bool stopped = m_dispatch->stop(ticket, &last);
    auto job = m_jobs.find(id);
    if (stopped && job != m_jobs.end())
        applyCheckpoint(*job, last);
}

// The next attempt resumes from what the checkpoint vouches for, with its validator.
void JobManager::applyCheckpoint(Job &job, const TransferCheckpoint &checkpoint)
{
    const int index = job.currentFileIndex();
    if (index < 0)
        return;
    JobFile &file = job.files[index];
    file.bytesTransferred = checkpoint.offset;
    file.bytesTotal = checkpoint.bytesTotal;
    file.etag = checkpoint.etag;
    file.lastModified = checkpoint.lastModified;
}

void JobManager::onCheckpointed(quint64 ticket, const TransferCheckpoint &checkpoint)
{
    if (Job *job = jobForTicket(ticket))
        applyCheckpoint(*job, checkpoint);
}

Job *JobManager::jobForTicket(quint64 ticket)
{
    const QUuid id = m_dispatch->jobOf(ticket);
    if (id.isNull())
        return nullptr; // a stopped attempt's late news
    auto job = m_jobs.find(id);
    return job == m_jobs.end() ? nullptr : &*job;
}

void JobManager::onResponded(quint64 ticket)
{
    Job *job = jobForTicket(ticket);
    if (job && !m_online) {
        qCInfo(lcJobs) << "a server answered: the network is there whatever the network watch says";
        setNetworkOnline(true);
    }
    if (!job || job->state == JobState::Transferring)
        return;
    job->toTransferring();
    job->modificationTime = m_clock->now();
    commit(*job);
}

void JobManager::onProgressed(quint64 ticket, qint64 bytes, qint64 total)
{
    Job *job = jobForTicket(ticket);
    if (!job)
        return;
    const int index = job->currentFileIndex(); // files go in order: the first unfinished one moves
    if (index < 0)
        return;
    JobFile &file = job->files[index];
    if (bytes != file.bytesTransferred) {
        m_times->active(*job);
        if (m_times->progressed(*job))
            m_store->saveActivity(*job); // no stale no-progress clock survives a restart
    }
    file.bytesTransferred = bytes;
    file.bytesTotal = total;
    job->modificationTime = m_clock->now();
    emit jobChanged(*job); // progress is made durable by checkpoints, not by this
}

void JobManager::onWarned(quint64 ticket, const QString &message)
{
    if (Job *job = jobForTicket(ticket)) {
        qCWarning(lcJobs).noquote() << job->displayName << ":" << message;
        emit warning(job->id, message);
    }
}

// REDIRECT_POLICY_ALLOW_REPORT: the file's remote name becomes the URL that answered (docs/jobs.md §9.1).
void JobManager::onRedirected(quint64 ticket, const QUrl &finalUrl)
{
    Job *job = jobForTicket(ticket);
    const int index = job ? job->currentFileIndex() : -1;
    if (index < 0)
        return;
    job->files[index].remoteUrl = finalUrl.adjusted(QUrl::RemoveUserInfo); // never stored with a password
    job->modificationTime = m_clock->now();
    commit(*job);
}

void JobManager::onSourced(quint64 ticket, qint64 bytesFromPeers, PeerVerification verification, const QString &peerId,
                           const QString &sha256)
{
    Job *job = jobForTicket(ticket);
    const int index = job ? job->currentFileIndex() : -1;
    if (index < 0)
        return;
    JobFile &file = job->files[index];
    file.bytesFromPeers = bytesFromPeers;
    file.downloadedFromPeer = bytesFromPeers > 0;
    file.peerVerification = verification;
    file.peerId = peerId; // persisted with the finished file by onFinished's commit
    file.sha256 = sha256;
}

void JobManager::onIdentified(quint64 ticket, const QStringList &keys, const QString &notServable)
{
    Job *job = jobForTicket(ticket);
    const int index = job ? job->currentFileIndex() : -1;
    if (index < 0)
        return;
    job->files[index].contentKeys = keys;
    job->files[index].notServable = notServable;
}

// Kept with the file and stored at its next commit (BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS).
void JobManager::onResponseHeaders(quint64 ticket, const QByteArray &headers)
{
    Job *job = jobForTicket(ticket);
    const int index = job ? job->currentFileIndex() : -1;
    if (index >= 0)
        job->files[index].responseHeaders = headers;
}

void JobManager::onFinished(quint64 ticket, qint64 size, const QString &etag, const QString &lastModified)
{
    Job *job = jobForTicket(ticket);
    if (!job)
        return;
    m_dispatch->ended(ticket);
    m_runtime[job->id].ticket = 0;
    m_times->progressed(*job);
    const int index = job->currentFileIndex();
    JobFile &file = job->files[index];
    file.bytesTotal = file.bytesTransferred = size;
    file.etag = etag;
    file.lastModified = lastModified;
    file.transferred = true;
    job->modificationTime = m_clock->now();
    if (job->hasPendingFiles()) {
        commit(*job);
        emit fileTransferred(job->id, index);
        startJob(*job); // files of one job go strictly in order
        return;
    }
    job->toTransferred(m_clock->now());
    commit(*job);
    emit fileTransferred(job->id, index);
    emit jobTransferred(job->id);
    scheduleSoon();
}

void JobManager::onFailed(quint64 ticket, const TransferFailure &failure)
{
    Job *job = jobForTicket(ticket);
    if (!job)
        return;
    m_dispatch->ended(ticket);
    Runtime &rt = m_runtime[job->id];
    rt.ticket = 0;
    const qint64 now = m_clock->monotonicMs();
    ++job->errorCount;
    job->modificationTime = m_clock->now();
    const bool retryable = failure.transient && job->noProgressTimeout > 0
                           && job->minimumRetryDelay <= job->noProgressTimeout;
    const bool serverAnswered = failure.error.code >= hr::BG_E_HTTP_BASE && failure.error.code < hr::BG_E_HTTP_BASE + 1000;
    if (serverAnswered && !m_online)
        setNetworkOnline(true);
    if (retryable) {
        JobError error = failure.error;
        if (!m_online && error.context == ErrorContext::GeneralTransport) {
            error.code = hr::BG_E_NETWORK_DISCONNECTED;
            error.description = QStringLiteral("the network is disconnected (%1); the job continues when it returns").arg(failure.error.description);
        }
        m_times->waitToRetry(*job, now, now + qint64(qMax<quint32>(job->minimumRetryDelay, quint32(failure.retryAfterSeconds))) * 1000);
        job->toTransientError(error);
        commit(*job);
    } else {
        job->toError(failure.error);
        commit(*job);
        emit jobFailed(job->id);
    }
    scheduleSoon();
}

// The event switch: each kind to its handler, in the order the transfer sent them. Strikes and
// bans are recorded even from an attempt stopped meanwhile.
void JobManager::onTransferEvent(const TransferEvent &event)
{
    using namespace transferevent;
    const quint64 ticket = event.ticket;
    std::visit(
        [&](const auto &e) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, Responded>)
                onResponded(ticket);
            else if constexpr (std::is_same_v<E, Progressed>)
                onProgressed(ticket, e.bytesTransferred, e.bytesTotal);
            else if constexpr (std::is_same_v<E, Checkpointed>)
                onCheckpointed(ticket, e.checkpoint);
            else if constexpr (std::is_same_v<E, Warned>)
                onWarned(ticket, e.message);
            else if constexpr (std::is_same_v<E, Redirected>)
                onRedirected(ticket, e.finalUrl);
            else if constexpr (std::is_same_v<E, Sourced>)
                onSourced(ticket, e.bytesFromPeers, e.verification, e.peerId, e.sha256);
            else if constexpr (std::is_same_v<E, Identified>)
                onIdentified(ticket, e.contentKeys, e.notServable);
            else if constexpr (std::is_same_v<E, PeerVerdicts>)
                emit peerVerdicts(e.verdicts);
            else if constexpr (std::is_same_v<E, ResponseHeaders>)
                onResponseHeaders(ticket, e.headers);
            else if constexpr (std::is_same_v<E, Finished>)
                onFinished(ticket, e.size, e.etag, e.lastModified);
            else
                onFailed(ticket, e.failure);
        },
        event.what);
}

} // namespace ferry
