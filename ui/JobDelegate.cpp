#include "JobDelegate.h"

#include "JobListModel.h"

#include <QApplication>
#include <QPainter>
#include <QStyleOptionProgressBar>

namespace ferry {

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

void JobDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    if (index.column() == JobListModel::Progress) {
        QStyleOptionViewItem background = option;
        initStyleOption(&background, index);
        background.text.clear();
        const QWidget *widget = option.widget;
        QStyle *style = widget ? widget->style() : QApplication::style();
        style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

        QStyleOptionProgressBar bar;
        bar.rect = option.rect.adjusted(2, 2, -2, -2);
        bar.minimum = 0;
        bar.maximum = 100;
        bar.progress = index.data(JobListModel::SortRole).toInt();
        bar.text = index.data(Qt::DisplayRole).toString();
        bar.textVisible = true;
        bar.state = option.state | QStyle::State_Horizontal;
        style->drawControl(QStyle::CE_ProgressBar, &bar, painter, widget);
        return;
    }
    if (index.column() == JobListModel::State) {
        QStyledItemDelegate::paint(painter, option, index); // background and the state's name
        const QRect &r = option.rect;
        const int mark = r.height() / 3;
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(Qt::NoPen);
        painter->setBrush(stateColor(index.data(JobListModel::StateRole).toInt()));
        painter->drawEllipse(QRect(r.right() - mark - 6, r.center().y() - mark / 2, mark, mark));
        painter->restore();
        return;
    }
    QStyledItemDelegate::paint(painter, option, index);
}

} // namespace ferry
