#include "transfer/OriginSource.h"

#include "core/HttpRequest.h"
#include "core/JobTypes.h"
#include "peercache/PeerSource.h"

#include <QAuthenticator>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSslError>

namespace ferry {

namespace {

bool isStrongEtag(const QString &etag) { return !etag.isEmpty() && !etag.startsWith(QLatin1String("W/")); }

} // namespace

OriginSource::OriginSource(QUrl url, QStringList headers, QList<StoredCredential> credentials, quint32 securityFlags,
                           bool http2, int fileIndex, QNetworkAccessManager *nam, QObject *parent)
    : DataSource(parent)
    , m_url(url)
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

OriginSource::~OriginSource()
{
    stop();
}

void OriginSource::start(const HeldFile &held)
{
    m_held = held;
    m_stopped = false;
    m_restartWhy.clear();
    if (m_dynamic) {
        if (held.offset > 0)
            m_restartWhy = QStringLiteral("the job has dynamic content: an interrupted file starts again from the beginning");
        m_held.etag.clear();
        m_held.lastModified.clear();
        return get(0);
    }
    get(held.offset);
}

void OriginSource::stop()
{
    m_stopped = true;
    drop();
}

void OriginSource::get(qint64 offset)
{
    m_asked = offset;
    m_accepted = false;
    m_facts.reset();
    QNetworkRequest request(m_currentUrl);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    // HTTP/2 only when the setting asks for it: Qt 6.4 does not hold an HTTP/2 stream back while
    // the reply's read buffer is full (docs/engine.md, "HTTP/2").
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, m_http2);
    request.setTransferTimeout(transferpolicy::StallTimeoutMs);
    request.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("Ferry/0.1"));
    request.setRawHeader("Accept-Encoding", "identity"); // bytes as stored: ranges stay meaningful
    addCustomHeaders(request, m_headers);
    if (m_held.range) {
        // Exactly the slice asked for, from this version of the file when one is known.
        request.setRawHeader("Range", "bytes=" + QByteArray::number(offset) + '-'
                                          + (m_held.end >= 0 ? QByteArray::number(m_held.end - 1) : QByteArray()));
        if (isStrongEtag(m_held.etag))
            request.setRawHeader("If-Range", m_held.etag.toLatin1());
        else if (!m_held.lastModified.isEmpty())
            request.setRawHeader("If-Range", m_held.lastModified.toLatin1());
    } else if (offset > 0 && !m_dynamic) {
        request.setRawHeader("Range", "bytes=" + QByteArray::number(offset) + '-');
        if (isStrongEtag(m_held.etag))
            request.setRawHeader("If-Range", m_held.etag.toLatin1());
        else if (!m_held.lastModified.isEmpty())
            request.setRawHeader("If-Range", m_held.lastModified.toLatin1());
    }
    m_answered.clear();
    m_certificateProblem.clear();
    m_reply = m_nam->get(request);
    m_reply->setReadBufferSize(ReadBufferSize);
    connect(m_reply, &QNetworkReply::metaDataChanged, this, &OriginSource::onMetaData);
    connect(m_reply, &QNetworkReply::readyRead, this, &OriginSource::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &OriginSource::onFinished);
    connect(m_reply, &QNetworkReply::sslErrors, this, &OriginSource::onSslErrors);
}

// Abandons the current reply without hearing from it again.
void OriginSource::drop()
{
    abandonReply(m_reply, this);
}

void OriginSource::onMetaData()
{
    if (m_accepted || m_stopped || !m_reply)
        return;
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status >= 300 && status < 400)
        return; // a redirect being followed
    accept(status);
}

// What the answer means for the bytes held (docs/jobs.md §5): answered() when bytes follow,
// else failed(), a request from 0 (the file shrank), or finished() (it was all here already).
bool OriginSource::accept(int status)
{
    const QString etag = QString::fromLatin1(m_reply->rawHeader("ETag"));
    const QString lastModified = QString::fromLatin1(m_reply->rawHeader("Last-Modified"));
    // After a followed redirect Qt 6.4 may keep the redirect's length too ("46, 300000"): the
    // final response's value is the last one.
    const QByteArray lengthHeader = m_reply->rawHeader("Content-Length");
    bool lengthOk = false;
    qint64 length = lengthHeader.split(',').constLast().trimmed().toLongLong(&lengthOk);
    if (!lengthOk)
        length = -1;
    const qint64 offset = m_asked;
    emit responseHeaders(rawHeaders(status));
    if (m_stopped)
        return false;
    if (m_held.range)
        return acceptRange(status, etag, lastModified, length);

    if (status == 206) {
        static const QRegularExpression rangeRe(QStringLiteral("^bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)$"));
        const auto m = rangeRe.match(QString::fromLatin1(m_reply->rawHeader("Content-Range")).trimmed());
        if (!m.hasMatch() || m.captured(1).toLongLong() != offset) {
            fail({{ErrorContext::RemoteFile, hr::BG_E_INVALID_SERVER_RESPONSE,
                   QStringLiteral("the server answered a range request with the wrong range (%1)")
                       .arg(QString::fromLatin1(m_reply->rawHeader("Content-Range"))),
                   m_fileIndex},
                  false, 0});
            return false;
        }
        answer({offset, offset == 0 ? m_restartWhy : QString(),
                m.captured(3) != QLatin1String("*") ? m.captured(3).toLongLong() : m_held.size,
                etag.isEmpty() ? m_held.etag : etag, lastModified.isEmpty() ? m_held.lastModified : lastModified, {}});
        return !m_stopped;
    }
    if (status == 200) {
        QString why = m_restartWhy;
        if (offset > 0) {
            const bool changed = (!etag.isEmpty() && etag != m_held.etag)
                                 || (etag.isEmpty() && !lastModified.isEmpty() && lastModified != m_held.lastModified);
            why = changed ? QStringLiteral("the file changed on the server; restarting it from the beginning")
                          : QStringLiteral("the server ignored the range request; restarting the file from the beginning");
        }
        answer({0, why, length, etag, lastModified, {}});
        return !m_stopped;
    }
    if (status == 416 && offset > 0) {
        // The offset is at or past the end: either the file is all here, or it shrank.
        static const QRegularExpression totalRe(QStringLiteral("^bytes\\s+\\*/(\\d+)$"));
        const auto m = totalRe.match(QString::fromLatin1(m_reply->rawHeader("Content-Range")).trimmed());
        drop();
        if (m.hasMatch() && m.captured(1).toLongLong() == offset && m_held.size == offset) {
            m_stopped = true;
            emit finished();
            return false;
        }
        m_held.etag.clear();
        m_held.lastModified.clear();
        m_restartWhy = QStringLiteral("the file shrank on the server; restarting it from the beginning");
        get(0);
        return false;
    }
    fail(statusFailure(status));
    return false;
}

// A range of the file (HeldFile::range): a 206 with exactly the bytes asked for; a 200 only when
// the whole file was asked for, or when it says the file changed (the answer then starts at 0
// and the RangeSource starts over); a 416 means the range lies past the end of the file.
bool OriginSource::acceptRange(int status, const QString &etag, const QString &lastModified, qint64 length)
{
    const qint64 offset = m_asked;
    if (status == 206) {
        static const QRegularExpression rangeRe(QStringLiteral("^bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)$"));
        const QByteArray contentRange = m_reply->rawHeader("Content-Range");
        const auto m = rangeRe.match(QString::fromLatin1(contentRange).trimmed());
        const bool total = m.hasMatch() && m.captured(3) != QLatin1String("*");
        const qint64 size = total ? m.captured(3).toLongLong() : -1;
        const qint64 end = m_held.end >= 0 ? m_held.end : size;
        if (size >= 0 && end > size) {
            fail({{ErrorContext::RemoteFile, hr::BG_E_INVALID_RANGE,
                   QStringLiteral("the range %1-%2 ends past the end of the remote file (%3 bytes)").arg(offset).arg(end - 1).arg(size),
                   m_fileIndex},
                  false, 0});
            return false;
        }
        if (!m.hasMatch() || m.captured(1).toLongLong() != offset || (end >= 0 && m.captured(2).toLongLong() + 1 != end)) {
            fail({{ErrorContext::RemoteFile, hr::BG_E_INVALID_SERVER_RESPONSE,
                   QStringLiteral("the server answered the range %1-%2 with other bytes (%3)")
                       .arg(offset)
                       .arg(m_held.end >= 0 ? QString::number(m_held.end - 1) : QString())
                       .arg(QString::fromLatin1(contentRange)),
                   m_fileIndex},
                  false, 0});
            return false;
        }
        answer({offset, {}, size, etag.isEmpty() ? m_held.etag : etag, lastModified.isEmpty() ? m_held.lastModified : lastModified, {}});
        return !m_stopped;
    }
    if (status == 200) {
        const bool changed = (!etag.isEmpty() && !m_held.etag.isEmpty() && etag != m_held.etag)
                             || (!lastModified.isEmpty() && !m_held.lastModified.isEmpty() && lastModified != m_held.lastModified);
        if (changed || (offset == 0 && m_held.end < 0)) {
            answer({0, changed ? QStringLiteral("the file changed on the server; fetching its ranges again") : QString(), length,
                    etag, lastModified, {}});
            return !m_stopped;
        }
        fail({{ErrorContext::RemoteFile, hr::BG_E_INSUFFICIENT_RANGE_SUPPORT,
               QStringLiteral("the server does not answer range requests, and this file is made of ranges"), m_fileIndex},
              false, 0});
        return false;
    }
    if (status == 416) {
        fail({{ErrorContext::RemoteFile, hr::BG_E_INVALID_RANGE,
               QStringLiteral("the range from %1 lies past the end of the remote file").arg(offset), m_fileIndex},
              false, 0});
        return false;
    }
    fail(statusFailure(status));
    return false;
}

// The status line and header lines as received, bounded; a Set-Cookie keeps its name only,
// since a cookie may be a session secret (docs/security.md).
QByteArray OriginSource::rawHeaders(int status) const
{
    QByteArray raw = "HTTP/1.1 " + QByteArray::number(status) + ' '
                     + m_reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString().toLatin1() + "\r\n";
    for (const auto &[name, value] : m_reply->rawHeaderPairs()) {
        const QByteArray line = name + ": "
                                + (name.compare("Set-Cookie", Qt::CaseInsensitive) == 0 ? QByteArray("(value not kept)") : value)
                                + "\r\n";
        if (raw.size() + line.size() > MaxResponseHeaders)
            break;
        raw += line;
    }
    return raw;
}

void OriginSource::answer(SourceAnswer answer)
{
    m_accepted = true;
    m_facts = peercache::PeerSource::factsOf(m_reply);
    answer.from = m_currentUrl;
    emit answered(answer);
}

TransferFailure OriginSource::statusFailure(int status) const
{
    TransferFailure f;
    QString text = QStringLiteral("HTTP %1 %2").arg(status).arg(m_reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString());
    if (status >= 300 && status < 400)
        text += QStringLiteral(": the server redirects to %1 and the job's security flags disallow redirects")
                    .arg(m_currentUrl.resolved(m_reply->attribute(QNetworkRequest::RedirectionTargetAttribute).toUrl()).toDisplayString());
    if (status == 401)
        text += holdsCredentials(AuthTarget::Server) ? QStringLiteral(": the server refused the job's credentials")
                                                     : QStringLiteral(": the server wants credentials (ferry-admin setcredentials JOB SERVER ...)");
    f.error = {ErrorContext::RemoteFile, httpError(status), text, m_fileIndex};
    f.transient = transferpolicy::transientHttpStatus(status);
    f.retryAfterSeconds = transferpolicy::retryAfterSeconds(m_reply->rawHeader("Retry-After"));
    return f;
}

void OriginSource::onReadyRead()
{
    if (!m_accepted || m_stopped || !m_reply)
        return;
    // One buffer for the life of the source: no allocation (and no page faults) per chunk.
    if (m_buffer.size() != ReadBufferSize)
        m_buffer.resize(ReadBufferSize);
    while (m_reply && m_reply->bytesAvailable() > 0) {
        const qint64 n = m_reply->read(m_buffer.data(), ReadBufferSize);
        if (n <= 0)
            break;
        emit data(QByteArray::fromRawData(m_buffer.constData(), n));
        if (m_stopped)
            return;
    }
}

void OriginSource::onFinished()
{
    if (m_stopped || !m_reply)
        return;
    QNetworkReply *reply = m_reply;
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (!m_accepted && status >= 300 && status < 400) {
        TransferFailure refusal;
        switch (judgeRedirect(&refusal)) {
        case Redirect::Follow:
            return get(m_asked);
        case Redirect::Refuse:
            return fail(refusal);
        case Redirect::AnswerAsError:
            break;
        }
    }
    if (reply->error() != QNetworkReply::NoError) {
        onReadyRead(); // hand on whatever arrived before the failure
        if (m_stopped)
            return;
        if (!m_accepted && status >= 400) {
            accept(status);
            return;
        }
        if (reply->error() == QNetworkReply::ProxyAuthenticationRequiredError)
            return fail({{ErrorContext::GeneralTransport, httpError(407),
                          holdsCredentials(AuthTarget::Proxy)
                              ? QStringLiteral("HTTP 407: the proxy refused the job's credentials")
                              : QStringLiteral("HTTP 407: the proxy wants credentials (ferry-admin setcredentials JOB PROXY ...)"),
                          m_fileIndex},
                         false, 0});
        TransferFailure f = transferpolicy::classifyNetworkError(reply->error(), reply->errorString());
        if (reply->error() == QNetworkReply::SslHandshakeFailedError && !m_certificateProblem.isEmpty())
            f.error.description = QStringLiteral("the server's certificate is not accepted: %1").arg(m_certificateProblem);
        f.error.fileIndex = m_fileIndex;
        return fail(f);
    }
    // A response with no body never signals metaDataChanged before finished.
    if (!m_accepted && !accept(status))
        return;
    onReadyRead();
    if (m_stopped)
        return;
    m_stopped = true;
    drop();
    emit finished();
}

void OriginSource::fail(const TransferFailure &failure)
{
    if (m_stopped)
        return;
    m_stopped = true;
    drop();
    emit failed(failure);
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
