// End to end through the real ferry-admin binary, which auto-starts `ferry --headless` for the
// profile: job creation, info and setters, verb parsing, input validation, whole transfers
// against a real nginx, cancel, and two clients racing to start the engine.
#include "AdminRunner.h"
#include "NginxServer.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <memory>
#include <csignal>
#include <pwd.h>
#include <unistd.h>

using namespace admintest;
using ferry::test::NginxServer;

namespace {

constexpr qint64 MiB = 1024 * 1024;

QString uuidLineRe() { return QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$"); }

// What the engine should conclude about a job's owner when this test process (through its child
// ferry-admin, which inherits all of it) creates the job: worked out from our own facts.
struct OwnerFacts
{
    bool elevated = false;
    QString integrity;
    QString why;
};

OwnerFacts expectedOwner()
{
    const SelfFacts self = selfFacts();
    OwnerFacts f;
    f.elevated = self.euid == 0 || self.adminCaps;
    if (self.sandboxed)
        f.integrity = QStringLiteral("LOW");
    else if (f.elevated)
        f.integrity = self.euid == 0 && !self.inSession ? QStringLiteral("SYSTEM") : QStringLiteral("HIGH");
    else
        f.integrity = QStringLiteral("MEDIUM");
    f.why = self.why;
    return f;
}

QJsonObject findByName(const QJsonArray &jobs, const QString &name)
{
    for (const QJsonValue &v : jobs)
        if (v.toObject().value(QLatin1String("name")).toString() == name)
            return v.toObject();
    return {};
}

QStringList idsOf(const QJsonArray &jobs)
{
    QStringList ids;
    for (const QJsonValue &v : jobs)
        ids << v.toObject().value(QLatin1String("id")).toString();
    return ids;
}

} // namespace

class TestAdmin : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void createPrintsIdAndStartsEngine();
    void infoJsonByIdAndByName();
    void settersRoundTripAndSurviveRestart();
    void verbsWithLeadingSlash();
    void unknownVerb_data();
    void unknownVerb();
    void stateVerbsReportBitsErrors();
    void addFileRejectsBadInput_data();
    void addFileRejectsBadInput();
    void transferTwoFilesFromNginx();
    void transferOf404FailsAndKeepsJobInError();
    void cancelRemovesTemporaryFiles();
    void maximumDownloadTimeEndsTheJobWithinASecond();
    void downloadTimeSurvivesAKilledEngine();
    void racingClientsStartOneEngine();
    void noEngineRunsAfterShutdownFollowingARace();

private:
    QString createJob(const QString &name);     // the id; empty (with a warning) on failure
    QJsonObject info(const QString &job);       // `info JOB --json`; empty on failure
    QJsonArray listJson(const QString &profile);
    QString url(const QString &path) const { return m_nginx->url(path).toString(); }

    QTemporaryDir m_www;
    std::unique_ptr<NginxServer> m_nginx;
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_profile;
    QString m_downloads;
    QStringList m_profiles;                     // every profile this test used, shut down in cleanup
};

void TestAdmin::initTestCase()
{
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(QFileInfo(engineProgram()).isExecutable(), "FERRY_ENGINE must name the ferry binary");
    // ferry-admin starts ferry next to itself: make sure that is the engine we were given.
    QCOMPARE(QFileInfo(adminProgram()).absolutePath(), QFileInfo(engineProgram()).absolutePath());
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");

    QVERIFY(m_www.isValid());
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("a.bin")), 3 * MiB, 1));
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("b.bin")), 1 * MiB, 2));
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("big.bin")), 8 * MiB, 3));
    m_nginx = std::make_unique<NginxServer>(m_www.path());
    m_nginx->setSlowRate("256k"); // /slow/big.bin takes ~30 s: a job stays mid-transfer
    QString error;
    QVERIFY2(m_nginx->start(&error), qPrintable(error));
}

void TestAdmin::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    // A profile folder that does not exist yet: ferry-admin creates it.
    m_profile = m_tmp->filePath(QStringLiteral("profile"));
    m_downloads = m_tmp->filePath(QStringLiteral("downloads"));
    QVERIFY(QDir().mkpath(m_downloads));
    m_profiles = {m_profile};
}

void TestAdmin::cleanup()
{
    const QStringList problems = shutdownEngines(&m_profiles);
    m_tmp.reset();
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

QString TestAdmin::createJob(const QString &name)
{
    const AdminResult r = runAdmin(m_profile, {QStringLiteral("create"), name});
    if (r.exitCode != 0 || QUuid::fromString(r.out.trimmed()).isNull()) {
        qWarning().noquote() << "create" << name << "failed:" << describe(r);
        return {};
    }
    return r.out.trimmed();
}

QJsonObject TestAdmin::info(const QString &job)
{
    const AdminResult r = runAdmin(m_profile, {QStringLiteral("info"), job, QStringLiteral("--json")});
    bool ok = false;
    const QJsonObject o = jsonObject(r.out, &ok);
    if (r.exitCode != 0 || !ok) {
        qWarning().noquote() << "info" << job << "failed:" << describe(r);
        return {};
    }
    return o;
}

QJsonArray TestAdmin::listJson(const QString &profile)
{
    const AdminResult r = runAdmin(profile, {QStringLiteral("list"), QStringLiteral("--json")});
    bool ok = false;
    const QJsonArray a = jsonArray(r.out, &ok);
    if (r.exitCode != 0 || !ok)
        qWarning().noquote() << "list --json failed:" << describe(r);
    return a;
}

void TestAdmin::createPrintsIdAndStartsEngine()
{
    QVERIFY(!QFileInfo::exists(m_profile));
    QVERIFY(enginesFor(m_profile).isEmpty());

    const AdminResult created = runAdmin(m_profile, {QStringLiteral("create"), QStringLiteral("first job")});
    ADMIN_OK(created);
    // Exactly the id, on one line, and nothing else.
    QVERIFY2(QRegularExpression(uuidLineRe()).match(created.out).hasMatch(), qPrintable(describe(created)));
    QCOMPARE(created.err, QString());
    const QString id = created.out.trimmed();

    // The call started an engine for the profile, which holds the profile's lock.
    const QList<qint64> engines = enginesFor(m_profile);
    QCOMPARE(engines.size(), 1);
    QCOMPARE(lockPid(m_profile), engines.first());

    // A second call finds that engine (no new one) and the job in it.
    const AdminResult listed = runAdmin(m_profile, {QStringLiteral("list")});
    ADMIN_OK(listed);
    const QStringList out = lines(listed.out);
    QCOMPARE(out.size(), 2);
    QVERIFY2(out[0].startsWith(id) && out[0].contains(QLatin1String("'first job'"))
                 && out[0].contains(QLatin1String("SUSPENDED")),
             qPrintable(listed.out));
    QCOMPARE(out[1], QStringLiteral("Listed 1 job(s)."));
    QCOMPARE(enginesFor(m_profile), engines);

    bool ok = false;
    const AdminResult json = runAdmin(m_profile, {QStringLiteral("list"), QStringLiteral("--json")});
    ADMIN_OK(json);
    const QJsonArray jobs = jsonArray(json.out, &ok);
    QVERIFY2(ok, qPrintable(json.out));
    QCOMPARE(jobs.size(), 1);
    QCOMPARE(jobs[0].toObject().value(QLatin1String("id")).toString(), id);
    QCOMPARE(jobs[0].toObject().value(QLatin1String("name")).toString(), QStringLiteral("first job"));
    QCOMPARE(jobs[0].toObject().value(QLatin1String("state")).toString(), QStringLiteral("SUSPENDED"));
}

void TestAdmin::infoJsonByIdAndByName()
{
    const QDateTime before = QDateTime::currentDateTimeUtc();
    const QString id = createJob(QStringLiteral("info job"));
    QVERIFY(!id.isEmpty());
    const QDateTime after = QDateTime::currentDateTimeUtc();

    const QJsonObject byId = info(id);
    QVERIFY(!byId.isEmpty());
    const QJsonObject byName = info(QStringLiteral("info job"));
    QCOMPARE(byName, byId);

    QCOMPARE(byId.value(QLatin1String("id")).toString(), id);
    QCOMPARE(byId.value(QLatin1String("name")).toString(), QStringLiteral("info job"));
    QCOMPARE(byId.value(QLatin1String("state")).toString(), QStringLiteral("SUSPENDED"));
    QCOMPARE(byId.value(QLatin1String("priority")).toString(), QStringLiteral("NORMAL"));
    for (const char *key : {"bytesTotal", "bytesTransferred", "filesTotal", "filesTransferred", "errorCount"}) {
        QVERIFY2(byId.value(QLatin1String(key)).isDouble(), key);
        QVERIFY2(byId.value(QLatin1String(key)).toDouble() == 0, key);
    }
    QVERIFY(byId.contains(QLatin1String("error")));
    QVERIFY(byId.value(QLatin1String("error")).isNull());
    QVERIFY(byId.value(QLatin1String("peerCachingFlags")).isDouble());
    QCOMPARE(byId.value(QLatin1String("peerCachingFlags")).toDouble(), 0.0);
    QCOMPARE(byId.value(QLatin1String("maxDownloadTime")).toDouble(), 7776000.0);

    // The owner, as the engine read it from the kernel for our ferry-admin child.
    const OwnerFacts expected = expectedOwner();
    const passwd *pw = ::getpwuid(::getuid());
    QVERIFY(pw);
    QCOMPARE(byId.value(QLatin1String("owner")).toString(), QString::fromLocal8Bit(pw->pw_name));
    QVERIFY(byId.value(QLatin1String("ownerElevated")).isBool());
    QVERIFY2(byId.value(QLatin1String("ownerElevated")).toBool() == expected.elevated, qPrintable(expected.why));
    QVERIFY2(byId.value(QLatin1String("ownerIntegrityLevel")).toString() == expected.integrity,
             qPrintable(QStringLiteral("got %1, expected %2 for %3")
                            .arg(byId.value(QLatin1String("ownerIntegrityLevel")).toString(), expected.integrity,
                                 expected.why)));
    const QStringList levels{QStringLiteral("UNTRUSTED"), QStringLiteral("LOW"), QStringLiteral("MEDIUM"),
                             QStringLiteral("HIGH"), QStringLiteral("SYSTEM")};
    QVERIFY(levels.contains(byId.value(QLatin1String("ownerIntegrityLevel")).toString()));

    const AdminResult elevation = runAdmin(m_profile, {QStringLiteral("getownerelevationstate"), id});
    ADMIN_OK(elevation);
    QCOMPARE(elevation.out, expected.elevated ? QStringLiteral("true\n") : QStringLiteral("false\n"));
    const AdminResult integrity = runAdmin(m_profile, {QStringLiteral("getownerintegritylevel"), id});
    ADMIN_OK(integrity);
    QCOMPARE(integrity.out, expected.integrity + QLatin1Char('\n'));

    // Times: UTC ISO strings; creation when we created it (generous bounds against clock
    // granularity), nothing transferred yet.
    const QJsonObject times = byId.value(QLatin1String("times")).toObject();
    const QDateTime creation = QDateTime::fromString(times.value(QLatin1String("creation")).toString(), Qt::ISODateWithMs);
    const QDateTime modification =
        QDateTime::fromString(times.value(QLatin1String("modification")).toString(), Qt::ISODateWithMs);
    QVERIFY2(creation.isValid(), qPrintable(times.value(QLatin1String("creation")).toString()));
    QVERIFY2(modification.isValid(), qPrintable(times.value(QLatin1String("modification")).toString()));
    QVERIFY2(creation >= before.addSecs(-5) && creation <= after.addSecs(5),
             qPrintable(creation.toString(Qt::ISODateWithMs)));
    QVERIFY(creation <= modification);
    QVERIFY(times.contains(QLatin1String("transferCompletion")));
    QVERIFY(times.value(QLatin1String("transferCompletion")).isNull());
    QVERIFY(byId.value(QLatin1String("files")).isArray());
    QCOMPARE(byId.value(QLatin1String("files")).toArray().size(), 0);

    // With a file: its entry, still nothing on disk.
    const QString remote = url(QStringLiteral("/a.bin"));
    const QString local = m_downloads + QStringLiteral("/a.bin");
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("addfile"), QStringLiteral("info job"), remote, local}));
    const QJsonObject withFile = info(id);
    QCOMPARE(withFile.value(QLatin1String("state")).toString(), QStringLiteral("SUSPENDED"));
    QCOMPARE(withFile.value(QLatin1String("filesTotal")).toDouble(), 1.0);
    QCOMPARE(withFile.value(QLatin1String("filesTransferred")).toDouble(), 0.0);
    const QJsonArray files = withFile.value(QLatin1String("files")).toArray();
    QCOMPARE(files.size(), 1);
    const QJsonObject file = files[0].toObject();
    QCOMPARE(file.value(QLatin1String("remoteUrl")).toString(), remote);
    QCOMPARE(file.value(QLatin1String("localName")).toString(), local);
    const QString tempName = file.value(QLatin1String("tempName")).toString();
    QCOMPARE(QFileInfo(tempName).absolutePath(), m_downloads);
    QVERIFY2(QFileInfo(tempName).fileName().startsWith(QLatin1String(".a.bin."))
                 && tempName.endsWith(QLatin1String(".part")),
             qPrintable(tempName));
    QVERIFY(file.value(QLatin1String("bytesTotal")).isDouble());
    QCOMPARE(file.value(QLatin1String("bytesTransferred")).toDouble(), 0.0);
    QCOMPARE(file.value(QLatin1String("completed")), QJsonValue(false));
    QCOMPARE(file.value(QLatin1String("downloadedFromPeer")), QJsonValue(false));
    QVERIFY(!QFileInfo::exists(local));
    QVERIFY(!QFileInfo::exists(tempName));
}

void TestAdmin::settersRoundTripAndSurviveRestart()
{
    const QString id = createJob(QStringLiteral("settings"));
    QVERIFY(!id.isEmpty());
    const auto get = [&](const char *verb) {
        const AdminResult r = runAdmin(m_profile, {QLatin1String(verb), id});
        return r.exitCode == 0 ? r.out : describe(r);
    };
    const auto set = [&](const char *verb, const QString &value) {
        return runAdmin(m_profile, {QLatin1String(verb), id, value});
    };

    ADMIN_OK(set("setpeercachingflags", QStringLiteral("3")));
    QCOMPARE(get("getpeercachingflags"), QStringLiteral("3\n"));
    ADMIN_OK(set("setpeercachingflags", QStringLiteral("0")));
    QCOMPARE(get("getpeercachingflags"), QStringLiteral("0\n"));
    ADMIN_OK(set("setpeercachingflags", QStringLiteral("3")));

    // 8 is no defined flag: refused with one line naming the error, flags unchanged.
    const QJsonObject beforeBad = info(id);
    const AdminResult bad = set("setpeercachingflags", QStringLiteral("8"));
    ADMIN_FAILS_ONE_LINE(bad);
    QVERIFY2(bad.err.contains(QLatin1String("NOTIMPL")) && bad.err.contains(QLatin1String("0x80004001")),
             qPrintable(bad.err));
    QCOMPARE(bad.out, QString());
    QCOMPARE(get("getpeercachingflags"), QStringLiteral("3\n"));
    QCOMPARE(info(id), beforeBad);

    ADMIN_OK(set("setmaxdownloadtime", QStringLiteral("0")));
    QCOMPARE(get("getmaxdownloadtime"), QStringLiteral("0\n"));
    ADMIN_OK(set("setmaxdownloadtime", QStringLiteral("3600")));
    QCOMPARE(get("getmaxdownloadtime"), QStringLiteral("3600\n"));

    ADMIN_OK(set("setnoprogresstimeout", QStringLiteral("120")));
    QCOMPARE(get("getnoprogresstimeout"), QStringLiteral("120\n"));

    ADMIN_OK(set("setminretrydelay", QStringLiteral("2")));
    QCOMPARE(get("getminretrydelay"), QStringLiteral("5\n")); // raised to the BITS floor

    ADMIN_OK(set("setpriority", QStringLiteral("HIGH")));
    QCOMPARE(get("getpriority"), QStringLiteral("HIGH\n"));

    const QJsonObject set1 = info(id);
    QCOMPARE(set1.value(QLatin1String("peerCachingFlags")).toDouble(), 3.0);
    QCOMPARE(set1.value(QLatin1String("maxDownloadTime")).toDouble(), 3600.0);
    QCOMPARE(set1.value(QLatin1String("noProgressTimeout")).toDouble(), 120.0);
    QCOMPARE(set1.value(QLatin1String("minRetryDelay")).toDouble(), 5.0);
    QCOMPARE(set1.value(QLatin1String("priority")).toString(), QStringLiteral("HIGH"));

    // Restart: shut the engine down, wait until it is gone; the next call starts a new one.
    const QList<qint64> first = enginesFor(m_profile);
    QCOMPARE(first.size(), 1);
    const AdminResult down = runAdmin(m_profile, {QStringLiteral("shutdown")});
    ADMIN_OK(down);
    QTRY_VERIFY_WITH_TIMEOUT(!isAlive(first.first()), 20000);
    QVERIFY(enginesFor(m_profile).isEmpty());

    QCOMPARE(get("getpeercachingflags"), QStringLiteral("3\n"));
    const QList<qint64> second = enginesFor(m_profile);
    QCOMPARE(second.size(), 1);
    QVERIFY(second.first() != first.first());
    QCOMPARE(get("getmaxdownloadtime"), QStringLiteral("3600\n"));
    QCOMPARE(get("getnoprogresstimeout"), QStringLiteral("120\n"));
    QCOMPARE(get("getminretrydelay"), QStringLiteral("5\n"));
    QCOMPARE(get("getpriority"), QStringLiteral("HIGH\n"));
    QCOMPARE(info(id), set1); // every property, the times included
}

void TestAdmin::verbsWithLeadingSlash()
{
    const QString id = createJob(QStringLiteral("slash"));
    QVERIFY(!id.isEmpty());

    for (const QString &verb : {QStringLiteral("getstate"), QStringLiteral("/getstate"), QStringLiteral("/GetState")}) {
        const AdminResult r = runAdmin(m_profile, {verb, id});
        ADMIN_OK(r);
        QCOMPARE(r.out, QStringLiteral("SUSPENDED\n"));
        QCOMPARE(r.err, QString());
    }
    const AdminResult byName = runAdmin(m_profile, {QStringLiteral("/getstate"), QStringLiteral("slash")});
    ADMIN_OK(byName);
    QCOMPARE(byName.out, QStringLiteral("SUSPENDED\n"));

    const AdminResult created = runAdmin(m_profile, {QStringLiteral("/create"), QStringLiteral("slash two")});
    ADMIN_OK(created);
    QVERIFY2(QRegularExpression(uuidLineRe()).match(created.out).hasMatch(), qPrintable(describe(created)));
    const AdminResult listed = runAdmin(m_profile, {QStringLiteral("/list")});
    ADMIN_OK(listed);
    QVERIFY(listed.out.contains(created.out.trimmed()));
    QVERIFY(listed.out.contains(QLatin1String("Listed 2 job(s).")));
}

void TestAdmin::unknownVerb_data()
{
    QTest::addColumn<bool>("withJob");
    QTest::newRow("followed by a job") << true;
    QTest::newRow("alone") << false;
}

void TestAdmin::unknownVerb()
{
    QFETCH(bool, withJob);
    const QString id = createJob(QStringLiteral("victim"));
    QVERIFY(!id.isEmpty());
    const QJsonObject before = info(id);

    QStringList args{QStringLiteral("frobnicate")};
    if (withJob)
        args << id;
    const AdminResult r = runAdmin(m_profile, args);
    ADMIN_FAILS_ONE_LINE(r);
    QCOMPARE(r.out, QString());
    // A clear message: the verb is unknown (not a usage line inviting a JOB argument).
    QVERIFY2(r.err.contains(QLatin1String("unknown verb")) && r.err.contains(QLatin1String("frobnicate")),
             qPrintable(r.err));
    QCOMPARE(info(id), before);
}

void TestAdmin::stateVerbsReportBitsErrors()
{
    const QString id = createJob(QStringLiteral("empty"));
    QVERIFY(!id.isEmpty());

    const AdminResult state = runAdmin(m_profile, {QStringLiteral("getstate"), id});
    ADMIN_OK(state);
    QCOMPARE(state.out, QStringLiteral("SUSPENDED\n"));

    // Resume of a job without files: BG_E_EMPTY, and the job stays SUSPENDED.
    const AdminResult resumed = runAdmin(m_profile, {QStringLiteral("resume"), id});
    ADMIN_FAILS_ONE_LINE(resumed);
    QVERIFY2(resumed.err.contains(QLatin1String("EMPTY")) && resumed.err.contains(QLatin1String("0x80200003")),
             qPrintable(resumed.err));
    QCOMPARE(runAdmin(m_profile, {QStringLiteral("getstate"), id}).out, QStringLiteral("SUSPENDED\n"));

    // No error to report on a job that is not in error.
    const AdminResult error = runAdmin(m_profile, {QStringLiteral("geterror"), id});
    ADMIN_FAILS_ONE_LINE(error);
    QVERIFY2(error.err.contains(QLatin1String("ERROR_INFORMATION_UNAVAILABLE"))
                 && error.err.contains(QLatin1String("0x8020000f"), Qt::CaseInsensitive),
             qPrintable(error.err));
    QCOMPARE(error.out, QString());

    // A job nobody created.
    const AdminResult missing = runAdmin(m_profile, {QStringLiteral("getstate"), QStringLiteral("no such job")});
    ADMIN_FAILS_ONE_LINE(missing);
    QVERIFY2(missing.err.contains(QLatin1String("NOT_FOUND")), qPrintable(missing.err));
}

void TestAdmin::addFileRejectsBadInput_data()
{
    // @DL@ is the test's download folder.
    QTest::addColumn<QString>("remote");
    QTest::addColumn<QString>("local");
    QTest::addColumn<QString>("errorName");
    QTest::addColumn<QString>("message");

    const QString remote = QStringLiteral("http://127.0.0.1:1/f");
    QTest::newRow("unsupported scheme") << QStringLiteral("ftp://x/y") << QStringLiteral("@DL@/ftp.bin")
                                        << QStringLiteral("INVALIDARG") << QStringLiteral("scheme 'ftp' is not supported");
    QTest::newRow("not a URL") << QStringLiteral("not-a-url") << QStringLiteral("@DL@/nourl.bin")
                               << QStringLiteral("INVALIDARG") << QStringLiteral("no scheme");
    QTest::newRow("relative local path") << remote << QStringLiteral("rel/path") << QStringLiteral("INVALIDARG")
                                         << QStringLiteral("not an absolute path");
    QTest::newRow("folder does not exist") << remote << QStringLiteral("@DL@/missing/file.bin")
                                           << QStringLiteral("INVALIDARG") << QStringLiteral("does not exist");
    // Root ignores permission bits, so a chmod 0555 folder would be writable for this test.
    // /proc/sys refuses writes even to root: sysctl's permission check applies its mode bits
    // to uid 0 too (access(2) says EACCES), which is what a read-only folder looks like.
    QTest::newRow("read-only folder") << remote << QStringLiteral("/proc/sys/ferry-test.bin")
                                      << QStringLiteral("ACCESSDENIED") << QStringLiteral("not writable");
    QTest::newRow("existing file") << remote << QStringLiteral("@DL@/exists.bin") << QStringLiteral("FILE_EXISTS")
                                   << QStringLiteral("never overwrites");
}

void TestAdmin::addFileRejectsBadInput()
{
    QFETCH(QString, remote);
    QFETCH(QString, local);
    QFETCH(QString, errorName);
    QFETCH(QString, message);
    local.replace(QLatin1String("@DL@"), m_downloads);

    const QString existing = m_downloads + QStringLiteral("/exists.bin");
    QVERIFY(writeRandomFile(existing, 100000, 42));
    const QByteArray existingSha = sha256(existing);
    if (local.startsWith(QLatin1String("/proc/sys/")))
        QVERIFY2(::access("/proc/sys", W_OK) != 0, "/proc/sys is writable here: not a read-only folder");

    const QString id = createJob(QStringLiteral("careful"));
    QVERIFY(!id.isEmpty());
    const QString good = m_downloads + QStringLiteral("/good.bin");
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("addfile"), id, QStringLiteral("http://127.0.0.1:1/good"), good}));
    const QJsonObject before = info(id);
    QCOMPARE(before.value(QLatin1String("files")).toArray().size(), 1);

    const AdminResult r = runAdmin(m_profile, {QStringLiteral("addfile"), id, remote, local});
    ADMIN_FAILS_ONE_LINE(r);
    QVERIFY2(r.err.contains(errorName) && r.err.contains(message), qPrintable(r.err));
    QCOMPARE(r.out, QString());

    // Nothing lost, nothing changed: the job, its good file, the existing file's bytes.
    QCOMPARE(info(id), before);
    QCOMPARE(sha256(existing), existingSha);
    QCOMPARE(QFileInfo(existing).size(), qint64(100000));
    if (local != existing)
        QVERIFY(!QFileInfo::exists(local));
    QCOMPARE(partFiles(m_downloads), QStringList());
}

void TestAdmin::transferTwoFilesFromNginx()
{
    const QString localA = m_downloads + QStringLiteral("/a.bin");
    const QString localB = m_downloads + QStringLiteral("/b.bin");
    const AdminResult r = runAdmin(m_profile, {QStringLiteral("transfer"), QStringLiteral("pair"),
                                               url(QStringLiteral("/a.bin")), localA, url(QStringLiteral("/b.bin")),
                                               localB});
    ADMIN_OK(r);
    QVERIFY2(r.out.contains(QLatin1String("TRANSFERRED and completed")), qPrintable(describe(r)));

    QCOMPARE(sha256(localA), sha256(m_www.filePath(QStringLiteral("a.bin"))));
    QCOMPARE(sha256(localB), sha256(m_www.filePath(QStringLiteral("b.bin"))));
    QCOMPARE(QFileInfo(localA).size(), 3 * MiB);
    QCOMPARE(QFileInfo(localB).size(), 1 * MiB);
    QCOMPARE(partFiles(m_downloads), QStringList());
    QCOMPARE(QDir(m_downloads).entryList(QDir::Files | QDir::Hidden),
             QStringList({QStringLiteral("a.bin"), QStringLiteral("b.bin")}));

    // Completed jobs are ACKNOWLEDGED, and those leave the list.
    const QJsonArray jobs = listJson(m_profile);
    QVERIFY2(findByName(jobs, QStringLiteral("pair")).isEmpty(), "the completed job is still listed");
    QCOMPARE(jobs.size(), 0);
}

void TestAdmin::transferOf404FailsAndKeepsJobInError()
{
    const QString local = m_downloads + QStringLiteral("/missing.bin");
    const AdminResult r = runAdmin(m_profile, {QStringLiteral("transfer"), QStringLiteral("missing"),
                                               url(QStringLiteral("/no-such-file.bin")), local});
    QVERIFY2(r.exitCode > 0, qPrintable(describe(r)));
    QVERIFY2(r.err.contains(QLatin1String("HTTP_404")) && r.err.contains(QLatin1String("0x80190194")),
             qPrintable(describe(r)));
    QVERIFY(!QFileInfo::exists(local));

    const QJsonObject job = findByName(listJson(m_profile), QStringLiteral("missing"));
    QVERIFY2(!job.isEmpty(), "the failed job is gone from the list");
    QCOMPARE(job.value(QLatin1String("state")).toString(), QStringLiteral("ERROR"));
    QCOMPARE(job.value(QLatin1String("error")).toObject().value(QLatin1String("name")).toString(),
             QStringLiteral("HTTP_404"));

    const AdminResult state = runAdmin(m_profile, {QStringLiteral("getstate"), QStringLiteral("missing")});
    ADMIN_OK(state);
    QCOMPARE(state.out, QStringLiteral("ERROR\n"));
    const AdminResult error = runAdmin(m_profile, {QStringLiteral("geterror"), QStringLiteral("missing")});
    ADMIN_OK(error);
    QVERIFY2(error.out.contains(QLatin1String("HTTP_404")) && error.out.contains(QLatin1String("0x80190194")),
             qPrintable(error.out));
}

void TestAdmin::cancelRemovesTemporaryFiles()
{
    const QString id = createJob(QStringLiteral("slow"));
    QVERIFY(!id.isEmpty());
    const QString local = m_downloads + QStringLiteral("/big.bin");
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("addfile"), id, url(QStringLiteral("/slow/big.bin")), local}));
    const QString tempName =
        info(id).value(QLatin1String("files")).toArray().at(0).toObject().value(QLatin1String("tempName")).toString();
    QVERIFY(!tempName.isEmpty());
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("resume"), id}));

    // Bytes are arriving (the whole file would take ~30 s at the /slow/ rate).
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(tempName).size() > 0, 30000);
    QVERIFY(QFileInfo(tempName).size() < 8 * MiB);

    const AdminResult cancelled = runAdmin(m_profile, {QStringLiteral("cancel"), id});
    ADMIN_OK(cancelled);
    QVERIFY2(!QFileInfo::exists(tempName), "cancel left the temporary file behind");
    QVERIFY(!QFileInfo::exists(local));
    QCOMPARE(QDir(m_downloads).entryList(QDir::Files | QDir::Hidden), QStringList());
    QVERIFY(!idsOf(listJson(m_profile)).contains(id));
    const AdminResult gone = runAdmin(m_profile, {QStringLiteral("getstate"), id});
    QVERIFY2(gone.exitCode > 0 && gone.err.contains(QLatin1String("NOT_FOUND")), qPrintable(describe(gone)));
}

void TestAdmin::maximumDownloadTimeEndsTheJobWithinASecond()
{
    // Real time, real engine: a 2 s limit on a ~30 s download. `wait` is told of the ERROR by
    // notification; the engine's own CONNECTING/TRANSFERRING clock says when it struck.
    const QString id = createJob(QStringLiteral("limited"));
    QVERIFY(!id.isEmpty());
    const QString local = m_downloads + QStringLiteral("/limited.bin");
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("addfile"), id, url(QStringLiteral("/slow/big.bin")), local}));
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("setmaxdownloadtime"), id, QStringLiteral("2")}));
    const int requestsBefore = int(m_nginx->accessLog().size());
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("resume"), id}));

    const AdminResult waited = runAdmin(m_profile, {QStringLiteral("wait"), id});
    QVERIFY2(waited.exitCode > 0 && waited.out.contains(QLatin1String("ERROR")), qPrintable(describe(waited)));
    const QJsonObject job = info(id);
    QCOMPARE(job.value(QLatin1String("state")).toString(), QStringLiteral("ERROR"));
    const QJsonObject error = job.value(QLatin1String("error")).toObject();
    QCOMPARE(error.value(QLatin1String("name")).toString(), QStringLiteral("MAXDOWNLOAD_TIMEOUT"));
    QCOMPARE(error.value(QLatin1String("code")).toString(), QStringLiteral("0x80200054"));
    QCOMPARE(job.value(QLatin1String("maxDownloadTime")).toDouble(), 2.0);
    const double used = job.value(QLatin1String("downloadTimeUsed")).toDouble();
    QVERIFY2(used >= 2.0 && used < 3.0, qPrintable(QStringLiteral("time used: %1 s").arg(used)));

    // The transfer stopped at once: nginx logs a request when its connection ends, long before
    // the ~30 s the whole file takes.
    QTRY_VERIFY_WITH_TIMEOUT(m_nginx->accessLog().size() > requestsBefore, 10000);
    QVERIFY(m_nginx->accessLog().constLast().bytesSent < 8 * MiB);
    QVERIFY(!QFileInfo::exists(local));
}

void TestAdmin::downloadTimeSurvivesAKilledEngine()
{
    const QString id = createJob(QStringLiteral("clock across a crash"));
    QVERIFY(!id.isEmpty());
    const QString local = m_downloads + QStringLiteral("/crash.bin");
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("addfile"), id, url(QStringLiteral("/slow/big.bin")), local}));
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("resume"), id}));
    QTRY_VERIFY_WITH_TIMEOUT(info(id).value(QLatin1String("downloadTimeUsed")).toDouble() >= 2.5, 30000);

    const qint64 pid = lockPid(m_profile);
    QVERIFY(pid > 0);
    QCOMPARE(::kill(pid_t(pid), SIGKILL), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!isAlive(pid), 10000);

    // The engine saves the clock every second: at most that much is lost, and Resume was not
    // called, so the restarted engine continues from there.
    const double used = info(id).value(QLatin1String("downloadTimeUsed")).toDouble(); // auto-starts the engine
    QVERIFY2(used >= 1.5, qPrintable(QStringLiteral("time used after the restart: %1 s").arg(used)));
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("cancel"), id}));
}

void TestAdmin::racingClientsStartOneEngine()
{
    // A few rounds, each on a fresh profile, to give the race a chance to go either way.
    for (int round = 0; round < 3; ++round) {
        const QString profile = m_tmp->filePath(QStringLiteral("race-%1").arg(round));
        m_profiles << profile;
        QObject owner;
        QProcess *a = startAdmin(profile, {QStringLiteral("create"), QStringLiteral("racer a")}, &owner);
        QProcess *b = startAdmin(profile, {QStringLiteral("create"), QStringLiteral("racer b")}, &owner);
        const AdminResult ra = finishAdmin(a);
        const AdminResult rb = finishAdmin(b);
        ADMIN_OK(ra);
        ADMIN_OK(rb);
        QVERIFY2(QRegularExpression(uuidLineRe()).match(ra.out).hasMatch(), qPrintable(describe(ra)));
        QVERIFY2(QRegularExpression(uuidLineRe()).match(rb.out).hasMatch(), qPrintable(describe(rb)));

        // One engine serves the profile (a second one, if started, gave up on the lock) ...
        QTRY_COMPARE_WITH_TIMEOUT(enginesFor(profile).size(), 1, 20000);
        QCOMPARE(lockPid(profile), enginesFor(profile).first());
        // ... and it has both jobs.
        const QStringList ids = idsOf(listJson(profile));
        QCOMPARE(ids.size(), 2);
        QVERIFY(ids.contains(ra.out.trimmed()));
        QVERIFY(ids.contains(rb.out.trimmed()));
    }
}

// Two clients race to start the engine, then the profile is shut down at once. The engine that
// lost the race must not come up afterwards and keep running with nobody having asked for it.
void TestAdmin::noEngineRunsAfterShutdownFollowingARace()
{
    for (int round = 0; round < 5; ++round) {
        const QString profile = m_tmp->filePath(QStringLiteral("race-shutdown-%1").arg(round));
        m_profiles << profile;
        QObject owner;
        QProcess *a = startAdmin(profile, {QStringLiteral("create"), QStringLiteral("racer a")}, &owner);
        QProcess *b = startAdmin(profile, {QStringLiteral("create"), QStringLiteral("racer b")}, &owner);
        ADMIN_OK(finishAdmin(a));
        ADMIN_OK(finishAdmin(b));
        // Every engine the two calls started (startDetached returns once the program runs).
        const QList<qint64> started = enginesFor(profile);
        QVERIFY(!started.isEmpty());
        ADMIN_OK(runAdmin(profile, {QStringLiteral("shutdown")}));

        // The shut-down engine replies before it exits: give it time, but none may stay.
        QTRY_VERIFY_WITH_TIMEOUT(enginesFor(profile).isEmpty(), 20000);
        const QList<qint64> left = enginesFor(profile);
        QVERIFY2(left.isEmpty(),
                 qPrintable(QStringLiteral("round %1: an engine (pid %2) runs after `shutdown`; engine.log:\n%3")
                                .arg(round)
                                .arg(left.value(0))
                                .arg(QString::fromUtf8(readAll(profile + QStringLiteral("/engine.log"))))));
    }
}

QTEST_GUILESS_MAIN(TestAdmin)
#include "tst_admin.moc"
