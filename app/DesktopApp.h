// `ferry`: the window over an engine that runs on its own thread, with a tray icon where a tray
// exists. A second `ferry [URL...]` for the same profile hands its links to the running window
// (and raises it) instead of starting another engine.
#pragma once

#include <QString>
#include <QStringList>

namespace ferry {

struct DesktopOptions
{
    QString profileDir;
    QStringList urls;            // links given on the command line
    bool minimized = false;      // start in the tray (only where one exists)
};

int runDesktop(int argc, char **argv, const DesktopOptions &options);

} // namespace ferry
