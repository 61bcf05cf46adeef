// The engine service decides who may do what (docs/jobs.md §13), for every verb of its table, in
// itself: these calls go straight to EngineService::call, as the control socket's and the
// window's do, with no caller-side check in between. A verb added to the table is covered here
// without a line of this test changing.
#include "control/EngineService.h"
#include "EngineFixture.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace ferry;
using namespace ferry::test;

namespace {


// Calls a verb and returns its reply, which every verb gives at once when it refuses.
AdminReply callNow(EngineService &service, const QString &verb, const QStringList &args, const Owner &caller)
{
    std::optional<AdminReply> got;
    service.call(verb, args, caller, true, [&got](const AdminReply &r) { got = r; });
    if (!got)
        return AdminReply::success(QStringLiteral("(no reply yet)"));
    return *got;
}

// The verb's name and its arguments: JOB first for job verbs, then as many placeholders as it needs.
QPair<QString, QStringList> invocation(const Verb &v, const QString &job)
{
    QString name = QLatin1String(v.name);
    QStringList args;
    if (name.startsWith(QLatin1String("cache "))) {
        args << name.mid(6);
        name = QStringLiteral("cache");
    }
    const bool jobVerb = v.access == VerbAccess::SeeJob || v.access == VerbAccess::ChangeJob
                         || v.access == VerbAccess::TakeOwnership;
    QStringList own;
    if (jobVerb)
        own << job;
    while (own.size() < v.minArgs)
        own << QStringLiteral("1");
    return {name, args + own};
}

} // namespace

class TestService : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void otherUsersJobsDoNotExistForAnyVerb();
    void everyChangingVerbIsRefusedToACallerWhoSeesButMayNotChange();
    void engineUserVerbsAreRefusedToOtherUsers();
    void resumeAllAndSuspendAllTouchOnlyTheCallersJobs();
    void feedShowsOnlyTheCallersJobs();
    void jobTakenAwayLeavesTheFeed();
    void jobEventsReachOnlyThoseWhoSeeTheJob();
    void submitLeavesNothingBehindWhenAFileIsRefused();

private:
    // What the job looks like to its owner, for "nothing changed" checks.
    QString fingerprint(const QUuid &id) const;

    std::unique_ptr<EngineFixture> m_f;
    std::unique_ptr<EngineService> m_service;
    Owner m_alice = ownerWith(1000, false, IntegrityLevel::Medium);
    Owner m_bob = ownerWith(65534, false, IntegrityLevel::Medium);
    QTemporaryDir m_shared;     // 0777: Alice and Bob may each write their files here
    // Root, elevated, SYSTEM: its jobs are seen by a plain root caller but not changed by it.
    Owner m_system = ownerWith(0, true, IntegrityLevel::System);
    Owner m_plainRoot = ownerWith(0, false, IntegrityLevel::Medium);
};

void TestService::init()
{
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
    // The engine's own user is neither Alice nor Bob.
    m_service = std::make_unique<EngineService>(m_f->jobs(), nullptr, 4242);
    QVERIFY(m_shared.isValid());
    QVERIFY(QFile::setPermissions(m_shared.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                                       | QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
                                                       | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther));
}

void TestService::cleanup()
{
    m_service.reset();
    m_f.reset();
}

QString TestService::fingerprint(const QUuid &id) const
{
    const Job &j = m_f->job(id);
    return QStringLiteral("%1|%2|%3|%4|%5|%6|%7|%8|%9")
        .arg(stateName(j.state), j.displayName, j.description, priorityName(j.priority))
        .arg(j.files.size())
        .arg(j.peerCachingFlags)
        .arg(j.maximumDownloadTime)
        .arg(j.owner.uid)
        .arg(j.customHeaders.join(QLatin1Char(',')));
}

void TestService::otherUsersJobsDoNotExistForAnyVerb()
{
    QUuid id;
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("alice's"), m_alice, &id));
    const QString before = fingerprint(id);
    int jobVerbs = 0;
    for (const Verb &v : EngineService::verbs()) {
        if (v.access != VerbAccess::SeeJob && v.access != VerbAccess::ChangeJob && v.access != VerbAccess::TakeOwnership)
            continue;
        ++jobVerbs;
        for (const QString &name : {id.toString(QUuid::WithoutBraces), QStringLiteral("alice's")}) {
            const auto [verb, args] = invocation(v, name);
            const AdminReply r = callNow(*m_service, verb, args, m_bob);
            QVERIFY2(!r.ok && r.code == hr::BG_E_NOT_FOUND,
                     qPrintable(QStringLiteral("%1 by Bob: %2 %3").arg(QLatin1String(v.name), errorName(r.code), r.message)));
        }
    }
    QVERIFY(jobVerbs >= 40);
    QCOMPARE(fingerprint(id), before);
    QCOMPARE(m_f->state(id), JobState::Suspended);
}

void TestService::everyChangingVerbIsRefusedToACallerWhoSeesButMayNotChange()
{
    QUuid id;
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("system's"), m_system, &id));
    const QString before = fingerprint(id);
    int refused = 0;
    for (const Verb &v : EngineService::verbs()) {
        if (v.access != VerbAccess::ChangeJob && v.access != VerbAccess::TakeOwnership && v.access != VerbAccess::SeeJob)
            continue;
        const auto [verb, args] = invocation(v, id.toString(QUuid::WithoutBraces));
        const AdminReply r = callNow(*m_service, verb, args, m_plainRoot);
        if (v.access == VerbAccess::SeeJob) {
            // Reading is open to whoever sees the job (wait replies later: it has not refused).
            QVERIFY2(r.ok || r.code != hr::E_ACCESSDENIED,
                     qPrintable(QStringLiteral("%1: %2").arg(QLatin1String(v.name), r.message)));
            continue;
        }
        ++refused;
        QVERIFY2(!r.ok && r.code == hr::E_ACCESSDENIED,
                 qPrintable(QStringLiteral("%1 by a non-elevated root: %2 %3").arg(QLatin1String(v.name), errorName(r.code), r.message)));
    }
    QVERIFY(refused >= 20);
    QCOMPARE(fingerprint(id), before);
}

void TestService::engineUserVerbsAreRefusedToOtherUsers()
{
    int refused = 0;
    for (const Verb &v : EngineService::verbs()) {
        if (v.access != VerbAccess::EngineUser)
            continue;
        const auto [verb, args] = invocation(v, {});
        if (verb == QLatin1String("cache"))
            continue; // this engine has no peer cache: E_NOTIMPL first (tst_peercache_e2e covers them)
        ++refused;
        const AdminReply r = callNow(*m_service, verb, args, m_bob);
        QVERIFY2(!r.ok && r.code == hr::E_ACCESSDENIED, qPrintable(QLatin1String(v.name)));
    }
    QVERIFY(refused >= 3); // setconfig, open, shutdown
    QCOMPARE(m_f->jobs()->settings().maxBackgroundJobs, EngineSettings().maxBackgroundJobs);
}

void TestService::resumeAllAndSuspendAllTouchOnlyTheCallersJobs()
{
    QUuid alices, bobs;
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("a"), m_alice, &alices));
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("b"), m_bob, &bobs));
    QVERIFY(m_f->jobs()->addFile(bobs, QStringLiteral("http://127.0.0.1:9/x"), m_shared.filePath(QStringLiteral("x"))));
    AdminReply r = callNow(*m_service, QStringLiteral("resumeall"), {}, m_bob);
    QVERIFY2(r.ok, qPrintable(r.message));
    QCOMPARE(r.json.toInt(), 1);
    QVERIFY(m_f->state(bobs) != JobState::Suspended);
    QCOMPARE(m_f->state(alices), JobState::Suspended);
    r = callNow(*m_service, QStringLiteral("suspendall"), {}, m_bob);
    QCOMPARE(r.json.toInt(), 1);
    QCOMPARE(m_f->state(bobs), JobState::Suspended);
}

void TestService::feedShowsOnlyTheCallersJobs()
{
    QUuid alices, bobs;
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("a"), m_alice, &alices));
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("b"), m_bob, &bobs));
    JobFeed *feed = m_service->subscribe(m_bob);
    QSignalSpy reset(feed, &JobFeed::jobsReset);
    QSignalSpy changed(feed, &JobFeed::jobChanged);
    QSignalSpy removed(feed, &JobFeed::jobRemoved);
    feed->start();
    QCOMPARE(reset.size(), 1);
    const auto first = reset.at(0).at(0).value<QList<Job>>();
    QCOMPARE(first.size(), 1);
    QCOMPARE(first.at(0).id, bobs);
    QVERIFY(m_f->jobs()->setDescription(alices, QStringLiteral("private")));
    QVERIFY(m_f->jobs()->setDescription(bobs, QStringLiteral("mine")));
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.at(0).at(0).value<Job>().id, bobs);
    QVERIFY(m_f->jobs()->cancel(alices));
    QVERIFY(m_f->jobs()->cancel(bobs));
    QCOMPARE(removed.size(), 1); // Alice's job never existed for Bob, not even its removal
    QCOMPARE(removed.at(0).at(0).toUuid(), bobs);
}

// A job whose ownership root takes leaves its former owner's window.
void TestService::jobTakenAwayLeavesTheFeed()
{
    QUuid id;
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("mine"), m_alice, &id));
    JobFeed *feed = m_service->subscribe(m_alice);
    QSignalSpy removed(feed, &JobFeed::jobRemoved);
    feed->start();
    const Owner elevatedRoot = ownerWith(0, true, IntegrityLevel::High);
    const AdminReply r = callNow(*m_service, QStringLiteral("takeownership"), {id.toString(QUuid::WithoutBraces)}, elevatedRoot);
    QVERIFY2(r.ok, qPrintable(r.message));
    QCOMPARE(removed.size(), 1);
    QCOMPARE(removed.at(0).at(0).toUuid(), id);
    QCOMPARE(m_f->job(id).owner.uid, 0u);
}

// The BITS job events (notify flags) go only to feeds whose caller may see the job: Bob, another
// user subscribed to the same engine, hears nothing of Alice's job.
void TestService::jobEventsReachOnlyThoseWhoSeeTheJob()
{
    QUuid alices;
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("a"), m_alice, &alices));
    QVERIFY(m_f->jobs()->setNotifyFlags(alices, notifyflags::JobTransferred | notifyflags::JobError | notifyflags::JobModification));
    JobFeed *alicesFeed = m_service->subscribe(m_alice);
    JobFeed *bobsFeed = m_service->subscribe(m_bob);
    QSignalSpy alicesEvents(alicesFeed, &JobFeed::jobEvent);
    QSignalSpy bobsEvents(bobsFeed, &JobFeed::jobEvent);
    QSignalSpy bobsChanges(bobsFeed, &JobFeed::jobChanged);
    alicesFeed->start();
    bobsFeed->start();
    QVERIFY(m_f->jobs()->setDescription(alices, QStringLiteral("private")));
    QTRY_VERIFY_WITH_TIMEOUT(!alicesEvents.isEmpty(), 10000);
    const JobEvent told = alicesEvents.constLast().at(0).value<JobEvent>();
    QCOMPARE(told.name(), QStringLiteral("modification"));
    QCOMPARE(told.job.description, QStringLiteral("private"));
    // Bob's own job changing is the marker: everything told before it has reached his feed.
    QUuid bobs;
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("b"), m_bob, &bobs));
    QVERIFY(m_f->jobs()->setDescription(bobs, QStringLiteral("mine")));
    QTRY_VERIFY_WITH_TIMEOUT(!bobsChanges.isEmpty(), 10000);
    for (const QList<QVariant> &e : std::as_const(bobsEvents))
        QVERIFY2(e.at(0).value<JobEvent>().job.id != alices, "Bob was told of Alice's job");
}

void TestService::submitLeavesNothingBehindWhenAFileIsRefused()
{
    JobSpec spec;
    spec.displayName = QStringLiteral("two files");
    spec.resume = false;
    spec.files << JobSpec::File{QStringLiteral("http://127.0.0.1:9/a"), m_shared.filePath(QStringLiteral("a"))}
               << JobSpec::File{QStringLiteral("ftp://example.com/b"), m_shared.filePath(QStringLiteral("b"))};
    const AdminReply r = callNow(*m_service, QStringLiteral("submit"),
                                 {QString::fromUtf8(QJsonDocument(spec.toJson()).toJson(QJsonDocument::Compact))}, m_alice);
    QVERIFY(!r.ok);
    QCOMPARE(r.json.toObject().value(QLatin1String("failedFile")).toInt(), 1);
    QVERIFY(m_f->jobs()->jobs().isEmpty());

    spec.files.removeLast();
    const AdminReply ok = callNow(*m_service, QStringLiteral("submit"),
                                  {QString::fromUtf8(QJsonDocument(spec.toJson()).toJson(QJsonDocument::Compact))}, m_alice);
    QVERIFY2(ok.ok, qPrintable(ok.message));
    const QUuid id = QUuid::fromString(ok.text);
    QCOMPARE(m_f->state(id), JobState::Suspended);
    QCOMPARE(m_f->job(id).owner.uid, m_alice.uid);
    QCOMPARE(m_f->job(id).files.size(), 1);
}

QTEST_GUILESS_MAIN(TestService)
#include "tst_service.moc"
