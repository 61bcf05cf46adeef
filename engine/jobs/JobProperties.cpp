// JobManager's setters of job properties (docs/jobs.md §9, the BITS SetXxx calls): each checks
// its value, then changes the job through JobManager::change (stored before it is announced);
// those that change how a connection is made restart a running transfer with the new settings.
#include "jobs/JobManager.h"

#include "core/FileRules.h"
#include "jobs/JobClock.h"

#include <QDir>

namespace ferry {

Status JobManager::takeOwnership(const QUuid &id, const Owner &owner)
{
    QList<CredentialKey> dropped;
    const Status s = change(id, [&](Job &job) {
        job.owner = owner;
        // As BITS: a new owner does not inherit the old owner's secrets or commands.
        job.customHeaders.clear();
        job.notifyProgram.clear();
        job.notifyParameters.clear();
        dropped = job.credentials;
        job.credentials.clear();
        return Status();
    });
    if (s) {
        forgetCredentials(id, dropped);
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

Status JobManager::setCustomHeaders(const QUuid &id, const QStringList &headers)
{
    for (const QString &h : headers)
        if (Status s = checkHeaderLine(h); !s)
            return s;
    return change(id, [&](Job &job) { job.customHeaders = headers; return Status(); });
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
    if (isActive(job.state)) {
        stopTransfer(job.id);
        requeue(job);
        scheduleSoon();
    }
}

} // namespace ferry
