#include "transfer/Transfer.h"

#include "core/Sha256.h"
#include "owner/OwnedFile.h"
#include "store/JobStore.h"
#include "transfer/TransferPolicy.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>

namespace ferry {

Q_LOGGING_CATEGORY(lcTransfer, "ferry.transfer")

namespace {

constexpr int ProgressIntervalMs = 250;

// SHA-512 or MD5 of the first SIZE bytes of an open file, raw; empty for another algorithm or
// an unreadable file.
QByteArray otherDigest(int fd, qint64 size, const QString &algorithm)
{
    const auto kind = algorithm == QLatin1String("sha-512") ? QCryptographicHash::Sha512
                      : algorithm == QLatin1String("md5")   ? QCryptographicHash::Md5
                                                            : std::optional<QCryptographicHash::Algorithm>();
    if (!kind)
        return {};
    QCryptographicHash hash(*kind);
    const Status s = readAllOf(fd, size, QString(), [&hash](const char *data, qint64 n) { hash.addData(QByteArrayView(data, n)); });
    return s ? hash.result() : QByteArray();
}

} // namespace

Transfer::Transfer(TransferRequest request, QNetworkAccessManager *nam, QNetworkAccessManager *peerNam, CheckpointLog *log,
                   QObject *parent)
    : QObject(parent)
    , m_req(std::move(request))
    , m_nam(nam)
    , m_peerNam(peerNam)
    , m_log(log)
    , m_part(m_req.tempName)
    , m_origin(new OriginSource(m_req.url, m_req.headers, m_req.credentials, m_req.securityFlags, m_req.http2, m_req.fileIndex,
                                nam, this))
{
    connect(m_origin, &OriginSource::metaDataChanged, this, &Transfer::onMetaData);
    connect(m_origin, &OriginSource::readyRead, this, &Transfer::onReadyRead);
    connect(m_origin, &OriginSource::finished, this, &Transfer::onFinished);
    connect(m_origin, &OriginSource::warned, this, [this](const QString &message) { tell(transferevent::Warned{message}); });
}

Transfer::~Transfer()
{
    stop();
}

void Transfer::start()
{
    if (!m_part.open(m_req.offset, m_req.owner))
        return failLocal();
    if (m_part.offset() != m_req.offset)
        record(m_part.offset());
    m_req.offset = m_part.offset();
    m_last = {m_part.offset(), m_req.bytesTotal, m_req.etag, m_req.lastModified};
    if (m_req.bytesTotal >= 0 && m_req.offset == m_req.bytesTotal && m_req.offset > 0)
        return completeFile(); // everything was already here when the engine stopped
    if (m_req.peerPlan.use)
        return startFromPeers();
    sendRequest();
}

// Peers first (docs/peer-caching.md §8): the PeerSource hands over verified blocks in order; the
// origin is asked for whatever is left once it is done.
void Transfer::startFromPeers()
{
    m_peerSource = new peercache::PeerSource(m_req.peerPlan, m_req.url, m_req.headers, m_nam, m_peerNam, this);
    connect(m_peerSource, &peercache::PeerSource::block, this, &Transfer::onPeerBlock);
    connect(m_peerSource, &peercache::PeerSource::finished, this, &Transfer::onPeerFinished);
    m_peerSource->start(m_part.offset());
}

void Transfer::onPeerBlock(const QByteArray &data)
{
    if (m_done)
        return;
    if (m_peerBytes == 0) {
        // The blocks are the origin's bytes as it just described them: its validators and size
        // go with them, and bytes kept from an older version of the file must not stay.
        const peercache::OriginFacts &facts = m_peerSource->facts();
        if (m_part.offset() > 0 && (facts.etag != m_req.etag || facts.lastModified != m_req.lastModified)) {
            m_peerSource->stop();
            if (restartFromZero(QStringLiteral("the file changed on the server; restarting it from the beginning")))
                startFromPeers();
            return;
        }
        m_req.etag = facts.etag;
        m_req.lastModified = facts.lastModified;
        m_req.bytesTotal = facts.size;
        if (m_req.bytesTotal > 0 && !m_part.reserve(m_req.bytesTotal))
            return failLocal();
        if (!ensureHash())
            return;
        if (m_part.offset() == 0)
            record(0);
        tell(transferevent::Responded{});
    }
    if (!writeChunk(data.constData(), data.size()))
        return;
    m_peerBytes += data.size();
    if (m_sinceCheckpoint.elapsed() >= m_req.checkpointMs && !checkpoint())
        return failLocal();
    reportProgress(false);
}

void Transfer::onPeerFinished(const peercache::PeerOutcome &outcome)
{
    m_peerSource->deleteLater();
    m_peerSource = nullptr;
    if (!outcome.verdicts.isEmpty())
        tell(transferevent::PeerVerdicts{outcome.verdicts});
    m_facts = outcome.facts;
    if (m_peerBytes > 0) {
        m_manifest = outcome.manifest;
        m_peerId = outcome.peerId;
    }
    if (m_done)
        return;
    if (m_peerBytes > 0 && m_req.bytesTotal >= 0 && m_part.offset() >= m_req.bytesTotal) {
        identify();
        return completeFile(); // every byte came from peers
    }
    sendRequest();
}

// What the origin's answer makes of this file for the peer cache (its content keys, or why it
// may not be cached): from the transfer's own response, or the probe when peers did it all.
void Transfer::identify()
{
    peercache::OriginFacts facts = originReply() ? peercache::PeerSource::factsOf(originReply()) : m_facts;
    if (facts.status == 206) // Content-MD5 of a partial answer is the part's, not the file's
        facts.digests.removeIf([](const peercache::OriginDigest &d) { return !d.strong; });
    if (facts.status == 206 || facts.size < 0)
        facts.size = m_req.bytesTotal;
    if (!facts.digests.isEmpty() || m_facts.digests.isEmpty())
        m_facts.digests = facts.digests;
    facts.digests = m_facts.digests;
    QStringList keys;
    const QString why = peercache::ineligibility(facts);
    if (why.isEmpty())
        for (const QString &key : {peercache::contentKeyD(facts), peercache::contentKeyV(m_req.url, facts)})
            if (!key.isEmpty())
                keys << key;
    tell(transferevent::Identified{keys, why});
}

void Transfer::sendRequest()
{
    m_accepted = false;
    m_origin->get(m_part.offset(), m_req.etag, m_req.lastModified);
    m_sinceCheckpoint.start();
    m_sinceProgress.start();
}

void Transfer::stop()
{
    if (m_done)
        return;
    m_done = true;
    if (m_peerSource)
        m_peerSource->stop();
    dropReply();
    checkpoint();
    m_part.close();
}

// Abandons the current reply without hearing from it again.
void Transfer::dropReply()
{
    m_origin->drop();
}

void Transfer::onMetaData()
{
    if (m_accepted || m_done || !originReply())
        return;
    const int status = originReply()->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status >= 300 && status < 400)
        return; // a redirect being followed
    if (acceptResponse(status)) {
        // Reserve the disk space now: a full disk shows at once, not after hours of downloading.
        if (m_req.bytesTotal > 0 && !m_part.reserve(m_req.bytesTotal))
            return failLocal();
        accepted();
    }
}

void Transfer::accepted()
{
    m_accepted = true;
    identify();
    if (needsHash() && !ensureHash())
        return;
    if ((m_req.securityFlags & security::RedirectMask) == security::RedirectAllowReport && m_origin->currentUrl() != m_req.url)
        tell(transferevent::Redirected{m_origin->currentUrl()});
    tell(transferevent::Responded{});
}

bool Transfer::acceptResponse(int status)
{
    const QString etag = QString::fromLatin1(originReply()->rawHeader("ETag"));
    const QString lastModified = QString::fromLatin1(originReply()->rawHeader("Last-Modified"));
    // After a followed redirect Qt 6.4 may keep the redirect's length too ("46, 300000"): the
    // final response's value is the last one.
    const QByteArray lengthHeader = originReply()->rawHeader("Content-Length");
    bool lengthOk = false;
    qint64 length = lengthHeader.split(',').constLast().trimmed().toLongLong(&lengthOk);
    if (!lengthOk)
        length = -1;
    const qint64 offset = m_part.offset();

    if (status == 206) {
        static const QRegularExpression rangeRe(QStringLiteral("^bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)$"));
        const auto m = rangeRe.match(QString::fromLatin1(originReply()->rawHeader("Content-Range")).trimmed());
        if (!m.hasMatch() || m.captured(1).toLongLong() != offset) {
            finishWith({{ErrorContext::RemoteFile, hr::BG_E_INVALID_SERVER_RESPONSE,
                         QStringLiteral("the server answered a range request with the wrong range (%1)")
                             .arg(QString::fromLatin1(originReply()->rawHeader("Content-Range"))),
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
        const auto m = totalRe.match(QString::fromLatin1(originReply()->rawHeader("Content-Range")).trimmed());
        if (m.hasMatch() && m.captured(1).toLongLong() == offset && m_req.bytesTotal == offset) {
            dropReply();
            completeFile();
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
    QString text = QStringLiteral("HTTP %1 %2").arg(status).arg(originReply()->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString());
    if (status >= 300 && status < 400)
        text += QStringLiteral(": the server redirects to %1 and the job's security flags disallow redirects")
                    .arg(m_origin->currentUrl().resolved(originReply()->attribute(QNetworkRequest::RedirectionTargetAttribute).toUrl()).toDisplayString());
    if (status == 401)
        text += m_origin->holdsCredentials(AuthTarget::Server) ? QStringLiteral(": the server refused the job's credentials")
                                                     : QStringLiteral(": the server wants credentials (ferry-admin setcredentials JOB SERVER ...)");
    f.error = {ErrorContext::RemoteFile, httpError(status), text, m_req.fileIndex};
    f.transient = transferpolicy::transientHttpStatus(status);
    f.retryAfterSeconds = transferpolicy::retryAfterSeconds(originReply()->rawHeader("Retry-After"));
    finishWith(f);
    return false;
}

bool Transfer::restartFromZero(const QString &why)
{
    qCWarning(lcTransfer).noquote() << m_req.url.toDisplayString() << why;
    m_hash.reset(); // the next bytes start a new file
    if (!m_part.restart()) {
        failLocal();
        return false;
    }
    // Record the restart before any new byte lands, so old and new content never mix.
    record(0);
    tell(transferevent::Warned{why});
    reportProgress(true);
    return true;
}

void Transfer::onReadyRead()
{
    if (!m_accepted || m_done || !originReply())
        return;
    // One buffer for the life of the transfer: no allocation (and no page faults) per chunk.
    if (m_buffer.size() != ReadBufferSize)
        m_buffer.resize(ReadBufferSize);
    while (originReply()->bytesAvailable() > 0) {
        const qint64 n = originReply()->read(m_buffer.data(), ReadBufferSize);
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
        if (m_hash)
            m_hash->add(data, n);
        data += n;
        left -= n;
        if (m_part.pending() >= m_req.checkpointBytes && !checkpoint()) {
            failLocal();
            return false;
        }
    }
    return true;
}

// Whether this file's SHA-256 will be needed: to check peer blocks, an origin digest, or for the
// peer cache.
bool Transfer::needsHash() const
{
    return m_req.hashForCache || m_req.peerPlan.use || !m_facts.digests.isEmpty();
}

// The file's SHA-256 comes from the bytes as they are written, and for bytes already there when
// hashing starts (a resumed file) from the part file's own descriptor: never from its path, which
// the owner may have pointed at a FIFO or someone else's file meanwhile (docs/security.md).
bool Transfer::ensureHash()
{
    if (m_hash)
        return true;
    m_hash = std::make_unique<Sha256>();
    const Status s = readAllOf(m_part.handle(), m_part.offset(), m_req.tempName,
                               [this](const char *data, qint64 size) { m_hash->add(data, size); });
    if (s)
        return true;
    m_hash.reset();
    finishWith({{ErrorContext::LocalFile, s.code, s.message, m_req.fileIndex}, false, 0});
    return false;
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
    tell(transferevent::Checkpointed{m_last});
}

void Transfer::reportProgress(bool force)
{
    if (!force && m_sinceProgress.elapsed() < ProgressIntervalMs)
        return;
    m_sinceProgress.start();
    tell(transferevent::Progressed{m_part.offset(), m_req.bytesTotal});
}

void Transfer::onFinished()
{
    if (m_done || !originReply())
        return;
    QNetworkReply *reply = originReply();
    reply->deleteLater();
    const int answered = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (!m_accepted && answered >= 300 && answered < 400) {
        TransferFailure refusal;
        switch (m_origin->judgeRedirect(&refusal)) {
        case OriginSource::Redirect::Follow:
            return sendRequest();
        case OriginSource::Redirect::Refuse:
            return finishWith(refusal);
        case OriginSource::Redirect::AnswerAsError:
            break;
        }
    }
    if (reply->error() != QNetworkReply::NoError) {
        onReadyRead(); // keep whatever arrived before the failure
        if (m_done)
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (!m_accepted && status >= 400) {
            acceptResponse(status);
            return;
        }
        if (reply->error() == QNetworkReply::ProxyAuthenticationRequiredError)
            return finishWith({{ErrorContext::GeneralTransport, httpError(407),
                                m_origin->holdsCredentials(AuthTarget::Proxy)
                                    ? QStringLiteral("HTTP 407: the proxy refused the job's credentials")
                                    : QStringLiteral("HTTP 407: the proxy wants credentials (ferry-admin setcredentials JOB PROXY ...)"),
                                m_req.fileIndex},
                               false, 0});
        TransferFailure f = transferpolicy::classifyNetworkError(reply->error(), reply->errorString());
        if (reply->error() == QNetworkReply::SslHandshakeFailedError && !m_origin->certificateProblem().isEmpty())
            f.error.description = QStringLiteral("the server's certificate is not accepted: %1").arg(m_origin->certificateProblem());
        f.error.fileIndex = m_req.fileIndex;
        return finishWith(f);
    }
    if (!m_accepted) {
        // A response with no body never signals metaDataChanged before finished.
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (!acceptResponse(status))
            return;
        accepted();
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
    completeFile();
}

// The last check before a file counts as transferred (docs/peer-caching.md §8): with peer bytes
// in it, its SHA-256 must be the manifest's; whenever the origin gave a SHA-256, that must match
// too.
// A file that came together from peers and fails is fetched again from the origin alone.
void Transfer::completeFile()
{
    m_req.bytesTotal = m_part.offset();
    if (!checkpoint())
        return failLocal();
    PeerVerification verification = PeerVerification::OriginOnly;
    bool strongDigest = false;
    for (const peercache::OriginDigest &d : std::as_const(m_facts.digests))
        strongDigest = strongDigest || d.strong;
    QByteArray actual;
    if (needsHash() || m_hash) {
        if (!ensureHash())
            return;
        actual = m_hash->result();
        m_hash.reset();
    }
    if (m_peerBytes > 0 || !m_facts.digests.isEmpty()) {
        QString wrong;
        // Every digest the origin gave must match; SHA-512 and MD5 are rare enough for Qt's slower
        // hashes.
        for (const peercache::OriginDigest &d : std::as_const(m_facts.digests)) {
            const QByteArray got = d.algorithm == QLatin1String("sha-256") ? actual
                                                                           : otherDigest(m_part.handle(), m_req.bytesTotal, d.algorithm);
            if (wrong.isEmpty() && got != d.value)
                wrong = QStringLiteral("the file's %1 is not the one the origin published").arg(d.algorithm.toUpper());
        }
        if (wrong.isEmpty() && m_peerBytes > 0 && (!m_manifest || actual != m_manifest->fileSha256))
            wrong = QStringLiteral("the file assembled from peers does not match its manifest");
        if (!wrong.isEmpty() && m_peerBytes > 0) {
            tell(transferevent::PeerVerdicts{{{m_peerId, false, wrong}}});
            m_req.peerPlan.use = false;
            m_peerBytes = 0;
            m_manifest.reset();
            if (restartFromZero(wrong + QStringLiteral("; fetching it again from the origin")))
                sendRequest();
            return;
        }
        if (!wrong.isEmpty())
            return finishWith({{ErrorContext::RemoteFile, hr::BG_E_VALIDATION_FAILED, wrong, m_req.fileIndex}, false, 0});
        if (m_peerBytes > 0)
            verification = strongDigest ? PeerVerification::OriginStrong : PeerVerification::Group;
        else if (strongDigest)
            verification = PeerVerification::OriginStrong;
    }
    m_done = true;
    m_part.close();
    tell(transferevent::Sourced{m_peerBytes, verification, m_peerId, QString::fromLatin1(actual.toHex())});
    tell(transferevent::Finished{m_req.bytesTotal, m_req.etag, m_req.lastModified});
}

void Transfer::finishWith(const TransferFailure &failure)
{
    if (m_done)
        return;
    m_done = true;
    if (m_peerSource)
        m_peerSource->stop();
    dropReply();
    checkpoint();
    m_part.close();
    tell(transferevent::Failed{failure});
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
