// ferry [--headless] [--profile DIR] : the window, or the engine alone for ferry-admin.
#include "core/ProcessLimits.h"
#include "DesktopApp.h"
#include "HeadlessEngine.h"

#include <cstdio>
#include <cstring>

int main(int argc, char **argv)
{
    ferry::raiseFileLimit(); // before any thread: every client of the engine costs a descriptor
    bool headless = false;
    ferry::DesktopOptions desktop;
    QString &profile = desktop.profileDir;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--headless") == 0) {
            headless = true;
        } else if (std::strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            profile = QString::fromLocal8Bit(argv[++i]);
        } else if (std::strncmp(argv[i], "--profile=", 10) == 0) {
            profile = QString::fromLocal8Bit(argv[i] + 10);
        } else if (std::strcmp(argv[i], "--minimized") == 0) {
            desktop.minimized = true;
        } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::printf("usage: ferry [--headless] [--minimized] [--profile DIR] [URL...]\n"
                        "  --headless      run the engine without a window (ferry-admin drives it)\n"
                        "  --minimized     start in the tray (where there is one)\n"
                        "  --profile DIR   keep jobs and settings in DIR (default: $FERRY_PROFILE or the "
                        "user's data folder)\n"
                        "  URL...          download these; a running Ferry for the profile takes them over\n");
            return 0;
        } else if (argv[i][0] != '-') {
            desktop.urls << QString::fromLocal8Bit(argv[i]);
        }
    }
    return headless ? ferry::runHeadless(argc, argv, profile) : ferry::runDesktop(argc, argv, desktop);
}
