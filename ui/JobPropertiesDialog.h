// The properties of one job: what it is (JobGeneralTab), its files (JobFilesTab), its transfer
// options (JobTransferTab), its credentials and connection (ConnectionPage) and who owns it
// (JobOwnerTab). The tabs are views; this dialog is what talks to the engine, through the window's
// EngineClient. Every change is one verb sent at once; the engine decides whether the viewer may
// make it (and tells the dialog up front whether the job is read-only for it, and why); the
// dialog then follows the client's job cache, so what it shows is always the engine's view.
#pragma once

#include "EngineClient.h"
#include "JobField.h"

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
    // job and settings are what the caller has at hand (the job cache's copy); once connected,
    // the dialog reads both again from the client, so nothing that changed in between is
    // missed. The viewer is the client's caller: the engine checks each change against it.
    JobPropertiesDialog(EngineClient *client, const Job &job, const EngineSettings &settings, QWidget *parent = nullptr);
    ~JobPropertiesDialog() override;

    Owner viewer() const { return m_viewer; }
    bool isAccessKnown() const { return m_accessKnown; }   // the engine has said what the viewer may do

    QUuid jobId() const { return m_job.id; }
    Job job() const { return m_job; }               // the engine's job as last heard
    bool isReadOnly() const { return m_readOnly; }
    bool isJobGone() const { return m_gone; }

private:
    using Field = JobField;
    using Answer = std::function<void(const Status &)>;
    // One change to the job: a call of the client, given the answer to report.
    using Change = std::function<void(EngineClient *client, const Job &job, EngineClient::Then done)>;

    void connectTabs();
    void onJobChanged(const Job &job);
    void onJobRemoved(const QUuid &id);
    void onSettingsChanged(const EngineSettings &settings);
    void applyJob(const Job &job);
    void applySettings(const EngineSettings &settings);

    // Sends one change to the engine, which checks it for the viewer; the answer comes back to
    // finish(): a refusal is shown and the field shows the engine's value again. answered, if
    // any, hears the answer first, also when the dialog is read-only and sends nothing.
    void request(Field field, Change change, Answer answered = {});
    void askAccess();
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

    EngineClient *m_client;
    Job m_job;
    EngineSettings m_settings;
    Owner m_viewer;
    bool m_accessKnown = false;
    bool m_mayChange = false;
    QString m_refusedBy;                            // "elevation", "integrity" (EngineClient::access)
    Owner m_accessAskedFor;                         // the owner the last answer was about
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
