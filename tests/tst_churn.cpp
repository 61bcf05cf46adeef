// End to end: a long-running engine stays flat under job churn. A real engine (started by
// ferry-admin under `prlimit --nofile=1024:1024`, the limit of a login session or a systemd
// service, which it then cannot raise) runs thousands of small jobs from a real nginx: most
// created, transferred and completed, some with credentials (their own connections), some
// cancelled mid-way or before they ran. Afterwards its threads and descriptors are back at their
// starting level (a small constant slack), its memory within a small bound, and every completed
// file has the right bytes. The engine's own numbers come from `stats`; /proc agrees.
#include "AdminRunner.h"
#include "NginxServer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace admintest;
using ferry::test::NginxServer;

namespace {

constexpr int Jobs = 2000;             // the churn
constexpr int WarmUpJobs = 100;        // before the baseline: first-use allocations settle
constexpr int InFlight = 24;           // jobs running at once
constexpr qint64 FileSize = 64 * 1024;
// Slack over the baseline once idle: the connection pool's sweep, Qt's own lazily made helpers.
constexpr int ThreadSlack = 2;
constexpr int DescriptorSlack = 4;
// While jobs run: at most one thread per network manager of the pool (ConnectionPool::MaxManagers,
// 16) and the peer one, whatever the number of jobs run so far.
constexpr int BusyThreadSlack = 16 + 1 + ThreadSlack;
// Memory after the churn over the baseline. An engine that keeps ~40 KB per finished job (as
// before the connection pool) grows by ~80 MB over 2,000 jobs; allocator slack stays far below.
constexpr qint64 RssGrowthLimitKiB = 16 * 1024;
const QString User = QStringLiteral("churner");
const QString Password = QStringLiteral("s3cret-churn");

// One connection to the engine's control socket, one request at a time.
class Control
{
public:
    bool connectTo(const QString &path)
    {
        m_socket.connectToServer(path);
        return m_socket.waitForConnected(10000);
    }

    QJsonObject call(const QString &verb, const QStringList &args = {})
    {
        const QJsonObject request{{QStringLiteral("verb"), verb}, {QStringLiteral("args"), QJsonArray::fromStringList(args)}};
        m_socket.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
        QDeadlineTimer deadline(60000);
        while (!m_socket.canReadLine() && !deadline.hasExpired() && m_socket.state() == QLocalSocket::ConnectedState)
            m_socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
        if (!m_socket.canReadLine())
            return {{QStringLiteral("ok"), false}, {QStringLiteral("text"), QStringLiteral("no reply to %1").arg(verb)}};
        return QJsonDocument::fromJson(m_socket.readLine()).object();
    }

    QString text(const QString &verb, const QStringList &args = {}) { return call(verb, args).value(QStringLiteral("text")).toString(); }

private:
    QLocalSocket m_socket;
};

struct Stats
{
    int threads = 0, descriptors = 0;
    qint64 rssKiB = 0;
    QString toString() const
    {
        return QStringLiteral("%1 threads, %2 descriptors, %3 KiB resident").arg(threads).arg(descriptors).arg(rssKiB);
    }
};

} // namespace

class TestChurn : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void engineStaysFlatUnderChurn();

private:
    Stats stats();
    // Runs jobs [first, last): each kind by its index; false (with why) on the first surprise.
    bool churn(int first, int last, QString *why);
    bool settle(const QString &id, QString *state);

    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<NginxServer> m_nginx;
    QString m_profile, m_downloads;
    QStringList m_profiles;
    qint64 m_engine = 0;
    Control m_control;
    int m_completed = 0, m_cancelled = 0, m_credentialed = 0;
    Stats m_peak;   // the most threads and descriptors seen while jobs ran
};

void TestChurn::initTestCase()
{
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(QFileInfo(engineProgram()).isExecutable(), "FERRY_ENGINE must name the ferry binary");
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");
    const QString prlimit = QStandardPaths::findExecutable(QStringLiteral("prlimit"));
    QVERIFY2(!prlimit.isEmpty(), "prlimit (util-linux) gives the engine the usual 1024 descriptors");

    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    const QString www = m_tmp->filePath(QStringLiteral("www"));
    m_downloads = m_tmp->filePath(QStringLiteral("downloads"));
    QVERIFY(QDir().mkpath(www) && QDir().mkpath(m_downloads));
    QVERIFY(writeRandomFile(www + QStringLiteral("/small.bin"), FileSize, 7));
    QVERIFY(writeRandomFile(www + QStringLiteral("/big.bin"), 8 * FileSize, 8));
    m_nginx = std::make_unique<NginxServer>(www);
    m_nginx->setSlowRate("256k");           // /slow/big.bin runs long enough to be cancelled mid-way
    m_nginx->setBasicAuth(User, Password);
    QString error;
    QVERIFY2(m_nginx->start(&error), qPrintable(error));

    // Idle connection managers close after 1 s instead of 30 s, so "back to the start" comes soon.
    m_profile = m_tmp->filePath(QStringLiteral("profile"));
    m_profiles << m_profile;
    AdminCall call;
    call.environment = QProcessEnvironment::systemEnvironment();
    call.environment.insert(QStringLiteral("FERRY_CONNECTION_IDLE_MS"), QStringLiteral("1000"));
    const AdminResult started = runAdminVia({prlimit, QStringLiteral("--nofile=1024:1024"), QStringLiteral("--")}, m_profile,
                                            {QStringLiteral("list")}, call);
    QVERIFY2(started.exitCode == 0, qPrintable(describe(started)));
    const QList<qint64> engines = enginesFor(m_profile);
    QCOMPARE(engines.size(), 1);
    m_engine = engines.first();
    QVERIFY(m_control.connectTo(m_profile + QStringLiteral("/control.sock")));
}

void TestChurn::cleanupTestCase()
{
    const QStringList problems = shutdownEngines(&m_profiles);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

Stats TestChurn::stats()
{
    const QJsonObject o = m_control.call(QStringLiteral("stats")).value(QStringLiteral("json")).toObject();
    return {o.value(QStringLiteral("threads")).toInt(), o.value(QStringLiteral("descriptors")).toInt(),
            o.value(QStringLiteral("rssKiB")).toInteger()};
}

// Waits until the job leaves QUEUED/CONNECTING/TRANSFERRING/TRANSIENT_ERROR; its state then.
bool TestChurn::settle(const QString &id, QString *state)
{
    QDeadlineTimer deadline(60000);
    while (!deadline.hasExpired()) {
        *state = m_control.text(QStringLiteral("getstate"), {id}).trimmed();
        if (*state == QLatin1String("TRANSFERRED") || *state == QLatin1String("ERROR") || *state == QLatin1String("SUSPENDED"))
            return true;
        QTest::qWait(5);
    }
    return false;
}

bool TestChurn::churn(int first, int last, QString *why)
{
    struct Running
    {
        QString id;
        int index;
    };
    QList<Running> running;
    const auto finish = [&](const Running &r) {
        QString state;
        if (!settle(r.id, &state) || state != QLatin1String("TRANSFERRED")) {
            *why = QStringLiteral("job %1 ended %2: %3").arg(r.index).arg(state, m_control.text(QStringLiteral("geterror"), {r.id}));
            return false;
        }
        const QJsonObject done = m_control.call(QStringLiteral("complete"), {r.id});
        if (!done.value(QStringLiteral("ok")).toBool()) {
            *why = QStringLiteral("complete %1: %2").arg(r.index).arg(done.value(QStringLiteral("text")).toString());
            return false;
        }
        ++m_completed;
        return true;
    };

    for (int i = first; i < last; ++i) {
        const QString id = m_control.text(QStringLiteral("create"), {QStringLiteral("churn %1").arg(i)});
        const QString local = m_downloads + QStringLiteral("/f%1.bin").arg(i);
        // One in ten is cancelled: half while it transfers, half before it was ever resumed.
        const bool cancelRunning = i % 20 == 3, cancelQueued = i % 20 == 13;
        const bool credentialed = i % 20 == 7;
        const QString path = cancelRunning ? QStringLiteral("/slow/big.bin")
                             : credentialed ? QStringLiteral("/private/small.bin")
                                            : QStringLiteral("/small.bin");
        if (!m_control.call(QStringLiteral("addfile"), {id, m_nginx->url(path).toString(), local}).value(QStringLiteral("ok")).toBool()) {
            *why = QStringLiteral("addfile %1 failed").arg(i);
            return false;
        }
        m_control.call(QStringLiteral("setpriority"), {id, QStringLiteral("FOREGROUND")});
        if (credentialed) {
            const QJsonObject set = m_control.call(QStringLiteral("setcredentials"),
                                                   {id, QStringLiteral("SERVER"), QStringLiteral("BASIC"), User, Password});
            if (!set.value(QStringLiteral("ok")).toBool()) {
                *why = QStringLiteral("setcredentials %1: %2").arg(i).arg(set.value(QStringLiteral("text")).toString());
                return false;
            }
            ++m_credentialed;
        }
        if (cancelQueued) {
            m_control.call(QStringLiteral("cancel"), {id});
            ++m_cancelled;
            continue;
        }
        m_control.call(QStringLiteral("resume"), {id});
        if (cancelRunning) {
            QDeadlineTimer deadline(30000);
            while (m_control.text(QStringLiteral("getstate"), {id}).trimmed() != QLatin1String("TRANSFERRING") && !deadline.hasExpired())
                QTest::qWait(5);
            m_control.call(QStringLiteral("cancel"), {id});
            ++m_cancelled;
            continue;
        }
        running << Running{id, i};
        if (i % 50 == 0) {
            const Stats now = stats();
            m_peak.threads = qMax(m_peak.threads, now.threads);
            m_peak.descriptors = qMax(m_peak.descriptors, now.descriptors);
        }
        while (running.size() >= InFlight)
            if (!finish(running.takeFirst()))
                return false;
    }
    while (!running.isEmpty())
        if (!finish(running.takeFirst()))
            return false;
    return true;
}

void TestChurn::engineStaysFlatUnderChurn()
{
    QString why;
    QVERIFY2(churn(0, WarmUpJobs, &why), qPrintable(why));
    // The baseline: warmed up, idle managers closed.
    QTest::qWait(2500);
    const Stats before = stats();
    QVERIFY2(before.threads > 0 && before.descriptors > 0 && before.rssKiB > 0, qPrintable(before.toString()));
    // /proc agrees with the engine's own count.
    QCOMPARE(QDir(QStringLiteral("/proc/%1/task").arg(m_engine)).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size(),
             qsizetype(before.threads));

    m_peak = {};
    QVERIFY2(churn(WarmUpJobs, Jobs, &why), qPrintable(why + QStringLiteral(" (engine: %1)").arg(stats().toString())));
    QVERIFY(m_credentialed > 50 && m_cancelled > 100);
    QVERIFY2(m_peak.threads > 0 && m_peak.threads <= before.threads + BusyThreadSlack,
             qPrintable(QStringLiteral("before %1; while jobs ran, up to %2 threads").arg(before.toString()).arg(m_peak.threads)));

    // Every completed file is there with its bytes; nothing cancelled left a file or a part.
    const QByteArray small = sha256(m_tmp->filePath(QStringLiteral("www/small.bin")));
    int files = 0;
    for (const QFileInfo &f : QDir(m_downloads).entryInfoList(QDir::Files | QDir::Hidden)) {
        QVERIFY2(!f.fileName().startsWith(QLatin1Char('.')), qPrintable(f.fileName() + QStringLiteral(" left behind")));
        QCOMPARE(f.size(), FileSize);
        ++files;
    }
    QCOMPARE(files, m_completed);
    for (int i : {0, 7, Jobs / 2 + 7, Jobs - 1})
        QCOMPARE(sha256(m_downloads + QStringLiteral("/f%1.bin").arg(i)), small);

    // Idle again: threads and descriptors back where they were, memory within a small bound.
    Stats after;
    QTRY_VERIFY2_WITH_TIMEOUT((after = stats(), after.threads <= before.threads + ThreadSlack
                                                    && after.descriptors <= before.descriptors + DescriptorSlack),
                              qPrintable(QStringLiteral("before %1, after %2").arg(before.toString(), after.toString())), 20000);
    QVERIFY2(after.rssKiB - before.rssKiB <= RssGrowthLimitKiB + sanitizerMemorySlackKiB(),
             qPrintable(QStringLiteral("before %1, after %2").arg(before.toString(), after.toString())));
    qInfo().noquote() << QStringLiteral("%1 jobs (%2 completed, %3 cancelled, %4 with credentials): before %5; while running "
                                        "up to %6 threads, %7 descriptors; after %8")
                             .arg(Jobs).arg(m_completed).arg(m_cancelled).arg(m_credentialed)
                             .arg(before.toString()).arg(m_peak.threads).arg(m_peak.descriptors).arg(after.toString());
}

QTEST_GUILESS_MAIN(TestChurn)
#include "tst_churn.moc"
