#include "JobManager.h"

#include "Clock.h"
#include "Downloader.h"
#include "FileRules.h"
#include "HttpDate.h"
#include "JobAccess.h"
#include "JobStore.h"
#include "NotifyCommand.h"
#include "OwnerIdentity.h"
#include "PeerPolicy.h"

#include <QDir>
#include <QSet>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QThread>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>

namespace ferry {

Q_LOGGING_CATEGORY(lcJobs, "ferry.jobs")

namespace {

// A locked or absent keychain is retried this often (or at the job's retry delay if shorter):
// unlocking it should not leave a job waiting for ten minutes.
constexpr quint32 KeychainRetrySeconds = 30;


QString keyText(const CredentialKey &key) { return authTargetName(key.target) + QLatin1Char('/') + authSchemeName(key.scheme); }

// Moves a finished temporary file to its real name without ever replacing an existing file.
bool renameNoReplace(const QString &from, const QString &to, QString *error)
{
    if (::renameat2(AT_FDCWD, QFile::encodeName(from).constData(), AT_FDCWD, QFile::encodeName(to).constData(),
                    RENAME_NOREPLACE)
        == 0)
        return true;
    *error = errno == EEXIST ? QStringLiteral("'%1' already exists and is never overwritten").arg(to)
                             : QStringLiteral("cannot rename '%1' to '%2': %3")
                                   .arg(from, to, QString::fromLocal8Bit(std::strerror(errno)));
    return false;
}

void setModificationTime(const QString &path, const QString &lastModified)
{
    const QDateTime t = parseHttpDate(lastModified);
    if (!t.isValid())
        return;
    timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = t.toSecsSinceEpoch();
    times[1].tv_nsec = 0;
    ::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, 0);
}

} // namespace

JobManager::JobManager(JobStore *store, Downloader *downloader, Clock *clock, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_downloader(downloader)
    , m_clock(clock)
    , m_notify(new NotifyCommand(this))
    , m_credentials(new CredentialStore(QStringLiteral("ferry"), this))
{
    qRegisterMetaType<Job>();
    qRegisterMetaType<EngineSettings>();
    qRegisterMetaType<TransferRequest>();
    qRegisterMetaType<TransferFailure>();
    qRegisterMetaType<TransferCheckpoint>();
    connect(downloader, &Downloader::responded, this, &JobManager::onResponded);
    connect(downloader, &Downloader::progressed, this, &JobManager::onProgressed);
    connect(downloader, &Downloader::warned, this, &JobManager::onWarned);
    connect(downloader, &Downloader::redirected, this, &JobManager::onRedirected);
    connect(downloader, &Downloader::sourced, this, &JobManager::onSourced);
    connect(downloader, &Downloader::identified, this, &JobManager::onIdentified);
    connect(downloader, &Downloader::peerVerdicts, this, [this](quint64, const QList<peercache::PeerVerdict> &v) { emit peerVerdicts(v); });
    qRegisterMetaType<peercache::PeerPlan>();
    qRegisterMetaType<QList<peercache::PeerVerdict>>();
    connect(downloader, &Downloader::checkpointed, this, &JobManager::onCheckpointed);
    connect(downloader, &Downloader::finished, this, &JobManager::onFinished);
    connect(downloader, &Downloader::failed, this, &JobManager::onFailed);
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &JobManager::tick);
    m_timer.start();
    m_deadline.setSingleShot(true);
    m_deadline.setTimerType(Qt::PreciseTimer);
    connect(&m_deadline, &QTimer::timeout, this, &JobManager::tick);
    connect(m_notify, &NotifyCommand::finished, this, &JobManager::onNotifyFinished);
}

JobManager::~JobManager()
{
    const auto ids = m_runtime.keys();
    for (const QUuid &id : ids) {
        stopTransfer(id);
        auto job = m_jobs.find(id);
        if (job != m_jobs.end() && m_runtime[id].counting) {
            trackDownloadClock(*job); // the time up to this stop survives the restart
            m_store->saveDownloadTime(id, job->downloadTimeUsedMs);
        }
    }
}

void JobManager::load()
{
    m_settings.maxBackgroundJobs = qMax(1, m_store->setting(QStringLiteral("maxBackgroundJobs"), QStringLiteral("1")).toInt());
    m_settings.timeSliceSeconds = qMax(1, m_store->setting(QStringLiteral("timeSliceSeconds"), QStringLiteral("60")).toInt());
    m_settings.checkpointBytes =
        qMax<qint64>(4096, m_store->setting(QStringLiteral("checkpointBytes"), QString::number(64 << 20)).toLongLong());
    const auto flag = [this](const char *key, bool fallback) {
        return m_store->setting(QLatin1String(key), fallback ? QStringLiteral("1") : QStringLiteral("0")) == QLatin1String("1");
    };
    m_settings.syncCheckpoints = flag("syncCheckpoints", false);
    m_settings.http2 = flag("http2", false);
    m_settings.peerCachingEnabled = flag("peerCachingEnabled", false);
    m_settings.peerCachingClient = flag("peerCachingClient", true);
    m_settings.peerCachingServer = flag("peerCachingServer", true);
    const auto number = [this](const char *key, qint64 fallback, qint64 low, qint64 high) {
        bool ok = false;
        const qint64 n = m_store->setting(QLatin1String(key), QString::number(fallback)).toLongLong(&ok);
        return ok && n >= low && n <= high ? n : fallback;
    };
    m_settings.maxCacheSizePercent = int(number("maxCacheSizePercent", 1, 1, 80));
    m_settings.maxContentAgeSec = number("maxContentAgeSec", 90 * 86400, 86400, 120 * 86400);
    m_settings.tlsPort = int(number("tlsPort", 41771, 0, 65535));
    m_settings.discoveryPort = int(number("discoveryPort", 41770, 1, 65535));
    m_settings.multicast = flag("multicast", true);
    m_settings.requireOriginDigest = flag("requireOriginDigest", false);
    parseStaticPeers(m_store->setting(QStringLiteral("staticPeers"), QString()), &m_settings.staticPeers);
    // The administrator's policy wins over what is stored (docs/peer-caching.md §2).
    const peercache::PeerPolicy policy = peercache::PeerPolicy::load();
    for (auto it = policy.values().cbegin(); it != policy.values().cend(); ++it) {
        QString ignored;
        if (Status s = parseSetting(it.key(), it.value(), &m_settings, &ignored); !s)
            qCWarning(lcJobs).noquote() << "policy" << policy.path() << ":" << s.message;
        else
            m_settings.policySettings << it.key();
    }
    m_settings.policyFile = policy.path();
    m_scheduler.maxBackgroundJobs = m_settings.maxBackgroundJobs;
    m_scheduler.timeSliceMs = qint64(m_settings.timeSliceSeconds) * 1000;

    const qint64 now = m_clock->monotonicMs();
    const QList<Job> loaded = m_store->loadJobs();
    for (Job job : loaded) {
        m_nextSequence = qMax(m_nextSequence, job.queueSequence + 1);
        if (isActive(job.state))
            job.state = JobState::Queued; // it was running when the engine stopped
        const bool lostBytes = checkTransferredFiles(job);
        const std::optional<Credentials> fromUrl = takeUserInfo(job);
        Runtime &rt = m_runtime[job.id];
        rt.committedState = job.state;
        if (job.state == JobState::TransientError) {
            rt.retryAtMs = now; // retry soon after a restart
            rt.noProgressSinceMs = now;
        }
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

// URLs with a user name or password come only from databases of versions that accepted them: the
// URL is kept without them, and they move to the keychain as the job's SERVER BASIC credentials
// (docs/security.md). Returns them, once, when there were any.
std::optional<Credentials> JobManager::takeUserInfo(Job &job)
{
    std::optional<Credentials> taken;
    for (JobFile &f : job.files) {
        if (f.remoteUrl.userInfo().isEmpty())
            continue;
        if (!taken)
            taken = Credentials{f.remoteUrl.userName(), f.remoteUrl.password()};
        f.remoteUrl = f.remoteUrl.adjusted(QUrl::RemoveUserInfo);
    }
    if (taken) {
        m_scrubAfterLoad = true;
        qCWarning(lcJobs).noquote() << job.displayName << ": its URL carried a user name or password; it now lives in the keychain";
    }
    return taken;
}

// A file counts as transferred only while its temporary file still holds all its bytes: after a
// power loss (Ferry does not fdatasync unless syncCheckpoints is on) or a user's meddling, the
// missing tail is fetched again instead of Complete presenting a short file.
bool JobManager::checkTransferredFiles(Job &job)
{
    bool changed = false;
    for (JobFile &f : job.files) {
        if (!f.transferred || f.completed)
            continue;
        const QFileInfo temp(f.tempName);
        const qint64 held = temp.exists() ? temp.size() : 0;
        if (f.bytesTotal >= 0 && held == f.bytesTotal)
            continue;
        qCWarning(lcJobs).noquote() << job.displayName << ":" << f.tempName << "holds" << held << "of" << f.bytesTotal
                                    << "bytes; fetching the rest again";
        f.transferred = false;
        f.bytesTransferred = qMin(held, qMax<qint64>(0, f.bytesTotal));
        changed = true;
    }
    if (changed && job.state == JobState::Transferred)
        job.state = JobState::Queued;
    return changed;
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
    const Runtime rt = m_runtime.value(id);
    if (rt.counting)
        job.downloadTimeUsedMs += qMax<qint64>(0, m_clock->monotonicMs() - rt.accountedUntilMs);
    return job;
}

Status JobManager::find(const QString &idOrName, QUuid *id, const Owner *caller) const
{
    const auto visible = [&](const QUuid &candidate) { return !caller || canSee(*caller, m_jobs.value(candidate).owner); };
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
    if (!commit(*job)) {
        *job = before;
        return {hr::E_FAIL, QStringLiteral("the change could not be saved")};
    }
    return s;
}

bool JobManager::commit(Job &job)
{
    trackDownloadClock(job);
    Runtime &rt = m_runtime[job.id];
    const bool notifiable = job.state == JobState::Transferred || job.state == JobState::Error;
    if (!notifiable) {
        job.notifyPending = false;
    } else if (rt.committedState != job.state && !job.notifyProgram.isEmpty()) {
        job.notifyPending = true; // docs/jobs.md §11: the program runs on TRANSFERRED or ERROR
        rt.notifyAtMs = m_clock->monotonicMs();
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
    m_store->removeJob(id);
    m_runtime.remove(id);
    m_order.removeOne(id);
    m_jobs.remove(id);
    emit jobRemoved(id);
}

void JobManager::scheduleSoon()
{
    if (m_tickPending)
        return;
    m_tickPending = true;
    QMetaObject::invokeMethod(this, &JobManager::tick, Qt::QueuedConnection);
}

Status JobManager::createJob(const QString &displayName, const Owner &owner, QUuid *id)
{
    if (displayName.size() > defaults::MaxDisplayName)
        return {hr::BG_E_STRING_TOO_LONG, QStringLiteral("the display name is longer than %1 characters").arg(defaults::MaxDisplayName)};
    if (Status s = checkPlainText(displayName, QStringLiteral("the display name")); !s)
        return s;
    Job job = Job::create(displayName, owner, m_clock->now());
    job.queueSequence = m_nextSequence++;
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
    Status found;
    const Job *target = mutableJob(id, &found);
    if (!target)
        return found;
    QUrl url;
    QString local;
    if (Status s = checkRemoteUrl(remoteUrl, &url); !s)
        return s;
    {
        // The folder must be writable by the job's owner, not merely by the engine (docs/jobs.md §6.1).
        const OwnerIdentity identity(target->owner);
        if (!identity.ok())
            return {hr::E_ACCESSDENIED, QStringLiteral("cannot check '%1' as the job's owner").arg(localName)};
        if (Status s = checkLocalName(localName, &local); !s)
            return s;
    }
    return change(id, [&](Job &job) -> Status {
        if (job.files.size() >= defaults::MaxFilesPerJob)
            return {hr::BG_E_TOO_MANY_FILES_IN_JOB, QStringLiteral("a job holds at most %1 files").arg(defaults::MaxFilesPerJob)};
        for (const JobFile &f : std::as_const(job.files))
            if (f.localName == local)
                return {hr::E_INVALIDARG, QStringLiteral("the job already writes to '%1'").arg(local)};
        JobFile file;
        file.remoteUrl = url;
        file.localName = local;
        file.tempName = Job::temporaryNameFor(local, job.id);
        job.files << file;
        return {};
    });
}

Status JobManager::resume(const QUuid &id)
{
    const Status s = change(id, [&](Job &job) {
        const JobState before = job.state;
        Status r = job.resume();
        if (r && job.state == JobState::Queued && before != JobState::Queued) {
            job.queueSequence = m_nextSequence++;
            m_runtime[id].noProgressSinceMs = -1;
        }
        if (r)
            m_runtime[id].accountedUntilMs = m_clock->monotonicMs(); // Resume starts a new clock
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
    bool leftovers = false;
    {
        const OwnerIdentity identity(job->owner);
        for (const JobFile &f : std::as_const(job->files))
            if (QFile::exists(f.tempName) && !QFile::remove(f.tempName))
                leftovers = true;
    }
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

    QStringList problems;
    QList<int> validatedNow;
    bool partial = false;
    const OwnerIdentity identity(job->owner); // the files are the owner's: rename them as the owner
    if (!identity.ok())
        return {hr::E_ACCESSDENIED, QStringLiteral("cannot act as the job's owner to move its files")};
    for (JobFile &f : job->files) {
        if (f.completed)
            continue;
        if (!f.transferred) {
            partial = true;
            continue;
        }
        QString error;
        if (renameNoReplace(f.tempName, f.localName, &error)) {
            setModificationTime(f.localName, f.lastModified);
            f.completed = true;
            if (f.validationState == QLatin1String("unset")) {
                f.validationState = QStringLiteral("valid"); // Complete validates implicitly (docs/jobs.md §7.3)
                validatedNow << int(&f - job->files.data());
            }
        } else {
            problems << error;
        }
    }
    if (!problems.isEmpty()) {
        // Renamed files stay visible; the job stays so the rest can be completed later.
        if (isActive(job->state) || job->state == JobState::Queued)
            job->state = job->hasPendingFiles() ? JobState::Suspended : JobState::Transferred;
        job->modificationTime = m_clock->now();
        commit(*job);
        scheduleSoon();
        return {hr::E_FILE_EXISTS, problems.join(QLatin1String("; "))};
    }
    for (const JobFile &f : std::as_const(job->files))
        if (!f.completed && QFile::exists(f.tempName))
            QFile::remove(f.tempName);
    job->markAcknowledged();
    for (int i : std::as_const(validatedNow)) // files validated earlier were offered then
        emit fileValidated(*job, i);
    removeFinal(*job);
    scheduleSoon();
    if (partial)
        return {hr::BG_S_PARTIAL_COMPLETE, QStringLiteral("only the files transferred so far were kept")};
    return {};
}

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
    }
    return s;
}

Status JobManager::setDisplayName(const QUuid &id, const QString &name)
{
    if (name.size() > defaults::MaxDisplayName)
        return {hr::BG_E_STRING_TOO_LONG, QStringLiteral("the display name is longer than %1 characters").arg(defaults::MaxDisplayName)};
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
        return {hr::E_NOTIMPL, QStringLiteral("peer-caching flags 0x%1 hold undefined bits; only CLIENT (0x1) and SERVER (0x2) exist")
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
    if (!program.isEmpty() && !QDir::isAbsolutePath(program))
        return {hr::E_INVALIDARG, QStringLiteral("the notification program must be an absolute path (no PATH search)")};
    if (parameters.size() > defaults::MaxNotifyParameters)
        return {hr::BG_E_STRING_TOO_LONG, QStringLiteral("the parameters are longer than %1 characters").arg(defaults::MaxNotifyParameters)};
    return change(id, [&](Job &job) {
        job.notifyProgram = program;
        job.notifyParameters = program.isEmpty() ? QString() : parameters;
        return Status();
    });
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
    if (list.size() > defaults::MaxProxyList || bypass.size() > defaults::MaxProxyList)
        return {hr::BG_E_STRING_TOO_LONG, QStringLiteral("proxy lists hold at most %1 characters").arg(defaults::MaxProxyList)};
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
        return {hr::E_INVALIDARG, QStringLiteral("security flags 0x%1 hold undefined bits or an unknown redirect policy").arg(flags, 0, 16)};
    if (flags & security::EnableCrlCheck)
        return {hr::E_NOTIMPL, QStringLiteral("certificate revocation (CRL) checking is not available: Qt's TLS does not fetch CRLs")};
    const Status s = change(id, [&](Job &job) { job.securityFlags = flags; return Status(); });
    if (s)
        connectionChanged(m_jobs[id]);
    return s;
}

void JobManager::setCredentials(const QUuid &id, AuthTarget target, AuthScheme scheme, const Credentials &credentials,
                                std::function<void(const Status &)> done)
{
    if (credentials.user.size() > limits::MaxUserName)
        return done({hr::BG_E_USERNAME_TOO_LARGE, QStringLiteral("the user name is longer than %1 characters").arg(limits::MaxUserName)});
    if (credentials.password.size() > limits::MaxPassword)
        return done({hr::BG_E_PASSWORD_TOO_LARGE, QStringLiteral("the password is longer than %1 characters").arg(limits::MaxPassword)});
    // An empty user name means the session's own logon (Kerberos ticket) and exists only for
    // NTLM and Negotiate (docs/jobs.md §10).
    if (credentials.user.isEmpty() && (scheme == AuthScheme::Basic || scheme == AuthScheme::Digest))
        return done({hr::E_INVALIDARG, QStringLiteral("%1 needs a user name").arg(authSchemeName(scheme))});
    Status s;
    if (!mutableJob(id, &s))
        return done(s);
    const CredentialKey key{target, scheme};
    m_credentials->write(id, target, scheme, credentials, [this, id, key, done = std::move(done)](const Status &written) {
        if (!written)
            return done(written);
        Status gone;
        Job *job = mutableJob(id, &gone);
        if (!job) { // the job ended while the keychain worked: take the secret back out
            forgetCredentials(id, {key});
            return done(gone);
        }
        const bool added = !job->credentials.contains(key);
        if (added)
            job->credentials << key;
        job->modificationTime = m_clock->now();
        if (!commit(*job)) {
            if (added)
                job->credentials.removeAll(key);
            forgetCredentials(id, {key});
            return done({hr::E_FAIL, QStringLiteral("the change could not be saved")});
        }
        connectionChanged(*job);
        done({});
    });
}

void JobManager::removeCredentials(const QUuid &id, AuthTarget target, AuthScheme scheme, std::function<void(const Status &)> done)
{
    Status s;
    if (!mutableJob(id, &s))
        return done(s);
    const CredentialKey key{target, scheme};
    m_credentials->remove(id, target, scheme, [this, id, key, done = std::move(done)](const Status &removed) {
        if (!removed)
            return done(removed); // still listed: nothing is hidden while the keychain is away
        Status gone;
        Job *job = mutableJob(id, &gone);
        if (!job)
            return done({});
        if (job->credentials.removeAll(key) == 0)
            return done({hr::S_FALSE, QStringLiteral("the job held no %1 credentials").arg(keyText(key))});
        job->modificationTime = m_clock->now();
        commit(*job);
        connectionChanged(*job);
        done({});
    });
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

void JobManager::forgetCredentials(const QUuid &id, const QList<CredentialKey> &keys)
{
    for (const CredentialKey &key : keys) {
        m_credentials->remove(id, key.target, key.scheme, [id, key](const Status &s) {
            if (!s)
                qCWarning(lcJobs).noquote() << "the" << keyText(key) << "credentials of job" << id.toString(QUuid::WithoutBraces)
                                            << "stay in the keychain:" << s.message;
        });
    }
}

Status JobManager::setSetting(const QString &key, const QString &value)
{
    if (m_settings.policySettings.contains(key))
        return {hr::BG_S_OVERRIDDEN_BY_POLICY, QStringLiteral("%1 is set by the administrator's policy (%2); it stays as it is")
                                                   .arg(key, m_settings.policyFile)};
    EngineSettings next = m_settings;
    QString stored;
    if (Status s = parseSetting(key, value, &next, &stored); !s)
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

bool JobManager::parseStaticPeers(const QString &text, QStringList *out)
{
    static const QRegularExpression entry(QStringLiteral("^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):(\\d{1,5})$"));
    static const QRegularExpression separators(QStringLiteral("[\\s,;]+"));
    QStringList peers;
    for (const QString &token : text.split(separators, Qt::SkipEmptyParts)) {
        const auto m = entry.match(token);
        if (!m.hasMatch() || m.captured(2).toInt() < 1 || m.captured(2).toInt() > 65535)
            return false;
        peers << token;
    }
    if (out)
        *out = peers;
    return true;
}

Status JobManager::parseSetting(const QString &key, const QString &value, EngineSettings *settings, QString *storedOut)
{
    EngineSettings &next = *settings;
    bool ok = false;
    const qint64 n = value.toLongLong(&ok);
    std::optional<bool> flag;
    if (value == QLatin1String("1") || value.compare(QLatin1String("true"), Qt::CaseInsensitive) == 0)
        flag = true;
    else if (value == QLatin1String("0") || value.compare(QLatin1String("false"), Qt::CaseInsensitive) == 0)
        flag = false;
    QString stored = value;
    if (key == QLatin1String("maxBackgroundJobs") && ok && n >= 1 && n <= 64)
        next.maxBackgroundJobs = int(n);
    else if (key == QLatin1String("timeSliceSeconds") && ok && n >= 1 && n <= 86400)
        next.timeSliceSeconds = int(n);
    else if (key == QLatin1String("checkpointBytes") && ok && n >= 4096)
        next.checkpointBytes = n;
    else if (key == QLatin1String("syncCheckpoints") && flag)
        next.syncCheckpoints = *flag;
    else if (key == QLatin1String("http2") && flag)
        next.http2 = *flag;
    else if (key == QLatin1String("peerCachingEnabled") && flag)
        next.peerCachingEnabled = *flag;
    else if (key == QLatin1String("peerCachingClient") && flag)
        next.peerCachingClient = *flag;
    else if (key == QLatin1String("peerCachingServer") && flag)
        next.peerCachingServer = *flag;
    else if (key == QLatin1String("maxCacheSizePercent") && ok && n >= 1 && n <= 80)
        next.maxCacheSizePercent = int(n);
    else if (key == QLatin1String("maxContentAgeSec") && ok && n >= 86400 && n <= 120 * 86400)
        next.maxContentAgeSec = n;
    else if (key == QLatin1String("tlsPort") && ok && n >= 0 && n <= 65535)
        next.tlsPort = int(n);
    else if (key == QLatin1String("discoveryPort") && ok && n >= 1 && n <= 65535)
        next.discoveryPort = int(n);
    else if (key == QLatin1String("multicast") && flag)
        next.multicast = *flag;
    else if (key == QLatin1String("requireOriginDigest") && flag)
        next.requireOriginDigest = *flag;
    else if (key == QLatin1String("staticPeers") && parseStaticPeers(value, &next.staticPeers))
        stored = next.staticPeers.join(QLatin1Char(' '));
    else
        return {hr::E_INVALIDARG, QStringLiteral("unknown setting or bad value: %1=%2 (maxBackgroundJobs 1..64, "
                                                 "timeSliceSeconds 1..86400, checkpointBytes >= 4096, syncCheckpoints, http2, "
                                                 "peerCachingEnabled, peerCachingClient, peerCachingServer, multicast, "
                                                 "requireOriginDigest true|false, maxCacheSizePercent 1..80, "
                                                 "maxContentAgeSec 86400..10368000, tlsPort 0..65535, discoveryPort 1..65535, "
                                                 "staticPeers \"host:port ...\")")
                                      .arg(key, value)};
    if (flag)
        stored = *flag ? QStringLiteral("1") : QStringLiteral("0");
    *storedOut = stored;
    return {};
}

void JobManager::tick()
{
    m_tickPending = false;
    const qint64 now = m_clock->monotonicMs();

    for (const QUuid &id : std::as_const(m_order)) {
        Job &job = m_jobs[id];
        if (job.state != JobState::TransientError)
            continue;
        Runtime &rt = m_runtime[id];
        if (rt.noProgressSinceMs >= 0 && now - rt.noProgressSinceMs >= qint64(job.noProgressTimeout) * 1000) {
            job.toError(job.error);
            job.modificationTime = m_clock->now();
            commit(job);
            emit jobFailed(id);
        } else if (now >= rt.retryAtMs && (m_online || !waitsForNetwork(job))) {
            requeue(job); // offline, a network failure waits for the network instead of the delay
        }
    }

    for (const QUuid &id : std::as_const(m_order)) {
        Job &job = m_jobs[id];
        if (!isActive(job.state))
            continue;
        trackDownloadClock(job);
        m_store->saveDownloadTime(id, job.downloadTimeUsedMs); // a crash loses at most one tick
        checkDownloadTime(job);
    }

    runNotifications(now);

    // Offline or not, queued jobs run: the network watch can be wrong (a LAN without a default
    // route looks disconnected), and a server that answers settles it (onResponded).
    QList<SchedulerEntry> candidates;
    for (const QUuid &id : std::as_const(m_order)) {
        const Job &job = m_jobs[id];
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
    armDeadline(m_clock->monotonicMs());
}

// The maximum-download-time clock runs exactly while the job is CONNECTING or TRANSFERRING, on
// CLOCK_BOOTTIME so that a suspend-to-RAM mid-transfer counts too (docs/jobs.md §4.3).
void JobManager::trackDownloadClock(Job &job)
{
    Runtime &rt = m_runtime[job.id];
    const qint64 now = m_clock->monotonicMs();
    if (rt.counting)
        job.downloadTimeUsedMs += qMax<qint64>(0, now - rt.accountedUntilMs);
    rt.accountedUntilMs = now;
    rt.counting = isActive(job.state);
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

// Between ticks a precise timer fires at the nearest expiry, so a job ends within milliseconds
// of its limit rather than up to a tick late.
void JobManager::armDeadline(qint64 now)
{
    qint64 soonest = -1;
    for (auto it = m_runtime.cbegin(); it != m_runtime.cend(); ++it) {
        if (!it->counting)
            continue;
        const auto job = m_jobs.constFind(it.key());
        if (job == m_jobs.cend() || job->maximumDownloadTime == 0)
            continue;
        const qint64 left = qint64(job->maximumDownloadTime) * 1000 - job->downloadTimeUsedMs - (now - it->accountedUntilMs);
        soonest = soonest < 0 ? qMax<qint64>(0, left) : qMin(soonest, qMax<qint64>(0, left));
    }
    if (soonest >= 0 && soonest <= m_timer.interval())
        m_deadline.start(int(soonest));
    else
        m_deadline.stop();
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

bool JobManager::waitsForNetwork(const Job &job) const
{
    return job.error.context == ErrorContext::GeneralTransport;
}

void JobManager::runNotifications(qint64 now)
{
    for (const QUuid &id : std::as_const(m_order)) {
        const Job &job = m_jobs[id];
        if (job.notifyPending && !m_notify->isRunning(id) && now >= m_runtime[id].notifyAtMs)
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
    m_runtime[id].notifyAtMs = m_clock->monotonicMs() + qint64(it->minimumRetryDelay) * 1000;
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
    if (!job.credentials.isEmpty() && !rt.secrets)
        return readCredentials(job);
    sendTransfer(job);
}

// The job's credentials come from the keychain before its first request, every run: after a
// restart too. The job is CONNECTING meanwhile.
void JobManager::readCredentials(Job &job)
{
    const quint64 token = m_nextTicket++;
    m_runtime[job.id].credentialsRead = token;
    auto read = std::make_shared<QList<StoredCredential>>();
    auto failure = std::make_shared<Status>();
    auto left = std::make_shared<qsizetype>(job.credentials.size());
    const QUuid id = job.id;
    for (const CredentialKey &key : std::as_const(job.credentials)) {
        m_credentials->read(id, key.target, key.scheme, [=, this](const Status &s, const Credentials &c) {
            if (s)
                read->append({key, c});
            else if (failure->ok())
                *failure = s.code == hr::BG_E_NOT_FOUND
                               ? Status(s.code, QStringLiteral("the %1 credentials are no longer in the keychain; set them again "
                                                               "and resume the job").arg(keyText(key)))
                               : s;
            if (--*left == 0)
                onCredentialsRead(id, token, *failure, *read);
        });
    }
}

void JobManager::onCredentialsRead(const QUuid &id, quint64 token, const Status &status, const QList<StoredCredential> &read)
{
    auto it = m_jobs.find(id);
    if (it == m_jobs.end())
        return;
    Runtime &rt = m_runtime[id];
    if (rt.credentialsRead != token || !isActive(it->state))
        return; // stopped, preempted or changed meanwhile
    rt.credentialsRead = 0;
    Job &job = *it;
    if (!status) {
        const qint64 now = m_clock->monotonicMs();
        job.modificationTime = m_clock->now();
        if (status.code == hr::BG_E_NOT_FOUND) {
            job.toError({ErrorContext::GeneralQueueManager, status.code, status.message, -1});
            commit(job);
            emit jobFailed(id);
        } else {
            // Locked or absent: never a transfer without them, never a fallback; wait and retry.
            if (rt.noProgressSinceMs < 0)
                rt.noProgressSinceMs = now;
            rt.retryAtMs = now + qint64(qMin(job.minimumRetryDelay, KeychainRetrySeconds)) * 1000;
            job.toTransientError({ErrorContext::GeneralQueueManager, hr::E_KEYCHAIN_UNAVAILABLE,
                                  QStringLiteral("%1; the job waits until its credentials can be read").arg(status.message), -1});
            commit(job);
        }
        scheduleSoon();
        return;
    }
    rt.secrets = read;
    sendTransfer(job);
}

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
    request.ticket = m_nextTicket++;
    request.jobId = job.id;
    request.fileIndex = index;
    request.url = file.remoteUrl;
    request.tempName = file.tempName;
    request.offset = file.bytesTransferred;
    request.bytesTotal = file.bytesTotal;
    request.etag = file.etag;
    request.lastModified = file.lastModified;
    request.headers = job.customHeaders;
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
    if (m_peerPlanner && !rt.originOnly.contains(index))
        request.peerPlan = m_peerPlanner(job);
    // A file that may be cached for peers is hashed as it is written: the cache later takes only
    // bytes that still hash to that (docs/security.md).
    request.hashForCache = m_settings.peerServerAllowed() && (job.peerCachingFlags & peercaching::Server) && !job.credentialed();

    rt.ticket = request.ticket;
    m_tickets.insert(request.ticket, job.id);
    QMetaObject::invokeMethod(m_downloader, [d = m_downloader, request] { d->start(request); }, Qt::QueuedConnection);
}

void JobManager::stopTransfer(const QUuid &id)
{
    auto it = m_runtime.find(id);
    if (it == m_runtime.end())
        return;
    it->credentialsRead = 0;   // a keychain answer still on its way starts nothing now
    it->secrets.reset();       // read again at the next run: secrets live no longer than needed
    if (it->ticket == 0)
        return;
    const quint64 ticket = it->ticket;
    it->ticket = 0;
    m_tickets.remove(ticket);
    // Wait for the transfer thread to close and checkpoint the file before anyone touches it.
    const auto type = m_downloader->thread() == QThread::currentThread() ? Qt::DirectConnection
                                                                          : Qt::BlockingQueuedConnection;
    TransferCheckpoint last;
    bool stopped = false;
    QMetaObject::invokeMethod(m_downloader, [&] { stopped = m_downloader->stop(ticket, &last); }, type);
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
    auto it = m_tickets.constFind(ticket);
    if (it == m_tickets.constEnd())
        return nullptr; // a stopped attempt's late news
    auto job = m_jobs.find(*it);
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
    Runtime &rt = m_runtime[job->id];
    JobFile &file = job->files[index];
    if (bytes != file.bytesTransferred)
        rt.noProgressSinceMs = -1;
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

void JobManager::onSourced(quint64 ticket, qint64 bytesFromPeers, const QString &level, const QString &peerId,
                           const QString &sha256)
{
    Job *job = jobForTicket(ticket);
    const int index = job ? job->currentFileIndex() : -1;
    if (index < 0)
        return;
    JobFile &file = job->files[index];
    file.bytesFromPeers = bytesFromPeers;
    file.downloadedFromPeer = bytesFromPeers > 0;
    file.integrityLevel = level;
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
    if (valid) {
        file.validationState = QStringLiteral("valid");
        job->modificationTime = m_clock->now();
        commit(*job);
        emit fileValidated(*job, fileIndex);
        return {};
    }
    file.validationState = QStringLiteral("invalid");
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
    file.integrityLevel.clear();
    file.etag.clear();
    file.lastModified.clear();
    job->modificationTime = m_clock->now();
    if (fromPeer) {
        m_runtime[id].originOnly.insert(fileIndex); // this time from the origin alone
        file.validationState = QStringLiteral("unset"); // the new bytes are still to be judged
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

void JobManager::onFinished(quint64 ticket, qint64 size, const QString &etag, const QString &lastModified)
{
    Job *job = jobForTicket(ticket);
    if (!job)
        return;
    m_tickets.remove(ticket);
    m_runtime[job->id].ticket = 0;
    m_runtime[job->id].noProgressSinceMs = -1;
    const int index = job->currentFileIndex();
    JobFile &file = job->files[index];
    file.bytesTotal = file.bytesTransferred = size;
    file.etag = etag;
    file.lastModified = lastModified;
    file.transferred = true;
    job->modificationTime = m_clock->now();
    if (job->hasPendingFiles()) {
        commit(*job);
        startJob(*job); // files of one job go strictly in order
        return;
    }
    job->toTransferred(m_clock->now());
    commit(*job);
    emit jobTransferred(job->id);
    scheduleSoon();
}

void JobManager::onFailed(quint64 ticket, const TransferFailure &failure)
{
    Job *job = jobForTicket(ticket);
    if (!job)
        return;
    m_tickets.remove(ticket);
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
        if (rt.noProgressSinceMs < 0)
            rt.noProgressSinceMs = now;
        rt.retryAtMs = now + qint64(qMax<quint32>(job->minimumRetryDelay, quint32(failure.retryAfterSeconds))) * 1000;
        job->toTransientError(error);
        commit(*job);
    } else {
        job->toError(failure.error);
        commit(*job);
        emit jobFailed(job->id);
    }
    scheduleSoon();
}

} // namespace ferry
