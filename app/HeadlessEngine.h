// `ferry --headless`: the engine with no window, driven by ferry-admin over its socket.
#pragma once

#include <QString>

namespace ferry {
int runHeadless(int argc, char **argv, const QString &profileDir);
}
