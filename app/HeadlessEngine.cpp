#include "HeadlessEngine.h"

#include "control/Engine.h"
#include "UnixSignals.h"

#include <QCoreApplication>
#include <cstdio>

namespace ferry {

int runHeadless(int argc, char **argv, const QString &profileDir)
{
    QCoreApplication app(argc, argv);
    app.setApplicationName(QStringLiteral("ferry"));
    Engine engine{Profile(profileDir)};
    QString error;
    if (!engine.start(&error)) {
        std::fprintf(stderr, "ferry: %s\n", qPrintable(error));
        return 1;
    }
    if (!engine.recoveryMessage().isEmpty())
        std::fprintf(stderr, "ferry: %s\n", qPrintable(engine.recoveryMessage()));
    UnixSignals signals_;
    QObject::connect(&signals_, &UnixSignals::terminationRequested, &app, &QCoreApplication::quit);
    QObject::connect(&engine, &Engine::shutdownRequested, &app, &QCoreApplication::quit, Qt::QueuedConnection);
    return app.exec();
}

} // namespace ferry
