// The pure parts: a job's defaults and state machine (docs/jobs.md §1, §3), the scheduler (§2),
// AddFile's rules (§6.1), error naming (§5), the owner mapping and access rules (§12, §13).
#include "core/BitsError.h"
#include "core/FileRules.h"
#include "core/Job.h"
#include "jobs/Scheduler.h"
#include "owner/JobAccess.h"

#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace ferry;

class TestJob : public QObject
{
    Q_OBJECT

private slots:
    void defaultsFollowBits()
    {
        const Job job = Job::create(QStringLiteral("j"), Owner::ofThisProcess(), QDateTime::currentDateTimeUtc());
        QVERIFY(!job.id.isNull());
        QCOMPARE(job.state, JobState::Suspended);
        QCOMPARE(job.type, JobType::Download);
        QCOMPARE(job.priority, JobPriority::Normal);
        QCOMPARE(job.minimumRetryDelay, 600u);
        QCOMPARE(job.noProgressTimeout, 1209600u);
        QCOMPARE(job.maximumDownloadTime, 7776000u);
        QCOMPARE(job.peerCachingFlags, 0u);
        QCOMPARE(job.errorCount, 0);
        QCOMPARE(job.proxyUsage, ProxyUsage::Preconfig);
        QVERIFY(!job.error.isSet());
        QCOMPARE(job.creationTime, job.modificationTime);
    }

    void resumeWithoutFilesIsEmpty()
    {
        Job job = Job::create(QStringLiteral("j"), {}, {});
        const Status s = job.resume();
        QCOMPARE(s.code, hr::BG_E_EMPTY);
        QCOMPARE(job.state, JobState::Suspended);
    }

    void transitionsFollowTheTable()
    {
        Job job = Job::create(QStringLiteral("j"), {}, {});
        job.files << JobFile{};
        QVERIFY(job.resume().ok());
        QCOMPARE(job.state, JobState::Queued);
        QVERIFY(job.resume().ok()); // QUEUED: no change
        QCOMPARE(job.state, JobState::Queued);
        job.toConnecting();
        job.toTransferring();
        QVERIFY(job.resume().ok());
        QCOMPARE(job.state, JobState::Transferring);
        job.toTransientError({ErrorContext::GeneralTransport, hr::E_HTTP_CONNECTION_ERROR, {}, 0});
        QCOMPARE(job.state, JobState::TransientError);
        QVERIFY(job.resume().ok()); // at once
        QCOMPARE(job.state, JobState::Queued);
        QVERIFY(!job.error.isSet());
        job.toError({ErrorContext::RemoteFile, httpError(404), {}, 0});
        QVERIFY(job.suspend().ok());
        QCOMPARE(job.state, JobState::Suspended);
        QVERIFY(job.suspend().ok()); // idempotent
        QVERIFY(job.cancel().ok());
        QCOMPARE(job.state, JobState::Cancelled);
    }

    void resumeResetsTheDownloadClock()
    {
        Job job = Job::create(QStringLiteral("j"), {}, {});
        job.files << JobFile{};
        job.downloadTimeUsedMs = 5000;
        QVERIFY(job.resume().ok());
        QCOMPARE(job.downloadTimeUsedMs, 0);
    }

    void finalStatesRejectChanges_data()
    {
        QTest::addColumn<int>("finalState");
        QTest::newRow("acknowledged") << int(JobState::Acknowledged);
        QTest::newRow("cancelled") << int(JobState::Cancelled);
    }

    void finalStatesRejectChanges()
    {
        QFETCH(int, finalState);
        Job job = Job::create(QStringLiteral("j"), {}, {});
        job.files << JobFile{};
        job.state = JobState(finalState);
        QCOMPARE(job.resume().code, hr::BG_E_INVALID_STATE);
        QCOMPARE(job.suspend().code, hr::BG_E_INVALID_STATE);
        QCOMPARE(job.cancel().code, hr::BG_E_INVALID_STATE);
        QCOMPARE(job.markAcknowledged().code, hr::BG_E_INVALID_STATE);
        QCOMPARE(job.state, JobState(finalState));
    }

    void transferredJobWithANewFileResumes()
    {
        Job job = Job::create(QStringLiteral("j"), {}, {});
        JobFile done;
        done.transferred = true;
        job.files << done;
        job.toTransferred(QDateTime::currentDateTimeUtc());
        QVERIFY(job.resume().ok());
        QCOMPARE(job.state, JobState::Transferred); // nothing left to do
        job.files << JobFile{};
        QVERIFY(job.resume().ok());
        QCOMPARE(job.state, JobState::Queued);
    }

    void progressAddsUpAndKnowsUnknownSizes()
    {
        Job job;
        JobFile a;
        a.bytesTotal = 100;
        a.bytesTransferred = 100;
        a.transferred = true;
        JobFile b;
        b.bytesTotal = 50;
        b.bytesTransferred = 10;
        job.files << a << b;
        JobProgress p = job.progress();
        QCOMPARE(p.bytesTotal, 150u);
        QCOMPARE(p.bytesTransferred, 110u);
        QCOMPARE(p.filesTotal, 2);
        QCOMPARE(p.filesTransferred, 1);
        QCOMPARE(job.currentFileIndex(), 1);
        job.files[1].bytesTotal = -1;
        QCOMPARE(job.progress().bytesTotal, SizeUnknown);
    }

    void temporaryNameSitsNextToTheTarget()
    {
        const QUuid id = QUuid::createUuid();
        QCOMPARE(Job::temporaryNameFor(QStringLiteral("/data/dl/file.iso"), id),
                 QStringLiteral("/data/dl/.file.iso.ferry-%1.part").arg(id.toString(QUuid::WithoutBraces)));
    }

    void errorNamesAndCodes()
    {
        QCOMPARE(errorName(hr::BG_E_MAXDOWNLOAD_TIMEOUT), QStringLiteral("MAXDOWNLOAD_TIMEOUT"));
        QCOMPARE(errorHex(hr::BG_E_MAXDOWNLOAD_TIMEOUT), QStringLiteral("0x80200054"));
        QCOMPARE(httpError(404), 0x80190194u);
        QCOMPARE(errorName(httpError(404)), QStringLiteral("HTTP_404"));
        QCOMPARE(errorName(hr::BG_E_EMPTY), QStringLiteral("EMPTY"));
        QCOMPARE(hr::BG_E_INVALID_STATE, 0x80200002u);
        QCOMPARE(hr::BG_E_NETWORK_DISCONNECTED, 0x80200010u);
        QCOMPARE(contextName(ErrorContext::RemoteFile), QStringLiteral("REMOTE_FILE"));
    }

    void namesRoundTrip()
    {
        for (int s = 0; s <= 8; ++s)
            QCOMPARE(parseState(stateName(JobState(s))), std::optional<JobState>(JobState(s)));
        QCOMPARE(parsePriority(QStringLiteral("foreground")), std::optional<JobPriority>(JobPriority::Foreground));
        QCOMPARE(parsePriority(QStringLiteral("3")), std::optional<JobPriority>(JobPriority::Low));
        QVERIFY(!parsePriority(QStringLiteral("urgent")));
        QCOMPARE(integrityName(IntegrityLevel::System), QStringLiteral("SYSTEM"));
    }

    void remoteUrlRules_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("http") << QStringLiteral("http://example.org/a.iso") << true;
        QTest::newRow("https with port") << QStringLiteral("https://example.org:8443/a?b=c") << true;
        QTest::newRow("ftp") << QStringLiteral("ftp://example.org/a") << false;
        QTest::newRow("file") << QStringLiteral("file:///etc/passwd") << false;
        QTest::newRow("no scheme") << QStringLiteral("example.org/a") << false;
        QTest::newRow("no host") << QStringLiteral("http:///a") << false;
        QTest::newRow("garbage") << QStringLiteral("http://exa mple.org/%zz") << false;
        QTest::newRow("empty") << QString() << false;
        QTest::newRow("too long") << QStringLiteral("http://e.org/") + QString(2300, QLatin1Char('a')) << false;
    }

    void remoteUrlRules()
    {
        QFETCH(QString, url);
        QFETCH(bool, accepted);
        QUrl parsed;
        const Status s = checkRemoteUrl(url, &parsed);
        QCOMPARE(s.ok(), accepted);
        if (!accepted) {
            QCOMPARE(s.code, hr::E_INVALIDARG);
            QVERIFY(!s.message.isEmpty());
        }
    }

    void localNameRules()
    {
        QTemporaryDir dir;
        QString clean;
        QVERIFY(checkLocalName(dir.filePath(QStringLiteral("new file (1).bin")), &clean).ok());
        QCOMPARE(clean, dir.filePath(QStringLiteral("new file (1).bin")));
        QCOMPARE(checkLocalName(QStringLiteral("relative/x.bin"), &clean).code, hr::E_INVALIDARG);
        QCOMPARE(checkLocalName(dir.filePath(QStringLiteral("missing/x.bin")), &clean).code, hr::E_INVALIDARG);
        QCOMPARE(checkLocalName(dir.path() + QLatin1Char('/'), &clean).code, hr::E_INVALIDARG);
        QFile existing(dir.filePath(QStringLiteral("there.bin")));
        QVERIFY(existing.open(QIODevice::WriteOnly));
        existing.close();
        QCOMPARE(checkLocalName(existing.fileName(), &clean).code, hr::E_FILE_EXISTS);
        QVERIFY(!checkLocalName(QStringLiteral("/proc/ferry-no-such/x.bin"), &clean).ok());
    }

    void headerRules()
    {
        QVERIFY(checkHeaderLine(QStringLiteral("X-Token: abc")).ok());
        QVERIFY(!checkHeaderLine(QStringLiteral("no colon")).ok());
        QVERIFY(!checkHeaderLine(QStringLiteral("X: a\r\nInjected: b")).ok());
    }

    void schedulerRunsAllForegroundAndOneBackground()
    {
        Scheduler s;
        const QUuid f1 = QUuid::createUuid(), f2 = QUuid::createUuid(), n1 = QUuid::createUuid(),
                    n2 = QUuid::createUuid(), low = QUuid::createUuid();
        const SchedulerDecision d = s.decide({{n1, JobPriority::Normal, false, 0, 3},
                                              {f1, JobPriority::Foreground, false, 0, 4},
                                              {low, JobPriority::Low, false, 0, 1},
                                              {n2, JobPriority::Normal, false, 0, 2},
                                              {f2, JobPriority::Foreground, false, 0, 5}},
                                             0);
        QCOMPARE(d.start.size(), 3);
        QVERIFY(d.start.contains(f1) && d.start.contains(f2));
        QVERIFY(d.start.contains(n2)); // higher than LOW, and waited longer than n1
        QVERIFY(d.preempt.isEmpty());
    }

    void schedulerHigherPriorityPreempts()
    {
        Scheduler s;
        const QUuid normal = QUuid::createUuid(), high = QUuid::createUuid();
        const SchedulerDecision d = s.decide({{normal, JobPriority::Normal, true, 0, 1}, {high, JobPriority::High, false, 0, 2}}, 10);
        QCOMPARE(d.start, QList<QUuid>{high});
        QCOMPARE(d.preempt, QList<QUuid>{normal});
    }

    void schedulerRoundRobinsAfterTheSlice()
    {
        Scheduler s;
        s.timeSliceMs = 1000;
        const QUuid a = QUuid::createUuid(), b = QUuid::createUuid();
        QList<SchedulerEntry> entries{{a, JobPriority::Normal, true, 0, 1}, {b, JobPriority::Normal, false, 0, 2}};
        QVERIFY(s.decide(entries, 999).start.isEmpty()); // slice not over
        const SchedulerDecision d = s.decide(entries, 1000);
        QCOMPARE(d.start, QList<QUuid>{b});
        QCOMPARE(d.preempt, QList<QUuid>{a});
        entries[1].running = false;
        entries.removeAt(1);
        QVERIFY(s.decide(entries, 5000).preempt.isEmpty()); // alone: keeps running
    }

    void schedulerHonoursMoreBackgroundSlots()
    {
        Scheduler s;
        s.maxBackgroundJobs = 2;
        const QUuid a = QUuid::createUuid(), b = QUuid::createUuid(), c = QUuid::createUuid();
        const SchedulerDecision d = s.decide({{a, JobPriority::Low, false, 0, 1}, {b, JobPriority::Normal, false, 0, 2},
                                              {c, JobPriority::Normal, false, 0, 3}},
                                             0);
        QCOMPARE(d.start.size(), 2);
        QVERIFY(d.start.contains(b) && d.start.contains(c));
    }

    void ownerOfThisProcessComesFromTheKernel()
    {
        const Owner o = Owner::ofThisProcess();
        QCOMPARE(o.uid, uint(::getuid()));
        QCOMPARE(o.elevated, ::geteuid() == 0);
        QVERIFY(o.integrity != IntegrityLevel::Untrusted);
        if (::geteuid() != 0)
            QCOMPARE(o.integrity, IntegrityLevel::Medium);
        else
            QVERIFY(o.integrity == IntegrityLevel::High || o.integrity == IntegrityLevel::System);
        QCOMPARE(Owner::ofProcess(-1).integrity, IntegrityLevel::Untrusted);
    }

    void ownerMapping_data()
    {
        QTest::addColumn<uint>("euid");
        QTest::addColumn<quint64>("capEff");
        QTest::addColumn<bool>("noNewPrivs");
        QTest::addColumn<bool>("seccomp");
        QTest::addColumn<bool>("flatpak");
        QTest::addColumn<bool>("snap");
        QTest::addColumn<bool>("session");
        QTest::addColumn<bool>("elevated");
        QTest::addColumn<QString>("level");
        const quint64 dacOverride = quint64(1) << 1, sysAdmin = quint64(1) << 21, netAdmin = quint64(1) << 12;
        // The mapping of docs/jobs.md §12, case by case.
        QTest::newRow("ordinary user") << 1000u << quint64(0) << false << false << false << false << true << false << "MEDIUM";
        QTest::newRow("no_new_privs alone") << 1000u << quint64(0) << true << false << false << false << true << false << "MEDIUM";
        QTest::newRow("no_new_privs + seccomp") << 1000u << quint64(0) << true << true << false << false << true << false << "LOW";
        QTest::newRow("flatpak") << 1000u << quint64(0) << false << false << true << false << true << false << "LOW";
        QTest::newRow("snap") << 1000u << quint64(0) << false << false << false << true << true << false << "LOW";
        QTest::newRow("sudo in a session") << 0u << ~quint64(0) << false << false << false << false << true << true << "HIGH";
        QTest::newRow("root service") << 0u << ~quint64(0) << false << false << false << false << false << true << "SYSTEM";
        QTest::newRow("user with CAP_DAC_OVERRIDE") << 1000u << dacOverride << false << false << false << false << true << true << "HIGH";
        QTest::newRow("user with CAP_SYS_ADMIN, no session") << 1000u << sysAdmin << false << false << false << false << false << true << "HIGH";
        QTest::newRow("other capabilities are not admin") << 1000u << netAdmin << false << false << false << false << true << false << "MEDIUM";
        QTest::newRow("sandboxed root stays LOW") << 0u << ~quint64(0) << true << true << false << false << false << true << "LOW";
    }

    void ownerMapping()
    {
        QFETCH(uint, euid);
        QFETCH(quint64, capEff);
        QFETCH(bool, noNewPrivs);
        QFETCH(bool, seccomp);
        QFETCH(bool, flatpak);
        QFETCH(bool, snap);
        QFETCH(bool, session);
        QFETCH(bool, elevated);
        QFETCH(QString, level);
        ProcessFacts f;
        f.readable = true;
        f.ruid = f.euid = euid;
        f.capEff = capEff;
        f.noNewPrivs = noNewPrivs;
        f.seccompFilter = seccomp;
        f.flatpak = flatpak;
        f.snap = snap;
        f.inLoginSession = session;
        const Owner o = Owner::fromFacts(f);
        QCOMPARE(o.elevated, elevated);
        QCOMPARE(integrityName(o.integrity), level);
        QCOMPARE(o.uid, euid);
        QCOMPARE(integrityName(Owner::fromFacts(ProcessFacts()).integrity), QStringLiteral("UNTRUSTED"));
    }

    void accessRules()
    {
        const auto owner = [](uint uid, bool elevated, IntegrityLevel level) {
            Owner o;
            o.uid = uid;
            o.elevated = elevated;
            o.integrity = level;
            return o;
        };
        const Owner alice = owner(1000, false, IntegrityLevel::Medium);
        const Owner aliceSandboxed = owner(1000, false, IntegrityLevel::Low);
        const Owner aliceElevated = owner(1000, true, IntegrityLevel::High);
        const Owner bob = owner(1001, false, IntegrityLevel::Medium);
        const Owner sudo = owner(0, true, IntegrityLevel::High);
        const Owner service = owner(0, true, IntegrityLevel::System);

        // Only the owner's uid and root see a job.
        QVERIFY(canSee(alice, alice) && canSee(aliceSandboxed, alice) && canSee(sudo, alice) && canSee(service, bob));
        QVERIFY(!canSee(bob, alice) && !canSee(alice, sudo));

        // Rule 1: an elevated owner's job needs an elevated caller.
        QVERIFY(checkCanChange(alice, alice).ok());
        QCOMPARE(checkCanChange(alice, aliceElevated).code, hr::E_ACCESSDENIED);
        QVERIFY(checkCanChange(aliceElevated, aliceElevated).ok());
        // Rule 2: never a job owned at a higher integrity level.
        QCOMPARE(checkCanChange(aliceSandboxed, alice).code, hr::E_ACCESSDENIED);
        QVERIFY(checkCanChange(alice, aliceSandboxed).ok());
        QCOMPARE(checkCanChange(sudo, service).code, hr::E_ACCESSDENIED); // LocalSystem resists an admin
        QVERIFY(checkCanChange(sudo, alice).ok());
        QVERIFY(checkCanChange(service, sudo).ok());

        // TakeOwnership: an elevated caller only (not even the owner otherwise), within the rules.
        QCOMPARE(checkCanTakeOwnership(alice, alice).code, hr::E_ACCESSDENIED);
        QCOMPARE(checkCanTakeOwnership(bob, alice).code, hr::E_ACCESSDENIED);
        QVERIFY(checkCanTakeOwnership(sudo, alice).ok());
        QCOMPARE(checkCanTakeOwnership(sudo, service).code, hr::E_ACCESSDENIED);
        QVERIFY(checkCanChange(alice, aliceElevated).message.contains(QLatin1String("elevated")));
    }
};

QTEST_GUILESS_MAIN(TestJob)
#include "tst_job.moc"
