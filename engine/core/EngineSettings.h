// The computer-level settings of the engine (ferry-admin setting, the Settings dialog): their
// values, names and ranges, how a text value is parsed, and how they are read back from the job
// store with the administrator's policy file laid over them (docs/peer-caching.md §2).
#pragma once

#include "core/BitsError.h"

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace ferry {

class JobStore;

struct EngineSettings
{
    int maxBackgroundJobs = 1;
    int timeSliceSeconds = 60;
    qint64 checkpointBytes = 64 << 20;
    int checkpointMs = 1000;
    bool syncCheckpoints = false;
    bool http2 = false;                              // offer HTTP/2 to HTTPS origins (docs/engine.md, "HTTP/2")
    bool runJobsOfLingeringUsers = true;             // the system instance counts linger as logged on (docs/jobs.md §12.1)
    // Computer-level peer caching (docs/peer-caching.md §2): a job's CLIENT/SERVER flag takes effect
    // only when enabled and the matching switch are on too.
    bool peerCachingEnabled = false;
    bool peerCachingClient = true;
    bool peerCachingServer = true;
    // The peer cache (docs/peer-caching.md §2).
    int maxCacheSizePercent = 1;                     // of the cache filesystem, 1..80
    qint64 maxContentAgeSec = 90 * 86400;            // since last access, 1..120 days
    int tlsPort = 41771;                             // the peer server; 0 = any free port
    int discoveryPort = 41770;                       // UDP; several nodes on one host each use their own
    bool multicast = true;                           // false: static peers only
    QStringList staticPeers;                         // host:udpPort
    bool requireOriginDigest = false;                // no peers without a strong origin digest
    // Job lifecycle and quotas (docs/jobs.md §3, §4.6); the quotas do not bind elevated owners.
    int jobInactivityDays = 90;                      // 1..999: cancel a job inactive this long
    int maxJobsPerUser = 60;                         // 1..10000
    int maxJobsPerMachine = 300;                     // 1..100000
    int maxFilesPerJob = 200;                        // 1..10000

    QStringList policySettings;                      // fixed by the administrator's policy file
    QString policyFile;

    bool peerClientAllowed() const { return peerCachingEnabled && peerCachingClient; }
    bool peerServerAllowed() const { return peerCachingEnabled && peerCachingServer; }
};

// Parses one setting into next (the value to store in stored); E_INVALIDARG names the ranges.
Status parseSetting(const QString &key, const QString &value, EngineSettings *next, QString *stored);
// staticPeers: "host:port host:port", each port 1..65535; an empty text is an empty list.
bool parseStaticPeers(const QString &text, QStringList *out = nullptr);
// A change asked for by a user: BG_S_OVERRIDDEN_BY_POLICY (a success code; next is not set and
// nothing is to change) when the administrator's policy fixes KEY, else parsed into next
// (starting from current) as parseSetting does.
Status changeSetting(const EngineSettings &current, const QString &key, const QString &value, EngineSettings *next,
                     QString *stored);
// The stored settings (out-of-range values fall back to their defaults), then the policy file's.
EngineSettings loadEngineSettings(JobStore *store);

} // namespace ferry

Q_DECLARE_METATYPE(ferry::EngineSettings)
