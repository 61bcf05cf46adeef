#include "control/Engine.h"

#include "control/ControlServer.h"
#include "control/EngineService.h"
#include "core/Clock.h"
#include "jobs/JobManager.h"
#include "jobs/NetworkWatch.h"
#include "jobs/OwnerSessions.h"
#include "peercache/PeerCache.h"
#include "store/JobStore.h"
#include "transfer/Downloader.h"

#include <sys/stat.h>
#include <unistd.h>

namespace ferry {

Engine::Engine(const Profile &profile, Clock *clock, QObject *parent)
    : QObject(parent)
    , m_profile(profile)
    , m_ownClock(clock ? nullptr : std::make_unique<Clock>())
    , m_clock(clock ? clock : m_ownClock.get())
    , m_lock(profile.lockPath())
{
    m_transferThread.setObjectName(QStringLiteral("ferry-transfer"));
}

Engine::~Engine()
{
    m_control.reset();
    m_service.reset();
    m_network.reset();
    m_sessions.reset();
    m_peers.reset(); // before the jobs: it is their peer planner
    m_jobs.reset(); // stops running transfers, waiting for their checkpoints
    m_transferThread.quit();
    m_transferThread.wait();
    m_store.reset();
}

bool Engine::start(QString *error, bool listenForClients)
{
    // A root engine is the computer's system instance: whatever it creates for itself is its own
    // (users' downloads get their usual modes explicitly, PartFile), see docs/security.md.
    if (::geteuid() == 0)
        ::umask(077);
    if (!m_profile.ensureExists(error))
        return false;
    m_lock.setStaleLockTime(0);
    if (!m_lock.tryLock(0)) {
        qint64 pid = 0;
        QString host, app;
        m_lock.getLockInfo(&pid, &host, &app);
        if (error)
            *error = QStringLiteral("another Ferry engine (pid %1) is already running for the profile %2")
                         .arg(pid)
                         .arg(m_profile.dir());
        return false;
    }
    m_store = std::make_unique<JobStore>(m_profile.databasePath());
    if (!m_store->open(error))
        return false;

    m_downloader = new Downloader(m_profile.databasePath());
    m_downloader->moveToThread(&m_transferThread);
    connect(&m_transferThread, &QThread::finished, m_downloader, &QObject::deleteLater);
    m_transferThread.start();

    m_jobs = std::make_unique<JobManager>(m_store.get(), m_downloader, m_clock);
    m_jobs->load();

    // The system instance runs a user's jobs while the user is logged on (docs/jobs.md §12.1).
    m_sessions = std::make_unique<OwnerSessions>();
    m_sessions->start(::geteuid() == 0, OwnerSessions::defaultRoot());
    m_jobs->attachOwnerSessions(m_sessions.get());

    m_network = std::make_unique<NetworkWatch>();
    connect(m_network.get(), &NetworkWatch::onlineChanged, m_jobs.get(), &JobManager::setNetworkOnline);
    if (m_network->start())
        m_jobs->setNetworkOnline(m_network->isOnline());

    m_peers = std::make_unique<peercache::PeerCache>(m_store.get(), m_profile.databasePath(),
                                                     m_profile.dir() + QStringLiteral("/peercache"));
    m_jobs->attachPeerCache(m_peers.get());
    m_peers->start();

    m_service = std::make_unique<EngineService>(m_jobs.get(), m_peers.get(), ::getuid());
    m_service->setWindowed(m_windowed);
    connect(m_service.get(), &EngineService::shutdownRequested, this, &Engine::shutdownRequested);
    connect(m_service.get(), &EngineService::openRequested, this, &Engine::openRequested);

    return !listenForClients || listen(error);
}

bool Engine::listen(QString *error)
{
    m_control = std::make_unique<ControlServer>(m_service.get());
    return m_control->listen(m_profile.socketPath(), error);
}

QString Engine::recoveryMessage() const
{
    return m_store ? m_store->recoveryMessage() : QString();
}

} // namespace ferry
