// Owns the jobs: the BITS verbs and setters, their validation, the state rules and their
// persistence (every change is stored before it is announced), and the scheduling loop that
// hands files to the Downloader on the transfer thread.
#pragma once

#include "core/Clock.h"
#include "core/EngineSettings.h"
#include "core/Job.h"
#include "jobs/Scheduler.h"
#include "peercache/PeerSource.h"
#include "store/CredentialStore.h"

#include <QHash>
#include <QSet>
#include <QObject>
#include <QTimer>

#include <functional>
#include <optional>

namespace ferry {

namespace peercache {
class PeerCache;
}

class Clock;
class JobClock;
class Downloader;
class JobStore;
class NotifyCommand;
class OwnerSessions;
class TransferDispatch;
struct TransferCheckpoint;
struct TransferEvent;
struct TransferFailure;

class JobManager : public QObject
{
    Q_OBJECT
public:
    JobManager(JobStore *store, Downloader *downloader, Clock *clock, QObject *parent = nullptr);
    ~JobManager() override;

    void load();                                     // persisted jobs; interrupted ones are requeued

    QList<Job> jobs() const;                         // non-final jobs, in creation order
    const Job *job(const QUuid &id) const;
    Job snapshot(const QUuid &id) const;             // with the download time used up to now
    // By id or display name, among the jobs visible says exist (all without it): the engine
    // service passes who may see what (docs/jobs.md §13).
    Status find(const QString &idOrName, QUuid *id, const std::function<bool(const Job &)> &visible = {}) const;

    Status createJob(const QString &displayName, const Owner &owner, QUuid *id);
    // FOLDER/NAME if neither a file on disk nor any job's target has it, else the first free
    // "base (n).ext": links are queued without ever colliding.
    QString unusedLocalName(const QString &folder, const QString &fileName) const;
    Status addFile(const QUuid &id, const QString &remoteUrl, const QString &localName);
    // AddFileWithRanges (docs/jobs.md, "Ranges"): RANGES as "OFFSET:LENGTH,..." (LENGTH eof).
    Status addFileWithRanges(const QUuid &id, const QString &remoteUrl, const QString &localName, const QString &ranges);
    Status resume(const QUuid &id);
    Status suspend(const QUuid &id);
    Status cancel(const QUuid &id);
    Status complete(const QUuid &id);
    Status takeOwnership(const QUuid &id, const Owner &owner);

    Status setDisplayName(const QUuid &id, const QString &name);
    Status setDescription(const QUuid &id, const QString &text);
    Status setPriority(const QUuid &id, JobPriority priority);
    Status setPeerCachingFlags(const QUuid &id, quint32 flags);
    Status setMaximumDownloadTime(const QUuid &id, quint32 seconds);
    Status setNoProgressTimeout(const QUuid &id, quint32 seconds);
    Status setMinimumRetryDelay(const QUuid &id, quint32 seconds);
    Status setNotifyCmdLine(const QUuid &id, const QString &program, const QString &parameters);
    Status setNotifyFlags(const QUuid &id, quint32 flags);   // notifyflags::; undefined bits are E_NOTIMPL
    // Readable headers are stored with the job; write-only ones go to the keychain (asynchronous:
    // the first form refuses them with E_ACCESSDENIED, the second stores them).
    Status setCustomHeaders(const QUuid &id, const QStringList &headers);
    void setCustomHeaders(const QUuid &id, const QStringList &headers, std::function<void(const Status &)> done);
    void makeCustomHeadersWriteOnly(const QUuid &id, std::function<void(const Status &)> done);
    // IBackgroundCopyJob5 properties (docs/jobs.md, "Job properties of BITS 5").
    Status setMaxDownloadSize(const QUuid &id, quint64 bytes);
    Status setDynamicContent(const QUuid &id, bool on);
    Status setHighPerformance(const QUuid &id, bool on);
    Status setOnDemand(const QUuid &id, bool on);
    Status setProxyUsage(const QUuid &id, ProxyUsage usage, const QString &list, const QString &bypass);
    Status setSecurityFlags(const QUuid &id, quint32 flags);  // security::; CRL checking is E_NOTIMPL
    // SetRemoteName / ReplaceRemotePrefix (docs/jobs.md §6.4, engine/jobs/RemoteNames.cpp): a
    // changed file starts again from zero from its new URL; S_FALSE when no URL had the prefix.
    Status setRemoteName(const QUuid &id, int fileIndex, const QString &remoteUrl);
    Status replaceRemotePrefix(const QUuid &id, const QString &oldPrefix, const QString &newPrefix);

    // Credentials (docs/jobs.md §10). The secret goes to the OS keychain only; the job records which
    // (target, scheme) pairs it holds. Asynchronous (the keychain may take its time): done runs on
    // the engine thread with the result. A running job restarts its transfer with the new set.
    // Access is checked by the engine service (engine/control/EngineService) before any verb or setter.
    void setCredentials(const QUuid &id, AuthTarget target, AuthScheme scheme, const Credentials &credentials,
                        std::function<void(const Status &)> done);
    void removeCredentials(const QUuid &id, AuthTarget target, AuthScheme scheme, std::function<void(const Status &)> done);
    CredentialStore *credentialStore() const { return m_credentials; }

    // Who decides whether a transfer may use peers, and which (PeerCache, set by attachPeerCache).
    using PeerPlanner = std::function<peercache::PeerPlan(const Job &job)>;
    void setPeerPlanner(PeerPlanner planner) { m_peerPlanner = std::move(planner); }
    // Wires the peer cache to the jobs (before its start()): it gets the settings and every
    // change of them, validated and invalidated files and peer verdicts, stores `cache set`
    // through setSetting, and plans each transfer until it is destroyed. The cache knows nothing
    // of this class (docs/engine.md, "Layers").
    void attachPeerCache(peercache::PeerCache *cache);
    // SetValidationState (docs/jobs.md §7.3) for a transferred file.
    Status setValidationState(const QUuid &id, int fileIndex, bool valid);

    EngineSettings settings() const { return m_settings; }
    Status setSetting(const QString &key, const QString &value);
    // The parsers live with EngineSettings (EngineSettings.h); these names stay for their callers.
    static Status parseSetting(const QString &key, const QString &value, EngineSettings *next, QString *stored)
    {
        return ferry::parseSetting(key, value, next, stored);
    }
    static bool parseStaticPeers(const QString &text, QStringList *out = nullptr) { return ferry::parseStaticPeers(text, out); }

    void tick();                                     // retry delays, timeouts and scheduling

    // The network-state seam (fed by NetworkWatch). Offline only pauses retries: a transfer that
    // fails for want of a network then waits in TRANSIENT_ERROR NETWORK_DISCONNECTED instead of
    // retrying after its delay; running and queued jobs go on. Back online (or as soon as any
    // server answers), those jobs are queued again at once.
    void setNetworkOnline(bool online);
    bool isNetworkOnline() const { return m_online; }

    // The owners' sessions (docs/jobs.md §12.1), for the system instance: a job whose owner is
    // not logged on stays QUEUED, and a running one goes back to QUEUED when its owner logs off.
    // Without it (or with a per-user engine's) every job runs.
    void attachOwnerSessions(OwnerSessions *sessions);
    bool waitsForOwner(const Job &job) const;        // QUEUED for want of its owner's session

signals:
    void settingsChanged(const ferry::EngineSettings &settings); // after setSetting succeeded
    void jobChanged(const ferry::Job &job);
    void jobRemoved(const QUuid &id);
    void jobTransferred(const QUuid &id);
    void jobFailed(const QUuid &id);
    void fileTransferred(const QUuid &id, int fileIndex); // all its bytes are in the temporary file
    void warning(const QUuid &id, const QString &message);
    void peerVerdicts(const QList<ferry::peercache::PeerVerdict> &verdicts); // strikes and bans to record
    // A job's file was validated (Complete, or SetValidationState(true)) and may be offered to
    // the peer cache; or invalidated (its records must go).
    void fileValidated(const ferry::Job &job, int fileIndex);
    void fileInvalidated(const ferry::Job &job, int fileIndex);

private:
    struct Runtime
    {
        quint64 ticket = 0;                          // 0: nothing running
        qint64 runningSinceMs = 0;
        JobState committedState = JobState(-1);      // state at the last commit
        quint64 credentialsRead = 0;                 // a start waiting for the keychain (its token)
        std::optional<QList<StoredCredential>> secrets; // read for the current run, memory only
        QStringList secretHeaders;                   // write-only custom headers, read with secrets
        quint64 connectionGeneration = 0;            // see TransferRequest::connectionKey
        QSet<int> originOnly;                        // files declared invalid after peer bytes
    };

    Job *mutableJob(const QUuid &id, Status *status);
    template <typename F>
    Status change(const QUuid &id, F &&apply);
    bool commit(Job &job);                           // persist, then announce
    void removeFinal(Job &job);
    void scheduleSoon();
    void touched(Job &job);                          // a change by a caller: the job is active
    // docs/jobs.md §4.6 and §3 (engine/jobs/JobLifecycle.cpp): the inactivity timeout, and the
    // quotas that bind every owner but an elevated one.
    void cancelInactiveJobs();
    Status checkJobQuota(const Owner &owner) const;
    int maxFilesFor(const Owner &owner) const;
    void startJob(Job &job);
    void readCredentials(Job &job);
    void onCredentialsRead(const QUuid &id, quint64 token, const Status &status, const QList<StoredCredential> &read);
    static QString connectionKeyOf(const Job &job, quint64 generation);
    void sendTransfer(Job &job);
    void connectionChanged(Job &job);                // credentials, proxy or TLS flags changed
    void retarget(Job &job, int fileIndex, const QUrl &url); // a file's new URL: it starts again
    void forgetCredentials(const QUuid &id, const QList<CredentialKey> &keys);
    void forgetHeaders(const QUuid &id);             // the keychain's copy of write-only headers
    void storeHeaders(const QUuid &id, const QStringList &headers, bool makeWriteOnly, std::function<void(const Status &)> done);
    void stopTransfer(const QUuid &id);
    void requeue(Job &job);
    std::optional<Credentials> takeUserInfo(Job &job);
    void checkDownloadTime(Job &job);
    bool waitsForNetwork(const Job &job) const;
    void runNotifications(qint64 now);
    void onNotifyFinished(const QUuid &id, bool succeeded, const QString &detail);
    Job *jobForTicket(quint64 ticket);
    void onTransferEvent(const TransferEvent &event);

    void onResponded(quint64 ticket);
    void onProgressed(quint64 ticket, qint64 bytes, qint64 total);
    void onWarned(quint64 ticket, const QString &message);
    void onRedirected(quint64 ticket, const QUrl &finalUrl);
    void onSourced(quint64 ticket, qint64 bytesFromPeers, PeerVerification verification, const QString &peerId, const QString &sha256);
    void onIdentified(quint64 ticket, const QStringList &keys, const QString &notServable);
    void onCheckpointed(quint64 ticket, const TransferCheckpoint &checkpoint);
    void applyCheckpoint(Job &job, const TransferCheckpoint &checkpoint);
    void onFinished(quint64 ticket, qint64 size, const QString &etag, const QString &lastModified);
    void onResponseHeaders(quint64 ticket, const QByteArray &headers);
    void onFailed(quint64 ticket, const TransferFailure &failure);

    JobStore *m_store;
    TransferDispatch *m_dispatch;                    // the Downloader's tickets and events
    Clock *m_clock;
    Scheduler m_scheduler;
    EngineSettings m_settings;
    QHash<QUuid, Job> m_jobs;
    QList<QUuid> m_order;
    QHash<QUuid, Runtime> m_runtime;
    quint64 m_nextSequence = 1;
    quint64 m_nextGeneration = 1;
    JobClock *m_times;                               // ticks, download time, retry and notify times
    NotifyCommand *m_notify;
    CredentialStore *m_credentials;
    PeerPlanner m_peerPlanner;
    OwnerSessions *m_sessions = nullptr;
    bool m_scrubAfterLoad = false;
    bool m_online = true;
};

// Applies a change to a mutable job and stores it; on failure the job stays as it was. Here
// because the verbs (JobManager.cpp) and the setters (JobProperties.cpp) both use it.
template <typename F>
Status JobManager::change(const QUuid &id, F &&apply)
{
    Status s;
    Job *job = mutableJob(id, &s);
    if (!job)
        return s;
    Job before = *job;
    s = apply(*job);
    if (!s) {
        *job = before;
        return s;
    }
    job->modificationTime = m_clock->now();
    touched(*job);
    if (!commit(*job)) {
        *job = before;
        return {hr::E_FAIL, QStringLiteral("the change could not be saved")};
    }
    return s;
}

} // namespace ferry

