// A BITS job and its files as plain values, with the state machine of docs/jobs.md §1.
// No I/O here: JobManager persists and acts on what these methods decide.
#pragma once

#include "core/BitsError.h"
#include "core/JobTypes.h"
#include "owner/Owner.h"

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QStringList>
#include <QUrl>
#include <QUuid>

namespace ferry {

// One slice of the remote file (AddFileWithRanges, docs/jobs.md "Ranges"): the local file is
// the concatenation of its ranges, in the order given.
struct FileRange
{
    static constexpr qint64 ToEof = -1;  // BG_LENGTH_TO_EOF, as a length only
    qint64 offset = 0;
    qint64 length = ToEof;
    friend bool operator==(const FileRange &, const FileRange &) = default;
};

struct JobFile
{
    QUrl remoteUrl;
    QString localName;           // absolute target path
    QString tempName;            // .<name>.ferry-<jobid>.part next to the target
    qint64 bytesTotal = -1;      // -1 while unknown
    qint64 bytesTransferred = 0; // durable (checkpointed) or live, see Job::files
    bool transferred = false;    // all bytes are in the temporary file
    bool completed = false;      // renamed to localName by Complete
    bool downloadedFromPeer = false;  // any committed byte came from a peer (IsDownloadedFromPeer)
    qint64 bytesFromPeers = 0;
    QString peerId;                  // who supplied them
    PeerVerification peerVerification = PeerVerification::None; // how the bytes were verified, once transferred
    ValidationState validationState = ValidationState::Unset;    // SetValidationState
    QStringList contentKeys;         // CK-V / CK-D the origin's answer gave (docs/peer-caching.md §4)
    QString notServable;             // why the origin's answer forbids caching it, if it does
    QString sha256;                  // lower-case hex of the bytes as the transfer wrote them, if hashed
    QString etag;                // validator of the bytes we hold
    QString lastModified;        // raw Last-Modified header of the bytes we hold
    QList<FileRange> ranges;     // AddFileWithRanges; empty: the whole file
    QByteArray responseHeaders;  // raw headers of the file's last response, bounded, no Set-Cookie value
};

struct JobProgress
{
    quint64 bytesTotal = 0;      // SizeUnknown while any file's size is unknown
    quint64 bytesTransferred = 0;
    int filesTotal = 0;
    int filesTransferred = 0;
};

class Job
{
public:
    QUuid id;
    QString displayName;
    QString description;
    JobType type = JobType::Download;
    JobPriority priority = JobPriority::Normal;
    JobState state = JobState::Suspended;
    QList<JobFile> files;
    QDateTime creationTime;
    QDateTime modificationTime;
    QDateTime transferCompletionTime;
    // Lifecycle clocks kept across restarts (docs/jobs.md §4.5, §4.6): the last progress or change by a
    // caller (the inactivity timeout counts from it), and in UTC wall time the first transient
    // error since the last progress and the next retry; invalid when not running.
    QDateTime lastActivityTime;
    QDateTime noProgressSince;
    QDateTime retryAt;
    JobError error;
    int errorCount = 0;
    quint32 minimumRetryDelay = defaults::MinimumRetryDelay;
    quint32 noProgressTimeout = defaults::NoProgressTimeout;
    quint32 maximumDownloadTime = defaults::MaximumDownloadTime;
    qint64 downloadTimeUsedMs = 0;   // time spent CONNECTING/TRANSFERRING since the last Resume
    quint32 peerCachingFlags = 0;
    Owner owner;
    QString notifyProgram;
    QString notifyParameters;
    bool notifyPending = false;      // the notification program has yet to run successfully
    quint32 notifyFlags = notifyflags::Default;
    ProxyUsage proxyUsage = ProxyUsage::Preconfig;
    QString proxyList;
    QString proxyBypassList;
    QStringList customHeaders;       // "Name: value"
    QList<CredentialKey> credentials; // which credentials the keychain holds for this job
    quint32 securityFlags = 0;       // security:: redirect policy and TLS flags
    quint64 queueSequence = 0;       // round-robin order among equal priorities
    // IBackgroundCopyJob5 properties (docs/jobs.md, "Job properties of BITS 5").
    quint64 maxDownloadSize = 0;     // MAX_DOWNLOAD_SIZE in bytes; 0: no limit
    bool dynamicContent = false;     // no ranges: an interrupted file starts again from byte 0
    bool highPerformance = false;    // fewer checkpoints (docs/jobs.md)
    bool onDemand = false;           // ON_DEMAND_MODE: stored; its calls are E_NOTIMPL
    bool resumedOnce = false;        // Resume was called once: some properties are fixed now
    // MakeCustomHeadersWriteOnly: the headers live in the keychain only (docs/security.md);
    // customHeaders is then empty and writeOnlyHeaders says how many lines the keychain holds.
    bool customHeadersWriteOnly = false;
    int writeOnlyHeaders = 0;

    static Job create(const QString &displayName, const Owner &owner, const QDateTime &now);
    static QString temporaryNameFor(const QString &localName, const QUuid &jobId);

    JobProgress progress() const;
    // Fetched with credentials (stored credentials, write-only custom headers, or a URL that
    // carried user-info): such
    // content is neither fetched from nor served to peers.
    bool credentialed() const;
    int currentFileIndex() const;    // first file not yet transferred, -1 if none
    bool hasPendingFiles() const { return currentFileIndex() >= 0; }

    // State machine (docs/jobs.md §1.2). Each returns the API result; on success the job has changed.
    Status resume();
    Status suspend();
    Status cancel();
    Status markAcknowledged();
    Status checkMutable() const;     // INVALID_STATE for final jobs

    // Transitions driven by the scheduler and transfers.
    void toConnecting();
    void toTransferring();
    void toQueued();                 // preempted or retry delay over
    void toTransferred(const QDateTime &now);
    void toTransientError(const JobError &e);
    void toError(const JobError &e);
};

} // namespace ferry

Q_DECLARE_METATYPE(ferry::Job)
