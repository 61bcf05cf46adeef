// The job-properties tab "Owner": who owns the job, whether they were elevated and at which
// integrity level they ran (each with what it means), the rules for who may change the job, and
// who is looking (the viewer). A view only.
#pragma once

#include "owner/Owner.h"

#include <QWidget>

class QLabel;

namespace ferry {

class JobOwnerTab : public QWidget
{
    Q_OBJECT
public:
    explicit JobOwnerTab(QWidget *parent = nullptr);

    void showOwner(const Owner &owner, const Owner &viewer);

private:
    QLabel *m_ownerName = nullptr;
    QLabel *m_elevation = nullptr;
    QLabel *m_elevationHelp = nullptr;
    QLabel *m_integrity = nullptr;
    QLabel *m_integrityHelp = nullptr;
    QLabel *m_viewer = nullptr;
};

} // namespace ferry
