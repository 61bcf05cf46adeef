#include "core/JobTypes.h"

#include <QStringList>

#include <array>
#include <utility>

namespace ferry {
namespace {

template <typename E, std::size_t N>
QString nameOf(const std::array<std::pair<E, const char *>, N> &table, E value)
{
    for (const auto &[v, n] : table)
        if (v == value)
            return QString::fromLatin1(n);
    return QStringLiteral("UNKNOWN");
}

template <typename E, std::size_t N>
std::optional<E> parse(const std::array<std::pair<E, const char *>, N> &table, const QString &name)
{
    const QString upper = name.trimmed().toUpper();
    for (const auto &[v, n] : table)
        if (upper == QLatin1String(n))
            return v;
    bool ok = false;
    const int number = name.toInt(&ok);
    if (ok)
        for (const auto &[v, n] : table)
            if (int(v) == number)
                return v;
    return std::nullopt;
}

constexpr std::array<std::pair<JobState, const char *>, 9> kStates{{
    {JobState::Queued, "QUEUED"},
    {JobState::Connecting, "CONNECTING"},
    {JobState::Transferring, "TRANSFERRING"},
    {JobState::Suspended, "SUSPENDED"},
    {JobState::Error, "ERROR"},
    {JobState::TransientError, "TRANSIENT_ERROR"},
    {JobState::Transferred, "TRANSFERRED"},
    {JobState::Acknowledged, "ACKNOWLEDGED"},
    {JobState::Cancelled, "CANCELLED"},
}};

constexpr std::array<std::pair<JobPriority, const char *>, 4> kPriorities{{
    {JobPriority::Foreground, "FOREGROUND"},
    {JobPriority::High, "HIGH"},
    {JobPriority::Normal, "NORMAL"},
    {JobPriority::Low, "LOW"},
}};

constexpr std::array<std::pair<IntegrityLevel, const char *>, 6> kLevels{{
    {IntegrityLevel::Untrusted, "UNTRUSTED"},
    {IntegrityLevel::Low, "LOW"},
    {IntegrityLevel::Medium, "MEDIUM"},
    {IntegrityLevel::MediumPlus, "MEDIUM_PLUS"},
    {IntegrityLevel::High, "HIGH"},
    {IntegrityLevel::System, "SYSTEM"},
}};

constexpr std::array<std::pair<ProxyUsage, const char *>, 4> kProxy{{
    {ProxyUsage::Preconfig, "PRECONFIG"},
    {ProxyUsage::NoProxy, "NO_PROXY"},
    {ProxyUsage::Override, "OVERRIDE"},
    {ProxyUsage::AutoDetect, "AUTODETECT"},
}};

constexpr std::array<std::pair<AuthTarget, const char *>, 2> kTargets{{
    {AuthTarget::Server, "SERVER"},
    {AuthTarget::Proxy, "PROXY"},
}};

constexpr std::array<std::pair<AuthScheme, const char *>, 4> kSchemes{{
    {AuthScheme::Basic, "BASIC"},
    {AuthScheme::Digest, "DIGEST"},
    {AuthScheme::Ntlm, "NTLM"},
    {AuthScheme::Negotiate, "NEGOTIATE"},
}};

// Lower-case wire names (info --json, docs/peer-caching.md), matched exactly.
constexpr std::array<std::pair<PeerVerification, const char *>, 4> kVerifications{{
    {PeerVerification::None, ""},
    {PeerVerification::OriginOnly, "origin-only"},
    {PeerVerification::Group, "group"},
    {PeerVerification::OriginStrong, "origin-strong"},
}};

constexpr std::array<std::pair<ValidationState, const char *>, 3> kValidations{{
    {ValidationState::Unset, "unset"},
    {ValidationState::Valid, "valid"},
    {ValidationState::Invalid, "invalid"},
}};

template <typename E, std::size_t N>
std::optional<E> parseExact(const std::array<std::pair<E, const char *>, N> &table, const QString &name)
{
    for (const auto &[v, n] : table)
        if (name == QLatin1String(n))
            return v;
    return std::nullopt;
}

} // namespace

bool isFinal(JobState s) { return s == JobState::Acknowledged || s == JobState::Cancelled; }
bool isActive(JobState s) { return s == JobState::Connecting || s == JobState::Transferring; }

QString stateName(JobState s) { return nameOf(kStates, s); }
QString priorityName(JobPriority p) { return nameOf(kPriorities, p); }
QString integrityName(IntegrityLevel l) { return nameOf(kLevels, l); }
QString proxyUsageName(ProxyUsage p) { return nameOf(kProxy, p); }
QString peerVerificationName(PeerVerification v) { return nameOf(kVerifications, v); }
QString validationStateName(ValidationState v) { return nameOf(kValidations, v); }
std::optional<PeerVerification> parsePeerVerification(const QString &n) { return parseExact(kVerifications, n); }
std::optional<ValidationState> parseValidationState(const QString &n) { return parseExact(kValidations, n); }
QString authTargetName(AuthTarget t) { return nameOf(kTargets, t); }
QString authSchemeName(AuthScheme s) { return nameOf(kSchemes, s); }
std::optional<AuthTarget> parseAuthTarget(const QString &n) { return parse(kTargets, n); }
std::optional<AuthScheme> parseAuthScheme(const QString &n) { return parse(kSchemes, n); }

QString securityFlagsText(quint32 flags)
{
    QStringList parts;
    switch (flags & security::RedirectMask) {
    case security::RedirectAllowSilent: break;
    case security::RedirectAllowReport: parts << QStringLiteral("REDIRECT_POLICY_ALLOW_REPORT"); break;
    case security::RedirectDisallow: parts << QStringLiteral("REDIRECT_POLICY_DISALLOW"); break;
    default: parts << QStringLiteral("REDIRECT_POLICY_0x%1").arg(flags & security::RedirectMask, 0, 16); break;
    }
    const std::array<std::pair<quint32, const char *>, 6> bits{{
        {security::AllowHttpsToHttp, "ALLOW_HTTPS_TO_HTTP"},
        {security::EnableCrlCheck, "ENABLE_CRL_CHECK"},
        {security::IgnoreCertCnInvalid, "IGNORE_CERT_CN_INVALID"},
        {security::IgnoreCertDateInvalid, "IGNORE_CERT_DATE_INVALID"},
        {security::IgnoreUnknownCa, "IGNORE_UNKNOWN_CA"},
        {security::IgnoreCertWrongUsage, "IGNORE_CERT_WRONG_USAGE"},
    }};
    for (const auto &[bit, name] : bits)
        if (flags & bit)
            parts << QString::fromLatin1(name);
    return parts.isEmpty() ? QStringLiteral("DEFAULT") : parts.join(QLatin1Char('|'));
}

QString notifyFlagsText(quint32 flags)
{
    const std::array<std::pair<quint32, const char *>, 6> bits{{
        {notifyflags::JobTransferred, "JOB_TRANSFERRED"},
        {notifyflags::JobError, "JOB_ERROR"},
        {notifyflags::Disable, "DISABLE"},
        {notifyflags::JobModification, "JOB_MODIFICATION"},
        {notifyflags::FileTransferred, "FILE_TRANSFERRED"},
        {notifyflags::FileRangesTransferred, "FILE_RANGES_TRANSFERRED"},
    }};
    QStringList parts;
    for (const auto &[bit, name] : bits)
        if (flags & bit)
            parts << QString::fromLatin1(name);
    return parts.isEmpty() ? QStringLiteral("NONE") : parts.join(QLatin1Char('|'));
}

std::optional<JobState> parseState(const QString &n) { return parse(kStates, n); }
std::optional<JobPriority> parsePriority(const QString &n) { return parse(kPriorities, n); }
std::optional<IntegrityLevel> parseIntegrity(const QString &n) { return parse(kLevels, n); }
std::optional<ProxyUsage> parseProxyUsage(const QString &n) { return parse(kProxy, n); }

} // namespace ferry
