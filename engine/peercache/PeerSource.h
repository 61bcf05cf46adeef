// Where a file's bytes can come from peers (docs/peer-caching.md §4, §8): probes the origin,
// derives the content keys, asks the known peers for the lookup id, checks the manifest, and
// streams the file's blocks from one peer, handing on only blocks whose SHA-256 matches the
// manifest. Whatever peers cannot supply is left to the origin (the Transfer that owns this).
// A DataSource (docs/engine.md, "Where bytes come from"): finished() means "all the peers had",
// which may be nothing; outcome() then tells what they did. Lives on the transfer thread.
#pragma once

#include "core/DataSource.h"
#include "peercache/ContentKey.h"
#include "peercache/Manifest.h"

#include <QByteArray>
#include <QList>
#include <QPointer>
#include <QStringList>
#include <QUrl>

#include <optional>

class QNetworkAccessManager;
class QNetworkReply;

namespace ferry::peercache {

struct PeerEndpoint
{
    QString peerId;              // hex, as discovery knows it
    QString host;
    quint16 tlsPort = 0;
};

// What a transfer needs to use peers: the group's keys and the peers to ask, in order.
struct PeerPlan
{
    bool use = false;            // effective CLIENT (machine ∧ job) and a group key
    QByteArray lookupKey;
    QByteArray manifestKey;
    QByteArray pskKey;
    QByteArray pskIdentity;      // "<groupId>:<our peerId>"
    QList<PeerEndpoint> peers;
    bool requireOriginDigest = false;
};

// A peer that misbehaved: a strike for one bad block, a ban for a bad manifest.
struct PeerVerdict
{
    QString peerId;
    bool ban = false;
    QString reason;
};

struct PeerOutcome
{
    qint64 offset = 0;           // the file is good up to here (peer blocks appended)
    qint64 bytesFromPeers = 0;
    QString peerId;              // who supplied them (the last, when several did)
    QString note;                // why peers supplied nothing or stopped, for the log
    std::optional<Manifest> manifest;
    OriginFacts facts;
    bool probed = false;         // the origin answered the probe
    QList<PeerVerdict> verdicts;
};

class PeerSource : public DataSource
{
    Q_OBJECT
public:
    static constexpr int MaxPeersTried = 3;
    static constexpr int StallTimeoutMs = 15000;

    // originNam: the transfer's manager (its proxy and credentials) for the probe; peerNam: the
    // pool's manager for peers (ConnectionPool::peers), shared by all transfers.
    PeerSource(PeerPlan plan, QUrl url, QStringList headers, QNetworkAccessManager *originNam,
               QNetworkAccessManager *peerNam, QObject *parent = nullptr);
    ~PeerSource() override;

    // held.offset must be a multiple of Manifest::BlockSize (else peers are skipped). When the
    // origin names another version of the file than held's validators, peers deliver it from 0.
    void start(const HeldFile &held) override;
    void stop() override;

    // Reads the origin's facts from a probe response (HEAD or a one-byte ranged GET).
    static OriginFacts factsOf(const QNetworkReply *reply);
    // What the peers did, once finished(): their bytes, the manifest, the verdicts on them.
    const PeerOutcome &outcome() const { return m_out; }

private:
    void probe(bool ranged);
    void onProbed();
    void askNextPeer();
    void onHas();
    void onManifest();
    void onBlocksReadable();
    void onBlocksFinished();
    QString framingProblem() const;
    void protocolViolation(const QString &why);
    bool takeBlocks(bool atEnd);
    void nextPeerForTheRest();
    void finish(const QString &note);
    QNetworkReply *peerGet(const QString &path, qint64 rangeFrom = -1);
    void dropReply();

    PeerPlan m_plan;
    QUrl m_url;
    QStringList m_headers;
    QNetworkAccessManager *m_originNam;
    QNetworkAccessManager *m_peerNam;
    QPointer<QNetworkReply> m_reply;
    PeerOutcome m_out;
    HeldFile m_held;
    QString m_restartWhy;                    // the origin names another version than held
    bool m_answered = false;
    QStringList m_ids;                       // lookup ids to ask for, CK-D first
    QStringList m_keys;                      // the content keys behind them
    int m_nextPeer = 0;
    PeerEndpoint m_peer;
    QString m_id;                            // the lookup id the current peer holds
    QString m_key;
    QByteArray m_pending;                    // bytes of the block being received
    qint64 m_rangeFrom = 0;                  // the block request: its range's first byte,
    qint64 m_expected = 0;                   // its length,
    qint64 m_received = 0;                   // and what of it was read so far
    bool m_framingChecked = false;
    int m_blockIndex = 0;
    bool m_done = false;
};

} // namespace ferry::peercache

Q_DECLARE_METATYPE(ferry::peercache::PeerPlan)
Q_DECLARE_METATYPE(ferry::peercache::PeerVerdict)
