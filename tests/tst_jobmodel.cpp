// The job list model as a window sees it: only the jobs its viewer may see (docs/jobs.md §13), kept up
// to date by the engine's change and removal signals, with coalesced repaints, a measured speed,
// the files of one job, and the search/state filter. Every model runs under
// QAbstractItemModelTester while it changes.
#include "EngineFixture.h"
#include "JobFilesModel.h"
#include "JobFilterProxy.h"
#include "JobListModel.h"

#include <QAbstractItemModelTester>
#include <QLocale>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace ferry;
using ferry::test::ownerWith;

namespace {

constexpr qint64 KB = 1024;
constexpr qint64 MB = 1024 * 1024;


Owner namedOwner(uint uid, const QString &name)
{
    Owner o;
    o.uid = uid;
    o.userName = name;
    return o;
}

Job jobOf(const QString &name, const Owner &owner)
{
    return Job::create(name, owner, QDateTime::currentDateTimeUtc());
}

JobFile fileOf(const QString &url, const QString &local, qint64 total, qint64 done = 0)
{
    JobFile f;
    f.remoteUrl = QUrl(url);
    f.localName = local;
    f.tempName = local + QStringLiteral(".part");
    f.bytesTotal = total;
    f.bytesTransferred = done;
    return f;
}

// A job of one file of `total` bytes (-1: unknown) with `done` of them transferred.
Job jobWith(const QString &name, JobState state, qint64 total, qint64 done = 0, const Owner &owner = {})
{
    Job job = jobOf(name, owner);
    job.state = state;
    job.files << fileOf(QStringLiteral("https://example.org/") + name, QStringLiteral("/tmp/") + name, total, done);
    return job;
}

void setDone(Job &job, qint64 done)
{
    job.files[0].bytesTransferred = done;
}

QStringList names(const QAbstractItemModel &m)
{
    QStringList out;
    for (int row = 0; row < m.rowCount(); ++row)
        out << m.data(m.index(row, JobListModel::Name)).toString();
    return out;
}

QString text(const QAbstractItemModel &m, int row, int column, int role = Qt::DisplayRole)
{
    return m.data(m.index(row, column), role).toString();
}

QVariant sortValue(const QAbstractItemModel &m, int row, int column)
{
    return m.data(m.index(row, column), JobListModel::SortRole);
}

// Rows [first, last] announced by dataChanged spies, flattened.
QSet<int> changedRows(const QSignalSpy &spy)
{
    QSet<int> rows;
    for (const QList<QVariant> &args : spy) {
        const auto from = args.at(0).toModelIndex();
        const auto to = args.at(1).toModelIndex();
        for (int row = from.row(); row <= to.row(); ++row)
            rows.insert(row);
    }
    return rows;
}

} // namespace

class tst_JobModel : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    }

    // Which jobs a window sees is the engine's decision (tst_service: feedShowsOnlyTheCallersJobs,
    // jobTakenAwayLeavesTheFeed); the model shows every job it is given, with its owner.
    void ownerColumnShowsTheOwnersName()
    {
        const Owner alice = ownerWith(1000, false, IntegrityLevel::Medium);
        const Owner root = ownerWith(0, true, IntegrityLevel::High);
        JobListModel model;
        model.resetJobs({jobOf(QStringLiteral("alice's"), alice), jobOf(QStringLiteral("root's"), root)});
        QCOMPARE(names(model), (QStringList{QStringLiteral("alice's"), QStringLiteral("root's")}));
        QCOMPARE(model.data(model.index(1, JobListModel::Owner)).toString(), QStringLiteral("root"));
    }

    void listModelChangesUnderTester()
    {
        qint64 now = 0;
        JobListModel model;
        model.setClock([&now] { return now; });
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        JobFilterProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.sort(JobListModel::Size);

        QList<Job> jobs;
        for (int i = 0; i < 20; ++i)
            jobs << jobWith(QStringLiteral("job %1").arg(i), i % 2 ? JobState::Transferring : JobState::Queued, (i + 1) * MB);
        model.resetJobs(jobs.mid(0, 5));
        QCOMPARE(model.rowCount(), 5);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        model.upsertJobs(jobs.mid(3)); // 3 and 4 are there already: updated, not inserted
        QCOMPARE(model.rowCount(), 20);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(inserted.first().at(1).toInt(), 5);
        QCOMPARE(inserted.first().at(2).toInt(), 19);

        now += 1000;
        for (Job &job : jobs) {
            setDone(job, job.files[0].bytesTotal / 2);
            model.upsertJob(job);
        }
        model.flushPendingChanges();
        jobs[4].state = JobState::Suspended;
        model.upsertJob(jobs[4]);
        jobs[7].displayName = QStringLiteral("renamed");
        model.upsertJob(jobs[7]);
        model.flushPendingChanges();
        QCOMPARE(text(model, model.rowOf(jobs[7].id), JobListModel::Name), QStringLiteral("renamed"));

        model.removeJob(jobs[10].id);
        model.removeJobs({jobs[0].id, jobs[1].id, jobs[2].id, jobs[15].id, jobs[19].id, jobs[19].id});
        QCOMPARE(model.rowCount(), 14);
        QCOMPARE(proxy.rowCount(), 14);
        for (int row = 0; row < model.rowCount(); ++row)
            QCOMPARE(model.rowOf(model.jobId(row)), row);

        // The proxy keeps sorting by raw size while sizes change.
        jobs[3].files[0].bytesTotal = 100 * MB;
        model.upsertJob(jobs[3]);
        model.flushPendingChanges();
        QCOMPARE(proxy.jobId(proxy.rowCount() - 1), jobs[3].id);

        model.resetJobs(jobs.mid(0, 2));
        QCOMPARE(model.rowCount(), 2);
        model.resetJobs({});
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(proxy.rowCount(), 0);
    }

    void displayedValues()
    {
        JobListModel model;
        Job job = jobWith(QStringLiteral("iso"), JobState::Transferring, 7 * MB, 3 * MB, namedOwner(1000, QStringLiteral("alice")));
        job.priority = JobPriority::High;
        job.peerCachingFlags = peercaching::Client | peercaching::Server;
        model.upsertJob(job);
        QCOMPARE(text(model, 0, JobListModel::Progress), QStringLiteral("42%"));
        QCOMPARE(text(model, 0, JobListModel::Progress, JobListModel::AccessibleTextRole),
                 QStringLiteral("42 percent, 3.0 MB of 7.0 MB"));
        QCOMPARE(text(model, 0, JobListModel::Size), QStringLiteral("7.0 MB"));
        QCOMPARE(text(model, 0, JobListModel::State), QStringLiteral("Transferring"));
        QCOMPARE(text(model, 0, JobListModel::Priority), QStringLiteral("High"));
        QCOMPARE(text(model, 0, JobListModel::PeerCaching), QStringLiteral("client, server"));
        QCOMPARE(text(model, 0, JobListModel::Owner), QStringLiteral("alice"));
        QCOMPARE(text(model, 0, JobListModel::Speed), QString()); // not measured yet

        QCOMPARE(sortValue(model, 0, JobListModel::Progress), QVariant(42));
        QCOMPARE(sortValue(model, 0, JobListModel::Size), QVariant(7 * MB));
        QCOMPARE(sortValue(model, 0, JobListModel::State), QVariant(int(JobState::Transferring)));
        QCOMPARE(sortValue(model, 0, JobListModel::Priority), QVariant(int(JobPriority::High)));
        QCOMPARE(sortValue(model, 0, JobListModel::PeerCaching), QVariant(3));
        QCOMPARE(sortValue(model, 0, JobListModel::TimeLeft), QVariant(qint64(-1)));
        for (int column = JobListModel::State; column <= JobListModel::PeerCaching; ++column)
            QVERIFY2(sortValue(model, 0, column).typeId() != QMetaType::QString, qPrintable(QString::number(column)));

        QCOMPARE(JobListModel::peerCachingText(0), QStringLiteral("—"));
        QCOMPARE(JobListModel::peerCachingText(peercaching::Client), QStringLiteral("client"));
        QCOMPARE(JobListModel::peerCachingText(peercaching::Server), QStringLiteral("server"));

        Job unknown = jobWith(QStringLiteral("stream"), JobState::Queued, -1, 5 * KB);
        model.upsertJob(unknown);
        QCOMPARE(text(model, 1, JobListModel::Size), QStringLiteral("unknown"));
        QCOMPARE(sortValue(model, 1, JobListModel::Size), QVariant(qint64(-1)));
        QCOMPARE(text(model, 1, JobListModel::Progress, JobListModel::AccessibleTextRole),
                 QStringLiteral("0 percent, 5.0 kB transferred"));
    }

    void timeLeftTexts()
    {
        QCOMPARE(JobListModel::timeLeftText(-1), QString());
        QCOMPARE(JobListModel::timeLeftText(59), QStringLiteral("59 s"));
        QCOMPARE(JobListModel::timeLeftText(180), QStringLiteral("3 min"));
        QCOMPARE(JobListModel::timeLeftText(181), QStringLiteral("4 min"));
        QCOMPARE(JobListModel::timeLeftText(3600), QStringLiteral("1 h"));
        QCOMPARE(JobListModel::timeLeftText(5400), QStringLiteral("1 h 30 min"));
        QCOMPARE(JobListModel::timeLeftText(3 * 86400), QStringLiteral("3 day(s)"));
    }

    // The speed from bytesTransferred over the model's clock, driven by hand: no sleeping.
    void speedAndTimeLeftFromAnInjectedClock()
    {
        qint64 now = 5000;
        JobListModel model;
        model.setClock([&now] { return now; });
        Job job = jobWith(QStringLiteral("big"), JobState::Queued, 10 * MB);
        model.upsertJob(job);
        job.state = JobState::Transferring;
        now += 200;
        model.upsertJob(job); // starts measuring here
        QCOMPARE(sortValue(model, 0, JobListModel::Speed).toDouble(), 0.0);

        now += 1000;
        setDone(job, 1 * MB);
        model.upsertJob(job);
        QCOMPARE(sortValue(model, 0, JobListModel::Speed).toDouble(), double(MB));
        QCOMPARE(text(model, 0, JobListModel::Speed), QStringLiteral("1.0 MB/s"));
        QCOMPARE(sortValue(model, 0, JobListModel::TimeLeft), QVariant(qint64(9)));
        QCOMPARE(text(model, 0, JobListModel::TimeLeft), QStringLiteral("9 s"));

        // Reports closer together than the minimum window do not make a new speed.
        now += 100;
        setDone(job, 3 * MB / 2);
        model.upsertJob(job);
        QCOMPARE(sortValue(model, 0, JobListModel::Speed).toDouble(), double(MB));
        QCOMPARE(sortValue(model, 0, JobListModel::TimeLeft), QVariant(qint64(9))); // 8.5 s, rounded up

        // 2 MB in the second since the last sample: smoothed towards 2 MB/s.
        now += 900;
        setDone(job, 3 * MB);
        model.upsertJob(job);
        const double weight = 1.0 - std::exp(-1000.0 / JobListModel::SpeedTimeConstantMs);
        const double expected = MB + weight * (2 * MB - MB);
        QVERIFY(qFuzzyCompare(sortValue(model, 0, JobListModel::Speed).toDouble(), expected));
        QCOMPARE(text(model, 0, JobListModel::Speed), QStringLiteral("1.4 MB/s"));
        QCOMPARE(sortValue(model, 0, JobListModel::TimeLeft), QVariant(qint64(std::ceil(7 * MB / expected))));

        // No report for a while: the speed decays.
        now += 5000;
        model.decayStalledSpeeds();
        QVERIFY(qFuzzyCompare(sortValue(model, 0, JobListModel::Speed).toDouble(), expected * std::exp(-5000.0 / JobListModel::SpeedTimeConstantMs)));

        // Not transferring: no speed, no time left.
        job.state = JobState::Suspended;
        model.upsertJob(job);
        QCOMPARE(sortValue(model, 0, JobListModel::Speed).toDouble(), 0.0);
        QCOMPARE(text(model, 0, JobListModel::Speed), QString());
        QCOMPARE(text(model, 0, JobListModel::TimeLeft), QString());
        QCOMPARE(sortValue(model, 0, JobListModel::TimeLeft), QVariant(qint64(-1)));
    }

    void tenThousandJobs()
    {
        constexpr int Count = 10000;
        qint64 now = 0;
        JobListModel model;
        model.setClock([&now] { return now; });
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QList<Job> jobs;
        jobs.reserve(Count);
        for (int i = 0; i < Count; ++i)
            jobs << jobWith(QStringLiteral("job %1").arg(i), i % 3 ? JobState::Transferring : JobState::Queued,
                            (i % 10 + 1) * MB);

        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        model.upsertJobs(jobs);
        QCOMPARE(model.rowCount(), Count);
        QCOMPARE(inserted.count(), 1);

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        int updates = 0;
        for (int round = 1; round <= 3; ++round) {
            now += 1000;
            for (Job &job : jobs) {
                setDone(job, job.files[0].bytesTotal * round / 4);
                model.upsertJob(job);
                ++updates;
            }
            QCOMPARE(changed.count(), round - 1); // nothing yet: coalesced until the flush
            model.flushPendingChanges();
        }
        QCOMPARE(updates, 3 * Count);
        QCOMPARE(changed.count(), 3); // one range per flush for 30,000 updates
        QVERIFY(changed.count() * 1000 <= updates);
        QCOMPARE(changedRows(changed).size(), Count);

        // The timer flushes by itself too.
        setDone(jobs[17], jobs[17].files[0].bytesTotal);
        model.upsertJob(jobs[17]);
        QCOMPARE(changed.count(), 3);
        QTRY_COMPARE(changed.count(), 4);
        QCOMPARE(changed.last().at(0).toModelIndex().row(), 17);

        // Scattered updates: a few ranges, each covering its rows.
        changed.clear();
        const QList<int> scattered{3, 4, 5, 900, 4000, 4003, 9999};
        for (int i : scattered) {
            setDone(jobs[i], 1);
            model.upsertJob(jobs[i]);
        }
        model.flushPendingChanges();
        QVERIFY(changed.count() <= 4);
        for (int i : scattered)
            QVERIFY(changedRows(changed).contains(i));

        // Sampled rows show what they hold.
        for (int i : {0, 1, 2, 5000, 9998}) {
            const int row = model.rowOf(jobs[i].id);
            QCOMPARE(row, i);
            QCOMPARE(text(model, row, JobListModel::Progress), i == 5 ? QStringLiteral("0%") : QStringLiteral("75%"));
            QCOMPARE(sortValue(model, row, JobListModel::Progress), QVariant(i == 5 ? 0 : 75));
            QCOMPARE(text(model, row, JobListModel::State), i % 3 ? QStringLiteral("Transferring") : QStringLiteral("Queued"));
            QCOMPARE(sortValue(model, row, JobListModel::State), QVariant(int(jobs[i].state)));
            QCOMPARE(sortValue(model, row, JobListModel::Size), QVariant((i % 10 + 1) * MB));
            QCOMPARE(sortValue(model, row, JobListModel::Speed).toDouble(),
                     i % 3 ? double(jobs[i].files[0].bytesTotal / 4) : 0.0); // a quarter every second
        }

        // Removals in the middle: every id still finds its row.
        QSet<QUuid> removed;
        QList<QUuid> batch;
        // A few scattered ones: the tester walks all 10,000 rows on every removal signal.
        for (int i = 2000; i < 8000; i += 300)
            batch << jobs[i].id;
        batch << jobs[5000].id << jobs[5001].id << jobs[5002].id;
        model.removeJob(jobs[1234].id);
        model.removeJob(jobs[1235].id);
        model.removeJobs(batch);
        removed.insert(jobs[1234].id);
        removed.insert(jobs[1235].id);
        for (const QUuid &id : std::as_const(batch))
            removed.insert(id);
        QCOMPARE(model.rowCount(), Count - removed.size());
        int row = 0;
        for (const Job &job : std::as_const(jobs)) {
            if (removed.contains(job.id)) {
                QCOMPARE(model.rowOf(job.id), -1);
                continue;
            }
            QCOMPARE(model.rowOf(job.id), row);
            QCOMPARE(model.jobId(row), job.id);
            ++row;
        }

        // An update after the removals lands on the right row.
        changed.clear();
        jobs[9000].displayName = QStringLiteral("after the removals");
        model.upsertJob(jobs[9000]);
        model.flushPendingChanges();
        const int at = model.rowOf(jobs[9000].id);
        QCOMPARE(at, 9000 - (Count - model.rowCount()));
        QCOMPARE(text(model, at, JobListModel::Name), QStringLiteral("after the removals"));
        QCOMPARE(changedRows(changed), QSet<int>{at});

        // A state change is shown at once.
        changed.clear();
        jobs[9001].state = JobState::Error;
        model.upsertJob(jobs[9001]);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(text(model, at + 1, JobListModel::State), QStringLiteral("Error"));
    }

    void filesModel()
    {
        JobFilesModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        Job job = jobOf(QStringLiteral("two files"), {});
        job.files << fileOf(QStringLiteral("https://user:secret@example.org/a.iso"), QStringLiteral("/tmp/a.iso"), 7 * MB, 3 * MB)
                  << fileOf(QStringLiteral("https://example.org/b.bin"), QStringLiteral("/tmp/b.bin"), -1, 2 * KB);
        job.files[1].downloadedFromPeer = true;
        model.setJob(job);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.jobId(), job.id);

        using F = JobFilesModel;
        QCOMPARE(text(model, 0, F::RemoteUrl), QStringLiteral("https://user@example.org/a.iso"));
        QCOMPARE(text(model, 0, F::LocalName), QStringLiteral("/tmp/a.iso"));
        QCOMPARE(text(model, 0, F::TempName), QStringLiteral("/tmp/a.iso.part"));
        QCOMPARE(text(model, 0, F::Progress), QStringLiteral("42% (3.0 MB of 7.0 MB)"));
        QCOMPARE(text(model, 0, F::Progress, F::AccessibleTextRole), QStringLiteral("42 percent, 3.0 MB of 7.0 MB"));
        QCOMPARE(text(model, 0, F::Size), QStringLiteral("7.0 MB"));
        QCOMPARE(text(model, 0, F::FromPeer), QStringLiteral("No"));
        QCOMPARE(text(model, 1, F::Progress), QStringLiteral("0% (2.0 kB)"));
        QCOMPARE(text(model, 1, F::Size), QStringLiteral("unknown"));
        QCOMPARE(text(model, 1, F::FromPeer), QStringLiteral("Yes"));
        QCOMPARE(model.data(model.index(0, F::Size), F::SortRole), QVariant(7 * MB));
        QCOMPARE(model.data(model.index(1, F::Size), F::SortRole), QVariant(qint64(-1)));
        QCOMPARE(model.data(model.index(0, F::Progress), F::SortRole), QVariant(42));
        QCOMPARE(model.data(model.index(1, F::FromPeer), F::SortRole), QVariant(1));

        // Progress is coalesced; other jobs are ignored.
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        for (qint64 done = 4 * MB; done <= 6 * MB; done += MB) {
            job.files[0].bytesTransferred = done;
            model.upsertJob(job);
        }
        Job other = jobWith(QStringLiteral("other"), JobState::Queued, MB);
        model.upsertJob(other);
        model.removeJob(other.id);
        QCOMPARE(changed.count(), 0);
        model.flushPendingChanges();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changedRows(changed), QSet<int>{0});
        QCOMPARE(text(model, 0, F::Progress), QStringLiteral("85% (6.0 MB of 7.0 MB)"));

        // A file done is shown at once; an added file is inserted.
        job.files[0].bytesTransferred = 7 * MB;
        job.files[0].transferred = true;
        model.upsertJob(job);
        QCOMPARE(changed.count(), 2);
        job.files << fileOf(QStringLiteral("https://example.org/c"), QStringLiteral("/tmp/c"), 1);
        model.upsertJob(job);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(text(model, 2, F::LocalName), QStringLiteral("/tmp/c"));

        model.setJob(other);
        QCOMPARE(model.rowCount(), 1);
        model.removeJob(other.id);
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(model.jobId().isNull());
    }

    void proxySearchStateAndSort()
    {
        JobListModel model;
        JobFilterProxy proxy;
        proxy.setSourceModel(&model);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const Owner alice = namedOwner(1000, QStringLiteral("alice"));
        const Owner root = namedOwner(0, QStringLiteral("root"));
        Job ubuntu = jobWith(QStringLiteral("Ubuntu ISO"), JobState::Transferring, 2 * KB, 0, alice);
        Job debian = jobWith(QStringLiteral("Debian netinst"), JobState::Suspended, MB, 0, alice);
        debian.description = QStringLiteral("The Bookworm image");
        const Job fedora = jobWith(QStringLiteral("Fedora"), JobState::Error, 500 * KB, 0, root);
        const Job arch = jobWith(QStringLiteral("Arch"), JobState::TransientError, 3 * MB, 0, alice);
        const Job mint = jobWith(QStringLiteral("Mint"), JobState::Transferred, 10 * KB, 0, alice);
        const Job queued = jobWith(QStringLiteral("Queued one"), JobState::Queued, 20 * MB, 0, alice);
        const Job connecting = jobWith(QStringLiteral("Connecting one"), JobState::Connecting, 30 * MB, 0, alice);
        model.resetJobs({ubuntu, debian, fedora, arch, mint, queued, connecting});
        proxy.sort(JobListModel::Name);
        QCOMPARE(proxy.rowCount(), 7);

        const auto shown = [&proxy] {
            QStringList out = names(proxy);
            out.sort();
            return out;
        };
        proxy.setSearchText(QStringLiteral("  ubuntu "));
        QCOMPARE(shown(), QStringList{QStringLiteral("Ubuntu ISO")});
        proxy.setSearchText(QStringLiteral("BOOKWORM")); // the description
        QCOMPARE(shown(), QStringList{QStringLiteral("Debian netinst")});
        proxy.setSearchText(QStringLiteral("Root")); // the owner
        QCOMPARE(shown(), QStringList{QStringLiteral("Fedora")});
        proxy.setSearchText(QString());

        proxy.setStateFilter(JobFilterProxy::ActiveStates);
        QCOMPARE(shown(), (QStringList{QStringLiteral("Connecting one"), QStringLiteral("Queued one"), QStringLiteral("Ubuntu ISO")}));
        proxy.setStateFilter(JobFilterProxy::SuspendedStates);
        QCOMPARE(shown(), QStringList{QStringLiteral("Debian netinst")});
        proxy.setStateFilter(JobFilterProxy::ErrorStates);
        QCOMPARE(shown(), (QStringList{QStringLiteral("Arch"), QStringLiteral("Fedora")}));
        proxy.setStateFilter(JobFilterProxy::TransferredStates);
        QCOMPARE(shown(), QStringList{QStringLiteral("Mint")});
        proxy.setStateFilter(JobFilterProxy::ErrorStates);
        proxy.setSearchText(QStringLiteral("arch"));
        QCOMPARE(shown(), QStringList{QStringLiteral("Arch")});

        // A job that changes state enters and leaves the filtered rows.
        proxy.setSearchText(QString());
        proxy.setStateFilter(JobFilterProxy::ActiveStates);
        ubuntu.state = JobState::Error;
        model.upsertJob(ubuntu);
        QCOMPARE(shown(), (QStringList{QStringLiteral("Connecting one"), QStringLiteral("Queued one")}));
        debian.state = JobState::Queued;
        model.upsertJob(debian);
        QCOMPARE(shown(), (QStringList{QStringLiteral("Connecting one"), QStringLiteral("Debian netinst"), QStringLiteral("Queued one")}));

        // Sorting by size uses bytes: as text, "1.0 MB" would come before "2.0 KB".
        proxy.setStateFilter(JobFilterProxy::AllStates);
        proxy.sort(JobListModel::Size, Qt::AscendingOrder);
        QCOMPARE(names(proxy), (QStringList{QStringLiteral("Ubuntu ISO"), QStringLiteral("Mint"), QStringLiteral("Fedora"),
                                            QStringLiteral("Debian netinst"), QStringLiteral("Arch"),
                                            QStringLiteral("Queued one"), QStringLiteral("Connecting one")}));
        QCOMPARE(proxy.jobId(0), ubuntu.id);
        proxy.sort(JobListModel::State, Qt::AscendingOrder);
        QList<int> states;
        for (int row = 0; row < proxy.rowCount(); ++row)
            states << proxy.index(row, JobListModel::State).data(JobListModel::StateRole).toInt();
        QCOMPARE(states, (QList<int>{0, 0, 1, 4, 4, 5, 6}));

        for (int f = 0; f < JobFilterProxy::StateFilterCount; ++f)
            QVERIFY(!JobFilterProxy::stateFilterText(JobFilterProxy::StateFilter(f)).isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_JobModel)
#include "tst_jobmodel.moc"
