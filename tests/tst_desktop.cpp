// The desktop program as a user starts it (offscreen): links on the command line are queued, a
// second `ferry URL...` hands its links to the running window instead of starting another
// engine, and a headless engine says it has no window to hand them to.
#include "AdminRunner.h"
#include "NginxServer.h"

#include "store/Profile.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace admintest;
using ferry::test::NginxServer;

class tst_Desktop : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void linksOnTheCommandLineAreQueued();
    void secondInstanceHandsItsLinksToTheFirst();
    void headlessEngineHasNoWindowToHandTo();

private:
    // Starts `ferry --profile P ARGS` with the window offscreen and waits until its engine answers.
    bool startDesktop(const QStringList &args);
    AdminResult runFerry(const QStringList &args);
    QJsonArray jobs();

    QTemporaryDir m_www;
    std::unique_ptr<NginxServer> m_nginx;
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_profile;
    QString m_home;
    QList<QProcess *> m_desktops;
};

void tst_Desktop::initTestCase()
{
    QVERIFY(becomeSubreaper());
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("one.bin")), 100000, 71));
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("two.bin")), 200000, 72));
    m_nginx = std::make_unique<NginxServer>(m_www.path());
    QString error;
    QVERIFY2(m_nginx->start(&error), qPrintable(error));
}

void tst_Desktop::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    m_profile = m_tmp->filePath(QStringLiteral("profile"));
    m_home = m_tmp->filePath(QStringLiteral("home"));
    QVERIFY(QDir().mkpath(m_home));
}

void tst_Desktop::cleanup()
{
    QString reason;
    const bool clean = shutdownEngine(m_profile, &reason);
    for (QProcess *p : std::as_const(m_desktops)) {
        if (!p->waitForFinished(10000))
            p->kill();
        p->waitForFinished(5000);
        delete p;
    }
    m_desktops.clear();
    m_tmp.reset();
    QVERIFY2(clean, qPrintable(reason));
}

static QProcessEnvironment desktopEnvironment(const QString &home)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("HOME"), home); // downloads go to HOME/Downloads
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/.config"));
    return env;
}

bool tst_Desktop::startDesktop(const QStringList &args)
{
    auto *p = new QProcess;
    m_desktops << p;
    p->setProcessEnvironment(desktopEnvironment(m_home));
    p->setProgram(engineProgram());
    p->setArguments(QStringList{QStringLiteral("--profile"), m_profile} + args);
    p->setStandardInputFile(QProcess::nullDevice());
    p->setProcessChannelMode(QProcess::ForwardedChannels);
    p->start();
    if (!p->waitForStarted(10000))
        return false;
    // Its engine answers once the socket is there (ferry-admin would start a headless one sooner).
    const QString socket = ferry::Profile(m_profile).socketPath();
    return QTest::qWaitFor([&] { return QFileInfo::exists(socket) || p->state() != QProcess::Running; }, 20000)
           && p->state() == QProcess::Running;
}

AdminResult tst_Desktop::runFerry(const QStringList &args)
{
    QProcess p;
    p.setProcessEnvironment(desktopEnvironment(m_home));
    p.setProgram(engineProgram());
    p.setArguments(QStringList{QStringLiteral("--profile"), m_profile} + args);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start();
    AdminResult r;
    if (!p.waitForFinished(20000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("[test: ferry did not finish]");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QJsonArray tst_Desktop::jobs()
{
    const AdminResult r = runAdmin(m_profile, {QStringLiteral("list"), QStringLiteral("--json")});
    return r.exitCode == 0 ? jsonArray(r.out) : QJsonArray();
}

static QStringList namesOf(const QJsonArray &jobs)
{
    QStringList names;
    for (const QJsonValue &v : jobs)
        names << v.toObject().value(QLatin1String("name")).toString();
    names.sort();
    return names;
}

void tst_Desktop::linksOnTheCommandLineAreQueued()
{
    QVERIFY(startDesktop({m_nginx->url(QStringLiteral("/one.bin")).toString()}));
    QTRY_COMPARE_WITH_TIMEOUT(namesOf(jobs()), QStringList{QStringLiteral("one.bin")}, 20000);
    // It downloads into the (created) Downloads folder of the user.
    QTRY_COMPARE_WITH_TIMEOUT(jobs().at(0).toObject().value(QLatin1String("state")).toString(),
                              QStringLiteral("TRANSFERRED"), 20000);
    const QString target = jobs().at(0).toObject().value(QLatin1String("files")).toArray().at(0).toObject()
                               .value(QLatin1String("localName")).toString();
    QCOMPARE(target, m_home + QStringLiteral("/Downloads/one.bin"));
}

void tst_Desktop::secondInstanceHandsItsLinksToTheFirst()
{
    QVERIFY(startDesktop({}));
    const qint64 firstPid = m_desktops.constFirst()->processId();
    const AdminResult second = runFerry({m_nginx->url(QStringLiteral("/two.bin")).toString()});
    QVERIFY2(second.exitCode == 0, qPrintable(describe(second)));
    QTRY_COMPARE_WITH_TIMEOUT(namesOf(jobs()), QStringList{QStringLiteral("two.bin")}, 20000);
    // The second `ferry` has exited; the only Ferry on the profile is the first window, whose
    // engine holds the profile: no headless engine was started for the links.
    QCOMPARE(enginesFor(m_profile), QList<qint64>{firstPid});
    QCOMPARE(lockPid(m_profile), firstPid);
}

void tst_Desktop::headlessEngineHasNoWindowToHandTo()
{
    ADMIN_OK(runAdmin(m_profile, {QStringLiteral("list")})); // starts `ferry --headless`
    const AdminResult r = runFerry({m_nginx->url(QStringLiteral("/one.bin")).toString()});
    QVERIFY2(r.exitCode == 1 && r.err.contains(QLatin1String("without a window")), qPrintable(describe(r)));
    QCOMPARE(jobs(), QJsonArray());
}

QTEST_GUILESS_MAIN(tst_Desktop)
#include "tst_desktop.moc"
