// The four BITS priorities to choose from, each item's data being its JobPriority.
#pragma once

#include "core/JobTypes.h"

#include <QComboBox>

namespace ferry {

class PriorityBox : public QComboBox
{
    Q_OBJECT
public:
    explicit PriorityBox(QWidget *parent = nullptr);
    JobPriority priority() const { return JobPriority(currentData().toInt()); }
    void setPriority(JobPriority priority) { setCurrentIndex(findData(int(priority))); }
};

} // namespace ferry
