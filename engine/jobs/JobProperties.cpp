// JobManager's setters of job properties (docs/jobs.md §9, the BITS SetXxx calls): each checks
// its value, then changes the job through JobManager::change (stored before it is announced);
// those that change how a connection is made restart a running transfer with the new settings.
#include "jobs/JobManager.h"

#include "core/FileRules.h"
#include "jobs/JobClock.h"

#include <QDir>
#include <QLoggingCategory>

namespace ferry {

Q_DECLARE_LOGGING_CATEGORY(lcJobs)

Status JobManager::takeOwnership(const QUuid &id, const Owner &owner)
{
    QList<CredentialKey> dropped;
    bool hadHeaders = false;
    const Status s = change(id, [&](Job &job) {
        job.owner = owner;
        // As BITS: a new owner does not inherit the old owner's secrets or commands.
        job.customHeaders.clear();
        hadHeaders = job.writeOnlyHeaders > 0;
        job.writeOnlyHeaders = 0; // write-only stays write-only; the old owner's headers go
        job.notifyProgram.clear();
        job.notifyParameters.clear();
        dropped = job.credentials;
        job.credentials.clear();
        return Status();
    });
    if (s) {
        forgetCredentials(id, dropped);
        if (hadHeaders)
            forgetHeaders(id);
        connectionChanged(m_jobs[id]);
        scheduleSoon(); // the new owner may be logged on, or not (docs/jobs.md §12.1)
    }
    return s;
}

Status JobManager::setDisplayName(const QUuid &id, const QString &name)
{
    if (name.size() > defaults::MaxDisplayName)
        return {hr::E_INVALIDARG, QStringLiteral("the display name is longer than %1 characters").arg(defaults::MaxDisplayName)};
    if (Status s = checkPlainText(name, QStringLiteral("the display name")); !s)
        return s;
    return change(id, [&](Job &job) { job.displayName = name; return Status(); });
}

Status JobManager::setDescription(const QUuid &id, const QString &text)
{
    if (text.size() > defaults::MaxDescription)
        return {hr::BG_E_STRING_TOO_LONG, QStringLiteral("the description is longer than %1 characters").arg(defaults::MaxDescription)};
    if (Status s = checkPlainText(text, QStringLiteral("the description")); !s)
        return s;
    return change(id, [&](Job &job) { job.description = text; return Status(); });
}

Status JobManager::setPriority(const QUuid &id, JobPriority priority)
{
    const Status s = change(id, [&](Job &job) { job.priority = priority; return Status(); });
    if (s)
        scheduleSoon();
    return s;
}

Status JobManager::setPeerCachingFlags(const QUuid &id, quint32 flags)
{
    if (flags & ~peercaching::ValidMask)
        return {hr::E_NOTIMPL, QStringLiteral("peer-caching flags 0x%1 hold undefined bits; only CLIENT (0x1), SERVER (0x2) and "
                                              "DISABLE_BRANCH_CACHE (0x4) exist")
                                   .arg(flags, 0, 16)};
    quint32 before = 0;
    const Status s = change(id, [&](Job &job) {
        before = job.peerCachingFlags;
        job.peerCachingFlags = flags;
        return Status();
    });
    // A change of CLIENT mid-transfer: stop, and resume at the same offset under the new rule.
    if (s && ((before ^ flags) & peercaching::Client))
        connectionChanged(m_jobs[id]);
    return s;
}

Status JobManager::setMaximumDownloadTime(const QUuid &id, quint32 seconds)
{
    return change(id, [&](Job &job) { job.maximumDownloadTime = seconds; return Status(); });
}

Status JobManager::setNoProgressTimeout(const QUuid &id, quint32 seconds)
{
    return change(id, [&](Job &job) { job.noProgressTimeout = seconds; return Status(); });
}

Status JobManager::setMinimumRetryDelay(const QUuid &id, quint32 seconds)
{
    return change(id, [&](Job &job) {
        job.minimumRetryDelay = qMax(seconds, defaults::MinimumRetryDelayFloor);
        return Status();
    });
}

Status JobManager::setNotifyCmdLine(const QUuid &id, const QString &program, const QString &parameters)
{
    if (program.isEmpty() && !parameters.isEmpty())
        return {hr::E_INVALIDARG, QStringLiteral("parameters without a program: give the program, or neither to clear the command line")};
    if (!program.isEmpty() && !QDir::isAbsolutePath(program))
        return {hr::E_INVALIDARG, QStringLiteral("the notification program must be an absolute path (no PATH search)")};
    if (parameters.size() > defaults::MaxNotifyParameters)
        return {hr::BG_E_STRING_TOO_LONG, QStringLiteral("the parameters are longer than %1 characters").arg(defaults::MaxNotifyParameters)};
    const Status s = change(id, [&](Job &job) {
        job.notifyProgram = program;
        job.notifyParameters = parameters;
        // Set while the job is TRANSFERRED or ERROR already: it runs now (commit keeps this only
        // in those states and when the notify flags let it, docs/jobs.md §11).
        job.notifyPending = !program.isEmpty();
        return Status();
    });
    if (s && m_jobs[id].notifyPending) {
        m_times->notifyAt(id, m_clock->monotonicMs());
        scheduleSoon();
    }
    return s;
}

Status JobManager::setNotifyFlags(const QUuid &id, quint32 flags)
{
    if (flags & ~notifyflags::ValidMask)
        return {hr::E_NOTIMPL, QStringLiteral("notify flags 0x%1 hold undefined bits; the flags are JOB_TRANSFERRED 0x1, JOB_ERROR 0x2, "
                                              "DISABLE 0x4, JOB_MODIFICATION 0x8, FILE_TRANSFERRED 0x10, FILE_RANGES_TRANSFERRED 0x20")
                                   .arg(flags, 0, 16)};
    return change(id, [&](Job &job) { job.notifyFlags = flags; return Status(); });
}

// Readable headers are stored with the job. Write-only ones (MakeCustomHeadersWriteOnly) go to
// the keychain first and the job records only how many there are; an empty list removes them.
Status JobManager::setCustomHeaders(const QUuid &id, const QStringList &headers)
{
    Status s;
    const Job *job = mutableJob(id, &s);
    if (!job)
        return s;
    if (job->customHeadersWriteOnly)
        return {hr::E_ACCESSDENIED, QStringLiteral("the job's custom headers are write-only: they are set through the keychain")};
    for (const QString &h : headers)
        if (Status bad = checkHeaderLine(h); !bad)
            return bad;
    return change(id, [&](Job &j) { j.customHeaders = headers; return Status(); });
}

void JobManager::setCustomHeaders(const QUuid &id, const QStringList &headers, std::function<void(const Status &)> done)
{
    Status s;
    const Job *job = mutableJob(id, &s);
    if (!job)
        return done(s);
    if (!job->customHeadersWriteOnly)
        return done(setCustomHeaders(id, headers));
    for (const QString &h : headers)
        if (Status bad = checkHeaderLine(h, true); !bad)
            return done(bad);
    storeHeaders(id, headers, false, std::move(done));
}

// The headers become write-only for good (docs/security.md): any readable ones move to the
// keychain, and getcustomheaders answers E_ACCESSDENIED from now on.
void JobManager::makeCustomHeadersWriteOnly(const QUuid &id, std::function<void(const Status &)> done)
{
    Status s;
    const Job *job = mutableJob(id, &s);
    if (!job)
        return done(s);
    if (job->customHeadersWriteOnly)
        return done({});
    storeHeaders(id, job->customHeaders, true, std::move(done));
}

void JobManager::storeHeaders(const QUuid &id, const QStringList &headers, bool makeWriteOnly, std::function<void(const Status &)> done)
{
    const auto apply = [this, id, headers, makeWriteOnly, done](const Status &kept) {
        if (!kept)
            return done(kept);
        const Status s = change(id, [&](Job &job) {
            job.customHeadersWriteOnly = true;
            job.customHeaders.clear();
            job.writeOnlyHeaders = int(headers.size());
            return Status();
        });
        if (!s) {
            if (!makeWriteOnly || !headers.isEmpty())
                forgetHeaders(id);
            return done(s);
        }
        connectionChanged(m_jobs[id]); // the next request reads the new headers
        done({});
    };
    const Job *job = this->job(id);
    if (headers.isEmpty() && job && job->writeOnlyHeaders == 0)
        apply({}); // nothing in the keychain to change
    else if (headers.isEmpty())
        m_credentials->removeSecret(CredentialStore::headersKeyFor(id), apply);
    else
        m_credentials->writeSecret(CredentialStore::headersKeyFor(id), headers.join(QLatin1Char('\n')).toUtf8(), apply);
}

void JobManager::forgetHeaders(const QUuid &id)
{
    m_credentials->removeSecret(CredentialStore::headersKeyFor(id), [id](const Status &s) {
        if (!s)
            qCWarning(lcJobs).noquote() << "the write-only custom headers of job" << id.toString(QUuid::WithoutBraces)
                                        << "stay in the keychain:" << s.message;
    });
}

// Fixed once the job has been resumed (docs/jobs.md, "Job properties of BITS 5").
static Status beforeFirstResume(const Job &job, const char *property)
{
    if (job.resumedOnce)
        return {hr::BG_E_READ_ONLY_PROPERTY_AFTER_RESUME,
                QStringLiteral("%1 can only be set before the job's first resume").arg(QLatin1String(property))};
    return {};
}

Status JobManager::setMaxDownloadSize(const QUuid &id, quint64 bytes)
{
    if (bytes == 0)
        return {hr::BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE, QStringLiteral("the maximum download size must be at least 1 byte")};
    return change(id, [&](Job &job) {
        if (Status s = beforeFirstResume(job, "MAX_DOWNLOAD_SIZE"); !s)
            return s;
        job.maxDownloadSize = bytes;
        return Status();
    });
}

Status JobManager::setDynamicContent(const QUuid &id, bool on)
{
    return change(id, [&](Job &job) {
        if (Status s = beforeFirstResume(job, "DYNAMIC_CONTENT"); !s)
            return s;
        if (on && job.onDemand)
            return Status(hr::BG_E_RANDOM_ACCESS_NOT_SUPPORTED, QStringLiteral("an on-demand job cannot have dynamic content"));
        if (on)
            for (const JobFile &f : std::as_const(job.files))
                if (!f.ranges.isEmpty())
                    return Status(hr::E_INVALIDARG, QStringLiteral("dynamic content cannot be fetched by ranges, and this job has a file with ranges"));
        job.dynamicContent = on;
        return Status();
    });
}

Status JobManager::setHighPerformance(const QUuid &id, bool on)
{
    return change(id, [&](Job &job) {
        if (!job.files.isEmpty())
            return Status(hr::BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE,
                          QStringLiteral("HIGH_PERFORMANCE can only be set before the job's first file is added"));
        job.highPerformance = on;
        return Status();
    });
}

Status JobManager::setOnDemand(const QUuid &id, bool on)
{
    return change(id, [&](Job &job) {
        if (on && job.dynamicContent)
            return Status(hr::BG_E_RANDOM_ACCESS_NOT_SUPPORTED,
                          QStringLiteral("on-demand mode needs random access, which a job with dynamic content does not have"));
        job.onDemand = on;
        return Status();
    });
}

Status JobManager::setProxyUsage(const QUuid &id, ProxyUsage usage, const QString &list, const QString &bypass)
{
    if (usage == ProxyUsage::Override && list.trimmed().isEmpty())
        return {hr::E_INVALIDARG, QStringLiteral("OVERRIDE needs a proxy list")};
    if (usage != ProxyUsage::Override && !(list.isEmpty() && bypass.isEmpty()))
        return {hr::E_INVALIDARG, QStringLiteral("proxy lists go only with OVERRIDE; %1 takes none").arg(proxyUsageName(usage))};
    if (list.size() > defaults::MaxProxyList)
        return {hr::BG_E_PROXY_LIST_TOO_LARGE, QStringLiteral("the proxy list holds at most %1 characters").arg(defaults::MaxProxyList)};
    if (bypass.size() > defaults::MaxProxyList)
        return {hr::BG_E_PROXY_BYPASS_LIST_TOO_LARGE,
                QStringLiteral("the proxy bypass list holds at most %1 characters").arg(defaults::MaxProxyList)};
    const Status s = change(id, [&](Job &job) {
        job.proxyUsage = usage;
        job.proxyList = usage == ProxyUsage::Override ? list : QString();
        job.proxyBypassList = usage == ProxyUsage::Override ? bypass : QString();
        return Status();
    });
    if (s)
        connectionChanged(m_jobs[id]);
    return s;
}

Status JobManager::setSecurityFlags(const QUuid &id, quint32 flags)
{
    const quint32 policy = flags & security::RedirectMask;
    if ((flags & ~security::ValidMask)
        || (policy != security::RedirectAllowSilent && policy != security::RedirectAllowReport && policy != security::RedirectDisallow))
        return {hr::E_NOTIMPL, QStringLiteral("security flags 0x%1 hold undefined bits or an unknown redirect policy").arg(flags, 0, 16)};
    if (flags & security::EnableCrlCheck)
        return {hr::E_NOTIMPL, QStringLiteral("certificate revocation (CRL) checking is not available: Qt's TLS does not fetch CRLs")};
    const Status s = change(id, [&](Job &job) { job.securityFlags = flags; return Status(); });
    if (s)
        connectionChanged(m_jobs[id]);
    return s;
}

// What a connection is made with changed: the next request uses a fresh connection manager with
// the new settings, and a running transfer starts over with them now.
void JobManager::connectionChanged(Job &job)
{
    Runtime &rt = m_runtime[job.id];
    rt.connectionGeneration = m_nextGeneration++;
    rt.secrets.reset();
    rt.secretHeaders.clear();
    if (isActive(job.state)) {
        stopTransfer(job.id);
        requeue(job);
        scheduleSoon();
    }
}

} // namespace ferry
