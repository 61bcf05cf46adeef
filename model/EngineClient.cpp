#include "EngineClient.h"

#include "control/EngineService.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaObject>

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
    if (m_feed)
        QMetaObject::invokeMethod(m_feed, &QObject::deleteLater, Qt::QueuedConnection);
}

void EngineClient::onSettings(const EngineSettings &settings)
{
    m_settings = settings;
    m_heardSettings = true;
    emit settingsChanged(settings);
}

void EngineClient::request(const QString &verb, const QStringList &args, ReplyThen then)
{
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
