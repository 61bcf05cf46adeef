// Small widgets the job-properties tabs share: a read-only value and its explanation in smaller
// print (both plain, selectable, wrapped text), and a row with one button at its right.
#pragma once

#include <QString>

class QHBoxLayout;
class QLabel;
class QPushButton;
class QWidget;

namespace ferry {

QLabel *valueLabel(const QString &accessibleName, const QString &objectName, QWidget *parent);
QLabel *helpLabel(const QString &accessibleName, const QString &objectName, QWidget *parent);
QHBoxLayout *buttonRow(QPushButton *button);

} // namespace ferry
