// Ferry's icon: resources/ferry.svg (embedded as :/ferry/icons/ferry.svg) when Qt's SVG icon
// engine is installed (libqt6svg6), else drawn with QPainter (a blue rounded square with a white
// down arrow onto a line) so that the window and the tray have it without the plugin.
#pragma once

#include <QIcon>

namespace ferry {
QIcon appIcon();
}
