// Ferry's settings: the window's own preferences (DesktopSettings: download folder, drop
// behaviour, start minimized or at login, clipboard) and the engine's computer-level settings
// (concurrent background jobs, peer caching and its cache and network settings). Nothing
// changes until OK or Apply: then the desktop settings are saved, the autostart entry is
// written or removed, and the engine settings that changed are sent as `setconfig` verbs through
// the window's EngineClient. OK closes the dialog once the engine has taken them all; a refusal is
// shown and the dialog stays open.
//
// With a peer cache (setPeerCacheAvailable), the peer caching page also shows whether peer caching runs
// (and why not), the group this computer belongs to, and creates or imports the group key. A
// new key is shown once, in a dialog of its own, and never stored by the window: the engine
// keeps it in the OS keychain.
//
// The pages (SettingsGeneralPage, SettingsPeerCachingPage) and the group key's dialogs
// (NewGroupKeyDialog, ImportGroupKeyDialog) are views; this dialog is what talks to the engine.
#pragma once

#include "EngineClient.h"

#include <QDialog>
#include <QJsonObject>
#include <QPointer>
#include <QSet>

class QDialogButtonBox;
class QLabel;
class QTabWidget;

namespace ferry {

class DesktopSettings;
class ImportGroupKeyDialog;
class NewGroupKeyDialog;
class SettingsPeerCachingPage;
class SettingsGeneralPage;
struct SettingChange;

class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    // client reaches the engine (may be null: the engine part is then shown read-only). engine
    // is the caller's copy of its settings; the dialog reads them again once connected.
    // settings must outlive the dialog.
    SettingsDialog(EngineClient *client, DesktopSettings *settings, const EngineSettings &engine, QWidget *parent = nullptr);
    ~SettingsDialog() override;

    EngineSettings engineSettings() const { return m_engine; } // the engine's, as last heard
    bool isApplying() const { return m_applying; }              // OK pressed, engine not yet answered

    // Whether the engine has a peer cache (without one the group key buttons are disabled). Set
    // once, right after construction.
    void setPeerCacheAvailable(bool available);
    QJsonObject peerCacheInfo() const { return m_peerInfo; }    // `cache info`, as last heard

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
    using EngineChange = SettingChange;
    struct EngineFailure
    {
        QString key;
        QString label;
        Status status;
    };

    void showEngine(const EngineSettings &shown, const EngineSettings &previous, bool force);
    void onSettingsChanged(const EngineSettings &settings);
    void resync();

    // The group key and the peer cache's state.
    void refreshPeerState();
    void showPeerState(const QJsonObject &info);
    void updateKeyButtons();
    void createKey();
    void keyCreated(const Status &status, const QString &base32);
    void revokeKey();
    void keyRevoked(const Status &status);
    void showNewKey(const QString &base32);
    void forgetNewKey();
    void openImportDialog();
    void importKey(const QString &key);

    QList<EngineChange> engineChanges() const;
    void apply(bool close);
    void engineAnswered(const QList<EngineFailure> &failures, const EngineSettings &now);
    // One `cache ARGS...` verb; then runs here if the dialog still exists.
    void cache(const QStringList &args, std::function<void(const AdminReply &)> then);
    void setApplying(bool applying);
    void showMessage(const QString &text);
    void clearMessage();

    EngineClient *m_client;
    DesktopSettings *m_settings;
    EngineSettings m_engine;            // the engine's settings as last heard
    bool m_heardSettings = false;       // a settingsChanged since the connection
    bool m_applying = false;
    bool m_closeWhenApplied = false;    // OK (not Apply) is waiting for the engine
    bool m_abandoned = false;           // closed while applying
    QSet<QString> m_retry;              // keys the engine refused last time: sent again on OK

    bool m_cache = false;                      // the engine has a peer cache
    QJsonObject m_peerInfo;
    bool m_keyBusy = false;                    // a create, import or revoke is on its way
    QPointer<NewGroupKeyDialog> m_newKeyDialog; // the new key, shown once
    QPointer<ImportGroupKeyDialog> m_importDialog;

    SettingsGeneralPage *m_general = nullptr;
    SettingsPeerCachingPage *m_peer = nullptr;
    QTabWidget *m_pages = nullptr;
    QLabel *m_message = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace ferry
