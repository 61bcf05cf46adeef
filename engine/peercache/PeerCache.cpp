#include "PeerCache.h"

#include <QJsonArray>

namespace ferry::peercache {

PeerCache::PeerCache(JobManager *jobs, JobStore *store, QString cacheDir, QObject *parent)
    : QObject(parent)
    , m_jobs(jobs)
    , m_group(new PeerGroup(store, this))
    , m_cacheDir(std::move(cacheDir))
{
    connect(m_group, &PeerGroup::keysChanged, this, &PeerCache::stateChanged);
    connect(jobs, &JobManager::settingsChanged, this, &PeerCache::stateChanged);
}

void PeerCache::start()
{
    m_group->load();
}

QString PeerCache::offReason() const
{
    const EngineSettings s = m_jobs->settings();
    if (!s.peerCachingEnabled)
        return QStringLiteral("peer caching is disabled on this computer (cache set enabled true)");
    if (!s.peerCachingClient && !s.peerCachingServer)
        return QStringLiteral("both client and server are off on this computer");
    if (!m_group->hasKey())
        return m_group->reason();
    return {};
}

QString PeerCache::settingFor(const QString &cacheKey)
{
    if (cacheKey == QLatin1String("enabled"))
        return QStringLiteral("peerCachingEnabled");
    if (cacheKey == QLatin1String("client"))
        return QStringLiteral("peerCachingClient");
    if (cacheKey == QLatin1String("server"))
        return QStringLiteral("peerCachingServer");
    static const QStringList same = {QStringLiteral("maxCacheSizePercent"), QStringLiteral("maxContentAgeSec"),
                                     QStringLiteral("tlsPort"),            QStringLiteral("discoveryPort"),
                                     QStringLiteral("multicast"),          QStringLiteral("staticPeers"),
                                     QStringLiteral("requireOriginDigest")};
    return same.contains(cacheKey) ? cacheKey : QString();
}

Status PeerCache::set(const QString &key, const QString &value)
{
    const QString setting = settingFor(key);
    if (setting.isEmpty())
        return {hr::E_INVALIDARG, QStringLiteral("unknown cache setting '%1' (enabled, client, server, maxCacheSizePercent, "
                                                 "maxContentAgeSec, tlsPort, discoveryPort, multicast, staticPeers, "
                                                 "requireOriginDigest)").arg(key)};
    return m_jobs->setSetting(setting, value);
}

QJsonObject PeerCache::info() const
{
    const EngineSettings s = m_jobs->settings();
    const auto key = m_group->current();
    return {
        {QStringLiteral("active"), isActive()},
        {QStringLiteral("reason"), offReason()},
        {QStringLiteral("enabled"), s.peerCachingEnabled},
        {QStringLiteral("client"), s.peerCachingClient},
        {QStringLiteral("server"), s.peerCachingServer},
        {QStringLiteral("maxCacheSizePercent"), s.maxCacheSizePercent},
        {QStringLiteral("maxContentAgeSec"), double(s.maxContentAgeSec)},
        {QStringLiteral("tlsPort"), s.tlsPort},
        {QStringLiteral("discoveryPort"), s.discoveryPort},
        {QStringLiteral("multicast"), s.multicast},
        {QStringLiteral("staticPeers"), QJsonArray::fromStringList(s.staticPeers)},
        {QStringLiteral("requireOriginDigest"), s.requireOriginDigest},
        {QStringLiteral("groupId"), key ? key->groupId() : QString()},
        {QStringLiteral("previousGroupId"), m_group->previous() ? m_group->previous()->groupId() : QString()},
        {QStringLiteral("cacheDir"), m_cacheDir},
    };
}

QString PeerCache::infoText() const
{
    const QJsonObject o = info();
    QStringList lines;
    lines << (isActive() ? QStringLiteral("peer caching: on") : QStringLiteral("peer caching: off — %1").arg(offReason()));
    lines << QStringLiteral("group: %1").arg(o.value(QLatin1String("groupId")).toString().isEmpty()
                                                 ? QStringLiteral("none")
                                                 : o.value(QLatin1String("groupId")).toString());
    for (const char *k : {"enabled", "client", "server", "maxCacheSizePercent", "maxContentAgeSec", "tlsPort", "discoveryPort",
                          "multicast", "requireOriginDigest"}) {
        const QJsonValue v = o.value(QLatin1String(k));
        lines << QStringLiteral("%1 %2").arg(QLatin1String(k), v.isBool() ? (v.toBool() ? QStringLiteral("true") : QStringLiteral("false"))
                                                                          : QString::number(v.toDouble(), 'f', 0));
    }
    lines << QStringLiteral("staticPeers %1").arg(m_jobs->settings().staticPeers.join(QLatin1Char(' ')));
    lines << QStringLiteral("cache directory %1").arg(m_cacheDir);
    return lines.join(QLatin1Char('\n'));
}

} // namespace ferry::peercache
