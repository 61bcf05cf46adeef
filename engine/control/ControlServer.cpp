#include "control/ControlServer.h"

#include "control/ControlConnection.h"
#include "control/ControlLimits.h"
#include "control/ControlListener.h"
#include "control/ControlRequest.h"
#include "control/EngineService.h"
#include "control/JobJson.h"
#include "control/PeerIdentity.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>

#include <sys/socket.h>
#include <unistd.h>

namespace ferry {

Q_LOGGING_CATEGORY(lcControl, "ferry.control")

namespace {

constexpr qint64 RefusalLogIntervalMs = 10000; // one line per burst of turned-away clients

} // namespace

ControlServer::ControlServer(EngineService *service, QObject *parent)
    : QObject(parent)
    , m_service(service)
    , m_listener(new ControlListener(this))
    , m_engineUid(::getuid())
{
    m_listener->setOutOfDescriptorsLine(
        AdminReply::failure(hr::E_TOO_MANY_CONNECTIONS, QStringLiteral("the engine is out of file descriptors: too many connections; try again later"))
            .toLine());
    connect(m_listener, &ControlListener::accepted, this, &ControlServer::onAccepted);
}

ControlServer::~ControlServer()
{
    m_listener->close();
}

bool ControlServer::listen(const QString &socketPath, QString *error)
{
    // A root engine is the computer's system instance: every local user may connect and sees
    // only their own jobs. A user's engine admits only that user and root.
    return m_listener->listen(socketPath, ::geteuid() == 0, error);
}

bool ControlServer::privileged(uint uid) const
{
    return uid == 0 || uid == m_engineUid;
}

void ControlServer::onAccepted(int fd)
{
    const std::optional<ucred> cred = PeerIdentity::credentialsOf(fd);
    if (!cred)
        return turnAway(fd, uint(-1), AdminReply::failure(hr::E_ACCESSDENIED, QStringLiteral("the kernel does not say who you are")));
    const uint uid = cred->uid;
    if (::geteuid() != 0 && !privileged(uid))
        return turnAway(fd, uid, AdminReply::failure(hr::E_ACCESSDENIED, QStringLiteral("this engine serves only its own user and root")));
    const int mine = m_connectionsOf.value(uid);
    if (privileged(uid) ? mine >= control::MaxConnectionsPerPrivilegedUser : mine >= control::MaxConnectionsPerUser)
        return turnAway(fd, uid, AdminReply::failure(hr::E_TOO_MANY_CONNECTIONS,
                                         QStringLiteral("too many connections: your user holds %1, the most it may; close some")
                                             .arg(mine)));
    if (!privileged(uid) && m_otherUsersConnections >= control::MaxConnectionsOtherUsers)
        return turnAway(fd, uid, AdminReply::failure(hr::E_TOO_MANY_CONNECTIONS,
                                         QStringLiteral("too many connections: other users hold %1, the most this engine takes from them; try again later")
                                             .arg(m_otherUsersConnections)));

    ++m_connectionsOf[uid];
    if (!privileged(uid))
        ++m_otherUsersConnections;
    auto *connection = new ControlConnection(fd, PeerIdentity(fd, *cred), this);
    connect(connection, &ControlConnection::requestReceived, this,
            [this, connection](const QByteArray &line) { handle(connection, line); });
    connect(connection, &ControlConnection::closed, this, [this, connection] { onClosed(connection); });
    connection->start();
}

// One error line and the door: the client never costs more than this moment.
void ControlServer::turnAway(int fd, uint uid, const AdminReply &why)
{
    const QByteArray line = why.toLine() + '\n';
    [[maybe_unused]] const ssize_t sent = ::send(fd, line.constData(), size_t(line.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::close(fd);
    // Logged once per burst: a client hammering the socket must not flood the log either.
    if (m_lastRefusalLog.isValid() && m_lastRefusalLog.elapsed() < RefusalLogIntervalMs) {
        ++m_refusalsNotLogged;
        return;
    }
    qCWarning(lcControl).noquote() << QStringLiteral("turned away a control connection of uid %1: %2%3")
                                          .arg(qint64(uid == uint(-1) ? -1 : qint64(uid)))
                                          .arg(why.message,
                                               m_refusalsNotLogged ? QStringLiteral(" (and %1 more since the last such line)").arg(m_refusalsNotLogged)
                                                                   : QString());
    m_refusalsNotLogged = 0;
    m_lastRefusalLog.start();
}

void ControlServer::onClosed(ControlConnection *connection)
{
    const uint uid = connection->peer().uid();
    if (--m_connectionsOf[uid] <= 0)
        m_connectionsOf.remove(uid);
    if (!privileged(uid))
        --m_otherUsersConnections;
    connection->deleteLater();
}

void ControlServer::handle(ControlConnection *connection, const QByteArray &line)
{
    const ControlRequest request = ControlRequest::decode(line);
    if (!request.ok())
        return connection->reply(AdminReply::failure(hr::E_INVALIDARG, request.error).toLine());
    if (request.verb == QLatin1String("subscribe"))
        return subscribe(connection, request.json);
    // The reply may come later (wait, the keychain): only to a connection still open. `wait`
    // holds the connection: it serves nothing else until this replies (engine/control/ControlLimits.h).
    QPointer<ControlConnection> guard(connection);
    m_service->call(request.verb, request.args, connection->peer().caller(), request.json,
                    [guard](const AdminReply &r) {
                        if (guard)
                            guard->reply(r.toLine());
                    },
                    [guard] { return !guard.isNull(); });
}

// `subscribe`: the connection becomes the caller's job feed (docs/engine.md, "The window's
// client"), one JSON line per event: {"event": "jobs", "jobs": [...]} first, then "changed"
// (a job), "removed" (an id), "settings" and "peercache", and the job events "transferred",
// "error", "modification" and "fileTransferred" ({"event", "id", "job", "file"}). It serves nothing else from then on and
// is closed if it leaves its events unread (ControlConnection::stream).
void ControlServer::subscribe(ControlConnection *connection, bool)
{
    JobFeed *feed = m_service->subscribe(connection->peer().caller());
    connect(connection, &QObject::destroyed, feed, &QObject::deleteLater);
    connect(connection, &ControlConnection::closed, feed, &QObject::deleteLater);
    const auto send = [connection](const QJsonObject &event) {
        connection->stream(QJsonDocument(event).toJson(QJsonDocument::Compact));
    };
    connect(feed, &JobFeed::jobsReset, connection, [send](const QList<Job> &jobs) {
        QJsonArray all;
        for (const Job &job : jobs)
            all << jobToJson(job);
        send({{QStringLiteral("event"), QStringLiteral("jobs")}, {QStringLiteral("jobs"), all}});
    });
    connect(feed, &JobFeed::jobChanged, connection, [send](const Job &job) {
        send({{QStringLiteral("event"), QStringLiteral("changed")}, {QStringLiteral("job"), jobToJson(job)}});
    });
    connect(feed, &JobFeed::jobRemoved, connection, [send](const QUuid &id) {
        send({{QStringLiteral("event"), QStringLiteral("removed")}, {QStringLiteral("id"), id.toString(QUuid::WithoutBraces)}});
    });
    connect(feed, &JobFeed::settingsChanged, connection,
            [send] { send({{QStringLiteral("event"), QStringLiteral("settings")}}); });
    connect(feed, &JobFeed::peerCacheChanged, connection,
            [send] { send({{QStringLiteral("event"), QStringLiteral("peercache")}}); });
    // The job's notifications, as its notify flags ask (engine/control/JobEvents).
    connect(feed, &JobFeed::jobEvent, connection, [send](const JobEvent &e) {
        QJsonObject event{{QStringLiteral("event"), e.name()},
                          {QStringLiteral("id"), e.job.id.toString(QUuid::WithoutBraces)},
                          {QStringLiteral("job"), jobToJson(e.job)}};
        if (e.kind == JobEvent::FileTransferred)
            event.insert(QStringLiteral("file"), e.fileIndex);
        send(event);
    });
    feed->start();
}

} // namespace ferry
