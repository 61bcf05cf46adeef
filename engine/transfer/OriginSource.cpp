#include "transfer/OriginSource.h"

#include "core/HttpRequest.h"
#include "core/JobTypes.h"

#include <QAuthenticator>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslError>

namespace ferry {

namespace {

bool isStrongEtag(const QString &etag) { return !etag.isEmpty() && !etag.startsWith(QLatin1String("W/")); }

} // namespace

OriginSource::OriginSource(QUrl url, QStringList headers, QList<StoredCredential> credentials, quint32 securityFlags,
                           bool http2, int fileIndex, QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent)
    , m_headers(std::move(headers))
    , m_credentials(std::move(credentials))
    , m_securityFlags(securityFlags)
    , m_http2(http2)
    , m_fileIndex(fileIndex)
    , m_nam(nam)
    , m_currentUrl(std::move(url))
{
    // A manager with credentials is this job's own (TransferRequest::connectionKey) and runs one
    // transfer at a time, so its challenges are this transfer's; a shared one has no credentials
    // to give.
    connect(m_nam, &QNetworkAccessManager::authenticationRequired, this, [this](QNetworkReply *reply, QAuthenticator *auth) {
        if (reply == m_reply)
            answerChallenge(AuthTarget::Server, reply->url().authority(), auth);
    });
    connect(m_nam, &QNetworkAccessManager::proxyAuthenticationRequired, this, [this](const QNetworkProxy &proxy, QAuthenticator *auth) {
        if (m_reply)
            answerChallenge(AuthTarget::Proxy, QStringLiteral("%1:%2").arg(proxy.hostName()).arg(proxy.port()), auth);
    });
}

void OriginSource::get(qint64 offset, const QString &etag, const QString &lastModified)
{
    QNetworkRequest request(m_currentUrl);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    // HTTP/2 only when the setting asks for it: Qt 6.4 does not hold an HTTP/2 stream back while
    // the reply's read buffer is full (docs/engine.md, "HTTP/2").
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, m_http2);
    request.setTransferTimeout(transferpolicy::StallTimeoutMs);
    request.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("Ferry/0.1"));
    request.setRawHeader("Accept-Encoding", "identity"); // bytes as stored: ranges stay meaningful
    addCustomHeaders(request, m_headers);
    if (offset > 0) {
        request.setRawHeader("Range", "bytes=" + QByteArray::number(offset) + '-');
        if (isStrongEtag(etag))
            request.setRawHeader("If-Range", etag.toLatin1());
        else if (!lastModified.isEmpty())
            request.setRawHeader("If-Range", lastModified.toLatin1());
    }
    m_answered.clear();
    m_certificateProblem.clear();
    m_reply = m_nam->get(request);
    m_reply->setReadBufferSize(ReadBufferSize);
    connect(m_reply, &QNetworkReply::metaDataChanged, this, &OriginSource::metaDataChanged);
    connect(m_reply, &QNetworkReply::readyRead, this, &OriginSource::readyRead);
    connect(m_reply, &QNetworkReply::finished, this, &OriginSource::finished);
    connect(m_reply, &QNetworkReply::sslErrors, this, &OriginSource::onSslErrors);
}

void OriginSource::drop()
{
    abandonReply(m_reply, this);
}

// Redirects are followed here, not by Qt, so that every hop obeys the job's security flags
// (docs/jobs.md §9.1): none when disallowed (the 3xx answer itself ends the job), from HTTPS
// down to plain HTTP only with ALLOW_HTTPS_TO_HTTP, at most MaxRedirects. (Qt 6.4's
// UserVerified policy reports a second hop as a "HTTP 100" success, so it cannot be used for
// this.) The finished 3xx reply is let go of unless it is to be answered as an error.
OriginSource::Redirect OriginSource::judgeRedirect(TransferFailure *refusal)
{
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    const QUrl location = reply->attribute(QNetworkRequest::RedirectionTargetAttribute).toUrl();
    if (location.isEmpty() || (m_securityFlags & security::RedirectMask) == security::RedirectDisallow) {
        m_reply = reply;
        return Redirect::AnswerAsError;
    }
    const QUrl target = m_currentUrl.resolved(location);
    if (target.scheme() != QLatin1String("http") && target.scheme() != QLatin1String("https")) {
        *refusal = {{ErrorContext::RemoteFile, hr::E_HTTP_REDIRECT_FAILED,
                     QStringLiteral("the server redirects to %1, which is not an HTTP URL").arg(target.toDisplayString()), m_fileIndex},
                    false, 0};
        return Redirect::Refuse;
    }
    if (m_currentUrl.scheme() == QLatin1String("https") && target.scheme() == QLatin1String("http")
        && !(m_securityFlags & security::AllowHttpsToHttp)) {
        *refusal = {{ErrorContext::RemoteFile, hr::E_HTTP_REDIRECT_FAILED,
                     QStringLiteral("refused a redirect from HTTPS to plain HTTP (%1); the security flag "
                                    "ALLOW_HTTPS_TO_HTTP (0x800) permits it")
                         .arg(target.toDisplayString()),
                     m_fileIndex},
                    false, 0};
        return Redirect::Refuse;
    }
    if (++m_redirects > MaxRedirects) {
        *refusal = {{ErrorContext::RemoteFile, hr::E_HTTP_REDIRECT_FAILED,
                     QStringLiteral("more than %1 redirects (the last to %2)").arg(MaxRedirects).arg(target.toDisplayString()),
                     m_fileIndex},
                    false, 0};
        return Redirect::Refuse;
    }
    m_currentUrl = target;
    return Redirect::Follow;
}

// A certificate problem is accepted only when the job's flags excuse every problem it has; the
// transfer then says so, since the file's origin is no longer proven.
void OriginSource::onSslErrors(const QList<QSslError> &errors)
{
    if (!m_reply)
        return;
    QStringList refused, excused;
    for (const QSslError &e : errors) {
        const quint32 flag = transferpolicy::ignoreFlagFor(e.error());
        (flag && (m_securityFlags & flag) ? excused : refused) << e.errorString();
    }
    if (!refused.isEmpty()) {
        m_certificateProblem = refused.join(QLatin1String("; "));
        return; // the handshake fails: SECURE_FAILURE with this reason
    }
    m_reply->ignoreSslErrors(errors);
    emit warned(QStringLiteral("certificate problems ignored as the job's security flags allow: %1")
                    .arg(excused.join(QLatin1String("; "))));
}

// Answers a server's or proxy's challenge with the job's credentials for that target, once per
// place and realm: Qt asking again means the answer was refused, and the reply then ends with
// 401 or 407. Qt does not say which scheme it chose; when a job holds several for one target the
// strongest plausible one is given (a realm means Basic or Digest, none means NTLM or Negotiate).
void OriginSource::answerChallenge(AuthTarget target, const QString &where, QAuthenticator *authenticator)
{
    const QString key = QStringLiteral("%1 %2 %3").arg(int(target)).arg(where, authenticator->realm());
    if (m_answered.contains(key))
        return;
    static const QList<AuthScheme> withRealm = {AuthScheme::Digest, AuthScheme::Basic, AuthScheme::Negotiate, AuthScheme::Ntlm};
    static const QList<AuthScheme> withoutRealm = {AuthScheme::Negotiate, AuthScheme::Ntlm, AuthScheme::Digest, AuthScheme::Basic};
    for (AuthScheme scheme : authenticator->realm().isEmpty() ? withoutRealm : withRealm) {
        for (const StoredCredential &c : std::as_const(m_credentials)) {
            if (c.key.target != target || c.key.scheme != scheme)
                continue;
            m_answered << key;
            authenticator->setUser(c.credentials.user);
            authenticator->setPassword(c.credentials.password);
            return;
        }
    }
}

bool OriginSource::holdsCredentials(AuthTarget target) const
{
    return std::any_of(m_credentials.cbegin(), m_credentials.cend(),
                       [target](const StoredCredential &c) { return c.key.target == target; });
}

} // namespace ferry
