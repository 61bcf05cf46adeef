// The job list model as a window sees it: only the jobs its viewer may see (spec §2.5), kept up
// to date by the engine's change and removal signals.
#include "JobListModel.h"

#include <QTest>

using namespace ferry;

namespace {

Owner ownerWith(uint uid, bool elevated, IntegrityLevel level)
{
    Owner o;
    o.uid = uid;
    o.userName = Owner::nameOf(uid);
    o.elevated = elevated;
    o.integrity = level;
    return o;
}

Job jobOf(const QString &name, const Owner &owner)
{
    return Job::create(name, owner, QDateTime::currentDateTimeUtc());
}

QStringList names(const JobListModel &m)
{
    QStringList out;
    for (int row = 0; row < m.rowCount(); ++row)
        out << m.data(m.index(row, JobListModel::Name)).toString();
    return out;
}

} // namespace

class tst_JobModel : public QObject
{
    Q_OBJECT

private slots:
    void viewerSeesOnlyOwnJobs()
    {
        const Owner alice = ownerWith(1000, false, IntegrityLevel::Medium);
        const Owner root = ownerWith(0, true, IntegrityLevel::High);
        const Job mine = jobOf(QStringLiteral("alice's"), alice);
        const Job theirs = jobOf(QStringLiteral("root's"), root);

        JobListModel asAlice;
        asAlice.setViewer(alice);
        asAlice.resetJobs({mine, theirs});
        QCOMPARE(names(asAlice), QStringList{QStringLiteral("alice's")});
        asAlice.upsertJob(jobOf(QStringLiteral("root's second"), root));
        asAlice.upsertJob(jobOf(QStringLiteral("alice's second"), alice));
        QCOMPARE(names(asAlice), (QStringList{QStringLiteral("alice's"), QStringLiteral("alice's second")}));
        asAlice.removeJob(theirs.id); // not shown: nothing happens
        asAlice.removeJob(mine.id);
        QCOMPARE(names(asAlice), QStringList{QStringLiteral("alice's second")});

        JobListModel asRoot;
        asRoot.setViewer(root);
        asRoot.resetJobs({mine, theirs});
        QCOMPARE(names(asRoot), (QStringList{QStringLiteral("alice's"), QStringLiteral("root's")}));
        QCOMPARE(asRoot.data(asRoot.index(1, JobListModel::Owner)).toString(), QStringLiteral("root"));
    }
};

QTEST_GUILESS_MAIN(tst_JobModel)
#include "tst_jobmodel.moc"
