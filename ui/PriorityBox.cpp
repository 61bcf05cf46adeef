#include "PriorityBox.h"

namespace ferry {

PriorityBox::PriorityBox(QWidget *parent)
    : QComboBox(parent)
{
    setObjectName(QStringLiteral("priority"));
    setAccessibleName(tr("Priority"));
    addItem(tr("Foreground"), int(JobPriority::Foreground));
    addItem(tr("High"), int(JobPriority::High));
    addItem(tr("Normal"), int(JobPriority::Normal));
    addItem(tr("Low"), int(JobPriority::Low));
    setPriority(JobPriority::Normal);
}

} // namespace ferry
