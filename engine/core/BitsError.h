// BITS error codes, contexts and the error value a job carries (docs/jobs.md §5).
#pragma once

#include <QString>
#include <QtGlobal>

namespace ferry {

namespace hr {
// Success codes
constexpr quint32 S_OK = 0x00000000;
constexpr quint32 S_FALSE = 0x00000001;
constexpr quint32 BG_S_PARTIAL_COMPLETE = 0x00200017;
constexpr quint32 BG_S_UNABLE_TO_DELETE_FILES = 0x0020001A;
constexpr quint32 BG_S_OVERRIDDEN_BY_POLICY = 0x00200055;
// Generic HRESULTs
constexpr quint32 E_NOTIMPL = 0x80004001;
constexpr quint32 E_PENDING = 0x8000000A;
constexpr quint32 E_FAIL = 0x80004005;
constexpr quint32 E_ACCESSDENIED = 0x80070005;
constexpr quint32 E_INVALIDARG = 0x80070057;
constexpr quint32 E_FILE_EXISTS = 0x80070050;    // HRESULT_FROM_WIN32(ERROR_FILE_EXISTS)
constexpr quint32 E_DISK_FULL = 0x80070070;      // HRESULT_FROM_WIN32(ERROR_DISK_FULL)
constexpr quint32 E_FILE_NOT_FOUND = 0x80070002; // HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)
constexpr quint32 E_NOT_SAME_DEVICE = 0x80070011; // HRESULT_FROM_WIN32(ERROR_NOT_SAME_DEVICE)
constexpr quint32 E_WRITE_PROTECT = 0x80070013;  // HRESULT_FROM_WIN32(ERROR_WRITE_PROTECT): a read-only file system
// HRESULT_FROM_WIN32(ERROR_REQ_NOT_ACCEP), "no more connections can be made ... at this time":
// a control-socket client over its share of connections (engine/control/ControlLimits.h).
constexpr quint32 E_TOO_MANY_CONNECTIONS = 0x80070047;
// Transport failures, as the WinHTTP errors BITS reports for them (HRESULT_FROM_WIN32(12xxx))
constexpr quint32 E_HTTP_TIMEOUT = 0x80072EE2;            // 12002
constexpr quint32 E_HTTP_NAME_NOT_RESOLVED = 0x80072EE7;  // 12007
constexpr quint32 E_HTTP_CANNOT_CONNECT = 0x80072EFD;     // 12029
constexpr quint32 E_HTTP_CONNECTION_ERROR = 0x80072EFE;   // 12030
constexpr quint32 E_HTTP_REDIRECT_FAILED = 0x80072F7C;    // 12156
constexpr quint32 E_HTTP_SECURE_FAILURE = 0x80072F8F;     // 12175
// No credential store for this session (HRESULT_FROM_WIN32(ERROR_NO_SUCH_LOGON_SESSION), what
// Windows' Credential Manager answers then): Ferry's "the keychain is unavailable or locked".
constexpr quint32 E_KEYCHAIN_UNAVAILABLE = 0x80070520;
// BITS (facility 0x20)
constexpr quint32 BG_E_NOT_FOUND = 0x80200001;
constexpr quint32 BG_E_INVALID_STATE = 0x80200002;
constexpr quint32 BG_E_EMPTY = 0x80200003;
constexpr quint32 BG_E_ERROR_INFORMATION_UNAVAILABLE = 0x8020000F;
constexpr quint32 BG_E_NETWORK_DISCONNECTED = 0x80200010;
constexpr quint32 BG_E_MISSING_FILE_SIZE = 0x80200011;
constexpr quint32 BG_E_INSUFFICIENT_HTTP_SUPPORT = 0x80200012;
constexpr quint32 BG_E_INSUFFICIENT_RANGE_SUPPORT = 0x80200013;
constexpr quint32 BG_E_PROXY_LIST_TOO_LARGE = 0x80200018;
constexpr quint32 BG_E_PROXY_BYPASS_LIST_TOO_LARGE = 0x80200019;
constexpr quint32 BG_E_INVALID_SERVER_RESPONSE = 0x8020001B;
constexpr quint32 BG_E_LOCAL_FILE_CHANGED = 0x8020001D;
constexpr quint32 BG_E_TOO_LARGE = 0x80200020;
constexpr quint32 BG_E_STRING_TOO_LONG = 0x80200021;
constexpr quint32 BG_E_USERNAME_TOO_LARGE = 0x80200025;
constexpr quint32 BG_E_PASSWORD_TOO_LARGE = 0x80200026;
constexpr quint32 BG_E_INVALID_AUTH_TARGET = 0x80200027;
constexpr quint32 BG_E_INVALID_AUTH_SCHEME = 0x80200028;
constexpr quint32 BG_E_INVALID_RANGE = 0x8020002B;
constexpr quint32 BG_E_OVERLAPPING_RANGES = 0x8020002C;
constexpr quint32 BG_E_INVALID_PROXY_INFO = 0x8020003F;
constexpr quint32 BG_E_TOO_MANY_JOBS_PER_USER = 0x80200049;
constexpr quint32 BG_E_TOO_MANY_JOBS_PER_MACHINE = 0x80200050;
constexpr quint32 BG_E_TOO_MANY_FILES_IN_JOB = 0x80200051;
constexpr quint32 BG_E_TOO_MANY_RANGES_IN_FILE = 0x80200052;
constexpr quint32 BG_E_VALIDATION_FAILED = 0x80200053;
constexpr quint32 BG_E_MAXDOWNLOAD_TIMEOUT = 0x80200054;
constexpr quint32 BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY = 0x80200060;
constexpr quint32 BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE = 0x80200061;
constexpr quint32 BG_E_READ_ONLY_PROPERTY_AFTER_RESUME = 0x80200062;
constexpr quint32 BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE = 0x80200063;
constexpr quint32 BG_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED = 0x80200064;
constexpr quint32 BG_E_RANDOM_ACCESS_NOT_SUPPORTED = 0x8020006D;
constexpr quint32 BG_E_HTTP_BASE = 0x80190000;   // + HTTP status
} // namespace hr

// BG_ERROR_CONTEXT
enum class ErrorContext : int {
    None = 0,
    Unknown = 1,
    GeneralQueueManager = 2,
    QueueManagerNotification = 3,
    LocalFile = 4,
    RemoteFile = 5,
    GeneralTransport = 6,
    RemoteApplication = 7,
    ServerCertificateCallback = 8,
};

QString errorName(quint32 code);          // "MAXDOWNLOAD_TIMEOUT", "HTTP_404", "ACCESSDENIED"…
QString errorHex(quint32 code);           // "0x80200054"
QString contextName(ErrorContext context);
inline quint32 httpError(int status) { return hr::BG_E_HTTP_BASE + quint32(status); }
inline bool failed(quint32 code) { return (code & 0x80000000u) != 0; }

// The error a job carries while in ERROR or TRANSIENT_ERROR.
struct JobError
{
    ErrorContext context = ErrorContext::None;
    quint32 code = hr::S_OK;
    QString description;
    int fileIndex = -1;             // -1: not about one file

    bool isSet() const { return code != hr::S_OK; }
};

// The result of an API call: a code plus a human message for the caller.
struct Status
{
    quint32 code = hr::S_OK;
    QString message;

    Status() = default;
    Status(quint32 c, QString m = {}) : code(c), message(std::move(m)) {}
    bool ok() const { return !failed(code); }
    explicit operator bool() const { return ok(); }
};

} // namespace ferry
