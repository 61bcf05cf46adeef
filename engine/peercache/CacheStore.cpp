#include "peercache/CacheStore.h"

#include "core/Sha256.h"
#include "owner/OwnedFile.h"
#include "store/JobStore.h"

#include <QAtomicInt>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStorageInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace ferry::peercache {

Q_LOGGING_CATEGORY(lcCache, "ferry.peercache.store")

namespace {

const QLatin1String DataSuffix(".data");
const QLatin1String PartSuffix(".data.part");

const char *const RecordColumns = "id, lookup_v, lookup_d, ck_v, ck_d, url, etag, last_modified, size, file_sha256, "
                                  "manifest, source, validated, created_at, last_access, job_id, path";
const char *const PeerColumns = "peer_id, addr, tls_port, via, first_seen, last_seen, authenticated, strikes, "
                                "banned_until";

QString uniqueConnectionName()
{
    static QAtomicInt counter;
    return QStringLiteral("ferry-peercache-%1").arg(counter.fetchAndAddRelaxed(1));
}

bool exec(QSqlQuery &q)
{
    if (q.exec())
        return true;
    qCWarning(lcCache) << "SQL failed:" << q.lastQuery() << q.lastError().text();
    return false;
}

bool exec(QSqlQuery &q, const QString &sql)
{
    if (q.exec(sql))
        return true;
    qCWarning(lcCache) << "SQL failed:" << sql << q.lastError().text();
    return false;
}

CacheRecord recordFrom(const QSqlQuery &q)
{
    CacheRecord r;
    r.id = q.value(0).toString();
    r.lookupV = q.value(1).toString();
    r.lookupD = q.value(2).toString();
    r.contentKeyV = q.value(3).toString();
    r.contentKeyD = q.value(4).toString();
    r.url = q.value(5).toString();
    r.etag = q.value(6).toString();
    r.lastModified = q.value(7).toString();
    r.size = q.value(8).toLongLong();
    r.fileSha256 = q.value(9).toString();
    r.manifest = q.value(10).toByteArray();
    r.source = q.value(11).toString();
    r.validated = q.value(12).toInt() != 0;
    r.createdAtMs = q.value(13).toLongLong();
    r.lastAccessMs = q.value(14).toLongLong();
    r.jobId = q.value(15).toString();
    r.path = q.value(16).toString();
    return r;
}

CachePeer peerFrom(const QSqlQuery &q)
{
    CachePeer p;
    p.peerId = q.value(0).toString();
    p.address = q.value(1).toString();
    p.tlsPort = quint16(q.value(2).toUInt());
    p.via = q.value(3).toString();
    p.firstSeenMs = q.value(4).toLongLong();
    p.lastSeenMs = q.value(5).toLongLong();
    p.authenticated = q.value(6).toInt() != 0;
    p.strikes = q.value(7).toInt();
    p.bannedUntilMs = q.value(8).toLongLong();
    return p;
}

// A data file is servable when it is a regular file (not a symlink) of the recorded size.
bool fileIsComplete(const QString &path, qint64 size)
{
    struct stat st {};
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
        return false;
    return S_ISREG(st.st_mode) && qint64(st.st_size) == size;
}

bool writeAll(int fd, const char *data, qint64 size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size_t(size));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        size -= n;
    }
    return true;
}

void syncDirectory(const QString &dir)
{
    // The rename is durable only once the directory entry is.
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

QString errnoText() { return QString::fromLocal8Bit(std::strerror(errno)); }

} // namespace

CacheStore::CacheStore(QString databasePath, QString directory)
    : m_dbPath(std::move(databasePath))
    , m_dir(std::move(directory))
    , m_connectionName(uniqueConnectionName())
    , m_nowMs([] { return QDateTime::currentMSecsSinceEpoch(); })
{
    m_diskBytes = [this] { return QStorageInfo(m_dir).bytesTotal(); };
}

CacheStore::~CacheStore()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

bool CacheStore::isValidId(const QString &id)
{
    if (id.size() != 32)
        return false;
    for (const QChar c : id) {
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f')))
            return false;
    }
    return true;
}

qint64 CacheStore::now() const { return m_nowMs(); }

QString CacheStore::dataPath(const QString &id) const { return m_dir + u'/' + id + DataSuffix; }

Status CacheStore::open()
{
    if (m_open)
        return {};
    if (!QDir().mkpath(m_dir))
        return {hr::E_FAIL, QStringLiteral("cannot create the peer cache directory %1").arg(m_dir)};
    // Only the engine's user may list or read cached content.
    if (::chmod(QFile::encodeName(m_dir).constData(), 0700) != 0)
        return {hr::E_ACCESSDENIED, QStringLiteral("cannot restrict %1: %2").arg(m_dir, errnoText())};
    const QString canonical = QFileInfo(m_dir).canonicalFilePath();
    if (canonical.isEmpty())
        return {hr::E_FAIL, QStringLiteral("cannot resolve the peer cache directory %1").arg(m_dir)};
    m_dir = canonical;

    QString error;
    QSqlDatabase db = JobStore::openConnection(m_connectionName, m_dbPath, &error);
    if (!db.isOpen())
        return {hr::E_FAIL, QStringLiteral("cannot open the peer cache database %1: %2").arg(m_dbPath, error)};
    QSqlQuery q(db);
    // The tables may share the job database: mark a new file as Ferry's so that JobStore, opening
    // it later, does not take it for a foreign database.
    if (exec(q, QStringLiteral("PRAGMA application_id")) && q.next() && q.value(0).toInt() == 0)
        exec(q, QStringLiteral("PRAGMA application_id=%1").arg(JobStore::ApplicationId));
    const bool schema =
        exec(q, QStringLiteral("CREATE TABLE IF NOT EXISTS pc_records (id TEXT PRIMARY KEY, lookup_v TEXT, lookup_d TEXT, "
                               "ck_v TEXT, ck_d TEXT, url TEXT, etag TEXT, last_modified TEXT, size INTEGER, "
                               "file_sha256 TEXT, manifest BLOB, source TEXT, validated INTEGER NOT NULL DEFAULT 0, "
                               "created_at INTEGER, last_access INTEGER, job_id TEXT, path TEXT)"))
        && exec(q, QStringLiteral("CREATE INDEX IF NOT EXISTS pc_records_lookup_v ON pc_records(lookup_v)"))
        && exec(q, QStringLiteral("CREATE INDEX IF NOT EXISTS pc_records_lookup_d ON pc_records(lookup_d)"))
        && exec(q, QStringLiteral("CREATE INDEX IF NOT EXISTS pc_records_url ON pc_records(url)"))
        // last_strike: when the current strike window started counting (two within 24 h ban).
        && exec(q, QStringLiteral("CREATE TABLE IF NOT EXISTS pc_peers (peer_id TEXT PRIMARY KEY, addr TEXT, "
                                  "tls_port INTEGER, via TEXT, first_seen INTEGER, last_seen INTEGER, "
                                  "authenticated INTEGER NOT NULL DEFAULT 0, strikes INTEGER NOT NULL DEFAULT 0, "
                                  "banned_until INTEGER NOT NULL DEFAULT 0, last_strike INTEGER NOT NULL DEFAULT 0)"));
    if (!schema)
        return {hr::E_FAIL, QStringLiteral("cannot create the peer cache tables in %1").arg(m_dbPath)};
    m_open = true;
    recover();
    return {};
}

int CacheStore::recover()
{
    if (!m_open)
        return 0;
    int removed = 0;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);

    // Rows first: a row is kept only if its file is exactly where and what it should be.
    QSet<QString> kept;
    {
        QSqlQuery q(db);
        QList<std::pair<QString, bool>> rows;   // id, consistent
        if (exec(q, QStringLiteral("SELECT id, path, size FROM pc_records"))) {
            while (q.next()) {
                const QString id = q.value(0).toString();
                const bool ok = isValidId(id) && q.value(1).toString() == dataPath(id)
                                && fileIsComplete(dataPath(id), q.value(2).toLongLong());
                rows.append({id, ok});
            }
        }
        for (const auto &[id, ok] : rows) {
            if (ok) {
                kept.insert(id);
                continue;
            }
            qCInfo(lcCache) << "dropping cache record without a complete data file:" << id;
            removeRow(id);
            if (isValidId(id))
                QFile::remove(dataPath(id));
            ++removed;
        }
    }

    // Then files: interrupted copies, and data files whose insert never committed.
    QDir dir(m_dir);
    const QStringList names = dir.entryList(QDir::Files | QDir::Hidden | QDir::System);
    for (const QString &name : names) {
        bool drop = false;
        if (name.endsWith(PartSuffix)) {
            drop = true;
        } else if (name.endsWith(DataSuffix)) {
            const QString id = name.chopped(DataSuffix.size());
            drop = !isValidId(id) || !kept.contains(id);
        }
        if (drop) {
            qCInfo(lcCache) << "removing orphan cache file:" << name;
            dir.remove(name);
            ++removed;
        }
    }
    return removed;
}

Status CacheStore::copyIn(const CacheRecordInput &in, const QString &partPath, QString *sha256Hex)
{
    // O_EXCL|O_NOFOLLOW: never write through something planted in the directory.
    const FileHandle dst(::open(QFile::encodeName(partPath).constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!dst.isOpen())
        return {hr::E_FAIL, QStringLiteral("cannot create %1: %2").arg(partPath, errnoText())};
    // A copy rather than a hard link: the job's owner can still write to their file, and the
    // cache must keep the bytes it hashed. Hashing while copying ties the copy to fileSha256.
    Sha256 hash;
    QString why;
    const Status read = readAllOf(in.sourceFd, in.sourceSize, in.sourceName, [&](const char *data, qint64 n) {
        hash.add(data, n);
        if (why.isEmpty() && !writeAll(dst.fd(), data, n))
            why = errnoText();
    });
    if (read && why.isEmpty() && ::fsync(dst.fd()) != 0)
        why = errnoText();
    if (!read || !why.isEmpty()) {
        QFile::remove(partPath);
        if (!read)
            return read;
        return {hr::E_DISK_FULL, QStringLiteral("cannot copy %1 into the peer cache: %2").arg(in.sourceName, why)};
    }
    *sha256Hex = QString::fromLatin1(hash.result().toHex());
    return {};
}

Status CacheStore::insert(const CacheRecordInput &in, QString *id)
{
    if (!m_open)
        return {hr::BG_E_INVALID_STATE, QStringLiteral("the peer cache is not open")};
    const bool haveV = !in.lookupV.isEmpty(), haveD = !in.lookupD.isEmpty();
    if ((!haveV && !haveD) || (haveV && !isValidId(in.lookupV)) || (haveD && !isValidId(in.lookupD)))
        return {hr::E_INVALIDARG, QStringLiteral("a cache record needs lookup ids of 32 lower-case hex characters")};

    struct stat st {};
    if (in.sourceFd < 0 || ::fstat(in.sourceFd, &st) != 0 || !S_ISREG(st.st_mode) || in.sourceSize < 0)
        return {hr::E_INVALIDARG, QStringLiteral("%1 is not an open regular file").arg(in.sourceName)};
    const qint64 size = in.sourceSize;
    const qint64 cap = capBytes();
    if (size > cap)
        return {hr::BG_E_TOO_LARGE,
                QStringLiteral("%1 (%2 bytes) is larger than the peer cache (%3 bytes)").arg(in.sourceName).arg(size).arg(cap)};
    evict(size);
    if (totalBytes() + size > cap)
        return {hr::E_DISK_FULL, QStringLiteral("the peer cache is full of records in use")};

    QString newId;
    do {
        const quint64 words[2] = {QRandomGenerator::system()->generate64(), QRandomGenerator::system()->generate64()};
        newId = QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex());
    } while (QFileInfo::exists(dataPath(newId)) || record(newId));
    const QString finalPath = dataPath(newId);
    const QString partPath = m_dir + u'/' + newId + PartSuffix;

    QString sha;
    if (Status s = copyIn(in, partPath, &sha); !s)
        return s;
    if (!in.fileSha256.isEmpty() && in.fileSha256.compare(sha, Qt::CaseInsensitive) != 0) {
        QFile::remove(partPath);
        return {hr::BG_E_LOCAL_FILE_CHANGED, QStringLiteral("%1 changed after it was hashed").arg(in.sourceName)};
    }
    if (::rename(QFile::encodeName(partPath).constData(), QFile::encodeName(finalPath).constData()) != 0) {
        const QString why = errnoText();
        QFile::remove(partPath);
        return {hr::E_FAIL, QStringLiteral("cannot rename %1: %2").arg(partPath, why)};
    }
    syncDirectory(m_dir);

    // The row is what makes a record exist: until it commits, recover() treats the file as orphan.
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    db.transaction();
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO pc_records (%1) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
                  .arg(QLatin1String(RecordColumns)));
    const qint64 t = now();
    for (const QVariant &v : {QVariant(newId), QVariant(in.lookupV), QVariant(in.lookupD), QVariant(in.contentKeyV),
                              QVariant(in.contentKeyD), QVariant(in.url), QVariant(in.etag), QVariant(in.lastModified),
                              QVariant(size), QVariant(sha), QVariant(in.manifest), QVariant(in.source),
                              QVariant(in.validated ? 1 : 0), QVariant(t), QVariant(t), QVariant(in.jobId),
                              QVariant(finalPath)})
        q.addBindValue(v);
    if (!exec(q) || !db.commit()) {
        db.rollback();
        QFile::remove(finalPath);
        return {hr::E_FAIL, QStringLiteral("cannot record the cached file: %1").arg(q.lastError().text())};
    }
    if (id)
        *id = newId;
    return {};
}

Status CacheStore::setValidated(const QString &id, bool validated)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("UPDATE pc_records SET validated=? WHERE id=?"));
    q.addBindValue(validated ? 1 : 0);
    q.addBindValue(id);
    if (!exec(q))
        return {hr::E_FAIL, q.lastError().text()};
    if (q.numRowsAffected() == 0)
        return {hr::BG_E_NOT_FOUND, QStringLiteral("no cache record %1").arg(id)};
    return {};
}

bool CacheStore::removeRow(const QString &id)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("DELETE FROM pc_records WHERE id=?"));
    q.addBindValue(id);
    return exec(q) && q.numRowsAffected() > 0;
}

Status CacheStore::remove(const QString &id)
{
    if (!isValidId(id) || !removeRow(id))
        return {hr::BG_E_NOT_FOUND, QStringLiteral("no cache record %1").arg(id)};
    // The file's name comes from the id, never from the row: a tampered path deletes nothing else.
    QFile::remove(dataPath(id));
    return {};
}

int CacheStore::removeByUrl(const QString &url)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("SELECT id FROM pc_records WHERE url=?"));
    q.addBindValue(url);
    QStringList ids;
    if (exec(q)) {
        while (q.next())
            ids << q.value(0).toString();
    }
    int n = 0;
    for (const QString &id : std::as_const(ids))
        n += remove(id).ok() ? 1 : 0;
    return n;
}

Status CacheStore::clear()
{
    const QList<CacheRecord> all = records();
    for (const CacheRecord &r : all)
        remove(r.id);
    recover();
    return {};
}

std::optional<CacheRecord> CacheStore::findByLookupId(const QString &lookupId) const
{
    if (!m_open || !isValidId(lookupId))
        return std::nullopt;
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("SELECT %1 FROM pc_records WHERE (lookup_v=? OR lookup_d=?) AND validated=1 AND "
                             "last_access>=? ORDER BY last_access DESC")
                  .arg(QLatin1String(RecordColumns)));
    q.addBindValue(lookupId);
    q.addBindValue(lookupId);
    q.addBindValue(now() - m_limits.maxContentAgeSec * 1000);
    if (!exec(q))
        return std::nullopt;
    while (q.next()) {
        CacheRecord r = recordFrom(q);
        if (fileIsComplete(r.path, r.size))
            return r;
    }
    return std::nullopt;
}

QStringList CacheStore::heldLookupIds(const QStringList &candidates) const
{
    QStringList held;
    for (const QString &c : candidates) {
        if (!held.contains(c) && findByLookupId(c))
            held << c;
    }
    return held;
}

std::optional<CacheRecord> CacheStore::record(const QString &id) const
{
    if (!m_open)
        return std::nullopt;
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("SELECT %1 FROM pc_records WHERE id=?").arg(QLatin1String(RecordColumns)));
    q.addBindValue(id);
    if (exec(q) && q.next())
        return recordFrom(q);
    return std::nullopt;
}

QList<CacheRecord> CacheStore::records() const
{
    QList<CacheRecord> out;
    if (!m_open)
        return out;
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    if (exec(q, QStringLiteral("SELECT %1 FROM pc_records ORDER BY last_access DESC, created_at DESC")
                    .arg(QLatin1String(RecordColumns)))) {
        while (q.next())
            out << recordFrom(q);
    }
    return out;
}

Status CacheStore::touch(const QString &id)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("UPDATE pc_records SET last_access=? WHERE id=?"));
    q.addBindValue(now());
    q.addBindValue(id);
    if (!exec(q))
        return {hr::E_FAIL, q.lastError().text()};
    if (q.numRowsAffected() == 0)
        return {hr::BG_E_NOT_FOUND, QStringLiteral("no cache record %1").arg(id)};
    return {};
}

void CacheStore::setInUse(const QString &id, bool inUse)
{
    int &n = m_inUse[id];
    n = qMax(0, n + (inUse ? 1 : -1));
    if (n == 0)
        m_inUse.remove(id);
}

qint64 CacheStore::totalBytes() const
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    if (m_open && exec(q, QStringLiteral("SELECT COALESCE(SUM(size), 0) FROM pc_records")) && q.next())
        return q.value(0).toLongLong();
    return 0;
}

qint64 CacheStore::capBytes() const
{
    const qint64 disk = qMax<qint64>(0, m_diskBytes());
    const int percent = qBound(1, m_limits.maxCacheSizePercent, 80);
    return disk / 100 * percent + disk % 100 * percent / 100;
}

int CacheStore::evict(qint64 reserveBytes)
{
    if (!m_open)
        return 0;
    struct Row
    {
        QString id;
        qint64 size;
        qint64 lastAccess;
    };
    QList<Row> rows;   // least recently used first
    {
        QSqlQuery q(QSqlDatabase::database(m_connectionName));
        if (!exec(q, QStringLiteral("SELECT id, size, last_access FROM pc_records ORDER BY last_access ASC, created_at ASC")))
            return 0;
        while (q.next())
            rows.append({q.value(0).toString(), q.value(1).toLongLong(), q.value(2).toLongLong()});
    }
    int removed = 0;
    qint64 total = 0;
    const qint64 cutoff = now() - m_limits.maxContentAgeSec * 1000;
    QList<Row> remaining;
    for (const Row &r : std::as_const(rows)) {
        if (r.lastAccess < cutoff && !isInUse(r.id) && remove(r.id).ok()) {
            ++removed;
            continue;
        }
        total += r.size;
        remaining.append(r);
    }
    const qint64 cap = capBytes();
    for (const Row &r : std::as_const(remaining)) {
        if (total + reserveBytes <= cap)
            break;
        if (isInUse(r.id) || !remove(r.id).ok())
            continue;
        total -= r.size;
        ++removed;
    }
    return removed;
}

Status CacheStore::notePeerSeen(const QString &peerId, const QString &address, quint16 tlsPort, const QString &via)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("INSERT INTO pc_peers (peer_id, addr, tls_port, via, first_seen, last_seen) "
                             "VALUES (?,?,?,?,?,?) ON CONFLICT(peer_id) DO UPDATE SET addr=excluded.addr, "
                             "tls_port=excluded.tls_port, via=excluded.via, last_seen=excluded.last_seen"));
    const qint64 t = now();
    for (const QVariant &v : {QVariant(peerId), QVariant(address), QVariant(int(tlsPort)), QVariant(via), QVariant(t), QVariant(t)})
        q.addBindValue(v);
    return exec(q) ? Status() : Status(hr::E_FAIL, q.lastError().text());
}

Status CacheStore::notePeerAuthenticated(const QString &peerId, const QString &address)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    // A peer first met as a TLS client has no advertised port yet: keep what discovery said.
    q.prepare(QStringLiteral("INSERT INTO pc_peers (peer_id, addr, tls_port, via, first_seen, last_seen, authenticated) "
                             "VALUES (?,?,0,'tls',?,?,1) ON CONFLICT(peer_id) DO UPDATE SET addr=excluded.addr, "
                             "last_seen=excluded.last_seen, authenticated=1"));
    const qint64 t = now();
    for (const QVariant &v : {QVariant(peerId), QVariant(address), QVariant(t), QVariant(t)})
        q.addBindValue(v);
    return exec(q) ? Status() : Status(hr::E_FAIL, q.lastError().text());
}

bool CacheStore::strike(const QString &peerId)
{
    const qint64 t = now();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT strikes, last_strike FROM pc_peers WHERE peer_id=?"));
    q.addBindValue(peerId);
    int strikes = 0;
    if (exec(q) && q.next() && t - q.value(1).toLongLong() < StrikeWindowMs)
        strikes = q.value(0).toInt();
    ++strikes;
    const bool banned = strikes >= 2;
    // The window runs from its first strike; a strike after it starts a new window.
    q.prepare(QStringLiteral("INSERT INTO pc_peers (peer_id, first_seen, last_seen, strikes, last_strike, banned_until) "
                             "VALUES (?,?,?,?,?,?) ON CONFLICT(peer_id) DO UPDATE SET strikes=excluded.strikes, "
                             "last_strike=CASE WHEN excluded.strikes=1 THEN excluded.last_strike ELSE last_strike END, "
                             "banned_until=MAX(banned_until, excluded.banned_until)"));
    for (const QVariant &v : {QVariant(peerId), QVariant(t), QVariant(t), QVariant(strikes), QVariant(t),
                              QVariant(banned ? t + BanMs : 0)})
        q.addBindValue(v);
    exec(q);
    return banned;
}

Status CacheStore::ban(const QString &peerId, qint64 durationMs)
{
    const qint64 t = now();
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("INSERT INTO pc_peers (peer_id, first_seen, last_seen, banned_until) VALUES (?,?,?,?) "
                             "ON CONFLICT(peer_id) DO UPDATE SET banned_until=MAX(banned_until, excluded.banned_until)"));
    for (const QVariant &v : {QVariant(peerId), QVariant(t), QVariant(t), QVariant(t + durationMs)})
        q.addBindValue(v);
    return exec(q) ? Status() : Status(hr::E_FAIL, q.lastError().text());
}

bool CacheStore::isBanned(const QString &peerId) const
{
    const std::optional<CachePeer> p = peer(peerId);
    return p && p->bannedUntilMs > now();
}

std::optional<CachePeer> CacheStore::peer(const QString &peerId) const
{
    if (!m_open)
        return std::nullopt;
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("SELECT %1 FROM pc_peers WHERE peer_id=?").arg(QLatin1String(PeerColumns)));
    q.addBindValue(peerId);
    if (exec(q) && q.next())
        return peerFrom(q);
    return std::nullopt;
}

QList<CachePeer> CacheStore::peers() const
{
    QList<CachePeer> out;
    if (!m_open)
        return out;
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    if (exec(q, QStringLiteral("SELECT %1 FROM pc_peers ORDER BY last_seen DESC").arg(QLatin1String(PeerColumns)))) {
        while (q.next())
            out << peerFrom(q);
    }
    return out;
}

Status CacheStore::clearPeers()
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    return exec(q, QStringLiteral("DELETE FROM pc_peers")) ? Status() : Status(hr::E_FAIL, q.lastError().text());
}

} // namespace ferry::peercache
