#include "PropertyWidgets.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

namespace ferry {

QLabel *valueLabel(const QString &accessibleName, const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setAccessibleName(accessibleName);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    return label;
}

QLabel *helpLabel(const QString &accessibleName, const QString &objectName, QWidget *parent)
{
    QLabel *label = valueLabel(accessibleName, objectName, parent);
    QFont small = label->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    label->setFont(small);
    return label;
}

QHBoxLayout *buttonRow(QPushButton *button)
{
    auto *row = new QHBoxLayout;
    row->addStretch(1);
    row->addWidget(button);
    return row;
}

} // namespace ferry
