// The BITS enumerations a job is made of, with their wire names (spec §1, §2, §5).
#pragma once

#include <QString>
#include <QtGlobal>
#include <optional>

namespace ferry {

enum class JobState : int {
    Queued = 0,
    Connecting = 1,
    Transferring = 2,
    Suspended = 3,
    Error = 4,
    TransientError = 5,
    Transferred = 6,
    Acknowledged = 7,
    Cancelled = 8,
};

enum class JobType : int { Download = 0, Upload = 1, UploadReply = 2 };

enum class JobPriority : int { Foreground = 0, High = 1, Normal = 2, Low = 3 };

// SECURITY_MANDATORY_*_RID
enum class IntegrityLevel : int {
    Untrusted = 0x0000,
    Low = 0x1000,
    Medium = 0x2000,
    MediumPlus = 0x2100,
    High = 0x3000,
    System = 0x4000,
};

enum class ProxyUsage : int { Preconfig = 0, NoProxy = 1, Override = 2, AutoDetect = 3 };

namespace peercaching {
constexpr quint32 Client = 0x1;
constexpr quint32 Server = 0x2;
constexpr quint32 ValidMask = Client | Server;
} // namespace peercaching

namespace defaults {
constexpr quint32 MinimumRetryDelay = 600;          // seconds
constexpr quint32 MinimumRetryDelayFloor = 5;       // lower values are raised to this
constexpr quint32 NoProgressTimeout = 1209600;      // 14 days
constexpr quint32 MaximumDownloadTime = 7776000;    // 90 days; 0 = no limit
constexpr int MaxDisplayName = 256;
constexpr int MaxDescription = 1024;
constexpr int MaxFilesPerJob = 200;
constexpr int MaxRemoteUrl = 2200;
constexpr int MaxNotifyParameters = 4000;
} // namespace defaults

constexpr quint64 SizeUnknown = ~quint64(0);        // BG_SIZE_UNKNOWN

bool isFinal(JobState s);
bool isActive(JobState s);                          // CONNECTING or TRANSFERRING

QString stateName(JobState s);
QString priorityName(JobPriority p);
QString integrityName(IntegrityLevel l);
QString proxyUsageName(ProxyUsage p);
std::optional<JobState> parseState(const QString &name);
std::optional<JobPriority> parsePriority(const QString &name);
std::optional<IntegrityLevel> parseIntegrity(const QString &name);
std::optional<ProxyUsage> parseProxyUsage(const QString &name);

} // namespace ferry
