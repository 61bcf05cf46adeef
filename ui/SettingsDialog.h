// Ferry's settings: the window's own preferences (DesktopSettings: download folder, drop
// behaviour, start minimized or at login, clipboard) and the engine's computer-level settings
// (concurrent background jobs, peer caching and its cache and network settings). Nothing
// changes until OK or Apply: then the desktop settings are saved, the autostart entry is
// written or removed, and the engine settings that changed are sent to the engine thread in one
// queued call. OK closes the dialog once the engine has taken them all; a refusal is shown and
// the dialog stays open.
//
// With a peer cache (setPeerCache), the peer caching page also shows whether peer caching runs
// (and why not), the group this computer belongs to, and creates or imports the group key. A
// new key is shown once, in a dialog of its own, and never stored by the window: the engine
// keeps it in the OS keychain.
#pragma once

#include "JobManager.h"

#include <QDialog>
#include <QJsonObject>
#include <QPointer>
#include <QSet>

class QButtonGroup;
class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QTabWidget;

namespace ferry {

namespace peercache {
class PeerCache;
}

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

    // The engine's peer cache (on the engine thread, reached only through queued calls; may be
    // null: the group key buttons are then disabled). Set once, right after construction.
    void setPeerCache(peercache::PeerCache *cache);
    QJsonObject peerCacheInfo() const { return m_peerInfo; }    // PeerCache::info(), as last heard

    // The dialog's pages, in order.
    enum Page { GeneralPage, PeerCachingPage };
    void showPage(Page page);

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

    QWidget *buildGeneralPage();
    QWidget *buildPeerPage();
    QWidget *buildDownloads();
    QWidget *buildEngine();
    QWidget *buildPeerCaching();
    QWidget *buildGroupKey();
    QWidget *buildCache();
    QWidget *buildNetwork();
    QWidget *buildDesktop();

    void loadDesktop();
    void showEngine(const EngineSettings &shown, const EngineSettings &previous, bool force);
    void onSettingsChanged(const EngineSettings &settings);
    void resync();
    void updatePeerBoxes();
    void browse();

    // The group key and the peer cache's state.
    void refreshPeerState();
    void showPeerState(const QJsonObject &info);
    void updateKeyButtons();
    void confirmCreateKey();
    void createKey();
    void keyCreated(const Status &status, const QString &base32);
    void confirmRevokeKey();
    void revokeKey();
    void keyRevoked(const Status &status);
    void showNewKey(const QString &base32);
    void forgetNewKey();
    void openImportDialog();

    QList<EngineChange> engineChanges() const;
    void apply(bool close);
    void engineAnswered(const QList<EngineFailure> &failures, const EngineSettings &now);
    void setApplying(bool applying);
    void showMessage(const QString &text);
    void clearMessage();

    JobManager *m_jobs;
    DesktopSettings *m_settings;
    EngineSettings m_engine;            // the engine's settings as last heard
    bool m_heardSettings = false;       // a settingsChanged since the connection
    bool m_applying = false;
    bool m_closeWhenApplied = false;    // OK (not Apply) is waiting for the engine
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
    QSpinBox *m_tlsPort = nullptr;
    QSpinBox *m_discoveryPort = nullptr;
    QCheckBox *m_multicast = nullptr;
    QLineEdit *m_staticPeers = nullptr;
    QCheckBox *m_requireDigest = nullptr;

    peercache::PeerCache *m_cache = nullptr;   // on the engine thread
    QJsonObject m_peerInfo;
    bool m_keyBusy = false;                    // a create, import or revoke is on its way
    QLabel *m_peerState = nullptr;
    QLabel *m_policyNote = nullptr;            // which settings the administrator's policy fixes
    QLabel *m_groupState = nullptr;
    QPushButton *m_createKey = nullptr;
    QPushButton *m_revokeKey = nullptr;        // only while a previous key is accepted
    QPushButton *m_importKey = nullptr;
    QPointer<QDialog> m_newKeyDialog;          // the new key, shown once
    QPointer<QDialog> m_importDialog;

    QCheckBox *m_startMinimized = nullptr;
    QCheckBox *m_startAtLogin = nullptr;
    QCheckBox *m_watchClipboard = nullptr;

    QTabWidget *m_pages = nullptr;
    QLabel *m_message = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace ferry
