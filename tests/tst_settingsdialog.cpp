// The settings dialog against a real in-process engine (EngineFixture): engine settings reach
// the engine through one queued call on OK and survive its restart; the window's own
// preferences land in QSettings and the XDG autostart entry, both under a private
// XDG_CONFIG_HOME set before the application object exists.
#include "EngineFixture.h"

#include "DesktopSettings.h"
#include "JobManager.h"
#include "SettingsDialog.h"

#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace ferry;
using namespace ferry::test;

namespace {

// Set by main() before the application object exists: QSettings and QStandardPaths read it once.
QString g_configHome;

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
    void onlyChangedKeysAreSent();
    void subBoxesDisabledWhilePeerCachingIsOff();
    void followsTheEngineWithoutClobberingAnEdit();
    void cacheCapsAreDisabled();
    void startAtLoginWritesAndRemovesTheAutostartEntry();
    void desktopSettingsPersist();
    void folderMustBeAFullPath();
    void browsePicksAFolder();
    void cancelChangesNothing();
    void engineRefusalShowsAMessageAndKeepsTheDialogOpen();

private:
    std::unique_ptr<SettingsDialog> open();
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
    bool execOnDatabase(const QString &sql);
    bool dropRefusal();
    static QString autostartPath() { return g_configHome + QLatin1String("/autostart/ferry.desktop"); }
    static QString settingsPath() { return g_configHome + QLatin1String("/ferry/ferry.conf"); }

    std::unique_ptr<EngineFixture> m_f;
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
    m_f.reset();
    m_settings.reset();
}

std::unique_ptr<SettingsDialog> tst_SettingsDialog::open()
{
    auto dialog = std::make_unique<SettingsDialog>(m_f->jobs(), m_settings.get(), m_f->jobs()->settings(), nullptr);
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
    QVERIFY(controls >= 14);
    for (const char *name : {"folder", "maxBackgroundJobs", "peerEnabled", "peerClient", "peerServer", "cacheSize",
                             "cacheAge", "dropDirect", "dropAsk", "startMinimized", "startAtLogin", "watchClipboard",
                             "message", "buttons"})
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

void tst_SettingsDialog::cacheCapsAreDisabled()
{
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingEnabled"), QStringLiteral("1")));
    auto d = open();
    auto *size = find<QSpinBox>(d.get(), "cacheSize");
    auto *age = find<QSpinBox>(d.get(), "cacheAge");
    QVERIFY(size && age);
    QVERIFY(!size->isEnabled());
    QVERIFY(!age->isEnabled());
    // peer-caching.md §2: 1–80 % (default 1), 1–120 days (default 90).
    QCOMPARE(size->value(), 1);
    QCOMPARE(size->minimum(), 1);
    QCOMPARE(size->maximum(), 80);
    QCOMPARE(age->value(), 90);
    QCOMPARE(age->minimum(), 1);
    QCOMPARE(age->maximum(), 120);
    auto *note = find<QLabel>(d.get(), "cacheNote");
    QVERIFY(note && note->isVisible());
    QVERIFY(note->text().contains(QLatin1String("available with peer caching")));
    // Even with peer caching on, they stay off.
    find<QCheckBox>(d.get(), "peerEnabled")->click();
    find<QCheckBox>(d.get(), "peerEnabled")->click();
    QVERIFY(!size->isEnabled());
    QVERIFY(!age->isEnabled());
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
