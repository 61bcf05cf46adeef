// The engine's local socket: newline-delimited JSON requests from ferry-admin and a second
// `ferry URL...`. A user's engine admits that user and root; a root engine, the computer's system
// instance, every local user. Who a client is comes from the kernel (engine/control/PeerIdentity), never
// from the request; how much a client may make the engine hold is bounded by
// engine/control/ControlLimits.h.
#pragma once

#include "control/AdminReply.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>

namespace ferry {

class ControlConnection;
class ControlListener;
class EngineService;

class ControlServer : public QObject
{
    Q_OBJECT
public:
    // Every request goes to service, which checks who may do what.
    explicit ControlServer(EngineService *service, QObject *parent = nullptr);
    ~ControlServer() override;

    bool listen(const QString &socketPath, QString *error);

    // Request: {"verb": "...", "args": [...], "json": BOOL} (engine/control/ControlRequest). Reply:
    // AdminReply::toJson(). The "wait" verb replies once the job is TRANSFERRED, in ERROR or gone:
    // clients learn of it by this notification, not by polling.

private:
    void onAccepted(int fd);
    void turnAway(int fd, uint uid, const AdminReply &why);
    void handle(ControlConnection *connection, const QByteArray &line);
    void onClosed(ControlConnection *connection);
    void subscribe(ControlConnection *connection, bool json);
    bool privileged(uint uid) const;

    EngineService *m_service;
    ControlListener *m_listener;
    uint m_engineUid;
    QHash<uint, int> m_connectionsOf;          // per uid
    int m_otherUsersConnections = 0;           // of users neither the engine's nor root
    QElapsedTimer m_lastRefusalLog;
    int m_refusalsNotLogged = 0;
};

} // namespace ferry
