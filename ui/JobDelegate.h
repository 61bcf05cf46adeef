// How the job table draws its cells: a progress bar in the Progress column and a state icon
// (resources/state-*.svg, embedded under :/ferry/icons) before the state's name, or a coloured
// dot where the icon cannot be rendered (no SVG icon plugin); everything else as usual.
#pragma once

#include <QIcon>
#include <QStyledItemDelegate>

#include <array>

namespace ferry {

class JobDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    // A cell as a progress bar: the item's background, then a bar at percent with the cell's
    // display text on it. Shared with the other tables that show progress.
    static void paintProgressBar(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index,
                                 int percent);

    static QColor stateColor(int state);       // the mark's colour for a JobState (and the icon's)
    static QString stateIconPath(int state);   // ":/ferry/icons/state-<name>.svg", empty if none

private:
    const QIcon &stateIcon(int state) const;   // loaded once per delegate; a dot if unrenderable

    static constexpr int StateCount = 9;
    mutable std::array<QIcon, StateCount> m_icons{};
    mutable std::array<bool, StateCount> m_loaded{};
};

} // namespace ferry
