// How the job table draws its cells: a progress bar in the Progress column and a coloured state
// mark before the state's name; everything else as usual.
#pragma once

#include <QStyledItemDelegate>

namespace ferry {

class JobDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    static QColor stateColor(int state);   // the mark's colour for a JobState
};

} // namespace ferry
