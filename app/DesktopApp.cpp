#include "DesktopApp.h"

#include "AdminClient.h"
#include "AppIcon.h"
#include "ClipboardWatch.h"
#include "DesktopSettings.h"
#include "Engine.h"
#include "JobListModel.h"
#include "JobManager.h"
#include "MainWindow.h"
#include "Translations.h"
#include "TrayIcon.h"
#include "UnixSignals.h"
#include "UrlDrop.h"

#include <QApplication>
#include <QMessageBox>
#include <QThread>

#include <cstdio>
#include <memory>

namespace ferry {
namespace {

// Another Ferry already runs this profile: give it our links (or just bring it up) and leave.
// Returns -1 when none answers, else the exit code.
int handOverToRunningInstance(const QString &profileDir, const QStringList &urls)
{
    AdminClient client{Profile(profileDir)};
    if (!client.connectToRunningEngine())
        return -1;
    const AdminReply r = client.request(QStringLiteral("open"), urls);
    if (r.ok)
        return 0;
    std::fprintf(stderr, "ferry: %s\n", qPrintable(r.message));
    return 1;
}

} // namespace

int runDesktop(int argc, char **argv, const DesktopOptions &options)
{
    QApplication app(argc, argv);
    app.setApplicationName(QStringLiteral("ferry"));
    app.setApplicationDisplayName(QObject::tr("Ferry"));
    app.setWindowIcon(appIcon());
    installTranslations(&app);
    const QString profileDir = options.profileDir;
    if (const int handedOver = handOverToRunningInstance(profileDir, options.urls); handedOver >= 0)
        return handedOver;

    QThread engineThread;
    engineThread.setObjectName(QStringLiteral("ferry-engine"));
    auto *engine = new Engine(Profile(profileDir));
    engine->setWindowed(true);
    engine->moveToThread(&engineThread);
    engineThread.start();

    // Start the engine (lock, database, load) on its thread; the window waits for nothing.
    QString error;
    bool started = false;
    QMetaObject::invokeMethod(engine, [&] { started = engine->start(&error, false); }, Qt::BlockingQueuedConnection);
    if (!started) {
        QMetaObject::invokeMethod(engine, [engine] { delete engine; }, Qt::BlockingQueuedConnection);
        engineThread.quit();
        engineThread.wait();
        // Another Ferry took the profile a moment before us: give it the links once it listens.
        for (int attempt = 0; attempt < 50; ++attempt) {
            if (const int handedOver = handOverToRunningInstance(profileDir, options.urls); handedOver >= 0)
                return handedOver;
            QThread::msleep(100);
        }
        QMessageBox::critical(nullptr, QObject::tr("Ferry"), QObject::tr("Ferry cannot start: %1").arg(error));
        return 1;
    }

    JobListModel model;
    model.setViewer(Owner::ofThisProcess());
    JobManager *jobs = engine->jobs();
    QObject::connect(jobs, &JobManager::jobChanged, &model, &JobListModel::upsertJob);
    QObject::connect(jobs, &JobManager::jobRemoved, &model, &JobListModel::removeJob);
    QMetaObject::invokeMethod(jobs, [jobs, &model] {
        const QList<Job> all = jobs->jobs();
        QMetaObject::invokeMethod(&model, [&model, all] { model.resetJobs(all); });
    });

    DesktopSettings settings;
    MainWindow window(&model, jobs);
    window.setDesktopSettings(&settings);
    ClipboardWatch clipboard(&settings);
    QObject::connect(&clipboard, &ClipboardWatch::linkOffered, &window, &MainWindow::offerLink);
    QObject::connect(&window, &MainWindow::quitRequested, &app, &QCoreApplication::quit);
    const auto queueLinks = [&window](const QStringList &texts) {
        QList<QUrl> urls;
        for (const QString &text : texts)
            urls << urlsInText(text);
        window.queueUrls(urls);
    };
    QObject::connect(engine, &Engine::openRequested, &window, [&window, queueLinks](const QStringList &texts) {
        queueLinks(texts);
        window.showNormal();
        window.raise();
        window.activateWindow();
    });

    // The tray, where one exists: closing the window then keeps Ferry running there.
    std::unique_ptr<TrayIcon> tray;
    if (TrayIcon::isAvailable()) {
        tray = std::make_unique<TrayIcon>(jobs, &window);
        QObject::connect(jobs, &JobManager::jobChanged, tray.get(), &TrayIcon::onJobChanged);
        QObject::connect(jobs, &JobManager::jobRemoved, tray.get(), &TrayIcon::onJobRemoved);
        QObject::connect(tray.get(), &TrayIcon::quitRequested, &app, &QCoreApplication::quit);
        tray->setDesktopSettings(&settings);
        QObject::connect(&clipboard, &ClipboardWatch::linkOffered, tray.get(), &TrayIcon::offerLink);
        QObject::connect(tray.get(), &TrayIcon::linkAccepted, &window, [&window](const QUrl &url) { window.queueUrls({url}); });
        tray->show();
        window.setKeepRunningInTray(true);
        app.setQuitOnLastWindowClosed(false);
    }
    // Only now may clients (ferry-admin, a second `ferry URL...`) reach the engine.
    bool listening = false;
    QMetaObject::invokeMethod(engine, [&] { listening = engine->listen(&error); }, Qt::BlockingQueuedConnection);
    if (!listening)
        QMessageBox::warning(&window, QObject::tr("Ferry"),
                             QObject::tr("ferry-admin cannot reach this Ferry: %1").arg(error));
    if (!((options.minimized || settings.startMinimized()) && tray))
        window.show();
    queueLinks(options.urls);
    if (!engine->recoveryMessage().isEmpty())
        QMessageBox::warning(&window, QObject::tr("Ferry"), engine->recoveryMessage());

    UnixSignals signals_;
    QObject::connect(&signals_, &UnixSignals::terminationRequested, &app, &QCoreApplication::quit);
    QObject::connect(engine, &Engine::shutdownRequested, &app, &QCoreApplication::quit, Qt::QueuedConnection);
    const int rc = app.exec();

    QMetaObject::invokeMethod(engine, [engine] { delete engine; }, Qt::BlockingQueuedConnection);
    engineThread.quit();
    engineThread.wait();
    return rc;
}

} // namespace ferry
