// The settings dialog's Peer caching page: whether peer caching runs (and why not), the
// computer-level switches, the group key's state and buttons, the cache and the network
// settings. Settings the administrator's policy fixes are greyed out and named in a note.
//
// A view only: it shows an EngineSettings snapshot and the peer cache's info, and gives back the
// settings the user changed as text values (changes()); the group key buttons ask for a
// confirmation where the step cannot be undone, then only emit signals. SettingsDialog sends the
// changes and runs the key operations on the engine.
#pragma once

#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace ferry {

struct EngineSettings;

// One engine setting the user changed, as the engine's setconfig takes it.
struct SettingChange
{
    QString key;
    QString value;
    QString label;   // for a refusal message
};

class SettingsPeerCachingPage : public QWidget
{
    Q_OBJECT
public:
    explicit SettingsPeerCachingPage(QWidget *parent = nullptr);

    // Shows the engine's values (and greys out what its policy fixes); a field the user changed
    // (it no longer shows previous) keeps the user's value unless force.
    void showEngine(const EngineSettings &shown, const EngineSettings &previous, bool force);
    // Without an engine to send them to, every setting is shown read-only.
    void setEngineReachable(bool reachable);
    // The settings whose field differs from engine, and those in retry whatever they show.
    QList<SettingChange> changes(const EngineSettings &engine, const QSet<QString> &retry) const;
    void commitTypedNumbers();               // numbers typed and not yet taken
    bool staticPeersValid() const;
    void focusStaticPeers();

    // The peer cache's state (`cache info`): whether it runs, the group and its keys.
    void showReading();
    void showPeerState(const QJsonObject &info);
    void setKeyButtonsEnabled(bool enabled);

signals:
    void createKeyConfirmed();
    void importKeyClicked();
    void revokeKeyConfirmed();

private:
    QWidget *buildPeerCaching();
    QWidget *buildGroupKey();
    QWidget *buildCache();
    QWidget *buildNetwork();
    void updatePeerBoxes();
    void confirmCreateKey();
    void confirmRevokeKey();

    bool m_reachable = true;
    QStringList m_policySettings;              // fixed by the administrator's policy
    QString m_policyFile;
    QString m_groupId;                         // as the peer cache last told
    QString m_previousGroupId;
    bool m_keysReady = false;                  // a peer cache to ask, and no key operation on its way

    QLabel *m_peerState = nullptr;
    QLabel *m_policyNote = nullptr;            // which settings the administrator's policy fixes
    QCheckBox *m_peerEnabled = nullptr;
    QCheckBox *m_peerClient = nullptr;
    QCheckBox *m_peerServer = nullptr;
    QCheckBox *m_requireDigest = nullptr;

    QLabel *m_groupState = nullptr;
    QPushButton *m_createKey = nullptr;
    QPushButton *m_revokeKey = nullptr;        // only while a previous key is accepted
    QPushButton *m_importKey = nullptr;

    QSpinBox *m_cacheSize = nullptr;
    QSpinBox *m_cacheAge = nullptr;
    QSpinBox *m_tlsPort = nullptr;
    QSpinBox *m_discoveryPort = nullptr;
    QCheckBox *m_multicast = nullptr;
    QLineEdit *m_staticPeers = nullptr;
};

} // namespace ferry
