// The serving side's peer cache (docs/peer-caching.md §9): validated copies of finished files in a
// private 0700 directory, one `<id>.data` each, indexed in SQLite (pc_records) under the lookup
// ids of their CK-V and CK-D, plus the peers table (pc_peers) with strikes and bans.
// Lives on the engine thread and owns its own connection to the database file.
#pragma once

#include "core/BitsError.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace ferry::peercache {

// What the engine knows about a finished, hashed file it offers to the cache.
struct CacheRecordInput
{
    // The finished file, as a descriptor its caller opened and checked (OwnedFile.h) and the
    // size it checked: the store copies exactly those bytes from it and never opens a user's path.
    int sourceFd = -1;
    qint64 sourceSize = -1;
    QString sourceName;        // for messages
    QString lookupV;           // lookup id of CK-V (32 lower-case hex), may be empty
    QString lookupD;           // lookup id of "sha256:<fileSha256>", may be empty (not both)
    QString contentKeyV;
    QString contentKeyD;
    QString url;
    QString etag;
    QString lastModified;
    QString fileSha256;        // lower-case hex; when set, the copy must hash to it
    QByteArray manifest;       // encoded manifest (CBOR || mac), served as is
    QString source;            // "origin" or "peer-strong"
    QString jobId;
    bool validated = false;    // usually false: Complete()/SetValidationState(true) sets it later
};

struct CacheRecord
{
    QString id;                // 32 lower-case hex, also the data file's name
    QString lookupV;
    QString lookupD;
    QString contentKeyV;
    QString contentKeyD;
    QString url;
    QString etag;
    QString lastModified;
    qint64 size = 0;
    QString fileSha256;        // lower-case hex of the stored copy
    QByteArray manifest;
    QString source;
    bool validated = false;
    qint64 createdAtMs = 0;    // ms since the epoch (the store's clock)
    qint64 lastAccessMs = 0;
    QString jobId;
    QString path;              // absolute path of the data file
};

struct CachePeer
{
    QString peerId;
    QString address;
    quint16 tlsPort = 0;
    QString via;               // "multicast", "static" or "tls" (seen only as a client)
    qint64 firstSeenMs = 0;
    qint64 lastSeenMs = 0;
    bool authenticated = false;
    int strikes = 0;           // within the current 24 h window
    qint64 bannedUntilMs = 0;  // 0: never banned
};

struct CacheLimits
{
    int maxCacheSizePercent = 1;              // of the cache filesystem's total bytes
    qint64 maxContentAgeSec = 90 * 86400;     // since last access
};

class CacheStore
{
public:
    static constexpr qint64 StrikeWindowMs = 24 * 3600 * 1000LL;
    static constexpr qint64 BanMs = 24 * 3600 * 1000LL;

    // databasePath: a SQLite file (may be the job database); directory: where data files go.
    CacheStore(QString databasePath, QString directory);
    ~CacheStore();
    CacheStore(const CacheStore &) = delete;
    CacheStore &operator=(const CacheStore &) = delete;

    // Injectable before open(): wall clock in ms since the epoch, and the cache filesystem's size.
    void setClock(std::function<qint64()> nowMs) { m_nowMs = std::move(nowMs); }
    void setDiskBytes(std::function<qint64()> diskBytes) { m_diskBytes = std::move(diskBytes); }
    void setLimits(const CacheLimits &limits) { m_limits = limits; }
    CacheLimits limits() const { return m_limits; }

    // Creates the directory (0700) and tables, then runs recover().
    Status open();
    bool isOpen() const { return m_open; }
    QString directory() const { return m_dir; }   // canonical, no trailing '/'

    // Deletes leftover `.part` files, data files without a row and rows without a (complete)
    // data file. Returns how many things it removed.
    int recover();

    // Copies in.sourceSize bytes of in.sourceFd into the directory (`.part`, fsync, rename) and
    // only then inserts the row, so a crash in between leaves nothing servable. Evicts first to make room; refuses a
    // file larger than the cap (BG_E_TOO_LARGE) or one that no longer hashes to in.fileSha256.
    Status insert(const CacheRecordInput &in, QString *id = nullptr);
    Status setValidated(const QString &id, bool validated);
    Status remove(const QString &id);     // row and file (an open reader keeps its bytes)
    int removeByUrl(const QString &url);  // how many
    Status clear();

    // A validated, unexpired record whose lookup_v or lookup_d is lookupId and whose file exists.
    std::optional<CacheRecord> findByLookupId(const QString &lookupId) const;
    QStringList heldLookupIds(const QStringList &candidates) const;   // same rules, in input order
    std::optional<CacheRecord> record(const QString &id) const;      // any state
    QList<CacheRecord> records() const;                                // admin view, newest access first
    Status touch(const QString &id);                                  // last_access = now

    // A use counter: records in use (being served) survive eviction.
    void setInUse(const QString &id, bool inUse);
    bool isInUse(const QString &id) const { return m_inUse.value(id) > 0; }

    // Drops records not accessed within maxContentAgeSec, then the least recently used until the
    // total plus reserveBytes fits the cap; in-use records are skipped. Returns how many went.
    int evict(qint64 reserveBytes = 0);
    qint64 totalBytes() const;
    qint64 capBytes() const;   // maxCacheSizePercent of diskBytes()

    // Peers.
    Status notePeerSeen(const QString &peerId, const QString &address, quint16 tlsPort, const QString &via);
    Status notePeerAuthenticated(const QString &peerId, const QString &address);
    bool strike(const QString &peerId);            // true when this strike banned the peer
    Status ban(const QString &peerId, qint64 durationMs = BanMs);
    bool isBanned(const QString &peerId) const;
    std::optional<CachePeer> peer(const QString &peerId) const;
    QList<CachePeer> peers() const;
    Status clearPeers();

    static bool isValidId(const QString &id);     // exactly 32 lower-case hex characters

private:
    qint64 now() const;
    QString dataPath(const QString &id) const;
    bool removeRow(const QString &id);
    Status copyIn(const CacheRecordInput &in, const QString &partPath, QString *sha256Hex);

    QString m_dbPath;
    QString m_dir;
    QString m_connectionName;
    bool m_open = false;
    CacheLimits m_limits;
    std::function<qint64()> m_nowMs;
    std::function<qint64()> m_diskBytes;
    QHash<QString, int> m_inUse;
};

} // namespace ferry::peercache
