// Crash safety with real processes: an engine killed with SIGKILL mid-transfer loses at most one
// checkpoint interval of bytes, and the next engine resumes the job with a Range request from
// its last checkpoint; a job database full of garbage is moved aside, never wiped.
#include "AdminRunner.h"
#include "NginxServer.h"
#include "TestContent.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <csignal>
#include <memory>
#include <sys/types.h>

using namespace admintest;
using ferry::test::NginxServer;

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr qint64 FileSize = 24 * MiB;
constexpr qint64 CheckpointBytes = 262144;

} // namespace

class TestCrash : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void killedEngineResumesFromCheckpoint_data();
    void killedEngineResumesFromCheckpoint();
    void corruptDatabaseIsMovedAside();

private:
    QTemporaryDir m_www;
    std::unique_ptr<NginxServer> m_nginx;
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_profile;
    QString m_downloads;
};

void TestCrash::initTestCase()
{
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(QFileInfo(engineProgram()).isExecutable(), "FERRY_ENGINE must name the ferry binary");
    QCOMPARE(QFileInfo(adminProgram()).absolutePath(), QFileInfo(engineProgram()).absolutePath());
    // The engine is started detached; as a subreaper we adopt it and reap it as soon as it is
    // killed (an unreaped zombie's pid still looks like a live holder of the profile's lock).
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");

    QVERIFY(m_www.isValid());
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("early.bin")), FileSize, 11));
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("late.bin")), FileSize, 12));
    m_nginx = std::make_unique<NginxServer>(m_www.path());
    m_nginx->setSlowRate("4m"); // 24 MiB take ~6 s under /slow/
    QString error;
    QVERIFY2(m_nginx->start(&error), qPrintable(error));
}

void TestCrash::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    m_profile = m_tmp->filePath(QStringLiteral("profile"));
    m_downloads = m_tmp->filePath(QStringLiteral("downloads"));
    QVERIFY(QDir().mkpath(m_downloads));
}

void TestCrash::cleanup()
{
    QString reason;
    const bool clean = shutdownEngine(m_profile, &reason);
    m_tmp.reset();
    QVERIFY2(clean, qPrintable(reason));
}

void TestCrash::killedEngineResumesFromCheckpoint_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<qint64>("killAfter");   // bytes in the temporary file when the engine is killed
    QTest::newRow("early") << QStringLiteral("early.bin") << qint64(3 * MiB);
    QTest::newRow("late") << QStringLiteral("late.bin") << qint64(15 * MiB);
}

void TestCrash::killedEngineResumesFromCheckpoint()
{
    QFETCH(QString, file);
    QFETCH(qint64, killAfter);
    const QString requestLine = QStringLiteral("GET /slow/%1 HTTP/1.1").arg(file);
    const QString local = m_downloads + QLatin1Char('/') + file;

    // The first call starts the engine; a checkpoint at least every 256 KiB.
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("setconfig"), QStringLiteral("checkpointBytes"),
                                  QString::number(CheckpointBytes)}));
    const qint64 pid = lockPid(m_profile);
    QVERIFY(pid > 0);
    QCOMPARE(enginesFor(m_profile), QList<qint64>{pid});

    const AdminResult created = runAdmin(m_profile, {QStringLiteral("create"), QStringLiteral("crash ") + file});
    ADMIN_OK(created);
    const QString id = created.out.trimmed();
    QVERIFY(!QUuid::fromString(id).isNull());
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("addfile"), id,
                                  m_nginx->url(QStringLiteral("/slow/") + file).toString(), local}));
    const AdminResult info = runAdmin(m_profile, {QStringLiteral("info"), id, QStringLiteral("--json")});
    ADMIN_OK(info);
    const QString tempName = jsonObject(info.out)
                                 .value(QLatin1String("files"))
                                 .toArray()
                                 .at(0)
                                 .toObject()
                                 .value(QLatin1String("tempName"))
                                 .toString();
    QVERIFY2(!tempName.isEmpty(), qPrintable(info.out));
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("resume"), id}));

    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(tempName).size() > killAfter, 60000);
    QCOMPARE(::kill(pid_t(pid), SIGKILL), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!isAlive(pid), 20000);
    const qint64 sizeAtKill = QFileInfo(tempName).size();
    QVERIFY2(sizeAtKill < FileSize, "the transfer finished before the engine was killed");
    QVERIFY(!QFileInfo::exists(local));

    // The next call starts a new engine, which requeues the interrupted job; wait for it.
    const AdminResult waited = runAdmin(m_profile, {QStringLiteral("wait"), id}, 120000);
    QVERIFY2(waited.exitCode == 0,
             qPrintable(describe(waited) + QStringLiteral("\n--- engine.log:\n")
                        + QString::fromUtf8(readAll(m_profile + QStringLiteral("/engine.log")))));
    QCOMPARE(waited.out, QStringLiteral("TRANSFERRED\n"));
    const QList<qint64> engines = enginesFor(m_profile);
    QCOMPARE(engines.size(), 1);
    QVERIFY(engines.first() != pid);
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("complete"), id}));

    QCOMPARE(QFileInfo(local).size(), FileSize);
    QCOMPARE(sha256(local), sha256(m_www.filePath(file)));
    QCOMPARE(sha256(local), ferry::test::TestContent::sha256Hex(file == QLatin1String("early.bin") ? 11 : 12, FileSize));
    QVERIFY(!QFileInfo::exists(tempName));
    QCOMPARE(partFiles(m_downloads), QStringList());

    // nginx logs a request when it ends: the killed one, then the resumed one.
    const auto entriesFor = [&] {
        QList<NginxServer::LogEntry> mine;
        for (const NginxServer::LogEntry &e : m_nginx->accessLog())
            if (e.request == requestLine)
                mine << e;
        return mine;
    };
    QTRY_COMPARE_WITH_TIMEOUT(entriesFor().size(), 2, 20000);
    const QList<NginxServer::LogEntry> entries = entriesFor();
    QList<NginxServer::LogEntry> ranged;
    for (const NginxServer::LogEntry &e : entries)
        if (!e.range.isEmpty())
            ranged << e;
    QCOMPARE(ranged.size(), 1);
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("^bytes=(\\d+)-$")).match(ranged[0].range);
    QVERIFY2(m.hasMatch(), qPrintable(ranged[0].range));
    QCOMPARE(ranged[0].status, 206);
    const qint64 resumedAt = m.captured(1).toLongLong();
    QCOMPARE(ranged[0].bytesSent, FileSize - resumedAt);

    // Resumed from a checkpoint: after some progress, not past what was on disk, and less than
    // one checkpoint interval (in bytes) behind it.
    const QString facts = QStringLiteral("resumed at %1, %2 bytes on disk at the kill").arg(resumedAt).arg(sizeAtKill);
    QVERIFY2(resumedAt > 0, qPrintable(facts));
    QVERIFY2(resumedAt <= sizeAtKill, qPrintable(facts));
    QVERIFY2(sizeAtKill - resumedAt <= CheckpointBytes, qPrintable(facts));
    qInfo().noquote() << facts;
}

void TestCrash::corruptDatabaseIsMovedAside()
{
    const AdminResult created = runAdmin(m_profile, {QStringLiteral("create"), QStringLiteral("doomed")});
    ADMIN_OK(created);
    QString reason;
    QVERIFY2(shutdownEngine(m_profile, &reason), qPrintable(reason));
    QVERIFY(enginesFor(m_profile).isEmpty());

    const QString db = m_profile + QStringLiteral("/jobs.db");
    QVERIFY(QFileInfo::exists(db));
    const QByteArray garbage = ferry::test::TestContent::bytes(99, 0, 64 * 1024);
    {
        QFile f(db);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(garbage), qint64(garbage.size()));
    }

    // The new engine starts with an empty database instead of failing or wiping the old one.
    const AdminResult listed = runAdmin(m_profile, {QStringLiteral("list")});
    ADMIN_OK(listed);
    QCOMPARE(listed.out, QStringLiteral("Listed 0 job(s).\n"));
    const AdminResult json = runAdmin(m_profile, {QStringLiteral("list"), QStringLiteral("--json")});
    ADMIN_OK(json);
    bool ok = false;
    QCOMPARE(jsonArray(json.out, &ok).size(), 0);
    QVERIFY2(ok, qPrintable(json.out));

    QStringList aside;
    for (const QString &name : QDir(m_profile).entryList({QStringLiteral("jobs.db.unreadable-*")}, QDir::Files))
        if (!name.endsWith(QLatin1String("-wal")) && !name.endsWith(QLatin1String("-shm")))
            aside << name;
    QCOMPARE(aside.size(), 1);
    const QString asidePath = m_profile + QLatin1Char('/') + aside.first();
    QCOMPARE(readAll(asidePath), garbage);

    const QString log = QString::fromUtf8(readAll(m_profile + QStringLiteral("/engine.log")));
    QVERIFY2(log.contains(QLatin1String("moved aside")) && log.contains(aside.first()), qPrintable(log));

    // The fresh database works.
    const AdminResult again = runAdmin(m_profile, {QStringLiteral("create"), QStringLiteral("reborn")});
    ADMIN_OK(again);
    const AdminResult relisted = runAdmin(m_profile, {QStringLiteral("list")});
    ADMIN_OK(relisted);
    QVERIFY(relisted.out.contains(again.out.trimmed()));
    QVERIFY(relisted.out.contains(QLatin1String("Listed 1 job(s).")));
}

QTEST_GUILESS_MAIN(TestCrash)
#include "tst_crash.moc"
