// Ferry's settings: the window's own preferences (DesktopSettings: download folder, drop
// behaviour, start minimized or at login, clipboard) and the engine's computer-level settings
// (concurrent background jobs, peer caching). Nothing changes until OK: then the desktop
// settings are saved, the autostart entry is written or removed, and the engine settings that
// changed are sent to the engine thread in one queued call. The dialog closes once the engine
// has taken them all; a refusal is shown and the dialog stays open.
#pragma once

#include "JobManager.h"

#include <QDialog>
#include <QSet>

class QButtonGroup;
class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace ferry {

class DesktopSettings;

class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    // jobs lives on the engine thread and is reached only through queued calls (may be null:
    // the engine part is then shown read-only). engine is the caller's copy of its settings
    // (e.g. the last settingsChanged); the dialog reads them again once connected. settings
    // must outlive the dialog.
    SettingsDialog(JobManager *jobs, DesktopSettings *settings, const EngineSettings &engine, QWidget *parent = nullptr);
    ~SettingsDialog() override;

    EngineSettings engineSettings() const { return m_engine; } // the engine's, as last heard
    bool isApplying() const { return m_applying; }              // OK pressed, engine not yet answered

    // Cancel while the engine's answer is on its way: the changes already sent still apply,
    // but the dialog no longer closes as accepted.
    void done(int result) override;

signals:
    // After OK: the desktop settings were saved (emitted before the engine's answer; the dialog
    // is accepted only once the engine has taken its changes).
    void desktopSettingsSaved();

private:
    struct EngineChange
    {
        QString key;
        QString value;
        QString label;   // for a refusal message
    };
    struct EngineFailure
    {
        QString key;
        QString label;
        Status status;
    };

    QWidget *buildDownloads();
    QWidget *buildEngine();
    QWidget *buildPeerCaching();
    QWidget *buildDesktop();

    void loadDesktop();
    void showEngine(const EngineSettings &shown, const EngineSettings &previous, bool force);
    void onSettingsChanged(const EngineSettings &settings);
    void resync();
    void updatePeerBoxes();
    void browse();

    QList<EngineChange> engineChanges() const;
    void apply();
    void engineAnswered(const QList<EngineFailure> &failures, const EngineSettings &now);
    void setApplying(bool applying);
    void showMessage(const QString &text);
    void clearMessage();

    JobManager *m_jobs;
    DesktopSettings *m_settings;
    EngineSettings m_engine;            // the engine's settings as last heard
    bool m_heardSettings = false;       // a settingsChanged since the connection
    bool m_applying = false;
    bool m_abandoned = false;           // closed while applying
    QSet<QString> m_retry;              // keys the engine refused last time: sent again on OK

    QLineEdit *m_folder = nullptr;
    QPushButton *m_browse = nullptr;
    QButtonGroup *m_dropGroup = nullptr;
    QRadioButton *m_dropDirect = nullptr;
    QRadioButton *m_dropAsk = nullptr;

    QSpinBox *m_maxBackgroundJobs = nullptr;

    QCheckBox *m_peerEnabled = nullptr;
    QCheckBox *m_peerClient = nullptr;
    QCheckBox *m_peerServer = nullptr;
    QSpinBox *m_cacheSize = nullptr;
    QSpinBox *m_cacheAge = nullptr;

    QCheckBox *m_startMinimized = nullptr;
    QCheckBox *m_startAtLogin = nullptr;
    QCheckBox *m_watchClipboard = nullptr;

    QLabel *m_message = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace ferry
