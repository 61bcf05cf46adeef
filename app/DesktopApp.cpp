#include "DesktopApp.h"

#include "AdminClient.h"
#include "AppIcon.h"
#include "ClipboardWatch.h"
#include "control/Engine.h"
#include "DesktopSettings.h"
#include "EngineClient.h"
#include "JobListModel.h"
#include "MainWindow.h"
#include "Translations.h"
#include "TrayIcon.h"
#include "UnixSignals.h"
#include "UrlDrop.h"

#include <QApplication>
#include <QMessageBox>
#include <QPointer>
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

    // Quit, shutdown and SIGTERM end the program now. QCoreApplication::quit() would first ask
    // every window to close, and the main window only hides into the tray when asked: the
    // program then ran on with no window and no tray's Quit answered on the first try. What
    // must be saved is saved after exec() returns (the engine stops its transfers at their last
    // checkpoint). docs/engine.md, "Ending".
    const auto endNow = [] { QCoreApplication::exit(0); };

    QThread engineThread;
    engineThread.setObjectName(QStringLiteral("ferry-engine"));
    auto *engine = new Engine(Profile(profileDir));
    engine->setWindowed(true);
    engine->moveToThread(&engineThread);
    engineThread.start();

    // What the window is made of; built once the engine has started. Until then the GUI thread
    // only runs its event loop: it never waits for the engine's lock, database or jobs.
    std::unique_ptr<DesktopSettings> settings;
    std::unique_ptr<EngineClient> client;
    std::unique_ptr<JobListModel> model;
    std::unique_ptr<MainWindow> window;
    std::unique_ptr<ClipboardWatch> clipboard;
    std::unique_ptr<TrayIcon> tray;

    const auto buildWindow = [&](const QString &recovery) {
        settings = std::make_unique<DesktopSettings>();
        // The window's one link to the engine: verbs, their refusals, the jobs this user may see.
        client = std::make_unique<EngineClient>(engine->service());
        model = std::make_unique<JobListModel>();
        model->follow(client->jobs());

        window = std::make_unique<MainWindow>(model.get(), client.get());
        MainWindow *w = window.get();
        w->setDesktopSettings(settings.get());
        w->setPeerCacheAvailable(true);
        clipboard = std::make_unique<ClipboardWatch>(settings.get());
        QObject::connect(clipboard.get(), &ClipboardWatch::linkOffered, w, &MainWindow::offerLink);
        QObject::connect(w, &MainWindow::quitRequested, &app, endNow);
        const auto queueLinks = [w](const QStringList &texts) {
            QList<QUrl> urls;
            for (const QString &text : texts)
                urls << urlsInText(text);
            w->queueUrls(urls);
        };
        QObject::connect(engine, &Engine::openRequested, w, [w, queueLinks](const QStringList &texts) {
            queueLinks(texts);
            w->showNormal();
            w->raise();
            w->activateWindow();
        });

        // The tray, where one exists: closing the window then keeps Ferry running there.
        if (TrayIcon::isAvailable()) {
            tray = std::make_unique<TrayIcon>(client.get(), w);
            QObject::connect(tray.get(), &TrayIcon::quitRequested, &app, endNow);
            tray->setDesktopSettings(settings.get());
            QObject::connect(clipboard.get(), &ClipboardWatch::linkOffered, tray.get(), &TrayIcon::offerLink);
            QObject::connect(tray.get(), &TrayIcon::linkAccepted, w, [w](const QUrl &url) { w->queueUrls({url}); });
            tray->show();
            w->setKeepRunningInTray(true);
            app.setQuitOnLastWindowClosed(false);
        }
        if (!((options.minimized || settings->startMinimized()) && tray))
            w->show();
        queueLinks(options.urls);
        if (!recovery.isEmpty())
            QMessageBox::warning(w, QObject::tr("Ferry"), recovery);

        // Only now may clients (ferry-admin, a second `ferry URL...`) reach the engine.
        QMetaObject::invokeMethod(engine, [engine, w = QPointer<MainWindow>(w)] {
            QString error;
            if (engine->listen(&error))
                return;
            QMetaObject::invokeMethod(qApp, [w, error] {
                if (w)
                    QMessageBox::warning(w, QObject::tr("Ferry"), QObject::tr("ferry-admin cannot reach this Ferry: %1").arg(error));
            });
        });
    };

    const auto startFailed = [&](const QString &error) {
        // Another Ferry took the profile a moment before us: give it the links once it listens.
        for (int attempt = 0; attempt < 50; ++attempt) {
            if (const int handedOver = handOverToRunningInstance(profileDir, options.urls); handedOver >= 0)
                return app.exit(handedOver);
            QThread::msleep(100);
        }
        QMessageBox::critical(nullptr, QObject::tr("Ferry"), QObject::tr("Ferry cannot start: %1").arg(error));
        app.exit(1);
    };

    // Start the engine (lock, database, load) on its thread; the answer comes back queued.
    QMetaObject::invokeMethod(engine, [engine, &app, buildWindow, startFailed] {
        QString error;
        const bool started = engine->start(&error, false);
        const QString recovery = engine->recoveryMessage();
        QMetaObject::invokeMethod(&app, [started, error, recovery, buildWindow, startFailed] {
            if (started)
                buildWindow(recovery);
            else
                startFailed(error);
        });
    });

    UnixSignals signals_;
    QObject::connect(&signals_, &UnixSignals::terminationRequested, &app, endNow);
    QObject::connect(engine, &Engine::shutdownRequested, &app, endNow, Qt::QueuedConnection);
    const int rc = app.exec();

    tray.reset();
    clipboard.reset();
    window.reset();
    model.reset();
    client.reset();
    settings.reset();
    QMetaObject::invokeMethod(engine, [engine] { delete engine; }, Qt::BlockingQueuedConnection);
    engineThread.quit();
    engineThread.wait();
    return rc;
}

} // namespace ferry
