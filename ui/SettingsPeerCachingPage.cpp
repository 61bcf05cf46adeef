#include "SettingsPeerCachingPage.h"

#include "ConfirmBox.h"
#include "core/EngineSettings.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStyle>
#include <QVBoxLayout>

namespace ferry {

namespace {

// The peer cache's settings (docs/peer-caching.md §2), in setconfig's ranges.
constexpr int CacheSizeMinPercent = 1;
constexpr int CacheSizeMaxPercent = 80;
constexpr int CacheAgeMinDays = 1;
constexpr int CacheAgeMaxDays = 120;
constexpr qint64 SecondsPerDay = 86400;
constexpr int TlsPortMin = 0;         // 0: any free port, advertised to the peers
constexpr int DiscoveryPortMin = 1;
constexpr int PortMax = 65535;

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

// The engine keeps the content age in seconds; the page shows whole days.
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

SettingsPeerCachingPage::SettingsPeerCachingPage(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("peerPage"));
    auto *layout = new QVBoxLayout(this);

    // Whether peer caching runs, and if not why: the first thing on the page.
    m_peerState = new QLabel(this);
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
    m_policyNote = new QLabel(this);
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
}

QWidget *SettingsPeerCachingPage::buildPeerCaching()
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
    connect(m_peerEnabled, &QCheckBox::toggled, this, &SettingsPeerCachingPage::updatePeerBoxes);

    m_requireDigest = checkBox(tr("Re&quire a strong digest from the origin server before using peers"),
                               tr("Require a strong digest from the origin server before using peers"),
                               QStringLiteral("requireOriginDigest"), group);
    m_requireDigest->setToolTip(tr("Download from peers only when the origin server publishes a SHA-256 or SHA-512 "
                                   "digest of the file, so that every byte from a peer is checked against the origin. "
                                   "Without it, the group key vouches for what peers send."));
    layout->addWidget(m_requireDigest);
    return group;
}

QWidget *SettingsPeerCachingPage::buildGroupKey()
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
    connect(m_createKey, &QPushButton::clicked, this, &SettingsPeerCachingPage::confirmCreateKey);
    connect(m_importKey, &QPushButton::clicked, this, &SettingsPeerCachingPage::importKeyClicked);
    connect(m_revokeKey, &QPushButton::clicked, this, &SettingsPeerCachingPage::confirmRevokeKey);

    return group;
}

QWidget *SettingsPeerCachingPage::buildCache()
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

QWidget *SettingsPeerCachingPage::buildNetwork()
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

void SettingsPeerCachingPage::showEngine(const EngineSettings &shown, const EngineSettings &previous, bool force)
{
    m_policySettings = shown.policySettings;
    m_policyFile = shown.policyFile;
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
    if (force || (parseStaticPeers(m_staticPeers->text(), &typed) && typed == previous.staticPeers))
        m_staticPeers->setText(shown.staticPeers.join(QLatin1Char(' ')));
    if (force || m_requireDigest->isChecked() == previous.requireOriginDigest)
        m_requireDigest->setChecked(shown.requireOriginDigest);
    updatePeerBoxes();
}

void SettingsPeerCachingPage::setEngineReachable(bool reachable)
{
    m_reachable = reachable;
    updatePeerBoxes();
}

void SettingsPeerCachingPage::updatePeerBoxes()
{
    const bool on = m_reachable && m_peerEnabled->isChecked();
    const QStringList &fixed = m_policySettings;
    const auto allow = [&fixed](QWidget *widget, const char *setting, bool enabled) {
        widget->setEnabled(enabled && !fixed.contains(QLatin1String(setting)));
    };
    allow(m_peerEnabled, "peerCachingEnabled", m_reachable);
    allow(m_peerClient, "peerCachingClient", on);
    allow(m_peerServer, "peerCachingServer", on);
    allow(m_cacheSize, "maxCacheSizePercent", m_reachable);
    allow(m_cacheAge, "maxContentAgeSec", m_reachable);
    allow(m_tlsPort, "tlsPort", m_reachable);
    allow(m_discoveryPort, "discoveryPort", m_reachable);
    allow(m_multicast, "multicast", m_reachable);
    allow(m_staticPeers, "staticPeers", m_reachable);
    allow(m_requireDigest, "requireOriginDigest", m_reachable);
    m_policyNote->setVisible(!fixed.isEmpty());
    m_policyNote->setText(tr("Settings greyed out here are fixed by the administrator's policy (%1).").arg(m_policyFile));
}

QList<SettingChange> SettingsPeerCachingPage::changes(const EngineSettings &engine, const QSet<QString> &retry) const
{
    QList<SettingChange> changes;
    const auto add = [&](const QString &key, bool changed, const QString &value, const QString &label) {
        if (changed || retry.contains(key))
            changes.append({key, value, label});
    };
    add(QStringLiteral("peerCachingEnabled"), m_peerEnabled->isChecked() != engine.peerCachingEnabled,
        flag(m_peerEnabled->isChecked()), tr("“Allow peer caching on this computer”"));
    add(QStringLiteral("peerCachingClient"), m_peerClient->isChecked() != engine.peerCachingClient,
        flag(m_peerClient->isChecked()), tr("“Download from peers”"));
    add(QStringLiteral("peerCachingServer"), m_peerServer->isChecked() != engine.peerCachingServer,
        flag(m_peerServer->isChecked()), tr("“Serve to peers”"));
    add(QStringLiteral("maxCacheSizePercent"), m_cacheSize->value() != engine.maxCacheSizePercent,
        QString::number(m_cacheSize->value()), tr("the cache size"));
    add(QStringLiteral("maxContentAgeSec"), m_cacheAge->value() != ageDays(engine.maxContentAgeSec),
        QString::number(qint64(m_cacheAge->value()) * SecondsPerDay), tr("how long content is kept"));
    add(QStringLiteral("tlsPort"), m_tlsPort->value() != engine.tlsPort, QString::number(m_tlsPort->value()),
        tr("the TLS port"));
    add(QStringLiteral("discoveryPort"), m_discoveryPort->value() != engine.discoveryPort,
        QString::number(m_discoveryPort->value()), tr("the discovery port"));
    add(QStringLiteral("multicast"), m_multicast->isChecked() != engine.multicast, flag(m_multicast->isChecked()),
        tr("“Find peers by multicast”"));
    QStringList peers;
    parseStaticPeers(m_staticPeers->text(), &peers); // checked by the dialog first
    add(QStringLiteral("staticPeers"), peers != engine.staticPeers, peers.join(QLatin1Char(' ')),
        tr("the static peers"));
    add(QStringLiteral("requireOriginDigest"), m_requireDigest->isChecked() != engine.requireOriginDigest,
        flag(m_requireDigest->isChecked()), tr("“Require a strong digest from the origin server”"));
    return changes;
}

void SettingsPeerCachingPage::commitTypedNumbers()
{
    for (QSpinBox *spin : {m_cacheSize, m_cacheAge, m_tlsPort, m_discoveryPort})
        spin->interpretText();
}

bool SettingsPeerCachingPage::staticPeersValid() const
{
    return parseStaticPeers(m_staticPeers->text());
}

void SettingsPeerCachingPage::focusStaticPeers()
{
    m_staticPeers->setFocus();
}

void SettingsPeerCachingPage::showReading()
{
    m_peerState->setText(tr("Reading the state of peer caching…"));
    m_peerState->show();
}

void SettingsPeerCachingPage::showPeerState(const QJsonObject &info)
{
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
    m_groupId = groupId;
    m_previousGroupId = previousId;
}

void SettingsPeerCachingPage::setKeyButtonsEnabled(bool enabled)
{
    m_keysReady = enabled;
    m_createKey->setEnabled(enabled);
    m_importKey->setEnabled(enabled);
    m_revokeKey->setEnabled(enabled);
}

void SettingsPeerCachingPage::confirmRevokeKey()
{
    if (!m_keysReady || m_previousGroupId.isEmpty())
        return;
    ConfirmBox{.title = tr("Revoke Previous Key"),
               .text = tr("This computer stops accepting the previous key, of group %1, at once. Computers that "
                          "hold only that key can no longer find this one or fetch from it until they import the "
                          "new key. Do this when the old key may have leaked.").arg(m_previousGroupId),
               .accessibleName = tr("Revoke the previous group key?"),
               .objectName = QStringLiteral("revokeKeyConfirm"),
               .confirmText = tr("Revoke Key"),
               .confirmAccessibleName = tr("Revoke the previous group key"),
               .confirmObjectName = QStringLiteral("confirmRevokeKey")}
        .open(this, [this] { emit revokeKeyConfirmed(); });
}

void SettingsPeerCachingPage::confirmCreateKey()
{
    if (!m_keysReady)
        return;
    const QString text =
        m_groupId.isEmpty()
            ? tr("Ferry creates a new random group key and keeps it in this computer's keychain. It is shown once, "
                 "right after it is created: import it on every other computer of the group.")
            : tr("The new key replaces the key of group %1 on this computer. Files from the old group are still "
                 "accepted for a while, but every other computer needs the new key: it is shown once, right after "
                 "it is created.").arg(m_groupId);
    ConfirmBox{.title = tr("Create Group Key"),
               .text = text,
               .accessibleName = tr("Create a new group key?"),
               .objectName = QStringLiteral("createKeyConfirm"),
               .confirmText = tr("Create Key"),
               .confirmAccessibleName = tr("Create the group key"),
               .confirmObjectName = QStringLiteral("confirmCreateKey")}
        .open(this, [this] { emit createKeyConfirmed(); });
}

} // namespace ferry
