// The job-properties tab "Transfer options": whether the job may download from and serve to
// peers (with a note when the computer's settings keep that from taking effect) and its time
// limits (maximum download time and the time used so far, no-progress timeout, minimum retry
// delay), and which notifications the job gives (its notify flags). A view only: it shows the job it is given and emits what the user changed;
// JobPropertiesDialog sends the change to the engine.
#pragma once

#include "core/Job.h"
#include "JobField.h"

#include <QWidget>

class QCheckBox;
class QLabel;

namespace ferry {

class DurationField;

class JobTransferTab : public QWidget
{
    Q_OBJECT
public:
    explicit JobTransferTab(QWidget *parent = nullptr);

    void setJob(const Job &job);            // the engine's job as last heard; shown by refresh()
    // Shows the job's peer caching flags or a time limit (other fields are not on this tab);
    // without force a time limit being edited stays.
    void refresh(JobField field, bool force);
    void showTimeUsed();
    // The computer-level peer caching switches (EngineSettings), for the note under the flags.
    void showPeerNote(bool peerCachingEnabled, bool clientOn, bool serverOn);
    void setEditable(bool editable);

signals:
    void peerClientToggled(bool on);
    void peerServerToggled(bool on);
    void maxTimeEdited(quint32 seconds);
    void noProgressEdited(quint32 seconds);
    void retryDelayEdited(quint32 seconds);
    void notifyFlagToggled(quint32 flag, bool on);  // one of notifyflags::

private:
    Job m_job;
    QCheckBox *m_peerClient = nullptr;
    QCheckBox *m_peerServer = nullptr;
    QLabel *m_peerNote = nullptr;
    DurationField *m_maxTime = nullptr;
    QLabel *m_timeUsed = nullptr;
    DurationField *m_noProgress = nullptr;
    DurationField *m_retryDelay = nullptr;
    QList<QPair<quint32, QCheckBox *>> m_notify;    // each notify flag's checkbox
};

} // namespace ferry
