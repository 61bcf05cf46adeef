#include "JobDelegate.h"

#include "JobListModel.h"

#include <QApplication>
#include <QPainter>
#include <QPixmap>
#include <QStyleOptionProgressBar>

namespace ferry {
namespace {

// The fallback mark: a dot of the state's colour, a third of the row high, centred in the icon.
QIcon dotIcon(const QColor &color)
{
    QIcon icon;
    for (int size : {16, 24, 32, 48, 64}) {
        QPixmap pixmap(size, size);
        pixmap.fill(Qt::transparent);
        QPainter p(&pixmap);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        const qreal d = size * 0.45;
        p.drawEllipse(QRectF((size - d) / 2, (size - d) / 2, d, d));
        icon.addPixmap(pixmap);
    }
    return icon;
}

} // namespace

QColor JobDelegate::stateColor(int state)
{
    switch (JobState(state)) {
    case JobState::Transferring: return QColor(0x2e, 0x9b, 0x48);
    case JobState::Queued:
    case JobState::Connecting: return QColor(0x1e, 0x6f, 0xd9);
    case JobState::TransientError: return QColor(0xe0, 0x9b, 0x16);
    case JobState::Error: return QColor(0xc6, 0x28, 0x28);
    case JobState::Transferred: return QColor(0x5e, 0x35, 0xb1);
    default: return QColor(0x8a, 0x8a, 0x8a);
    }
}

QString JobDelegate::stateIconPath(int state)
{
    const char *name = nullptr;
    switch (JobState(state)) {
    case JobState::Queued: name = "queued"; break;
    case JobState::Connecting: name = "connecting"; break;
    case JobState::Transferring: name = "transferring"; break;
    case JobState::Suspended: name = "suspended"; break;
    case JobState::Error: name = "error"; break;
    case JobState::TransientError: name = "transient-error"; break;
    case JobState::Transferred: name = "transferred"; break;
    default: return {};
    }
    return QStringLiteral(":/ferry/icons/state-%1.svg").arg(QLatin1String(name));
}

const QIcon &JobDelegate::stateIcon(int state) const
{
    static const QIcon none;
    if (state < 0 || state >= StateCount)
        return none;
    const auto i = std::size_t(state);
    if (!m_loaded[i]) {
        m_loaded[i] = true;
        const QString path = stateIconPath(state);
        if (!path.isEmpty()) {
            QIcon icon(path);
            // Without Qt's SVG icon engine the file loads as nothing, or as an icon that renders nothing.
            if (!icon.isNull() && !icon.pixmap(16).isNull())
                m_icons[i] = icon;
        }
        if (m_icons[i].isNull())
            m_icons[i] = dotIcon(stateColor(state));
    }
    return m_icons[i];
}

void JobDelegate::paintProgressBar(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index,
                                   int percent)
{
    QStyleOptionViewItem background = option; // the cell's selection and focus, without its text
    background.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    QStyleOptionProgressBar bar;
    if (widget)
        bar.initFrom(widget);
    bar.rect = option.rect.adjusted(2, 2, -2, -2);
    bar.minimum = 0;
    bar.maximum = 100;
    bar.progress = qBound(0, percent, 100);
    bar.text = index.data(Qt::DisplayRole).toString();
    bar.textVisible = true;
    bar.state = option.state | QStyle::State_Horizontal;
    style->drawControl(QStyle::CE_ProgressBar, &bar, painter, widget);
}

void JobDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    if (index.column() == JobListModel::Progress)
        return paintProgressBar(painter, option, index, index.data(JobListModel::SortRole).toInt());
    if (index.column() == JobListModel::State) {
        const int state = index.data(JobListModel::StateRole).toInt();
        QStyleOptionViewItem opt = option;
        initStyleOption(&opt, index);
        const QWidget *widget = option.widget;
        QStyle *style = widget ? widget->style() : QApplication::style();
        // The style lays out the icon before the state's name, at the row's height less padding,
        // snapped down to the icons' 8 px grid (16, 24, 32) from 16 up so that their lines stay crisp.
        int side = qBound(8, option.rect.height() - 6, 32);
        if (side >= 16)
            side -= side % 8;
        opt.icon = stateIcon(state);
        opt.features |= QStyleOptionViewItem::HasDecoration;
        opt.decorationSize = QSize(side, side);
        opt.decorationPosition = QStyleOptionViewItem::Left;
        style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);
        return;
    }
    QStyledItemDelegate::paint(painter, option, index);
}

QSize JobDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    if (index.column() != JobListModel::State)
        return QStyledItemDelegate::sizeHint(option, index);
    // Room for the state icon: the row's height is the view's, so assume a typical one (24 px icon).
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    opt.features |= QStyleOptionViewItem::HasDecoration;
    opt.decorationSize = QSize(24, 24);
    opt.decorationPosition = QStyleOptionViewItem::Left;
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    return style->sizeFromContents(QStyle::CT_ItemViewItem, &opt, QSize(), widget);
}

} // namespace ferry
