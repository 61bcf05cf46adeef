#include "core/EngineSettings.h"

#include "core/JobTypes.h"
#include "core/SettingsPolicy.h"
#include "store/JobStore.h"

#include <QLoggingCategory>
#include <QRegularExpression>

#include <optional>

namespace ferry {

Q_DECLARE_LOGGING_CATEGORY(lcJobs)

bool parseStaticPeers(const QString &text, QStringList *out)
{
    static const QRegularExpression entry(QStringLiteral("^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):(\\d{1,5})$"));
    static const QRegularExpression separators(QStringLiteral("[\\s,;]+"));
    QStringList peers;
    for (const QString &token : text.split(separators, Qt::SkipEmptyParts)) {
        const auto m = entry.match(token);
        if (!m.hasMatch() || m.captured(2).toInt() < 1 || m.captured(2).toInt() > 65535)
            return false;
        peers << token;
    }
    if (out)
        *out = peers;
    return true;
}

Status parseSetting(const QString &key, const QString &value, EngineSettings *settings, QString *storedOut)
{
    EngineSettings &next = *settings;
    bool ok = false;
    const qint64 n = value.toLongLong(&ok);
    std::optional<bool> flag;
    if (value == QLatin1String("1") || value.compare(QLatin1String("true"), Qt::CaseInsensitive) == 0)
        flag = true;
    else if (value == QLatin1String("0") || value.compare(QLatin1String("false"), Qt::CaseInsensitive) == 0)
        flag = false;
    QString stored = value;
    if (key == QLatin1String("maxBackgroundJobs") && ok && n >= 1 && n <= 64)
        next.maxBackgroundJobs = int(n);
    else if (key == QLatin1String("timeSliceSeconds") && ok && n >= 1 && n <= 86400)
        next.timeSliceSeconds = int(n);
    else if (key == QLatin1String("checkpointBytes") && ok && n >= 4096)
        next.checkpointBytes = n;
    else if (key == QLatin1String("syncCheckpoints") && flag)
        next.syncCheckpoints = *flag;
    else if (key == QLatin1String("http2") && flag)
        next.http2 = *flag;
    else if (key == QLatin1String("runJobsOfLingeringUsers") && flag)
        next.runJobsOfLingeringUsers = *flag;
    else if (key == QLatin1String("peerCachingEnabled") && flag)
        next.peerCachingEnabled = *flag;
    else if (key == QLatin1String("peerCachingClient") && flag)
        next.peerCachingClient = *flag;
    else if (key == QLatin1String("peerCachingServer") && flag)
        next.peerCachingServer = *flag;
    else if (key == QLatin1String("maxCacheSizePercent") && ok && n >= 1 && n <= 80)
        next.maxCacheSizePercent = int(n);
    else if (key == QLatin1String("maxContentAgeSec") && ok && n >= 86400 && n <= 120 * 86400)
        next.maxContentAgeSec = n;
    else if (key == QLatin1String("tlsPort") && ok && n >= 0 && n <= 65535)
        next.tlsPort = int(n);
    else if (key == QLatin1String("discoveryPort") && ok && n >= 1 && n <= 65535)
        next.discoveryPort = int(n);
    else if (key == QLatin1String("multicast") && flag)
        next.multicast = *flag;
    else if (key == QLatin1String("requireOriginDigest") && flag)
        next.requireOriginDigest = *flag;
    else if (key == QLatin1String("jobInactivityDays") && ok && n >= 1 && n <= 999)
        next.jobInactivityDays = int(n);
    else if (key == QLatin1String("maxJobsPerUser") && ok && n >= 1 && n <= 10000)
        next.maxJobsPerUser = int(n);
    else if (key == QLatin1String("maxJobsPerMachine") && ok && n >= 1 && n <= 100000)
        next.maxJobsPerMachine = int(n);
    else if (key == QLatin1String("maxFilesPerJob") && ok && n >= 1 && n <= 10000)
        next.maxFilesPerJob = int(n);
    else if (key == QLatin1String("staticPeers") && parseStaticPeers(value, &next.staticPeers))
        stored = next.staticPeers.join(QLatin1Char(' '));
    else
        return {hr::E_INVALIDARG, QStringLiteral("unknown setting or bad value: %1=%2 (maxBackgroundJobs 1..64, "
                                                 "timeSliceSeconds 1..86400, checkpointBytes >= 4096, syncCheckpoints, http2, runJobsOfLingeringUsers, "
                                                 "peerCachingEnabled, peerCachingClient, peerCachingServer, multicast, "
                                                 "requireOriginDigest true|false, maxCacheSizePercent 1..80, "
                                                 "maxContentAgeSec 86400..10368000, tlsPort 0..65535, discoveryPort 1..65535, "
                                                 "staticPeers \"host:port ...\", jobInactivityDays 1..999, "
                                                 "maxJobsPerUser 1..10000, maxJobsPerMachine 1..100000, "
                                                 "maxFilesPerJob 1..10000)")
                                      .arg(key, value)};
    if (flag)
        stored = *flag ? QStringLiteral("1") : QStringLiteral("0");
    *storedOut = stored;
    return {};
}

Status changeSetting(const EngineSettings &current, const QString &key, const QString &value, EngineSettings *next,
                     QString *stored)
{
    if (current.policySettings.contains(key))
        return {hr::BG_S_OVERRIDDEN_BY_POLICY, QStringLiteral("%1 is set by the administrator's policy (%2); it stays as it is")
                                                   .arg(key, current.policyFile)};
    *next = current;
    return parseSetting(key, value, next, stored);
}

EngineSettings loadEngineSettings(JobStore *store)
{
    EngineSettings settings;
    settings.maxBackgroundJobs = qMax(1, store->setting(QStringLiteral("maxBackgroundJobs"), QStringLiteral("1")).toInt());
    settings.timeSliceSeconds = qMax(1, store->setting(QStringLiteral("timeSliceSeconds"), QStringLiteral("60")).toInt());
    settings.checkpointBytes =
        qMax<qint64>(4096, store->setting(QStringLiteral("checkpointBytes"), QString::number(64 << 20)).toLongLong());
    const auto flag = [store](const char *key, bool fallback) {
        return store->setting(QLatin1String(key), fallback ? QStringLiteral("1") : QStringLiteral("0")) == QLatin1String("1");
    };
    settings.syncCheckpoints = flag("syncCheckpoints", false);
    settings.http2 = flag("http2", false);
    settings.runJobsOfLingeringUsers = flag("runJobsOfLingeringUsers", true);
    settings.peerCachingEnabled = flag("peerCachingEnabled", false);
    settings.peerCachingClient = flag("peerCachingClient", true);
    settings.peerCachingServer = flag("peerCachingServer", true);
    const auto number = [store](const char *key, qint64 fallback, qint64 low, qint64 high) {
        bool ok = false;
        const qint64 n = store->setting(QLatin1String(key), QString::number(fallback)).toLongLong(&ok);
        return ok && n >= low && n <= high ? n : fallback;
    };
    settings.maxCacheSizePercent = int(number("maxCacheSizePercent", 1, 1, 80));
    settings.maxContentAgeSec = number("maxContentAgeSec", 90 * 86400, 86400, 120 * 86400);
    settings.tlsPort = int(number("tlsPort", 41771, 0, 65535));
    settings.discoveryPort = int(number("discoveryPort", 41770, 1, 65535));
    settings.multicast = flag("multicast", true);
    settings.requireOriginDigest = flag("requireOriginDigest", false);
    parseStaticPeers(store->setting(QStringLiteral("staticPeers"), QString()), &settings.staticPeers);
    settings.jobInactivityDays = int(number("jobInactivityDays", 90, 1, 999));
    settings.maxJobsPerUser = int(number("maxJobsPerUser", 60, 1, 10000));
    settings.maxJobsPerMachine = int(number("maxJobsPerMachine", 300, 1, 100000));
    settings.maxFilesPerJob = int(number("maxFilesPerJob", defaults::MaxFilesPerJob, 1, 10000));
    // The administrator's policy wins over what is stored (docs/peer-caching.md §2).
    const SettingsPolicy policy = SettingsPolicy::load();
    for (auto it = policy.values().cbegin(); it != policy.values().cend(); ++it) {
        QString ignored;
        if (Status s = parseSetting(it.key(), it.value(), &settings, &ignored); !s)
            qCWarning(lcJobs).noquote() << "policy" << policy.path() << ":" << s.message;
        else
            settings.policySettings << it.key();
    }
    settings.policyFile = policy.path();
    return settings;
}

} // namespace ferry
