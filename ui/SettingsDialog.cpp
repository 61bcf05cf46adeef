#include "SettingsDialog.h"

#include "DesktopSettings.h"
#include "ImportGroupKeyDialog.h"
#include "MessageLabel.h"
#include "NewGroupKeyDialog.h"
#include "peercache/PeerGroup.h"
#include "SettingsGeneralPage.h"
#include "SettingsPeerCachingPage.h"

#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QPointer>
#include <QTimer>
#include <QPushButton>
#include <QTabWidget>
#include <QVBoxLayout>

#include <memory>

namespace ferry {

SettingsDialog::SettingsDialog(EngineClient *client, DesktopSettings *settings, const EngineSettings &engine, QWidget *parent)
    : QDialog(parent)
    , m_client(client)
    , m_settings(settings)
    , m_engine(engine)
{
    Q_ASSERT(settings);
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Ferry Settings"));
    setAccessibleName(tr("Settings"));

    m_message = new MessageLabel(this);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Apply | QDialogButtonBox::Cancel, this);
    m_buttons->setObjectName(QStringLiteral("buttons"));
    m_buttons->setAccessibleName(tr("Dialog buttons"));
    m_buttons->button(QDialogButtonBox::Ok)->setAccessibleName(tr("OK"));
    m_buttons->button(QDialogButtonBox::Apply)->setAccessibleName(tr("Apply"));
    m_buttons->button(QDialogButtonBox::Apply)->setObjectName(QStringLiteral("apply"));
    m_buttons->button(QDialogButtonBox::Cancel)->setAccessibleName(tr("Cancel"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] { apply(true); });
    connect(m_buttons->button(QDialogButtonBox::Apply), &QPushButton::clicked, this, [this] { apply(false); });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    m_pages = new QTabWidget(this);
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->setAccessibleName(tr("Settings pages"));
    m_general = new SettingsGeneralPage(this);
    m_peer = new SettingsPeerCachingPage(this);
    m_pages->addTab(m_general, tr("&General"));
    m_pages->addTab(m_peer, tr("P&eer caching"));
    connect(m_peer, &SettingsPeerCachingPage::createKeyConfirmed, this, &SettingsDialog::createKey);
    connect(m_peer, &SettingsPeerCachingPage::importKeyClicked, this, &SettingsDialog::openImportDialog);
    connect(m_peer, &SettingsPeerCachingPage::revokeKeyConfirmed, this, &SettingsDialog::revokeKey);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_pages, 1);
    layout->addWidget(m_message);
    layout->addWidget(m_buttons);

    m_general->showDesktop(*m_settings);
    showEngine(m_engine, m_engine, true);

    if (m_client) {
        connect(m_client, &EngineClient::settingsChanged, this, &SettingsDialog::onSettingsChanged);
        resync();
    } else {
        m_general->setEngineEditable(false);
        m_peer->setEngineReachable(false);
    }
    updateKeyButtons();
}

SettingsDialog::~SettingsDialog()
{
    forgetNewKey();
}

void SettingsDialog::showPage(Page page)
{
    m_pages->setCurrentIndex(int(page));
}

// Shows the engine's values; a field the user changed (it no longer shows `previous`) keeps
// the user's value unless force.
void SettingsDialog::showEngine(const EngineSettings &shown, const EngineSettings &previous, bool force)
{
    m_general->showMaxBackgroundJobs(shown.maxBackgroundJobs, previous.maxBackgroundJobs, force);
    m_general->showInactivityDays(shown.jobInactivityDays, previous.jobInactivityDays, force);
    m_peer->showEngine(shown, previous, force);
}

void SettingsDialog::onSettingsChanged(const EngineSettings &settings)
{
    m_heardSettings = true;
    const EngineSettings previous = m_engine;
    m_engine = settings;
    showEngine(settings, previous, false);
}

void SettingsDialog::resync()
{
    // The caller's copy may be older than the client's: read it once more (a change heard since
    // the connection carries the whole, newer state and wins).
    QPointer<SettingsDialog> self(this);
    QTimer::singleShot(0, this, [self] {
        // A client not told yet tells the dialog through settingsChanged when it is.
        if (self && !self->m_heardSettings && self->m_client->hasSettings())
            self->onSettingsChanged(self->m_client->settings());
    });
}

void SettingsDialog::cache(const QStringList &args, std::function<void(const AdminReply &)> then)
{
    QPointer<SettingsDialog> self(this);
    m_client->request(QStringLiteral("cache"), args, [self, then = std::move(then)](const AdminReply &r) {
        if (self)
            then(r);
    });
}

void SettingsDialog::setPeerCacheAvailable(bool available)
{
    Q_ASSERT(!m_cache);
    m_cache = available && m_client;
    if (!m_cache)
        return;
    // Its state, records or key changed: read the state again.
    connect(m_client, &EngineClient::peerCacheChanged, this, &SettingsDialog::refreshPeerState);
    m_peer->showReading();
    updateKeyButtons();
    refreshPeerState();
}

void SettingsDialog::refreshPeerState()
{
    if (!m_cache)
        return;
    cache({QStringLiteral("info")}, [this](const AdminReply &r) { showPeerState(r.json.toObject()); });
}

void SettingsDialog::showPeerState(const QJsonObject &info)
{
    m_peerInfo = info;
    m_peer->showPeerState(info);
    updateKeyButtons();
}

void SettingsDialog::updateKeyButtons()
{
    m_peer->setKeyButtonsEnabled(m_cache && !m_keyBusy);
}

void SettingsDialog::revokeKey()
{
    if (!m_cache || m_keyBusy)
        return;
    clearMessage();
    m_keyBusy = true;
    updateKeyButtons();
    cache({QStringLiteral("groupkey"), QStringLiteral("revoke")}, [this](const AdminReply &r) { keyRevoked(r.status()); });
}

void SettingsDialog::keyRevoked(const Status &status)
{
    m_keyBusy = false;
    updateKeyButtons();
    refreshPeerState();
    if (!status) {
        const QString reason = status.message.isEmpty() ? tr("the engine refused it") : status.message;
        showMessage(tr("Could not revoke the previous group key: %1 (%2).").arg(reason, errorName(status.code)));
    }
}

void SettingsDialog::createKey()
{
    if (!m_cache || m_keyBusy)
        return;
    clearMessage();
    forgetNewKey();
    m_keyBusy = true;
    updateKeyButtons();
    // The keychain answers later; the reply carries the new key once, to show it once.
    cache({QStringLiteral("groupkey"), QStringLiteral("create")},
          [this](const AdminReply &r) { keyCreated(r.status(), r.ok ? r.json.toString() : QString()); });
}

void SettingsDialog::keyCreated(const Status &status, const QString &base32)
{
    m_keyBusy = false;
    updateKeyButtons();
    refreshPeerState();
    if (!status) {
        const QString reason = status.message.isEmpty() ? tr("the engine refused it") : status.message;
        showMessage(tr("Could not create a group key: %1 (%2).").arg(reason, errorName(status.code)));
        return;
    }
    if (isHidden())
        return; // closed meanwhile: nobody to show it to, and it is not kept
    showNewKey(base32);
}

// The new key in a dialog of its own, shown once: it is cleared when that dialog (or this one)
// closes, and written nowhere by the window.
void SettingsDialog::showNewKey(const QString &base32)
{
    forgetNewKey();
    const auto key = peercache::GroupKey::fromBase32(base32);
    m_newKeyDialog = new NewGroupKeyDialog(base32, key ? key->groupId() : QString(), this);
    m_newKeyDialog->showKey();
}

void SettingsDialog::forgetNewKey()
{
    if (m_newKeyDialog)
        m_newKeyDialog->forget();
}

void SettingsDialog::openImportDialog()
{
    if (!m_cache || m_keyBusy)
        return;
    if (m_importDialog) {
        m_importDialog->raise();
        m_importDialog->activateWindow();
        return;
    }
    m_importDialog = new ImportGroupKeyDialog(this);
    connect(m_importDialog, &ImportGroupKeyDialog::importRequested, this, &SettingsDialog::importKey);
    m_importDialog->open();
}

void SettingsDialog::importKey(const QString &key)
{
    m_keyBusy = true;
    updateKeyButtons();
    QPointer<ImportGroupKeyDialog> dialog(m_importDialog);
    cache({QStringLiteral("groupkey"), QStringLiteral("import"), key}, [this, dialog](const AdminReply &r) {
        m_keyBusy = false;
        updateKeyButtons();
        refreshPeerState();
        if (!dialog)
            return;
        if (r.ok)
            dialog->accept();
        else
            dialog->refused(r.status());
    });
}

QList<SettingsDialog::EngineChange> SettingsDialog::engineChanges() const
{
    QList<EngineChange> changes;
    const int maxBackgroundJobs = m_general->maxBackgroundJobs();
    if (maxBackgroundJobs != m_engine.maxBackgroundJobs || m_retry.contains(QStringLiteral("maxBackgroundJobs")))
        changes.append({QStringLiteral("maxBackgroundJobs"), QString::number(maxBackgroundJobs),
                        tr("the number of concurrent background jobs")});
    const int inactivityDays = m_general->inactivityDays();
    if (inactivityDays != m_engine.jobInactivityDays || m_retry.contains(QStringLiteral("jobInactivityDays")))
        changes.append({QStringLiteral("jobInactivityDays"), QString::number(inactivityDays),
                        tr("the days after which inactive jobs are cancelled")});
    changes += m_peer->changes(m_engine, m_retry);
    return changes;
}

void SettingsDialog::apply(bool close)
{
    if (m_applying)
        return;
    m_abandoned = false;
    clearMessage();

    // The folder: a full path ("~/" is the home folder), and not a file.
    QString folder = QDir::fromNativeSeparators(m_general->folderText().trimmed());
    if (folder == QLatin1String("~") || folder.startsWith(QLatin1String("~/")))
        folder = QDir::homePath() + folder.mid(1);
    if (folder.isEmpty()) {
        showMessage(tr("Choose a default download folder."));
        m_general->focusFolder();
        return;
    }
    if (!QDir::isAbsolutePath(folder)) {
        showMessage(tr("The default download folder must be a full path, such as %1.")
                        .arg(QDir::toNativeSeparators(DesktopSettings::defaultDownloadFolder())));
        m_general->focusFolder();
        return;
    }
    const QFileInfo info(folder);
    if (info.exists() && !info.isDir()) {
        showMessage(tr("%1 is a file, not a folder.").arg(QDir::toNativeSeparators(folder)));
        m_general->focusFolder();
        return;
    }
    if (m_client && !m_peer->staticPeersValid()) {
        showMessage(tr("The static peers must be host:port entries separated by spaces, such as "
                       "192.168.1.20:41770 build-server:41770 (ports 1 to 65535)."));
        showPage(PeerCachingPage);
        m_peer->focusStaticPeers();
        return;
    }

    // The login entry first: if it cannot be written, the preference is not saved either.
    const bool atLogin = m_general->startAtLogin();
    QString error;
    if (!DesktopSettings::writeAutostartEntry(atLogin, &error)) {
        showMessage(atLogin ? tr("Could not set Ferry to start at login: %1").arg(error)
                            : tr("Could not stop Ferry from starting at login: %1").arg(error));
        return;
    }

    m_settings->setDownloadFolder(folder);
    m_settings->setDropBehaviour(m_general->queueDropsDirectly() ? DesktopSettings::DropBehaviour::QueueDirectly
                                                           : DesktopSettings::DropBehaviour::AskWithNewJobDialog);
    m_settings->setStartMinimized(m_general->startMinimized());
    m_settings->setStartAtLogin(atLogin);
    m_settings->setWatchClipboard(m_general->watchClipboard());
    if (!m_settings->sync(&error)) {
        showMessage(tr("Could not save the settings: %1.").arg(error));
        return;
    }
    m_general->setFolderText(m_settings->downloadFolder());
    emit desktopSettingsSaved();

    m_general->commitTypedNumbers(); // numbers typed and not yet taken
    m_peer->commitTypedNumbers();
    const QList<EngineChange> changes = m_client ? engineChanges() : QList<EngineChange>();
    if (changes.isEmpty()) {
        if (close)
            accept();
        return;
    }

    // One `setconfig` per change, answered in order; the engine's settings reach the client
    // before the last answer does, so they are the engine's values after all of them.
    m_closeWhenApplied = close;
    setApplying(true);
    QPointer<SettingsDialog> self(this);
    auto failures = std::make_shared<QList<EngineFailure>>();
    for (qsizetype i = 0; i < changes.size(); ++i) {
        const EngineChange c = changes[i];
        const bool last = i == changes.size() - 1;
        m_client->setSetting(c.key, c.value, [self, failures, c, last](const Status &s) {
            if (!s)
                failures->append({c.key, c.label, s});
            if (last && self)
                self->engineAnswered(*failures, self->m_client->settings());
        });
    }
}

void SettingsDialog::engineAnswered(const QList<EngineFailure> &failures, const EngineSettings &now)
{
    setApplying(false);
    // The engine's values now; a refused field keeps what the user asked for, so that OK tries
    // again (and Cancel leaves the engine as it is). A refused key is sent again on the next OK
    // even where the engine's copy already shows the value: the engine's setconfig changes its
    // copy before its store refuses to save it.
    m_retry.clear();
    for (const EngineFailure &f : failures)
        m_retry.insert(f.key);
    m_heardSettings = true;
    const EngineSettings previous = m_engine;
    m_engine = now;
    showEngine(now, previous, false);
    if (m_abandoned)
        return;
    if (failures.isEmpty()) {
        if (m_closeWhenApplied)
            accept();
        return;
    }
    QStringList lines;
    for (const EngineFailure &f : failures) {
        const QString reason = f.status.message.isEmpty() ? tr("the engine refused it") : f.status.message;
        lines << tr("Could not change %1: %2 (%3).").arg(f.label, reason, errorName(f.status.code));
    }
    showMessage(lines.join(QLatin1Char('\n')));
}

void SettingsDialog::done(int result)
{
    if (result != QDialog::Accepted && m_applying)
        m_abandoned = true;
    forgetNewKey(); // shown once: gone with the dialog
    if (m_importDialog)
        m_importDialog->reject();
    QDialog::done(result);
}

void SettingsDialog::setApplying(bool applying)
{
    m_applying = applying;
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!applying);
    m_buttons->button(QDialogButtonBox::Apply)->setEnabled(!applying);
}

void SettingsDialog::showMessage(const QString &text)
{
    m_message->setText(text);
    m_message->show();
}

void SettingsDialog::clearMessage()
{
    m_message->clear();
    m_message->hide();
}

} // namespace ferry
