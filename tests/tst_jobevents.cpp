// End to end: the job events of the control socket's `subscribe` feed (docs/engine.md, "Job
// events") and `ferry-admin monitor`, against a real headless engine started by ferry-admin and
// real downloads from nginx. Each notify flag is seen in the stream of a subscribed client when
// the job's mask holds it, and not otherwise; DISABLE silences everything; undefined bits are
// E_NOTIMPL; modifications are coalesced, and the latest state always arrives.
//
// An event that should not come is checked with a sentinel: the engine writes a job's events in
// the order they happen, so once a later change of the job (a new description) has arrived,
// anything the job's earlier transition would have sent has arrived too.
#include "AdminRunner.h"
#include "NginxServer.h"
#include "store/Profile.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <algorithm>
#include <functional>
#include <memory>

using namespace admintest;
using ferry::test::NginxServer;

namespace {

constexpr int WaitMs = 60000; // a wait, never a measurement
const QStringList JobEventNames{QStringLiteral("transferred"), QStringLiteral("error"), QStringLiteral("modification"),
                                QStringLiteral("fileTransferred")};

QByteArray requestLine(const QString &verb, const QStringList &args = {})
{
    return QJsonDocument(QJsonObject{{QStringLiteral("verb"), verb},
                                     {QStringLiteral("args"), QJsonArray::fromStringList(args)},
                                     {QStringLiteral("json"), true}})
               .toJson(QJsonDocument::Compact)
           + '\n';
}

QString show(const QJsonObject &o) { return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)); }

QString eventOf(const QJsonObject &e) { return e.value(QLatin1String("event")).toString(); }
QJsonObject jobOf(const QJsonObject &e) { return e.value(QLatin1String("job")).toObject(); }
QString stateOf(const QJsonObject &e) { return jobOf(e).value(QLatin1String("state")).toString(); }

// The job an event is about: job events and "changed" carry the job, "removed" its id.
QString idOf(const QJsonObject &e)
{
    const QString id = e.value(QLatin1String("id")).toString();
    return id.isEmpty() ? jobOf(e).value(QLatin1String("id")).toString() : id;
}

// A client connection to the engine's control socket, as a program would hold it.
class Connection
{
public:
    explicit Connection(const QString &profile)
    {
        m_socket.connectToServer(ferry::Profile(profile).socketPath());
        m_socket.waitForConnected(WaitMs);
    }

    bool isConnected() const { return m_socket.state() == QLocalSocket::ConnectedState; }

    bool send(const QByteArray &line)
    {
        m_socket.write(line);
        return m_socket.waitForBytesWritten(WaitMs) || m_socket.bytesToWrite() == 0;
    }

    // The next JSON line; empty when none came in time or the engine closed the connection.
    QJsonObject next()
    {
        QDeadlineTimer deadline(WaitMs);
        while (!m_socket.canReadLine()) {
            if (deadline.hasExpired() || !m_socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime()))))
                return {};
        }
        return QJsonDocument::fromJson(m_socket.readLine()).object();
    }

    QJsonObject call(const QString &verb, const QStringList &args = {})
    {
        return send(requestLine(verb, args)) ? next() : QJsonObject();
    }

    // Makes this connection the job feed; true once every job was listed (all later events are seen).
    bool subscribe()
    {
        if (!send(requestLine(QStringLiteral("subscribe"))))
            return false;
        for (QJsonObject e = next(); !e.isEmpty(); e = next())
            if (eventOf(e) == QLatin1String("jobs"))
                return true;
        return false;
    }

    // The events about job ID up to and including the first that satisfies done; false when the
    // stream ended (or stalled) first.
    bool collect(const QString &id, const std::function<bool(const QJsonObject &)> &done, QList<QJsonObject> *events)
    {
        for (QJsonObject e = next(); !e.isEmpty(); e = next()) {
            if (idOf(e) != id)
                continue;
            *events << e;
            if (done(e))
                return true;
        }
        return false;
    }

private:
    QLocalSocket m_socket;
};

QStringList namesOf(const QList<QJsonObject> &events, bool jobEventsOnly = true)
{
    QStringList names;
    for (const QJsonObject &e : events)
        if (!jobEventsOnly || JobEventNames.contains(eventOf(e)))
            names << eventOf(e);
    return names;
}

// A ferry-admin left running (monitor), its standard output gathered as it comes.
struct RunningAdmin
{
    QProcess *process = nullptr;
    QString out;

    bool printed(const QString &text)
    {
        out += QString::fromUtf8(process->readAllStandardOutput());
        return out.contains(text);
    }
};

} // namespace

class TestJobEvents : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void transferredAndErrorAreToldByDefault();
    void everyChosenFlagIsTold();
    void errorIsToldOnlyWithItsFlag();
    void disableSilencesEverything();
    void undefinedBitsAreNotImplemented();
    void modificationsAreCoalescedAndTheLastArrives();
    void monitorPrintsTheEventsOfARealDownload();

private:
    // A job downloading FILES (names under the nginx root) into the downloads folder.
    QString createJob(const QString &name, const QStringList &files);
    bool admin(const QStringList &args);
    // Sets a new description through another connection and waits for its "changed" event on
    // feed: whatever the job's earlier transitions sent is in events by then.
    bool sentinel(Connection &feed, const QString &id, QList<QJsonObject> *events);

    QTemporaryDir m_www;
    std::unique_ptr<NginxServer> m_nginx;
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_profile;
    QString m_downloads;
    QStringList m_profiles;
};

void TestJobEvents::initTestCase()
{
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(QFileInfo(engineProgram()).isExecutable(), "FERRY_ENGINE must name the ferry binary");
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");
    QVERIFY(m_www.isValid());
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("a.bin")), 256 * 1024, 1));
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("b.bin")), 64 * 1024, 2));
    m_nginx = std::make_unique<NginxServer>(m_www.path());
    QString error;
    QVERIFY2(m_nginx->start(&error), qPrintable(error));
}

void TestJobEvents::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    m_profile = m_tmp->filePath(QStringLiteral("profile"));
    m_downloads = m_tmp->filePath(QStringLiteral("downloads"));
    QVERIFY(QDir().mkpath(m_downloads));
    m_profiles = {m_profile};
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("list")})); // the engine runs from here on
}

void TestJobEvents::cleanup()
{
    const QStringList problems = shutdownEngines(&m_profiles);
    m_tmp.reset();
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

QString TestJobEvents::createJob(const QString &name, const QStringList &files)
{
    const AdminResult r = runAdmin(m_profile, {QStringLiteral("create"), name});
    const QString id = r.out.trimmed();
    if (r.exitCode != 0 || QUuid::fromString(id).isNull()) {
        qWarning().noquote() << "create failed:" << describe(r);
        return {};
    }
    for (const QString &file : files) {
        const AdminResult added = runAdmin(m_profile, {QStringLiteral("addfile"), id, m_nginx->url(QLatin1Char('/') + file).toString(),
                                                       QDir(m_downloads).filePath(name + QLatin1Char('-') + file)});
        if (added.exitCode != 0) {
            qWarning().noquote() << "addfile failed:" << describe(added);
            return {};
        }
    }
    return id;
}

bool TestJobEvents::admin(const QStringList &args)
{
    const AdminResult r = runAdmin(m_profile, args);
    if (r.exitCode != 0)
        qWarning().noquote() << args.join(QLatin1Char(' ')) << "failed:" << describe(r);
    return r.exitCode == 0;
}

bool TestJobEvents::sentinel(Connection &feed, const QString &id, QList<QJsonObject> *events)
{
    const QString mark = QUuid::createUuid().toString();
    if (!admin({QStringLiteral("setdescription"), id, mark}))
        return false;
    return feed.collect(id, [&mark](const QJsonObject &e) {
        return eventOf(e) == QLatin1String("changed") && jobOf(e).value(QLatin1String("description")).toString() == mark;
    }, events);
}

// The default mask is JOB_TRANSFERRED|JOB_ERROR: a finished job says "transferred", a failed one
// "error", and neither says anything else.
void TestJobEvents::transferredAndErrorAreToldByDefault()
{
    const QString good = createJob(QStringLiteral("good"), {QStringLiteral("a.bin")});
    const QString bad = createJob(QStringLiteral("bad"), {QStringLiteral("missing.bin")});
    QVERIFY(!good.isEmpty() && !bad.isEmpty());
    const AdminResult flags = runAdmin(m_profile, {QStringLiteral("getnotifyflags"), good});
    QCOMPARE(flags.out.trimmed(), QStringLiteral("0x3 JOB_TRANSFERRED|JOB_ERROR"));
    const QJsonObject info = jsonObject(runAdmin(m_profile, {QStringLiteral("info"), good, QStringLiteral("--json")}).out);
    QCOMPARE(info.value(QLatin1String("notifyFlags")).toInt(), 3);

    Connection feed(m_profile);
    QVERIFY(feed.subscribe());
    QVERIFY(admin({QStringLiteral("resume"), good}));
    QList<QJsonObject> goodEvents;
    QVERIFY(feed.collect(good, [](const QJsonObject &e) { return eventOf(e) == QLatin1String("transferred"); }, &goodEvents));
    QCOMPARE(namesOf(goodEvents), QStringList{QStringLiteral("transferred")});
    QCOMPARE(stateOf(goodEvents.last()), QStringLiteral("TRANSFERRED"));
    QCOMPARE(goodEvents.last().value(QLatin1String("id")).toString(), good);

    QVERIFY(admin({QStringLiteral("resume"), bad}));
    QList<QJsonObject> badEvents;
    QVERIFY(feed.collect(bad, [](const QJsonObject &e) { return eventOf(e) == QLatin1String("error"); }, &badEvents));
    QCOMPARE(namesOf(badEvents), QStringList{QStringLiteral("error")});
    QCOMPARE(stateOf(badEvents.last()), QStringLiteral("ERROR"));
    QVERIFY2(jobOf(badEvents.last()).value(QLatin1String("error")).isObject(), qPrintable(show(badEvents.last())));
}

// JOB_TRANSFERRED|JOB_MODIFICATION|FILE_TRANSFERRED on a job of two files: each file's event with
// its index, in order, then "transferred"; and a modification (coalesced or not) that carries the
// final state.
void TestJobEvents::everyChosenFlagIsTold()
{
    const QString id = createJob(QStringLiteral("two files"), {QStringLiteral("a.bin"), QStringLiteral("b.bin")});
    QVERIFY(!id.isEmpty());
    QVERIFY(admin({QStringLiteral("setnotifyflags"), id, QStringLiteral("0x19")}));
    Connection feed(m_profile);
    QVERIFY(feed.subscribe());
    QVERIFY(admin({QStringLiteral("resume"), id}));
    QList<QJsonObject> events;
    QVERIFY(feed.collect(id, [](const QJsonObject &e) { return eventOf(e) == QLatin1String("transferred"); }, &events));
    QList<int> files;
    for (const QJsonObject &e : std::as_const(events)) {
        if (eventOf(e) == QLatin1String("fileTransferred")) {
            files << e.value(QLatin1String("file")).toInt(-1);
            QVERIFY2(jobOf(e).value(QLatin1String("files")).toArray().at(files.last()).toObject().value(QLatin1String("transferred")).toBool(),
                     qPrintable(show(e)));
        }
        QVERIFY2(eventOf(e) != QLatin1String("error"), qPrintable(show(e)));
    }
    QCOMPARE(files, (QList<int>{0, 1}));
    QCOMPARE(stateOf(events.last()), QStringLiteral("TRANSFERRED"));
    // The last state always comes as a modification too, perhaps after the interval (the
    // whole download may fit in one, its changes then told once, after "transferred").
    QList<QJsonObject> later;
    const auto finalModification = [](const QJsonObject &e) {
        return eventOf(e) == QLatin1String("modification") && stateOf(e) == QLatin1String("TRANSFERRED");
    };
    if (std::none_of(events.cbegin(), events.cend(), finalModification))
        QVERIFY(feed.collect(id, finalModification, &later));
}

// JOB_ERROR is what tells a failure: a job without it fails silently, one with it is heard.
void TestJobEvents::errorIsToldOnlyWithItsFlag()
{
    const QString silent = createJob(QStringLiteral("silent"), {QStringLiteral("missing.bin")});
    const QString told = createJob(QStringLiteral("told"), {QStringLiteral("missing.bin")});
    QVERIFY(!silent.isEmpty() && !told.isEmpty());
    QVERIFY(admin({QStringLiteral("setnotifyflags"), silent, QStringLiteral("1")}));
    QVERIFY(admin({QStringLiteral("setnotifyflags"), told, QStringLiteral("2")}));
    Connection feed(m_profile);
    QVERIFY(feed.subscribe());

    QVERIFY(admin({QStringLiteral("resume"), silent}));
    QList<QJsonObject> silentEvents;
    QVERIFY(feed.collect(silent, [](const QJsonObject &e) { return stateOf(e) == QLatin1String("ERROR"); }, &silentEvents));
    QVERIFY(sentinel(feed, silent, &silentEvents));
    QCOMPARE(namesOf(silentEvents), QStringList());

    QVERIFY(admin({QStringLiteral("resume"), told}));
    QList<QJsonObject> toldEvents;
    QVERIFY(feed.collect(told, [](const QJsonObject &e) { return eventOf(e) == QLatin1String("error"); }, &toldEvents));
    QCOMPARE(namesOf(toldEvents), QStringList{QStringLiteral("error")});
}

// DISABLE overrides every other bit: a job with all of them set transfers without a word (its
// "changed" feed goes on, as for the window).
void TestJobEvents::disableSilencesEverything()
{
    const QString id = createJob(QStringLiteral("quiet"), {QStringLiteral("a.bin"), QStringLiteral("b.bin")});
    QVERIFY(!id.isEmpty());
    Connection feed(m_profile);
    QVERIFY(feed.subscribe());
    QVERIFY(admin({QStringLiteral("setnotifyflags"), id, QStringLiteral("0x3F")}));
    QVERIFY(admin({QStringLiteral("resume"), id}));
    QList<QJsonObject> events;
    QVERIFY(feed.collect(id, [](const QJsonObject &e) { return stateOf(e) == QLatin1String("TRANSFERRED"); }, &events));
    QVERIFY(sentinel(feed, id, &events));
    QCOMPARE(namesOf(events), QStringList());
    QVERIFY(namesOf(events, false).contains(QStringLiteral("changed")));

    // Without DISABLE the same mask speaks again.
    QVERIFY(admin({QStringLiteral("setnotifyflags"), id, QStringLiteral("0x3B")}));
    events.clear();
    QVERIFY(feed.collect(id, [](const QJsonObject &e) { return eventOf(e) == QLatin1String("modification"); }, &events));
    QCOMPARE(jobOf(events.last()).value(QLatin1String("notifyFlags")).toInt(), 0x3B);
}

// Bits outside the six flags: E_NOTIMPL, and the mask stays as it was.
void TestJobEvents::undefinedBitsAreNotImplemented()
{
    const QString id = createJob(QStringLiteral("flags"), {});
    QVERIFY(!id.isEmpty());
    for (const QString &bad : {QStringLiteral("0x40"), QStringLiteral("0x13F"), QStringLiteral("0x80000000")}) {
        const AdminResult r = runAdmin(m_profile, {QStringLiteral("setnotifyflags"), id, bad});
        QVERIFY2(r.exitCode != 0 && r.err.contains(QLatin1String("NOTIMPL")) && r.err.contains(QLatin1String("0x80004001")),
                 qPrintable(describe(r)));
    }
    QCOMPARE(runAdmin(m_profile, {QStringLiteral("getnotifyflags"), id}).out.trimmed(), QStringLiteral("0x3 JOB_TRANSFERRED|JOB_ERROR"));
    QVERIFY(admin({QStringLiteral("setnotifyflags"), id, QStringLiteral("0x1c")}));
    const AdminResult json = runAdmin(m_profile, {QStringLiteral("getnotifyflags"), id, QStringLiteral("--json")});
    QCOMPARE(json.out.trimmed(), QStringLiteral("28"));
    QVERIFY2(runAdmin(m_profile, {QStringLiteral("info"), id}).out.contains(QLatin1String("notify flags: 0x1c DISABLE|JOB_MODIFICATION|FILE_TRANSFERRED")),
             "info shows the mask");
}

// 200 changes in a burst: far fewer modification events than changes (at most one per 500 ms),
// and the last one carries the last change.
void TestJobEvents::modificationsAreCoalescedAndTheLastArrives()
{
    const QString id = createJob(QStringLiteral("busy"), {});
    QVERIFY(!id.isEmpty());
    QVERIFY(admin({QStringLiteral("setnotifyflags"), id, QStringLiteral("8")}));
    Connection feed(m_profile);
    QVERIFY(feed.subscribe());
    Connection writer(m_profile);
    constexpr int Changes = 200;
    for (int i = 0; i < Changes; ++i) {
        const QJsonObject r = writer.call(QStringLiteral("setdescription"), {id, QStringLiteral("change %1").arg(i)});
        QVERIFY2(r.value(QLatin1String("ok")).toBool(), qPrintable(show(r)));
    }
    const QString last = QStringLiteral("change %1").arg(Changes - 1);
    QList<QJsonObject> events;
    QVERIFY(feed.collect(id, [&last](const QJsonObject &e) {
        return eventOf(e) == QLatin1String("modification") && jobOf(e).value(QLatin1String("description")).toString() == last;
    }, &events));
    QCOMPARE(namesOf(events, false).count(QStringLiteral("changed")), Changes);
    const qsizetype modifications = namesOf(events).count(QStringLiteral("modification"));
    QVERIFY2(modifications >= 1 && modifications <= Changes / 2, qPrintable(QString::number(modifications)));
}

// `ferry-admin monitor JOB` and `monitor --all` print the events of a real download as they
// come; the first ends when its job is gone, the second when the engine goes away.
void TestJobEvents::monitorPrintsTheEventsOfARealDownload()
{
    const QString id = createJob(QStringLiteral("watched"), {QStringLiteral("a.bin")});
    QVERIFY(!id.isEmpty());
    RunningAdmin one{startAdmin(m_profile, {QStringLiteral("monitor"), id}, this), {}};
    RunningAdmin all{startAdmin(m_profile, {QStringLiteral("monitor"), QStringLiteral("--all")}, this), {}};
    QTRY_VERIFY_WITH_TIMEOUT(one.printed(QStringLiteral("monitoring ") + id), WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(all.printed(QStringLiteral("monitoring all your jobs")), WaitMs);

    QVERIFY(admin({QStringLiteral("resume"), id}));
    const QString line = QStringLiteral(" transferred %1 'watched' TRANSFERRED 262144 / 262144 bytes, 1 / 1 files").arg(id);
    QTRY_VERIFY_WITH_TIMEOUT(one.printed(line), WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(all.printed(line), WaitMs);

    QVERIFY(admin({QStringLiteral("complete"), id}));
    const AdminResult ended = finishAdmin(one.process, WaitMs);
    QVERIFY2(ended.exitCode == 0 && (one.out + ended.out).contains(QStringLiteral(" removed ") + id), qPrintable(describe(ended)));

    QString reason;
    QVERIFY2(shutdownEngine(m_profile, &reason), qPrintable(reason));
    const AdminResult gone = finishAdmin(all.process, WaitMs);
    QVERIFY2(gone.exitCode == 1 && gone.err.contains(QLatin1String("went away")), qPrintable(describe(gone)));
}

QTEST_GUILESS_MAIN(TestJobEvents)
#include "tst_jobevents.moc"
