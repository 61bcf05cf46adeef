#include "ControlServer.h"

#include "JobManager.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>
#include <QLoggingCategory>
#include <QPointer>

#include <sys/socket.h>
#include <unistd.h>

namespace ferry {

Q_LOGGING_CATEGORY(lcControl, "ferry.control")

namespace {
constexpr qint64 MaxRequestBytes = 1 << 20;
}

ControlServer::ControlServer(JobManager *jobs, peercache::PeerCache *peers, QObject *parent)
    : QObject(parent)
    , m_jobs(jobs)
    , m_verbs(jobs, ::getuid(), peers)
    , m_server(new QLocalServer(this))
{
    connect(m_server, &QLocalServer::newConnection, this, &ControlServer::onNewConnection);
    connect(jobs, &JobManager::jobChanged, this, &ControlServer::onJobChanged);
    connect(jobs, &JobManager::jobRemoved, this, &ControlServer::onJobRemoved);
}

ControlServer::~ControlServer()
{
    m_server->close();
}

bool ControlServer::listen(const QString &socketPath, QString *error)
{
    // The engine lock guarantees no live engine owns this name, so a leftover is stale.
    QLocalServer::removeServer(socketPath);
    // A root engine is the computer's system instance: every local user may connect and sees
    // only their own jobs. A user's engine admits only that user and root.
    m_server->setSocketOptions(::geteuid() == 0 ? QLocalServer::WorldAccessOption : QLocalServer::UserAccessOption);
    if (m_server->listen(socketPath))
        return true;
    if (error)
        *error = QStringLiteral("cannot listen on %1: %2").arg(socketPath, m_server->errorString());
    return false;
}

void ControlServer::onNewConnection()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        auto peer = std::make_shared<PeerIdentity>(int(socket->socketDescriptor()));
        if (!peer->known() || (::geteuid() != 0 && peer->uid() != ::getuid() && peer->uid() != 0)) {
            qCWarning(lcControl) << "refused a control connection from uid" << peer->uid();
            socket->abort();
            socket->deleteLater();
            continue;
        }
        m_peers.insert(socket, peer);
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QLocalSocket::disconnected, this, [this, socket] {
            for (auto it = m_waiting.begin(); it != m_waiting.end();)
                it = it.value() == socket ? m_waiting.erase(it) : std::next(it);
            m_peers.remove(socket);
            socket->deleteLater();
        });
    }
}

void ControlServer::onReadyRead(QLocalSocket *socket)
{
    while (socket->canReadLine())
        handle(socket, socket->readLine());
    if (socket->bytesAvailable() > MaxRequestBytes) {
        reply(socket, AdminReply::fromJson({{QStringLiteral("ok"), false},
                                            {QStringLiteral("code"), errorHex(hr::E_INVALIDARG)},
                                            {QStringLiteral("message"), QStringLiteral("request too large")}}));
        socket->disconnectFromServer();
    }
}

void ControlServer::handle(QLocalSocket *socket, const QByteArray &line)
{
    QJsonParseError parseError;
    const QJsonObject request = QJsonDocument::fromJson(line, &parseError).object();
    const QString verb = AdminVerbs::normalizedVerb(request.value(QLatin1String("verb")).toString());
    QStringList args;
    for (const QJsonValue &v : request.value(QLatin1String("args")).toArray())
        args << v.toString();

    if (parseError.error != QJsonParseError::NoError || verb.isEmpty()) {
        AdminReply r;
        r.ok = false;
        r.code = hr::E_INVALIDARG;
        r.message = QStringLiteral("malformed request");
        return reply(socket, r);
    }
    const Owner caller = callerOf(socket);
    if (verb == QLatin1String("shutdown")) {
        if (!caller.isRoot() && caller.uid != ::getuid()) {
            AdminReply r;
            r.ok = false;
            r.code = hr::E_ACCESSDENIED;
            r.message = QStringLiteral("only the engine's user or root may shut it down");
            return reply(socket, r);
        }
        reply(socket, AdminReply());
        socket->flush();
        emit shutdownRequested();
        return;
    }
    if (verb == QLatin1String("open")) {
        AdminReply r;
        if (!caller.isRoot() && caller.uid != ::getuid()) {
            r.ok = false;
            r.code = hr::E_ACCESSDENIED;
            r.message = QStringLiteral("only the window's user or root may hand it links");
        } else if (!m_windowed) {
            r.ok = false;
            r.code = hr::E_INVALIDARG;
            r.message = QStringLiteral("this profile's engine runs without a window (ferry --headless); use ferry-admin");
        } else {
            emit openRequested(args);
        }
        return reply(socket, r);
    }
    if (verb == QLatin1String("wait")) {
        QUuid id;
        Status s = args.isEmpty() ? Status(hr::E_INVALIDARG, QStringLiteral("usage: wait JOB")) : m_jobs->find(args[0], &id, &caller);
        if (!s) {
            AdminReply r;
            r.ok = false;
            r.code = s.code;
            r.message = s.message;
            return reply(socket, r);
        }
        m_waiting.insert(id, socket);
        onJobChanged(*m_jobs->job(id)); // it may be done already
        return;
    }
    QPointer<QLocalSocket> guard(socket);
    m_verbs.handleAsync(verb, args, caller, request.value(QLatin1String("json")).toBool(true), [this, guard](const AdminReply &r) {
        if (guard)
            reply(guard, r);
    });
}

// Identity from the kernel only (PeerIdentity): never from anything in the request.
Owner ControlServer::callerOf(QLocalSocket *socket) const
{
    const auto peer = m_peers.value(socket);
    return peer ? peer->caller() : Owner();
}

void ControlServer::reply(QLocalSocket *socket, const AdminReply &r)
{
    socket->write(QJsonDocument(r.toJson()).toJson(QJsonDocument::Compact) + '\n');
}

void ControlServer::onJobChanged(const Job &job)
{
    if (!m_waiting.contains(job.id))
        return;
    if (job.state != JobState::Transferred && job.state != JobState::Error && !isFinal(job.state))
        return;
    AdminReply r;
    r.text = stateName(job.state);
    r.json = stateName(job.state);
    const auto sockets = m_waiting.values(job.id);
    m_waiting.remove(job.id);
    for (QLocalSocket *socket : sockets)
        reply(socket, r);
}

void ControlServer::onJobRemoved(const QUuid &id)
{
    const auto sockets = m_waiting.values(id);
    m_waiting.remove(id);
    AdminReply r;
    r.text = QStringLiteral("REMOVED");
    r.json = r.text;
    for (QLocalSocket *socket : sockets)
        reply(socket, r);
}

} // namespace ferry
