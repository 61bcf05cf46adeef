#include "transfer/Transfer.h"

#include "core/Sha256.h"
#include "owner/OwnedFile.h"
#include "store/JobStore.h"
#include "transfer/TransferPolicy.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QNetworkAccessManager>

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
    , m_originLeg(m_origin)
{
    m_origin->setDynamicContent(m_req.dynamicContent);
    if (!m_req.ranges.isEmpty())
        m_originLeg = m_ranges = new RangeSource(m_req.ranges, m_origin, m_req.fileIndex, this);
    connect(m_origin, &OriginSource::responseHeaders, this,
            [this](const QByteArray &headers) { tell(transferevent::ResponseHeaders{headers}); });
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
    startSource(m_originLeg);
}

HeldFile Transfer::held() const
{
    return {m_part.offset(), m_req.bytesTotal, m_req.etag, m_req.lastModified};
}

// Every source is heard through the same five signals; only the one delivering now is listened
// to, so a source set aside can never write into the file.
void Transfer::startSource(DataSource *source)
{
    if (m_source)
        m_source->disconnect(this);
    m_source = source;
    m_answered = false;
    connect(source, &DataSource::answered, this, &Transfer::onAnswered);
    connect(source, &DataSource::data, this, &Transfer::onData);
    connect(source, &DataSource::finished, this, &Transfer::onSourceFinished);
    connect(source, &DataSource::failed, this, &Transfer::finishWith);
    connect(source, &DataSource::warned, this, [this](const QString &message) { tell(transferevent::Warned{message}); });
    m_sinceCheckpoint.start();
    m_sinceProgress.start();
    source->start(held());
}

// Peers first (docs/peer-caching.md §8): the PeerSource hands over verified blocks in order; the
// origin is asked for whatever is left once it is done.
void Transfer::startFromPeers()
{
    m_peers = new peercache::PeerSource(m_req.peerPlan, m_req.url, m_req.headers, m_nam, m_peerNam, this);
    startSource(m_peers);
}

// The source's bytes belong to the version of the file it names: its validators and size go
// with them, and bytes held from another version must not stay (restartFromZero).
void Transfer::onAnswered(const SourceAnswer &answer)
{
    if (m_done)
        return;
    m_answered = true;
    m_req.etag = answer.etag;
    m_req.lastModified = answer.lastModified;
    m_req.bytesTotal = answer.size;
    if (overMaxSize(answer.size))
        return;
    if (answer.offset != m_part.offset()) {
        if (!restartFromZero(answer.restartReason))
            return;
    } else if (answer.offset == 0) {
        record(0);
    }
    // Reserve the disk space now: a full disk shows at once, not after hours of downloading.
    if (m_req.bytesTotal > 0 && !m_part.reserve(m_req.bytesTotal))
        return failLocal();
    if (m_source == m_ranges) {
        // Slices of a file have no content key: nothing to offer peers.
        tell(transferevent::Identified{{}, QStringLiteral("the file holds only some ranges of the remote file")});
    } else if (m_source == m_origin) {
        identify();
        if ((m_req.securityFlags & security::RedirectMask) == security::RedirectAllowReport && answer.from != m_req.url)
            tell(transferevent::Redirected{answer.from});
    }
    if (needsHash() && !ensureHash())
        return;
    tell(transferevent::Responded{});
}

void Transfer::onData(const QByteArray &bytes)
{
    if (m_done)
        return;
    if (overMaxSize(m_part.offset() + bytes.size()))
        return;
    if (!writeChunk(bytes.constData(), bytes.size()))
        return;
    if (m_source == m_peers)
        m_peerBytes += bytes.size();
    if (m_sinceCheckpoint.elapsed() >= m_req.checkpointMs && !checkpoint())
        return failLocal();
    reportProgress(false);
}

void Transfer::onSourceFinished()
{
    if (m_done)
        return;
    if (m_source == m_peers)
        return onPeersFinished();
    onOriginFinished();
}

void Transfer::onPeersFinished()
{
    const peercache::PeerOutcome &outcome = m_peers->outcome();
    if (!outcome.verdicts.isEmpty())
        tell(transferevent::PeerVerdicts{outcome.verdicts});
    m_facts = outcome.facts;
    if (m_peerBytes > 0) {
        m_manifest = outcome.manifest;
        m_peerId = outcome.peerId;
    }
    m_peers->disconnect(this);
    m_peers->deleteLater();
    m_peers = nullptr;
    m_source = nullptr;
    if (m_peerBytes > 0 && m_req.bytesTotal >= 0 && m_part.offset() >= m_req.bytesTotal) {
        identify();
        return completeFile(); // every byte came from peers
    }
    startSource(m_originLeg);
}

// The origin has said all it will: the file is whole, or the connection ended early (transient),
// or the server sent more than it announced (the bytes cannot be trusted: start again).
void Transfer::onOriginFinished()
{
    if (!m_answered)
        return completeFile(); // a 416 for the end of the file: it was all here
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

// What the origin's answer makes of this file for the peer cache (its content keys, or why it
// may not be cached): from the origin's own answer, or the probe when peers did it all.
void Transfer::identify()
{
    peercache::OriginFacts facts = m_origin->facts() ? *m_origin->facts() : m_facts;
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

void Transfer::stop()
{
    if (m_done)
        return;
    m_done = true;
    if (m_source)
        m_source->stop();
    checkpoint();
    m_part.close();
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

// MAX_DOWNLOAD_SIZE (docs/jobs.md, "Job properties of BITS 5"): a file announced larger than the
// limit, or that grows past it, ends the job before a byte beyond the limit is written.
bool Transfer::overMaxSize(qint64 size)
{
    if (m_req.maxDownloadSize == 0 || size < 0 || quint64(size) <= m_req.maxDownloadSize)
        return false;
    finishWith({{ErrorContext::RemoteFile, hr::BG_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED,
                 QStringLiteral("the file is larger than the job's maximum download size (%1 bytes)").arg(m_req.maxDownloadSize),
                 m_req.fileIndex},
                false, 0});
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
                startSource(m_originLeg);
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

// Ends the attempt as stop() does (what is durable stays), and says why.
void Transfer::finishWith(const TransferFailure &failure)
{
    if (m_done)
        return;
    stop();
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
