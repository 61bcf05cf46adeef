// Ferry's icon, drawn with QPainter (a blue rounded square with a white down arrow onto a line)
// so that the window and the tray have it without an SVG image plugin installed.
#pragma once

#include <QIcon>

namespace ferry {
QIcon appIcon();
}
