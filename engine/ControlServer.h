// The engine's local socket: newline-delimited JSON requests from ferry-admin (and later the
// second instance). Only the engine's own user or root may connect; who a client is comes from
// SO_PEERCRED and /proc, never from the request.
#pragma once

#include "AdminVerbs.h"
#include "PeerIdentity.h"

#include <QHash>
#include <QObject>
#include <QUuid>

#include <memory>

class QLocalServer;
class QLocalSocket;

namespace ferry {
namespace peercache {
class PeerCache;
}

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

    // Request: {"verb": "...", "args": [...]}. Reply: AdminReply::toJson(). The "wait" verb
    // replies once the job is TRANSFERRED, in ERROR or gone: clients learn of it by this
    // notification, not by polling.
signals:
    void shutdownRequested();
    void openRequested(const QStringList &urls); // `open` from the engine's user or root

private:
    void onNewConnection();
    void onReadyRead(QLocalSocket *socket);
    void handle(QLocalSocket *socket, const QByteArray &line);
    void reply(QLocalSocket *socket, const AdminReply &r);
    Owner callerOf(QLocalSocket *socket) const;
    void onJobChanged(const Job &job);
    void onJobRemoved(const QUuid &id);

    JobManager *m_jobs;
    AdminVerbs m_verbs;
    QLocalServer *m_server;
    QMultiHash<QUuid, QLocalSocket *> m_waiting;
    QHash<QLocalSocket *, std::shared_ptr<PeerIdentity>> m_peers;
    bool m_windowed = false;
};

} // namespace ferry
