// The window's one link to the engine (docs/engine.md, "The window's client"). Every call is one
// verb of the engine service, sent as the control protocol's request and answered with its reply
// on the GUI thread; the engine checks who may do what, so the window never does. The job feed
// keeps a JobCache current. This is the only GUI-side code that knows the engine runs on another
// thread: widgets hold an EngineClient and never a JobManager or PeerCache.
#pragma once

#include "control/AdminReply.h"
#include "core/EngineSettings.h"
#include "core/JobSpec.h"
#include "JobCache.h"
#include "owner/Owner.h"
#include "store/CredentialStore.h"

#include <QLocalSocket>
#include <QObject>
#include <QPointer>

#include <functional>

namespace ferry {

class EngineService;
class JobFeed;

class EngineClient : public QObject
{
    Q_OBJECT
public:
    // An engine in this process, living on another thread; this client acts as this process'
    // owner, or as caller (tests play other users through it).
    explicit EngineClient(EngineService *service, QObject *parent = nullptr);
    EngineClient(EngineService *service, const Owner &caller, QObject *parent = nullptr);
    // An engine that runs already (`ferry --headless`, the system instance), reached over its
    // control socket: the same calls, one connection for the requests (answered in order) and one
    // that `subscribe`s to the job feed. The engine knows the caller from the kernel.
    explicit EngineClient(const QString &socketPath, QObject *parent = nullptr);
    bool isConnected() const;       // over the socket: both connections are up (in process: true)
    ~EngineClient() override;

    using Then = std::function<void(const Status &)>;        // empty: a refusal goes to refused()
    using ReplyThen = std::function<void(const AdminReply &)>;

    // Any verb, as ferry-admin would send it (`cache info`: verb "cache", args {"info"}).
    void request(const QString &verb, const QStringList &args, ReplyThen then);
    // A verb whose outcome is only a Status.
    void act(const QString &verb, const QStringList &args, Then then = {});

    // The job verbs, typed.
    void resume(const QUuid &id, Then then = {}) { act(QStringLiteral("resume"), {key(id)}, std::move(then)); }
    void suspend(const QUuid &id, Then then = {}) { act(QStringLiteral("suspend"), {key(id)}, std::move(then)); }
    void cancel(const QUuid &id, Then then = {}) { act(QStringLiteral("cancel"), {key(id)}, std::move(then)); }
    void complete(const QUuid &id, Then then = {}) { act(QStringLiteral("complete"), {key(id)}, std::move(then)); }
    void takeOwnership(const QUuid &id, Then then = {}) { act(QStringLiteral("takeownership"), {key(id)}, std::move(then)); }
    void setPriority(const QUuid &id, JobPriority p, Then then = {});
    void setNumber(const QString &verb, const QUuid &id, quint32 value, Then then = {}); // setmaxdownloadtime, ...
    void setDisplayName(const QUuid &id, const QString &name, Then then = {});
    void setDescription(const QUuid &id, const QString &text, Then then = {});
    void setNotifyCmdLine(const QUuid &id, const QString &program, const QString &parameters, Then then = {});
    void setCustomHeaders(const QUuid &id, const QStringList &lines, Then then = {});
    void setProxy(const QUuid &id, ProxyUsage usage, const QString &list, const QString &bypass, Then then = {});
    // SetRemoteName: the file (its index in the job) is fetched again from url (docs/jobs.md §6.4).
    void setRemoteName(const QUuid &id, int fileIndex, const QString &url, Then then = {})
    {
        act(QStringLiteral("setremotename"), {key(id), QString::number(fileIndex), url}, std::move(then));
    }
    void setCredentials(const QUuid &id, AuthTarget target, AuthScheme scheme, const Credentials &credentials, Then then = {});
    void removeCredentials(const QUuid &id, AuthTarget target, AuthScheme scheme, Then then = {});
    // Create, add the files, set the options and resume as one step (nothing is left on failure).
    void submit(const JobSpec &spec, std::function<void(const Status &, const QUuid &id, int failedFile)> then);
    void resumeAll(Then then = {}) { act(QStringLiteral("resumeall"), {}, std::move(then)); }
    void suspendAll(Then then = {}) { act(QStringLiteral("suspendall"), {}, std::move(then)); }
    void setSetting(const QString &key, const QString &value, Then then = {});

    // What the engine lets this client do with a job: change it, or not and by which rule
    // ("elevation": an elevated owner and a caller that is not; "integrity": an owner above the
    // caller's level). then(known, mayChange, refusedBy); known is false when the job is gone.
    void access(const QUuid &id, std::function<void(bool known, bool mayChange, const QString &refusedBy)> then);

    Owner caller() const { return m_caller; }
    JobCache *jobs() const { return m_jobs; }
    EngineSettings settings() const { return m_settings; }   // as the engine last told
    bool hasSettings() const { return m_heardSettings; }     // told at all yet

signals:
    // A refusal of a call made without its own answer: the window shows it.
    void refused(const QString &message);
    void settingsChanged(const ferry::EngineSettings &settings);
    void peerCacheChanged();

private:
    static QString key(const QUuid &id) { return id.toString(QUuid::WithoutBraces); }
    void onSettings(const EngineSettings &settings);
    void onReplies();               // socket: lines on the request connection
    void onEvents();                // socket: lines on the feed connection
    void readSettings();            // socket: `getconfig` into settings()

    EngineService *m_service = nullptr; // on the engine thread: reached only by queued calls
    QLocalSocket *m_requests = nullptr; // over the socket instead
    QLocalSocket *m_feedSocket = nullptr;
    QList<ReplyThen> m_waiting;         // one per request sent, in order
    Owner m_caller;
    QPointer<JobFeed> m_feed;       // on the engine thread
    JobCache *m_jobs;
    EngineSettings m_settings;
    bool m_heardSettings = false;
};

} // namespace ferry
