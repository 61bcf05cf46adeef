// Moves the bytes of one job file from its origin over HTTP(S) into its PartFile.
// Lives on the transfer thread with the QNetworkAccessManager it is given.
#pragma once

#include "core/BitsError.h"
#include "core/Sha256.h"
#include "owner/Owner.h"
#include "peercache/PeerSource.h"
#include "store/CredentialStore.h"
#include "transfer/OriginSource.h"
#include "transfer/PartFile.h"
#include "transfer/TransferEvent.h"

#include <QElapsedTimer>
#include <QNetworkRequest>
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
    void sendRequest();
    void dropReply();
    void onMetaData();
    void onReadyRead();
    void onFinished();
    bool acceptResponse(int status);
    void accepted();
    void startFromPeers();
    void onPeerBlock(const QByteArray &data);
    void onPeerFinished(const ferry::peercache::PeerOutcome &outcome);
    void completeFile();
    void identify();
    QNetworkReply *originReply() const { return m_origin->reply(); }
    bool restartFromZero(const QString &why);
    bool writeChunk(const char *data, qint64 size);
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
    OriginSource *m_origin;              // the HTTP leg: requests, redirects, TLS, challenges
    bool m_accepted = false;
    bool m_done = false;
    TransferCheckpoint m_last;
    QByteArray m_buffer;                 // ReadBufferSize, reused for every read
    std::unique_ptr<Sha256> m_hash;      // of the part file's bytes [0, offset), while needed
    peercache::PeerSource *m_peerSource = nullptr;
    qint64 m_peerBytes = 0;              // bytes of this run that came from a peer
    std::optional<peercache::Manifest> m_manifest;
    peercache::OriginFacts m_facts;
    QString m_peerId;
    bool m_respondedSent = false;
    QElapsedTimer m_sinceCheckpoint;
    QElapsedTimer m_sinceProgress;
};

} // namespace ferry

Q_DECLARE_METATYPE(ferry::TransferRequest)
