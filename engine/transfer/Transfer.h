// One attempt at one job file (docs/engine.md, "Where bytes come from"): drives its sources (peers
// first when the plan says so, then the origin) through the DataSource interface, one at a time,
// and writes what they deliver into the file's PartFile, hashing as it writes; checkpoints;
// and checks the finished file against the manifest and the origin's digests.
// Lives on the transfer thread with the QNetworkAccessManagers it is given.
#pragma once

#include "core/BitsError.h"
#include "core/Sha256.h"
#include "owner/Owner.h"
#include "peercache/PeerSource.h"
#include "store/CredentialStore.h"
#include "transfer/OriginSource.h"
#include "transfer/PartFile.h"
#include "transfer/RangeSource.h"
#include "transfer/TransferEvent.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QUrl>
#include <QUuid>

#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace ferry {

class CheckpointLog;

struct TransferRequest
{
    quint64 ticket = 0;          // identifies this attempt; stale signals are dropped by its owner
    QUuid jobId;
    int fileIndex = 0;
    QUrl url;
    QString tempName;
    qint64 offset = 0;           // durable bytes already in the temporary file
    qint64 bytesTotal = -1;
    QString etag;
    QString lastModified;
    QStringList headers;         // "Name: value"
    QList<StoredCredential> credentials; // read from the keychain for this attempt, never stored
    quint32 securityFlags = 0;   // security::
    ProxyUsage proxyUsage = ProxyUsage::Preconfig;
    QString proxyList;
    QString proxyBypassList;
    // Transfers with the same key share one QNetworkAccessManager (connections, TLS sessions,
    // authentication): a job's own, renewed whenever its credentials, proxy or TLS flags change,
    // so nothing authenticated or accepted for one job is ever reused by another.
    QString connectionKey;
    peercache::PeerPlan peerPlan;  // use peers first for whatever they hold
    bool hashForCache = false;   // the file may be cached for peers: take its SHA-256 as it is written
    Owner owner;                 // the part file is created with this identity
    qint64 checkpointBytes = 64 << 20;
    int checkpointMs = 1000;
    bool syncCheckpoints = false; // fdatasync before each checkpoint (power-loss safety)
    bool http2 = false;          // HTTP/2 offered to HTTPS origins (EngineSettings::http2)
    QList<FileRange> ranges;     // AddFileWithRanges: the file is these slices (RangeSource)
    quint64 maxDownloadSize = 0; // MAX_DOWNLOAD_SIZE; 0: none
    bool dynamicContent = false; // no Range, no If-Range: every attempt starts at byte 0
};

class Transfer : public QObject
{
    Q_OBJECT
public:
    // nam: the manager for the origin (ConnectionPool, by connectionKey); peerNam: the one for
    // peers, or nullptr when the request has no peer plan.
    Transfer(TransferRequest request, QNetworkAccessManager *nam, QNetworkAccessManager *peerNam, CheckpointLog *log,
             QObject *parent = nullptr);
    ~Transfer() override;

    void start();
    void stop();                 // abort, keep what is durable
    TransferCheckpoint lastCheckpoint() const { return m_last; }
    QString connectionKey() const { return m_req.connectionKey; }

    static constexpr qint64 ReadBufferSize = OriginSource::ReadBufferSize;
    static constexpr int StallTimeoutMs = transferpolicy::StallTimeoutMs;

signals:
    // Everything the engine hears of this attempt, in order (TransferEvent.h).
    void transferEvent(const ferry::TransferEvent &event);

private:
    HeldFile held() const;
    void startSource(DataSource *source);
    void startFromPeers();
    void onAnswered(const ferry::SourceAnswer &answer);
    void onData(const QByteArray &bytes);
    void onSourceFinished();
    void onPeersFinished();
    void onOriginFinished();
    void completeFile();
    void identify();
    bool restartFromZero(const QString &why);
    bool writeChunk(const char *data, qint64 size);
    bool overMaxSize(qint64 size);
    bool needsHash() const;
    bool ensureHash();
    bool checkpoint();
    void record(qint64 offset);
    void finishWith(const TransferFailure &failure);
    void failLocal();
    void reportProgress(bool force);
    void tell(TransferEvent::Payload what) { emit transferEvent({m_req.ticket, std::move(what)}); }

    TransferRequest m_req;
    QNetworkAccessManager *m_nam;        // the origin's manager (also PeerSource's probe)
    QNetworkAccessManager *m_peerNam;
    CheckpointLog *m_log;
    PartFile m_part;
    OriginSource *m_origin;              // the origin: always there, asked last
    RangeSource *m_ranges = nullptr;     // a file of ranges: the origin asked through it
    DataSource *m_originLeg;             // m_ranges when there is one, else m_origin
    peercache::PeerSource *m_peers = nullptr; // peers, asked first when the plan says so
    DataSource *m_source = nullptr;      // the one delivering now
    bool m_answered = false;             // m_source said what its bytes are
    bool m_done = false;
    TransferCheckpoint m_last;
    std::unique_ptr<Sha256> m_hash;      // of the part file's bytes [0, offset), while needed
    qint64 m_peerBytes = 0;              // bytes of this run that came from a peer
    std::optional<peercache::Manifest> m_manifest;
    peercache::OriginFacts m_facts;      // the origin's answer: its digests, for identify and the checks
    QString m_peerId;
    QElapsedTimer m_sinceCheckpoint;
    QElapsedTimer m_sinceProgress;
};

} // namespace ferry

Q_DECLARE_METATYPE(ferry::TransferRequest)
