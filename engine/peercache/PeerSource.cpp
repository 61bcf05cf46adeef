#include "peercache/PeerSource.h"

#include "core/HttpRequest.h"
#include "core/Sha256.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSslCipher>
#include <QSslConfiguration>
#include <QSslPreSharedKeyAuthenticator>

namespace ferry::peercache {

Q_LOGGING_CATEGORY(lcPeers, "ferry.peers")

namespace {

QByteArray sha256Of(const QByteArray &data)
{
    Sha256 h;
    h.add(data.constData(), data.size());
    return h.result();
}

qint64 lastLength(const QByteArray &header)
{
    bool ok = false;
    const qint64 n = header.split(',').constLast().trimmed().toLongLong(&ok);
    return ok ? n : -1;
}

} // namespace

PeerSource::PeerSource(PeerPlan plan, QUrl url, QStringList headers, QNetworkAccessManager *originNam,
                       QNetworkAccessManager *peerNam, QObject *parent)
    : DataSource(parent)
    , m_plan(std::move(plan))
    , m_url(std::move(url))
    , m_headers(std::move(headers))
    , m_originNam(originNam)
    , m_peerNam(peerNam)
{
}

PeerSource::~PeerSource()
{
    stop();
}

void PeerSource::start(const HeldFile &held)
{
    m_held = held;
    m_out.offset = held.offset;
    if (held.offset % Manifest::BlockSize != 0)
        return finish(QStringLiteral("the file resumes mid-block; peers are not asked"));
    probe(false);
}

void PeerSource::stop()
{
    m_done = true;
    dropReply();
}

void PeerSource::dropReply()
{
    abandonReply(m_reply, this);
}

// Before any peer is asked, the origin answers for itself (docs/peer-caching.md §4): its
// validators and digests are what the peers' bytes must match. No answer, no peers.
void PeerSource::probe(bool ranged)
{
    QNetworkRequest request(m_url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setTransferTimeout(StallTimeoutMs);
    addCustomHeaders(request, m_headers);
    request.setRawHeader("Accept-Encoding", "identity");
    request.setRawHeader("Cache-Control", "no-cache");
    request.setRawHeader("Want-Repr-Digest", "sha-256=10, sha-512=5");
    request.setRawHeader("Want-Digest", "SHA-256;q=1, MD5;q=0.1");
    if (ranged) {
        request.setRawHeader("Range", "bytes=0-0");
        m_reply = m_originNam->get(request);
    } else {
        m_reply = m_originNam->head(request);
    }
    m_reply->setProperty("ranged", ranged);
    connect(m_reply, &QNetworkReply::finished, this, &PeerSource::onProbed);
}

OriginFacts PeerSource::factsOf(const QNetworkReply *reply)
{
    OriginFacts f;
    f.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    QList<std::pair<QByteArray, QByteArray>> headers;
    for (const auto &[name, value] : reply->rawHeaderPairs())
        headers.append({name.toLower(), value});
    const auto header = [&](const char *name) {
        for (const auto &[n, v] : std::as_const(headers))
            if (n == name)
                return v;
        return QByteArray();
    };
    if (f.status == 206) {
        static const QRegularExpression total(QStringLiteral("/(\\d+)\\s*$"));
        const auto m = total.match(QString::fromLatin1(header("content-range")));
        f.size = m.hasMatch() ? m.captured(1).toLongLong() : -1;
    } else {
        f.size = lastLength(header("content-length"));
    }
    f.etag = QString::fromLatin1(header("etag"));
    f.lastModified = QString::fromLatin1(header("last-modified"));
    f.date = QString::fromLatin1(header("date"));
    f.contentEncoding = QString::fromLatin1(header("content-encoding"));
    f.cacheControl = QString::fromLatin1(header("cache-control"));
    f.digests = parseDigests(headers);
    return f;
}

void PeerSource::onProbed()
{
    QNetworkReply *reply = m_reply;
    if (m_done || !reply)
        return;
    m_reply = nullptr;
    reply->deleteLater();
    const bool ranged = reply->property("ranged").toBool();
    const OriginFacts facts = factsOf(reply);
    if (!ranged && (facts.status == 405 || facts.status == 501 || (facts.status / 100 == 2 && facts.size < 0)))
        return probe(true); // a HEAD the origin will not answer usefully: one byte by GET instead
    if (reply->error() != QNetworkReply::NoError && facts.status / 100 != 2)
        return finish(QStringLiteral("the origin did not answer the probe (%1): no peers without it").arg(reply->errorString()));
    m_out.facts = facts;
    m_out.probed = true;
    if (m_out.offset > 0 && (facts.etag != m_held.etag || facts.lastModified != m_held.lastModified)) {
        m_restartWhy = QStringLiteral("the file changed on the server; restarting it from the beginning");
        m_out.offset = 0; // the held bytes are another version's: the peers' copy starts at 0
    }
    const QString why = ineligibility(facts);
    if (!why.isEmpty())
        return finish(QStringLiteral("not peer-eligible: %1").arg(why));
    const bool strong = std::any_of(facts.digests.cbegin(), facts.digests.cend(), [](const OriginDigest &d) { return d.strong; });
    if (m_plan.requireOriginDigest && !strong)
        return finish(QStringLiteral("the origin gives no strong digest and requireOriginDigest is on"));
    for (const QString &key : {contentKeyD(facts), contentKeyV(m_url, facts)}) {
        if (key.isEmpty())
            continue;
        m_keys << key;
        m_ids << lookupId(m_plan.lookupKey, key);
    }
    if (m_ids.isEmpty())
        return finish(QStringLiteral("no content key"));
    if (m_plan.peers.isEmpty())
        return finish(QStringLiteral("no peers known yet"));
    askNextPeer();
}

QNetworkReply *PeerSource::peerGet(const QString &path, qint64 rangeFrom)
{
    QUrl url;
    url.setScheme(QStringLiteral("https"));
    url.setHost(m_peer.host);
    url.setPort(m_peer.tlsPort);
    url.setPath(path.section(QLatin1Char('?'), 0, 0));
    if (path.contains(QLatin1Char('?')))
        url.setQuery(path.section(QLatin1Char('?'), 1));
    QNetworkRequest request(url);
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2);
    tls.setCiphers({QSslCipher(QStringLiteral("ECDHE-PSK-CHACHA20-POLY1305")), QSslCipher(QStringLiteral("PSK-AES256-GCM-SHA384"))});
    tls.setPeerVerifyMode(QSslSocket::VerifyNone); // PSK suites only: no key, no handshake
    request.setSslConfiguration(tls);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setTransferTimeout(StallTimeoutMs);
    if (rangeFrom >= 0)
        request.setRawHeader("Range", "bytes=" + QByteArray::number(rangeFrom) + '-');
    QNetworkReply *reply = m_peerNam->get(request);
    reply->setReadBufferSize(4 * Manifest::BlockSize);
    // The peer manager is shared (ConnectionPool::peers): the group key goes with each reply.
    connect(reply, &QNetworkReply::preSharedKeyAuthenticationRequired, this, [this](QSslPreSharedKeyAuthenticator *auth) {
        auth->setIdentity(m_plan.pskIdentity);
        auth->setPreSharedKey(m_plan.pskKey);
    });
    return reply;
}

void PeerSource::askNextPeer()
{
    if (m_done)
        return;
    if (m_nextPeer >= qMin(int(m_plan.peers.size()), MaxPeersTried))
        return finish(m_out.bytesFromPeers > 0 ? QStringLiteral("no other peer holds the rest; the origin supplies it")
                                                : QStringLiteral("no peer holds the file"));
    m_peer = m_plan.peers[m_nextPeer++];
    m_reply = peerGet(QStringLiteral("/v1/has?ids=") + m_ids.join(QLatin1Char(',')));
    connect(m_reply, &QNetworkReply::finished, this, &PeerSource::onHas);
}

void PeerSource::onHas()
{
    QNetworkReply *reply = m_reply;
    if (m_done || !reply)
        return;
    m_reply = nullptr;
    reply->deleteLater();
    const QJsonArray held = QJsonDocument::fromJson(reply->readAll()).array();
    m_id.clear();
    for (int i = 0; i < m_ids.size() && m_id.isEmpty(); ++i) {
        if (held.contains(QJsonValue(m_ids[i]))) {
            m_id = m_ids[i];
            m_key = m_keys[i];
        }
    }
    if (reply->error() != QNetworkReply::NoError || m_id.isEmpty())
        return askNextPeer();
    m_reply = peerGet(QStringLiteral("/v1/m/") + m_id);
    connect(m_reply, &QNetworkReply::finished, this, &PeerSource::onManifest);
}

// The manifest is trusted only after its MAC, then only if it describes what the origin just
// described: the key we looked up, the size, and the origin's own SHA-256 when it gave one.
void PeerSource::onManifest()
{
    QNetworkReply *reply = m_reply;
    if (m_done || !reply)
        return;
    m_reply = nullptr;
    reply->deleteLater();
    if (reply->error() != QNetworkReply::NoError)
        return askNextPeer();
    QString error;
    const auto manifest = Manifest::decode(reply->readAll(), m_plan.manifestKey, &error);
    QString wrong;
    if (!manifest)
        wrong = error;
    else if (m_key.startsWith(QLatin1String("sha256:")) ? manifest->contentKeyD != m_key : manifest->contentKeyV != m_key)
        wrong = QStringLiteral("the manifest is for other content");
    else if (manifest->size != m_out.facts.size)
        wrong = QStringLiteral("the manifest's size %1 is not the origin's %2").arg(manifest->size).arg(m_out.facts.size);
    for (const OriginDigest &d : std::as_const(m_out.facts.digests))
        if (wrong.isEmpty() && manifest && d.strong && d.algorithm == QLatin1String("sha-256") && d.value != manifest->fileSha256)
            wrong = QStringLiteral("the manifest's SHA-256 is not the origin's");
    if (!wrong.isEmpty()) {
        qCWarning(lcPeers).noquote() << "peer" << m_peer.peerId << "at" << m_peer.host << "sent a bad manifest:" << wrong;
        m_out.verdicts << PeerVerdict{m_peer.peerId, true, wrong};
        return askNextPeer();
    }
    m_out.manifest = manifest;
    m_blockIndex = int(m_out.offset / Manifest::BlockSize);
    if (m_blockIndex >= manifest->blockCount())
        return finish({});
    m_pending.clear();
    m_rangeFrom = m_out.offset;
    m_expected = manifest->size - m_out.offset;
    m_received = 0;
    m_framingChecked = false;
    m_reply = peerGet(QStringLiteral("/v1/c/") + m_id, m_out.offset);
    connect(m_reply, &QNetworkReply::readyRead, this, &PeerSource::onBlocksReadable);
    connect(m_reply, &QNetworkReply::finished, this, &PeerSource::onBlocksFinished);
}

// What is wrong with how the block response is framed, if anything: it must carry exactly the
// range asked for (Content-Range and Content-Length, when given, must say so).
QString PeerSource::framingProblem() const
{
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const qint64 size = m_out.manifest->size;
    if (status == 206) {
        const QByteArray expected = "bytes " + QByteArray::number(m_rangeFrom) + '-' + QByteArray::number(size - 1) + '/'
                                    + QByteArray::number(size);
        if (m_reply->rawHeader("Content-Range").trimmed() != expected)
            return QStringLiteral("its Content-Range is not the range asked for");
    }
    if (m_reply->hasRawHeader("Content-Length")) {
        bool ok = false;
        const qint64 length = m_reply->rawHeader("Content-Length").trimmed().toLongLong(&ok);
        if (!ok || length != m_expected)
            return QStringLiteral("it announced %1 bytes for a range of %2").arg(QString::fromLatin1(m_reply->rawHeader("Content-Length")))
                .arg(m_expected);
    }
    return {};
}

void PeerSource::onBlocksReadable()
{
    if (m_done || !m_reply)
        return;
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 206 && !(status == 200 && m_out.offset == 0)) {
        qCInfo(lcPeers).noquote() << "peer" << m_peer.peerId << "answered the block request with HTTP" << status;
        return nextPeerForTheRest();
    }
    if (!m_framingChecked) {
        m_framingChecked = true;
        if (const QString why = framingProblem(); !why.isEmpty())
            return protocolViolation(why);
    }
    // Never more than the range: whatever a peer sends past it is not read, only noticed.
    const QByteArray data = m_reply->read(qMin(m_reply->bytesAvailable(), m_expected - m_received));
    m_received += data.size();
    m_pending += data;
    if (!takeBlocks(false) || m_done || !m_reply)
        return;
    if (m_received >= m_expected && m_reply->bytesAvailable() > 0)
        protocolViolation(QStringLiteral("it sent more than the range asked for"));
}

// A peer that breaks the protocol is struck like one that sent a bad block; its connection is
// dropped at once. Blocks already verified are kept.
void PeerSource::protocolViolation(const QString &why)
{
    qCWarning(lcPeers).noquote() << "peer" << m_peer.peerId << "at" << m_peer.host << "broke the protocol:" << why;
    m_out.verdicts << PeerVerdict{m_peer.peerId, false, why};
    if (m_out.manifest && m_blockIndex >= m_out.manifest->blockCount())
        return finish({});
    nextPeerForTheRest();
}

void PeerSource::onBlocksFinished()
{
    QNetworkReply *reply = m_reply;
    if (m_done || !reply)
        return;
    onBlocksReadable();
    if (m_done || m_reply != reply)
        return;   // finished, or gone on to the next peer
    const bool complete = m_out.manifest && m_blockIndex >= m_out.manifest->blockCount();
    if (complete)
        return finish({});
    qCInfo(lcPeers).noquote() << "peer" << m_peer.peerId << "stopped at" << m_out.offset << ":" << reply->errorString();
    nextPeerForTheRest();
}

// A peer that sent a bad block, stalled or stopped: the next peer that holds the file is asked
// for the rest (docs/peer-caching.md §8); with none left, the origin supplies it.
void PeerSource::nextPeerForTheRest()
{
    dropReply();
    m_pending.clear();
    askNextPeer();
}

// Hands on every complete block whose hash matches; the first that does not ends the peer's
// part at once (nothing of it is written) and strikes the peer.
bool PeerSource::takeBlocks(bool)
{
    const Manifest &m = *m_out.manifest;
    while (m_blockIndex < m.blockCount() && m_pending.size() >= m.blockLength(m_blockIndex)) {
        const qint64 length = m.blockLength(m_blockIndex);
        const QByteArray bytes = m_pending.left(length);
        if (sha256Of(bytes) != m.blocks[m_blockIndex]) {
            const QString why = QStringLiteral("block %1 does not match the manifest").arg(m_blockIndex);
            qCWarning(lcPeers).noquote() << "peer" << m_peer.peerId << "at" << m_peer.host << ":" << why;
            m_out.verdicts << PeerVerdict{m_peer.peerId, false, why};
            nextPeerForTheRest();
            return false;
        }
        m_pending.remove(0, length);
        m_out.offset += length;
        m_out.bytesFromPeers += length;
        ++m_blockIndex;
        if (!m_answered) {
            m_answered = true;
            emit answered({m_out.offset - length, m_restartWhy, m_out.facts.size, m_out.facts.etag, m_out.facts.lastModified, {}});
            if (m_done)
                return false;
        }
        emit data(bytes);
        if (m_done)
            return false;
    }
    return true;
}

void PeerSource::finish(const QString &note)
{
    if (m_done)
        return;
    m_done = true;
    dropReply();
    m_out.note = note;
    if (m_out.bytesFromPeers > 0)
        m_out.peerId = m_peer.peerId;
    if (!note.isEmpty())
        qCInfo(lcPeers).noquote() << m_url.toDisplayString() << ":" << note;
    emit finished();
}

} // namespace ferry::peercache
