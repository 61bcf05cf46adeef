#include "JobStore.h"

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

// Each file's peer-cache facts (docs/peer-caching.md §9), by file position.
QJsonArray filePeerJson(const QList<JobFile> &files)
{
    QJsonArray a;
    for (const JobFile &f : files)
        a << QJsonObject{{QStringLiteral("fromPeers"), double(f.bytesFromPeers)},
                         {QStringLiteral("peerId"), f.peerId},
                         {QStringLiteral("level"), f.integrityLevel},
                         {QStringLiteral("validation"), f.validationState},
                         {QStringLiteral("keys"), QJsonArray::fromStringList(f.contentKeys)},
                         {QStringLiteral("notServable"), f.notServable},
                         {QStringLiteral("sha256"), f.sha256}};
    return a;
}

void applyFilePeer(QList<JobFile> &files, const QJsonArray &a)
{
    for (int i = 0; i < files.size() && i < a.size(); ++i) {
        const QJsonObject o = a[i].toObject();
        JobFile &f = files[i];
        f.bytesFromPeers = qint64(o.value(QLatin1String("fromPeers")).toDouble());
        f.peerId = o.value(QLatin1String("peerId")).toString();
        f.integrityLevel = o.value(QLatin1String("level")).toString();
        f.validationState = o.value(QLatin1String("validation")).toString(QStringLiteral("unset"));
        f.contentKeys.clear();
        for (const QJsonValue &k : o.value(QLatin1String("keys")).toArray())
            f.contentKeys << k.toString();
        f.notServable = o.value(QLatin1String("notServable")).toString();
        f.sha256 = o.value(QLatin1String("sha256")).toString();
    }
}

QJsonArray credentialsJson(const QList<CredentialKey> &keys)
{
    QJsonArray a;
    for (const CredentialKey &k : keys)
        a << QJsonObject{{QStringLiteral("target"), authTargetName(k.target)}, {QStringLiteral("scheme"), authSchemeName(k.scheme)}};
    return a;
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
        {QStringLiteral("proxyUsage"), int(j.proxyUsage)},
        {QStringLiteral("proxyList"), j.proxyList},
        {QStringLiteral("proxyBypass"), j.proxyBypassList},
        {QStringLiteral("customHeaders"), QJsonArray::fromStringList(j.customHeaders)},
        {QStringLiteral("credentials"), credentialsJson(j.credentials)}, // which pairs, never a secret
        {QStringLiteral("securityFlags"), double(j.securityFlags)},
        {QStringLiteral("filePeer"), filePeerJson(j.files)},
    };
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// Returns the per-file part ("filePeer"), which applies once the files are read.
QJsonArray applyProperties(Job &j, const QByteArray &json)
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
    return o.value(QLatin1String("filePeer")).toArray();
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
    if (!createSchema()) {
        if (error)
            *error = QStringLiteral("cannot create the schema in %1").arg(m_path);
        return false;
    }
    return true;
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

bool JobStore::createSchema()
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    QSqlQuery q(db);
    return exec(q, QStringLiteral("PRAGMA application_id=%1").arg(ApplicationId))
           && exec(q, QStringLiteral("PRAGMA user_version=%1").arg(SchemaVersion))
           && exec(q, QStringLiteral("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT)"))
           && exec(q, QStringLiteral("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
                                     "state INTEGER NOT NULL, priority INTEGER NOT NULL, queue_seq INTEGER NOT NULL, "
                                     "props TEXT NOT NULL)"))
           && exec(q, QStringLiteral("CREATE TABLE IF NOT EXISTS files (job_id TEXT NOT NULL REFERENCES jobs(id) "
                                     "ON DELETE CASCADE, idx INTEGER NOT NULL, remote_url TEXT NOT NULL, "
                                     "local_name TEXT NOT NULL, temp_name TEXT NOT NULL, bytes_total INTEGER, "
                                     "bytes_transferred INTEGER, transferred INTEGER, completed INTEGER, "
                                     "from_peer INTEGER, etag TEXT, last_modified TEXT, PRIMARY KEY (job_id, idx))"))
           && exec(q, QStringLiteral("CREATE TABLE IF NOT EXISTS checkpoints (job_id TEXT NOT NULL, idx INTEGER NOT "
                                     "NULL, offset INTEGER NOT NULL, bytes_total INTEGER, etag TEXT, last_modified "
                                     "TEXT, PRIMARY KEY (job_id, idx))"));
}

QList<Job> JobStore::loadJobs()
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName);
    QHash<QString, int> row;
    QList<Job> jobs;
    QList<QJsonArray> filePeer; // by job position: the per-file facts apply once the files are read
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
        filePeer.append(applyProperties(j, q.value(5).toByteArray()));
        row.insert(q.value(0).toString(), int(jobs.size()));
        jobs.append(std::move(j));
    }
    exec(q, QStringLiteral("SELECT job_id, idx, remote_url, local_name, temp_name, bytes_total, bytes_transferred, "
                           "transferred, completed, from_peer, etag, last_modified FROM files ORDER BY job_id, idx"));
    while (q.next()) {
        auto it = row.constFind(q.value(0).toString());
        if (it == row.constEnd())
            continue;
        JobFile f;
        f.remoteUrl = QUrl(q.value(2).toString());
        f.localName = q.value(3).toString();
        f.tempName = q.value(4).toString();
        f.bytesTotal = q.value(5).toLongLong();
        f.transferred = q.value(7).toBool();
        // Only a checkpoint vouches for the bytes of an unfinished file (applied below).
        f.bytesTransferred = f.transferred ? q.value(6).toLongLong() : 0;
        f.completed = q.value(8).toBool();
        f.downloadedFromPeer = q.value(9).toBool();
        f.etag = q.value(10).toString();
        f.lastModified = q.value(11).toString();
        jobs[*it].files.append(f);
    }
    exec(q, QStringLiteral("SELECT job_id, idx, offset, bytes_total, etag, last_modified FROM checkpoints"));
    while (q.next()) {
        auto it = row.constFind(q.value(0).toString());
        const int idx = q.value(1).toInt();
        if (it == row.constEnd() || idx < 0 || idx >= jobs[*it].files.size())
            continue;
        JobFile &f = jobs[*it].files[idx];
        if (f.transferred)
            continue;
        f.bytesTransferred = q.value(2).toLongLong();
        f.bytesTotal = q.value(3).toLongLong();
        f.etag = q.value(4).toString();
        f.lastModified = q.value(5).toString();
    }
    for (int i = 0; i < jobs.size(); ++i)
        applyFilePeer(jobs[i].files, filePeer[i]);
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
    f.prepare(QStringLiteral("INSERT OR REPLACE INTO files (job_id, idx, remote_url, local_name, temp_name, "
                             "bytes_total, bytes_transferred, transferred, completed, from_peer, etag, last_modified) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (int i = 0; ok && i < job.files.size(); ++i) {
        const JobFile &jf = job.files[i];
        f.addBindValue(id);
        f.addBindValue(i);
        f.addBindValue(jf.remoteUrl.toString(QUrl::FullyEncoded));
        f.addBindValue(jf.localName);
        f.addBindValue(jf.tempName);
        f.addBindValue(jf.bytesTotal);
        f.addBindValue(jf.bytesTransferred);
        f.addBindValue(jf.transferred);
        f.addBindValue(jf.completed);
        f.addBindValue(jf.downloadedFromPeer);
        f.addBindValue(jf.etag);
        f.addBindValue(jf.lastModified);
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
    for (const char *table : {"checkpoints", "files", "jobs"}) {
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
    q.prepare(QStringLiteral("DELETE FROM checkpoints WHERE job_id = ? AND idx = ?"));
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
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO checkpoints (job_id, idx, offset, bytes_total, etag, "
                             "last_modified) VALUES (?, ?, ?, ?, ?, ?)"));
    q.addBindValue(jobId.toString(QUuid::WithoutBraces));
    q.addBindValue(fileIndex);
    q.addBindValue(offset);
    q.addBindValue(bytesTotal);
    q.addBindValue(etag);
    q.addBindValue(lastModified);
    if (q.exec())
        return true;
    qCWarning(lcStore) << "checkpoint failed:" << q.lastError().text();
    return false;
}

} // namespace ferry
