#include "Transfer.h"

#include "HttpDate.h"
#include "JobStore.h"
#include "OwnerIdentity.h"

#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>

namespace ferry {

Q_LOGGING_CATEGORY(lcTransfer, "ferry.transfer")

namespace {

constexpr int MaxRedirects = 10;
constexpr int ProgressIntervalMs = 250;

bool isStrongEtag(const QString &etag) { return !etag.isEmpty() && !etag.startsWith(QLatin1String("W/")); }

int retryAfterSeconds(const QNetworkReply *reply)
{
    const QByteArray value = reply->rawHeader("Retry-After").trimmed();
    if (value.isEmpty())
        return 0;
    bool ok = false;
    const int seconds = value.toInt(&ok);
    if (ok)
        return qMax(0, seconds);
    const QDateTime when = parseHttpDate(QString::fromLatin1(value));
    return when.isValid() ? int(qMax<qint64>(0, QDateTime::currentDateTimeUtc().secsTo(when))) : 0;
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
        f.error.description = QStringLiteral("no data received for %1 s").arg(Transfer::StallTimeoutMs / 1000);
        break;
    case QNetworkReply::TooManyRedirectsError:
    case QNetworkReply::InsecureRedirectError:
        f.error.context = ErrorContext::RemoteFile;
        f.error.code = hr::E_HTTP_REDIRECT_FAILED;
        f.transient = false;
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

} // namespace

Transfer::Transfer(TransferRequest request, QNetworkAccessManager *nam, CheckpointLog *log, QObject *parent)
    : QObject(parent)
    , m_req(std::move(request))
    , m_nam(nam)
    , m_log(log)
    , m_part(m_req.tempName)
{
}

Transfer::~Transfer()
{
    stop();
}

void Transfer::start()
{
    bool opened = false;
    {
        const OwnerIdentity identity(m_req.owner);
        opened = identity.ok() && m_part.open(m_req.offset);
    }
    if (!opened)
        return failLocal();
    if (m_part.offset() != m_req.offset)
        record(m_part.offset());
    m_req.offset = m_part.offset();
    m_last = {m_part.offset(), m_req.bytesTotal, m_req.etag, m_req.lastModified};
    if (m_req.bytesTotal >= 0 && m_req.offset == m_req.bytesTotal && m_req.offset > 0) {
        // Everything was already here when the engine stopped.
        m_done = true;
        m_part.close();
        emit finished(m_req.ticket, m_req.offset, m_req.etag, m_req.lastModified);
        return;
    }
    sendRequest();
}

void Transfer::sendRequest()
{
    QNetworkRequest request(m_req.url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setMaximumRedirectsAllowed(MaxRedirects);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setTransferTimeout(StallTimeoutMs);
    request.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("Ferry/0.1"));
    request.setRawHeader("Accept-Encoding", "identity"); // bytes as stored: ranges stay meaningful
    for (const QString &header : std::as_const(m_req.headers)) {
        const qsizetype colon = header.indexOf(QLatin1Char(':'));
        if (colon > 0)
            request.setRawHeader(header.left(colon).trimmed().toLatin1(), header.mid(colon + 1).trimmed().toLatin1());
    }
    if (m_part.offset() > 0) {
        request.setRawHeader("Range", "bytes=" + QByteArray::number(m_part.offset()) + '-');
        if (isStrongEtag(m_req.etag))
            request.setRawHeader("If-Range", m_req.etag.toLatin1());
        else if (!m_req.lastModified.isEmpty())
            request.setRawHeader("If-Range", m_req.lastModified.toLatin1());
    }
    m_accepted = false;
    m_reply = m_nam->get(request);
    m_reply->setReadBufferSize(ReadBufferSize);
    connect(m_reply, &QNetworkReply::metaDataChanged, this, &Transfer::onMetaData);
    connect(m_reply, &QNetworkReply::readyRead, this, &Transfer::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &Transfer::onFinished);
    m_sinceCheckpoint.start();
    m_sinceProgress.start();
}

void Transfer::stop()
{
    if (m_done)
        return;
    m_done = true;
    dropReply();
    checkpoint();
    m_part.close();
}

// Abandons the current reply without hearing from it again.
void Transfer::dropReply()
{
    if (!m_reply)
        return;
    m_reply->disconnect(this);
    m_reply->abort();
    m_reply->deleteLater();
    m_reply = nullptr;
}

void Transfer::onMetaData()
{
    if (m_accepted || m_done || !m_reply)
        return;
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status >= 300 && status < 400)
        return; // a redirect being followed
    if (acceptResponse(status)) {
        // Reserve the disk space now: a full disk shows at once, not after hours of downloading.
        if (m_req.bytesTotal > 0 && !m_part.reserve(m_req.bytesTotal))
            return failLocal();
        m_accepted = true;
        emit responded(m_req.ticket);
    }
}

bool Transfer::acceptResponse(int status)
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
    const qint64 offset = m_part.offset();

    if (status == 206) {
        static const QRegularExpression rangeRe(QStringLiteral("^bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)$"));
        const auto m = rangeRe.match(QString::fromLatin1(m_reply->rawHeader("Content-Range")).trimmed());
        if (!m.hasMatch() || m.captured(1).toLongLong() != offset) {
            finishWith({{ErrorContext::RemoteFile, hr::BG_E_INVALID_SERVER_RESPONSE,
                         QStringLiteral("the server answered a range request with the wrong range (%1)")
                             .arg(QString::fromLatin1(m_reply->rawHeader("Content-Range"))),
                         m_req.fileIndex},
                        false, 0});
            return false;
        }
        if (m.captured(3) != QLatin1String("*"))
            m_req.bytesTotal = m.captured(3).toLongLong();
        if (!etag.isEmpty())
            m_req.etag = etag;
        if (!lastModified.isEmpty())
            m_req.lastModified = lastModified;
        return true;
    }
    if (status == 200) {
        if (offset > 0) {
            const bool changed = (!etag.isEmpty() && etag != m_req.etag)
                                 || (etag.isEmpty() && !lastModified.isEmpty() && lastModified != m_req.lastModified);
            m_req.etag = etag;
            m_req.lastModified = lastModified;
            m_req.bytesTotal = length;
            if (!restartFromZero(changed ? QStringLiteral("the file changed on the server; restarting it from the beginning")
                                         : QStringLiteral("the server ignored the range request; restarting the "
                                                          "file from the beginning")))
                return false;
            return true;
        }
        m_req.etag = etag;
        m_req.lastModified = lastModified;
        m_req.bytesTotal = length;
        record(0);
        return true;
    }
    if (status == 416 && offset > 0) {
        // Our offset is at or past the end: either we already have it all, or the file shrank.
        static const QRegularExpression totalRe(QStringLiteral("^bytes\\s+\\*/(\\d+)$"));
        const auto m = totalRe.match(QString::fromLatin1(m_reply->rawHeader("Content-Range")).trimmed());
        if (m.hasMatch() && m.captured(1).toLongLong() == offset && m_req.bytesTotal == offset) {
            dropReply();
            m_done = true;
            checkpoint();
            m_part.close();
            emit finished(m_req.ticket, offset, m_req.etag, m_req.lastModified);
            return false;
        }
        dropReply();
        m_req.etag.clear();
        m_req.lastModified.clear();
        if (restartFromZero(QStringLiteral("the file shrank on the server; restarting it from the beginning")))
            sendRequest();
        return false;
    }
    TransferFailure f;
    f.error = {ErrorContext::RemoteFile, httpError(status),
               QStringLiteral("HTTP %1 %2")
                   .arg(status)
                   .arg(m_reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString()),
               m_req.fileIndex};
    f.transient = transientHttpStatus(status);
    f.retryAfterSeconds = retryAfterSeconds(m_reply);
    finishWith(f);
    return false;
}

bool Transfer::restartFromZero(const QString &why)
{
    qCWarning(lcTransfer).noquote() << m_req.url.toDisplayString() << why;
    if (!m_part.restart()) {
        failLocal();
        return false;
    }
    // Record the restart before any new byte lands, so old and new content never mix.
    record(0);
    emit warned(m_req.ticket, why);
    reportProgress(true);
    return true;
}

void Transfer::onReadyRead()
{
    if (!m_accepted || m_done || !m_reply)
        return;
    // One buffer for the life of the transfer: no allocation (and no page faults) per chunk.
    if (m_buffer.size() != ReadBufferSize)
        m_buffer.resize(ReadBufferSize);
    while (m_reply->bytesAvailable() > 0) {
        const qint64 n = m_reply->read(m_buffer.data(), ReadBufferSize);
        if (n <= 0)
            break;
        if (!writeChunk(m_buffer.constData(), n))
            return;
    }
    if (m_sinceCheckpoint.elapsed() >= m_req.checkpointMs && !checkpoint())
        return failLocal();
    reportProgress(false);
}

// Writes in pieces so that no more than checkpointBytes are ever written past the last checkpoint.
bool Transfer::writeChunk(const char *data, qint64 size)
{
    qint64 left = size;
    while (left > 0) {
        const qint64 room = qMax<qint64>(1, m_req.checkpointBytes - m_part.pending());
        const qint64 n = qMin(left, room);
        if (!m_part.write(data, n)) {
            failLocal();
            return false;
        }
        data += n;
        left -= n;
        if (m_part.pending() >= m_req.checkpointBytes && !checkpoint()) {
            failLocal();
            return false;
        }
    }
    return true;
}

bool Transfer::checkpoint()
{
    if (m_part.pending() == 0)
        return true;
    if (!m_part.checkpoint(m_req.syncCheckpoints))
        return false;
    m_sinceCheckpoint.start();
    record(m_part.durable());
    return true;
}

void Transfer::record(qint64 offset)
{
    m_log->record(m_req.jobId, m_req.fileIndex, offset, m_req.bytesTotal, m_req.etag, m_req.lastModified);
    m_last = {offset, m_req.bytesTotal, m_req.etag, m_req.lastModified};
    emit checkpointed(m_req.ticket, m_last);
}

void Transfer::reportProgress(bool force)
{
    if (!force && m_sinceProgress.elapsed() < ProgressIntervalMs)
        return;
    m_sinceProgress.start();
    emit progressed(m_req.ticket, m_part.offset(), m_req.bytesTotal);
}

void Transfer::onFinished()
{
    if (m_done || !m_reply)
        return;
    QNetworkReply *reply = m_reply;
    reply->deleteLater();
    if (reply->error() != QNetworkReply::NoError) {
        onReadyRead(); // keep whatever arrived before the failure
        if (m_done)
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (!m_accepted && status >= 400) {
            acceptResponse(status);
            return;
        }
        TransferFailure f = classifyNetworkError(reply->error(), reply->errorString());
        f.error.fileIndex = m_req.fileIndex;
        return finishWith(f);
    }
    if (!m_accepted) {
        // A response with no body never signals metaDataChanged before finished.
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (!acceptResponse(status))
            return;
        m_accepted = true;
        emit responded(m_req.ticket);
    }
    onReadyRead();
    if (m_done)
        return;
    if (m_req.bytesTotal >= 0 && m_part.offset() < m_req.bytesTotal) {
        return finishWith({{ErrorContext::GeneralTransport, hr::E_HTTP_CONNECTION_ERROR,
                            QStringLiteral("the connection closed after %1 of %2 bytes")
                                .arg(m_part.offset())
                                .arg(m_req.bytesTotal),
                            m_req.fileIndex},
                           true, 0});
    }
    if (m_req.bytesTotal >= 0 && m_part.offset() > m_req.bytesTotal) {
        m_part.restart();
        m_req.bytesTotal = -1;
        m_req.etag.clear();
        m_req.lastModified.clear();
        record(0);
        return finishWith({{ErrorContext::RemoteFile, hr::BG_E_INVALID_SERVER_RESPONSE,
                            QStringLiteral("the server sent more bytes than it announced"), m_req.fileIndex},
                           true, 0});
    }
    m_req.bytesTotal = m_part.offset();
    if (!checkpoint())
        return failLocal();
    m_done = true;
    m_part.close();
    emit finished(m_req.ticket, m_req.bytesTotal, m_req.etag, m_req.lastModified);
}

void Transfer::finishWith(const TransferFailure &failure)
{
    if (m_done)
        return;
    m_done = true;
    dropReply();
    checkpoint();
    m_part.close();
    emit failed(m_req.ticket, failure);
}

void Transfer::failLocal()
{
    TransferFailure f;
    const QString why = m_part.errorString().isEmpty()
                            ? QStringLiteral("cannot act as the job's owner to open %1").arg(m_req.tempName)
                            : m_part.errorString();
    f.error = {ErrorContext::LocalFile, m_part.diskFull() ? hr::E_DISK_FULL : hr::E_ACCESSDENIED, why, m_req.fileIndex};
    f.transient = false;
    finishWith(f);
}

} // namespace ferry
