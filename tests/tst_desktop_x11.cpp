// The window on a real X11 display (Xvfb) with a real tray host (trayer): the tray icon is
// shown, closing the window leaves the transfers running in the tray, the `ferry` program ends
// when told (shutdown, SIGTERM, the tray's Quit) with its window open and a transfer running,
// and screenshots of the main window and of the job-properties dialog are saved under the build
// tree ($FERRY_SCREENSHOT_DIR) for the README.
#include "AdminRunner.h"
#include "EngineClient.h"
#include "EngineFixture.h"
#include "FaultServer.h"
#include "TestContent.h"

#include "JobFilterProxy.h"
#include "JobListModel.h"
#include "JobPropertiesDialog.h"
#include "jobs/JobManager.h"
#include "MainWindow.h"
#include "Translations.h"
#include "TrayIcon.h"

#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QLabel>
#include <QSet>
#include <QTabWidget>
#include <QTableView>
#include <QTest>

#include <csignal>
#include <memory>

using namespace ferry;
using namespace ferry::test;

namespace {

// A picture with something on it: more than a handful of distinct colours.
bool hasContent(const QImage &image)
{
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 4)
        for (int x = 0; x < image.width(); x += 4)
            colours.insert(image.pixel(x, y));
    return colours.size() > 20;
}

// Runs an X11 tool (xdotool) on the test's display; its output, empty when it failed (*ok
// tells the two apart).
QString x11Tool(const QStringList &command, bool *ok = nullptr)
{
    QProcess p;
    p.start(command.first(), command.mid(1));
    const bool done = p.waitForFinished(20000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    if (ok)
        *ok = done;
    return done ? QString::fromLocal8Bit(p.readAllStandardOutput()).trimmed() : QString();
}

} // namespace

class tst_DesktopX11 : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void trayKeepsTransfersRunningWhenTheWindowCloses();
    void programEndsWhenTold_data();
    void programEndsWhenTold();
    void screenshots();

private:
    QString trickle(quint32 seed) const
    {
        return m_fault->url(QStringLiteral("/trickle?size=8388608&chunk=8192&interval=20&seed=%1").arg(seed)).toString();
    }

    // The `ferry` program on this display with PROFILE and a private home; running once its
    // control socket answers and its window and tray icon are shown.
    bool startProgram(QProcess *ferry, const QString &profile, const QString &home);
    QString trayIconOf(qint64 pid);   // the X11 window of the program's tray icon

    QString m_xdotool;
    std::unique_ptr<FaultServer> m_fault;
    std::unique_ptr<EngineFixture> m_f;
    std::unique_ptr<EngineClient> m_client;
    std::unique_ptr<JobListModel> m_model;
    std::unique_ptr<MainWindow> m_window;
};

void tst_DesktopX11::initTestCase()
{
    QCOMPARE(QGuiApplication::platformName(), QStringLiteral("xcb"));
    QVERIFY(installTranslations(qApp)); // as the program does: "2 hours", not "2 hour(s)"
    m_fault = std::make_unique<FaultServer>();
    m_xdotool = QStandardPaths::findExecutable(QStringLiteral("xdotool"));
        // trayer starts alongside the test: give it a moment to claim the tray selection.
    QTRY_VERIFY_WITH_TIMEOUT(TrayIcon::isAvailable(), 10000);
}

void tst_DesktopX11::init()
{
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
    m_client = std::make_unique<EngineClient>(m_f->service());
    m_model = std::make_unique<JobListModel>();
    m_model->follow(m_client->jobs());
    m_window = std::make_unique<MainWindow>(m_model.get(), m_client.get());
    m_window->setDownloadFolder(m_f->downloadDir());
}

void tst_DesktopX11::cleanup()
{
    m_window.reset();
    m_model.reset();
    m_client.reset();
    m_f.reset();
}

void tst_DesktopX11::trayKeepsTransfersRunningWhenTheWindowCloses()
{
    TrayIcon tray(m_client.get(), m_window.get());
    tray.show();
    QTRY_VERIFY_WITH_TIMEOUT(tray.isVisible(), 5000);
    m_window->setKeepRunningInTray(true);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));

    const QUuid id = m_f->addJob(QStringLiteral("in the tray"), {{QUrl(trickle(81)), QStringLiteral("tray.bin")}});
    QVERIFY(m_f->jobs()->resume(id).ok());
    QTRY_VERIFY_WITH_TIMEOUT(m_f->fileBytes(id) > 0, WaitMs);
    m_window->close();
    QVERIFY(!m_window->isVisible());
    const qint64 before = m_f->fileBytes(id);
    QTRY_VERIFY_WITH_TIMEOUT(m_f->fileBytes(id) > before, WaitMs);
    QCOMPARE(m_f->state(id), JobState::Transferring);
    tray.showHideAction()->trigger(); // back from the tray
    QVERIFY(m_window->isVisible());
    QVERIFY(m_f->jobs()->cancel(id).ok());
}

bool tst_DesktopX11::startProgram(QProcess *ferry, const QString &profile, const QString &home)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), home);
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/.config"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/.local/share"));
    ferry->setProcessEnvironment(env);
    ferry->setProgram(admintest::engineProgram());
    ferry->setArguments({QStringLiteral("--profile"), profile});
    ferry->setStandardInputFile(QProcess::nullDevice());
    ferry->setProcessChannelMode(QProcess::ForwardedChannels);
    ferry->start();
    if (!ferry->waitForStarted(10000))
        return false;
    return QTest::qWaitFor([&] {
        // Not ferry-admin until the socket is there: it would start a headless engine of its own.
        return ferry->state() != QProcess::Running
               || (QFileInfo::exists(profile + QStringLiteral("/control.sock")) && !trayIconOf(ferry->processId()).isEmpty()
                   && !x11Tool({m_xdotool, QStringLiteral("search"), QStringLiteral("--onlyvisible"), QStringLiteral("--pid"),
                                QString::number(ferry->processId()), QStringLiteral("--name"), QStringLiteral("^Ferry$")})
                           .isEmpty());
    }, 30000) && ferry->state() == QProcess::Running;
}

QString tst_DesktopX11::trayIconOf(qint64 pid)
{
    // The program's windows: the main window, Qt's helpers, and the 22x22 icon trayer embedded.
    const QStringList windows = x11Tool({m_xdotool, QStringLiteral("search"), QStringLiteral("--pid"), QString::number(pid)})
                                    .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString &window : windows) {
        const QString geometry = x11Tool({m_xdotool, QStringLiteral("getwindowgeometry"), window});
        if (geometry.contains(QLatin1String("Geometry: 22x22")))
            return window;
    }
    return {};
}

void tst_DesktopX11::programEndsWhenTold_data()
{
    QTest::addColumn<QString>("how");
    QTest::newRow("shutdown") << QStringLiteral("shutdown");
    QTest::newRow("SIGTERM") << QStringLiteral("SIGTERM");
    QTest::newRow("tray Quit") << QStringLiteral("tray");
}

// With the window open (and a tray, so closing the window would only hide it) and a transfer
// running, each way of ending the program ends the process; the next start resumes the transfer
// from its checkpoint and the file arrives whole.
void tst_DesktopX11::programEndsWhenTold()
{
    QFETCH(QString, how);
    QVERIFY2(!m_xdotool.isEmpty(), "xdotool (tests/run.sh installs it) clicks the tray icon's menu");
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString profile = tmp.filePath(QStringLiteral("profile"));
    const QString home = tmp.filePath(QStringLiteral("home"));
    const QString local = tmp.filePath(QStringLiteral("downloads/file.bin"));
    QVERIFY(QDir().mkpath(home) && QDir().mkpath(QFileInfo(local).absolutePath()));
    constexpr quint32 Seed = 91;
    constexpr qint64 Size = 4 << 20;   // ~10 s at 8 KiB every 20 ms
    const QString url = m_fault->url(QStringLiteral("/trickle?size=%1&chunk=8192&interval=20&seed=%2&how=%3")
                                         .arg(Size).arg(Seed).arg(how)).toString();

    QProcess ferry;
    QVERIFY2(startProgram(&ferry, profile, home), "the program did not show its window and tray icon");
    const AdminResult created = runAdmin(profile, {QStringLiteral("create"), QStringLiteral("ends when told")});
    QVERIFY2(created.exitCode == 0, qPrintable(admintest::describe(created)));
    const QString job = created.out.trimmed();
    ADMIN_OK(runAdmin(profile, {QStringLiteral("addfile"), job, url, local}));
    ADMIN_OK(runAdmin(profile, {QStringLiteral("setpriority"), job, QStringLiteral("FOREGROUND")}));
    ADMIN_OK(runAdmin(profile, {QStringLiteral("resume"), job}));
    // Running, and past a checkpoint (one a second).
    QTRY_VERIFY_WITH_TIMEOUT(runAdmin(profile, {QStringLiteral("getstate"), job}).out.trimmed() == QLatin1String("TRANSFERRING"), WaitMs);
    QTest::qWait(1500);

    const qint64 pid = ferry.processId();
    if (how == QLatin1String("shutdown")) {
        ADMIN_OK(runAdmin(profile, {QStringLiteral("shutdown")}));
    } else if (how == QLatin1String("SIGTERM")) {
        QCOMPARE(::kill(pid_t(pid), SIGTERM), 0);
    } else {
        // Right-click the icon in trayer, then the menu's last entry: "Quit Ferry".
        const QString icon = trayIconOf(pid);
        QVERIFY(!icon.isEmpty());
        bool clicked = false;
        x11Tool({m_xdotool, QStringLiteral("mousemove"), QStringLiteral("--window"), icon, QStringLiteral("11"), QStringLiteral("11"),
                 QStringLiteral("click"), QStringLiteral("3")},
                &clicked);
        QVERIFY(clicked);
        QTRY_VERIFY_WITH_TIMEOUT(x11Tool({m_xdotool, QStringLiteral("search"), QStringLiteral("--onlyvisible"), QStringLiteral("--pid"),
                                          QString::number(pid), QStringLiteral("--name"), QStringLiteral("^Ferry$")})
                                     .split(QLatin1Char('\n'), Qt::SkipEmptyParts).size() >= 2, WaitMs); // the menu is up
        x11Tool({m_xdotool, QStringLiteral("key"), QStringLiteral("Up"), QStringLiteral("Return")});
    }
    QVERIFY2(ferry.waitForFinished(30000), qPrintable(QStringLiteral("the program still runs after %1").arg(how)));
    QCOMPARE(ferry.exitStatus(), QProcess::NormalExit);
    QCOMPARE(ferry.exitCode(), 0);
    QVERIFY2(!QFileInfo::exists(local), "the job was not done when the program ended");
    const int requestsBefore = int(m_fault->requests().size());

    // The next start takes the transfer up where its checkpoint left it.
    QProcess again;
    QVERIFY2(startProgram(&again, profile, home), "the program did not start again");
    QTRY_COMPARE_WITH_TIMEOUT(runAdmin(profile, {QStringLiteral("getstate"), job}).out.trimmed(), QStringLiteral("TRANSFERRED"), 60000);
    ADMIN_OK(runAdmin(profile, {QStringLiteral("complete"), job}));
    QCOMPARE(admintest::sha256(local), TestContent::sha256Hex(Seed, Size));
    QList<FaultServer::Request> requests = m_fault->requests().mid(requestsBefore);
    requests.removeIf([&](const FaultServer::Request &r) { return !r.path.endsWith("how=" + how.toLatin1()); });
    QVERIFY(!requests.isEmpty());
    QVERIFY2(requests.first().rangeHeader.startsWith("bytes=") && !requests.first().rangeHeader.startsWith("bytes=0-"),
             qPrintable(QStringLiteral("the restart asked for '%1'").arg(QString::fromLatin1(requests.first().rangeHeader))));
    ADMIN_OK(runAdmin(profile, {QStringLiteral("shutdown")}));
    QVERIFY(again.waitForFinished(30000));
    QCOMPARE(again.exitCode(), 0);
}

void tst_DesktopX11::screenshots()
{
    const QString dir = qEnvironmentVariable("FERRY_SCREENSHOT_DIR", QDir::currentPath() + QStringLiteral("/screenshots"));
    QVERIFY(QDir().mkpath(dir));

    // A few jobs in telling states: two downloading, one suspended, one failed, one done.
    const QUuid iso = m_f->addJob(QStringLiteral("debian-12.8.0-amd64-netinst.iso"), {{QUrl(trickle(82)), QStringLiteral("debian.iso")}},
                                  JobPriority::Foreground);
    const QUuid video = m_f->addJob(QStringLiteral("conference-talk.webm"), {{QUrl(trickle(83)), QStringLiteral("talk.webm")}},
                                    JobPriority::Foreground);
    const QUuid waiting = m_f->addJob(QStringLiteral("photos-2026.tar"), {{QUrl(trickle(84)), QStringLiteral("photos.tar")}});
    const QUuid missing = m_f->addJob(QStringLiteral("old-release-notes.pdf"),
                                      {{m_fault->url(QStringLiteral("/status?code=404")), QStringLiteral("notes.pdf")}});
    const QUuid done = m_f->addJob(QStringLiteral("firmware-update.bin"),
                                   {{m_fault->url(QStringLiteral("/file?size=300000&seed=85")), QStringLiteral("fw.bin")}});
    QVERIFY(m_f->jobs()->setDescription(iso, QStringLiteral("Installer for the office laptops")).ok());
    QVERIFY(m_f->jobs()->setPeerCachingFlags(iso, peercaching::Client | peercaching::Server).ok());
    QVERIFY(m_f->jobs()->setMaximumDownloadTime(iso, 2 * 3600).ok());
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingEnabled"), QStringLiteral("1")).ok());
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("maxBackgroundJobs"), QStringLiteral("2")).ok());
    for (const QUuid &id : {iso, video, missing, done})
        QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(done, JobState::Transferred);
    WAIT_STATE(missing, JobState::Error);
    QTRY_VERIFY_WITH_TIMEOUT(m_f->fileBytes(iso) > 200000 && m_f->fileBytes(video) > 200000, WaitMs);

    m_window->resize(1100, 360);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->proxy()->rowCount(), 5, WaitMs);
    QTest::qWait(1200); // two coalescing rounds and a speed sample
    m_window->view()->selectRow(0);
    const QImage main = m_window->grab().toImage();
    QVERIFY(hasContent(main));
    QVERIFY(main.save(dir + QStringLiteral("/main-window.png")));

    m_window->openProperties(iso);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->findChild<JobPropertiesDialog *>() != nullptr, WaitMs);
    auto *dialog = m_window->findChild<JobPropertiesDialog *>();
    QVERIFY(QTest::qWaitForWindowExposed(dialog));
    if (auto *tabs = dialog->findChild<QTabWidget *>(QStringLiteral("tabs")))
        tabs->setCurrentIndex(2); // Transfer options: the peer-caching boxes and the time limit
    QTest::qWait(200);
    // English plural forms from the compiled-in translation.
    auto *used = dialog->findChild<QLabel *>(QStringLiteral("timeUsed"));
    QVERIFY(used);
    QVERIFY2(used->text().endsWith(QLatin1String("of 2 hours")), qPrintable(used->text()));
    const QImage props = dialog->grab().toImage();
    QVERIFY(hasContent(props));
    QVERIFY(props.save(dir + QStringLiteral("/properties-dialog.png")));
    qInfo().noquote() << "screenshots in" << dir;
    for (const QUuid &id : {iso, video, waiting})
        QVERIFY(m_f->jobs()->cancel(id).ok());
}

QTEST_MAIN(tst_DesktopX11)
#include "tst_desktop_x11.moc"
