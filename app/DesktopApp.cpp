#include "DesktopApp.h"

#include "Engine.h"
#include "JobListModel.h"
#include "JobManager.h"
#include "MainWindow.h"
#include "UnixSignals.h"

#include <QApplication>
#include <QMessageBox>
#include <QThread>

namespace ferry {

int runDesktop(int argc, char **argv, const QString &profileDir)
{
    QApplication app(argc, argv);
    app.setApplicationName(QStringLiteral("ferry"));
    app.setApplicationDisplayName(QObject::tr("Ferry"));

    QThread engineThread;
    engineThread.setObjectName(QStringLiteral("ferry-engine"));
    auto *engine = new Engine(Profile(profileDir));
    engine->moveToThread(&engineThread);
    engineThread.start();

    // Start the engine (lock, database, load) on its thread; the window waits for nothing.
    QString error;
    bool started = false;
    QMetaObject::invokeMethod(engine, [&] { started = engine->start(&error); }, Qt::BlockingQueuedConnection);
    if (!started) {
        QMessageBox::critical(nullptr, QObject::tr("Ferry"), QObject::tr("Ferry cannot start: %1").arg(error));
        QMetaObject::invokeMethod(engine, [engine] { delete engine; }, Qt::BlockingQueuedConnection);
        engineThread.quit();
        engineThread.wait();
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

    MainWindow window(&model, jobs);
    window.show();
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
