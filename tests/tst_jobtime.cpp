// The clock-driven IBackgroundCopyJob4 behaviours, in-process against the real FaultServer and
// the fixture's ManualClock: the maximum download time (spec §5.2) and what network loss and
// return do to jobs (spec §1.2), through JobManager's network-state seam.
#include "EngineFixture.h"
#include "FaultServer.h"
#include "TestContent.h"

#include "BitsError.h"
#include "JobManager.h"
#include "Sha256.h"

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

    // Maximum download time (spec §5.2)
    void expiryIsErrorAndStopsTheTransfer();
    void queuedAndSuspendedTimeIsFree();
    void resumeResetsTheClock();
    void clockSurvivesEngineRestart();
    void zeroMeansNoLimit();

    // Network awareness (spec §1.2)
    void networkLossParksActiveAndQueuedJobs();
    void networkReturnRequeuesAndTheBytesAreIntact();
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

void tst_JobTime::networkLossParksActiveAndQueuedJobs()
{
    const QUuid active = startTrickle(QStringLiteral("active"), 81, 0);
    QVERIFY2(!active.isNull(), qPrintable(m_f->error()));
    const QUuid queued = m_f->addJob(QStringLiteral("queued"), {{trickleUrl(82), QStringLiteral("queued.bin")}});
    QVERIFY(m_f->jobs()->resume(queued).ok());
    const QUuid suspended = m_f->addJob(QStringLiteral("suspended"), {{trickleUrl(83), QStringLiteral("suspended.bin")}});
    QCOMPARE(m_f->state(queued), JobState::Queued);

    m_f->jobs()->setNetworkOnline(false);
    for (const QUuid &id : {active, queued}) {
        QCOMPARE(m_f->state(id), JobState::TransientError);
        QCOMPARE(errorName(m_f->job(id).error.code), QStringLiteral("NETWORK_DISCONNECTED"));
        QCOMPARE(errorHex(m_f->job(id).error.code), QStringLiteral("0x80200010"));
    }
    QCOMPARE(m_f->state(suspended), JobState::Suspended);

    // The transfer stopped: its file no longer grows.
    const qint64 parked = sizeOf(m_f->tempPath(active));
    QVERIFY(parked > 0);
    QTest::qWait(300);
    QCOMPARE(sizeOf(m_f->tempPath(active)), parked);

    // No retry while offline, however long: they wait for the network, not for the delay.
    const int requestsBefore = m_fault->requestCount("/trickle");
    m_f->advance(3600 * 1000);
    QCOMPARE(m_f->state(active), JobState::TransientError);
    QCOMPARE(m_f->state(queued), JobState::TransientError);
    // A job resumed while offline parks too instead of trying.
    QVERIFY(m_f->jobs()->resume(suspended).ok());
    m_f->advance(0);
    QCOMPARE(m_f->state(suspended), JobState::TransientError);
    QCOMPARE(m_f->job(suspended).error.code, hr::BG_E_NETWORK_DISCONNECTED);
    QTest::qWait(100);
    QCOMPARE(m_fault->requestCount("/trickle"), requestsBefore);
}

void tst_JobTime::networkReturnRequeuesAndTheBytesAreIntact()
{
    const qint64 size = 256 * 1024;
    const QUrl url = m_fault->url(QStringLiteral("/trickle?size=%1&chunk=8192&interval=20&seed=84").arg(size));
    const QUuid id = m_f->addJob(QStringLiteral("comes back"), {{url, QStringLiteral("back.bin")}});
    QVERIFY(m_f->jobs()->resume(id).ok());
    QTRY_VERIFY_WITH_TIMEOUT(m_f->fileBytes(id) > 0, WaitMs);

    m_f->jobs()->setNetworkOnline(false);
    QCOMPARE(m_f->state(id), JobState::TransientError);
    m_f->jobs()->setNetworkOnline(true);
    QCOMPARE(m_f->state(id), JobState::Queued); // at once, without waiting for the retry delay
    m_f->advance(0);
    WAIT_STATE(id, JobState::Transferred);
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(Sha256::ofFile(m_f->downloadPath(QStringLiteral("back.bin"))), TestContent::sha256Hex(84, size));
}

void tst_JobTime::transientTimeWhileOfflineIsFree()
{
    const QUuid id = startTrickle(QStringLiteral("offline clock"), 85, 30);
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    m_f->advance(20 * 1000);
    m_f->jobs()->setNetworkOnline(false);
    m_f->advance(3600 * 1000); // TRANSIENT_ERROR time does not count (spec §5.2)
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
