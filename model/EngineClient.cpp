#include "EngineClient.h"

#include "control/EngineService.h"
#include "control/JobJson.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaObject>
#include <QTimer>

#include <utility>

namespace ferry {

EngineClient::EngineClient(EngineService *service, QObject *parent)
    : EngineClient(service, Owner::ofThisProcess(), parent)
{
}

EngineClient::EngineClient(EngineService *service, const Owner &caller, QObject *parent)
    : QObject(parent), m_service(service), m_caller(caller), m_jobs(new JobCache(this))
{
    // Subscribe on the engine thread; connect before the feed starts, so that its first message
    // (every visible job) and every change after it arrive here in order.
    QPointer<EngineClient> self(this);
    const Owner me = m_caller;
    QMetaObject::invokeMethod(service, [self, service, me] {
        QPointer<JobFeed> feed = service->subscribe(me);
        QMetaObject::invokeMethod(qApp, [self, feed] {
            if (!feed)
                return; // the engine went away first
            if (!self) {
                QMetaObject::invokeMethod(feed, &QObject::deleteLater, Qt::QueuedConnection);
                return;
            }
            self->m_feed = feed;
            JobCache *cache = self->m_jobs;
            connect(feed, &JobFeed::jobsReset, cache, &JobCache::reset);
            connect(feed, &JobFeed::jobChanged, cache, &JobCache::update);
            connect(feed, &JobFeed::jobRemoved, cache, &JobCache::remove);
            connect(feed, &JobFeed::settingsChanged, self, &EngineClient::onSettings);
            connect(feed, &JobFeed::peerCacheChanged, self, &EngineClient::peerCacheChanged);
            QMetaObject::invokeMethod(feed, &JobFeed::start, Qt::QueuedConnection);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

EngineClient::~EngineClient()
{
    if (m_service && m_feed)
        QMetaObject::invokeMethod(m_feed, &QObject::deleteLater, Qt::QueuedConnection);
}

void EngineClient::onSettings(const EngineSettings &settings)
{
    m_settings = settings;
    m_heardSettings = true;
    emit settingsChanged(settings);
}

EngineClient::EngineClient(const QString &socketPath, QObject *parent)
    : QObject(parent), m_caller(Owner::ofThisProcess()), m_jobs(new JobCache(this))
{
    m_requests = new QLocalSocket(this);
    m_feedSocket = new QLocalSocket(this);
    connect(m_requests, &QLocalSocket::readyRead, this, &EngineClient::onReplies);
    connect(m_feedSocket, &QLocalSocket::readyRead, this, &EngineClient::onEvents);
    // A local socket connects at once or not at all: no wait the window would feel.
    for (QLocalSocket *s : {m_requests, m_feedSocket}) {
        s->connectToServer(socketPath);
        s->waitForConnected(2000);
    }
    const auto gone = [this] {
        for (const ReplyThen &then : std::exchange(m_waiting, {}))
            if (then)
                then(AdminReply::failure(hr::E_FAIL, tr("the engine closed the connection")));
    };
    connect(m_requests, &QLocalSocket::disconnected, this, gone);
    if (m_feedSocket->state() == QLocalSocket::ConnectedState)
        m_feedSocket->write(QJsonDocument(QJsonObject{{QStringLiteral("verb"), QStringLiteral("subscribe")}}).toJson(QJsonDocument::Compact) + '\n');
}

bool EngineClient::isConnected() const
{
    if (m_service)
        return true;
    return m_requests->state() == QLocalSocket::ConnectedState && m_feedSocket->state() == QLocalSocket::ConnectedState;
}

void EngineClient::onReplies()
{
    while (m_requests->canReadLine()) {
        const QJsonObject o = QJsonDocument::fromJson(m_requests->readLine()).object();
        if (m_waiting.isEmpty())
            continue;
        const ReplyThen then = m_waiting.takeFirst();
        if (then)
            then(AdminReply::fromJson(o));
    }
}

void EngineClient::onEvents()
{
    while (m_feedSocket->canReadLine()) {
        const QJsonObject o = QJsonDocument::fromJson(m_feedSocket->readLine()).object();
        const QString event = o.value(QLatin1String("event")).toString();
        if (event == QLatin1String("jobs")) {
            QList<Job> jobs;
            for (const QJsonValue &v : o.value(QLatin1String("jobs")).toArray())
                if (const auto job = jobFromJson(v.toObject()))
                    jobs << *job;
            m_jobs->reset(jobs);
        } else if (event == QLatin1String("changed")) {
            if (const auto job = jobFromJson(o.value(QLatin1String("job")).toObject()))
                m_jobs->update(*job);
        } else if (event == QLatin1String("removed")) {
            m_jobs->remove(QUuid::fromString(o.value(QLatin1String("id")).toString()));
        } else if (event == QLatin1String("settings")) {
            readSettings();
        } else if (event == QLatin1String("peercache")) {
            emit peerCacheChanged();
        } else if (!o.value(QLatin1String("ok")).toBool(true)) {
            emit refused(o.value(QLatin1String("message")).toString()); // the engine refused the feed
        }
    }
}

void EngineClient::readSettings()
{
    request(QStringLiteral("getconfig"), {}, [this](const AdminReply &reply) {
        if (!reply.ok)
            return;
        const QJsonObject o = reply.json.toObject();
        EngineSettings settings;
        const QJsonObject values = o.value(QLatin1String("settings")).toObject();
        for (auto it = values.begin(); it != values.end(); ++it) {
            QString stored;
            parseSetting(it.key(), it.value().toString(), &settings, &stored);
        }
        settings.policyFile = o.value(QLatin1String("policyFile")).toString();
        for (const QJsonValue &v : o.value(QLatin1String("policySettings")).toArray())
            settings.policySettings << v.toString();
        onSettings(settings);
    });
}

void EngineClient::request(const QString &verb, const QStringList &args, ReplyThen then)
{
    if (m_requests) {
        if (m_requests->state() != QLocalSocket::ConnectedState) {
            if (then)
                QTimer::singleShot(0, this, [then] { then(AdminReply::failure(hr::E_FAIL, tr("no engine answers on its socket"))); });
            return;
        }
        const QJsonObject line{{QStringLiteral("verb"), verb}, {QStringLiteral("args"), QJsonArray::fromStringList(args)},
                               {QStringLiteral("json"), true}};
        m_waiting << std::move(then);
        m_requests->write(QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n');
        return;
    }
    // The answer is posted to the application object (on this thread): the pointer to this
    // client is only ever looked at here.
    QPointer<EngineClient> self(this);
    QMetaObject::invokeMethod(m_service, [service = m_service, caller = m_caller, verb, args, self, then = std::move(then)] {
        service->call(verb, args, caller, true, [self, then](const AdminReply &reply) {
            QMetaObject::invokeMethod(qApp, [self, then, reply] {
                if (self && then)
                    then(reply);
            }, Qt::QueuedConnection);
        });
    }, Qt::QueuedConnection);
}

void EngineClient::act(const QString &verb, const QStringList &args, Then then)
{
    QPointer<EngineClient> self(this);
    request(verb, args, [self, then = std::move(then)](const AdminReply &reply) {
        if (then)
            return then(reply.status());
        if (!reply.ok && self)
            emit self->refused(reply.message);
    });
}

void EngineClient::setPriority(const QUuid &id, JobPriority p, Then then)
{
    act(QStringLiteral("setpriority"), {key(id), priorityName(p)}, std::move(then));
}

void EngineClient::setNumber(const QString &verb, const QUuid &id, quint32 value, Then then)
{
    act(verb, {key(id), QString::number(value)}, std::move(then));
}

void EngineClient::setDisplayName(const QUuid &id, const QString &name, Then then)
{
    act(QStringLiteral("setdisplayname"), {key(id), name}, std::move(then));
}

void EngineClient::setDescription(const QUuid &id, const QString &text, Then then)
{
    act(QStringLiteral("setdescription"), {key(id), text}, std::move(then));
}

void EngineClient::setNotifyCmdLine(const QUuid &id, const QString &program, const QString &parameters, Then then)
{
    act(QStringLiteral("setnotifycmdline"), {key(id), program, parameters}, std::move(then));
}

void EngineClient::setCustomHeaders(const QUuid &id, const QStringList &lines, Then then)
{
    act(QStringLiteral("setcustomheaders"), QStringList{key(id)} + lines, std::move(then));
}

void EngineClient::setProxy(const QUuid &id, ProxyUsage usage, const QString &list, const QString &bypass, Then then)
{
    act(QStringLiteral("setproxysettings"), {key(id), proxyUsageName(usage), list, bypass}, std::move(then));
}

void EngineClient::setCredentials(const QUuid &id, AuthTarget target, AuthScheme scheme, const Credentials &credentials, Then then)
{
    act(QStringLiteral("setcredentials"),
        {key(id), authTargetName(target), authSchemeName(scheme), credentials.user, credentials.password}, std::move(then));
}

void EngineClient::removeCredentials(const QUuid &id, AuthTarget target, AuthScheme scheme, Then then)
{
    act(QStringLiteral("removecredentials"), {key(id), authTargetName(target), authSchemeName(scheme)}, std::move(then));
}

void EngineClient::submit(const JobSpec &spec, std::function<void(const Status &, const QUuid &, int)> then)
{
    const QString text = QString::fromUtf8(QJsonDocument(spec.toJson()).toJson(QJsonDocument::Compact));
    request(QStringLiteral("submit"), {text}, [then = std::move(then)](const AdminReply &reply) {
        const int failedFile = reply.ok ? -1 : reply.json.toObject().value(QLatin1String("failedFile")).toInt(-1);
        then(reply.status(), reply.ok ? QUuid::fromString(reply.text) : QUuid(), failedFile);
    });
}

void EngineClient::access(const QUuid &id, std::function<void(bool, bool, const QString &)> then)
{
    request(QStringLiteral("getaccess"), {key(id)}, [then = std::move(then)](const AdminReply &reply) {
        const QJsonObject o = reply.json.toObject();
        then(reply.ok, o.value(QLatin1String("change")).toBool(), o.value(QLatin1String("refusedBy")).toString());
    });
}

void EngineClient::setSetting(const QString &key, const QString &value, Then then)
{
    act(QStringLiteral("setconfig"), {key, value}, std::move(then));
}

} // namespace ferry
