#include "core/SettingsPolicy.h"

#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>

namespace ferry {

QString SettingsPolicy::settingFor(const QString &cacheKey)
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

SettingsPolicy SettingsPolicy::load()
{
    SettingsPolicy policy;
    QStringList dirs = QStandardPaths::standardLocations(QStandardPaths::GenericConfigLocation);
    const QString own = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation);
    dirs.removeAll(own); // a user's own file is a preference, not a policy
    for (const QString &dir : std::as_const(dirs)) {
        const QString path = dir + QStringLiteral("/ferry/peercache.conf");
        if (!QFileInfo::exists(path))
            continue;
        QSettings file(path, QSettings::IniFormat);
        for (const QString &key : file.allKeys()) {
            const QString setting = settingFor(key.section(QLatin1Char('/'), -1));
            if (!setting.isEmpty())
                policy.m_values.insert(setting, file.value(key).toString());
        }
        policy.m_path = path;
        break; // the first folder in XDG order wins, as for any XDG configuration
    }
    return policy;
}

} // namespace ferry
