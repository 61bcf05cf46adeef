#include "store/JobStore.h"

#include "core/FileRanges.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry {

Q_LOGGING_CATEGORY(lcStore, "ferry.store")

namespace {

QJsonArray credentialsJson(const QList<CredentialKey> &keys)
{
    QJsonArray a;
    for (const CredentialKey &k : keys)
        a << QJsonObject{{QStringLiteral("target"), authTargetName(k.target)}, {QStringLiteral("scheme"), authSchemeName(k.scheme)}};
    return a;
}

// A stored enumeration's number (JobTypes.h), its first value if the number is unknown.
template <typename E>
E storedEnum(int number, E first, E last)
{
    return (number >= int(first) && number <= int(last)) ? E(number) : first;
}

QString uniqueConnectionName(const char *prefix)
{
    static QAtomicInt counter;
    return QStringLiteral("%1-%2").arg(QLatin1String(prefix)).arg(counter.fetchAndAddRelaxed(1));
}

bool exec(QSqlQuery &q, const QString &sql)
{
    if (q.exec(sql))
        return true;
    qCWarning(lcStore) << "SQL failed:" << sql << q.lastError().text();
    return false;
}

QString isoOrEmpty(const QDateTime &t) { return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString(); }
QDateTime fromIso(const QString &s) { return s.isEmpty() ? QDateTime() : QDateTime::fromString(s, Qt::ISODateWithMs); }

QByteArray jobProperties(const Job &j)
{
    QJsonObject o{
        {QStringLiteral("description"), j.description},
        {QStringLiteral("type"), int(j.type)},
        {QStringLiteral("created"), isoOrEmpty(j.creationTime)},
        {QStringLiteral("modified"), isoOrEmpty(j.modificationTime)},
        {QStringLiteral("transferCompleted"), isoOrEmpty(j.transferCompletionTime)},
        {QStringLiteral("errorContext"), int(j.error.context)},
        {QStringLiteral("errorCode"), double(j.error.code)},
        {QStringLiteral("errorDescription"), j.error.description},
        {QStringLiteral("errorFile"), j.error.fileIndex},
        {QStringLiteral("errorCount"), j.errorCount},
        {QStringLiteral("minRetryDelay"), double(j.minimumRetryDelay)},
        {QStringLiteral("noProgressTimeout"), double(j.noProgressTimeout)},
        {QStringLiteral("maxDownloadTime"), double(j.maximumDownloadTime)},
        {QStringLiteral("downloadTimeUsedMs"), double(j.downloadTimeUsedMs)},
        {QStringLiteral("peerCachingFlags"), double(j.peerCachingFlags)},
        {QStringLiteral("ownerUid"), double(j.owner.uid)},
        {QStringLiteral("ownerGid"), double(j.owner.gid)},
        {QStringLiteral("ownerName"), j.owner.userName},
        {QStringLiteral("ownerElevated"), j.owner.elevated},
        {QStringLiteral("ownerIntegrity"), int(j.owner.integrity)},
        {QStringLiteral("notifyProgram"), j.notifyProgram},
        {QStringLiteral("notifyParameters"), j.notifyParameters},
        {QStringLiteral("notifyPending"), j.notifyPending},
        {QStringLiteral("notifyFlags"), double(j.notifyFlags)},
        {QStringLiteral("proxyUsage"), int(j.proxyUsage)},
        {QStringLiteral("proxyList"), j.proxyList},
        {QStringLiteral("proxyBypass"), j.proxyBypassList},
        {QStringLiteral("customHeaders"), QJsonArray::fromStringList(j.customHeaders)},
        {QStringLiteral("credentials"), credentialsJson(j.credentials)}, // which pairs, never a secret
        {QStringLiteral("securityFlags"), double(j.securityFlags)},
        {QStringLiteral("lastActivity"), isoOrEmpty(j.lastActivityTime)},
        {QStringLiteral("noProgressSince"), isoOrEmpty(j.noProgressSince)},
        {QStringLiteral("retryAt"), isoOrEmpty(j.retryAt)},
        {QStringLiteral("maxDownloadSize"), QString::number(j.maxDownloadSize)}, // a string: a double loses bits above 2^53
        {QStringLiteral("dynamicContent"), j.dynamicContent},
        {QStringLiteral("highPerformance"), j.highPerformance},
        {QStringLiteral("onDemand"), j.onDemand},
        {QStringLiteral("resumedOnce"), j.resumedOnce},
        {QStringLiteral("customHeadersWriteOnly"), j.customHeadersWriteOnly}, // the headers are in the keychain
        {QStringLiteral("writeOnlyHeaders"), j.writeOnlyHeaders},
    };
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

void applyProperties(Job &j, const QByteArray &json)
{
    const QJsonObject o = QJsonDocument::fromJson(json).object();
    j.description = o.value(QLatin1String("description")).toString();
    j.type = JobType(o.value(QLatin1String("type")).toInt());
    j.creationTime = fromIso(o.value(QLatin1String("created")).toString());
    j.modificationTime = fromIso(o.value(QLatin1String("modified")).toString());
    j.transferCompletionTime = fromIso(o.value(QLatin1String("transferCompleted")).toString());
    j.error.context = ErrorContext(o.value(QLatin1String("errorContext")).toInt());
    j.error.code = quint32(o.value(QLatin1String("errorCode")).toDouble());
    j.error.description = o.value(QLatin1String("errorDescription")).toString();
    j.error.fileIndex = o.value(QLatin1String("errorFile")).toInt(-1);
    j.errorCount = o.value(QLatin1String("errorCount")).toInt();
    j.minimumRetryDelay = quint32(o.value(QLatin1String("minRetryDelay")).toDouble(defaults::MinimumRetryDelay));
    j.noProgressTimeout = quint32(o.value(QLatin1String("noProgressTimeout")).toDouble(defaults::NoProgressTimeout));
    j.maximumDownloadTime = quint32(o.value(QLatin1String("maxDownloadTime")).toDouble(defaults::MaximumDownloadTime));
    j.downloadTimeUsedMs = qint64(o.value(QLatin1String("downloadTimeUsedMs")).toDouble());
    j.peerCachingFlags = quint32(o.value(QLatin1String("peerCachingFlags")).toDouble());
    j.owner.uid = uint(o.value(QLatin1String("ownerUid")).toDouble());
    j.owner.gid = uint(o.value(QLatin1String("ownerGid")).toDouble());
    j.owner.userName = o.value(QLatin1String("ownerName")).toString();
    j.owner.elevated = o.value(QLatin1String("ownerElevated")).toBool();
    j.owner.integrity = IntegrityLevel(o.value(QLatin1String("ownerIntegrity")).toInt());
    j.notifyProgram = o.value(QLatin1String("notifyProgram")).toString();
    j.notifyParameters = o.value(QLatin1String("notifyParameters")).toString();
    j.notifyPending = o.value(QLatin1String("notifyPending")).toBool();
    j.notifyFlags = quint32(o.value(QLatin1String("notifyFlags")).toDouble(notifyflags::Default)) & notifyflags::ValidMask;
    j.proxyUsage = ProxyUsage(o.value(QLatin1String("proxyUsage")).toInt());
    j.proxyList = o.value(QLatin1String("proxyList")).toString();
    j.proxyBypassList = o.value(QLatin1String("proxyBypass")).toString();
    for (const QJsonValue &h : o.value(QLatin1String("customHeaders")).toArray())
        j.customHeaders << h.toString();
    for (const QJsonValue &c : o.value(QLatin1String("credentials")).toArray()) {
        const auto target = parseAuthTarget(c.toObject().value(QLatin1String("target")).toString());
        const auto scheme = parseAuthScheme(c.toObject().value(QLatin1String("scheme")).toString());
        if (target && scheme)
            j.credentials << CredentialKey{*target, *scheme};
    }
    j.securityFlags = quint32(o.value(QLatin1String("securityFlags")).toDouble()) & security::ValidMask;
    j.lastActivityTime = fromIso(o.value(QLatin1String("lastActivity")).toString());
    if (!j.lastActivityTime.isValid())
        j.lastActivityTime = j.modificationTime; // stored before the field existed
    j.noProgressSince = fromIso(o.value(QLatin1String("noProgressSince")).toString());
    j.retryAt = fromIso(o.value(QLatin1String("retryAt")).toString());
    j.maxDownloadSize = o.value(QLatin1String("maxDownloadSize")).toString().toULongLong();
    j.dynamicContent = o.value(QLatin1String("dynamicContent")).toBool();
    j.highPerformance = o.value(QLatin1String("highPerformance")).toBool();
    j.onDemand = o.value(QLatin1String("onDemand")).toBool();
    j.resumedOnce = o.value(QLatin1String("resumedOnce")).toBool();
    j.customHeadersWriteOnly = o.value(QLatin1String("customHeadersWriteOnly")).toBool();
    j.writeOnlyHeaders = o.value(QLatin1String("writeOnlyHeaders")).toInt();
}

} // namespace

QSqlDatabase JobStore::openConnection(const QString &connectionName, const QString &path, QString *error)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
    if (!db.open()) {
        if (error)
            *error = db.lastError().text();
        return db;
    }
    QSqlQuery q(db);
    // WAL survives a process crash with every committed transaction; NORMAL keeps commits cheap.
    q.exec(QStringLiteral("PRAGMA journal_mode=WAL"));
    q.exec(QStringLiteral("PRAGMA synchronous=NORMAL"));
    q.exec(QStringLiteral("PRAGMA foreign_keys=ON"));
    return db;
}

JobStore::JobStore(QString path)
    : m_path(std::move(path))
    , m_connectionName(uniqueConnectionName("ferry-store"))
{
}

JobStore::~JobStore()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

// The database holds every job's URLs, custom headers and notify command lines: only the engine's
// user may read it, in a system instance too (docs/security.md). SQLite gives the -wal and -shm
// files the database's own mode, so the database is created 0600 before SQLite sees it, and files
// left more open by an older version are closed down.
void JobStore::restrictFiles() const
{
    const QByteArray db = QFile::encodeName(m_path);
    const int fd = ::open(db.constData(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0)
        ::close(fd);
    for (const char *suffix : {"", "-wal", "-shm", "-journal"}) {
        const QByteArray path = db + suffix;
        struct stat st {};
        if (::lstat(path.constData(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
            ::chmod(path.constData(), st.st_mode & 0700);
    }
}

bool JobStore::open(QString *error)
{
    restrictFiles();
    QString why;
    bool usable = false;
    {
        QSqlDatabase db = openConnection(m_connectionName, m_path, &why);
        usable = db.isOpen() && verify(&why);
        if (!usable)
            db.close();
    }
    if (!usable) {
        QSqlDatabase::removeDatabase(m_connectionName);
        moveAside(why);
        QString err;
        if (!openConnection(m_connectionName, m_path, &err).isOpen()) {
            if (error)
                *error = QStringLiteral("cannot open the job database %1: %2").arg(m_path, err);
            return false;
        }
    }
    return prepareSchema(error);
}

// The ladder (docs/engine.md, "Stored state"): a new database gets the current schema, an older
// one is upgraded in one transaction, a newer one is refused without a single write.
bool JobStore::prepareSchema(QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    const int found = schema::version(db);
    QString why;
    bool ok = false;
    if (found < 0) {
        why = QStringLiteral("cannot read its schema version: %1").arg(db.lastError().text());
    } else if (found > SchemaVersion) {
        why = QStringLiteral("it has schema version %1, newer than this build of Ferry knows (%2). It was left untouched: "
                             "run the newer Ferry that wrote it")
                  .arg(found)
                  .arg(SchemaVersion);
    } else if (found == 0) {
        ok = schema::create(db, ApplicationId, &why);
    } else if (found < SchemaVersion) {
        ok = schema::upgrade(db, found, &why);
        if (ok)
            qCInfo(lcStore).noquote() << "upgraded the job database" << m_path << "from schema version" << found << "to" << SchemaVersion;
    } else {
        ok = true;
    }
    if (ok)
        return true;
    db.close(); // nothing more goes near the file
    const QString message = QStringLiteral("cannot open the job database %1: %2").arg(m_path, why);
    qCCritical(lcStore).noquote() << message;
    if (error)
        *error = message;
    return false;
}

void JobStore::scrub()
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    for (const char *sql : {"PRAGMA secure_delete=ON", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA secure_delete=OFF"})
        if (!q.exec(QLatin1String(sql)))
            qCWarning(lcStore) << "cannot scrub the database:" << sql << q.lastError().text();
}

bool JobStore::verify(QString *why)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("PRAGMA quick_check")) || !q.next()) {
        *why = q.lastError().text();
        return false;
    }
    if (q.value(0).toString() != QLatin1String("ok")) {
        *why = QStringLiteral("integrity check failed: %1").arg(q.value(0).toString());
        return false;
    }
    q.exec(QStringLiteral("PRAGMA application_id"));
    const int appId = q.next() ? q.value(0).toInt() : -1;
    q.exec(QStringLiteral("SELECT count(*) FROM sqlite_master"));
    const int objects = q.next() ? q.value(0).toInt() : -1;
    if (appId == ApplicationId)
        return true;
    if (appId == 0 && objects == 0)
        return true; // a new, empty database
    *why = QStringLiteral("it is not a Ferry job database (application id %1, %2 objects)").arg(appId).arg(objects);
    return false;
}

void JobStore::moveAside(const QString &why)
{
    const QString stamp = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    const QString aside = m_path + QLatin1String(".unreadable-") + stamp;
    const bool moved = QFile::rename(m_path, aside);
    for (const char *suffix : {"-wal", "-shm"})
        QFile::rename(m_path + QLatin1String(suffix), aside + QLatin1String(suffix));
    m_recoveryMessage = moved ? QStringLiteral("The job database %1 could not be read (%2). It was moved aside to %3 "
                                               "and a new, empty database was started.")
                                    .arg(m_path, why, aside)
                              : QStringLiteral("The job database %1 could not be read (%2) and could not be moved "
                                               "aside.")
                                    .arg(m_path, why);
    qCCritical(lcStore).noquote() << m_recoveryMessage;
}

QList<Job> JobStore::loadJobs()
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    QHash<QString, int> row;
    QList<Job> jobs;
    QSqlQuery q(db);
    q.setForwardOnly(true);
    exec(q, QStringLiteral("SELECT id, name, state, priority, queue_seq, props FROM jobs ORDER BY queue_seq"));
    while (q.next()) {
        Job j;
        j.id = QUuid::fromString(q.value(0).toString());
        j.displayName = q.value(1).toString();
        j.state = JobState(q.value(2).toInt());
        j.priority = JobPriority(q.value(3).toInt());
        j.queueSequence = q.value(4).toULongLong();
        applyProperties(j, q.value(5).toByteArray());
        row.insert(q.value(0).toString(), int(jobs.size()));
        jobs.append(std::move(j));
    }
    exec(q, QStringLiteral("SELECT job_id, idx, remote_url, local_name, temp_name, bytes_total, bytes_transferred, "
                           "checkpointed, transferred, completed, etag, last_modified, from_peer, bytes_from_peers, "
                           "peer_id, peer_verification, validation, content_keys, not_servable, sha256, ranges, "
                           "response_headers FROM files ORDER BY job_id, idx"));
    while (q.next()) {
        auto it = row.constFind(q.value(0).toString());
        if (it == row.constEnd())
            continue;
        JobFile f;
        f.remoteUrl = QUrl(q.value(2).toString());
        f.localName = q.value(3).toString();
        f.tempName = q.value(4).toString();
        f.bytesTotal = q.value(5).toLongLong();
        f.transferred = q.value(8).toBool();
        // Only a checkpoint vouches for the bytes of an unfinished file.
        f.bytesTransferred = (f.transferred || q.value(7).toBool()) ? q.value(6).toLongLong() : 0;
        f.completed = q.value(9).toBool();
        f.etag = q.value(10).toString();
        f.lastModified = q.value(11).toString();
        f.downloadedFromPeer = q.value(12).toBool();
        f.bytesFromPeers = q.value(13).toLongLong();
        f.peerId = q.value(14).toString();
        f.peerVerification = storedEnum(q.value(15).toInt(), PeerVerification::None, PeerVerification::OriginStrong);
        f.validationState = storedEnum(q.value(16).toInt(), ValidationState::Unset, ValidationState::Invalid);
        for (const QJsonValue &k : QJsonDocument::fromJson(q.value(17).toByteArray()).array())
            f.contentKeys << k.toString();
        f.notServable = q.value(18).toString();
        f.sha256 = q.value(19).toString();
        f.ranges = rangesFromText(q.value(20).toString());
        f.responseHeaders = q.value(21).toByteArray();
        jobs[*it].files.append(f);
    }
    return jobs;
}

bool JobStore::saveDownloadTime(const QUuid &id, qint64 ms)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("UPDATE jobs SET props = json_set(props, '$.downloadTimeUsedMs', ?) WHERE id = ?"));
    q.addBindValue(double(ms));
    q.addBindValue(id.toString(QUuid::WithoutBraces));
    if (q.exec())
        return true;
    qCWarning(lcStore) << "cannot save the download time:" << q.lastError().text();
    return false;
}

bool JobStore::saveActivity(const Job &job)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral(
        "UPDATE jobs SET props = json_set(props, '$.lastActivity', ?, '$.noProgressSince', ?) WHERE id = ?"));
    q.addBindValue(isoOrEmpty(job.lastActivityTime));
    q.addBindValue(isoOrEmpty(job.noProgressSince));
    q.addBindValue(job.id.toString(QUuid::WithoutBraces));
    if (q.exec())
        return true;
    qCWarning(lcStore) << "cannot save the job's activity:" << q.lastError().text();
    return false;
}

bool JobStore::saveJob(const Job &job)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    const QString id = job.id.toString(QUuid::WithoutBraces);
    db.transaction();
    QSqlQuery q(db);
    // An upsert, not INSERT OR REPLACE: replacing would delete the row and cascade to its files.
    q.prepare(QStringLiteral("INSERT INTO jobs (id, name, state, priority, queue_seq, props) VALUES (?, ?, ?, ?, ?, ?) "
                             "ON CONFLICT(id) DO UPDATE SET name = excluded.name, state = excluded.state, "
                             "priority = excluded.priority, queue_seq = excluded.queue_seq, props = excluded.props"));
    q.addBindValue(id);
    q.addBindValue(job.displayName);
    q.addBindValue(int(job.state));
    q.addBindValue(int(job.priority));
    q.addBindValue(job.queueSequence);
    q.addBindValue(QString::fromUtf8(jobProperties(job)));
    bool ok = q.exec();
    QSqlQuery f(db);
    // The checkpoint log owns an unfinished file's durable bytes and, once it has written them,
    // the size and validators that go with them (docs/engine.md, "Stored state"); this engine-thread
    // copy may lag behind it. Once the file is transferred, the job's values are final.
    f.prepare(QStringLiteral(
        "INSERT INTO files (job_id, idx, remote_url, local_name, temp_name, bytes_total, bytes_transferred, "
        "transferred, completed, etag, last_modified, from_peer, bytes_from_peers, peer_id, peer_verification, "
        "validation, content_keys, not_servable, sha256, ranges, response_headers) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(job_id, idx) DO UPDATE SET remote_url = excluded.remote_url, local_name = excluded.local_name, "
        "temp_name = excluded.temp_name, transferred = excluded.transferred, completed = excluded.completed, "
        "bytes_transferred = CASE WHEN excluded.transferred THEN excluded.bytes_transferred ELSE bytes_transferred END, "
        "bytes_total = CASE WHEN excluded.transferred OR NOT checkpointed THEN excluded.bytes_total ELSE bytes_total END, "
        "etag = CASE WHEN excluded.transferred OR NOT checkpointed THEN excluded.etag ELSE etag END, "
        "last_modified = CASE WHEN excluded.transferred OR NOT checkpointed THEN excluded.last_modified "
        "ELSE last_modified END, from_peer = excluded.from_peer, bytes_from_peers = excluded.bytes_from_peers, "
        "peer_id = excluded.peer_id, peer_verification = excluded.peer_verification, validation = excluded.validation, "
        "content_keys = excluded.content_keys, not_servable = excluded.not_servable, sha256 = excluded.sha256, "
        "ranges = excluded.ranges, response_headers = excluded.response_headers"));
    for (int i = 0; ok && i < job.files.size(); ++i) {
        const JobFile &jf = job.files[i];
        f.addBindValue(id);
        f.addBindValue(i);
        f.addBindValue(jf.remoteUrl.toString(QUrl::FullyEncoded));
        f.addBindValue(jf.localName);
        f.addBindValue(jf.tempName);
        f.addBindValue(jf.bytesTotal);
        f.addBindValue(jf.transferred ? jf.bytesTransferred : 0);
        f.addBindValue(jf.transferred);
        f.addBindValue(jf.completed);
        f.addBindValue(jf.etag);
        f.addBindValue(jf.lastModified);
        f.addBindValue(jf.downloadedFromPeer);
        f.addBindValue(jf.bytesFromPeers);
        f.addBindValue(jf.peerId);
        f.addBindValue(int(jf.peerVerification));
        f.addBindValue(int(jf.validationState));
        f.addBindValue(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(jf.contentKeys)).toJson(QJsonDocument::Compact)));
        f.addBindValue(jf.notServable);
        f.addBindValue(jf.sha256);
        f.addBindValue(jf.ranges.isEmpty() ? QVariant() : QVariant(rangesText(jf.ranges)));
        f.addBindValue(jf.responseHeaders);
        ok = f.exec();
    }
    if (!ok) {
        qCWarning(lcStore) << "saving job" << id << "failed:" << q.lastError().text() << f.lastError().text();
        db.rollback();
        return false;
    }
    return db.commit();
}

bool JobStore::removeJob(const QUuid &id)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    const QString key = id.toString(QUuid::WithoutBraces);
    db.transaction();
    QSqlQuery q(db);
    bool ok = true;
    for (const char *table : {"files", "jobs"}) {
        q.prepare(QStringLiteral("DELETE FROM %1 WHERE %2 = ?")
                      .arg(QLatin1String(table), QLatin1String(qstrcmp(table, "jobs") == 0 ? "id" : "job_id")));
        q.addBindValue(key);
        ok = ok && q.exec();
    }
    return ok ? db.commit() : (db.rollback(), false);
}

bool JobStore::clearCheckpoint(const QUuid &id, int fileIndex)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("UPDATE files SET checkpointed = 0, bytes_transferred = CASE WHEN transferred THEN "
                             "bytes_transferred ELSE 0 END WHERE job_id = ? AND idx = ?"));
    q.addBindValue(id.toString(QUuid::WithoutBraces));
    q.addBindValue(fileIndex);
    return q.exec();
}

QString JobStore::setting(const QString &key, const QString &fallback) const
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("SELECT value FROM settings WHERE key = ?"));
    q.addBindValue(key);
    return (q.exec() && q.next()) ? q.value(0).toString() : fallback;
}

bool JobStore::setSetting(const QString &key, const QString &value)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)"));
    q.addBindValue(key);
    q.addBindValue(value);
    return q.exec();
}

CheckpointLog::CheckpointLog(const QString &path)
    : m_connectionName(uniqueConnectionName("ferry-checkpoints"))
{
    QString error;
    if (!JobStore::openConnection(m_connectionName, path, &error).isOpen())
        qCWarning(lcStore) << "cannot open the checkpoint log:" << error;
}

CheckpointLog::~CheckpointLog()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
}

bool CheckpointLog::record(const QUuid &jobId, int fileIndex, qint64 offset, qint64 bytesTotal, const QString &etag,
                           const QString &lastModified)
{
    QSqlQuery q(QSqlDatabase::database(m_connectionName));
    // The file's row is its one home (docs/engine.md, "Stored state"); a transferred file's final
    // values are not overwritten.
    q.prepare(QStringLiteral("UPDATE files SET bytes_transferred = ?, bytes_total = ?, etag = ?, last_modified = ?, "
                             "checkpointed = 1 WHERE job_id = ? AND idx = ? AND NOT transferred"));
    q.addBindValue(offset);
    q.addBindValue(bytesTotal);
    q.addBindValue(etag);
    q.addBindValue(lastModified);
    q.addBindValue(jobId.toString(QUuid::WithoutBraces));
    q.addBindValue(fileIndex);
    if (q.exec())
        return true;
    qCWarning(lcStore) << "checkpoint failed:" << q.lastError().text();
    return false;
}

} // namespace ferry
