// How long jobs live and how many there may be (docs/jobs.md §3 "Quotas", §4.5, §4.6): the inactivity
// timeout, the retry and no-progress clocks across an engine restart, in-process against the real
// FaultServer on the fixture's ManualClock; the quotas per user, per computer and per job, in
// process and through the real ferry-admin as uid 65534 against a root engine.
#include "AdminRunner.h"
#include "EngineFixture.h"
#include "FaultServer.h"
#include "OtherUser.h"

#include "core/BitsError.h"
#include "jobs/JobManager.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

#include <functional>
#include <memory>

using namespace ferry;
using namespace ferry::test;
using namespace admintest;

namespace {

constexpr qint64 Day = 86400LL * 1000;
constexpr auto Mode0755 = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                          | QFileDevice::ReadGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
                          | QFileDevice::ExeOther;

// An empty string when ferry-admin failed with this error name and code on its one stderr line.
QString failedWith(const AdminResult &r, const QString &name, const QString &code)
{
    const QString prefix = QStringLiteral("ferry-admin: %1 (%2): ").arg(name, code);
    if (r.exitCode <= 0 || !r.err.startsWith(prefix) || lines(r.err).size() != 1)
        return QStringLiteral("expected one stderr line starting '%1'; %2").arg(prefix, describe(r));
    return {};
}

} // namespace

class tst_Lifecycle : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    // The inactivity timeout (docs/jobs.md §4.6)
    void inactivityTimeoutCancelsAJobAndDeletesItsPartFiles();
    void inactivityDaysSetting();

    // The retry clocks across a restart (docs/jobs.md §4.5)
    void noProgressTimeoutSurvivesARestart();
    void retryTimeSurvivesARestart();

    // Quotas (docs/jobs.md §3)
    void quotaPerMachine();
    void quotaPerUser();
    void maxFilesPerJob();

private:
    QUuid failingJob(const QString &name, quint32 retryDelay, quint32 noProgressTimeout);
    int failingRequests() const { return m_fault->requestCount("/status"); }
    // A root engine on a fresh profile uid 65534 can reach; empty on failure.
    QString startRootEngine();

    std::unique_ptr<FaultServer> m_fault;
    std::unique_ptr<EngineFixture> m_f;
    OtherUser m_user;
    QString m_userProblem;  // why uid 65534 cannot be played here; empty if it can
    QStringList m_profiles; // root engines to shut down
};

void tst_Lifecycle::initTestCase()
{
    m_fault = std::make_unique<FaultServer>();
    QVERIFY(m_fault->port() != 0);
    m_userProblem = m_user.setUp({adminProgram()});
    if (m_userProblem.isEmpty())
        QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");
}

void tst_Lifecycle::cleanupTestCase()
{
    shutdownEngines(&m_profiles);
}

void tst_Lifecycle::init()
{
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
    m_fault->clear();
}

void tst_Lifecycle::cleanup()
{
    m_f.reset();
    const QStringList problems = shutdownEngines(&m_profiles);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

// A job whose origin always answers 503 (a transient error), resumed and in TRANSIENT_ERROR.
QUuid tst_Lifecycle::failingJob(const QString &name, quint32 retryDelay, quint32 noProgressTimeout)
{
    const QUuid id =
        m_f->addJob(name, {{m_fault->url(QStringLiteral("/status?code=503")), name + QStringLiteral(".bin")}});
    if (id.isNull() || !m_f->jobs()->setMinimumRetryDelay(id, retryDelay)
        || !m_f->jobs()->setNoProgressTimeout(id, noProgressTimeout) || !m_f->jobs()->resume(id))
        return {};
    if (!QTest::qWaitFor([&] { return m_f->state(id) == JobState::TransientError; }, WaitMs))
        return {};
    return id;
}

QString tst_Lifecycle::startRootEngine()
{
    const QString dir = OtherUser::makeDir(
        m_user.base() + QLatin1Char('/') + QString::fromLatin1(QTest::currentTestFunction()), Mode0755);
    if (dir.isEmpty())
        return {};
    const QString profile = dir + QStringLiteral("/profile");
    m_profiles << profile;
    const AdminResult r = runAdmin(profile, {QStringLiteral("list")}); // starts the engine, as root
    if (r.exitCode != 0 || !QFile::setPermissions(profile, Mode0755)) {
        qWarning().noquote() << "cannot start a root engine:" << describe(r);
        return {};
    }
    return profile;
}

// ---------------------------------------------------------------------------------------------
// The inactivity timeout

void tst_Lifecycle::inactivityTimeoutCancelsAJobAndDeletesItsPartFiles()
{
    // Transferred but never completed: the whole file waits under its temporary name.
    const QUuid forgotten =
        m_f->addJob(QStringLiteral("forgotten"),
                    {{m_fault->url(QStringLiteral("/file?size=65536&seed=5")), QStringLiteral("forgotten.bin")}});
    QVERIFY2(!forgotten.isNull(), qPrintable(m_f->error()));
    QVERIFY(m_f->jobs()->resume(forgotten));
    WAIT_STATE(forgotten, JobState::Transferred);
    const QString part = m_f->tempPath(forgotten);
    QVERIFY2(QFileInfo::exists(part), qPrintable(part));

    // A suspended job changed half-way through the window, and one completed.
    const QUuid changed = m_f->addJob(QStringLiteral("changed"),
                                      {{m_fault->url(QStringLiteral("/file?size=10")), QStringLiteral("changed.bin")}});
    QVERIFY2(!changed.isNull(), qPrintable(m_f->error()));
    const QUuid done = m_f->addJob(
        QStringLiteral("done"), {{m_fault->url(QStringLiteral("/file?size=4096&seed=6")), QStringLiteral("done.bin")}});
    QVERIFY2(!done.isNull(), qPrintable(m_f->error()));
    QVERIFY(m_f->jobs()->resume(done));
    WAIT_STATE(done, JobState::Transferred);
    QVERIFY(m_f->jobs()->complete(done));
    QVERIFY(QFileInfo::exists(m_f->downloadPath(QStringLiteral("done.bin"))));

    m_f->advance(45 * Day);
    QVERIFY(m_f->jobs()->setDescription(changed, QStringLiteral("still wanted")));
    m_f->advance(45 * Day - 1000);
    QCOMPARE(m_f->state(forgotten), JobState::Transferred); // a second short of 90 days
    QVERIFY(QFileInfo::exists(part));

    m_f->advance(1000);
    QCOMPARE(m_f->state(forgotten), JobGone);
    QVERIFY2(!QFileInfo::exists(part), qPrintable(part + QStringLiteral(" is still there")));
    QVERIFY(!QFileInfo::exists(m_f->downloadPath(QStringLiteral("forgotten.bin"))));
    QCOMPARE(m_f->state(changed), JobState::Suspended);
    QVERIFY(QFileInfo::exists(m_f->downloadPath(QStringLiteral("done.bin"))));

    // The one changed goes 90 days after its change, and no restart starts its time over.
    m_f->advance(44 * Day);
    m_f->restart();
    m_f->advance(1000);
    QCOMPARE(m_f->state(changed), JobState::Suspended);
    m_f->advance(Day);
    QCOMPARE(m_f->state(changed), JobGone);
    QVERIFY(QFileInfo::exists(m_f->downloadPath(QStringLiteral("done.bin"))));
}

void tst_Lifecycle::inactivityDaysSetting()
{
    QCOMPARE(m_f->jobs()->settings().jobInactivityDays, 90);
    for (const char *bad : {"0", "1000", "-1", "ten", ""})
        QCOMPARE(m_f->jobs()->setSetting(QStringLiteral("jobInactivityDays"), QLatin1String(bad)).code,
                 hr::E_INVALIDARG);
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("jobInactivityDays"), QStringLiteral("999")));
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("jobInactivityDays"), QStringLiteral("2")));
    m_f->restart();
    QCOMPARE(m_f->jobs()->settings().jobInactivityDays, 2);

    const QUuid id = m_f->addJob(QStringLiteral("short-lived"),
                                 {{m_fault->url(QStringLiteral("/file?size=10")), QStringLiteral("a.bin")}});
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    m_f->advance(2 * Day - 1000);
    QCOMPARE(m_f->state(id), JobState::Suspended);
    m_f->advance(1000);
    QCOMPARE(m_f->state(id), JobGone);
}

// ---------------------------------------------------------------------------------------------
// The retry clocks across a restart

void tst_Lifecycle::noProgressTimeoutSurvivesARestart()
{
    const QUuid id = failingJob(QStringLiteral("failing"), 60, 600);
    QVERIFY2(!id.isNull(), qPrintable(describeJob(m_f->job(id))));
    const int first = failingRequests();
    m_f->advance(60 * 1000); // the retry, which fails too
    QTRY_VERIFY_WITH_TIMEOUT(failingRequests() > first && m_f->state(id) == JobState::TransientError, WaitMs);

    m_f->advance(30 * 1000);
    m_f->restart();
    m_f->advance(1000);
    QCOMPARE(m_f->state(id), JobState::TransientError);
    // 600 s after the first failure, although the restarted engine saw only the last 510 of them.
    m_f->advance(509 * 1000);
    QCOMPARE(m_f->state(id), JobState::Error);
    QCOMPARE(m_f->job(id).error.code, httpError(503));
}

void tst_Lifecycle::retryTimeSurvivesARestart()
{
    const QUuid id = failingJob(QStringLiteral("waiting"), 600, 86400);
    QVERIFY2(!id.isNull(), qPrintable(describeJob(m_f->job(id))));
    const int attempts = failingRequests();
    m_f->advance(100 * 1000);
    m_f->restart();
    m_f->advance(1000);
    QCOMPARE(m_f->state(id), JobState::TransientError); // no retry at once
    m_f->advance(498 * 1000);
    QCOMPARE(m_f->state(id), JobState::TransientError); // 599 s after the failure
    QCOMPARE(failingRequests(), attempts);

    m_f->advance(1000); // 600 s: the retry
    QVERIFY(m_f->state(id) != JobState::TransientError);
    QTRY_VERIFY_WITH_TIMEOUT(failingRequests() > attempts && m_f->state(id) == JobState::TransientError, WaitMs);
}

// ---------------------------------------------------------------------------------------------
// Quotas

void tst_Lifecycle::quotaPerMachine()
{
    JobManager *jobs = m_f->jobs();
    QCOMPARE(jobs->settings().maxJobsPerMachine, 300);
    QCOMPARE(jobs->settings().maxJobsPerUser, 60);
    QCOMPARE(jobs->setSetting(QStringLiteral("maxJobsPerMachine"), QStringLiteral("0")).code, hr::E_INVALIDARG);
    QVERIFY(jobs->setSetting(QStringLiteral("maxJobsPerMachine"), QStringLiteral("4")));
    const Owner nobody = ownerWith(65534, false, IntegrityLevel::Medium);
    const Owner other = ownerWith(65533, false, IntegrityLevel::Medium);
    const Owner root = ownerWith(0, true, IntegrityLevel::High);
    QUuid id;
    QVERIFY(jobs->createJob(QStringLiteral("root's"), root, &id)); // counts, though root is not bound
    QVERIFY(jobs->createJob(QStringLiteral("a"), nobody, &id));
    QVERIFY(jobs->createJob(QStringLiteral("b"), nobody, &id));
    QVERIFY(jobs->createJob(QStringLiteral("c"), other, &id));
    const Status full = jobs->createJob(QStringLiteral("d"), other, &id);
    QCOMPARE(errorHex(full.code), QStringLiteral("0x80200050"));
    QCOMPARE(errorName(full.code), QStringLiteral("TOO_MANY_JOBS_PER_MACHINE"));
    QCOMPARE(jobs->jobs().size(), 4);
    QVERIFY(jobs->createJob(QStringLiteral("root's too"), root, &id)); // administrators are not bound
    QVERIFY(jobs->cancel(id));

    // A cancelled job no longer counts; neither does a completed one.
    QVERIFY(jobs->cancel(jobs->jobs().constLast().id));
    QVERIFY(jobs->createJob(QStringLiteral("d"), other, &id));
    QVERIFY(jobs->complete(id));
    QVERIFY(jobs->createJob(QStringLiteral("e"), other, &id));
}

// As uid 65534 through ferry-admin against a root engine: the user's quota binds it, not root.
void tst_Lifecycle::quotaPerUser()
{
    if (!m_userProblem.isEmpty())
        QSKIP(qPrintable(m_userProblem));
    const QString profile = startRootEngine();
    QVERIFY(!profile.isEmpty());
    const auto asUser = [&](const QStringList &args) { return m_user.admin(profile, args); };
    ADMIN_OK(runAdmin(profile, {QStringLiteral("setconfig"), QStringLiteral("maxJobsPerUser"), QStringLiteral("3")}));
    const AdminResult bad =
        runAdmin(profile, {QStringLiteral("setconfig"), QStringLiteral("maxJobsPerUser"), QStringLiteral("0")});
    QVERIFY2(failedWith(bad, QStringLiteral("INVALIDARG"), QStringLiteral("0x80070057")).isEmpty(),
             qPrintable(failedWith(bad, QStringLiteral("INVALIDARG"), QStringLiteral("0x80070057"))));

    QStringList mine;
    for (int i = 0; i < 3; ++i) {
        const AdminResult r = asUser({QStringLiteral("create"), QStringLiteral("job %1").arg(i)});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        mine << r.out.trimmed();
    }
    const AdminResult refused = asUser({QStringLiteral("create"), QStringLiteral("one too many")});
    const QString problem = failedWith(refused, QStringLiteral("TOO_MANY_JOBS_PER_USER"), QStringLiteral("0x80200049"));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    const QString spec = QStringLiteral(R"({"displayName":"x","files":[{"url":"%1","localName":"%2/x.bin"}]})")
                             .arg(m_fault->url(QStringLiteral("/file?size=10")).toString(), m_user.home());
    const QString viaSubmit = failedWith(asUser({QStringLiteral("submit"), spec}),
                                         QStringLiteral("TOO_MANY_JOBS_PER_USER"), QStringLiteral("0x80200049"));
    QVERIFY2(viaSubmit.isEmpty(), qPrintable(viaSubmit));
    ADMIN_OK(runAdmin(profile, {QStringLiteral("create"), QStringLiteral("root is not bound")}));

    ADMIN_OK(asUser({QStringLiteral("cancel"), mine.first()})); // one less: room for one more
    ADMIN_OK(asUser({QStringLiteral("create"), QStringLiteral("in its place")}));
}

// The same user against a job of 2 files at most: its third file is refused, root's is not.
void tst_Lifecycle::maxFilesPerJob()
{
    if (!m_userProblem.isEmpty())
        QSKIP(qPrintable(m_userProblem));
    const QString profile = startRootEngine();
    QVERIFY(!profile.isEmpty());
    ADMIN_OK(runAdmin(profile, {QStringLiteral("setconfig"), QStringLiteral("maxFilesPerJob"), QStringLiteral("2")}));
    const QString folder = m_user.home();
    const auto addFiles = [&](const std::function<AdminResult(const QStringList &)> &admin, const QString &job,
                              int first, int count) {
        AdminResult last;
        for (int i = first; i < first + count; ++i) {
            last = admin({QStringLiteral("addfile"), job,
                          m_fault->url(QStringLiteral("/file?size=10&seed=%1").arg(i)).toString(),
                          QStringLiteral("%1/%2-%3.bin").arg(folder, job).arg(i)});
            if (last.exitCode != 0)
                return last;
        }
        return last;
    };
    const auto asUser = [&](const QStringList &args) { return m_user.admin(profile, args); };
    const auto asRoot = [&](const QStringList &args) { return runAdmin(profile, args); };

    const AdminResult created = asUser({QStringLiteral("create"), QStringLiteral("small")});
    QVERIFY2(created.exitCode == 0, qPrintable(describe(created)));
    const QString job = created.out.trimmed();
    ADMIN_OK(addFiles(asUser, job, 0, 2));
    const QString problem =
        failedWith(addFiles(asUser, job, 2, 1), QStringLiteral("TOO_MANY_FILES_IN_JOB"), QStringLiteral("0x80200051"));
    QVERIFY2(problem.isEmpty(), qPrintable(problem));

    const AdminResult rootJob = asRoot({QStringLiteral("create"), QStringLiteral("roots")});
    QVERIFY2(rootJob.exitCode == 0, qPrintable(describe(rootJob)));
    ADMIN_OK(addFiles(asRoot, rootJob.out.trimmed(), 0, 3));
}

QTEST_GUILESS_MAIN(tst_Lifecycle)
#include "tst_lifecycle.moc"
