// The job-properties tab "General": the job's name, description and priority (editable), its
// state, progress, last error, times and id. A view only: it shows the job it is given and emits
// what the user changed; JobPropertiesDialog sends the change to the engine.
#pragma once

#include "core/Job.h"
#include "JobField.h"

#include <QWidget>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;

namespace ferry {

class JobGeneralTab : public QWidget
{
    Q_OBJECT
public:
    explicit JobGeneralTab(const Job &job, QWidget *parent = nullptr);

    void setJob(const Job &job);            // the engine's job as last heard; shown by refresh()
    // Shows the job's name, description or priority (other fields are not on this tab); without
    // force a name or description being edited stays.
    void refresh(JobField field, bool force);
    void showStatus();                      // state, progress, error and times
    void setEditable(bool editable);

    static QString stateText(JobState state);

signals:
    void nameEdited(const QString &name);
    void descriptionEdited(const QString &description);
    void priorityChosen(ferry::JobPriority priority);

private:
    Job m_job;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_description = nullptr;
    QComboBox *m_priority = nullptr;
    QLabel *m_state = nullptr;
    QLabel *m_progress = nullptr;
    QFormLayout *m_form = nullptr;
    QLabel *m_error = nullptr;
    QLabel *m_errorContext = nullptr;
    QLabel *m_errorDescription = nullptr;
    QLabel *m_created = nullptr;
    QLabel *m_modified = nullptr;
    QLabel *m_completed = nullptr;
};

} // namespace ferry
