// The properties of one job: what it is (JobGeneralTab), its files (JobFilesTab), its transfer
// options (JobTransferTab), its credentials and connection (ConnectionPage) and who owns it
// (JobOwnerTab). The tabs are views; this dialog is what talks to the engine. Every change goes
// to the engine at once through a queued call, under the same owner rules as ferry-admin
// (JobAccess::checkCanChange, checked on the engine thread); the dialog then follows the engine's
// signals, so what it shows is always the engine's view of the job.
#pragma once

#include "JobField.h"
#include "JobManager.h"

#include <QDialog>
#include <QHash>
#include <QUuid>

#include <functional>

class QLabel;
class QTabWidget;
class QTimer;

namespace ferry {

class ConnectionPage;
class JobFilesTab;
class JobGeneralTab;
class JobOwnerTab;
class JobTransferTab;

class JobPropertiesDialog : public QDialog
{
    Q_OBJECT
public:
    // jobs lives on the engine thread: it is reached only through queued calls and heard
    // through its (queued) signals. job and settings are what the caller has at hand (e.g.
    // JobManager::snapshot(id) and JobManager::settings() read on the engine thread, or the
    // list model's copy); once connected, the dialog reads both again from the engine, so
    // nothing that changed in between is missed.
    JobPropertiesDialog(JobManager *jobs, const Job &job, const EngineSettings &settings, QWidget *parent = nullptr);
    ~JobPropertiesDialog() override;

    // Whose eyes these are: Owner::ofThisProcess() unless set (tests). Decides whether the job
    // is shown read-only and is the caller the engine checks each change against.
    void setViewer(const Owner &viewer);
    Owner viewer() const { return m_viewer; }

    QUuid jobId() const { return m_job.id; }
    Job job() const { return m_job; }               // the engine's job as last heard
    bool isReadOnly() const { return m_readOnly; }
    bool isJobGone() const { return m_gone; }

private:
    using Field = JobField;
    using Answer = std::function<void(const Status &)>;
    // One change to the job, run on the engine thread once the viewer may make it.
    using Change = std::function<Status(JobManager *, const Job &)>;
    // The same for a change that reports the engine's answer later (the keychain), on that thread.
    using AsyncChange = std::function<void(JobManager *, const Job &, Answer done)>;

    void connectTabs();
    void onJobChanged(const Job &job);
    void onJobRemoved(const QUuid &id);
    void onSettingsChanged(const EngineSettings &settings);
    void applyJob(const Job &job);
    void applySettings(const EngineSettings &settings);

    // Sends one change to the engine (after checkCanChange for the viewer, there); the answer
    // comes back to finish(): a refusal is shown and the field shows the engine's value again.
    // requestAsync: for a change that answers later (the keychain); answered, if any, hears the
    // answer first (on this thread), also when the dialog is read-only and sends nothing.
    void request(Field field, Change change);
    void requestAsync(Field field, AsyncChange change, Answer answered);
    void finish(Field field, const Status &status, const Answer &answered);
    QString fieldLabel(Field field) const;
    void showMessage(const QString &text);

    void refreshAll();
    void refreshField(Field field, bool force);
    void refreshOwner();
    void refreshPeerNote();
    void updateEditable();
    void pollTimeUsed();
    void resync();

    JobManager *m_jobs;
    Job m_job;
    EngineSettings m_settings;
    Owner m_viewer;
    bool m_readOnly = false;
    bool m_gone = false;
    bool m_heardJob = false;                        // a jobChanged since the connections
    bool m_heardSettings = false;                   // a settingsChanged since the connections
    QHash<int, int> m_pending;                      // Field -> changes on their way

    QLabel *m_note = nullptr;                       // read-only or gone
    QLabel *m_message = nullptr;                    // the last refusal
    QTabWidget *m_tabs = nullptr;

    JobGeneralTab *m_general = nullptr;
    JobFilesTab *m_files = nullptr;
    JobTransferTab *m_transfer = nullptr;
    ConnectionPage *m_connection = nullptr;
    JobOwnerTab *m_owner = nullptr;
    QTimer *m_usedTimer = nullptr;                  // live time used while the job transfers
    bool m_usedPollPending = false;
};

} // namespace ferry
