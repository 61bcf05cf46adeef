// ferry-bench-seed PROFILE_DIR [COUNT]: writes COUNT (default 10000) suspended jobs, each with
// one file, straight into PROFILE_DIR/jobs.db through JobStore, for the start-up benchmark in
// throughput.sh. No engine may be running on that profile.
#include "core/Job.h"
#include "owner/Owner.h"
#include "store/JobStore.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QUrl>

#include <cstdio>

using namespace ferry;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2 || args.size() > 3) {
        std::fputs("usage: ferry-bench-seed PROFILE_DIR [COUNT]\n", stderr);
        return 2;
    }
    const QString dir = QDir(args[1]).absolutePath();
    bool okCount = true;
    const int count = args.size() > 2 ? args[2].toInt(&okCount) : 10000;
    if (!okCount || count < 0 || !QDir().mkpath(dir)) {
        std::fputs("ferry-bench-seed: bad COUNT or PROFILE_DIR\n", stderr);
        return 2;
    }

    JobStore store(dir + QLatin1String("/jobs.db"));
    QString error;
    if (!store.open(&error)) {
        std::fprintf(stderr, "ferry-bench-seed: %s\n", qPrintable(error));
        return 1;
    }
    {
        // Seeding only: no fsync per job (saveJob commits each job on its own).
        QSqlQuery q(QSqlDatabase::database(QSqlDatabase::connectionNames().constLast()));
        q.exec(QStringLiteral("PRAGMA synchronous=OFF"));
    }
    const Owner owner = Owner::ofThisProcess();
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (int i = 0; i < count; ++i) {
        Job job = Job::create(QStringLiteral("bench job %1").arg(i), owner, now);
        job.queueSequence = quint64(i + 1);
        JobFile f;
        f.remoteUrl = QUrl(QStringLiteral("http://127.0.0.1:9/f%1.bin").arg(i));
        f.localName = dir + QStringLiteral("/downloads/f%1.bin").arg(i);
        f.tempName = Job::temporaryNameFor(f.localName, job.id);
        job.files << f;
        if (!store.saveJob(job)) {
            std::fprintf(stderr, "ferry-bench-seed: saving job %d failed\n", i);
            return 1;
        }
    }
    std::printf("seeded %d job(s) into %s/jobs.db\n", count, qPrintable(dir));
    return 0;
}
