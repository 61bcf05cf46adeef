// JobManager's API over a real SQLite store: finding jobs, validation, persistence of every
// property and transition, recovery from corrupt or foreign databases, many jobs.
#include "core/Clock.h"
#include "jobs/JobManager.h"
#include "store/JobStore.h"
#include "transfer/Downloader.h"

#include <QDir>
#include <QFileInfo>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QUuid>
#include <memory>

using namespace ferry;

namespace {

// The engine's pieces as Engine wires them, without the control socket.
struct Harness
{
    explicit Harness(const QString &dir)
        : path(dir + QStringLiteral("/jobs.db"))
    {
        open();
    }
    ~Harness() { close(); }

    void open()
    {
        store = std::make_unique<JobStore>(path);
        QVERIFY(store->open());
        downloader = new Downloader(path);
        downloader->moveToThread(&thread);
        QObject::connect(&thread, &QThread::finished, downloader, &QObject::deleteLater);
        thread.start();
        jobs = std::make_unique<JobManager>(store.get(), downloader, &clock);
        jobs->load();
    }
    void close()
    {
        jobs.reset();
        thread.quit();
        thread.wait();
        store.reset();
    }
    void reopen()
    {
        close();
        open();
    }

    QString path;
    ManualClock clock;
    QThread thread;
    std::unique_ptr<JobStore> store;
    Downloader *downloader = nullptr;
    std::unique_ptr<JobManager> jobs;
};

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestJobManager : public QObject
{
    Q_OBJECT

private slots:
    void createFindAndEnumerate()
    {
        QTemporaryDir dir;
        Harness h(dir.path());
        QUuid a, b, c;
        QVERIFY(h.jobs->createJob(QStringLiteral("alpha"), Owner::ofThisProcess(), &a).ok());
        QVERIFY(h.jobs->createJob(QStringLiteral("beta"), Owner::ofThisProcess(), &b).ok());
        QVERIFY(h.jobs->createJob(QStringLiteral("beta"), Owner::ofThisProcess(), &c).ok());
        QCOMPARE(h.jobs->jobs().size(), 3);
        QCOMPARE(h.jobs->jobs().first().id, a);
        QUuid found;
        QVERIFY(h.jobs->find(QStringLiteral("alpha"), &found).ok());
        QCOMPARE(found, a);
        QVERIFY(h.jobs->find(b.toString(QUuid::WithoutBraces), &found).ok());
        QCOMPARE(found, b);
        QCOMPARE(h.jobs->find(QStringLiteral("beta"), &found).code, hr::E_INVALIDARG); // ambiguous
        QCOMPARE(h.jobs->find(QStringLiteral("gamma"), &found).code, hr::BG_E_NOT_FOUND);
        QCOMPARE(h.jobs->find(QUuid::createUuid().toString(), &found).code, hr::BG_E_NOT_FOUND);
        QCOMPARE(h.jobs->job(a)->state, JobState::Suspended);
    }

    void stringsAreBounded()
    {
        QTemporaryDir dir;
        Harness h(dir.path());
        QUuid id;
        QVERIFY(h.jobs->createJob(QString(256, QLatin1Char('x')), {}, &id).ok());
        QCOMPARE(h.jobs->setDescription(id, QString(1025, QLatin1Char('d'))).code, hr::BG_E_STRING_TOO_LONG);
        QVERIFY(h.jobs->setDescription(id, QString(1024, QLatin1Char('d'))).ok());
    }

    // CreateJob and SetDisplayName: a name over 256 characters is an invalid argument (E_INVALIDARG,
    // the code BITS documents for CreateJob), and nothing is made or changed.
    void displayNameOver256IsInvalidArg()
    {
        QTemporaryDir dir;
        Harness h(dir.path());
        QUuid id;
        QCOMPARE(errorName(h.jobs->createJob(QString(257, QLatin1Char('x')), {}, &id).code), errorName(hr::E_INVALIDARG));
        QVERIFY(h.jobs->jobs().isEmpty());
        QVERIFY(h.jobs->createJob(QStringLiteral("short"), {}, &id).ok());
        QCOMPARE(errorName(h.jobs->setDisplayName(id, QString(257, QLatin1Char('y'))).code), errorName(hr::E_INVALIDARG));
        QCOMPARE(h.jobs->job(id)->displayName, QStringLiteral("short"));
        QVERIFY(h.jobs->setDisplayName(id, QString(256, QLatin1Char('y'))).ok());
        QCOMPARE(h.jobs->job(id)->displayName.size(), 256);
    }

    // SetProxySettings: each list holds at most 4,000 characters, refused with its own code.
    void proxyListsOver4000AreTooLarge()
    {
        QTemporaryDir dir;
        Harness h(dir.path());
        QUuid id;
        QVERIFY(h.jobs->createJob(QStringLiteral("j"), {}, &id).ok());
        const QString longList = QStringLiteral("p:3128 ").repeated(600).left(4001);
        QCOMPARE(errorName(h.jobs->setProxyUsage(id, ProxyUsage::Override, longList, {}).code),
                 errorName(hr::BG_E_PROXY_LIST_TOO_LARGE));
        QCOMPARE(errorName(h.jobs->setProxyUsage(id, ProxyUsage::Override, QStringLiteral("p:3128"), longList).code),
                 errorName(hr::BG_E_PROXY_BYPASS_LIST_TOO_LARGE));
        QCOMPARE(h.jobs->job(id)->proxyUsage, ProxyUsage::Preconfig);
        QVERIFY(h.jobs->setProxyUsage(id, ProxyUsage::Override, longList.left(4000), longList.left(4000)).ok());
        QCOMPARE(h.jobs->job(id)->proxyList.size(), 4000);
    }

    // SetProxySettings: lists go only with OVERRIDE; given with another usage they are refused
    // (E_INVALIDARG), not silently dropped, and the job keeps what it had.
    void proxyListsOnlyWithOverride()
    {
        QTemporaryDir dir;
        Harness h(dir.path());
        QUuid id;
        QVERIFY(h.jobs->createJob(QStringLiteral("j"), {}, &id).ok());
        QVERIFY(h.jobs->setProxyUsage(id, ProxyUsage::Override, QStringLiteral("p:3128"), QStringLiteral("<local>")).ok());
        for (ProxyUsage usage : {ProxyUsage::Preconfig, ProxyUsage::NoProxy, ProxyUsage::AutoDetect}) {
            QCOMPARE(errorName(h.jobs->setProxyUsage(id, usage, QStringLiteral("q:1"), {}).code), errorName(hr::E_INVALIDARG));
            QCOMPARE(errorName(h.jobs->setProxyUsage(id, usage, {}, QStringLiteral("<local>")).code), errorName(hr::E_INVALIDARG));
            QCOMPARE(h.jobs->job(id)->proxyUsage, ProxyUsage::Override);
            QCOMPARE(h.jobs->job(id)->proxyList, QStringLiteral("p:3128"));
        }
        QVERIFY(h.jobs->setProxyUsage(id, ProxyUsage::NoProxy, {}, {}).ok());
        QCOMPARE(h.jobs->job(id)->proxyList, QString());
    }

    // SetPeerCachingFlags: DISABLE_BRANCH_CACHE (0x4) is a documented flag: accepted and kept
    // (Ferry has no BranchCache, so it changes nothing else); undefined bits are E_NOTIMPL.
    void peerCachingDisableBranchCacheIsStored()
    {
        QTemporaryDir dir;
        Harness h(dir.path());
        QUuid id;
        QVERIFY(h.jobs->createJob(QStringLiteral("j"), {}, &id).ok());
        QVERIFY(h.jobs->setPeerCachingFlags(id, peercaching::DisableBranchCache | peercaching::Client).ok());
        QCOMPARE(h.jobs->job(id)->peerCachingFlags, 0x5u);
        QCOMPARE(errorName(h.jobs->setPeerCachingFlags(id, 0x10).code), errorName(hr::E_NOTIMPL));
        h.reopen();
        QCOMPARE(h.jobs->job(id)->peerCachingFlags, 0x5u);
    }

    void badFilesAreRejectedAndLoseNothing()
    {
        QTemporaryDir dir;
        Harness h(dir.path());
        QUuid id;
        QVERIFY(h.jobs->createJob(QStringLiteral("j"), {}, &id).ok());
        const QString good = dir.filePath(QStringLiteral("out.bin"));
        QVERIFY(h.jobs->addFile(id, QStringLiteral("http://127.0.0.1:9/a"), good).ok());
        QCOMPARE(h.jobs->addFile(id, QStringLiteral("ftp://host/a"), dir.filePath(QStringLiteral("x"))).code, hr::E_INVALIDARG);
        QCOMPARE(h.jobs->addFile(id, QStringLiteral("not a url"), dir.filePath(QStringLiteral("x"))).code, hr::E_INVALIDARG);
        QCOMPARE(h.jobs->addFile(id, QStringLiteral("http://h/a"), QStringLiteral("rel/x")).code, hr::E_INVALIDARG);
        QCOMPARE(h.jobs->addFile(id, QStringLiteral("http://h/a"), good).code, hr::E_INVALIDARG); // twice in one job
        QCOMPARE(h.jobs->job(id)->files.size(), 1);
        QCOMPARE(h.jobs->job(id)->files[0].localName, good);
        QVERIFY(h.jobs->job(id)->files[0].tempName.endsWith(QStringLiteral(".part")));
        h.reopen();
        QCOMPARE(h.jobs->job(id)->files.size(), 1);
    }

    void resumeEmptyAndFinalJobs()
    {
        QTemporaryDir dir;
        Harness h(dir.path());
        QUuid id;
        QVERIFY(h.jobs->createJob(QStringLiteral("j"), {}, &id).ok());
        QCOMPARE(h.jobs->resume(id).code, hr::BG_E_EMPTY);
        QCOMPARE(h.jobs->job(id)->state, JobState::Suspended);
        QSignalSpy removed(h.jobs.get(), &JobManager::jobRemoved);
        QVERIFY(h.jobs->cancel(id).ok());
        QCOMPARE(removed.size(), 1);
        QVERIFY(!h.jobs->job(id));
        QCOMPARE(h.jobs->resume(id).code, hr::BG_E_NOT_FOUND);
        h.reopen();
        QVERIFY(h.jobs->jobs().isEmpty()); // final jobs leave the store too
    }

    void setterRules()
    {
        QTemporaryDir dir;
        Harness h(dir.path());
        QUuid id;
        QVERIFY(h.jobs->createJob(QStringLiteral("j"), {}, &id).ok());
        QVERIFY(h.jobs->setPeerCachingFlags(id, peercaching::Client | peercaching::Server).ok());
        QCOMPARE(h.jobs->setPeerCachingFlags(id, 0x8).code, hr::E_NOTIMPL);
        QCOMPARE(h.jobs->setPeerCachingFlags(id, 0x80000001).code, hr::E_NOTIMPL);
        QCOMPARE(h.jobs->job(id)->peerCachingFlags, 3u);
        QVERIFY(h.jobs->setMinimumRetryDelay(id, 1).ok());
        QCOMPARE(h.jobs->job(id)->minimumRetryDelay, 5u);
        QVERIFY(h.jobs->setMaximumDownloadTime(id, 0).ok());
        QCOMPARE(h.jobs->job(id)->maximumDownloadTime, 0u);
        QCOMPARE(h.jobs->setNotifyCmdLine(id, QStringLiteral("notify-send"), {}).code, hr::E_INVALIDARG);
        QCOMPARE(h.jobs->setCustomHeaders(id, {QStringLiteral("X: 1\r\nY: 2")}).code, hr::E_INVALIDARG);
        // Headers live in the database row: one carrying a secret is refused (setcredentials keeps those).
        for (const char *secret : {"Authorization: Bearer abc", "proxy-authorization: Basic eDp5", "Cookie: session=1"})
            QCOMPARE(h.jobs->setCustomHeaders(id, {QString::fromLatin1(secret)}).code, hr::E_INVALIDARG);
        QVERIFY(h.jobs->job(id)->customHeaders.isEmpty());
        QCOMPARE(h.jobs->setProxyUsage(id, ProxyUsage::Override, {}, {}).code, hr::E_INVALIDARG);
        QCOMPARE(h.jobs->setSetting(QStringLiteral("maxBackgroundJobs"), QStringLiteral("0")).code, hr::E_INVALIDARG);
        QCOMPARE(h.jobs->setSetting(QStringLiteral("nonsense"), QStringLiteral("1")).code, hr::E_INVALIDARG);
    }

    void everyPropertySurvivesARestart()
    {
        QTemporaryDir dir;
        Harness h(dir.path());
        QUuid id;
        QVERIFY(h.jobs->createJob(QStringLiteral("keep me"), Owner::ofThisProcess(), &id).ok());
        QVERIFY(h.jobs->addFile(id, QStringLiteral("https://example.org/a b.iso"), dir.filePath(QStringLiteral("a b.iso"))).ok());
        QVERIFY(h.jobs->setDescription(id, QStringLiteral("déjà vu")).ok());
        QVERIFY(h.jobs->setPriority(id, JobPriority::Low).ok());
        QVERIFY(h.jobs->setPeerCachingFlags(id, peercaching::Server).ok());
        QVERIFY(h.jobs->setMaximumDownloadTime(id, 3600).ok());
        QVERIFY(h.jobs->setNoProgressTimeout(id, 7200).ok());
        QVERIFY(h.jobs->setMinimumRetryDelay(id, 60).ok());
        QVERIFY(h.jobs->setNotifyCmdLine(id, QStringLiteral("/bin/true"), QStringLiteral("true --job"))
                    .ok());
        QVERIFY(h.jobs->setCustomHeaders(id, {QStringLiteral("X-Test: 1")}).ok());
        QVERIFY(h.jobs->setSetting(QStringLiteral("maxBackgroundJobs"), QStringLiteral("3")).ok());
        const Job before = *h.jobs->job(id);
        h.reopen();
        const Job *after = h.jobs->job(id);
        QVERIFY(after);
        QCOMPARE(after->displayName, before.displayName);
        QCOMPARE(after->description, before.description);
        QCOMPARE(after->priority, JobPriority::Low);
        QCOMPARE(after->state, JobState::Suspended);
        QCOMPARE(after->peerCachingFlags, peercaching::Server);
        QCOMPARE(after->maximumDownloadTime, 3600u);
        QCOMPARE(after->noProgressTimeout, 7200u);
        QCOMPARE(after->minimumRetryDelay, 60u);
        QCOMPARE(after->notifyProgram, QStringLiteral("/bin/true"));
        QCOMPARE(after->customHeaders, QStringList{QStringLiteral("X-Test: 1")});
        QCOMPARE(after->owner.uid, before.owner.uid);
        QCOMPARE(after->owner.elevated, before.owner.elevated);
        QCOMPARE(after->owner.integrity, before.owner.integrity);
        QCOMPARE(after->creationTime, before.creationTime);
        QCOMPARE(after->files.size(), 1);
        QCOMPARE(after->files[0].remoteUrl, before.files[0].remoteUrl);
        QCOMPARE(after->files[0].tempName, before.files[0].tempName);
        QCOMPARE(h.jobs->settings().maxBackgroundJobs, 3);
    }

    // Every change is in the database before anyone hears of it.
    void transitionsArePersistedBeforeTheyAreReported()
    {
        QTemporaryDir dir;
        Harness h(dir.path());
        QStringList mismatches;
        int checked = 0;
        connect(h.jobs.get(), &JobManager::jobChanged, this, [&](const Job &job) {
            JobStore reader(h.path);
            QVERIFY(reader.open());
            const QList<Job> stored = reader.loadJobs();
            for (const Job &s : stored)
                if (s.id == job.id) {
                    ++checked;
                    if (s.state != job.state || s.priority != job.priority || s.files.size() != job.files.size())
                        mismatches << stateName(job.state);
                }
        });
        QUuid id;
        QVERIFY(h.jobs->createJob(QStringLiteral("j"), {}, &id).ok());
        QVERIFY(h.jobs->addFile(id, QStringLiteral("http://127.0.0.1:9/a"), dir.filePath(QStringLiteral("a"))).ok());
        QVERIFY(h.jobs->setPriority(id, JobPriority::High).ok());
        QVERIFY(h.jobs->resume(id).ok());
        QVERIFY(h.jobs->suspend(id).ok());
        QVERIFY(checked >= 5);
        QVERIFY2(mismatches.isEmpty(), qPrintable(mismatches.join(QLatin1Char(' '))));
    }

    void interruptedJobsAreRequeuedOnLoad()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("jobs.db"));
        QUuid id;
        {
            JobStore store(path);
            QVERIFY(store.open());
            Job job = Job::create(QStringLiteral("was running"), {}, QDateTime::currentDateTimeUtc());
            JobFile f;
            f.remoteUrl = QUrl(QStringLiteral("http://127.0.0.1:9/a"));
            f.localName = dir.filePath(QStringLiteral("a"));
            f.tempName = Job::temporaryNameFor(f.localName, job.id);
            job.files << f;
            job.state = JobState::Transferring;
            id = job.id;
            QVERIFY(store.saveJob(job));
        }
        Harness h(dir.path());
        QCOMPARE(h.jobs->job(id)->state, JobState::Queued);
    }

    void corruptDatabaseIsMovedAsideNotWiped()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("jobs.db"));
        QByteArray garbage(64 * 1024, 'x');
        garbage.prepend("this is not sqlite");
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(garbage);
        }
        JobStore store(path);
        QVERIFY(store.open());
        QVERIFY(store.recoveryMessage().contains(QStringLiteral("moved aside")));
        const QStringList aside = QDir(dir.path()).entryList({QStringLiteral("jobs.db.unreadable-*")}, QDir::Files);
        QCOMPARE(aside.size(), 1);
        QCOMPARE(readAll(dir.filePath(aside.first())), garbage);
        QVERIFY(store.loadJobs().isEmpty());
        Job job = Job::create(QStringLiteral("fresh"), {}, QDateTime::currentDateTimeUtc());
        QVERIFY(store.saveJob(job));
    }

    void foreignDatabaseIsMovedAside()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("jobs.db"));
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("foreign"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE recipes (name TEXT)")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO recipes VALUES ('soup')")));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("foreign"));
        JobStore store(path);
        QVERIFY(store.open());
        QVERIFY(store.recoveryMessage().contains(QStringLiteral("not a Ferry job database")));
        QCOMPARE(QDir(dir.path()).entryList({QStringLiteral("jobs.db.unreadable-*")}, QDir::Files).size(), 1);
    }

    // The database holds URLs, custom headers and command lines: the engine's user's alone, even
    // when an older version left it open to others.
    void databaseIsPrivate()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("jobs.db"));
        {
            JobStore fresh(path);
            QVERIFY(fresh.open());
        }
        QCOMPARE(QFileInfo(path).permissions() & 0x0077, QFileDevice::Permissions()); // no group/other bits
        for (const QString &file : {path, path + QStringLiteral("-wal"), path + QStringLiteral("-shm")}) {
            QFile f(file);
            if (!f.exists())
                QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(QFile::setPermissions(file, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup
                                                    | QFileDevice::ReadOther));
        }
        JobStore reopened(path);
        QVERIFY(reopened.open());
        for (const QString &file : {path, path + QStringLiteral("-wal"), path + QStringLiteral("-shm")})
            QVERIFY2((QFileInfo(file).permissions() & 0x0077) == QFileDevice::Permissions(), qPrintable(file));
    }

    // Versions before the user-info rule stored URLs with a password: loading moves it out of the
    // URL (into the keychain, as the job's SERVER BASIC credentials) and out of the file.
    void passwordsInOldUrlsLeaveTheDatabase()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("jobs.db"));
        const QByteArray password = "OldPw-" + QUuid::createUuid().toByteArray(QUuid::Id128).left(12);
        Job job = Job::create(QStringLiteral("old"), Owner::ofThisProcess(), QDateTime::currentDateTimeUtc());
        {
            JobStore store(path);
            QVERIFY(store.open());
            JobFile f;
            f.remoteUrl = QUrl(QStringLiteral("http://alice:%1@127.0.0.1:9/old.iso").arg(QString::fromLatin1(password)));
            f.localName = dir.filePath(QStringLiteral("old.iso"));
            f.tempName = Job::temporaryNameFor(f.localName, job.id);
            job.files << f;
            QVERIFY(store.saveJob(job));
        }
        QVERIFY(readAll(path).contains(password) || readAll(path + QStringLiteral("-wal")).contains(password));
        Harness h(dir.path());
        QCOMPARE(h.jobs->job(job.id)->files.first().remoteUrl, QUrl(QStringLiteral("http://127.0.0.1:9/old.iso")));
        for (const QString &file : QDir(dir.path()).entryList(QDir::Files))
            QVERIFY2(!readAll(dir.filePath(file)).contains(password), qPrintable(file));
        if (qEnvironmentVariableIsSet("FERRY_REQUIRE_KEYCHAIN")) {
            const CredentialKey basic{AuthTarget::Server, AuthScheme::Basic};
            QTRY_VERIFY_WITH_TIMEOUT(h.jobs->job(job.id)->credentials.contains(basic), 20000);
        }
    }

    void tenThousandJobsLoad()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("jobs.db"));
        {
            JobStore store(path);
            QVERIFY(store.open());
            QSqlDatabase::database(QSqlDatabase::connectionNames().constLast()).transaction();
            for (int i = 0; i < 10000; ++i) {
                Job job = Job::create(QStringLiteral("job %1").arg(i), {}, QDateTime::currentDateTimeUtc());
                job.queueSequence = quint64(i + 1);
                JobFile f;
                f.remoteUrl = QUrl(QStringLiteral("http://127.0.0.1:9/f%1").arg(i));
                f.localName = dir.filePath(QStringLiteral("f%1").arg(i));
                f.tempName = Job::temporaryNameFor(f.localName, job.id);
                job.files << f;
                QVERIFY(store.saveJob(job));
            }
        }
        Harness h(dir.path());
        const QList<Job> all = h.jobs->jobs();
        QCOMPARE(all.size(), 10000);
        QCOMPARE(all.first().displayName, QStringLiteral("job 0"));
        QCOMPARE(all.last().displayName, QStringLiteral("job 9999"));
        QUuid found;
        QVERIFY(h.jobs->find(QStringLiteral("job 4242"), &found).ok());
    }
};

QTEST_GUILESS_MAIN(TestJobManager)
#include "tst_jobmanager.moc"
