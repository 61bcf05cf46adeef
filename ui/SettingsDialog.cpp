#include "SettingsDialog.h"

#include "DesktopSettings.h"
#include "MessageLabel.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QStyle>
#include <QVBoxLayout>

namespace ferry {

namespace {

// Peer-caching cache caps (peer-caching.md §2): not engine settings yet, shown for what is to come.
constexpr int CacheSizeMinPercent = 1;
constexpr int CacheSizeMaxPercent = 80;
constexpr int CacheSizeDefaultPercent = 1;
constexpr int CacheAgeMinDays = 1;
constexpr int CacheAgeMaxDays = 120;
constexpr int CacheAgeDefaultDays = 90;

constexpr int MaxBackgroundJobsMin = 1;   // JobManager::setSetting's range
constexpr int MaxBackgroundJobsMax = 64;

QLabel *helpLabel(const QString &accessibleName, const QString &objectName, const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setObjectName(objectName);
    label->setAccessibleName(accessibleName);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    QFont small = label->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    label->setFont(small);
    return label;
}

QCheckBox *checkBox(const QString &text, const QString &accessibleName, const QString &objectName, QWidget *parent)
{
    auto *box = new QCheckBox(text, parent);
    box->setObjectName(objectName);
    box->setAccessibleName(accessibleName);
    return box;
}

// A sub-option, indented under the option it depends on.
QWidget *indented(QWidget *child, QWidget *parent)
{
    auto *holder = new QWidget(parent);
    auto *row = new QHBoxLayout(holder);
    const int indent = parent->style()->pixelMetric(QStyle::PM_IndicatorWidth)
                       + parent->style()->pixelMetric(QStyle::PM_CheckBoxLabelSpacing);
    row->setContentsMargins(indent, 0, 0, 0);
    child->setParent(holder);
    row->addWidget(child);
    return holder;
}

QString flag(bool on)
{
    return on ? QStringLiteral("1") : QStringLiteral("0");
}

} // namespace

SettingsDialog::SettingsDialog(JobManager *jobs, DesktopSettings *settings, const EngineSettings &engine, QWidget *parent)
    : QDialog(parent)
    , m_jobs(jobs)
    , m_settings(settings)
    , m_engine(engine)
{
    Q_ASSERT(settings);
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Ferry Settings"));
    setAccessibleName(tr("Settings"));

    m_message = new MessageLabel(this);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->setObjectName(QStringLiteral("buttons"));
    m_buttons->setAccessibleName(tr("Dialog buttons"));
    m_buttons->button(QDialogButtonBox::Ok)->setAccessibleName(tr("OK"));
    m_buttons->button(QDialogButtonBox::Cancel)->setAccessibleName(tr("Cancel"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::apply);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buildDownloads());
    layout->addWidget(buildEngine());
    layout->addWidget(buildPeerCaching());
    layout->addWidget(buildDesktop());
    layout->addStretch(1);
    layout->addWidget(m_message);
    layout->addWidget(m_buttons);

    loadDesktop();
    showEngine(m_engine, m_engine, true);

    if (m_jobs) {
        // Queued in the real application: the manager lives on the engine thread.
        connect(m_jobs, &JobManager::settingsChanged, this, &SettingsDialog::onSettingsChanged);
        resync();
    } else {
        for (QWidget *w : std::initializer_list<QWidget *>{m_maxBackgroundJobs, m_peerEnabled})
            w->setEnabled(false);
    }
    updatePeerBoxes();
}

SettingsDialog::~SettingsDialog() = default;

QWidget *SettingsDialog::buildDownloads()
{
    auto *group = new QGroupBox(tr("Downloads"), this);
    group->setAccessibleName(tr("Downloads"));
    auto *form = new QFormLayout(group);

    auto *folderRow = new QWidget(group);
    auto *row = new QHBoxLayout(folderRow);
    row->setContentsMargins(0, 0, 0, 0);
    m_folder = new QLineEdit(folderRow);
    m_folder->setObjectName(QStringLiteral("folder"));
    m_folder->setAccessibleName(tr("Default download folder"));
    m_folder->setToolTip(tr("Where new jobs put their files unless you choose another folder for them."));
    m_browse = new QPushButton(tr("&Browse…"), folderRow);
    m_browse->setObjectName(QStringLiteral("browse"));
    m_browse->setAccessibleName(tr("Browse for the default download folder"));
    m_browse->setAutoDefault(false);
    row->addWidget(m_folder, 1);
    row->addWidget(m_browse);
    auto *folderLabel = new QLabel(tr("Default download &folder:"), group);
    folderLabel->setBuddy(m_folder);
    form->addRow(folderLabel, folderRow);
    connect(m_browse, &QPushButton::clicked, this, &SettingsDialog::browse);

    auto *dropBox = new QWidget(group);
    dropBox->setAccessibleName(tr("When links are dropped on the window"));
    auto *dropLayout = new QVBoxLayout(dropBox);
    dropLayout->setContentsMargins(0, 0, 0, 0);
    m_dropAsk = new QRadioButton(tr("&Ask with the New Job dialog"), dropBox);
    m_dropAsk->setObjectName(QStringLiteral("dropAsk"));
    m_dropAsk->setAccessibleName(tr("Dropped links: ask with the New Job dialog"));
    m_dropAsk->setToolTip(tr("Open the New Job dialog with the dropped links, to check the names and the folder first."));
    m_dropDirect = new QRadioButton(tr("&Queue them at once"), dropBox);
    m_dropDirect->setObjectName(QStringLiteral("dropDirect"));
    m_dropDirect->setAccessibleName(tr("Dropped links: queue them at once"));
    m_dropDirect->setToolTip(tr("Every dropped link becomes a job in the default download folder straight away."));
    m_dropGroup = new QButtonGroup(this);
    m_dropGroup->addButton(m_dropAsk);
    m_dropGroup->addButton(m_dropDirect);
    dropLayout->addWidget(m_dropAsk);
    dropLayout->addWidget(m_dropDirect);
    form->addRow(tr("Dropped links:"), dropBox);
    return group;
}

QWidget *SettingsDialog::buildEngine()
{
    auto *group = new QGroupBox(tr("Transfers"), this);
    group->setAccessibleName(tr("Transfers"));
    auto *form = new QFormLayout(group);
    m_maxBackgroundJobs = new QSpinBox(group);
    m_maxBackgroundJobs->setObjectName(QStringLiteral("maxBackgroundJobs"));
    m_maxBackgroundJobs->setAccessibleName(tr("Maximum concurrent background jobs"));
    m_maxBackgroundJobs->setRange(MaxBackgroundJobsMin, MaxBackgroundJobsMax);
    m_maxBackgroundJobs->setToolTip(tr("How many jobs of high, normal or low priority may transfer at the same time. "
                                       "Foreground jobs always start at once and are not counted."));
    form->addRow(tr("&Concurrent background jobs:"), m_maxBackgroundJobs);
    return group;
}

QWidget *SettingsDialog::buildPeerCaching()
{
    auto *group = new QGroupBox(tr("Peer caching on this computer"), this);
    group->setAccessibleName(tr("Peer caching on this computer"));
    auto *layout = new QVBoxLayout(group);

    m_peerEnabled = checkBox(tr("Allow &peer caching on this computer"), tr("Allow peer caching on this computer"),
                             QStringLiteral("peerEnabled"), group);
    m_peerEnabled->setToolTip(tr("Let jobs share their files with other computers on the local network. Each job "
                                 "also has to allow it in its own properties."));
    m_peerClient = checkBox(tr("&Download from peers"), tr("Download from peers"), QStringLiteral("peerClient"), group);
    m_peerClient->setToolTip(tr("Jobs may fetch files from other computers on the local network that already hold "
                                "them; the origin server still vouches for the content."));
    m_peerServer = checkBox(tr("&Serve to peers"), tr("Serve to peers"), QStringLiteral("peerServer"), group);
    m_peerServer->setToolTip(tr("Other computers on the local network may fetch files that jobs downloaded here."));
    layout->addWidget(m_peerEnabled);
    layout->addWidget(indented(m_peerClient, group));
    layout->addWidget(indented(m_peerServer, group));
    connect(m_peerEnabled, &QCheckBox::toggled, this, &SettingsDialog::updatePeerBoxes);

    auto *form = new QFormLayout;
    m_cacheSize = new QSpinBox(group);
    m_cacheSize->setObjectName(QStringLiteral("cacheSize"));
    m_cacheSize->setAccessibleName(tr("Largest peer cache, in percent of the disk"));
    m_cacheSize->setRange(CacheSizeMinPercent, CacheSizeMaxPercent);
    m_cacheSize->setValue(CacheSizeDefaultPercent);
    m_cacheSize->setSuffix(tr(" % of the disk"));
    m_cacheSize->setEnabled(false);
    form->addRow(tr("Cache si&ze:"), m_cacheSize);
    m_cacheAge = new QSpinBox(group);
    m_cacheAge->setObjectName(QStringLiteral("cacheAge"));
    m_cacheAge->setAccessibleName(tr("Oldest content in the peer cache, in days since last use"));
    m_cacheAge->setRange(CacheAgeMinDays, CacheAgeMaxDays);
    m_cacheAge->setValue(CacheAgeDefaultDays);
    m_cacheAge->setSuffix(tr(" days since last use"));
    m_cacheAge->setEnabled(false);
    form->addRow(tr("&Keep content for:"), m_cacheAge);
    layout->addLayout(form);
    layout->addWidget(helpLabel(tr("About the cache limits"), QStringLiteral("cacheNote"),
                                tr("The cache limits are available with peer caching: this version of Ferry keeps "
                                   "no peer cache yet, so they cannot be changed."),
                                group));
    return group;
}

QWidget *SettingsDialog::buildDesktop()
{
    auto *group = new QGroupBox(tr("Desktop"), this);
    group->setAccessibleName(tr("Desktop"));
    auto *layout = new QVBoxLayout(group);
    m_startMinimized = checkBox(tr("Start &minimized to the tray"), tr("Start minimized to the tray"),
                                QStringLiteral("startMinimized"), group);
    m_startMinimized->setToolTip(tr("Start without showing the window, where there is a tray to keep Ferry in."));
    m_startAtLogin = checkBox(tr("Start when I &log in"), tr("Start when I log in"), QStringLiteral("startAtLogin"), group);
    m_startAtLogin->setToolTip(tr("Start Ferry in the tray at login, so that background jobs go on."));
    m_watchClipboard = checkBox(tr("&Watch the clipboard for links"), tr("Watch the clipboard for links"),
                                QStringLiteral("watchClipboard"), group);
    m_watchClipboard->setToolTip(tr("Offer to download a link when one is copied."));
    layout->addWidget(m_startMinimized);
    layout->addWidget(m_startAtLogin);
    layout->addWidget(m_watchClipboard);
    return group;
}

void SettingsDialog::loadDesktop()
{
    m_folder->setText(QDir::toNativeSeparators(m_settings->downloadFolder()));
    const bool direct = m_settings->dropBehaviour() == DesktopSettings::DropBehaviour::QueueDirectly;
    m_dropDirect->setChecked(direct);
    m_dropAsk->setChecked(!direct);
    m_startMinimized->setChecked(m_settings->startMinimized());
    m_startAtLogin->setChecked(m_settings->startAtLogin());
    m_watchClipboard->setChecked(m_settings->watchClipboard());
}

// Shows the engine's values; a field the user changed (it no longer shows `previous`) keeps
// the user's value unless force.
void SettingsDialog::showEngine(const EngineSettings &shown, const EngineSettings &previous, bool force)
{
    if (force || m_maxBackgroundJobs->value() == previous.maxBackgroundJobs)
        m_maxBackgroundJobs->setValue(shown.maxBackgroundJobs);
    if (force || m_peerEnabled->isChecked() == previous.peerCachingEnabled)
        m_peerEnabled->setChecked(shown.peerCachingEnabled);
    if (force || m_peerClient->isChecked() == previous.peerCachingClient)
        m_peerClient->setChecked(shown.peerCachingClient);
    if (force || m_peerServer->isChecked() == previous.peerCachingServer)
        m_peerServer->setChecked(shown.peerCachingServer);
    updatePeerBoxes();
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
    // What changed between the caller's copy and the connection was announced to no one here.
    QPointer<SettingsDialog> self(this);
    QObject *home = QCoreApplication::instance();
    QMetaObject::invokeMethod(m_jobs, [jobs = m_jobs, self, home] {
        const EngineSettings settings = jobs->settings();
        QMetaObject::invokeMethod(home, [self, settings] {
            // A signal heard since the connection carries the whole, newer state: it wins.
            if (self && !self->m_heardSettings)
                self->onSettingsChanged(settings);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void SettingsDialog::updatePeerBoxes()
{
    const bool on = m_jobs && m_peerEnabled->isChecked();
    m_peerClient->setEnabled(on);
    m_peerServer->setEnabled(on);
}

void SettingsDialog::browse()
{
    // Not exec(): the event loop (and the engine's answers) go on while the user picks.
    auto *picker = new QFileDialog(this, tr("Default Download Folder"), QDir::fromNativeSeparators(m_folder->text()));
    picker->setObjectName(QStringLiteral("folderPicker"));
    picker->setAccessibleName(tr("Choose the default download folder"));
    picker->setFileMode(QFileDialog::Directory);
    picker->setOption(QFileDialog::ShowDirsOnly);
    picker->setAttribute(Qt::WA_DeleteOnClose);
    connect(picker, &QFileDialog::fileSelected, this, [this](const QString &folder) {
        if (!folder.isEmpty())
            m_folder->setText(QDir::toNativeSeparators(folder));
    });
    picker->open();
}

QList<SettingsDialog::EngineChange> SettingsDialog::engineChanges() const
{
    QList<EngineChange> changes;
    const auto add = [&](const QString &key, bool changed, const QString &value, const QString &label) {
        if (changed || m_retry.contains(key))
            changes.append({key, value, label});
    };
    add(QStringLiteral("maxBackgroundJobs"), m_maxBackgroundJobs->value() != m_engine.maxBackgroundJobs,
        QString::number(m_maxBackgroundJobs->value()), tr("the number of concurrent background jobs"));
    add(QStringLiteral("peerCachingEnabled"), m_peerEnabled->isChecked() != m_engine.peerCachingEnabled,
        flag(m_peerEnabled->isChecked()), tr("“Allow peer caching on this computer”"));
    add(QStringLiteral("peerCachingClient"), m_peerClient->isChecked() != m_engine.peerCachingClient,
        flag(m_peerClient->isChecked()), tr("“Download from peers”"));
    add(QStringLiteral("peerCachingServer"), m_peerServer->isChecked() != m_engine.peerCachingServer,
        flag(m_peerServer->isChecked()), tr("“Serve to peers”"));
    return changes;
}

void SettingsDialog::apply()
{
    if (m_applying)
        return;
    m_abandoned = false;
    clearMessage();

    // The folder: a full path ("~/" is the home folder), and not a file.
    QString folder = QDir::fromNativeSeparators(m_folder->text().trimmed());
    if (folder == QLatin1String("~") || folder.startsWith(QLatin1String("~/")))
        folder = QDir::homePath() + folder.mid(1);
    if (folder.isEmpty()) {
        showMessage(tr("Choose a default download folder."));
        m_folder->setFocus();
        return;
    }
    if (!QDir::isAbsolutePath(folder)) {
        showMessage(tr("The default download folder must be a full path, such as %1.")
                        .arg(QDir::toNativeSeparators(DesktopSettings::defaultDownloadFolder())));
        m_folder->setFocus();
        return;
    }
    const QFileInfo info(folder);
    if (info.exists() && !info.isDir()) {
        showMessage(tr("%1 is a file, not a folder.").arg(QDir::toNativeSeparators(folder)));
        m_folder->setFocus();
        return;
    }

    // The login entry first: if it cannot be written, the preference is not saved either.
    const bool atLogin = m_startAtLogin->isChecked();
    QString error;
    if (!DesktopSettings::writeAutostartEntry(atLogin, &error)) {
        showMessage(atLogin ? tr("Could not set Ferry to start at login: %1").arg(error)
                            : tr("Could not stop Ferry from starting at login: %1").arg(error));
        return;
    }

    m_settings->setDownloadFolder(folder);
    m_settings->setDropBehaviour(m_dropDirect->isChecked() ? DesktopSettings::DropBehaviour::QueueDirectly
                                                           : DesktopSettings::DropBehaviour::AskWithNewJobDialog);
    m_settings->setStartMinimized(m_startMinimized->isChecked());
    m_settings->setStartAtLogin(atLogin);
    m_settings->setWatchClipboard(m_watchClipboard->isChecked());
    if (!m_settings->sync(&error)) {
        showMessage(tr("Could not save the settings: %1.").arg(error));
        return;
    }
    m_folder->setText(QDir::toNativeSeparators(m_settings->downloadFolder()));
    emit desktopSettingsSaved();

    m_maxBackgroundJobs->interpretText(); // a number typed and not yet taken
    const QList<EngineChange> changes = m_jobs ? engineChanges() : QList<EngineChange>();
    if (changes.isEmpty()) {
        accept();
        return;
    }

    // Every change in one queued call; the answer is posted to the application object (on
    // this thread), so that the pointer to this dialog is only ever looked at here.
    setApplying(true);
    QPointer<SettingsDialog> self(this);
    QObject *home = QCoreApplication::instance();
    QMetaObject::invokeMethod(m_jobs, [jobs = m_jobs, changes, self, home] {
        QList<EngineFailure> failures;
        for (const EngineChange &c : changes) {
            const Status s = jobs->setSetting(c.key, c.value);
            if (!s)
                failures.append({c.key, c.label, s});
        }
        const EngineSettings now = jobs->settings();
        QMetaObject::invokeMethod(home, [self, failures, now] {
            if (self)
                self->engineAnswered(failures, now);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void SettingsDialog::engineAnswered(const QList<EngineFailure> &failures, const EngineSettings &now)
{
    setApplying(false);
    // The engine's values now; a refused field keeps what the user asked for, so that OK tries
    // again (and Cancel leaves the engine as it is). A refused key is sent again on the next OK
    // even where the engine's copy already shows the value: JobManager::setSetting changes its
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
    QDialog::done(result);
}

void SettingsDialog::setApplying(bool applying)
{
    m_applying = applying;
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!applying);
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
