#include "SettingsDialog.h"

#include "ConfirmBox.h"
#include "DesktopSettings.h"
#include "MessageLabel.h"
#include "PeerCache.h"

#include <QApplication>
#include <QButtonGroup>
#include <QCheckBox>
#include <QClipboard>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStyle>
#include <QTabWidget>
#include <QVBoxLayout>

namespace ferry {

namespace {

// The peer cache's settings (docs/peer-caching.md §2), in JobManager::setSetting's ranges.
constexpr int CacheSizeMinPercent = 1;
constexpr int CacheSizeMaxPercent = 80;
constexpr int CacheAgeMinDays = 1;
constexpr int CacheAgeMaxDays = 120;
constexpr qint64 SecondsPerDay = 86400;
constexpr int TlsPortMin = 0;         // 0: any free port, advertised to the peers
constexpr int DiscoveryPortMin = 1;
constexpr int PortMax = 65535;

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

// The engine keeps the content age in seconds; the dialog shows whole days.
int ageDays(qint64 seconds)
{
    return int(qBound(qint64(CacheAgeMinDays), (seconds + SecondsPerDay / 2) / SecondsPerDay, qint64(CacheAgeMaxDays)));
}

QSpinBox *spinBox(const QString &accessibleName, const QString &objectName, int min, int max, QWidget *parent)
{
    auto *spin = new QSpinBox(parent);
    spin->setObjectName(objectName);
    spin->setAccessibleName(accessibleName);
    spin->setRange(min, max);
    return spin;
}

QPushButton *pushButton(const QString &text, const QString &accessibleName, const QString &objectName, QWidget *parent)
{
    auto *button = new QPushButton(text, parent);
    button->setObjectName(objectName);
    button->setAccessibleName(accessibleName);
    button->setAutoDefault(false);
    return button;
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
    m_pages->addTab(buildGeneralPage(), tr("&General"));
    m_pages->addTab(buildPeerPage(), tr("P&eer caching"));

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_pages, 1);
    layout->addWidget(m_message);
    layout->addWidget(m_buttons);

    loadDesktop();
    showEngine(m_engine, m_engine, true);

    if (m_jobs) {
        // Queued in the real application: the manager lives on the engine thread.
        connect(m_jobs, &JobManager::settingsChanged, this, &SettingsDialog::onSettingsChanged);
        resync();
    } else {
        for (QWidget *w : std::initializer_list<QWidget *>{m_maxBackgroundJobs, m_peerEnabled, m_cacheSize, m_cacheAge,
                                                           m_tlsPort, m_discoveryPort, m_multicast, m_staticPeers,
                                                           m_requireDigest})
            w->setEnabled(false);
    }
    updatePeerBoxes();
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

QWidget *SettingsDialog::buildGeneralPage()
{
    auto *page = new QWidget(this);
    page->setObjectName(QStringLiteral("generalPage"));
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(buildDownloads());
    layout->addWidget(buildEngine());
    layout->addWidget(buildDesktop());
    layout->addStretch(1);
    return page;
}

QWidget *SettingsDialog::buildPeerPage()
{
    auto *page = new QWidget(this);
    page->setObjectName(QStringLiteral("peerPage"));
    auto *layout = new QVBoxLayout(page);

    // Whether peer caching runs, and if not why: the first thing on the page.
    m_peerState = new QLabel(page);
    m_peerState->setObjectName(QStringLiteral("peerState"));
    m_peerState->setAccessibleName(tr("Peer caching state"));
    m_peerState->setTextFormat(Qt::PlainText);
    m_peerState->setWordWrap(true);
    m_peerState->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_peerState->setFrameShape(QFrame::StyledPanel);
    m_peerState->setMargin(6);
    QFont bold = m_peerState->font();
    bold.setBold(true);
    m_peerState->setFont(bold);
    // Settings the administrator's policy fixes: shown, but not editable here.
    m_policyNote = new QLabel(page);
    m_policyNote->setObjectName(QStringLiteral("policyNote"));
    m_policyNote->setWordWrap(true);
    m_policyNote->setVisible(false);
    m_peerState->hide(); // until a peer cache is set and has answered

    layout->addWidget(m_peerState);
    layout->addWidget(m_policyNote);
    layout->addWidget(buildPeerCaching());
    layout->addWidget(buildGroupKey());
    layout->addWidget(buildCache());
    layout->addWidget(buildNetwork());
    layout->addStretch(1);
    return page;
}

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

    m_requireDigest = checkBox(tr("Re&quire a strong digest from the origin server before using peers"),
                               tr("Require a strong digest from the origin server before using peers"),
                               QStringLiteral("requireOriginDigest"), group);
    m_requireDigest->setToolTip(tr("Download from peers only when the origin server publishes a SHA-256 or SHA-512 "
                                   "digest of the file, so that every byte from a peer is checked against the origin. "
                                   "Without it, the group key vouches for what peers send."));
    layout->addWidget(m_requireDigest);
    return group;
}

QWidget *SettingsDialog::buildGroupKey()
{
    auto *group = new QGroupBox(tr("Group key"), this);
    group->setAccessibleName(tr("Group key"));
    auto *layout = new QVBoxLayout(group);

    m_groupState = new QLabel(tr("The group key is managed by the running Ferry."), group);
    m_groupState->setObjectName(QStringLiteral("groupState"));
    m_groupState->setAccessibleName(tr("Group key state"));
    m_groupState->setTextFormat(Qt::PlainText);
    m_groupState->setWordWrap(true);
    m_groupState->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    layout->addWidget(m_groupState);
    group->setToolTip(tr("Computers share files only within a group: all of them hold the same key, kept in each "
                         "computer's keychain. Create the key on one computer and import it on the others."));

    auto *buttons = new QHBoxLayout;
    m_createKey = pushButton(tr("&Create group key…"), tr("Create a new group key"), QStringLiteral("createKey"), group);
    m_createKey->setToolTip(tr("Create a new random key for a group of computers. It is shown once, to be imported "
                               "on the other computers."));
    m_importKey = pushButton(tr("&Import group key…"), tr("Import the key of an existing group"),
                             QStringLiteral("importKey"), group);
    m_importKey->setToolTip(tr("Join the group of other computers with the key created on one of them."));
    m_revokeKey = pushButton(tr("&Revoke previous key…"), tr("Revoke the previous group key"),
                             QStringLiteral("revokeKey"), group);
    m_revokeKey->setToolTip(tr("Stop accepting the previous key now, instead of for a while after the change. Do it "
                               "when the old key may have leaked: computers that hold only the old key are shut out."));
    m_revokeKey->hide();
    buttons->addWidget(m_createKey);
    buttons->addWidget(m_importKey);
    buttons->addWidget(m_revokeKey);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    connect(m_createKey, &QPushButton::clicked, this, &SettingsDialog::confirmCreateKey);
    connect(m_importKey, &QPushButton::clicked, this, &SettingsDialog::openImportDialog);
    connect(m_revokeKey, &QPushButton::clicked, this, &SettingsDialog::confirmRevokeKey);

    return group;
}

QWidget *SettingsDialog::buildCache()
{
    auto *group = new QGroupBox(tr("Cache"), this);
    group->setAccessibleName(tr("Cache"));
    auto *layout = new QVBoxLayout(group);
    auto *form = new QFormLayout;
    m_cacheSize = spinBox(tr("Largest peer cache, in percent of the disk"), QStringLiteral("cacheSize"),
                          CacheSizeMinPercent, CacheSizeMaxPercent, group);
    m_cacheSize->setSuffix(tr(" % of the disk"));
    m_cacheSize->setToolTip(tr("The cache never grows beyond this share of the disk it is on; the files used least "
                               "recently make room first."));
    form->addRow(tr("Cache si&ze:"), m_cacheSize);
    m_cacheAge = spinBox(tr("Oldest content in the peer cache, in days since last use"), QStringLiteral("cacheAge"),
                         CacheAgeMinDays, CacheAgeMaxDays, group);
    m_cacheAge->setSuffix(tr(" days since last use"));
    m_cacheAge->setToolTip(tr("Files nobody used for this long leave the cache."));
    form->addRow(tr("&Keep content for:"), m_cacheAge);
    layout->addLayout(form);
    layout->addWidget(helpLabel(tr("About the cache"), QStringLiteral("cacheNote"),
                                tr("Files that jobs allowed to serve are copied into the cache once they are "
                                   "complete; the Peer Cache window lists them."),
                                group));
    return group;
}

QWidget *SettingsDialog::buildNetwork()
{
    auto *group = new QGroupBox(tr("Network"), this);
    group->setAccessibleName(tr("Peer caching network"));
    auto *form = new QFormLayout(group);
    m_tlsPort = spinBox(tr("TCP port of the peer server"), QStringLiteral("tlsPort"), TlsPortMin, PortMax, group);
    m_tlsPort->setSpecialValueText(tr("any free port"));
    m_tlsPort->setToolTip(tr("Where other computers fetch files from this one (TLS). 0 picks any free port and "
                             "tells the peers which."));
    form->addRow(tr("&TLS port:"), m_tlsPort);
    m_discoveryPort = spinBox(tr("UDP port for finding peers"), QStringLiteral("discoveryPort"), DiscoveryPortMin,
                              PortMax, group);
    m_discoveryPort->setToolTip(tr("Where computers of the group announce themselves and ask who holds a file. All "
                                   "computers of a group use the same port."));
    form->addRow(tr("Disc&overy port:"), m_discoveryPort);
    m_multicast = checkBox(tr("Find peers by &multicast on the local network"),
                           tr("Find peers by multicast on the local network"), QStringLiteral("multicast"), group);
    m_multicast->setToolTip(tr("Off: only the static peers below are asked."));
    form->addRow(QString(), m_multicast);
    m_staticPeers = new QLineEdit(group);
    m_staticPeers->setObjectName(QStringLiteral("staticPeers"));
    m_staticPeers->setAccessibleName(tr("Static peers, as host:port separated by spaces"));
    m_staticPeers->setPlaceholderText(tr("host:port host:port …"));
    m_staticPeers->setToolTip(tr("Computers asked directly, where multicast does not reach: their names or addresses "
                                 "with their discovery port, separated by spaces, e.g. 192.168.1.20:41770 "
                                 "build-server:41770."));
    form->addRow(tr("Static pee&rs:"), m_staticPeers);
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
    if (force || m_cacheSize->value() == previous.maxCacheSizePercent)
        m_cacheSize->setValue(shown.maxCacheSizePercent);
    if (force || m_cacheAge->value() == ageDays(previous.maxContentAgeSec))
        m_cacheAge->setValue(ageDays(shown.maxContentAgeSec));
    if (force || m_tlsPort->value() == previous.tlsPort)
        m_tlsPort->setValue(shown.tlsPort);
    if (force || m_discoveryPort->value() == previous.discoveryPort)
        m_discoveryPort->setValue(shown.discoveryPort);
    if (force || m_multicast->isChecked() == previous.multicast)
        m_multicast->setChecked(shown.multicast);
    QStringList typed;
    if (force || (JobManager::parseStaticPeers(m_staticPeers->text(), &typed) && typed == previous.staticPeers))
        m_staticPeers->setText(shown.staticPeers.join(QLatin1Char(' ')));
    if (force || m_requireDigest->isChecked() == previous.requireOriginDigest)
        m_requireDigest->setChecked(shown.requireOriginDigest);
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
    const QStringList &fixed = m_engine.policySettings;
    const auto allow = [&fixed](QWidget *widget, const char *setting, bool enabled) {
        widget->setEnabled(enabled && !fixed.contains(QLatin1String(setting)));
    };
    allow(m_peerEnabled, "peerCachingEnabled", m_jobs);
    allow(m_peerClient, "peerCachingClient", on);
    allow(m_peerServer, "peerCachingServer", on);
    allow(m_cacheSize, "maxCacheSizePercent", m_jobs);
    allow(m_cacheAge, "maxContentAgeSec", m_jobs);
    allow(m_tlsPort, "tlsPort", m_jobs);
    allow(m_discoveryPort, "discoveryPort", m_jobs);
    allow(m_multicast, "multicast", m_jobs);
    allow(m_staticPeers, "staticPeers", m_jobs);
    allow(m_requireDigest, "requireOriginDigest", m_jobs);
    m_policyNote->setVisible(!fixed.isEmpty());
    m_policyNote->setText(tr("Settings greyed out here are fixed by the administrator's policy (%1).").arg(m_engine.policyFile));
}


void SettingsDialog::setPeerCache(peercache::PeerCache *cache)
{
    Q_ASSERT(!m_cache);
    m_cache = cache;
    if (!m_cache)
        return;
    // Emitted on the engine thread: the state is read again there, answered here.
    connect(m_cache, &peercache::PeerCache::stateChanged, this, &SettingsDialog::refreshPeerState, Qt::QueuedConnection);
    connect(m_cache->group(), &peercache::PeerGroup::keysChanged, this, &SettingsDialog::refreshPeerState,
            Qt::QueuedConnection);
    m_peerState->setText(tr("Reading the state of peer caching…"));
    m_peerState->show();
    updateKeyButtons();
    refreshPeerState();
}

void SettingsDialog::refreshPeerState()
{
    if (!m_cache)
        return;
    QPointer<SettingsDialog> self(this);
    QObject *home = QCoreApplication::instance();
    QMetaObject::invokeMethod(m_cache, [cache = m_cache, self, home] {
        const QJsonObject info = cache->info();
        QMetaObject::invokeMethod(home, [self, info] {
            if (self)
                self->showPeerState(info);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void SettingsDialog::showPeerState(const QJsonObject &info)
{
    m_peerInfo = info;
    const bool active = info.value(QLatin1String("active")).toBool();
    const QString reason = info.value(QLatin1String("reason")).toString();
    m_peerState->setText(active ? tr("Peer caching is on.") : tr("Peer caching is off: %1").arg(reason));
    m_peerState->setProperty("peerCachingOn", active);
    m_peerState->show();

    const QString groupId = info.value(QLatin1String("groupId")).toString();
    const QString previousId = info.value(QLatin1String("previousGroupId")).toString();
    if (groupId.isEmpty())
        m_groupState->setText(tr("This computer belongs to no group yet. Computers share files only within a group: "
                                 "create a group key on one computer and import it on the others."));
    else if (previousId.isEmpty())
        m_groupState->setText(tr("Group: %1").arg(groupId));
    else
        m_groupState->setText(tr("Group: %1 (the previous key, of group %2, is still accepted)").arg(groupId, previousId));
    m_revokeKey->setVisible(!groupId.isEmpty() && !previousId.isEmpty());
    updateKeyButtons();
}

void SettingsDialog::updateKeyButtons()
{
    const bool ready = m_cache && !m_keyBusy;
    m_createKey->setEnabled(ready);
    m_importKey->setEnabled(ready);
    m_revokeKey->setEnabled(ready);
}

void SettingsDialog::confirmRevokeKey()
{
    const QString previousId = m_peerInfo.value(QLatin1String("previousGroupId")).toString();
    if (!m_cache || m_keyBusy || previousId.isEmpty())
        return;
    ConfirmBox{.title = tr("Revoke Previous Key"),
               .text = tr("This computer stops accepting the previous key, of group %1, at once. Computers that "
                          "hold only that key can no longer find this one or fetch from it until they import the "
                          "new key. Do this when the old key may have leaked.").arg(previousId),
               .accessibleName = tr("Revoke the previous group key?"),
               .objectName = QStringLiteral("revokeKeyConfirm"),
               .confirmText = tr("Revoke Key"),
               .confirmAccessibleName = tr("Revoke the previous group key"),
               .confirmObjectName = QStringLiteral("confirmRevokeKey")}
        .open(this, [this] { revokeKey(); });
}

void SettingsDialog::revokeKey()
{
    if (!m_cache || m_keyBusy)
        return;
    clearMessage();
    m_keyBusy = true;
    updateKeyButtons();
    QPointer<SettingsDialog> self(this);
    QObject *home = QCoreApplication::instance();
    QMetaObject::invokeMethod(m_cache, [cache = m_cache, self, home] {
        cache->group()->revokePrevious([self, home](const Status &status) {
            QMetaObject::invokeMethod(home, [self, status] {
                if (self)
                    self->keyRevoked(status);
            }, Qt::QueuedConnection);
        });
    }, Qt::QueuedConnection);
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

void SettingsDialog::confirmCreateKey()
{
    if (!m_cache || m_keyBusy)
        return;
    const QString groupId = m_peerInfo.value(QLatin1String("groupId")).toString();
    const QString text =
        groupId.isEmpty()
            ? tr("Ferry creates a new random group key and keeps it in this computer's keychain. It is shown once, "
                 "right after it is created: import it on every other computer of the group.")
            : tr("The new key replaces the key of group %1 on this computer. Files from the old group are still "
                 "accepted for a while, but every other computer needs the new key: it is shown once, right after "
                 "it is created.").arg(groupId);
    ConfirmBox{.title = tr("Create Group Key"),
               .text = text,
               .accessibleName = tr("Create a new group key?"),
               .objectName = QStringLiteral("createKeyConfirm"),
               .confirmText = tr("Create Key"),
               .confirmAccessibleName = tr("Create the group key"),
               .confirmObjectName = QStringLiteral("confirmCreateKey")}
        .open(this, [this] { createKey(); });
}

void SettingsDialog::createKey()
{
    if (!m_cache || m_keyBusy)
        return;
    clearMessage();
    forgetNewKey();
    m_keyBusy = true;
    updateKeyButtons();
    QPointer<SettingsDialog> self(this);
    QObject *home = QCoreApplication::instance();
    QMetaObject::invokeMethod(m_cache, [cache = m_cache, self, home] {
        // The keychain answers later, still on the engine thread.
        cache->group()->create([self, home](const Status &status, const QString &base32) {
            QMetaObject::invokeMethod(home, [self, status, base32] {
                if (self)
                    self->keyCreated(status, base32);
            }, Qt::QueuedConnection);
        });
    }, Qt::QueuedConnection);
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
    auto *dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("newKeyDialog"));
    dialog->setWindowTitle(tr("New Group Key"));
    dialog->setAccessibleName(tr("The new group key"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto *layout = new QVBoxLayout(dialog);
    auto *intro = new QLabel(key ? tr("This computer now belongs to group %1. To add another computer to the group, "
                                      "import this key there:").arg(key->groupId())
                                 : tr("To add another computer to the group, import this key there:"),
                             dialog);
    intro->setTextFormat(Qt::PlainText);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto *row = new QHBoxLayout;
    auto *edit = new QLineEdit(base32, dialog);
    edit->setObjectName(QStringLiteral("newKey"));
    edit->setAccessibleName(tr("The new group key"));
    edit->setReadOnly(true);
    edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    edit->setMinimumWidth(edit->fontMetrics().horizontalAdvance(base32) + 2 * edit->fontMetrics().averageCharWidth() + 12);
    auto *copy = pushButton(tr("&Copy"), tr("Copy the new group key"), QStringLiteral("copyKey"), dialog);
    row->addWidget(edit, 1);
    row->addWidget(copy);
    layout->addLayout(row);

    auto *note = new QLabel(tr("This key is shown only now. Copy it and keep it safe until it is imported on the "
                               "other computers: Ferry keeps it only in this computer's keychain and does not show it "
                               "again."),
                            dialog);
    note->setObjectName(QStringLiteral("newKeyNote"));
    note->setAccessibleName(tr("About the new group key"));
    note->setTextFormat(Qt::PlainText);
    note->setWordWrap(true);
    QFont bold = note->font();
    bold.setBold(true);
    note->setFont(bold);
    layout->addWidget(note);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    buttons->setObjectName(QStringLiteral("newKeyButtons"));
    buttons->setAccessibleName(tr("Dialog buttons"));
    buttons->button(QDialogButtonBox::Close)->setAccessibleName(tr("Close"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    connect(copy, &QPushButton::clicked, edit, [edit] { QGuiApplication::clipboard()->setText(edit->text()); });
    connect(dialog, &QDialog::finished, edit, &QLineEdit::clear);

    m_newKeyDialog = dialog;
    dialog->open();
    edit->setFocus();
    edit->selectAll();
}

void SettingsDialog::forgetNewKey()
{
    if (!m_newKeyDialog)
        return;
    if (auto *edit = m_newKeyDialog->findChild<QLineEdit *>(QStringLiteral("newKey")))
        edit->clear();
    m_newKeyDialog->close();
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
    auto *dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("importKeyDialog"));
    dialog->setWindowTitle(tr("Import Group Key"));
    dialog->setAccessibleName(tr("Import a group key"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto *layout = new QVBoxLayout(dialog);
    auto *intro = new QLabel(tr("Paste the group key shown on the computer that created it. This computer then "
                                "shares files with the computers of that group; the key is kept in its keychain."),
                             dialog);
    intro->setWordWrap(true);
    intro->setTextFormat(Qt::PlainText);
    layout->addWidget(intro);
    auto *form = new QFormLayout;
    auto *edit = new QLineEdit(dialog);
    edit->setObjectName(QStringLiteral("importKeyText"));
    edit->setAccessibleName(tr("Group key to import"));
    edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    form->addRow(tr("Group &key:"), edit);
    layout->addLayout(form);
    auto *message = new MessageLabel(dialog);
    message->setObjectName(QStringLiteral("importMessage"));
    layout->addWidget(message);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, dialog);
    buttons->setObjectName(QStringLiteral("importButtons"));
    buttons->setAccessibleName(tr("Dialog buttons"));
    QPushButton *ok = buttons->button(QDialogButtonBox::Ok);
    ok->setText(tr("&Import"));
    ok->setAccessibleName(tr("Import the group key"));
    buttons->button(QDialogButtonBox::Cancel)->setAccessibleName(tr("Cancel"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    connect(dialog, &QDialog::finished, edit, &QLineEdit::clear); // the key is not kept
    connect(buttons, &QDialogButtonBox::accepted, dialog, [this, dialog, edit, message, ok] {
        const QString text = edit->text().trimmed();
        if (text.isEmpty()) {
            message->setText(tr("Paste the group key first."));
            message->show();
            edit->setFocus();
            return;
        }
        message->hide();
        ok->setEnabled(false);
        m_keyBusy = true;
        updateKeyButtons();
        QPointer<SettingsDialog> self(this);
        QPointer<QDialog> guard(dialog);
        QObject *home = QCoreApplication::instance();
        QMetaObject::invokeMethod(m_cache, [cache = m_cache, text, self, guard, message, ok, home] {
            cache->group()->import(text, [self, guard, message, ok, home](const Status &status) {
                QMetaObject::invokeMethod(home, [self, guard, message, ok, status] {
                    if (!self)
                        return;
                    self->m_keyBusy = false;
                    self->updateKeyButtons();
                    self->refreshPeerState();
                    if (!guard)
                        return;
                    if (status) {
                        guard->accept();
                        return;
                    }
                    // message and ok belong to the dialog: alive while it is.
                    const QString reason = status.message.isEmpty() ? tr("the engine refused it") : status.message;
                    message->setText(tr("Could not import the group key: %1 (%2).").arg(reason, errorName(status.code)));
                    message->show();
                    ok->setEnabled(true);
                }, Qt::QueuedConnection);
            });
        }, Qt::QueuedConnection);
    });
    m_importDialog = dialog;
    dialog->open();
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
    add(QStringLiteral("maxCacheSizePercent"), m_cacheSize->value() != m_engine.maxCacheSizePercent,
        QString::number(m_cacheSize->value()), tr("the cache size"));
    add(QStringLiteral("maxContentAgeSec"), m_cacheAge->value() != ageDays(m_engine.maxContentAgeSec),
        QString::number(qint64(m_cacheAge->value()) * SecondsPerDay), tr("how long content is kept"));
    add(QStringLiteral("tlsPort"), m_tlsPort->value() != m_engine.tlsPort, QString::number(m_tlsPort->value()),
        tr("the TLS port"));
    add(QStringLiteral("discoveryPort"), m_discoveryPort->value() != m_engine.discoveryPort,
        QString::number(m_discoveryPort->value()), tr("the discovery port"));
    add(QStringLiteral("multicast"), m_multicast->isChecked() != m_engine.multicast, flag(m_multicast->isChecked()),
        tr("“Find peers by multicast”"));
    QStringList peers;
    JobManager::parseStaticPeers(m_staticPeers->text(), &peers); // checked by apply() first
    add(QStringLiteral("staticPeers"), peers != m_engine.staticPeers, peers.join(QLatin1Char(' ')),
        tr("the static peers"));
    add(QStringLiteral("requireOriginDigest"), m_requireDigest->isChecked() != m_engine.requireOriginDigest,
        flag(m_requireDigest->isChecked()), tr("“Require a strong digest from the origin server”"));
    return changes;
}

void SettingsDialog::apply(bool close)
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
    if (m_jobs && !JobManager::parseStaticPeers(m_staticPeers->text())) {
        showMessage(tr("The static peers must be host:port entries separated by spaces, such as "
                       "192.168.1.20:41770 build-server:41770 (ports 1 to 65535)."));
        showPage(PeerCachingPage);
        m_staticPeers->setFocus();
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

    for (QSpinBox *spin : {m_maxBackgroundJobs, m_cacheSize, m_cacheAge, m_tlsPort, m_discoveryPort})
        spin->interpretText(); // a number typed and not yet taken
    const QList<EngineChange> changes = m_jobs ? engineChanges() : QList<EngineChange>();
    if (changes.isEmpty()) {
        if (close)
            accept();
        return;
    }

    // Every change in one queued call; the answer is posted to the application object (on
    // this thread), so that the pointer to this dialog is only ever looked at here.
    m_closeWhenApplied = close;
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
