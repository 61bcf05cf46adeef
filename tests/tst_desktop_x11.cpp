// The window on a real X11 display (Xvfb) with a real tray host (trayer): the tray icon is
// shown, closing the window leaves the transfers running in the tray, and screenshots of the
// main window and of the job-properties dialog are saved under the build tree
// ($FERRY_SCREENSHOT_DIR) for the README.
#include "EngineFixture.h"
#include "FaultServer.h"

#include "JobFilterProxy.h"
#include "JobListModel.h"
#include "JobManager.h"
#include "JobPropertiesDialog.h"
#include "MainWindow.h"
#include "Translations.h"
#include "TrayIcon.h"

#include <QDir>
#include <QImage>
#include <QLabel>
#include <QSet>
#include <QTabWidget>
#include <QTableView>
#include <QTest>

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

} // namespace

class tst_DesktopX11 : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void trayKeepsTransfersRunningWhenTheWindowCloses();
    void screenshots();

private:
    QString trickle(quint32 seed) const
    {
        return m_fault->url(QStringLiteral("/trickle?size=8388608&chunk=8192&interval=20&seed=%1").arg(seed)).toString();
    }

    std::unique_ptr<FaultServer> m_fault;
    std::unique_ptr<EngineFixture> m_f;
    std::unique_ptr<JobListModel> m_model;
    std::unique_ptr<MainWindow> m_window;
};

void tst_DesktopX11::initTestCase()
{
    QCOMPARE(QGuiApplication::platformName(), QStringLiteral("xcb"));
    QVERIFY(installTranslations(qApp)); // as the program does: "2 hours", not "2 hour(s)"
    m_fault = std::make_unique<FaultServer>();
    // trayer starts alongside the test: give it a moment to claim the tray selection.
    QTRY_VERIFY_WITH_TIMEOUT(TrayIcon::isAvailable(), 10000);
}

void tst_DesktopX11::init()
{
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
    m_model = std::make_unique<JobListModel>();
    m_model->setViewer(Owner::ofThisProcess());
    connect(m_f->jobs(), &JobManager::jobChanged, m_model.get(), &JobListModel::upsertJob);
    connect(m_f->jobs(), &JobManager::jobRemoved, m_model.get(), &JobListModel::removeJob);
    m_window = std::make_unique<MainWindow>(m_model.get(), m_f->jobs());
    m_window->setDownloadFolder(m_f->downloadDir());
}

void tst_DesktopX11::cleanup()
{
    m_window.reset();
    m_model.reset();
    m_f.reset();
}

void tst_DesktopX11::trayKeepsTransfersRunningWhenTheWindowCloses()
{
    TrayIcon tray(m_f->jobs(), m_window.get());
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
