// The job database's schema ladder (docs/engine.md, "Stored state"): a real version-1 profile
// (tests/fixtures/v1-profile, written by the version-1 JobStore) is upgraded with every job and
// every field intact; a second open changes nothing; a database newer than this build, or one
// whose upgrade fails, stops the engine and is left byte for byte as it was.
#include "AdminRunner.h"
#include "store/JobStore.h"

#include <QDir>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace ferry;
using namespace admintest;

namespace {

const QString Fixture = QStringLiteral(FERRY_FIXTURES_DIR "/v1-profile/jobs.db");
const QString FixtureV2 = QStringLiteral(FERRY_FIXTURES_DIR "/v2-profile/jobs.db");

QUuid uuid(int n) { return QUuid(QStringLiteral("{00000000-0000-4000-8000-0000000000%1}").arg(n, 2, 10, QLatin1Char('0'))); }
QDateTime at(int minute) { return QDateTime(QDate(2024, 5, 1), QTime(12, minute, 0, 250), Qt::UTC); }

// Runs statements on the file through a connection of its own, closed before returning.
QVariant sql(const QString &path, const QStringList &statements)
{
    static int counter = 0;
    const QString name = QStringLiteral("tst-schema-%1").arg(++counter);
    QVariant last;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        if (db.open()) {
            QSqlQuery q(db);
            for (const QString &s : statements)
                last = (q.exec(s) && q.next()) ? q.value(0) : QVariant();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return last;
}

int userVersion(const QString &path) { return sql(path, {QStringLiteral("PRAGMA user_version")}).toInt(); }

QStringList leftovers(const QString &dir) // anything but the database itself
{
    QStringList names = QDir(dir).entryList(QDir::Files | QDir::Hidden);
    names.removeAll(QStringLiteral("jobs.db"));
    names.removeAll(QStringLiteral("engine.lock"));
    return names;
}

} // namespace

class TestSchema : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void versionOneIsUpgradedIntact();
    void versionTwoGainsRangesAndResponseHeaders();
    void secondOpenChangesNothing();
    void newDatabaseIsCurrent();
    void checkpointOwnsUnfinishedFile();
    void newerDatabaseIsRefusedUntouched();
    void failedUpgradeIsRolledBack();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_db;
};

void TestSchema::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_db = m_dir->filePath(QStringLiteral("jobs.db"));
    QVERIFY2(QFile::copy(Fixture, m_db), qPrintable(Fixture));
    QFile::setPermissions(m_db, QFile::ReadOwner | QFile::WriteOwner);
    QCOMPARE(userVersion(m_db), 1);
}

void TestSchema::versionOneIsUpgradedIntact()
{
    QList<Job> jobs;
    {
        JobStore store(m_db);
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        QCOMPARE(store.recoveryMessage(), QString());
        jobs = store.loadJobs();
        QCOMPARE(store.setting(QStringLiteral("fixture.setting")), QStringLiteral("kept"));
    }
    QCOMPARE(userVersion(m_db), JobStore::SchemaVersion);
    QCOMPARE(sql(m_db, {QStringLiteral("SELECT count(*) FROM sqlite_master WHERE name = 'checkpoints'")}).toInt(), 0);
    QCOMPARE(sql(m_db, {QStringLiteral("SELECT count(*) FROM jobs WHERE props LIKE '%filePeer%'")}).toInt(), 0);
    QCOMPARE(leftovers(m_dir->path()), QStringList());

    const JobState states[] = {JobState::Queued, JobState::Connecting, JobState::Transferring,
                               JobState::Suspended, JobState::Error, JobState::TransientError,
                               JobState::Transferred, JobState::Acknowledged, JobState::Cancelled};
    QCOMPARE(jobs.size(), 9);
    for (int i = 0; i < 9; ++i) {
        const Job &j = jobs[i];
        const int n = i + 1;
        QCOMPARE(j.id, uuid(n));
        QCOMPARE(j.displayName, QStringLiteral("job %1").arg(n));
        QCOMPARE(j.description, QStringLiteral("description of job %1").arg(n));
        QCOMPARE(j.state, states[i]);
        QCOMPARE(j.priority, JobPriority(n % 4));
        QCOMPARE(j.queueSequence, quint64(100 + n));
        QCOMPARE(j.creationTime, at(n));
        QCOMPARE(j.modificationTime, at(n + 10));
        QCOMPARE(j.files.first().remoteUrl, QUrl(QStringLiteral("http://origin.example/file%1.bin?x=%1").arg(n * 10)));
        QCOMPARE(j.files.first().localName, QStringLiteral("/srv/downloads/file%1.bin").arg(n * 10));
        QCOMPARE(j.files.first().tempName, Job::temporaryNameFor(j.files.first().localName, j.id));
        if (n != 4) {
            QCOMPARE(j.owner.uid, 0u);
            QCOMPARE(j.owner.userName, QStringLiteral("root"));
            QCOMPARE(j.owner.integrity, IntegrityLevel::High);
            QVERIFY(j.owner.elevated);
        }
    }

    // Another user's job, at its own integrity level.
    const Job &other = jobs[3];
    QCOMPARE(other.owner.uid, 65534u);
    QCOMPARE(other.owner.gid, 65534u);
    QCOMPARE(other.owner.userName, QStringLiteral("nobody"));
    QCOMPARE(other.owner.integrity, IntegrityLevel::Medium);
    QVERIFY(!other.owner.elevated);
    QCOMPARE(other.proxyUsage, ProxyUsage::NoProxy);
    QCOMPARE(other.peerCachingFlags, 0x1u);

    // In progress without a checkpoint: the live count was never durable.
    const Job &running = jobs[2];
    QCOMPARE(running.files.first().bytesTransferred, qint64(0));
    QCOMPARE(running.files.first().bytesTotal, qint64(-1));
    QCOMPARE(running.downloadTimeUsedMs, qint64(65432));

    QCOMPARE(jobs[4].error.context, ErrorContext::RemoteFile);
    QCOMPARE(jobs[4].error.code, hr::BG_E_VALIDATION_FAILED);
    QCOMPARE(jobs[4].error.description, QStringLiteral("the file was declared invalid"));
    QCOMPARE(jobs[4].error.fileIndex, 0);
    QCOMPARE(jobs[4].errorCount, 1);
    QCOMPARE(jobs[5].error.code, httpError(503));
    QCOMPARE(jobs[5].error.fileIndex, -1);
    QCOMPARE(jobs[5].errorCount, 4);

    const Job &t = jobs[6];
    QCOMPARE(t.files.size(), 3);
    QCOMPARE(t.transferCompletionTime, at(40));
    QCOMPARE(t.peerCachingFlags, 0x3u);
    QCOMPARE(t.customHeaders, (QStringList{QStringLiteral("X-Token: abc"), QStringLiteral("Accept-Language: fr")}));
    QCOMPARE(t.credentials, (QList<CredentialKey>{{AuthTarget::Server, AuthScheme::Basic}, {AuthTarget::Proxy, AuthScheme::Negotiate}}));
    QCOMPARE(t.proxyUsage, ProxyUsage::Override);
    QCOMPARE(t.proxyList, QStringLiteral("http://proxy.example:3128"));
    QCOMPARE(t.proxyBypassList, QStringLiteral("localhost;*.lan"));
    QCOMPARE(t.notifyProgram, QStringLiteral("/usr/bin/notify-done"));
    QCOMPARE(t.notifyParameters, QStringLiteral("notify-done --job 7"));
    QVERIFY(t.notifyPending);
    QCOMPARE(t.securityFlags, security::RedirectAllowReport | security::IgnoreUnknownCa);
    QCOMPARE(t.minimumRetryDelay, 60u);
    QCOMPARE(t.noProgressTimeout, 3600u);
    QCOMPARE(t.maximumDownloadTime, 86400u);

    // Partly from a peer; its (stale) checkpoint row lost to the finished file's values, as in v1.
    const JobFile &p = t.files[0];
    QVERIFY(p.transferred && !p.completed && p.downloadedFromPeer);
    QCOMPARE(p.bytesTotal, qint64(4096));
    QCOMPARE(p.bytesTransferred, qint64(4096));
    QCOMPARE(p.bytesFromPeers, qint64(3000));
    QCOMPARE(p.peerId, QStringLiteral("peer-abc"));
    QCOMPARE(p.peerVerification, PeerVerification::Group);
    QCOMPARE(p.validationState, ValidationState::Valid);
    QCOMPARE(p.contentKeys, (QStringList{QStringLiteral("v:etag-key"), QStringLiteral("d:digest-key")}));
    QCOMPARE(p.sha256, QStringLiteral("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
    QCOMPARE(p.notServable, QString());
    QCOMPARE(p.etag, QStringLiteral("\"etag-70\""));
    QCOMPARE(p.lastModified, QStringLiteral("Wed, 01 May 2024 10:00:00 GMT"));

    const JobFile &o = t.files[1];
    QVERIFY(o.transferred && !o.downloadedFromPeer);
    QCOMPARE(o.bytesTransferred, qint64(2048));
    QCOMPARE(o.bytesFromPeers, qint64(0));
    QCOMPARE(o.peerVerification, PeerVerification::OriginStrong);
    QCOMPARE(o.validationState, ValidationState::Invalid);
    QCOMPARE(o.notServable, QStringLiteral("Cache-Control: no-store"));
    QCOMPARE(o.contentKeys, QStringList());
    QCOMPARE(o.etag, QStringLiteral("W/\"etag-71\""));
    QCOMPARE(o.lastModified, QStringLiteral("Tue, 30 Apr 2024 09:00:00 GMT"));

    // Unfinished: the checkpoint's bytes, size and validators, not the job row's stale ones.
    const JobFile &u = t.files[2];
    QVERIFY(!u.transferred);
    QCOMPARE(u.bytesTransferred, qint64(1500));
    QCOMPARE(u.bytesTotal, qint64(8192));
    QCOMPARE(u.etag, QStringLiteral("\"etag-72\""));
    QCOMPARE(u.lastModified, QStringLiteral("Mon, 29 Apr 2024 08:00:00 GMT"));
    QCOMPARE(u.peerVerification, PeerVerification::None);
    QCOMPARE(u.validationState, ValidationState::Unset);

    const Job &done = jobs[7];
    QCOMPARE(done.transferCompletionTime, at(45));
    const JobFile &c = done.files.first();
    QVERIFY(c.transferred && c.completed);
    QCOMPARE(c.bytesTransferred, qint64(10));
    QCOMPARE(c.peerVerification, PeerVerification::OriginOnly);
    QCOMPARE(c.validationState, ValidationState::Valid);
    QCOMPARE(c.sha256, QStringLiteral("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

// Version 3 adds a file's ranges and response headers: a real version-2 database keeps every job
// and file, its files are whole files with no headers yet, and both new columns round-trip.
void TestSchema::versionTwoGainsRangesAndResponseHeaders()
{
    QFile::remove(m_db);
    QVERIFY2(QFile::copy(FixtureV2, m_db), qPrintable(FixtureV2));
    QFile::setPermissions(m_db, QFile::ReadOwner | QFile::WriteOwner);
    QCOMPARE(userVersion(m_db), 2);
    const int files = sql(m_db, {QStringLiteral("SELECT count(*) FROM files")}).toInt();
    QVERIFY(files > 0);
    QList<Job> jobs;
    {
        JobStore store(m_db);
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        jobs = store.loadJobs();
        QCOMPARE(jobs.size(), 9);
        int loaded = 0;
        for (const Job &j : std::as_const(jobs)) {
            QCOMPARE(j.maxDownloadSize, quint64(0));
            QVERIFY(!j.dynamicContent && !j.customHeadersWriteOnly);
            for (const JobFile &f : j.files) {
                ++loaded;
                QVERIFY(f.ranges.isEmpty());
                QVERIFY(f.responseHeaders.isEmpty());
            }
        }
        QCOMPARE(loaded, files);
        Job changed = jobs[6];
        changed.files[0].ranges = {{100, 10}, {200, FileRange::ToEof}};
        changed.files[0].responseHeaders = "HTTP/1.1 206 Partial Content\r\nETag: \"x\"\r\n";
        changed.maxDownloadSize = ~quint64(0);
        QVERIFY(store.saveJob(changed));
    }
    QCOMPARE(userVersion(m_db), JobStore::SchemaVersion);
    QCOMPARE(JobStore::SchemaVersion, 3);
    JobStore store(m_db);
    QVERIFY(store.open());
    const QList<Job> again = store.loadJobs();
    const JobFile &f = again[6].files[0];
    QCOMPARE(f.ranges, (QList<FileRange>{{100, 10}, {200, FileRange::ToEof}}));
    QCOMPARE(f.responseHeaders, QByteArray("HTTP/1.1 206 Partial Content\r\nETag: \"x\"\r\n"));
    QCOMPARE(again[6].maxDownloadSize, ~quint64(0));
    QCOMPARE(again[6].files[1].ranges, QList<FileRange>());
}

void TestSchema::secondOpenChangesNothing()
{
    QList<Job> first;
    {
        JobStore store(m_db);
        QVERIFY(store.open());
        first = store.loadJobs();
    }
    const QByteArray upgraded = readAll(m_db);
    QVERIFY(!upgraded.isEmpty());
    {
        JobStore store(m_db);
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        const QList<Job> again = store.loadJobs();
        QCOMPARE(again.size(), first.size());
        for (int i = 0; i < again.size(); ++i) {
            QCOMPARE(again[i].id, first[i].id);
            QCOMPARE(again[i].files.size(), first[i].files.size());
            QCOMPARE(again[i].files.last().etag, first[i].files.last().etag);
        }
    }
    QCOMPARE(readAll(m_db), upgraded);
    QCOMPARE(userVersion(m_db), JobStore::SchemaVersion);
}

void TestSchema::newDatabaseIsCurrent()
{
    const QString path = m_dir->filePath(QStringLiteral("new.db"));
    Job job = Job::create(QStringLiteral("round trip"), Owner::ofThisProcess(), at(1));
    JobFile f;
    f.remoteUrl = QUrl(QStringLiteral("http://origin.example/a"));
    f.localName = QStringLiteral("/tmp/a");
    f.tempName = Job::temporaryNameFor(f.localName, job.id);
    f.bytesTotal = f.bytesTransferred = 5;
    f.transferred = true;
    f.peerVerification = PeerVerification::Group;
    f.validationState = ValidationState::Invalid;
    f.contentKeys = {QStringLiteral("k1")};
    job.files << f;
    {
        JobStore store(path);
        QVERIFY(store.open());
        QVERIFY(store.saveJob(job));
    }
    QCOMPARE(userVersion(path), JobStore::SchemaVersion);
    JobStore store(path);
    QVERIFY(store.open());
    const QList<Job> jobs = store.loadJobs();
    QCOMPARE(jobs.size(), 1);
    QCOMPARE(jobs[0].files[0].peerVerification, PeerVerification::Group);
    QCOMPARE(jobs[0].files[0].validationState, ValidationState::Invalid);
    QCOMPARE(jobs[0].files[0].contentKeys, f.contentKeys);
}

// One home for an unfinished file's bytes and validators: what the checkpoint log flushed, even
// when the engine thread saves its (older) copy of the job afterwards.
void TestSchema::checkpointOwnsUnfinishedFile()
{
    const QString path = m_dir->filePath(QStringLiteral("ck.db"));
    Job job = Job::create(QStringLiteral("checkpointed"), Owner::ofThisProcess(), at(1));
    JobFile f;
    f.remoteUrl = QUrl(QStringLiteral("http://origin.example/b"));
    f.localName = QStringLiteral("/tmp/b");
    f.tempName = Job::temporaryNameFor(f.localName, job.id);
    job.files << f;
    JobStore store(path);
    QVERIFY(store.open());
    QVERIFY(store.saveJob(job));
    {
        CheckpointLog log(path);
        QVERIFY(log.record(job.id, 0, 700, 1000, QStringLiteral("\"new\""), QStringLiteral("lm")));
    }
    job.files[0].bytesTransferred = 900; // live, not flushed
    job.files[0].etag = QStringLiteral("\"older\"");
    QVERIFY(store.saveJob(job));
    JobFile loaded = store.loadJobs().first().files.first();
    QCOMPARE(loaded.bytesTransferred, qint64(700));
    QCOMPARE(loaded.bytesTotal, qint64(1000));
    QCOMPARE(loaded.etag, QStringLiteral("\"new\""));
    QCOMPARE(loaded.lastModified, QStringLiteral("lm"));

    job.files[0].transferred = true; // finished: the job's values are final
    job.files[0].bytesTotal = job.files[0].bytesTransferred = 1000;
    job.files[0].etag = QStringLiteral("\"final\"");
    QVERIFY(store.saveJob(job));
    loaded = store.loadJobs().first().files.first();
    QCOMPARE(loaded.bytesTransferred, qint64(1000));
    QCOMPARE(loaded.etag, QStringLiteral("\"final\""));
}

// The real engine refuses to start on a database of a newer schema, and writes nothing to it.
void TestSchema::newerDatabaseIsRefusedUntouched()
{
    sql(m_db, {QStringLiteral("PRAGMA user_version=%1").arg(JobStore::SchemaVersion + 7)});
    const QByteArray before = readAll(m_db);
    const AdminResult r = runCommand(engineProgram(), {QStringLiteral("--headless"), QStringLiteral("--profile"), m_dir->path()});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QStringLiteral("schema version %1, newer than this build").arg(JobStore::SchemaVersion + 7))
                 && r.err.contains(QLatin1String("left untouched")),
             qPrintable(describe(r)));
    QCOMPARE(readAll(m_db), before);
    QCOMPARE(leftovers(m_dir->path()), QStringList()); // not moved aside, no journal left
}

// An upgrade that fails half-way (a version-1 file whose checkpoints table lost a column) is
// rolled back: the engine does not start and the file is byte for byte as it was.
void TestSchema::failedUpgradeIsRolledBack()
{
    sql(m_db, {QStringLiteral("DROP TABLE checkpoints"), QStringLiteral("CREATE TABLE checkpoints (job_id TEXT, idx INTEGER)")});
    QCOMPARE(userVersion(m_db), 1);
    const QByteArray before = readAll(m_db);
    const AdminResult r = runCommand(engineProgram(), {QStringLiteral("--headless"), QStringLiteral("--profile"), m_dir->path()});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(QLatin1String("from schema version 1 to")) && r.err.contains(QLatin1String("migrateToV2"))
                 && r.err.contains(QLatin1String("rolled back")),
             qPrintable(describe(r)));
    QCOMPARE(readAll(m_db), before);
    QCOMPARE(leftovers(m_dir->path()), QStringList());

    // The same through the store: still refused, still untouched, still version 1.
    JobStore store(m_db);
    QString error;
    QVERIFY(!store.open(&error));
    QVERIFY2(error.contains(QLatin1String("the file is as it was")), qPrintable(error));
    QCOMPARE(readAll(m_db), before);
}

QTEST_GUILESS_MAIN(TestSchema)
#include "tst_schema.moc"
