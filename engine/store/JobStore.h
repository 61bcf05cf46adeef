// SQLite persistence (Qt Sql, WAL) of jobs, their files and progress checkpoints.
// Lives on the engine thread; CheckpointLog writes checkpoints from the transfer thread
// through its own connection to the same file.
#pragma once

#include "core/Job.h"
#include "store/JobSchema.h"

#include <QSqlDatabase>
#include <QString>

namespace ferry {

class JobStore
{
public:
    explicit JobStore(QString path);
    ~JobStore();
    JobStore(const JobStore &) = delete;
    JobStore &operator=(const JobStore &) = delete;

    // Opens (creating if needed) and upgrades an older schema (JobSchema.h). A corrupt or foreign
    // file is moved aside, never wiped; recoveryMessage() then says where it went. A file of a
    // newer schema than this build knows, or whose upgrade fails, is refused and left untouched.
    bool open(QString *error = nullptr);
    QString recoveryMessage() const { return m_recoveryMessage; }
    QString path() const { return m_path; }

    QList<Job> loadJobs();                  // with checkpointed progress applied
    bool saveJob(const Job &job);           // the job row and its file rows, one transaction
    bool saveDownloadTime(const QUuid &id, qint64 ms); // one field, cheap enough for every tick
    bool saveActivity(const Job &job);      // lastActivityTime and noProgressSince only, as cheap
    bool removeJob(const QUuid &id);        // row, files and checkpoints
    bool clearCheckpoint(const QUuid &id, int fileIndex);

    // Rewrites the database so that nothing deleted (a password removed from a URL) survives in
    // free pages or the write-ahead log.
    void scrub();

    QString setting(const QString &key, const QString &fallback = {}) const;
    bool setSetting(const QString &key, const QString &value);

    static constexpr int ApplicationId = 0x46455259; // "FERY"
    static constexpr int SchemaVersion = schema::Current;

    // Shared by CheckpointLog: opens a WAL connection with the project's pragmas.
    static QSqlDatabase openConnection(const QString &connectionName, const QString &path, QString *error);

private:
    void restrictFiles() const;
    bool verify(QString *why);
    bool prepareSchema(QString *error);
    void moveAside(const QString &why);

    QString m_path;
    QString m_connectionName;
    QString m_recoveryMessage;
};

// Progress checkpoints, written on the transfer thread right after the bytes they cover are
// flushed to the temporary file.
class CheckpointLog
{
public:
    explicit CheckpointLog(const QString &path);
    ~CheckpointLog();
    bool record(const QUuid &jobId, int fileIndex, qint64 offset, qint64 bytesTotal, const QString &etag,
                const QString &lastModified);

private:
    QString m_connectionName;
};

} // namespace ferry
