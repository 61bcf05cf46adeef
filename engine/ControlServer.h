// The engine's local socket: newline-delimited JSON requests from ferry-admin and a second
// `ferry URL...`. A user's engine admits that user and root; a root engine, the computer's system
// instance, every local user. Who a client is comes from the kernel (engine/PeerIdentity), never
// from the request; how much a client may make the engine hold is bounded by
// engine/ControlLimits.h.
#pragma once

#include "AdminVerbs.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QUuid>

namespace ferry {
namespace peercache {
class PeerCache;
}

class ControlConnection;
class ControlListener;
class Job;
class JobManager;

class ControlServer : public QObject
{
    Q_OBJECT
public:
    explicit ControlServer(JobManager *jobs, peercache::PeerCache *peers = nullptr, QObject *parent = nullptr);
    ~ControlServer() override;

    bool listen(const QString &socketPath, QString *error);

    // A window runs over this engine: the `open` verb (a second `ferry URL...`) is forwarded to it.
    void setWindowed(bool windowed) { m_windowed = windowed; }

    // Request: {"verb": "...", "args": [...], "json": BOOL} (engine/ControlRequest). Reply:
    // AdminReply::toJson(). The "wait" verb replies once the job is TRANSFERRED, in ERROR or gone:
    // clients learn of it by this notification, not by polling.
signals:
    void shutdownRequested();
    void openRequested(const QStringList &urls); // `open` from the engine's user or root

private:
    void onAccepted(int fd);
    void turnAway(int fd, uint uid, const AdminReply &why);
    void handle(ControlConnection *connection, const QByteArray &line);
    void onClosed(ControlConnection *connection);
    void onJobChanged(const Job &job);
    void onJobRemoved(const QUuid &id);
    bool privileged(uint uid) const;

    JobManager *m_jobs;
    AdminVerbs m_verbs;
    ControlListener *m_listener;
    uint m_engineUid;
    QHash<uint, int> m_connectionsOf;          // per uid
    int m_otherUsersConnections = 0;           // of users neither the engine's nor root
    QMultiHash<QUuid, ControlConnection *> m_waiting;
    QElapsedTimer m_lastRefusalLog;
    int m_refusalsNotLogged = 0;
    bool m_windowed = false;
};

} // namespace ferry
