#include "control/EngineService.h"

#include "core/FileRules.h"
#include "jobs/JobManager.h"
#include "owner/JobAccess.h"
#include "peercache/PeerCache.h"

#include <QDir>
#include <QFileInfo>
#include <QSet>
#include <QUrl>

#include <unistd.h>

namespace ferry {

namespace {

constexpr int MaxWaiters = 4096; // live waits are bounded by the control socket's connection caps

QString jobVerbUsage(const Verb &v)
{
    return QStringLiteral("usage: %1 %2").arg(QLatin1String(v.name), QLatin1String(v.syntax));
}

bool needsJob(VerbAccess a)
{
    return a == VerbAccess::SeeJob || a == VerbAccess::ChangeJob || a == VerbAccess::TakeOwnership;
}

} // namespace

JobManager &VerbCall::jobs() const { return *service.jobManager(); }
peercache::PeerCache *VerbCall::peers() const { return service.peerCache(); }

JobFeed::JobFeed(EngineService *service, const Owner &caller)
    : QObject(service), m_service(service), m_caller(caller)
{
}

void JobFeed::start()
{
    if (m_started)
        return;
    m_started = true;
    emit settingsChanged(m_service->jobManager()->settings());
    const QList<Job> jobs = m_service->visibleJobs(m_caller);
    for (const Job &job : jobs)
        m_known.insert(job.id);
    emit jobsReset(jobs);
    // The peer cache may have changed before this feed started: its state is to be read now.
    emit peerCacheChanged();
}

EngineService::EngineService(JobManager *jobs, peercache::PeerCache *peers, uint engineUid, QObject *parent)
    : QObject(parent), m_jobs(jobs), m_peers(peers), m_engineUid(engineUid), m_events(new JobEvents(jobs, this))
{
    connect(m_events, &JobEvents::event, this, &EngineService::onJobEvent);
    connect(jobs, &JobManager::jobChanged, this, &EngineService::onJobChanged);
    connect(jobs, &JobManager::jobRemoved, this, &EngineService::onJobRemoved);
    connect(jobs, &JobManager::settingsChanged, this, [this](const EngineSettings &s) {
        for (const QPointer<JobFeed> &feed : std::as_const(m_feeds))
            if (feed && feed->m_started)
                emit feed->settingsChanged(s);
    });
    if (peers) {
        const auto tell = [this] {
            for (const QPointer<JobFeed> &feed : std::as_const(m_feeds))
                if (feed && feed->m_started)
                    emit feed->peerCacheChanged();
        };
        connect(peers, &peercache::PeerCache::stateChanged, this, tell);
        connect(peers, &peercache::PeerCache::recordsChanged, this, tell);
        connect(peers, &peercache::PeerCache::peersChanged, this, tell);
    }
}

EngineService::~EngineService() = default;

QString EngineService::normalizedVerb(QString verb)
{
    while (verb.startsWith(QLatin1Char('/')) || verb.startsWith(QLatin1Char('-')))
        verb.remove(0, 1);
    return verb.toLower();
}

const std::vector<Verb> &EngineService::verbs()
{
    static const std::vector<Verb> all = [] {
        std::vector<Verb> v = jobVerbs();
        const auto &e = engineVerbs();
        v.insert(v.end(), e.begin(), e.end());
        const auto &c = cacheVerbs();
        v.insert(v.end(), c.begin(), c.end());
        return v;
    }();
    return all;
}

bool EngineService::isEngineUser(const Owner &caller) const
{
    return caller.isRoot() || caller.uid == m_engineUid;
}

QJsonObject EngineService::accessOf(const Owner &caller, const Job &job) const
{
    const Status change = checkCanChange(caller, job.owner);
    const QString rule = change ? QString()
                         : job.owner.elevated && !caller.elevated ? QStringLiteral("elevation")
                                                                  : QStringLiteral("integrity");
    return {{QStringLiteral("change"), change.ok()},
            {QStringLiteral("takeOwnership"), checkCanTakeOwnership(caller, job.owner).ok()},
            {QStringLiteral("refusedBy"), rule},
            {QStringLiteral("message"), change.message}};
}

QList<Job> EngineService::visibleJobs(const Owner &caller) const
{
    QList<Job> out;
    for (const Job &job : m_jobs->jobs())
        if (canSee(caller, job.owner))
            out << m_jobs->snapshot(job.id);
    return out;
}

void EngineService::call(const QString &rawVerb, const QStringList &rawArgs, const Owner &caller, bool wantJson,
                         ReplyFn reply, std::function<bool()> alive)
{
    QString name = normalizedVerb(rawVerb);
    QStringList args = rawArgs;
    if (name == QLatin1String("peers"))
        name = QStringLiteral("cache peers"); // bitsadmin-style shorthand
    // A verb of several words ("cache info", "cache peers clear") is the longest row the
    // arguments spell: each subverb is a row with its own access class.
    const auto &table = verbs();
    const auto rowNamed = [&table](const QString &n) {
        return std::find_if(table.begin(), table.end(), [&n](const Verb &v) { return n == QLatin1String(v.name); });
    };
    while (!args.isEmpty() && rowNamed(name + QLatin1Char(' ') + args.first().toLower()) != table.end())
        name += QLatin1Char(' ') + args.takeFirst().toLower();
    const auto found = rowNamed(name);
    if (found == table.end()) {
        if (name.startsWith(QLatin1String("cache")))
            return reply(AdminReply::failure(hr::E_INVALIDARG, QStringLiteral("usage: cache info | set KEY VALUE | groupkey "
                                                                               "create|show|import KEY|revoke | records | "
                                                                               "delete ID | deleteurl URL | clear")));
        return reply(AdminReply::failure(hr::E_INVALIDARG,
                                         QStringLiteral("unknown verb '%1' (ferry-admin --help lists them)").arg(rawVerb)));
    }
    const Verb &verb = *found;
    if (name.startsWith(QLatin1String("cache ")) && !m_peers)
        return reply(AdminReply::failure(hr::E_NOTIMPL, QStringLiteral("this engine has no peer cache")));
    if (args.size() < verb.minArgs || (verb.maxArgs >= 0 && args.size() > verb.maxArgs))
        return reply(AdminReply::failure(hr::E_INVALIDARG, jobVerbUsage(verb)));

    VerbCall c{*this, caller, name, args, {}, {}, wantJson, std::move(reply), std::move(alive)};
    switch (verb.access) {
    case VerbAccess::Anyone:
        break;
    case VerbAccess::EngineUser:
        if (!isEngineUser(caller))
            return c.reply(AdminReply::failure(hr::E_ACCESSDENIED,
                                               QStringLiteral("only the engine's user or root may use '%1'").arg(name)));
        break;
    case VerbAccess::SeeJob:
    case VerbAccess::ChangeJob:
    case VerbAccess::TakeOwnership: {
        // Other users' jobs do not exist for this caller: the same NOT_FOUND as a job that is not there.
        const auto visible = [&caller](const Job &job) { return canSee(caller, job.owner); };
        if (Status s = m_jobs->find(args[0], &c.id, visible); !s)
            return c.reply(AdminReply::failure(s));
        c.job = m_jobs->snapshot(c.id);
        c.args = args.mid(1);
        const Status allowed = verb.access == VerbAccess::ChangeJob      ? checkCanChange(caller, c.job.owner)
                               : verb.access == VerbAccess::TakeOwnership ? checkCanTakeOwnership(caller, c.job.owner)
                                                                          : Status();
        if (!allowed)
            return c.reply(AdminReply::failure(allowed));
        break;
    }
    }
    Q_ASSERT(!needsJob(verb.access) || !c.id.isNull());
    verb.handler(c);
}

JobFeed *EngineService::subscribe(const Owner &caller)
{
    m_feeds.removeAll(nullptr);
    auto *feed = new JobFeed(this, caller);
    m_feeds << feed;
    return feed;
}

Status EngineService::submit(const JobSpec &spec, const Owner &caller, QUuid *id, int *failedFile)
{
    *failedFile = -1;
    // A fresh account may have no Downloads folder yet; made only for the engine's own user (a
    // root engine never makes folders in a user's name).
    if (spec.makeFolder && !spec.folder.isEmpty() && caller.uid == ::geteuid() && !QFileInfo::exists(spec.folder))
        QDir().mkpath(spec.folder);
    QUuid made;
    Status s = m_jobs->createJob(spec.displayName, caller, &made);
    if (s && !spec.description.isEmpty())
        s = m_jobs->setDescription(made, spec.description);
    if (s && spec.priority)
        s = m_jobs->setPriority(made, *spec.priority);
    if (s && spec.peerCachingFlags)
        s = m_jobs->setPeerCachingFlags(made, *spec.peerCachingFlags);
    if (s && spec.maximumDownloadTime)
        s = m_jobs->setMaximumDownloadTime(made, *spec.maximumDownloadTime);
    // unusedLocalName knows the files already added to this job; the set keeps two links with
    // the same file name from sharing a target even so.
    QSet<QString> targets;
    for (qsizetype i = 0; s && i < spec.files.size(); ++i) {
        QString target = spec.files[i].localName;
        if (target.isEmpty()) {
            const QString fileName = localFileNameFor(QUrl(spec.files[i].url));
            target = m_jobs->unusedLocalName(spec.folder, fileName);
            for (int n = 2; targets.contains(target); ++n)
                target = m_jobs->unusedLocalName(spec.folder, numberedName(fileName, n));
        }
        s = m_jobs->addFile(made, spec.files[i].url, target);
        if (s)
            targets.insert(target);
        else
            *failedFile = int(i);
    }
    if (s && spec.resume)
        s = m_jobs->resume(made);
    if (!s) {
        if (!made.isNull())
            m_jobs->cancel(made); // nothing half-made stays behind
        return s;
    }
    *id = made;
    return s;
}

int EngineService::forChangeableJobs(const Owner &caller, const std::function<bool(const Job &)> &wanted,
                                     Status (JobManager::*verb)(const QUuid &))
{
    int n = 0;
    for (const Job &job : m_jobs->jobs())
        if (canSee(caller, job.owner) && checkCanChange(caller, job.owner) && wanted(job))
            n += bool((m_jobs->*verb)(job.id));
    return n;
}

int EngineService::resumeAll(const Owner &caller)
{
    return forChangeableJobs(caller, [](const Job &job) {
        return job.state == JobState::Suspended || job.state == JobState::Error || job.state == JobState::TransientError;
    }, &JobManager::resume);
}

int EngineService::suspendAll(const Owner &caller)
{
    return forChangeableJobs(caller, [](const Job &job) {
        return job.state != JobState::Suspended && job.state != JobState::Transferred;
    }, &JobManager::suspend);
}

void EngineService::addWaiter(const QUuid &id, ReplyFn reply, std::function<bool()> alive)
{
    // Clients that went away leave their waits here until the next one: drop them now.
    m_waiters.removeIf([](const Waiter &w) { return w.alive && !w.alive(); });
    if (m_waiters.size() >= MaxWaiters)
        return reply(AdminReply::failure(hr::E_TOO_MANY_CONNECTIONS, QStringLiteral("too many clients wait already; try again later")));
    m_waiters << Waiter{id, std::move(reply), std::move(alive)};
    if (const Job *job = m_jobs->job(id))
        onJobChanged(*job); // it may be done already
}

void EngineService::answerWaiters(const QUuid &id, const QString &state)
{
    QList<Waiter> done;
    for (auto it = m_waiters.begin(); it != m_waiters.end();) {
        if (it->id == id) {
            done << std::move(*it);
            it = m_waiters.erase(it);
        } else {
            ++it;
        }
    }
    for (const Waiter &w : std::as_const(done))
        if (!w.alive || w.alive())
            w.reply(AdminReply::success(state, state));
}

void EngineService::onJobChanged(const Job &job)
{
    for (const QPointer<JobFeed> &feed : std::as_const(m_feeds)) {
        if (!feed || !feed->m_started)
            continue;
        if (canSee(feed->m_caller, job.owner)) {
            feed->m_known.insert(job.id);
            emit feed->jobChanged(job);
        } else if (feed->m_known.remove(job.id)) {
            emit feed->jobRemoved(job.id); // taken over by another user: gone from this view
        }
    }
    if (job.state == JobState::Transferred || job.state == JobState::Error || isFinal(job.state))
        answerWaiters(job.id, stateName(job.state));
}

void EngineService::onJobEvent(const JobEvent &event)
{
    for (const QPointer<JobFeed> &feed : std::as_const(m_feeds))
        if (feed && feed->m_started && canSee(feed->m_caller, event.job.owner))
            emit feed->jobEvent(event);
}

void EngineService::onJobRemoved(const QUuid &id)
{
    for (const QPointer<JobFeed> &feed : std::as_const(m_feeds))
        if (feed && feed->m_known.remove(id))
            emit feed->jobRemoved(id);
    answerWaiters(id, QStringLiteral("REMOVED"));
}

} // namespace ferry
