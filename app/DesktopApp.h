// `ferry`: the window over an engine that runs on its own thread.
#pragma once

#include <QString>

namespace ferry {
int runDesktop(int argc, char **argv, const QString &profileDir);
}
