// The administrator's settings policy, today for the peer cache (docs/peer-caching.md §2): `ferry/peercache.conf` in the
// system configuration folders (XDG_CONFIG_DIRS, /etc/xdg by default; never the user's own),
// whose keys fix the computer-level peer-cache settings: users' setters then answer
// BG_S_OVERRIDDEN_BY_POLICY and change nothing.
#pragma once

#include <QMap>
#include <QString>
#include <QStringList>

namespace ferry {

class SettingsPolicy
{
public:
    static SettingsPolicy load();

    QString path() const { return m_path; }                     // empty: no policy
    bool overrides(const QString &setting) const { return m_values.contains(setting); }
    QMap<QString, QString> values() const { return m_values; }  // engine setting -> value
    QStringList settings() const { return m_values.keys(); }

    // `cache set` keys (enabled, client, server, maxCacheSizePercent, ...) to engine setting
    // names; empty for a key that is not a peer-cache setting.
    static QString settingFor(const QString &cacheKey);

private:
    QString m_path;
    QMap<QString, QString> m_values;
};

} // namespace ferry
