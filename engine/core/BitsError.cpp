#include "core/BitsError.h"

#include <QHash>

namespace ferry {

QString errorName(quint32 code)
{
    static const QHash<quint32, QString> names = {
        {hr::S_OK, QStringLiteral("S_OK")},
        {hr::S_FALSE, QStringLiteral("S_FALSE")},
        {hr::BG_S_PARTIAL_COMPLETE, QStringLiteral("PARTIAL_COMPLETE")},
        {hr::BG_S_UNABLE_TO_DELETE_FILES, QStringLiteral("UNABLE_TO_DELETE_FILES")},
        {hr::BG_S_OVERRIDDEN_BY_POLICY, QStringLiteral("OVERRIDDEN_BY_POLICY")},
        {hr::E_NOTIMPL, QStringLiteral("NOTIMPL")},
        {hr::E_PENDING, QStringLiteral("PENDING")},
        {hr::E_FAIL, QStringLiteral("FAIL")},
        {hr::E_ACCESSDENIED, QStringLiteral("ACCESSDENIED")},
        {hr::E_INVALIDARG, QStringLiteral("INVALIDARG")},
        {hr::E_FILE_EXISTS, QStringLiteral("FILE_EXISTS")},
        {hr::E_DISK_FULL, QStringLiteral("DISK_FULL")},
        {hr::E_FILE_NOT_FOUND, QStringLiteral("FILE_NOT_FOUND")},
        {hr::E_NOT_SAME_DEVICE, QStringLiteral("NOT_SAME_DEVICE")},
        {hr::E_WRITE_PROTECT, QStringLiteral("WRITE_PROTECT")},
        {hr::E_TOO_MANY_CONNECTIONS, QStringLiteral("TOO_MANY_CONNECTIONS")},
        {hr::E_HTTP_TIMEOUT, QStringLiteral("TIMEOUT")},
        {hr::E_HTTP_NAME_NOT_RESOLVED, QStringLiteral("NAME_NOT_RESOLVED")},
        {hr::E_HTTP_CANNOT_CONNECT, QStringLiteral("CANNOT_CONNECT")},
        {hr::E_HTTP_CONNECTION_ERROR, QStringLiteral("CONNECTION_ERROR")},
        {hr::E_HTTP_REDIRECT_FAILED, QStringLiteral("REDIRECT_FAILED")},
        {hr::E_HTTP_SECURE_FAILURE, QStringLiteral("SECURE_FAILURE")},
        {hr::E_KEYCHAIN_UNAVAILABLE, QStringLiteral("KEYCHAIN_UNAVAILABLE")},
        {hr::BG_E_NOT_FOUND, QStringLiteral("NOT_FOUND")},
        {hr::BG_E_INVALID_STATE, QStringLiteral("INVALID_STATE")},
        {hr::BG_E_EMPTY, QStringLiteral("EMPTY")},
        {hr::BG_E_ERROR_INFORMATION_UNAVAILABLE, QStringLiteral("ERROR_INFORMATION_UNAVAILABLE")},
        {hr::BG_E_NETWORK_DISCONNECTED, QStringLiteral("NETWORK_DISCONNECTED")},
        {hr::BG_E_MISSING_FILE_SIZE, QStringLiteral("MISSING_FILE_SIZE")},
        {hr::BG_E_INSUFFICIENT_HTTP_SUPPORT, QStringLiteral("INSUFFICIENT_HTTP_SUPPORT")},
        {hr::BG_E_INSUFFICIENT_RANGE_SUPPORT, QStringLiteral("INSUFFICIENT_RANGE_SUPPORT")},
        {hr::BG_E_PROXY_LIST_TOO_LARGE, QStringLiteral("PROXY_LIST_TOO_LARGE")},
        {hr::BG_E_PROXY_BYPASS_LIST_TOO_LARGE, QStringLiteral("PROXY_BYPASS_LIST_TOO_LARGE")},
        {hr::BG_E_INVALID_SERVER_RESPONSE, QStringLiteral("INVALID_SERVER_RESPONSE")},
        {hr::BG_E_LOCAL_FILE_CHANGED, QStringLiteral("LOCAL_FILE_CHANGED")},
        {hr::BG_E_TOO_LARGE, QStringLiteral("TOO_LARGE")},
        {hr::BG_E_STRING_TOO_LONG, QStringLiteral("STRING_TOO_LONG")},
        {hr::BG_E_USERNAME_TOO_LARGE, QStringLiteral("USERNAME_TOO_LARGE")},
        {hr::BG_E_PASSWORD_TOO_LARGE, QStringLiteral("PASSWORD_TOO_LARGE")},
        {hr::BG_E_INVALID_AUTH_TARGET, QStringLiteral("INVALID_AUTH_TARGET")},
        {hr::BG_E_INVALID_AUTH_SCHEME, QStringLiteral("INVALID_AUTH_SCHEME")},
        {hr::BG_E_INVALID_PROXY_INFO, QStringLiteral("INVALID_PROXY_INFO")},
        {hr::BG_E_TOO_MANY_JOBS_PER_USER, QStringLiteral("TOO_MANY_JOBS_PER_USER")},
        {hr::BG_E_TOO_MANY_JOBS_PER_MACHINE, QStringLiteral("TOO_MANY_JOBS_PER_MACHINE")},
        {hr::BG_E_TOO_MANY_FILES_IN_JOB, QStringLiteral("TOO_MANY_FILES_IN_JOB")},
        {hr::BG_E_VALIDATION_FAILED, QStringLiteral("VALIDATION_FAILED")},
        {hr::BG_E_MAXDOWNLOAD_TIMEOUT, QStringLiteral("MAXDOWNLOAD_TIMEOUT")},
        {hr::BG_E_INVALID_RANGE, QStringLiteral("INVALID_RANGE")},
        {hr::BG_E_OVERLAPPING_RANGES, QStringLiteral("OVERLAPPING_RANGES")},
        {hr::BG_E_TOO_MANY_RANGES_IN_FILE, QStringLiteral("TOO_MANY_RANGES_IN_FILE")},
        {hr::BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY, QStringLiteral("PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY")},
        {hr::BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE, QStringLiteral("READ_ONLY_PROPERTY_AFTER_ADDFILE")},
        {hr::BG_E_READ_ONLY_PROPERTY_AFTER_RESUME, QStringLiteral("READ_ONLY_PROPERTY_AFTER_RESUME")},
        {hr::BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE, QStringLiteral("MAX_DOWNLOAD_SIZE_INVALID_VALUE")},
        {hr::BG_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED, QStringLiteral("MAX_DOWNLOAD_SIZE_LIMIT_REACHED")},
        {hr::BG_E_RANDOM_ACCESS_NOT_SUPPORTED, QStringLiteral("RANDOM_ACCESS_NOT_SUPPORTED")},
    };
    if (auto it = names.constFind(code); it != names.constEnd())
        return *it;
    if (code > hr::BG_E_HTTP_BASE && code < hr::BG_E_HTTP_BASE + 600)
        return QStringLiteral("HTTP_%1").arg(code - hr::BG_E_HTTP_BASE);
    return QStringLiteral("UNKNOWN_ERROR");
}

QString errorHex(quint32 code)
{
    return QStringLiteral("0x%1").arg(code, 8, 16, QLatin1Char('0'));
}

QString contextName(ErrorContext context)
{
    switch (context) {
    case ErrorContext::None: return QStringLiteral("NONE");
    case ErrorContext::Unknown: return QStringLiteral("UNKNOWN");
    case ErrorContext::GeneralQueueManager: return QStringLiteral("GENERAL_QUEUE_MANAGER");
    case ErrorContext::QueueManagerNotification: return QStringLiteral("QUEUE_MANAGER_NOTIFICATION");
    case ErrorContext::LocalFile: return QStringLiteral("LOCAL_FILE");
    case ErrorContext::RemoteFile: return QStringLiteral("REMOTE_FILE");
    case ErrorContext::GeneralTransport: return QStringLiteral("GENERAL_TRANSPORT");
    case ErrorContext::RemoteApplication: return QStringLiteral("REMOTE_APPLICATION");
    case ErrorContext::ServerCertificateCallback: return QStringLiteral("SERVER_CERTIFICATE_CALLBACK");
    }
    return QStringLiteral("UNKNOWN");
}

} // namespace ferry
