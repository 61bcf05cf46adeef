#include "store/JobSchema.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

#include <iterator>

namespace ferry::schema {
namespace {

// Version 2 (docs/engine.md, "Stored state"): a file's sizes and validators live in its row only
// (the checkpoint log updates that row; `checkpointed` says the row's bytes_transferred,
// bytes_total, etag and last_modified are the ones a flushed checkpoint vouched for), and its
// peer-cache facts are columns, the enumerations as their numbers (JobTypes.h).
const char *const FilesV2 =
    "CREATE TABLE %1 (job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, idx INTEGER NOT NULL, "
    "remote_url TEXT NOT NULL, local_name TEXT NOT NULL, temp_name TEXT NOT NULL, bytes_total INTEGER, "
    "bytes_transferred INTEGER, checkpointed INTEGER NOT NULL DEFAULT 0, transferred INTEGER, completed INTEGER, "
    "etag TEXT, last_modified TEXT, from_peer INTEGER, bytes_from_peers INTEGER NOT NULL DEFAULT 0, peer_id TEXT, "
    "peer_verification INTEGER NOT NULL DEFAULT 0, validation INTEGER NOT NULL DEFAULT 0, content_keys TEXT, "
    "not_servable TEXT, sha256 TEXT, PRIMARY KEY (job_id, idx))";

// Version 3 adds to a file its ranges (AddFileWithRanges, as "OFFSET:LENGTH,...", NULL for the
// whole file) and the raw headers of its last response.
const char *const FilesV3Columns[] = {"ALTER TABLE files ADD COLUMN ranges TEXT",
                                      "ALTER TABLE files ADD COLUMN response_headers BLOB"};

bool run(QSqlDatabase &db, const QStringList &statements, QString *error)
{
    QSqlQuery q(db);
    for (const QString &sql : statements) {
        if (!q.exec(sql)) {
            *error = QStringLiteral("%1 (in: %2)").arg(q.lastError().text(), sql.left(120));
            return false;
        }
    }
    return true;
}

// Version 1 kept a file's bytes, ETag and Last-Modified twice (its row, and its checkpoint row,
// which won for an unfinished file) and its peer facts as strings in the job's props JSON
// ("filePeer", by file position). This moves each value to its one place in version 2.
bool migrateToV2(QSqlDatabase &db, QString *error)
{
    const QString fromCheckpoint = QStringLiteral("c.job_id IS NOT NULL AND NOT f.transferred");
    return run(db,
               {QString::fromLatin1(FilesV2).arg(QLatin1String("files_v2")),
                QStringLiteral(
                    "INSERT INTO files_v2 (job_id, idx, remote_url, local_name, temp_name, bytes_total, "
                    "bytes_transferred, checkpointed, transferred, completed, etag, last_modified, from_peer, "
                    "bytes_from_peers, peer_id, peer_verification, validation, content_keys, not_servable, sha256) "
                    "SELECT f.job_id, f.idx, f.remote_url, f.local_name, f.temp_name, "
                    "CASE WHEN %1 THEN c.bytes_total ELSE f.bytes_total END, "
                    "CASE WHEN f.transferred THEN f.bytes_transferred WHEN c.job_id IS NOT NULL THEN c.offset ELSE 0 END, "
                    "c.job_id IS NOT NULL, f.transferred, f.completed, "
                    "CASE WHEN %1 THEN c.etag ELSE f.etag END, "
                    "CASE WHEN %1 THEN c.last_modified ELSE f.last_modified END, "
                    "f.from_peer, coalesce(json_extract(p.value, '$.fromPeers'), 0), json_extract(p.value, '$.peerId'), "
                    "CASE json_extract(p.value, '$.level') WHEN 'origin-only' THEN 1 WHEN 'group' THEN 2 "
                    "WHEN 'origin-strong' THEN 3 ELSE 0 END, "
                    "CASE json_extract(p.value, '$.validation') WHEN 'valid' THEN 1 WHEN 'invalid' THEN 2 ELSE 0 END, "
                    "coalesce(json_extract(p.value, '$.keys'), '[]'), json_extract(p.value, '$.notServable'), "
                    "json_extract(p.value, '$.sha256') "
                    "FROM files f JOIN jobs j ON j.id = f.job_id "
                    "LEFT JOIN checkpoints c ON c.job_id = f.job_id AND c.idx = f.idx "
                    "LEFT JOIN json_each(j.props, '$.filePeer') p ON p.key = f.idx")
                    .arg(fromCheckpoint),
                QStringLiteral("DROP TABLE files"),
                QStringLiteral("ALTER TABLE files_v2 RENAME TO files"),
                QStringLiteral("DROP TABLE checkpoints"),
                QStringLiteral("UPDATE jobs SET props = json_remove(props, '$.filePeer')")},
               error);
}

bool migrateToV3(QSqlDatabase &db, QString *error)
{
    QStringList statements;
    for (const char *sql : FilesV3Columns)
        statements << QString::fromLatin1(sql);
    return run(db, statements, error);
}

struct Step
{
    int to;
    bool (*apply)(QSqlDatabase &, QString *);
    const char *name;
};

// Append only: each change to the schema is a new step (docs/engine.md, "Stored state").
constexpr Step Steps[] = {
    {2, migrateToV2, "migrateToV2"},
    {3, migrateToV3, "migrateToV3"},
};
static_assert(std::size(Steps) == std::size_t(Current - 1), "every version above 1 has its step");

} // namespace

int version(const QSqlDatabase &db)
{
    QSqlQuery q(db);
    return (q.exec(QStringLiteral("PRAGMA user_version")) && q.next()) ? q.value(0).toInt() : -1;
}

bool create(QSqlDatabase &db, int applicationId, QString *error)
{
    if (!db.transaction()) {
        *error = db.lastError().text();
        return false;
    }
    const bool ok = run(db,
                        {QStringLiteral("PRAGMA application_id=%1").arg(applicationId),
                         QStringLiteral("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT)"),
                         QStringLiteral("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
                                        "state INTEGER NOT NULL, priority INTEGER NOT NULL, queue_seq INTEGER NOT NULL, "
                                        "props TEXT NOT NULL)"),
                         QString::fromLatin1(FilesV2).arg(QLatin1String("IF NOT EXISTS files")),
                         QString::fromLatin1(FilesV3Columns[0]),
                         QString::fromLatin1(FilesV3Columns[1]),
                         QStringLiteral("PRAGMA user_version=%1").arg(Current)},
                        error);
    if (ok && db.commit())
        return true;
    if (ok)
        *error = db.lastError().text();
    db.rollback();
    return false;
}

bool upgrade(QSqlDatabase &db, int from, QString *error)
{
    if (!db.transaction()) {
        *error = db.lastError().text();
        return false;
    }
    QString why;
    const char *failed = nullptr;
    for (const Step &step : Steps) {
        if (step.to <= from)
            continue;
        if (!step.apply(db, &why)) {
            failed = step.name;
            break;
        }
    }
    if (!failed) {
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("PRAGMA user_version=%1").arg(Current))) {
            failed = "setting user_version";
            why = q.lastError().text();
        } else if (!db.commit()) {
            failed = "commit";
            why = db.lastError().text();
        } else {
            return true;
        }
    }
    db.rollback();
    *error = QStringLiteral("upgrading it from schema version %1 to %2 failed at %3: %4. The upgrade was rolled back: "
                            "the file is as it was")
                 .arg(from)
                 .arg(Current)
                 .arg(QLatin1String(failed), why);
    return false;
}

} // namespace ferry::schema
