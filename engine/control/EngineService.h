// The engine's one door (docs/engine.md, "The engine service"): every verb of every client —
// the control socket (ferry-admin, a second `ferry URL...`) and the window's client — goes through
// call(), which finds the verb in one table, checks its arity, finds the job among those the
// caller may see and applies the BITS access rules (docs/jobs.md §13) before the verb runs.
// Nothing outside this unit decides who may see or change a job. Lives on the engine thread.
#pragma once

#include "control/AdminReply.h"
#include "control/JobEvents.h"
#include "core/EngineSettings.h"
#include "core/Job.h"
#include "core/JobSpec.h"
#include "owner/Owner.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>

#include <functional>
#include <vector>

namespace ferry {

class JobManager;
namespace peercache {
class PeerCache;
}

// Who may call a verb.
enum class VerbAccess {
    Anyone,         // every client the control socket admitted
    EngineUser,     // root and the engine's own user: the computer's settings, shutdown
    SeeJob,         // names a job the caller sees (its owner's uid, or root)
    ChangeJob,      // ... and may change under the BITS rules
    TakeOwnership,  // ... and may take over
};

class EngineService;
using ReplyFn = std::function<void(const AdminReply &)>;

// One verb being carried out: what its handler gets.
struct VerbCall
{
    EngineService &service;
    const Owner &caller;
    QString verb;
    QStringList args;       // for job verbs, the arguments after JOB
    QUuid id;               // job verbs: the job, found and checked
    Job job;                // job verbs: its snapshot
    bool wantJson = true;
    ReplyFn reply;
    std::function<bool()> alive;  // whether the client still listens (for verbs that reply late)

    JobManager &jobs() const;
    peercache::PeerCache *peers() const;
    void answer(const Status &s, const QString &text = {}) const { reply(AdminReply::fromStatus(s, text)); }
};

struct Verb
{
    const char *name;       // lower case; "cache info" for the cache's subverbs
    VerbAccess access;
    int minArgs;            // counted with JOB for job verbs
    int maxArgs;            // -1: any number
    const char *syntax;     // the arguments, for usage errors and `ferry-admin --help`
    void (*handler)(VerbCall &call);
};

// A window's view of the jobs: the jobs its caller may see, and their changes, in order. Made by
// EngineService::subscribe; nothing is sent before start(), which sends every visible job first.
class JobFeed : public QObject
{
    Q_OBJECT
public:
    JobFeed(EngineService *service, const Owner &caller);
    Q_INVOKABLE void start();

signals:
    void jobsReset(const QList<ferry::Job> &jobs);
    void jobChanged(const ferry::Job &job);
    void jobRemoved(const QUuid &id);
    void settingsChanged(const ferry::EngineSettings &settings);
    void peerCacheChanged();    // its state, records or peers: read them again (`cache ...` verbs)
    void jobEvent(const ferry::JobEvent &event); // a visible job's notification (engine/control/JobEvents)

private:
    friend class EngineService;
    EngineService *m_service;
    Owner m_caller;
    QSet<QUuid> m_known;        // the jobs this feed has shown: only their removal is told
    bool m_started = false;
};

class EngineService : public QObject
{
    Q_OBJECT
public:
    EngineService(JobManager *jobs, peercache::PeerCache *peers, uint engineUid, QObject *parent = nullptr);
    ~EngineService() override;

    // Every verb. reply is called once, perhaps later, on this thread.
    void call(const QString &verb, const QStringList &args, const Owner &caller, bool wantJson, ReplyFn reply,
              std::function<bool()> alive = {});

    static const std::vector<Verb> &verbs();       // the whole table, in `--help` order
    static QString normalizedVerb(QString verb);   // "/Resume" -> "resume"

    // The window's feed of job changes (owned by this service; deleted with it).
    JobFeed *subscribe(const Owner &caller);

    // `open` (a second `ferry URL...`) is for a window; a headless engine refuses it.
    void setWindowed(bool windowed) { m_windowed = windowed; }
    bool isWindowed() const { return m_windowed; }

    // Used by the verbs' handlers.
    JobManager *jobManager() const { return m_jobs; }
    peercache::PeerCache *peerCache() const { return m_peers; }
    bool isEngineUser(const Owner &caller) const;
    // getaccess: whether caller may change job, and if not which rule refuses ("elevation",
    // "integrity"), for a window that shows the job read-only and says why.
    QJsonObject accessOf(const Owner &caller, const Job &job) const;
    QList<Job> visibleJobs(const Owner &caller) const;
    // Create, add files, set options, resume: all or nothing. failedFile: the index of the file
    // that was refused, or -1.
    Status submit(const JobSpec &spec, const Owner &caller, QUuid *id, int *failedFile);
    // Resume (SUSPENDED, ERROR, TRANSIENT_ERROR) or suspend (everything still moving) every job
    // the caller may change. The count of jobs touched.
    int resumeAll(const Owner &caller);
    int suspendAll(const Owner &caller);
    // `wait`: replies when the job is TRANSFERRED, in ERROR, final or gone.
    void addWaiter(const QUuid &id, ReplyFn reply, std::function<bool()> alive);

signals:
    void shutdownRequested();
    void openRequested(const QStringList &urls);

private:
    struct Waiter
    {
        QUuid id;
        ReplyFn reply;
        std::function<bool()> alive;
    };
    void onJobChanged(const Job &job);
    void onJobRemoved(const QUuid &id);
    void onJobEvent(const JobEvent &event);
    void answerWaiters(const QUuid &id, const QString &state);
    // verb on every job the caller may see and change that wanted picks; how many it took.
    int forChangeableJobs(const Owner &caller, const std::function<bool(const Job &)> &wanted,
                          Status (JobManager::*verb)(const QUuid &));

    JobManager *m_jobs;
    peercache::PeerCache *m_peers;
    uint m_engineUid;
    bool m_windowed = false;
    QList<Waiter> m_waiters;
    QList<QPointer<JobFeed>> m_feeds;
    JobEvents *m_events;
};

// The tables, one per family of verbs (engine/control/JobVerbs.cpp, engine/control/EngineVerbs.cpp,
// engine/control/CacheVerbs.cpp).
const std::vector<Verb> &jobVerbs();
const std::vector<Verb> &engineVerbs();
const std::vector<Verb> &cacheVerbs();

} // namespace ferry
