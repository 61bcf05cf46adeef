// The properties of one job: what it is (General), its files, its transfer options, its
// credentials and connection (ConnectionPage) and who owns it. Every change goes to the engine at
// once through a queued call, under the same owner rules as ferry-admin
// (JobAccess::checkCanChange, checked on the engine thread); the dialog then follows the engine's
// signals, so what it shows is always the engine's view of the job.
#pragma once

#include "ConnectionPage.h"
#include "JobManager.h"

#include <QDialog>
#include <QHash>
#include <QUuid>

#include <functional>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;
class QTimer;

namespace ferry {

class DurationField;
class JobFilesModel;

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
    enum class Field {
        Name, Description, Priority, PeerClient, PeerServer, MaxTime, NoProgress, RetryDelay,
        Credentials, Proxy, Headers, Security, // ConnectionPage's parts
    };
    using Change = std::function<Status(JobManager *, const Job &)>;
    using AsyncChange = ConnectionPage::Change;     // answers through its done callback, maybe later
    using Answer = ConnectionPage::Done;

    QWidget *buildGeneralTab();
    QWidget *buildFilesTab();
    QWidget *buildTransferTab();
    QWidget *buildConnectionTab();
    QWidget *buildOwnerTab();

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
    void refreshGeneral();
    void refreshFiles();
    void refreshTimeUsed();
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

    // General
    QLineEdit *m_name = nullptr;
    QLineEdit *m_description = nullptr;
    QComboBox *m_priority = nullptr;
    QLabel *m_state = nullptr;
    QLabel *m_progress = nullptr;
    QFormLayout *m_generalForm = nullptr;
    QLabel *m_error = nullptr;
    QLabel *m_errorContext = nullptr;
    QLabel *m_errorDescription = nullptr;
    QLabel *m_created = nullptr;
    QLabel *m_modified = nullptr;
    QLabel *m_completed = nullptr;

    // Files: the job's files as JobFilesModel shows them, sortable by a click on a column's header
    // (the job's own order until then, and again when the sort is cleared).
    JobFilesModel *m_filesModel = nullptr;
    QSortFilterProxyModel *m_filesProxy = nullptr;
    QTableView *m_files = nullptr;

    // Transfer options
    QCheckBox *m_peerClient = nullptr;
    QCheckBox *m_peerServer = nullptr;
    QLabel *m_peerNote = nullptr;
    DurationField *m_maxTime = nullptr;
    QLabel *m_timeUsed = nullptr;
    DurationField *m_noProgress = nullptr;
    DurationField *m_retryDelay = nullptr;
    QTimer *m_usedTimer = nullptr;                  // live time used while the job transfers
    bool m_usedPollPending = false;

    // Credentials and connection
    ConnectionPage *m_connection = nullptr;

    // Owner
    QLabel *m_ownerName = nullptr;
    QLabel *m_elevation = nullptr;
    QLabel *m_elevationHelp = nullptr;
    QLabel *m_integrity = nullptr;
    QLabel *m_integrityHelp = nullptr;
    QLabel *m_viewerLabel = nullptr;
};

} // namespace ferry
