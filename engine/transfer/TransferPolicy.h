// How a transfer judges what the network and the server tell it (docs/jobs.md §5, §9.2): how long
// a Retry-After asks it to wait, which security flag excuses which certificate problem, and which
// BITS error and class (transient: retried after the job's delay; fatal: ERROR) a failed
// connection or an HTTP status becomes. Free functions without state, shared by the origin leg.
#pragma once

#include "core/BitsError.h"
#include "core/DataSource.h"

#include <QByteArray>
#include <QDateTime>
#include <QMetaType>
#include <QNetworkReply>
#include <QSslError>
#include <QString>

namespace ferry {

namespace transferpolicy {

// No byte for this long ends the attempt with E_HTTP_TIMEOUT (a transient failure).
constexpr int StallTimeoutMs = 60000;

// A Retry-After value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, counted from now;
// 0 when absent, in the past or unreadable.
int retryAfterSeconds(const QByteArray &value, const QDateTime &now = QDateTime::currentDateTimeUtc());

// The security flag that lets a job accept a certificate despite this problem (docs/jobs.md
// §9.2); 0 for problems no flag excuses (revoked, bad signature, ...).
quint32 ignoreFlagFor(QSslError::SslError error);

// HTTP statuses worth another attempt after the retry delay (408, 429, 500, 502, 503, 504).
bool transientHttpStatus(int status);

// A connection-level failure as the job records it: context, code, description and class.
TransferFailure classifyNetworkError(QNetworkReply::NetworkError error, const QString &text);

} // namespace transferpolicy
} // namespace ferry

