#include "AppIcon.h"

#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace ferry {
namespace {

QPixmap drawIcon(int size)
{
    QPixmap pixmap(size, size);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    const qreal s = size;
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x1e, 0x6f, 0xd9));
    p.drawRoundedRect(QRectF(0.04 * s, 0.04 * s, 0.92 * s, 0.92 * s), 0.2 * s, 0.2 * s);
    p.setBrush(Qt::white);
    QPainterPath arrow;
    arrow.moveTo(0.40 * s, 0.18 * s);
    arrow.lineTo(0.60 * s, 0.18 * s);
    arrow.lineTo(0.60 * s, 0.48 * s);
    arrow.lineTo(0.76 * s, 0.48 * s);
    arrow.lineTo(0.50 * s, 0.72 * s);
    arrow.lineTo(0.24 * s, 0.48 * s);
    arrow.lineTo(0.40 * s, 0.48 * s);
    arrow.closeSubpath();
    p.drawPath(arrow);
    p.drawRect(QRectF(0.22 * s, 0.78 * s, 0.56 * s, 0.07 * s));
    return pixmap;
}

} // namespace

QIcon appIcon()
{
    // resources/ferry.svg, embedded in ferry_ui; it renders only with Qt's SVG icon engine
    // (libqt6svg6). Without it the icon is null or renders nothing, so draw one instead.
    const QIcon svg(QStringLiteral(":/ferry/icons/ferry.svg"));
    if (!svg.isNull() && (!svg.availableSizes().isEmpty() || !svg.pixmap(64).isNull()))
        return svg;

    QIcon icon;
    for (int size : {16, 22, 24, 32, 48, 64, 128, 256})
        icon.addPixmap(drawIcon(size));
    return icon;
}

} // namespace ferry
