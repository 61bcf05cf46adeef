// The clock-driven IBackgroundCopyJob4 behaviours, in-process against the real FaultServer and
// the fixture's ManualClock: the maximum download time and what network loss and return do to
// jobs, through JobManager's network-state seam (README, "Network loss").
#include "EngineFixture.h"
#include "FaultServer.h"
#include "TestContent.h"

#include "ChildServer.h"
#include "core/BitsError.h"
#include "core/Sha256.h"
#include "jobs/JobManager.h"

#include <QFileInfo>
#include <QTest>

#include <memory>

using namespace ferry;
using namespace ferry::test;

namespace {



qint64 sizeOf(const QString &path)
{
    const QFileInfo info(path);
    return info.exists() ? info.size() : -1;
}

} // namespace

class tst_JobTime : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    // Maximum download time (docs/jobs.md §4.3)
    void expiryIsErrorAndStopsTheTransfer();
    void queuedAndSuspendedTimeIsFree();
    void resumeResetsTheClock();
    void clockSurvivesEngineRestart();
    void zeroMeansNoLimit();

    // Network awareness
    void offlinePausesOnlyRetries();
    void offlineNeverStopsAReachableServer();
    void networkReturnRequeuesAtOnce();
    void transientTimeWhileOfflineIsFree();

private:
    QUrl trickleUrl(quint32 seed) const;
    QUuid startTrickle(const QString &name, quint32 seed, quint32 maxSeconds);

    std::unique_ptr<FaultServer> m_fault;
    std::unique_ptr<EngineFixture> m_f;
};

void tst_JobTime::initTestCase()
{
    m_fault = std::make_unique<FaultServer>();
    QVERIFY(m_fault->port() != 0);
}

void tst_JobTime::init()
{
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
    m_fault->clear();
}

void tst_JobTime::cleanup()
{
    m_f.reset();
}

QUrl tst_JobTime::trickleUrl(quint32 seed) const
{
    // 4 MiB at 4 KiB every 20 ms: still running whenever a test looks.
    return m_fault->url(QStringLiteral("/trickle?size=4194304&chunk=4096&interval=20&seed=%1").arg(seed));
}

// A job on the trickle with the given limit, resumed, TRANSFERRING and with bytes on disk.
QUuid tst_JobTime::startTrickle(const QString &name, quint32 seed, quint32 maxSeconds)
{
    const QUuid id = m_f->addJob(name, {{trickleUrl(seed), name + QStringLiteral(".bin")}});
    if (id.isNull() || !m_f->jobs()->setMaximumDownloadTime(id, maxSeconds).ok() || !m_f->jobs()->resume(id).ok())
        return {};
    if (!QTest::qWaitFor([&] { return m_f->state(id) == JobState::Transferring && m_f->fileBytes(id) > 0; }, WaitMs))
        return {};
    return id;
}

// ---------------------------------------------------------------------------------------------
// Maximum download time

void tst_JobTime::expiryIsErrorAndStopsTheTransfer()
{
    const QUuid id = startTrickle(QStringLiteral("limited"), 71, 30);
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));

    m_f->advance(29 * 1000);
    QCOMPARE(m_f->state(id), JobState::Transferring);
    QCOMPARE(m_f->jobs()->snapshot(id).downloadTimeUsedMs, 29 * 1000);
    m_f->advance(1000); // exactly the limit
    QCOMPARE(m_f->state(id), JobState::Error);
    QCOMPARE(errorHex(m_f->job(id).error.code), QStringLiteral("0x80200054"));
    QCOMPARE(errorName(m_f->job(id).error.code), QStringLiteral("MAXDOWNLOAD_TIMEOUT"));
    QCOMPARE(m_f->job(id).downloadTimeUsedMs, 30 * 1000);

    // Stopped at once: the temporary file no longer grows although the server keeps trickling.
    const QString part = m_f->tempPath(id);
    const qint64 atError = sizeOf(part);
    QVERIFY2(atError > 0, qPrintable(part));
    QTest::qWait(300); // 15 trickle pieces' worth
    QCOMPARE(sizeOf(part), atError);

    // An ERROR is not retried by time passing.
    m_f->advance(3600 * 1000);
    QCOMPARE(m_f->state(id), JobState::Error);
}

void tst_JobTime::queuedAndSuspendedTimeIsFree()
{
    // One background slot: the LOW job waits behind the HIGH one, QUEUED (no time slices
    // across priorities).
    const QUuid first = startTrickle(QStringLiteral("first"), 72, 0);
    QVERIFY2(!first.isNull(), qPrintable(m_f->error()));
    QVERIFY(m_f->jobs()->setPriority(first, JobPriority::High).ok());
    const QUuid waiting = m_f->addJob(QStringLiteral("waiting"), {{trickleUrl(73), QStringLiteral("waiting.bin")}},
                                      JobPriority::Low);
    QVERIFY(m_f->jobs()->setMaximumDownloadTime(waiting, 30).ok());
    m_f->advance(3600 * 1000); // SUSPENDED for an hour
    QVERIFY(m_f->jobs()->resume(waiting).ok());
    m_f->advance(3600 * 1000); // QUEUED for an hour
    QCOMPARE(m_f->state(waiting), JobState::Queued);
    QCOMPARE(m_f->jobs()->snapshot(waiting).downloadTimeUsedMs, 0);

    QVERIFY(m_f->jobs()->cancel(first).ok());
    m_f->advance(0);
    WAIT_STATE(waiting, JobState::Transferring);
    m_f->advance(20 * 1000);
    QVERIFY(m_f->jobs()->suspend(waiting).ok());
    m_f->advance(3600 * 1000); // SUSPENDED mid-way: free too
    QCOMPARE(m_f->jobs()->snapshot(waiting).downloadTimeUsedMs, 20 * 1000);
    QCOMPARE(m_f->state(waiting), JobState::Suspended);
}

void tst_JobTime::resumeResetsTheClock()
{
    const QUuid id = startTrickle(QStringLiteral("reset"), 74, 30);
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    m_f->advance(20 * 1000);

    // Resume on a job that is already transferring changes no state but starts a new clock.
    QVERIFY(m_f->jobs()->resume(id).ok());
    QCOMPARE(m_f->jobs()->snapshot(id).downloadTimeUsedMs, 0);
    m_f->advance(20 * 1000); // 40 s in all: past the limit had the clock not been reset
    QCOMPARE(m_f->state(id), JobState::Transferring);

    // And after a suspension.
    QVERIFY(m_f->jobs()->suspend(id).ok());
    QCOMPARE(m_f->job(id).downloadTimeUsedMs, 20 * 1000);
    QVERIFY(m_f->jobs()->resume(id).ok());
    QCOMPARE(m_f->job(id).downloadTimeUsedMs, 0);
    m_f->advance(0);
    WAIT_STATE(id, JobState::Transferring);
    m_f->advance(29 * 1000);
    QCOMPARE(m_f->state(id), JobState::Transferring);
    m_f->advance(1000);
    QCOMPARE(m_f->state(id), JobState::Error);
    QCOMPARE(m_f->job(id).error.code, hr::BG_E_MAXDOWNLOAD_TIMEOUT);
}

void tst_JobTime::clockSurvivesEngineRestart()
{
    const QUuid id = startTrickle(QStringLiteral("restarted"), 75, 30);
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    m_f->advance(20 * 1000);

    m_f->restart(); // the job comes back QUEUED with the 20 s it used
    QCOMPARE(m_f->job(id).downloadTimeUsedMs, 20 * 1000);
    m_f->advance(0);
    WAIT_STATE(id, JobState::Transferring);
    m_f->advance(9 * 1000);
    QCOMPARE(m_f->state(id), JobState::Transferring);
    m_f->advance(1000);
    QCOMPARE(m_f->state(id), JobState::Error);
    QCOMPARE(m_f->job(id).error.code, hr::BG_E_MAXDOWNLOAD_TIMEOUT);
    QCOMPARE(m_f->job(id).downloadTimeUsedMs, 30 * 1000);
}

void tst_JobTime::zeroMeansNoLimit()
{
    const QUuid id = startTrickle(QStringLiteral("unlimited"), 76, 0);
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    m_f->advance(100LL * 24 * 3600 * 1000); // longer than the 90-day default
    QCOMPARE(m_f->state(id), JobState::Transferring);
    QCOMPARE(m_f->jobs()->snapshot(id).downloadTimeUsedMs, 100LL * 24 * 3600 * 1000);
}

// ---------------------------------------------------------------------------------------------
// Network awareness

// A job whose server refuses connections: resumed, tried once, now in TRANSIENT_ERROR.
static QUuid failOnce(EngineFixture &f, const QString &name)
{
    const QUrl dead(QStringLiteral("http://127.0.0.1:%1/nothing").arg(freeLoopbackPort()));
    const QUuid id = f.addJob(name, {{dead, name + QStringLiteral(".bin")}});
    if (id.isNull() || !f.jobs()->resume(id).ok())
        return {};
    f.advance(0);
    if (!QTest::qWaitFor([&] { return f.state(id) == JobState::TransientError; }, WaitMs))
        return {};
    return id;
}

// Offline, a transfer that fails for want of a network waits for it instead of retrying after
// its delay; the error says so and keeps the cause.
void tst_JobTime::offlinePausesOnlyRetries()
{
    m_f->jobs()->setNetworkOnline(false);
    const QUuid id = failOnce(*m_f, QStringLiteral("refused"));
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QCOMPARE(errorName(m_f->job(id).error.code), QStringLiteral("NETWORK_DISCONNECTED"));
    QCOMPARE(errorHex(m_f->job(id).error.code), QStringLiteral("0x80200010"));
    QVERIFY2(m_f->job(id).error.description.contains(QLatin1String("refused")), qPrintable(m_f->job(id).error.description));
    QCOMPARE(m_f->job(id).errorCount, 1);

    m_f->advance(3600 * 1000); // far past the retry delay: no new attempt while offline
    QTest::qWait(100);
    QCOMPARE(m_f->state(id), JobState::TransientError);
    QCOMPARE(m_f->job(id).errorCount, 1);
}

// The network watch can be wrong (glib calls a LAN without a default route disconnected): queued
// jobs still run while "offline", running ones go on, and a server that answers means the
// network is there, which releases the jobs that waited for it.
void tst_JobTime::offlineNeverStopsAReachableServer()
{
    const QUuid waiting = failOnce(*m_f, QStringLiteral("refused"));
    QVERIFY2(!waiting.isNull(), qPrintable(m_f->error()));
    QVERIFY(m_f->jobs()->setMinimumRetryDelay(waiting, 3600).ok());
    const QUuid running = startTrickle(QStringLiteral("running"), 81, 0);
    QVERIFY2(!running.isNull(), qPrintable(m_f->error()));

    m_f->jobs()->setNetworkOnline(false);
    QCOMPARE(m_f->state(running), JobState::Transferring);
    const qint64 before = m_f->fileBytes(running);
    QTRY_VERIFY_WITH_TIMEOUT(m_f->fileBytes(running) > before, WaitMs); // still moving

    const qint64 size = 64 * 1024;
    const QUuid fresh = m_f->addJob(QStringLiteral("fresh"), {{m_fault->url(QStringLiteral("/file?size=%1&seed=82").arg(size)),
                                                              QStringLiteral("fresh.bin")}},
                                      JobPriority::Foreground);
    QVERIFY(m_f->jobs()->resume(fresh).ok());
    m_f->advance(0);
    WAIT_STATE(fresh, JobState::Transferred);
    QVERIFY(m_f->jobs()->complete(fresh).ok());
    QCOMPARE(Sha256::ofFile(m_f->downloadPath(QStringLiteral("fresh.bin"))), TestContent::sha256Hex(82, size));
    QVERIFY(m_f->jobs()->isNetworkOnline());      // it answered: online again
    // and the job that waited for the network is queued again at once, not after its hour
    QTRY_VERIFY_WITH_TIMEOUT(m_f->state(waiting) != JobState::TransientError || m_f->job(waiting).errorCount >= 2, WaitMs);
}

void tst_JobTime::networkReturnRequeuesAtOnce()
{
    m_f->jobs()->setNetworkOnline(false);
    const QUuid id = failOnce(*m_f, QStringLiteral("refused"));
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    m_f->jobs()->setNetworkOnline(true);
    QCOMPARE(m_f->state(id), JobState::Queued); // at once, without waiting for the retry delay
}

void tst_JobTime::transientTimeWhileOfflineIsFree()
{
    // 4 MiB trickling at 200 KiB/s whose first answer breaks off after 512 KiB.
    const QUrl url = m_fault->url(QStringLiteral("/trickle?size=4194304&chunk=4096&interval=20&seed=85&dropafter=524288"));
    const QUuid id = m_f->addJob(QStringLiteral("offline clock"), {{url, QStringLiteral("clock.bin")}});
    QVERIFY(m_f->jobs()->setMaximumDownloadTime(id, 30).ok());
    QVERIFY(m_f->jobs()->resume(id).ok());
    QTRY_VERIFY_WITH_TIMEOUT(m_f->state(id) == JobState::Transferring && m_f->fileBytes(id) > 0, WaitMs);
    m_f->advance(20 * 1000);
    m_f->jobs()->setNetworkOnline(false);
    WAIT_STATE(id, JobState::TransientError); // the connection broke: it waits for the network
    m_f->advance(3600 * 1000);                // TRANSIENT_ERROR time does not count
    QCOMPARE(m_f->jobs()->snapshot(id).downloadTimeUsedMs, 20 * 1000);
    m_f->jobs()->setNetworkOnline(true);
    m_f->advance(0);
    WAIT_STATE(id, JobState::Transferring);
    m_f->advance(9 * 1000);
    QCOMPARE(m_f->state(id), JobState::Transferring);
    m_f->advance(1000);
    QCOMPARE(m_f->job(id).error.code, hr::BG_E_MAXDOWNLOAD_TIMEOUT);
}

QTEST_GUILESS_MAIN(tst_JobTime)
#include "tst_jobtime.moc"
