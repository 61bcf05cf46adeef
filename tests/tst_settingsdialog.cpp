// The settings dialog against a real in-process engine (EngineFixture): engine settings reach
// the engine through one queued call on OK and survive its restart; the window's own
// preferences land in QSettings and the XDG autostart entry, both under a private
// XDG_CONFIG_HOME set before the application object exists.
#include "EngineClient.h"
#include "EngineFixture.h"

#include "DesktopSettings.h"
#include "jobs/JobManager.h"
#include "peercache/PeerCache.h"
#include "SettingsDialog.h"
#include "store/JobStore.h"

#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QScopeGuard>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QUdpSocket>

#include <memory>

using namespace ferry;
using namespace ferry::test;

namespace {

// Set by main() before the application object exists: QSettings and QStandardPaths read it once.
QString g_configHome;

bool keychainRequired() { return qEnvironmentVariableIntValue("FERRY_REQUIRE_KEYCHAIN") == 1; }

// A UDP port nobody uses right now, for the peer cache's discovery.
int freeUdpPort()
{
    QUdpSocket socket;
    return socket.bind(QHostAddress::LocalHost, 0) ? socket.localPort() : 0;
}

} // namespace

class tst_SettingsDialog : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void desktopDefaults();
    void everyControlHasAnAccessibleName();
    void fieldsShowTheEngineAndTheDesktopSettings();
    void engineSettingsChangeAndSurviveRestart();
    void inactivityDaysReachTheEngine();
    void onlyChangedKeysAreSent();
    void subBoxesDisabledWhilePeerCachingIsOff();
    void followsTheEngineWithoutClobberingAnEdit();
    void cacheCapsFollowTheEngine();
    void peerSettingsReachTheEngine();
    void policyFixedSettingsAreGreyedOut();
    void staticPeersAreValidated();
    void applyKeepsTheDialogOpen();
    void peerPageShowsOffWithTheReason();
    void createGroupKeyShowsItOnceAndTurnsOn();
    void importRefusesAMalformedKey();
    void importTakesAValidKey();
    void revokePreviousKeyAfterConfirmation();
    void startAtLoginWritesAndRemovesTheAutostartEntry();
    void desktopSettingsPersist();
    void folderMustBeAFullPath();
    void browsePicksAFolder();
    void cancelChangesNothing();
    void engineRefusalShowsAMessageAndKeepsTheDialogOpen();

private:
    std::unique_ptr<SettingsDialog> open();
    // A PeerCache on the fixture's manager and store, started; the dialog is given it.
    void startPeerCache();
    std::unique_ptr<SettingsDialog> openWithPeerCache();
    template <typename T>
    static T *find(QWidget *dialog, const char *name)
    {
        T *w = dialog->findChild<T *>(QLatin1String(name));
        if (!w)
            qWarning("no %s named %s", T::staticMetaObject.className(), name);
        return w;
    }
    static QPushButton *okButton(QWidget *dialog)
    {
        auto *box = find<QDialogButtonBox>(dialog, "buttons");
        return box ? box->button(QDialogButtonBox::Ok) : nullptr;
    }
    static QPushButton *applyButton(QWidget *dialog)
    {
        auto *box = find<QDialogButtonBox>(dialog, "buttons");
        return box ? box->button(QDialogButtonBox::Apply) : nullptr;
    }
    static void setSpin(QSpinBox *spin, int value)
    {
        spin->setFocus();
        spin->selectAll();
        QTest::keyClicks(spin, QString::number(value));
    }
    bool execOnDatabase(const QString &sql);
    bool dropRefusal();
    static QString autostartPath() { return g_configHome + QLatin1String("/autostart/ferry.desktop"); }
    static QString settingsPath() { return g_configHome + QLatin1String("/ferry/ferry.conf"); }

    std::unique_ptr<EngineFixture> m_f;
    std::vector<std::unique_ptr<EngineClient>> m_clients; // one per dialog opened
    EngineClient *newClient()
    {
        m_clients.push_back(std::make_unique<EngineClient>(m_f->service()));
        return m_clients.back().get();
    }
    std::unique_ptr<peercache::PeerCache> m_cache;
    std::unique_ptr<DesktopSettings> m_settings;
};

void tst_SettingsDialog::initTestCase()
{
    QVERIFY(!g_configHome.isEmpty());
    QCOMPARE(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation), g_configHome);
    // Where QSettings("ferry", "ferry") lands: the real file, under the private config home.
    QCOMPARE(DesktopSettings().fileName(), settingsPath());
    QCOMPARE(DesktopSettings::autostartEntryPath(), autostartPath());
}

void tst_SettingsDialog::init()
{
    {
        QSettings s(QStringLiteral("ferry"), QStringLiteral("ferry"));
        s.clear();
        s.sync();
    }
    QFile::remove(autostartPath());
    m_settings = std::make_unique<DesktopSettings>();
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
}

void tst_SettingsDialog::cleanup()
{
    m_clients.clear();
    if (m_f)
        m_f->attachPeerCache(nullptr); // the service lets go of it first
    m_cache.reset(); // before the manager it plans for
    m_f.reset();
    m_settings.reset();
}

std::unique_ptr<SettingsDialog> tst_SettingsDialog::open()
{
    auto dialog = std::make_unique<SettingsDialog>(newClient(), m_settings.get(), m_f->jobs()->settings(), nullptr);
    dialog->show();
    if (!QTest::qWaitForWindowExposed(dialog.get()))
        qWarning("the dialog was not exposed");
    return dialog;
}

void tst_SettingsDialog::startPeerCache()
{
    m_cache = std::make_unique<peercache::PeerCache>(m_f->store(), m_f->databasePath(),
                                                     m_f->profileDir() + QLatin1String("/peercache"));
    m_f->attachPeerCache(m_cache.get());
    m_cache->start();
}

std::unique_ptr<SettingsDialog> tst_SettingsDialog::openWithPeerCache()
{
    if (!m_cache)
        startPeerCache();
    auto dialog = std::make_unique<SettingsDialog>(newClient(), m_settings.get(), m_f->jobs()->settings(), nullptr);
    dialog->setPeerCacheAvailable(true);
    dialog->showPage(SettingsDialog::PeerCachingPage);
    dialog->show();
    if (!QTest::qWaitForWindowExposed(dialog.get()))
        qWarning("the dialog was not exposed");
    return dialog;
}

void tst_SettingsDialog::desktopDefaults()
{
    const DesktopSettings s;
    const QString downloads = QStandardPaths::writableLocation(QStandardPaths::DownloadLocation);
    QCOMPARE(s.downloadFolder(), downloads.isEmpty() ? QDir::homePath() : downloads);
    QCOMPARE(s.dropBehaviour(), DesktopSettings::DropBehaviour::AskWithNewJobDialog);
    QVERIFY(!s.startMinimized());
    QVERIFY(!s.startAtLogin());
    QVERIFY(!s.watchClipboard());
    QVERIFY(!DesktopSettings::hasAutostartEntry());
}

void tst_SettingsDialog::everyControlHasAnAccessibleName()
{
    auto d = open();
    int controls = 0;
    for (QWidget *w : d->findChildren<QWidget *>()) {
        if (!(qobject_cast<QAbstractButton *>(w) || qobject_cast<QAbstractSpinBox *>(w) || qobject_cast<QComboBox *>(w)
              || (qobject_cast<QLineEdit *>(w) && !qobject_cast<QAbstractSpinBox *>(w->parentWidget()))))
            continue;
        ++controls;
        QVERIFY2(!w->accessibleName().isEmpty(),
                 qPrintable(QStringLiteral("%1 \"%2\" has no accessible name")
                                .arg(QLatin1String(w->metaObject()->className()), w->objectName())));
    }
    QVERIFY(controls >= 22);
    for (const char *name : {"folder", "maxBackgroundJobs", "jobInactivityDays", "peerEnabled", "peerClient", "peerServer",
                             "cacheSize", "cacheAge", "tlsPort", "discoveryPort", "multicast", "staticPeers",
                             "requireOriginDigest", "peerState", "groupState", "createKey", "importKey", "dropDirect",
                             "dropAsk", "startMinimized", "startAtLogin", "watchClipboard", "message", "buttons", "apply",
                             "pages"})
        QVERIFY2(d->findChild<QWidget *>(QLatin1String(name)), name);
}

void tst_SettingsDialog::fieldsShowTheEngineAndTheDesktopSettings()
{
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("maxBackgroundJobs"), QStringLiteral("7")));
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingEnabled"), QStringLiteral("1")));
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingServer"), QStringLiteral("0")));
    const QString folder = QDir(g_configHome).filePath(QStringLiteral("shown"));
    m_settings->setDownloadFolder(folder);
    m_settings->setDropBehaviour(DesktopSettings::DropBehaviour::QueueDirectly);
    m_settings->setWatchClipboard(true);

    auto d = open();
    QCOMPARE(find<QSpinBox>(d.get(), "maxBackgroundJobs")->value(), 7);
    QVERIFY(find<QCheckBox>(d.get(), "peerEnabled")->isChecked());
    QVERIFY(find<QCheckBox>(d.get(), "peerClient")->isChecked());
    QVERIFY(!find<QCheckBox>(d.get(), "peerServer")->isChecked());
    QCOMPARE(find<QLineEdit>(d.get(), "folder")->text(), QDir::toNativeSeparators(folder));
    QVERIFY(find<QRadioButton>(d.get(), "dropDirect")->isChecked());
    QVERIFY(!find<QRadioButton>(d.get(), "dropAsk")->isChecked());
    QVERIFY(find<QCheckBox>(d.get(), "watchClipboard")->isChecked());
    QVERIFY(!find<QCheckBox>(d.get(), "startMinimized")->isChecked());
    QVERIFY(!find<QCheckBox>(d.get(), "startAtLogin")->isChecked());
    QVERIFY(find<QLabel>(d.get(), "message")->isHidden());
}

// "Cancel inactive jobs after N days": the engine's jobInactivityDays, within setconfig's range.
void tst_SettingsDialog::inactivityDaysReachTheEngine()
{
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("jobInactivityDays"), QStringLiteral("30")));
    auto d = open();
    auto *spin = find<QSpinBox>(d.get(), "jobInactivityDays");
    QVERIFY(spin);
    QCOMPARE(spin->value(), 30);
    QCOMPARE(spin->minimum(), 1);
    QCOMPARE(spin->maximum(), 999);
    QVERIFY(!spin->accessibleName().isEmpty());
    spin->setFocus();
    spin->selectAll();
    QTest::keyClicks(spin, QStringLiteral("7"));
    QSignalSpy accepted(d.get(), &QDialog::accepted);
    okButton(d.get())->click();
    QTRY_COMPARE(m_f->jobs()->settings().jobInactivityDays, 7);
    QTRY_COMPARE(accepted.size(), 1);
    QCOMPARE(m_f->jobs()->settings().maxBackgroundJobs, 1); // nothing else was sent
}

void tst_SettingsDialog::engineSettingsChangeAndSurviveRestart()
{
    const EngineSettings before = m_f->jobs()->settings();
    QCOMPARE(before.maxBackgroundJobs, 1);
    QVERIFY(!before.peerCachingEnabled);
    QVERIFY(before.peerCachingClient);
    QVERIFY(before.peerCachingServer);

    {
        auto d = open();
        auto *spin = find<QSpinBox>(d.get(), "maxBackgroundJobs");
        spin->setFocus();
        spin->selectAll();
        QTest::keyClicks(spin, QStringLiteral("12"));
        find<QCheckBox>(d.get(), "peerEnabled")->click();
        find<QCheckBox>(d.get(), "peerClient")->click();
        find<QCheckBox>(d.get(), "peerServer")->click();
        QSignalSpy accepted(d.get(), &QDialog::accepted);
        okButton(d.get())->click();
        // Nothing blocks: the engine is reached through the event loop.
        QCOMPARE(m_f->jobs()->settings().maxBackgroundJobs, 1);
        QTRY_COMPARE(m_f->jobs()->settings().maxBackgroundJobs, 12);
        const EngineSettings after = m_f->jobs()->settings();
        QVERIFY(after.peerCachingEnabled);
        QVERIFY(!after.peerCachingClient);
        QVERIFY(!after.peerCachingServer);
        QTRY_COMPARE(accepted.size(), 1);
        QCOMPARE(d->result(), int(QDialog::Accepted));
        QVERIFY(!d->isVisible());
        QVERIFY(find<QLabel>(d.get(), "message")->isHidden());
    }

    m_f->restart();
    const EngineSettings restarted = m_f->jobs()->settings();
    QCOMPARE(restarted.maxBackgroundJobs, 12);
    QVERIFY(restarted.peerCachingEnabled);
    QVERIFY(!restarted.peerCachingClient);
    QVERIFY(!restarted.peerCachingServer);

    // And a dialog opened on the restarted engine shows them.
    auto d = open();
    QCOMPARE(find<QSpinBox>(d.get(), "maxBackgroundJobs")->value(), 12);
    QVERIFY(find<QCheckBox>(d.get(), "peerEnabled")->isChecked());
    QVERIFY(!find<QCheckBox>(d.get(), "peerClient")->isChecked());
    QVERIFY(!find<QCheckBox>(d.get(), "peerServer")->isChecked());
}

void tst_SettingsDialog::onlyChangedKeysAreSent()
{
    int changes = 0;
    connect(m_f->jobs(), &JobManager::settingsChanged, this, [&changes] { ++changes; });
    {
        auto d = open();
        QSignalSpy accepted(d.get(), &QDialog::accepted);
        okButton(d.get())->click(); // nothing changed: no engine call at all
        QCOMPARE(accepted.size(), 1);
    }
    QTest::qWait(50);
    QCOMPARE(changes, 0);

    auto d = open();
    find<QCheckBox>(d.get(), "peerEnabled")->click();
    QSignalSpy accepted(d.get(), &QDialog::accepted);
    okButton(d.get())->click();
    QTRY_COMPARE(accepted.size(), 1);
    QCOMPARE(changes, 1);
    QVERIFY(m_f->jobs()->settings().peerCachingEnabled);
}

void tst_SettingsDialog::subBoxesDisabledWhilePeerCachingIsOff()
{
    auto d = open();
    auto *enabled = find<QCheckBox>(d.get(), "peerEnabled");
    auto *client = find<QCheckBox>(d.get(), "peerClient");
    auto *server = find<QCheckBox>(d.get(), "peerServer");
    QVERIFY(enabled->isEnabled());
    QVERIFY(!enabled->isChecked());
    QVERIFY(!client->isEnabled());
    QVERIFY(!server->isEnabled());
    // What they will mean once it is on: the engine's values.
    QVERIFY(client->isChecked());
    QVERIFY(server->isChecked());

    enabled->click();
    QVERIFY(client->isEnabled());
    QVERIFY(server->isEnabled());
    enabled->click();
    QVERIFY(!client->isEnabled());
    QVERIFY(!server->isEnabled());

    // The same when the engine turns it on (ferry-admin, another window).
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingEnabled"), QStringLiteral("1")));
    QTRY_VERIFY(enabled->isChecked());
    QVERIFY(client->isEnabled());
    QVERIFY(server->isEnabled());
}

void tst_SettingsDialog::followsTheEngineWithoutClobberingAnEdit()
{
    auto d = open();
    auto *spin = find<QSpinBox>(d.get(), "maxBackgroundJobs");
    auto *server = find<QCheckBox>(d.get(), "peerServer");
    find<QCheckBox>(d.get(), "peerEnabled")->click();
    server->click(); // the user's edit: off
    QVERIFY(!server->isChecked());

    // Someone else changes the engine while the dialog is open.
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("maxBackgroundJobs"), QStringLiteral("3")));
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingClient"), QStringLiteral("0")));
    QTRY_COMPARE(spin->value(), 3);                                     // untouched: follows
    QTRY_VERIFY(!find<QCheckBox>(d.get(), "peerClient")->isChecked());  // untouched: follows
    QVERIFY(!server->isChecked());                                      // edited: kept
    QCOMPARE(d->engineSettings().maxBackgroundJobs, 3);

    // OK sends the user's edits only; the other change stays.
    QSignalSpy accepted(d.get(), &QDialog::accepted);
    okButton(d.get())->click();
    QTRY_COMPARE(accepted.size(), 1);
    const EngineSettings s = m_f->jobs()->settings();
    QCOMPARE(s.maxBackgroundJobs, 3);
    QVERIFY(s.peerCachingEnabled);
    QVERIFY(!s.peerCachingClient);
    QVERIFY(!s.peerCachingServer);
}

void tst_SettingsDialog::cacheCapsFollowTheEngine()
{
    auto d = open();
    auto *size = find<QSpinBox>(d.get(), "cacheSize");
    auto *age = find<QSpinBox>(d.get(), "cacheAge");
    QVERIFY(size && age);
    // docs/peer-caching.md §2: 1–80 % (default 1), 1–120 days (default 90); editable now.
    QVERIFY(size->isEnabled());
    QVERIFY(age->isEnabled());
    QCOMPARE(size->value(), 1);
    QCOMPARE(size->minimum(), 1);
    QCOMPARE(size->maximum(), 80);
    QCOMPARE(age->value(), 90);
    QCOMPARE(age->minimum(), 1);
    QCOMPARE(age->maximum(), 120);
    QCOMPARE(find<QSpinBox>(d.get(), "tlsPort")->value(), 41771);
    QCOMPARE(find<QSpinBox>(d.get(), "discoveryPort")->value(), 41770);
    QVERIFY(find<QCheckBox>(d.get(), "multicast")->isChecked());
    QVERIFY(find<QLineEdit>(d.get(), "staticPeers")->text().isEmpty());
    QVERIFY(!find<QCheckBox>(d.get(), "requireOriginDigest")->isChecked());

    // Someone else changes them (ferry-admin cache set): the untouched fields follow.
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("maxCacheSizePercent"), QStringLiteral("7")));
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("maxContentAgeSec"), QString::number(10 * 86400)));
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("staticPeers"), QStringLiteral("10.0.0.2:41770 [::1]:41772")));
    QTRY_COMPARE(size->value(), 7);
    QCOMPARE(age->value(), 10);
    QCOMPARE(find<QLineEdit>(d.get(), "staticPeers")->text(), QStringLiteral("10.0.0.2:41770 [::1]:41772"));

    // A content age of a day and a half shows as 2 days and is not sent back unless edited.
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("maxContentAgeSec"), QString::number(86400 + 43200)));
    QTRY_COMPARE(age->value(), 2);
    int changes = 0;
    connect(m_f->jobs(), &JobManager::settingsChanged, this, [&changes] { ++changes; });
    QSignalSpy accepted(d.get(), &QDialog::accepted);
    okButton(d.get())->click();
    QCOMPARE(accepted.size(), 1);
    QTest::qWait(50);
    QCOMPARE(changes, 0);
    QCOMPARE(m_f->jobs()->settings().maxContentAgeSec, 86400 + 43200);
}

// The administrator's ferry/peercache.conf (here in a private XDG_CONFIG_DIRS) fixes settings:
// the page shows them, greyed out, and says why.
void tst_SettingsDialog::policyFixedSettingsAreGreyedOut()
{
    QTemporaryDir policy;
    QVERIFY(QDir().mkpath(policy.filePath(QStringLiteral("ferry"))));
    QFile conf(policy.filePath(QStringLiteral("ferry/peercache.conf")));
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write("[peercache]\nmaxCacheSizePercent=7\nmulticast=false\n");
    conf.close();
    const QByteArray before = qgetenv("XDG_CONFIG_DIRS");
    qputenv("XDG_CONFIG_DIRS", policy.path().toLocal8Bit());
    const auto restore = qScopeGuard([&] {
        if (before.isNull())
            qunsetenv("XDG_CONFIG_DIRS");
        else
            qputenv("XDG_CONFIG_DIRS", before);
        m_f->restart();
    });
    m_f->restart(); // the engine reads the policy when it starts
    QCOMPARE(m_f->jobs()->settings().maxCacheSizePercent, 7);
    auto d = open();
    auto *size = find<QSpinBox>(d.get(), "cacheSize");
    QCOMPARE(size->value(), 7);
    QVERIFY(!size->isEnabled());
    QVERIFY(!find<QCheckBox>(d.get(), "multicast")->isEnabled());
    QVERIFY(!find<QCheckBox>(d.get(), "multicast")->isChecked());
    QVERIFY(find<QSpinBox>(d.get(), "cacheAge")->isEnabled()); // not in the policy
    auto *note = find<QLabel>(d.get(), "policyNote");
    QVERIFY(!note->isHidden()); // on the peer tab, which need not be the current one
    QVERIFY2(note->text().contains(conf.fileName()), qPrintable(note->text()));
}

void tst_SettingsDialog::peerSettingsReachTheEngine()
{
    {
        auto d = open();
        setSpin(find<QSpinBox>(d.get(), "cacheSize"), 5);
        setSpin(find<QSpinBox>(d.get(), "cacheAge"), 30);
        find<QSpinBox>(d.get(), "tlsPort")->setValue(0);
        QCOMPARE(find<QSpinBox>(d.get(), "tlsPort")->text(), QStringLiteral("any free port"));
        setSpin(find<QSpinBox>(d.get(), "discoveryPort"), 45000);
        find<QCheckBox>(d.get(), "multicast")->click();
        auto *peers = find<QLineEdit>(d.get(), "staticPeers");
        peers->setFocus();
        QTest::keyClicks(peers, QStringLiteral("127.0.0.1:45001  host-b:45002"));
        find<QCheckBox>(d.get(), "requireOriginDigest")->click();
        QSignalSpy accepted(d.get(), &QDialog::accepted);
        okButton(d.get())->click();
        QTRY_COMPARE(accepted.size(), 1);
        QVERIFY(find<QLabel>(d.get(), "message")->isHidden());
    }
    const auto check = [](const EngineSettings &s) {
        QCOMPARE(s.maxCacheSizePercent, 5);
        QCOMPARE(s.maxContentAgeSec, qint64(30) * 86400);
        QCOMPARE(s.tlsPort, 0);
        QCOMPARE(s.discoveryPort, 45000);
        QVERIFY(!s.multicast);
        QCOMPARE(s.staticPeers, (QStringList{QStringLiteral("127.0.0.1:45001"), QStringLiteral("host-b:45002")}));
        QVERIFY(s.requireOriginDigest);
    };
    check(m_f->jobs()->settings());
    if (QTest::currentTestFailed())
        return;
    m_f->restart();
    check(m_f->jobs()->settings());
    if (QTest::currentTestFailed())
        return;

    // Shown again as they are, and cleared again through the dialog.
    auto d = open();
    QCOMPARE(find<QSpinBox>(d.get(), "cacheSize")->value(), 5);
    QCOMPARE(find<QSpinBox>(d.get(), "cacheAge")->value(), 30);
    QCOMPARE(find<QSpinBox>(d.get(), "tlsPort")->value(), 0);
    QCOMPARE(find<QSpinBox>(d.get(), "discoveryPort")->value(), 45000);
    QVERIFY(!find<QCheckBox>(d.get(), "multicast")->isChecked());
    QCOMPARE(find<QLineEdit>(d.get(), "staticPeers")->text(), QStringLiteral("127.0.0.1:45001 host-b:45002"));
    QVERIFY(find<QCheckBox>(d.get(), "requireOriginDigest")->isChecked());
    find<QLineEdit>(d.get(), "staticPeers")->clear();
    QSignalSpy accepted(d.get(), &QDialog::accepted);
    okButton(d.get())->click();
    QTRY_COMPARE(accepted.size(), 1);
    QVERIFY(m_f->jobs()->settings().staticPeers.isEmpty());
}

void tst_SettingsDialog::staticPeersAreValidated()
{
    auto d = open();
    auto *peers = find<QLineEdit>(d.get(), "staticPeers");
    auto *message = find<QLabel>(d.get(), "message");
    int changes = 0;
    connect(m_f->jobs(), &JobManager::settingsChanged, this, [&changes] { ++changes; });
    for (const QString &bad : {QStringLiteral("no-port"), QStringLiteral("10.0.0.2:0"), QStringLiteral("10.0.0.2:70000"),
                               QStringLiteral("10.0.0.2:41770 http://x:1"), QStringLiteral("::1:41770")}) {
        peers->setText(bad);
        find<QSpinBox>(d.get(), "maxBackgroundJobs")->setValue(5);
        okButton(d.get())->click();
        QVERIFY2(d->isVisible(), qPrintable(bad));
        QVERIFY2(message->isVisible(), qPrintable(bad));
        QVERIFY2(message->text().contains(QLatin1String("host:port")), qPrintable(message->text()));
        QCOMPARE(find<QTabWidget>(d.get(), "pages")->currentIndex(), int(SettingsDialog::PeerCachingPage));
    }
    QTest::qWait(50);
    QCOMPARE(changes, 0); // nothing at all was sent
    QVERIFY(m_f->jobs()->settings().staticPeers.isEmpty());
    QCOMPARE(m_f->jobs()->settings().maxBackgroundJobs, 1);

    peers->setText(QStringLiteral("10.0.0.2:41770, [fe80::1]:41770;build-server.lan:41770"));
    QSignalSpy accepted(d.get(), &QDialog::accepted);
    okButton(d.get())->click();
    QTRY_COMPARE(accepted.size(), 1);
    QCOMPARE(m_f->jobs()->settings().staticPeers,
             (QStringList{QStringLiteral("10.0.0.2:41770"), QStringLiteral("[fe80::1]:41770"),
                          QStringLiteral("build-server.lan:41770")}));
    QCOMPARE(m_f->jobs()->settings().maxBackgroundJobs, 5);
}

void tst_SettingsDialog::applyKeepsTheDialogOpen()
{
    auto d = open();
    setSpin(find<QSpinBox>(d.get(), "cacheSize"), 3);
    QSignalSpy accepted(d.get(), &QDialog::accepted);
    QSignalSpy saved(d.get(), &SettingsDialog::desktopSettingsSaved);
    applyButton(d.get())->click();
    QVERIFY(!applyButton(d.get())->isEnabled()); // while the engine answers
    QTRY_COMPARE(m_f->jobs()->settings().maxCacheSizePercent, 3);
    QTRY_VERIFY(applyButton(d.get())->isEnabled());
    QCOMPARE(saved.size(), 1);
    QCOMPARE(accepted.size(), 0);
    QVERIFY(d->isVisible());
    QCOMPARE(d->engineSettings().maxCacheSizePercent, 3);
    // Nothing left to send: OK closes at once.
    okButton(d.get())->click();
    QCOMPARE(accepted.size(), 1);
}

void tst_SettingsDialog::peerPageShowsOffWithTheReason()
{
    // Without a peer cache (ferry-admin only, a test): no state and no key buttons.
    {
        auto d = open();
        QVERIFY(find<QLabel>(d.get(), "peerState")->isHidden());
        QVERIFY(!find<QPushButton>(d.get(), "createKey")->isEnabled());
        QVERIFY(!find<QPushButton>(d.get(), "importKey")->isEnabled());
    }

    auto d = openWithPeerCache();
    auto *state = find<QLabel>(d.get(), "peerState");
    auto *group = find<QLabel>(d.get(), "groupState");
    QVERIFY(!m_cache->isActive());
    const QString disabled = m_cache->offReason();
    QVERIFY2(disabled.contains(QLatin1String("disabled")), qPrintable(disabled));
    QTRY_COMPARE(state->text(), QStringLiteral("Peer caching is off: %1").arg(disabled));
    QVERIFY(state->isVisible());
    QVERIFY2(group->text().contains(QLatin1String("no group")), qPrintable(group->text()));
    QVERIFY(find<QPushButton>(d.get(), "createKey")->isEnabled());
    QVERIFY(find<QPushButton>(d.get(), "importKey")->isEnabled());
    QVERIFY(!d->findChild<QDialog *>(QStringLiteral("newKeyDialog")));

    // Enabled without a key: off, and now the key is why.
    find<QCheckBox>(d.get(), "peerEnabled")->click();
    applyButton(d.get())->click();
    QTRY_VERIFY(m_f->jobs()->settings().peerCachingEnabled);
    const QString noKey = m_cache->offReason();
    QVERIFY(!noKey.isEmpty());
    QVERIFY(noKey != disabled);
    QCOMPARE(noKey, m_cache->group()->reason());
    QTRY_COMPARE(state->text(), QStringLiteral("Peer caching is off: %1").arg(noKey));
    QVERIFY(d->isVisible());
    QCOMPARE(d->peerCacheInfo().value(QLatin1String("reason")).toString(), noKey);
}

void tst_SettingsDialog::createGroupKeyShowsItOnceAndTurnsOn()
{
    // On loopback ports of its own: nothing else on this computer is disturbed.
    const int discovery = freeUdpPort();
    QVERIFY(discovery > 0);
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("tlsPort"), QStringLiteral("0")));
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("discoveryPort"), QString::number(discovery)));
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("multicast"), QStringLiteral("0")));

    QString key;
    {
        auto d = openWithPeerCache();
        auto *state = find<QLabel>(d.get(), "peerState");
        auto *message = find<QLabel>(d.get(), "message");
        const auto keyDialog = [&d] { return d->findChild<QDialog *>(QStringLiteral("newKeyDialog")); };
        find<QCheckBox>(d.get(), "peerEnabled")->click();
        applyButton(d.get())->click();
        QTRY_VERIFY(m_f->jobs()->settings().peerCachingEnabled);
        QTRY_COMPARE(state->text(), QStringLiteral("Peer caching is off: %1").arg(m_cache->group()->reason()));

        // Confirmation first; cancelling it creates nothing.
        find<QPushButton>(d.get(), "createKey")->click();
        auto *confirm = d->findChild<QMessageBox *>(QStringLiteral("createKeyConfirm"));
        QVERIFY(confirm);
        QTRY_VERIFY(confirm->isVisible());
        confirm->button(QMessageBox::Cancel)->click();
        QTest::qWait(50);
        QVERIFY(!m_cache->group()->hasKey());
        QVERIFY(!keyDialog());

        QTRY_VERIFY(!d->findChild<QMessageBox *>(QStringLiteral("createKeyConfirm")));
        find<QPushButton>(d.get(), "createKey")->click();
        confirm = d->findChild<QMessageBox *>(QStringLiteral("createKeyConfirm"));
        QVERIFY(confirm);
        find<QPushButton>(confirm, "confirmCreateKey")->click();
        QTRY_VERIFY_WITH_TIMEOUT(keyDialog() || message->isVisible(), WaitMs);
        if (!keyDialog()) {
            QVERIFY2(!keychainRequired(), qPrintable(message->text()));
            QSKIP("no usable keychain here; tests/run.sh provides one");
        }
        QPointer<QDialog> shown = keyDialog();
        QTRY_VERIFY(shown->isVisible());
        auto *newKey = find<QLineEdit>(shown, "newKey");
        key = newKey->text();
        QVERIFY(!key.isEmpty());
        QVERIFY(newKey->isReadOnly());
        QVERIFY(find<QLabel>(shown, "newKeyNote")->isVisible());
        QVERIFY(find<QLabel>(shown, "newKeyNote")->text().contains(QLatin1String("shown only now")));
        const auto parsed = peercache::GroupKey::fromBase32(key);
        QVERIFY(parsed);
        QVERIFY(m_cache->group()->hasKey());
        QCOMPARE(parsed->groupId(), m_cache->group()->current()->groupId());

        // The state turns on, with the group.
        QTRY_COMPARE(state->text(), QStringLiteral("Peer caching is on."));
        QVERIFY(m_cache->isActive());
        QTRY_VERIFY(find<QLabel>(d.get(), "groupState")->text().contains(parsed->groupId()));
        QCOMPARE(d->peerCacheInfo().value(QLatin1String("groupId")).toString(), parsed->groupId());

        find<QPushButton>(shown, "copyKey")->click();
        QCOMPARE(QGuiApplication::clipboard()->text(), key);
        QGuiApplication::clipboard()->clear();

        // Closed: the key goes with its dialog.
        find<QDialogButtonBox>(shown, "newKeyButtons")->button(QDialogButtonBox::Close)->click();
        QVERIFY(newKey->text().isEmpty());
        QTRY_VERIFY(!shown);
        QVERIFY(d->isVisible());
        QVERIFY(!keyDialog());
    }

    // Never stored by the window: not in its settings file.
    QFile conf(settingsPath());
    if (conf.open(QIODevice::ReadOnly))
        QVERIFY(!conf.readAll().contains(key.toLatin1()));

    // Shown once: a dialog opened later shows the group, not the key.
    auto d = openWithPeerCache();
    QTRY_COMPARE(find<QLabel>(d.get(), "peerState")->text(), QStringLiteral("Peer caching is on."));
    QVERIFY(!d->findChild<QDialog *>(QStringLiteral("newKeyDialog")));
    QVERIFY(!d->findChild<QLineEdit *>(QStringLiteral("newKey")));
    QTRY_VERIFY(find<QLabel>(d.get(), "groupState")->text().contains(m_cache->group()->current()->groupId()));
}

void tst_SettingsDialog::importRefusesAMalformedKey()
{
    auto d = openWithPeerCache();
    find<QPushButton>(d.get(), "importKey")->click();
    auto *dialog = d->findChild<QDialog *>(QStringLiteral("importKeyDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    auto *edit = find<QLineEdit>(dialog, "importKeyText");
    auto *message = find<QLabel>(dialog, "importMessage");
    auto *ok = find<QDialogButtonBox>(dialog, "importButtons")->button(QDialogButtonBox::Ok);
    QVERIFY(message->isHidden());

    // Empty: said at once, nothing sent.
    ok->click();
    QVERIFY(message->isVisible());
    QVERIFY(dialog->isVisible());

    QTest::keyClicks(edit, QStringLiteral("NOT-A-GROUP-KEY-1"));
    ok->click();
    QTRY_VERIFY(message->text().startsWith(QLatin1String("Could not import the group key:")));
    QVERIFY2(message->text().contains(QLatin1String("not a group key")), qPrintable(message->text()));
    QVERIFY(message->isVisible());
    QVERIFY(dialog->isVisible());
    QVERIFY(ok->isEnabled()); // for another try
    QVERIFY(!m_cache->group()->hasKey());
    QVERIFY(find<QPushButton>(d.get(), "importKey")->isEnabled());

    // Cancel closes it; the text is not kept.
    QPointer<QDialog> guard(dialog);
    find<QDialogButtonBox>(dialog, "importButtons")->button(QDialogButtonBox::Cancel)->click();
    QTRY_VERIFY(!guard);
    QVERIFY(!m_cache->group()->hasKey());
}

void tst_SettingsDialog::importTakesAValidKey()
{
    const peercache::GroupKey key = peercache::GroupKey::generate();
    auto d = openWithPeerCache();
    find<QPushButton>(d.get(), "importKey")->click();
    QPointer<QDialog> dialog = d->findChild<QDialog *>(QStringLiteral("importKeyDialog"));
    QVERIFY(dialog);
    auto *message = find<QLabel>(dialog, "importMessage");
    // As pasted from another screen: lower case and grouped.
    QString grouped;
    const QString base32 = key.base32().toLower();
    for (int i = 0; i < base32.size(); i += 4)
        grouped += base32.mid(i, 4) + QLatin1Char(' ');
    find<QLineEdit>(dialog, "importKeyText")->setText(grouped);
    find<QDialogButtonBox>(dialog, "importButtons")->button(QDialogButtonBox::Ok)->click();
    QTRY_VERIFY_WITH_TIMEOUT(!dialog || message->isVisible(), WaitMs);
    if (dialog) {
        QVERIFY2(!keychainRequired(), qPrintable(message->text()));
        QSKIP("no usable keychain here; tests/run.sh provides one");
    }
    QVERIFY(m_cache->group()->hasKey());
    QCOMPARE(m_cache->group()->current()->groupId(), key.groupId());
    QTRY_VERIFY(find<QLabel>(d.get(), "groupState")->text().contains(key.groupId()));
    QVERIFY(!d->findChild<QDialog *>(QStringLiteral("newKeyDialog"))); // an imported key is not shown back
}

void tst_SettingsDialog::revokePreviousKeyAfterConfirmation()
{
    startPeerCache();
    const auto import = [this](const peercache::GroupKey &key) {
        std::optional<Status> done;
        m_cache->group()->import(key.base32(), [&done](const Status &s) { done = s; });
        return QTest::qWaitFor([&] { return done.has_value(); }, WaitMs) && *done;
    };
    const peercache::GroupKey first = peercache::GroupKey::generate(), second = peercache::GroupKey::generate();
    if (!import(first)) {
        QVERIFY2(!keychainRequired(), "the keychain refused the group key");
        QSKIP("no usable keychain here; tests/run.sh provides one");
    }
    {   // One key, nothing to revoke: no button.
        auto d = openWithPeerCache();
        QTRY_VERIFY(find<QLabel>(d.get(), "groupState")->text().contains(first.groupId()));
        QVERIFY(find<QPushButton>(d.get(), "revokeKey")->isHidden());
    }
    QVERIFY(import(second));   // a rotation: the first key is still accepted
    auto d = openWithPeerCache();
    auto *group = find<QLabel>(d.get(), "groupState");
    auto *revoke = find<QPushButton>(d.get(), "revokeKey");
    QTRY_VERIFY(revoke->isVisible());
    QVERIFY(group->text().contains(QLatin1String("still accepted")));
    QVERIFY(group->text().contains(first.groupId()));

    // Confirmation first; cancelling it changes nothing.
    revoke->click();
    QPointer<QMessageBox> confirm = d->findChild<QMessageBox *>(QStringLiteral("revokeKeyConfirm"));
    QVERIFY(confirm);
    QTRY_VERIFY(confirm->isVisible());
    QVERIFY(confirm->text().contains(first.groupId()));
    confirm->button(QMessageBox::Cancel)->click();
    QTRY_VERIFY(!confirm || !confirm->isVisible());
    QVERIFY(m_cache->group()->previous());
    QVERIFY(revoke->isVisible());

    QTRY_VERIFY(!d->findChild<QMessageBox *>(QStringLiteral("revokeKeyConfirm")));
    revoke->click();
    confirm = d->findChild<QMessageBox *>(QStringLiteral("revokeKeyConfirm"));
    QVERIFY(confirm);
    find<QPushButton>(confirm, "confirmRevokeKey")->click();
    QTRY_VERIFY_WITH_TIMEOUT(!m_cache->group()->previous(), WaitMs);
    QTRY_COMPARE(group->text(), QStringLiteral("Group: %1").arg(second.groupId()));
    QVERIFY(revoke->isHidden());
    QVERIFY(find<QLabel>(d.get(), "message")->isHidden());
    QCOMPARE(m_cache->group()->current()->groupId(), second.groupId());
}

void tst_SettingsDialog::startAtLoginWritesAndRemovesTheAutostartEntry()
{
    {
        auto d = open();
        auto *box = find<QCheckBox>(d.get(), "startAtLogin");
        box->click();
        QVERIFY(!QFileInfo::exists(autostartPath())); // not on every click: on OK
        okButton(d.get())->click();
        QCOMPARE(d->result(), int(QDialog::Accepted));
    }
    QFile file(autostartPath());
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(autostartPath()));
    const QList<QByteArray> lines = file.readAll().split('\n');
    file.close();
    QCOMPARE(lines.value(0), QByteArray("[Desktop Entry]"));
    QVERIFY(lines.contains("Type=Application"));
    QVERIFY(lines.contains("Name=Ferry"));
    QVERIFY(lines.contains("Exec=ferry --minimized"));
    QVERIFY(lines.contains("Icon=ferry"));
    QVERIFY(lines.contains("X-GNOME-Autostart-enabled=true"));
    QVERIFY(DesktopSettings().startAtLogin());
    QVERIFY(DesktopSettings::hasAutostartEntry());

    {
        auto d = open();
        auto *box = find<QCheckBox>(d.get(), "startAtLogin");
        QVERIFY(box->isChecked());
        box->click();
        QVERIFY(QFileInfo::exists(autostartPath()));
        okButton(d.get())->click();
        QCOMPARE(d->result(), int(QDialog::Accepted));
    }
    QVERIFY(!QFileInfo::exists(autostartPath()));
    QVERIFY(!DesktopSettings().startAtLogin());

    // Removing an entry that is not there is no error.
    QString error;
    QVERIFY2(DesktopSettings::writeAutostartEntry(false, &error), qPrintable(error));
}

void tst_SettingsDialog::desktopSettingsPersist()
{
    const QString folder = QDir(g_configHome).filePath(QStringLiteral("my downloads"));
    {
        auto d = open();
        auto *edit = find<QLineEdit>(d.get(), "folder");
        edit->selectAll();
        QTest::keyClicks(edit, folder);
        find<QRadioButton>(d.get(), "dropDirect")->click();
        find<QCheckBox>(d.get(), "startMinimized")->click();
        find<QCheckBox>(d.get(), "watchClipboard")->click();
        QSignalSpy saved(d.get(), &SettingsDialog::desktopSettingsSaved);
        okButton(d.get())->click();
        QCOMPARE(saved.size(), 1);
        QCOMPARE(d->result(), int(QDialog::Accepted));
    }
    // The real file, where QSettings("ferry", "ferry") keeps it.
    QVERIFY2(QFileInfo::exists(settingsPath()), qPrintable(settingsPath()));
    QSettings raw(settingsPath(), QSettings::IniFormat);
    QCOMPARE(raw.value(QStringLiteral("downloadFolder")).toString(), folder);
    QCOMPARE(raw.value(QStringLiteral("dropBehaviour")).toString(), QStringLiteral("queue"));

    const DesktopSettings fresh;
    QCOMPARE(fresh.downloadFolder(), folder);
    QCOMPARE(fresh.dropBehaviour(), DesktopSettings::DropBehaviour::QueueDirectly);
    QVERIFY(fresh.startMinimized());
    QVERIFY(fresh.watchClipboard());
    QVERIFY(!fresh.startAtLogin());

    // And back to asking.
    {
        auto d = open();
        QVERIFY(find<QRadioButton>(d.get(), "dropDirect")->isChecked());
        find<QRadioButton>(d.get(), "dropAsk")->click();
        find<QCheckBox>(d.get(), "watchClipboard")->click();
        okButton(d.get())->click();
    }
    const DesktopSettings again;
    QCOMPARE(again.dropBehaviour(), DesktopSettings::DropBehaviour::AskWithNewJobDialog);
    QVERIFY(!again.watchClipboard());
    QVERIFY(again.startMinimized());
}

void tst_SettingsDialog::folderMustBeAFullPath()
{
    auto d = open();
    auto *edit = find<QLineEdit>(d.get(), "folder");
    auto *message = find<QLabel>(d.get(), "message");

    edit->setText(QStringLiteral("relative/path"));
    okButton(d.get())->click();
    QVERIFY(d->isVisible());
    QVERIFY(message->isVisible());
    QVERIFY(!message->text().isEmpty());

    edit->clear();
    okButton(d.get())->click();
    QVERIFY(d->isVisible());
    QVERIFY(message->isVisible());

    edit->setText(settingsPath()); // a file
    okButton(d.get())->click();
    QVERIFY(d->isVisible());
    QVERIFY(message->text().contains(QDir::toNativeSeparators(settingsPath())));
    QCOMPARE(DesktopSettings().downloadFolder(), DesktopSettings::defaultDownloadFolder());

    edit->setText(QStringLiteral("~/Incoming"));
    okButton(d.get())->click();
    QCOMPARE(d->result(), int(QDialog::Accepted));
    QCOMPARE(DesktopSettings().downloadFolder(), QDir::homePath() + QLatin1String("/Incoming"));
}

void tst_SettingsDialog::browsePicksAFolder()
{
    QTemporaryDir picked;
    QVERIFY(picked.isValid());
    auto d = open();
    find<QPushButton>(d.get(), "browse")->click();
    auto *picker = d->findChild<QFileDialog *>(QStringLiteral("folderPicker"));
    QVERIFY(picker);
    QTRY_VERIFY(picker->isVisible());
    QVERIFY(d->isVisible()); // open(), not exec(): the dialog's event loop is not blocked
    emit picker->fileSelected(picked.path());
    QCOMPARE(find<QLineEdit>(d.get(), "folder")->text(), QDir::toNativeSeparators(picked.path()));
    picker->reject();
}

void tst_SettingsDialog::cancelChangesNothing()
{
    auto d = open();
    find<QSpinBox>(d.get(), "maxBackgroundJobs")->setValue(9);
    find<QCheckBox>(d.get(), "peerEnabled")->click();
    find<QCheckBox>(d.get(), "startAtLogin")->click();
    find<QCheckBox>(d.get(), "watchClipboard")->click();
    find<QLineEdit>(d.get(), "folder")->setText(QStringLiteral("/nowhere"));
    find<QDialogButtonBox>(d.get(), "buttons")->button(QDialogButtonBox::Cancel)->click();
    QCOMPARE(d->result(), int(QDialog::Rejected));
    QTest::qWait(50);
    QCOMPARE(m_f->jobs()->settings().maxBackgroundJobs, 1);
    QVERIFY(!m_f->jobs()->settings().peerCachingEnabled);
    QVERIFY(!QFileInfo::exists(autostartPath()));
    const DesktopSettings s;
    QVERIFY(!s.watchClipboard());
    QVERIFY(!s.startAtLogin());
    QCOMPARE(s.downloadFolder(), DesktopSettings::defaultDownloadFolder());
}

void tst_SettingsDialog::engineRefusalShowsAMessageAndKeepsTheDialogOpen()
{
    // The engine's store refuses to save maxBackgroundJobs (as a full or read-only disk would).
    QVERIFY(execOnDatabase(QStringLiteral("CREATE TRIGGER refuse BEFORE INSERT ON settings WHEN NEW.key = "
                                          "'maxBackgroundJobs' BEGIN SELECT RAISE(ABORT, 'refused'); END")));

    auto d = open();
    auto *message = find<QLabel>(d.get(), "message");
    find<QSpinBox>(d.get(), "maxBackgroundJobs")->setValue(4);
    find<QCheckBox>(d.get(), "peerEnabled")->click();
    QSignalSpy accepted(d.get(), &QDialog::accepted);
    okButton(d.get())->click();
    QVERIFY(!okButton(d.get())->isEnabled()); // while the engine answers
    QTRY_VERIFY(message->isVisible());
    QVERIFY2(message->text().contains(QLatin1String("concurrent background jobs")), qPrintable(message->text()));
    QVERIFY(okButton(d.get())->isEnabled());
    QVERIFY(d->isVisible());
    QCOMPARE(accepted.size(), 0);
    // The other key went through and is on disk; the refused one is not.
    QVERIFY(m_f->jobs()->settings().peerCachingEnabled);
    // The user's value stays for another try.
    QCOMPARE(find<QSpinBox>(d.get(), "maxBackgroundJobs")->value(), 4);

    // Once the store takes it again, OK sends the refused key again (and only that) and closes.
    dropRefusal();
    int changes = 0;
    connect(m_f->jobs(), &JobManager::settingsChanged, this, [&changes] { ++changes; });
    okButton(d.get())->click();
    QTRY_COMPARE(accepted.size(), 1);
    QCOMPARE(changes, 1);
    QVERIFY(message->isHidden());
    QCOMPARE(m_f->jobs()->settings().maxBackgroundJobs, 4);
    d.reset();
    m_f->restart();
    QCOMPARE(m_f->jobs()->settings().maxBackgroundJobs, 4);
    QVERIFY(m_f->jobs()->settings().peerCachingEnabled);
}

bool tst_SettingsDialog::execOnDatabase(const QString &sql)
{
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("test"));
        db.setDatabaseName(m_f->databasePath());
        if (db.open()) {
            QSqlQuery q(db);
            ok = q.exec(sql);
            if (!ok)
                qWarning("%s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("test"));
    return ok;
}

bool tst_SettingsDialog::dropRefusal()
{
    return execOnDatabase(QStringLiteral("DROP TRIGGER refuse"));
}

// QTEST_MAIN, with a private XDG_CONFIG_HOME set before anything reads it.
int main(int argc, char **argv)
{
    QTemporaryDir config;
    if (!config.isValid())
        return 1;
    g_configHome = config.path();
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(g_configHome));
    QApplication app(argc, argv);
    app.setAttribute(Qt::AA_Use96Dpi, true);
    tst_SettingsDialog tc;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&tc, argc, argv);
}

#include "tst_settingsdialog.moc"
