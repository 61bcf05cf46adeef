#include "transfer/TransferPolicy.h"

#include "core/HttpDate.h"
#include "core/JobTypes.h"

namespace ferry::transferpolicy {

int retryAfterSeconds(const QByteArray &header, const QDateTime &now)
{
    const QByteArray value = header.trimmed();
    if (value.isEmpty())
        return 0;
    bool ok = false;
    const int seconds = value.toInt(&ok);
    if (ok)
        return qMax(0, seconds);
    const QDateTime when = parseHttpDate(QString::fromLatin1(value));
    return when.isValid() ? int(qMax<qint64>(0, now.secsTo(when))) : 0;
}

quint32 ignoreFlagFor(QSslError::SslError error)
{
    switch (error) {
    case QSslError::HostNameMismatch:
        return security::IgnoreCertCnInvalid;
    case QSslError::CertificateExpired:
    case QSslError::CertificateNotYetValid:
        return security::IgnoreCertDateInvalid;
    case QSslError::SelfSignedCertificate:
    case QSslError::SelfSignedCertificateInChain:
    case QSslError::UnableToGetLocalIssuerCertificate:
    case QSslError::UnableToGetIssuerCertificate:
    case QSslError::UnableToVerifyFirstCertificate:
    case QSslError::CertificateUntrusted:
        return security::IgnoreUnknownCa;
    case QSslError::InvalidPurpose:
        return security::IgnoreCertWrongUsage;
    default:
        return 0;
    }
}

bool transientHttpStatus(int status) { return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504; }

TransferFailure classifyNetworkError(QNetworkReply::NetworkError e, const QString &text)
{
    TransferFailure f;
    f.error.context = ErrorContext::GeneralTransport;
    f.error.description = text;
    f.transient = true;
    switch (e) {
    case QNetworkReply::HostNotFoundError:
        f.error.code = hr::E_HTTP_NAME_NOT_RESOLVED;
        break;
    case QNetworkReply::ConnectionRefusedError:
        f.error.code = hr::E_HTTP_CANNOT_CONNECT;
        break;
    case QNetworkReply::TimeoutError:
    case QNetworkReply::OperationCanceledError: // the stall timeout aborts this way
        f.error.code = hr::E_HTTP_TIMEOUT;
        f.error.description = QStringLiteral("no data received for %1 s").arg(StallTimeoutMs / 1000);
        break;
    case QNetworkReply::InsecureRedirectError:
        f.error.description = QStringLiteral("refused a redirect from HTTPS to plain HTTP; the security flag "
                                             "ALLOW_HTTPS_TO_HTTP (0x800) permits it");
        Q_FALLTHROUGH();
    case QNetworkReply::TooManyRedirectsError:
        f.error.context = ErrorContext::RemoteFile;
        f.error.code = hr::E_HTTP_REDIRECT_FAILED;
        f.transient = false;
        break;
    case QNetworkReply::ProxyNotFoundError:
        f.error.code = hr::E_HTTP_NAME_NOT_RESOLVED;
        f.error.description = QStringLiteral("the proxy's name cannot be resolved (%1)").arg(text);
        break;
    case QNetworkReply::ProxyConnectionRefusedError:
        f.error.code = hr::E_HTTP_CANNOT_CONNECT;
        f.error.description = QStringLiteral("the proxy refused the connection (%1)").arg(text);
        break;
    case QNetworkReply::ProxyTimeoutError:
        f.error.code = hr::E_HTTP_TIMEOUT;
        f.error.description = QStringLiteral("the proxy did not answer in time (%1)").arg(text);
        break;
    case QNetworkReply::SslHandshakeFailedError:
        f.error.code = hr::E_HTTP_SECURE_FAILURE;
        f.transient = false;
        break;
    case QNetworkReply::ProtocolUnknownError:
    case QNetworkReply::ProtocolInvalidOperationError:
        f.error.context = ErrorContext::RemoteFile;
        f.error.code = hr::E_INVALIDARG;
        f.transient = false;
        break;
    default:
        f.error.code = hr::E_HTTP_CONNECTION_ERROR;
        break;
    }
    return f;
}

} // namespace ferry::transferpolicy
