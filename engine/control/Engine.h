// One profile's engine: the lock that makes it the only one, the job database, the transfer
// thread and the control socket, wired together. Lives on the engine thread (the main thread
// when headless, a thread of its own under the window).
#pragma once

#include "store/Profile.h"

#include <QLockFile>
#include <QObject>
#include <QThread>
#include <memory>

namespace ferry {

class Clock;
class ControlServer;
class Downloader;
class EngineService;
class JobManager;
class JobStore;
class NetworkWatch;
class OwnerSessions;
namespace peercache {
class PeerCache;
}

class Engine : public QObject
{
    Q_OBJECT
public:
    explicit Engine(const Profile &profile, Clock *clock = nullptr, QObject *parent = nullptr);
    ~Engine() override;

    // False with a message when another engine holds the profile or the state cannot be opened.
    bool start(QString *error, bool listenForClients = true);
    void setWindowed(bool windowed) { m_windowed = windowed; } // before listen()
    // Opens the control socket (start() does unless told not to: the window first wires itself
    // to openRequested, so no client's links arrive before anyone listens for them).
    bool listen(QString *error);

    // Every client's door: verbs with their access rules, and the window's job feed.
    EngineService *service() const { return m_service.get(); }
    // The parts behind it, for the engine's own wiring and its tests.
    JobManager *jobs() const { return m_jobs.get(); }
    peercache::PeerCache *peerCache() const { return m_peers.get(); }
    QString recoveryMessage() const;
    const Profile &profile() const { return m_profile; }

signals:
    void shutdownRequested();
    void openRequested(const QStringList &urls); // a second `ferry URL...` for the window

private:
    Profile m_profile;
    std::unique_ptr<Clock> m_ownClock;
    Clock *m_clock;
    QLockFile m_lock;
    std::unique_ptr<JobStore> m_store;
    QThread m_transferThread;
    Downloader *m_downloader = nullptr;
    std::unique_ptr<JobManager> m_jobs;
    std::unique_ptr<NetworkWatch> m_network;
    std::unique_ptr<OwnerSessions> m_sessions;
    std::unique_ptr<peercache::PeerCache> m_peers;
    std::unique_ptr<EngineService> m_service;
    std::unique_ptr<ControlServer> m_control;
    bool m_windowed = false;
};

} // namespace ferry
