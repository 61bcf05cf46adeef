// The BITS enumerations a job is made of, with their wire names (docs/jobs.md).
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

// How a finished file's bytes were verified (docs/peer-caching.md, "Peer verification"). Not the
// owner's IntegrityLevel above. The values are stored (docs/engine.md, "Stored state"): never renumber.
enum class PeerVerification : int {
    None = 0,         // not transferred yet
    OriginOnly = 1,   // "origin-only": every byte came from the origin
    Group = 2,        // "group": peer bytes matched the manifest a group member signed
    OriginStrong = 3, // "origin-strong": the bytes match a strong digest the origin published
};

// SetValidationState (docs/jobs.md §7.3). Stored: never renumber.
enum class ValidationState : int { Unset = 0, Valid = 1, Invalid = 2 };

enum class ProxyUsage : int { Preconfig = 0, NoProxy = 1, Override = 2, AutoDetect = 3 };

enum class AuthTarget : int { Server = 1, Proxy = 2 };                          // BG_AUTH_TARGET_*
enum class AuthScheme : int { Basic = 1, Digest = 2, Ntlm = 3, Negotiate = 4 }; // BG_AUTH_SCHEME_*

// One (target, scheme) pair a job holds credentials for. The secret itself is only ever in the
// OS keychain (CredentialStore); the job records which pairs exist.
struct CredentialKey
{
    AuthTarget target = AuthTarget::Server;
    AuthScheme scheme = AuthScheme::Basic;
    friend bool operator==(const CredentialKey &, const CredentialKey &) = default;
};

// SetSecurityFlags (docs/jobs.md §9): redirect policy and TLS checks.
namespace security {
constexpr quint32 EnableCrlCheck = 0x1;           // not available: Qt has no CRL checking
constexpr quint32 IgnoreCertCnInvalid = 0x2;
constexpr quint32 IgnoreCertDateInvalid = 0x4;
constexpr quint32 IgnoreUnknownCa = 0x8;
constexpr quint32 IgnoreCertWrongUsage = 0x10;
constexpr quint32 IgnoreCertMask = 0x1E;
constexpr quint32 RedirectAllowSilent = 0x000;    // default
constexpr quint32 RedirectAllowReport = 0x100;    // follow; the file's remote name becomes the final URL
constexpr quint32 RedirectDisallow = 0x200;       // a redirect is fatal
constexpr quint32 RedirectMask = 0x700;
constexpr quint32 AllowHttpsToHttp = 0x800;
constexpr quint32 ValidMask = EnableCrlCheck | IgnoreCertMask | RedirectMask | AllowHttpsToHttp;
} // namespace security

namespace peercaching {
constexpr quint32 Client = 0x1;
constexpr quint32 Server = 0x2;
constexpr quint32 DisableBranchCache = 0x4;        // BG_JOB_DISABLE_BRANCH_CACHE: stored, no effect (no BranchCache)
constexpr quint32 ValidMask = Client | Server | DisableBranchCache;
} // namespace peercaching

// SetNotifyFlags (docs/jobs.md §11): which events a job tells its clients and its notify program.
namespace notifyflags {
constexpr quint32 JobTransferred = 0x1;
constexpr quint32 JobError = 0x2;
constexpr quint32 Disable = 0x4;                  // overrides every other bit
constexpr quint32 JobModification = 0x8;
constexpr quint32 FileTransferred = 0x10;
constexpr quint32 FileRangesTransferred = 0x20;   // accepted; Ferry has no file ranges, so never sent
constexpr quint32 ValidMask = 0x3F;
constexpr quint32 Default = JobTransferred | JobError;
// Whether a job with FLAGS tells EVENT (one of the bits above).
constexpr bool wants(quint32 flags, quint32 event) { return !(flags & Disable) && (flags & event); }
} // namespace notifyflags

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
constexpr int MaxProxyList = 4000;               // each of the proxy and bypass lists
} // namespace defaults

constexpr quint64 SizeUnknown = ~quint64(0);        // BG_SIZE_UNKNOWN

bool isFinal(JobState s);
bool isActive(JobState s);                          // CONNECTING or TRANSFERRING

QString stateName(JobState s);
QString priorityName(JobPriority p);
QString integrityName(IntegrityLevel l);
QString proxyUsageName(ProxyUsage p);
QString peerVerificationName(PeerVerification v);   // "", "origin-only", "group", "origin-strong"
QString validationStateName(ValidationState v);     // "unset", "valid", "invalid"
QString authTargetName(AuthTarget t);               // "SERVER", "PROXY"
QString authSchemeName(AuthScheme s);               // "BASIC", "DIGEST", "NTLM", "NEGOTIATE"
QString securityFlagsText(quint32 flags);           // "REDIRECT_ALLOW_REPORT|IGNORE_UNKNOWN_CA", "DEFAULT"
QString notifyFlagsText(quint32 flags);             // "JOB_TRANSFERRED|JOB_ERROR", "NONE"
std::optional<JobState> parseState(const QString &name);
std::optional<JobPriority> parsePriority(const QString &name);
std::optional<IntegrityLevel> parseIntegrity(const QString &name);
std::optional<ProxyUsage> parseProxyUsage(const QString &name);
std::optional<PeerVerification> parsePeerVerification(const QString &name);
std::optional<ValidationState> parseValidationState(const QString &name);
std::optional<AuthTarget> parseAuthTarget(const QString &name);
std::optional<AuthScheme> parseAuthScheme(const QString &name);

} // namespace ferry
