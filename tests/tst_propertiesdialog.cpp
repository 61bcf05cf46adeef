// The job properties dialog against a real in-process engine (EngineFixture): what the user does
// in it reaches the engine through queued calls, what the engine says comes back through its
// signals, and the owner rules make a job read-only or refuse a change.
#include "EngineClient.h"
#include "EngineFixture.h"

#include "JobFilesModel.h"
#include "JobPropertiesDialog.h"
#include "jobs/JobManager.h"
#include "ModelText.h"
#include "owner/JobAccess.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStyle>
#include <QStyleOptionButton>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTreeWidget>

#include <limits>
#include <memory>
#include <unistd.h>

using namespace ferry;
using namespace ferry::test;

namespace {

Owner makeOwner(bool elevated, IntegrityLevel integrity)
{
    return ownerWith(::getuid(), elevated, integrity); // this test's own uid: the files are its own
}

const Owner OrdinaryUser = makeOwner(false, IntegrityLevel::Medium);
const Owner ElevatedAdmin = makeOwner(true, IntegrityLevel::High);

// The dialog's tabs, in order.
constexpr int GeneralTab = 0;
constexpr int FilesTab = 1;
constexpr int TransferTab = 2;
constexpr int ConnectionTab = 3;
constexpr int OwnerTab = 4;

bool keychainRequired() { return qEnvironmentVariableIntValue("FERRY_REQUIRE_KEYCHAIN") == 1; }

} // namespace

class tst_PropertiesDialog : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void defaultJobShowsNinetyDays();
    void peerCheckboxesChangeTheEngine();
    void maxTimeSpinnerChangesTheEngine();
    void noLimitIsZero();
    void otherTimeSpinners();
    void nameAndPriorityChangeTheEngine();
    void followsTheEngineWithoutClobberingAnEdit();
    void ownerLabelsShowTheEngineValues_data();
    void ownerLabelsShowTheEngineValues();
    void elevatedJobIsReadOnlyForAnOrdinaryViewer();
    void mediumJobIsEditableForTheSameViewer();
    void higherIntegrityJobIsReadOnly();
    void peerNoteFollowsTheComputerSetting();
    void refusedChangeShowsAMessageAndChangesNothing();
    void changeToACancelledJobShowsAMessage();
    void filesAreListed();
    void fileUrlIsCorrectedFromTheFilesTab();
    void fileUrlIsReadOnlyForALesserViewer();
    void staleCopyIsCorrectedFromTheEngine();
    void tabsAreInOrder();
    void credentialsAreSavedToTheKeychainAndRemoved();
    void credentialsAreCheckedBeforeTheKeychain();
    void proxyOverrideIsValidatedBeforeItIsSent();
    void customHeadersReachTheEngine();
    void securityBoxesChangeTheEngineAndWarn();
    void refusedSecurityChangeRevertsTheBox();
    void connectionTabIsReadOnlyForALesserViewer();
    void notifyCheckboxesSendTheFlags();
    void notifyCheckboxesAreReadOnlyForALesserViewer();

private:
    QUuid createJob(const QString &name, const Owner &owner);
    std::unique_ptr<JobPropertiesDialog> open(const QUuid &id, const Owner &viewer, int tab = -1);
    template <typename T>
    static T *find(QWidget *dialog, const char *name)
    {
        T *w = dialog->findChild<T *>(QLatin1String(name));
        if (!w)
            qWarning("no %s named %s", T::staticMetaObject.className(), name);
        return w;
    }
    // Types a number into a spinner as a user would, and confirms it with Enter.
    static void typeInto(QSpinBox *spin, const QString &text);
    // Clicks a check box on its indicator, where a user would.
    static void click(QCheckBox *box);
    // Replaces a line edit's text by typing, as a user would.
    static void retype(QLineEdit *edit, const QString &text);
    // True once everything the dialog queued to the engine so far has run there.
    bool flushEngine();
    // The keychain's answer for one of a job's credentials (read as a transfer would).
    Status readKeychain(const QUuid &id, AuthTarget target, AuthScheme scheme, Credentials *out = nullptr);
    // Which files under dir hold needle.
    static QStringList filesHolding(const QString &dir, const QByteArray &needle, int *scanned);

    // A client acting as viewer (the window's link to the engine, playing that user).
    EngineClient *clientFor(const Owner &viewer);

    std::unique_ptr<EngineFixture> m_f;
    std::vector<std::unique_ptr<EngineClient>> m_clients;
};

void tst_PropertiesDialog::init()
{
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
}

void tst_PropertiesDialog::cleanup()
{
    m_clients.clear();
    m_f.reset();
}

EngineClient *tst_PropertiesDialog::clientFor(const Owner &viewer)
{
    m_clients.push_back(std::make_unique<EngineClient>(m_f->service(), viewer));
    return m_clients.back().get();
}

QUuid tst_PropertiesDialog::createJob(const QString &name, const Owner &owner)
{
    QUuid id;
    const Status s = m_f->jobs()->createJob(name, owner, &id);
    if (!s)
        qWarning("createJob: %s", qPrintable(s.message));
    return id;
}

std::unique_ptr<JobPropertiesDialog> tst_PropertiesDialog::open(const QUuid &id, const Owner &viewer, int tab)
{
    auto dialog = std::make_unique<JobPropertiesDialog>(clientFor(viewer), m_f->jobs()->snapshot(id), m_f->jobs()->settings(), nullptr);
    // What the viewer may do is the engine's answer: the dialog is ready once it has it.
    if (!QTest::qWaitFor([&dialog] { return dialog->isAccessKnown(); }, WaitMs))
        qWarning("the engine never said what the viewer may do");
    if (tab >= 0)
        dialog->findChild<QTabWidget *>()->setCurrentIndex(tab);
    dialog->show();
    if (!QTest::qWaitForWindowExposed(dialog.get()))
        qWarning("the dialog was not exposed");
    return dialog;
}

void tst_PropertiesDialog::typeInto(QSpinBox *spin, const QString &text)
{
    spin->setFocus();
    spin->selectAll();
    QTest::keyClicks(spin, text);
    QTest::keyClick(spin, Qt::Key_Return);
}

void tst_PropertiesDialog::click(QCheckBox *box)
{
    QStyleOptionButton option;
    option.initFrom(box);
    const QRect indicator = box->style()->subElementRect(QStyle::SE_CheckBoxIndicator, &option, box);
    QTest::mouseClick(box, Qt::LeftButton, {}, indicator.center());
}

void tst_PropertiesDialog::retype(QLineEdit *edit, const QString &text)
{
    edit->setFocus();
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Delete);
    QTest::keyClicks(edit, text);
}

bool tst_PropertiesDialog::flushEngine()
{
    // Queued calls to one object run in the order they were posted: once this marker has run,
    // every change the dialog posted before it has been made (or refused) in the engine.
    auto ran = std::make_shared<bool>(false);
    QMetaObject::invokeMethod(m_f->jobs(), [ran] { *ran = true; }, Qt::QueuedConnection);
    return QTest::qWaitFor([ran] { return *ran; }, WaitMs);
}

Status tst_PropertiesDialog::readKeychain(const QUuid &id, AuthTarget target, AuthScheme scheme, Credentials *out)
{
    struct Answer
    {
        bool done = false;
        Status status;
        Credentials credentials;
    };
    auto answer = std::make_shared<Answer>();
    m_f->jobs()->credentialStore()->read(id, target, scheme, [answer](const Status &s, const Credentials &c) {
        answer->done = true;
        answer->status = s;
        answer->credentials = c;
    });
    if (!QTest::qWaitFor([answer] { return answer->done; }, WaitMs))
        return {hr::E_FAIL, QStringLiteral("the keychain did not answer")};
    if (out)
        *out = answer->credentials;
    return answer->status;
}

QStringList tst_PropertiesDialog::filesHolding(const QString &dir, const QByteArray &needle, int *scanned)
{
    QStringList found;
    for (QDirIterator it(dir, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories); it.hasNext();) {
        QFile f(it.next());
        if (!f.open(QIODevice::ReadOnly))
            continue;
        ++*scanned;
        if (f.readAll().contains(needle))
            found << f.fileName();
    }
    return found;
}

void tst_PropertiesDialog::defaultJobShowsNinetyDays()
{
    const QUuid id = createJob(QStringLiteral("default"), OrdinaryUser);
    QCOMPARE(m_f->job(id).maximumDownloadTime, defaults::MaximumDownloadTime);
    auto d = open(id, OrdinaryUser, TransferTab);
    auto *spin = find<QSpinBox>(d.get(), "maxTime");
    auto *unit = find<QComboBox>(d.get(), "maxTimeUnit");
    QVERIFY(spin && unit);
    QCOMPARE(spin->value(), 90);
    QCOMPARE(unit->currentData().toUInt(), 86400u);
    QCOMPARE(spin->text(), QStringLiteral("90"));
    QVERIFY(spin->isEnabled());
    // The spinner cannot go past what quint32 seconds hold: 49,710 days.
    QCOMPARE(spin->maximum(), 49710);
    QVERIFY(quint64(spin->maximum()) * 86400 <= std::numeric_limits<quint32>::max());
    // The other two: 14 days, 10 minutes.
    QCOMPARE(find<QSpinBox>(d.get(), "noProgress")->value(), 14);
    QCOMPARE(find<QComboBox>(d.get(), "noProgressUnit")->currentData().toUInt(), 86400u);
    QCOMPARE(find<QSpinBox>(d.get(), "retryDelay")->value(), 10);
    QCOMPARE(find<QComboBox>(d.get(), "retryDelayUnit")->currentData().toUInt(), 60u);
}

void tst_PropertiesDialog::peerCheckboxesChangeTheEngine()
{
    const QUuid id = createJob(QStringLiteral("peers"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, TransferTab);
    auto *client = find<QCheckBox>(d.get(), "peerClient");
    auto *server = find<QCheckBox>(d.get(), "peerServer");
    QVERIFY(client && server);
    QVERIFY(!client->isChecked() && !server->isChecked());
    QCOMPARE(m_f->job(id).peerCachingFlags, 0u);

    click(client);
    QVERIFY(client->isChecked());
    QTRY_COMPARE(m_f->job(id).peerCachingFlags, peercaching::Client);

    click(server);
    QTRY_COMPARE(m_f->job(id).peerCachingFlags, peercaching::Client | peercaching::Server);

    click(client);
    QVERIFY(!client->isChecked());
    QTRY_COMPARE(m_f->job(id).peerCachingFlags, peercaching::Server);

    // The keyboard works too: Space on the focused box.
    server->setFocus();
    QTest::keyClick(server, Qt::Key_Space);
    QTRY_COMPARE(m_f->job(id).peerCachingFlags, 0u);
    QVERIFY(!server->isChecked());
    QVERIFY(find<QLabel>(d.get(), "message")->isHidden());

    // A change made elsewhere (ferry-admin) shows up in the boxes.
    QVERIFY(m_f->jobs()->setPeerCachingFlags(id, peercaching::Server));
    QTRY_VERIFY(server->isChecked());
    QVERIFY(!client->isChecked());
}

void tst_PropertiesDialog::maxTimeSpinnerChangesTheEngine()
{
    const QUuid id = createJob(QStringLiteral("two hours"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, TransferTab);
    auto *spin = find<QSpinBox>(d.get(), "maxTime");
    auto *unit = find<QComboBox>(d.get(), "maxTimeUnit");
    QVERIFY(spin && unit);

    // Type 2 (two days so far), then pick "hours" one up in the list: two hours.
    typeInto(spin, QStringLiteral("2"));
    QTRY_COMPARE(m_f->job(id).maximumDownloadTime, 2u * 86400);
    unit->setFocus();
    QTest::keyClick(unit, Qt::Key_Up);
    QCOMPARE(unit->currentData().toUInt(), 3600u);
    QCOMPARE(spin->value(), 2);
    QTRY_COMPARE(m_f->job(id).maximumDownloadTime, 7200u);
    QVERIFY(d->isVisible()); // Enter in a field does not close the dialog

    // The arrow keys step the number at once.
    spin->setFocus();
    QTest::keyClick(spin, Qt::Key_Up);
    QTRY_COMPARE(m_f->job(id).maximumDownloadTime, 3u * 3600);

    // What cannot be held is not accepted: letters, negative numbers, more than quint32 seconds.
    typeInto(spin, QStringLiteral("abc"));
    QCOMPARE(spin->value(), 3);
    typeInto(spin, QStringLiteral("-5"));
    QVERIFY(spin->value() >= 0);
    typeInto(spin, QStringLiteral("99999999"));
    QVERIFY(quint64(spin->value()) * 3600 <= std::numeric_limits<quint32>::max());
    QTRY_COMPARE(m_f->job(id).maximumDownloadTime, quint32(spin->value()) * 3600u);
    QVERIFY(find<QLabel>(d.get(), "message")->isHidden());

    // A value set elsewhere shows in its best unit.
    QVERIFY(m_f->jobs()->setMaximumDownloadTime(id, 45 * 60));
    QTRY_COMPARE(unit->currentData().toUInt(), 60u);
    QCOMPARE(spin->value(), 45);
}

void tst_PropertiesDialog::noLimitIsZero()
{
    const QUuid id = createJob(QStringLiteral("no limit"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, TransferTab);
    auto *spin = find<QSpinBox>(d.get(), "maxTime");
    QVERIFY(spin);
    typeInto(spin, QStringLiteral("0"));
    QTRY_COMPARE(m_f->job(id).maximumDownloadTime, 0u);
    QCOMPARE(spin->text(), QStringLiteral("No limit"));
    QVERIFY(find<QLabel>(d.get(), "timeUsed")->text().contains(QStringLiteral("no limit")));

    // And back from "No limit" with the up arrow: one day.
    QTest::keyClick(spin, Qt::Key_Up);
    QTRY_COMPARE(m_f->job(id).maximumDownloadTime, 86400u);

    // A job set to 0 elsewhere opens showing "No limit".
    QVERIFY(m_f->jobs()->setMaximumDownloadTime(id, 0));
    auto again = open(id, OrdinaryUser, TransferTab);
    QCOMPARE(find<QSpinBox>(again.get(), "maxTime")->text(), QStringLiteral("No limit"));
}

void tst_PropertiesDialog::otherTimeSpinners()
{
    const QUuid id = createJob(QStringLiteral("timeouts"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, TransferTab);
    auto *retry = find<QSpinBox>(d.get(), "retryDelay");
    auto *retryUnit = find<QComboBox>(d.get(), "retryDelayUnit");
    auto *stall = find<QSpinBox>(d.get(), "noProgress");
    QVERIFY(retry && retryUnit && stall);

    // In seconds the retry delay cannot go below the engine's floor of 5 s.
    retryUnit->setCurrentIndex(retryUnit->findData(1u));
    QTRY_COMPARE(m_f->job(id).minimumRetryDelay, 10u); // "10" now read as seconds
    QCOMPARE(retry->minimum(), 5);
    typeInto(retry, QStringLiteral("2"));
    QCOMPARE(retry->value(), 5);
    QTRY_COMPARE(m_f->job(id).minimumRetryDelay, 5u);
    typeInto(retry, QStringLiteral("90"));
    QTRY_COMPARE(m_f->job(id).minimumRetryDelay, 90u);

    typeInto(stall, QStringLiteral("3"));
    QTRY_COMPARE(m_f->job(id).noProgressTimeout, 3u * 86400);
}

void tst_PropertiesDialog::nameAndPriorityChangeTheEngine()
{
    const QUuid id = createJob(QStringLiteral("old name"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, GeneralTab);
    auto *name = find<QLineEdit>(d.get(), "name");
    auto *description = find<QLineEdit>(d.get(), "description");
    auto *priority = find<QComboBox>(d.get(), "priority");
    QVERIFY(name && description && priority);
    QCOMPARE(name->text(), QStringLiteral("old name"));

    name->setFocus();
    name->selectAll();
    QTest::keyClicks(name, QStringLiteral("new name"));
    QCOMPARE(m_f->job(id).displayName, QStringLiteral("old name")); // not before editing is finished
    QTest::keyClick(name, Qt::Key_Return);
    QTRY_COMPARE(m_f->job(id).displayName, QStringLiteral("new name"));
    QTRY_VERIFY(d->windowTitle().contains(QStringLiteral("new name")));

    description->setFocus();
    QTest::keyClicks(description, QStringLiteral("nightly images"));
    priority->setFocus(); // leaving the field finishes the edit
    QTRY_COMPARE(m_f->job(id).description, QStringLiteral("nightly images"));

    QTest::keyClick(priority, Qt::Key_Down);
    QTRY_COMPARE(m_f->job(id).priority, JobPriority::Low);
}

void tst_PropertiesDialog::followsTheEngineWithoutClobberingAnEdit()
{
    const QUuid id = createJob(QStringLiteral("engine name"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, GeneralTab);
    auto *name = find<QLineEdit>(d.get(), "name");
    auto *description = find<QLineEdit>(d.get(), "description");
    auto *state = find<QLabel>(d.get(), "state");
    QVERIFY(name && description && state);

    name->setFocus();
    name->selectAll();
    QTest::keyClicks(name, QStringLiteral("typing"));
    // Meanwhile the engine changes the job: the other fields follow, the one in use keeps the typing.
    QVERIFY(m_f->jobs()->setDescription(id, QStringLiteral("from elsewhere")));
    QVERIFY(m_f->jobs()->setDisplayName(id, QStringLiteral("renamed elsewhere")));
    QTRY_COMPARE(description->text(), QStringLiteral("from elsewhere"));
    QCOMPARE(name->text(), QStringLiteral("typing"));

    m_f->jobs()->cancel(id);
    QTRY_VERIFY(d->isJobGone());
    QVERIFY(!name->isEnabled());
    auto *note = find<QLabel>(d.get(), "readOnlyNote");
    QVERIFY(note->isVisibleTo(d.get()));
    QVERIFY(note->text().contains(QStringLiteral("gone")));
}

void tst_PropertiesDialog::ownerLabelsShowTheEngineValues_data()
{
    QTest::addColumn<bool>("elevated");
    QTest::addColumn<int>("integrity");
    QTest::addColumn<QString>("elevation");
    QTest::addColumn<QString>("level");
    QTest::newRow("elevated HIGH") << true << int(IntegrityLevel::High) << QStringLiteral("Elevated") << QStringLiteral("HIGH");
    QTest::newRow("not elevated MEDIUM") << false << int(IntegrityLevel::Medium) << QStringLiteral("Not elevated")
                                         << QStringLiteral("MEDIUM");
    QTest::newRow("elevated SYSTEM") << true << int(IntegrityLevel::System) << QStringLiteral("Elevated") << QStringLiteral("SYSTEM");
    QTest::newRow("sandboxed LOW") << false << int(IntegrityLevel::Low) << QStringLiteral("Not elevated") << QStringLiteral("LOW");
    QTest::newRow("UNTRUSTED") << false << int(IntegrityLevel::Untrusted) << QStringLiteral("Not elevated")
                               << QStringLiteral("UNTRUSTED");
}

void tst_PropertiesDialog::ownerLabelsShowTheEngineValues()
{
    QFETCH(bool, elevated);
    QFETCH(int, integrity);
    QFETCH(QString, elevation);
    QFETCH(QString, level);
    const Owner owner = makeOwner(elevated, IntegrityLevel(integrity));
    const QUuid id = createJob(QStringLiteral("owned"), owner);
    QCOMPARE(m_f->job(id).owner.elevated, elevated);
    auto d = open(id, ElevatedAdmin, OwnerTab);
    QCOMPARE(find<QLabel>(d.get(), "elevation")->text(), elevation);
    QCOMPARE(find<QLabel>(d.get(), "integrity")->text(), level);
    QCOMPARE(find<QLabel>(d.get(), "ownerName")->text(),
             QStringLiteral("%1 (uid %2)").arg(owner.userName).arg(owner.uid));
    QVERIFY(!find<QLabel>(d.get(), "integrityHelp")->text().isEmpty());
    QVERIFY(!find<QLabel>(d.get(), "elevationHelp")->text().isEmpty());

    // Taking ownership elsewhere changes what the tab shows.
    QVERIFY(m_f->jobs()->takeOwnership(id, makeOwner(!elevated, IntegrityLevel::Medium)));
    QTRY_COMPARE(find<QLabel>(d.get(), "integrity")->text(), QStringLiteral("MEDIUM"));
    QCOMPARE(find<QLabel>(d.get(), "elevation")->text(), elevated ? QStringLiteral("Not elevated") : QStringLiteral("Elevated"));
}

void tst_PropertiesDialog::elevatedJobIsReadOnlyForAnOrdinaryViewer()
{
    const QUuid id = createJob(QStringLiteral("admin's"), ElevatedAdmin);
    auto d = open(id, OrdinaryUser, TransferTab);
    QVERIFY(d->isReadOnly());
    for (const char *name : {"name", "description"})
        QVERIFY2(!find<QLineEdit>(d.get(), name)->isEnabled(), name);
    QVERIFY(!find<QComboBox>(d.get(), "priority")->isEnabled());
    QVERIFY(!find<QCheckBox>(d.get(), "peerClient")->isEnabled());
    QVERIFY(!find<QCheckBox>(d.get(), "peerServer")->isEnabled());
    for (const char *name : {"maxTime", "noProgress", "retryDelay"})
        QVERIFY2(!find<QSpinBox>(d.get(), name)->isEnabled(), name);
    QVERIFY(!find<QComboBox>(d.get(), "maxTimeUnit")->isEnabled());
    auto *note = find<QLabel>(d.get(), "readOnlyNote");
    QVERIFY(note->isVisible());
    QVERIFY(note->text().contains(QStringLiteral("elevated")));

    // A click on the disabled box does nothing, here or in the engine.
    click(find<QCheckBox>(d.get(), "peerClient"));
    QTest::qWait(50);
    QCOMPARE(m_f->job(id).peerCachingFlags, 0u);

    // The same job for an elevated viewer is editable.
    auto e = open(id, ElevatedAdmin, TransferTab);
    QVERIFY(!e->isReadOnly());
    QVERIFY(find<QCheckBox>(e.get(), "peerClient")->isEnabled());
    QVERIFY(find<QSpinBox>(e.get(), "maxTime")->isEnabled());
    QVERIFY(find<QLabel>(e.get(), "readOnlyNote")->isHidden());
}

void tst_PropertiesDialog::mediumJobIsEditableForTheSameViewer()
{
    const QUuid id = createJob(QStringLiteral("user's"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, TransferTab);
    QVERIFY(!d->isReadOnly());
    QVERIFY(find<QLineEdit>(d.get(), "name")->isEnabled());
    QVERIFY(find<QComboBox>(d.get(), "priority")->isEnabled());
    QVERIFY(find<QCheckBox>(d.get(), "peerClient")->isEnabled());
    QVERIFY(find<QCheckBox>(d.get(), "peerServer")->isEnabled());
    QVERIFY(find<QSpinBox>(d.get(), "maxTime")->isEnabled());
    QVERIFY(find<QComboBox>(d.get(), "maxTimeUnit")->isEnabled());
    QVERIFY(find<QLabel>(d.get(), "readOnlyNote")->isHidden());
}

void tst_PropertiesDialog::higherIntegrityJobIsReadOnly()
{
    // Not elevated, but above a sandboxed viewer: the integrity rule.
    const QUuid id = createJob(QStringLiteral("user's"), OrdinaryUser);
    const Owner sandboxed = makeOwner(false, IntegrityLevel::Low);
    QVERIFY(!checkCanChange(sandboxed, OrdinaryUser));
    auto d = open(id, sandboxed, TransferTab);
    QVERIFY(d->isReadOnly());
    QVERIFY(!find<QCheckBox>(d.get(), "peerClient")->isEnabled());
    QVERIFY(find<QLabel>(d.get(), "readOnlyNote")->text().contains(QStringLiteral("MEDIUM")));
}

void tst_PropertiesDialog::peerNoteFollowsTheComputerSetting()
{
    QVERIFY(!m_f->jobs()->settings().peerCachingEnabled);
    const QUuid id = createJob(QStringLiteral("note"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, TransferTab);
    auto *note = find<QLabel>(d.get(), "peerNote");
    QVERIFY(note);
    QVERIFY(note->isVisible());
    QVERIFY(note->text().contains(QStringLiteral("off on this computer")));

    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingEnabled"), QStringLiteral("1")));
    QTRY_VERIFY(note->isHidden());

    // On, but serving turned off at the computer level: the note names that side.
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingServer"), QStringLiteral("0")));
    QTRY_VERIFY(note->isVisible());
    QVERIFY(note->text().contains(QStringLiteral("Serving to peers is off")));
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingServer"), QStringLiteral("1")));
    QTRY_VERIFY(note->isHidden());

    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingEnabled"), QStringLiteral("0")));
    QTRY_VERIFY(note->isVisible());
}

void tst_PropertiesDialog::refusedChangeShowsAMessageAndChangesNothing()
{
    const QUuid id = createJob(QStringLiteral("contested"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, TransferTab);
    auto *client = find<QCheckBox>(d.get(), "peerClient");
    auto *message = find<QLabel>(d.get(), "message");
    QVERIFY(client && message);
    QVERIFY(message->isHidden());

    // The user clicks; before the engine gets to it an elevated admin takes the job over. The
    // engine-side check refuses the change for this viewer: the box goes back, a message says why.
    click(client);
    QVERIFY(client->isChecked());
    QVERIFY(m_f->jobs()->takeOwnership(id, ElevatedAdmin));
    QTRY_VERIFY(message->isVisible());
    QVERIFY2(message->text().contains(QStringLiteral("elevated")), qPrintable(message->text()));
    QVERIFY2(message->text().contains(QStringLiteral("ACCESSDENIED")), qPrintable(message->text()));
    QVERIFY(!client->isChecked());
    QCOMPARE(m_f->job(id).peerCachingFlags, 0u);
    QVERIFY(d->isReadOnly());
    QVERIFY(!client->isEnabled());

    // Same with the spinner: typed, then refused.
    QVERIFY(m_f->jobs()->takeOwnership(id, OrdinaryUser));
    QTRY_VERIFY(!d->isReadOnly());
    auto *spin = find<QSpinBox>(d.get(), "maxTime");
    spin->setFocus();
    spin->selectAll();
    QTest::keyClicks(spin, QStringLiteral("7"));
    QTest::keyClick(spin, Qt::Key_Return); // the change is queued
    QVERIFY(m_f->jobs()->takeOwnership(id, makeOwner(false, IntegrityLevel::System)));
    QTRY_COMPARE(spin->value(), 90);
    QTRY_VERIFY(message->text().contains(QStringLiteral("maximum download time")));
    QVERIFY2(message->text().contains(QStringLiteral("integrity")), qPrintable(message->text()));
    QCOMPARE(m_f->job(id).maximumDownloadTime, defaults::MaximumDownloadTime);
}

void tst_PropertiesDialog::changeToACancelledJobShowsAMessage()
{
    const QUuid id = createJob(QStringLiteral("short-lived"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, TransferTab);
    auto *server = find<QCheckBox>(d.get(), "peerServer");
    auto *message = find<QLabel>(d.get(), "message");
    click(server);
    QVERIFY(m_f->jobs()->cancel(id)); // final before the engine gets the change
    QTRY_VERIFY(message->isVisible());
    QVERIFY2(message->text().contains(QStringLiteral("gone")), qPrintable(message->text()));
    QVERIFY(!server->isChecked());
    QVERIFY(d->isJobGone());
    QVERIFY(!server->isEnabled());
    QVERIFY(!m_f->exists(id));
}

void tst_PropertiesDialog::filesAreListed()
{
    const QUuid id = m_f->addJob(QStringLiteral("files"), {{QUrl(QStringLiteral("http://127.0.0.1:9/a.bin")), QStringLiteral("a.bin")},
                                                           {QUrl(QStringLiteral("http://127.0.0.1:9/b.bin")), QStringLiteral("b.bin")}});
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    auto d = open(id, m_f->job(id).owner, FilesTab);
    auto *files = find<QTableView>(d.get(), "files");
    QVERIFY(files);
    QVERIFY(!files->accessibleName().isEmpty());
    QCOMPARE(files->verticalHeader()->sectionResizeMode(0), QHeaderView::Fixed); // uniform row heights
    auto *proxy = qobject_cast<QSortFilterProxyModel *>(files->model());
    QVERIFY(proxy);
    QCOMPARE(proxy->sortRole(), int(JobFilesModel::SortRole));
    auto *model = qobject_cast<JobFilesModel *>(proxy->sourceModel());
    QVERIFY(model);
    QCOMPARE(model->jobId(), id);
    const auto text = [proxy](int row, int column, int role = Qt::DisplayRole) {
        return proxy->index(row, column).data(role).toString();
    };

    // The job's own order until a header is clicked.
    QCOMPARE(proxy->rowCount(), 2);
    QCOMPARE(proxy->columnCount(), int(JobFilesModel::ColumnCount));
    QCOMPARE(text(0, JobFilesModel::RemoteUrl), QStringLiteral("http://127.0.0.1:9/a.bin"));
    QCOMPARE(text(1, JobFilesModel::LocalName), QDir::toNativeSeparators(m_f->downloadPath(QStringLiteral("b.bin"))));
    QCOMPARE(text(0, JobFilesModel::TempName), QDir::toNativeSeparators(m_f->job(id).files[0].tempName));
    QVERIFY2(text(0, JobFilesModel::Progress).startsWith(ModelText::percentText(0)), qPrintable(text(0, JobFilesModel::Progress)));
    QCOMPARE(text(0, JobFilesModel::Size), QStringLiteral("unknown"));
    QVERIFY(!text(0, JobFilesModel::Progress, JobFilesModel::AccessibleTextRole).isEmpty());
    QVERIFY(!files->grab().isNull()); // the progress bars are painted without trouble

    // Sorting by a column's raw value, then back to the job's order.
    files->sortByColumn(JobFilesModel::LocalName, Qt::DescendingOrder);
    QCOMPARE(text(0, JobFilesModel::LocalName), QDir::toNativeSeparators(m_f->downloadPath(QStringLiteral("b.bin"))));
    files->sortByColumn(-1, Qt::AscendingOrder);
    QCOMPARE(text(0, JobFilesModel::LocalName), QDir::toNativeSeparators(m_f->downloadPath(QStringLiteral("a.bin"))));

    // A file added in the engine: a row more, through the dialog's jobChanged handling.
    QSignalSpy inserted(proxy, &QAbstractItemModel::rowsInserted);
    QVERIFY(m_f->jobs()->addFile(id, QStringLiteral("http://127.0.0.1:9/c.bin"), m_f->downloadPath(QStringLiteral("c.bin"))));
    QTRY_COMPARE(proxy->rowCount(), 3);
    QCOMPARE(inserted.size(), 1); // inserted, not reset: the selection and scroll position stay
    QCOMPARE(text(2, JobFilesModel::RemoteUrl), QStringLiteral("http://127.0.0.1:9/c.bin"));
    QCOMPARE(text(2, JobFilesModel::LocalName), QDir::toNativeSeparators(m_f->downloadPath(QStringLiteral("c.bin"))));

    // Progress as the engine reports it (the same signal a transfer sends): percent and bytes.
    Job progressed = m_f->jobs()->snapshot(id);
    QCOMPARE(progressed.files.size(), 3);
    progressed.files[1].bytesTotal = 1000;
    progressed.files[1].bytesTransferred = 420;
    QSignalSpy changed(proxy, &QAbstractItemModel::dataChanged);
    emit m_f->jobs()->jobChanged(progressed);
    model->flushPendingChanges(); // progress-only changes are coalesced
    QTRY_VERIFY(!changed.isEmpty());
    QCOMPARE(proxy->index(1, JobFilesModel::Progress).data(JobFilesModel::SortRole).toInt(), 42);
    QVERIFY2(text(1, JobFilesModel::Progress).startsWith(ModelText::percentText(42)), qPrintable(text(1, JobFilesModel::Progress)));
    QVERIFY2(text(1, JobFilesModel::Progress).contains(ModelText::dataSize(1000)), qPrintable(text(1, JobFilesModel::Progress)));
    QCOMPARE(text(1, JobFilesModel::Size), ModelText::dataSize(1000));
    QVERIFY(!files->grab().isNull());

    // Gone: the files stay listed as last heard, like the other properties.
    QVERIFY(m_f->jobs()->cancel(id));
    QTRY_VERIFY(d->isJobGone());
    QCOMPARE(proxy->rowCount(), 3);
}

// The files tab shows the selected file's URL; a corrected URL typed there reaches the engine
// (setremotename) and the file starts from zero; a bad one is refused with a message and the
// engine's URL is shown again.
void tst_PropertiesDialog::fileUrlIsCorrectedFromTheFilesTab()
{
    const QUuid id = m_f->addJob(QStringLiteral("mend"), {{QUrl(QStringLiteral("http://127.0.0.1:9/a.bin")), QStringLiteral("a.bin")},
                                                          {QUrl(QStringLiteral("http://127.0.0.1:9/b.bin")), QStringLiteral("b.bin")}});
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    auto d = open(id, m_f->job(id).owner, FilesTab);
    auto *files = find<QTableView>(d.get(), "files");
    auto *url = find<QLineEdit>(d.get(), "remoteUrl");
    auto *change = find<QPushButton>(d.get(), "changeUrl");
    QVERIFY(files && url && change);
    QCOMPARE(url->text(), QStringLiteral("http://127.0.0.1:9/a.bin")); // the first file, selected
    QVERIFY(!change->isEnabled());                                      // nothing edited yet
    files->setCurrentIndex(files->model()->index(1, JobFilesModel::RemoteUrl));
    QCOMPARE(url->text(), QStringLiteral("http://127.0.0.1:9/b.bin"));

    retype(url, QStringLiteral("http://127.0.0.1:9/fixed.bin"));
    QVERIFY(change->isEnabled());
    QTest::mouseClick(change, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_f->job(id).files[1].remoteUrl.toString(), QStringLiteral("http://127.0.0.1:9/fixed.bin"), WaitMs);
    QCOMPARE(m_f->job(id).files[0].remoteUrl.toString(), QStringLiteral("http://127.0.0.1:9/a.bin"));

    retype(url, QStringLiteral("ftp://127.0.0.1/nope"));
    QTest::keyClick(url, Qt::Key_Return);
    auto *message = find<QLabel>(d.get(), "message");
    QVERIFY(message);
    QTRY_VERIFY_WITH_TIMEOUT(message->isVisible() && message->text().contains(QLatin1String("INVALIDARG")), WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(url->text(), QStringLiteral("http://127.0.0.1:9/fixed.bin"), WaitMs);
    QCOMPARE(m_f->job(id).files[1].remoteUrl.toString(), QStringLiteral("http://127.0.0.1:9/fixed.bin"));
}

// A viewer who may not change the job reads the URL but cannot edit it.
void tst_PropertiesDialog::fileUrlIsReadOnlyForALesserViewer()
{
    const QUuid id = createJob(QStringLiteral("admin's"), ElevatedAdmin);
    QVERIFY(m_f->jobs()->addFile(id, QStringLiteral("http://127.0.0.1:9/r.bin"), m_f->downloadPath(QStringLiteral("r.bin"))).ok());
    auto d = open(id, OrdinaryUser, FilesTab);
    QVERIFY(d->isReadOnly());
    auto *url = find<QLineEdit>(d.get(), "remoteUrl");
    QVERIFY(url);
    QTRY_COMPARE(url->text(), QStringLiteral("http://127.0.0.1:9/r.bin"));
    QVERIFY(url->isReadOnly());
    QVERIFY(!find<QPushButton>(d.get(), "changeUrl")->isEnabled());
}

void tst_PropertiesDialog::staleCopyIsCorrectedFromTheEngine()
{
    // The caller's copies are older than the engine (changed before the dialog connected): the
    // dialog reads the engine once connected.
    const QUuid id = createJob(QStringLiteral("stale"), OrdinaryUser);
    const Job stale = m_f->jobs()->snapshot(id);
    QVERIFY(m_f->jobs()->setPeerCachingFlags(id, peercaching::Client));
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingEnabled"), QStringLiteral("1")));
    const EngineSettings oldSettings;
    JobPropertiesDialog d(clientFor(OrdinaryUser), stale, oldSettings, nullptr);
    auto *client = find<QCheckBox>(&d, "peerClient");
    auto *note = find<QLabel>(&d, "peerNote");
    QTRY_VERIFY(client->isChecked());
    QTRY_VERIFY(note->isHidden());

    // A copy of a job that is gone by the time the dialog opens.
    QVERIFY(m_f->jobs()->cancel(id));
    JobPropertiesDialog gone(clientFor(OrdinaryUser), stale, oldSettings, nullptr);
    QTRY_VERIFY(gone.isJobGone());
    QVERIFY(!find<QCheckBox>(&gone, "peerClient")->isEnabled());
}

void tst_PropertiesDialog::tabsAreInOrder()
{
    const QUuid id = createJob(QStringLiteral("tabs"), OrdinaryUser);
    auto d = open(id, OrdinaryUser);
    auto *tabs = find<QTabWidget>(d.get(), "tabs");
    QVERIFY(tabs);
    QCOMPARE(tabs->count(), 5);
    QCOMPARE(tabs->widget(TransferTab)->objectName(), QStringLiteral("transferTab"));
    QCOMPARE(tabs->widget(ConnectionTab)->objectName(), QStringLiteral("connectionTab"));
    QCOMPARE(tabs->tabText(ConnectionTab), QStringLiteral("&Credentials and connection"));
    QCOMPARE(tabs->widget(OwnerTab)->objectName(), QStringLiteral("ownerTab"));
}

void tst_PropertiesDialog::credentialsAreSavedToTheKeychainAndRemoved()
{
    const QUuid id = createJob(QStringLiteral("protected"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, ConnectionTab);
    auto *list = find<QTreeWidget>(d.get(), "credentials");
    auto *none = find<QLabel>(d.get(), "noCredentials");
    auto *target = find<QComboBox>(d.get(), "credentialTarget");
    auto *scheme = find<QComboBox>(d.get(), "credentialScheme");
    auto *user = find<QLineEdit>(d.get(), "userName");
    auto *password = find<QLineEdit>(d.get(), "password");
    auto *save = find<QPushButton>(d.get(), "saveCredentials");
    auto *remove = find<QPushButton>(d.get(), "removeCredentials");
    auto *message = find<QLabel>(d.get(), "message");
    QVERIFY(list && none && target && scheme && user && password && save && remove && message);
    QVERIFY(none->isVisible());
    QVERIFY(!list->isVisible());
    QCOMPARE(password->echoMode(), QLineEdit::Password);
    QCOMPARE(user->maxLength(), limits::MaxUserName);
    QCOMPARE(password->maxLength(), limits::MaxPassword);
    QVERIFY(find<QLabel>(d.get(), "credentialsNote")->text().contains(QStringLiteral("keychain")));

    // Basic needs a user name: nothing to save yet.
    QCOMPARE(AuthTarget(target->currentData().toInt()), AuthTarget::Server);
    QCOMPARE(AuthScheme(scheme->currentData().toInt()), AuthScheme::Basic);
    QVERIFY(!save->isEnabled());

    const QString secret = QStringLiteral("Ferry-pw-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    retype(user, QStringLiteral("alice"));
    retype(password, secret);
    QVERIFY(save->isEnabled());
    QTest::mouseClick(save, Qt::LeftButton);
    QVERIFY(!save->isEnabled()); // while the keychain works

    const CredentialKey serverBasic{AuthTarget::Server, AuthScheme::Basic};
    QTRY_VERIFY_WITH_TIMEOUT(m_f->job(id).credentials.contains(serverBasic) || message->isVisible(), WaitMs);
    if (message->isVisible()) {
        // No keychain here: the engine's reason is shown, the password stays for another try.
        QVERIFY2(message->text().contains(QStringLiteral("keychain")), qPrintable(message->text()));
        QTRY_VERIFY(save->isEnabled());
        QCOMPARE(password->text(), secret);
        QVERIFY2(!keychainRequired(), qPrintable(message->text()));
        QSKIP("no usable keychain here; tests/run.sh provides one");
    }
    QCOMPARE(m_f->job(id).credentials, QList<CredentialKey>{serverBasic});
    QTRY_VERIFY(password->text().isEmpty()); // in the keychain now, not in the widget
    QCOMPARE(user->text(), QStringLiteral("alice"));
    QTRY_VERIFY(save->isEnabled()); // free for the next save
    QTRY_COMPARE(list->topLevelItemCount(), 1);
    QCOMPARE(list->topLevelItem(0)->text(0), QStringLiteral("Server — Basic"));
    QVERIFY(list->isVisible());
    QVERIFY(!none->isVisible());
    QVERIFY(message->isHidden());

    // The secret went to the keychain as typed, and nowhere else: no file of the engine's
    // profile (database, journal) or the download folder holds it, in UTF-8 or UTF-16.
    Credentials stored;
    const Status read = readKeychain(id, AuthTarget::Server, AuthScheme::Basic, &stored);
    QVERIFY2(read.ok(), qPrintable(read.message));
    QCOMPARE(stored.user, QStringLiteral("alice"));
    QCOMPARE(stored.password, secret);
    const QByteArray utf16(reinterpret_cast<const char *>(secret.utf16()), secret.size() * 2);
    int scanned = 0;
    for (const QString &dir : {m_f->profileDir(), m_f->downloadDir()}) {
        for (const QByteArray &needle : {secret.toUtf8(), utf16}) {
            const QStringList holding = filesHolding(dir, needle, &scanned);
            QVERIFY2(holding.isEmpty(), qPrintable(holding.join(QLatin1String(", "))));
        }
    }
    QVERIFY(scanned > 0); // at least the job database was read
    for (QLineEdit *edit : d->findChildren<QLineEdit *>())
        QVERIFY2(!edit->text().contains(secret), qPrintable(edit->objectName()));

    // Remove: pick the row, then the button.
    QVERIFY(!remove->isEnabled()); // nothing picked yet
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->topLevelItem(0)).center());
    QVERIFY(list->currentItem());
    QVERIFY(remove->isEnabled());
    QTest::mouseClick(remove, Qt::LeftButton);
    QVERIFY(!remove->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(m_f->job(id).credentials.isEmpty(), WaitMs);
    QTRY_VERIFY(none->isVisible());
    QVERIFY(!list->isVisible());
    QVERIFY(message->isHidden());
    QCOMPARE(errorName(readKeychain(id, AuthTarget::Server, AuthScheme::Basic).code), QStringLiteral("NOT_FOUND"));
}

void tst_PropertiesDialog::credentialsAreCheckedBeforeTheKeychain()
{
    const QUuid id = createJob(QStringLiteral("contested credentials"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, ConnectionTab);
    auto *user = find<QLineEdit>(d.get(), "userName");
    auto *password = find<QLineEdit>(d.get(), "password");
    auto *save = find<QPushButton>(d.get(), "saveCredentials");
    auto *message = find<QLabel>(d.get(), "message");
    QVERIFY(user && password && save && message);

    // Saved, but before the engine gets to it an elevated admin takes the job over: the owner
    // check on the engine thread refuses it before anything reaches the keychain.
    retype(user, QStringLiteral("mallory"));
    retype(password, QStringLiteral("not-for-this-job"));
    QTest::mouseClick(save, Qt::LeftButton);
    QVERIFY(m_f->jobs()->takeOwnership(id, ElevatedAdmin));
    QTRY_VERIFY(message->isVisible());
    QVERIFY2(message->text().contains(QStringLiteral("credentials")), qPrintable(message->text()));
    QVERIFY2(message->text().contains(QStringLiteral("ACCESSDENIED")), qPrintable(message->text()));
    QVERIFY(m_f->job(id).credentials.isEmpty());
    QVERIFY(d->isReadOnly());
    QVERIFY(!save->isEnabled());
    QVERIFY(password->text().isEmpty()); // can no longer be saved: not kept
    const Status read = readKeychain(id, AuthTarget::Server, AuthScheme::Basic);
    QVERIFY2(read.code == hr::BG_E_NOT_FOUND || (!keychainRequired() && !read.ok()), qPrintable(read.message));
}

void tst_PropertiesDialog::proxyOverrideIsValidatedBeforeItIsSent()
{
    const QUuid id = createJob(QStringLiteral("proxied"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, ConnectionTab);
    auto *usage = find<QComboBox>(d.get(), "proxyUsage");
    auto *list = find<QLineEdit>(d.get(), "proxyList");
    auto *bypass = find<QLineEdit>(d.get(), "proxyBypass");
    auto *status = find<QLabel>(d.get(), "proxyStatus");
    auto *apply = find<QPushButton>(d.get(), "applyProxy");
    auto *message = find<QLabel>(d.get(), "message");
    QVERIFY(usage && list && bypass && status && apply && message);
    QCOMPARE(ProxyUsage(usage->currentData().toInt()), ProxyUsage::Preconfig);
    QVERIFY(!list->isEnabled() && !bypass->isEnabled()); // only for "These proxies"
    QVERIFY(!apply->isEnabled());                        // nothing changed
    QVERIFY(status->isHidden());

    usage->setCurrentIndex(usage->findData(int(ProxyUsage::Override)));
    QVERIFY(list->isEnabled() && bypass->isEnabled());
    QVERIFY(status->isVisible()); // an empty list is no proxy
    QVERIFY(!apply->isEnabled());

    // A bad list: said under the fields as it is typed, and never sent (Enter, the button).
    QSignalSpy changed(m_f->jobs(), &JobManager::jobChanged);
    retype(list, QStringLiteral("proxy.example:3128 ftp://nope:21"));
    QVERIFY(status->isVisible());
    QVERIFY2(status->text().contains(QStringLiteral("ftp://nope:21")), qPrintable(status->text()));
    QVERIFY(!apply->isEnabled());
    QTest::keyClick(list, Qt::Key_Return);
    QTest::mouseClick(apply, Qt::LeftButton);
    QVERIFY(flushEngine());
    QVERIFY(changed.isEmpty());
    QCOMPARE(m_f->job(id).proxyUsage, ProxyUsage::Preconfig);
    QVERIFY(message->isHidden());
    QVERIFY(d->isVisible()); // Enter in the field does not close the dialog

    // A bad bypass entry is caught the same way.
    retype(list, QStringLiteral("proxy.example:3128; socks5://10.0.0.1:1080"));
    QVERIFY(status->isHidden());
    retype(bypass, QStringLiteral("<local> *.example.org bad/entry!"));
    QVERIFY(status->isVisible());
    QVERIFY2(status->text().contains(QStringLiteral("bad/entry!")), qPrintable(status->text()));
    QVERIFY(!apply->isEnabled());

    // A good one reaches the engine with Enter, as typed.
    retype(bypass, QStringLiteral("<local> *.example.org"));
    QVERIFY(status->isHidden());
    QVERIFY(apply->isEnabled());
    QVERIFY(changed.isEmpty()); // typing sends nothing
    QTest::keyClick(bypass, Qt::Key_Return);
    QTRY_COMPARE(m_f->job(id).proxyUsage, ProxyUsage::Override);
    QCOMPARE(m_f->job(id).proxyList, QStringLiteral("proxy.example:3128; socks5://10.0.0.1:1080"));
    QCOMPARE(m_f->job(id).proxyBypassList, QStringLiteral("<local> *.example.org"));
    QTRY_VERIFY(!apply->isEnabled());
    QVERIFY(message->isHidden());

    // "No proxy" with the button.
    usage->setCurrentIndex(usage->findData(int(ProxyUsage::NoProxy)));
    QVERIFY(!list->isEnabled());
    QVERIFY(apply->isEnabled());
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_COMPARE(m_f->job(id).proxyUsage, ProxyUsage::NoProxy);
    QTRY_VERIFY(list->text().isEmpty()); // the engine keeps no lists outside OVERRIDE

    // A change made elsewhere shows up.
    QVERIFY(m_f->jobs()->setProxyUsage(id, ProxyUsage::AutoDetect, {}, {}));
    QTRY_COMPARE(ProxyUsage(usage->currentData().toInt()), ProxyUsage::AutoDetect);
    QVERIFY(m_f->jobs()->setProxyUsage(id, ProxyUsage::Override, QStringLiteral("10.1.1.1:8080"), {}));
    QTRY_COMPARE(list->text(), QStringLiteral("10.1.1.1:8080"));
    QVERIFY(list->isEnabled());
    QVERIFY(!apply->isEnabled());
}

void tst_PropertiesDialog::customHeadersReachTheEngine()
{
    const QUuid id = createJob(QStringLiteral("headers"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, ConnectionTab);
    auto *headers = find<QPlainTextEdit>(d.get(), "customHeaders");
    auto *status = find<QLabel>(d.get(), "headersStatus");
    auto *apply = find<QPushButton>(d.get(), "applyHeaders");
    QVERIFY(headers && status && apply);
    QVERIFY(headers->toPlainText().isEmpty());
    QVERIFY(!apply->isEnabled());

    // A line that is no header: said under the field, nothing sent.
    QSignalSpy changed(m_f->jobs(), &JobManager::jobChanged);
    headers->setFocus();
    QTest::keyClicks(headers, QStringLiteral("X-One: 1"));
    QTest::keyClick(headers, Qt::Key_Return);
    QTest::keyClicks(headers, QStringLiteral("no colon here"));
    QVERIFY(status->isVisible());
    QVERIFY2(status->text().contains(QStringLiteral("Line 2")), qPrintable(status->text()));
    QVERIFY(!apply->isEnabled());
    QTest::mouseClick(apply, Qt::LeftButton);
    QVERIFY(flushEngine());
    QVERIFY(changed.isEmpty());
    QVERIFY(m_f->job(id).customHeaders.isEmpty());

    // Fixed (a blank line is left out): Apply sends the lines.
    headers->selectAll();
    QTest::keyClick(headers, Qt::Key_Delete);
    QTest::keyClicks(headers, QStringLiteral("X-One: 1"));
    QTest::keyClick(headers, Qt::Key_Return);
    QTest::keyClick(headers, Qt::Key_Return);
    QTest::keyClicks(headers, QStringLiteral("X-Two: two words"));
    QVERIFY(status->isHidden());
    QVERIFY(apply->isEnabled());
    QVERIFY(changed.isEmpty()); // typing sends nothing
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_COMPARE(m_f->job(id).customHeaders, (QStringList{QStringLiteral("X-One: 1"), QStringLiteral("X-Two: two words")}));
    QTRY_VERIFY(!apply->isEnabled());
    QTRY_COMPARE(headers->toPlainText(), QStringLiteral("X-One: 1\nX-Two: two words"));
    QVERIFY(find<QLabel>(d.get(), "message")->isHidden());

    // A change made elsewhere shows up.
    QVERIFY(m_f->jobs()->setCustomHeaders(id, {QStringLiteral("X-Three: 3")}));
    QTRY_COMPARE(headers->toPlainText(), QStringLiteral("X-Three: 3"));
    QVERIFY(!apply->isEnabled());
}

void tst_PropertiesDialog::securityBoxesChangeTheEngineAndWarn()
{
    const QUuid id = createJob(QStringLiteral("tls"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, ConnectionTab);
    auto *redirect = find<QComboBox>(d.get(), "redirectPolicy");
    auto *httpsToHttp = find<QCheckBox>(d.get(), "allowHttpsToHttp");
    auto *unknownCa = find<QCheckBox>(d.get(), "ignoreUnknownCa");
    auto *expired = find<QCheckBox>(d.get(), "ignoreCertDate");
    auto *warning = find<QLabel>(d.get(), "certWarning");
    QVERIFY(redirect && httpsToHttp && unknownCa && expired && warning);
    for (const char *name : {"ignoreCertName", "ignoreCertDate", "ignoreUnknownCa", "ignoreCertUsage"})
        QVERIFY2(!find<QCheckBox>(d.get(), name)->isChecked(), name);
    QCOMPARE(redirect->count(), 3);
    QCOMPARE(redirect->currentData().toUInt(), security::RedirectAllowSilent);
    QVERIFY(!warning->isVisible());

    click(unknownCa);
    QVERIFY(unknownCa->isChecked());
    QVERIFY(warning->isVisible());
    QVERIFY(warning->text().contains(QStringLiteral("weakened")));
    QTRY_COMPARE(m_f->job(id).securityFlags, security::IgnoreUnknownCa);

    // Refusing redirects: HTTPS to HTTP no longer applies.
    redirect->setCurrentIndex(redirect->findData(security::RedirectDisallow));
    QTRY_COMPARE(m_f->job(id).securityFlags, security::IgnoreUnknownCa | security::RedirectDisallow);
    QVERIFY(!httpsToHttp->isEnabled());
    redirect->setCurrentIndex(redirect->findData(security::RedirectAllowReport));
    QTRY_COMPARE(m_f->job(id).securityFlags, security::IgnoreUnknownCa | security::RedirectAllowReport);
    QVERIFY(httpsToHttp->isEnabled());
    click(httpsToHttp);
    QTRY_COMPARE(m_f->job(id).securityFlags,
                 security::IgnoreUnknownCa | security::RedirectAllowReport | security::AllowHttpsToHttp);

    click(unknownCa);
    QVERIFY(!unknownCa->isChecked());
    QVERIFY(!warning->isVisible());
    QTRY_COMPARE(m_f->job(id).securityFlags, security::RedirectAllowReport | security::AllowHttpsToHttp);
    QVERIFY(find<QLabel>(d.get(), "message")->isHidden());

    // A change made elsewhere shows up, warning included.
    QVERIFY(m_f->jobs()->setSecurityFlags(id, security::IgnoreCertDateInvalid));
    QTRY_VERIFY(expired->isChecked());
    QVERIFY(warning->isVisible());
    QVERIFY(!httpsToHttp->isChecked());
    QCOMPARE(redirect->currentData().toUInt(), security::RedirectAllowSilent);
}

void tst_PropertiesDialog::refusedSecurityChangeRevertsTheBox()
{
    const QUuid id = createJob(QStringLiteral("contested tls"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, ConnectionTab);
    auto *unknownCa = find<QCheckBox>(d.get(), "ignoreUnknownCa");
    auto *warning = find<QLabel>(d.get(), "certWarning");
    auto *message = find<QLabel>(d.get(), "message");
    QVERIFY(unknownCa && warning && message);

    click(unknownCa);
    QVERIFY(warning->isVisible());
    QVERIFY(m_f->jobs()->takeOwnership(id, ElevatedAdmin)); // before the engine gets the change
    QTRY_VERIFY(message->isVisible());
    QVERIFY2(message->text().contains(QStringLiteral("security settings")), qPrintable(message->text()));
    QVERIFY2(message->text().contains(QStringLiteral("ACCESSDENIED")), qPrintable(message->text()));
    QVERIFY(!unknownCa->isChecked());
    QVERIFY(!warning->isVisible());
    QCOMPARE(m_f->job(id).securityFlags, 0u);
    QVERIFY(!unknownCa->isEnabled());
}

void tst_PropertiesDialog::connectionTabIsReadOnlyForALesserViewer()
{
    const QUuid id = createJob(QStringLiteral("admin's connection"), ElevatedAdmin);
    QVERIFY(m_f->jobs()->setProxyUsage(id, ProxyUsage::Override, QStringLiteral("proxy.example:3128"), QStringLiteral("<local>")));
    QVERIFY(m_f->jobs()->setCustomHeaders(id, {QStringLiteral("X-Admin: yes")}));
    QVERIFY(m_f->jobs()->setSecurityFlags(id, security::IgnoreCertCnInvalid | security::RedirectDisallow));
    auto d = open(id, OrdinaryUser, ConnectionTab);
    QVERIFY(d->isReadOnly());

    // The job's values are shown...
    QCOMPARE(ProxyUsage(find<QComboBox>(d.get(), "proxyUsage")->currentData().toInt()), ProxyUsage::Override);
    QCOMPARE(find<QLineEdit>(d.get(), "proxyList")->text(), QStringLiteral("proxy.example:3128"));
    QCOMPARE(find<QLineEdit>(d.get(), "proxyBypass")->text(), QStringLiteral("<local>"));
    QCOMPARE(find<QPlainTextEdit>(d.get(), "customHeaders")->toPlainText(), QStringLiteral("X-Admin: yes"));
    QVERIFY(find<QCheckBox>(d.get(), "ignoreCertName")->isChecked());
    QCOMPARE(find<QComboBox>(d.get(), "redirectPolicy")->currentData().toUInt(), security::RedirectDisallow);
    QVERIFY(find<QLabel>(d.get(), "certWarning")->isVisible());

    // ...but nothing can be changed.
    for (const char *name : {"credentialTarget", "credentialScheme", "proxyUsage", "redirectPolicy"})
        QVERIFY2(!find<QComboBox>(d.get(), name)->isEnabled(), name);
    for (const char *name : {"userName", "password", "proxyList", "proxyBypass"})
        QVERIFY2(!find<QLineEdit>(d.get(), name)->isEnabled(), name);
    for (const char *name : {"saveCredentials", "removeCredentials", "applyProxy", "applyHeaders"})
        QVERIFY2(!find<QPushButton>(d.get(), name)->isEnabled(), name);
    for (const char *name : {"allowHttpsToHttp", "ignoreCertName", "ignoreCertDate", "ignoreUnknownCa", "ignoreCertUsage"})
        QVERIFY2(!find<QCheckBox>(d.get(), name)->isEnabled(), name);
    QVERIFY(!find<QPlainTextEdit>(d.get(), "customHeaders")->isEnabled());

    // A click on a disabled box does nothing, here or in the engine.
    click(find<QCheckBox>(d.get(), "ignoreUnknownCa"));
    QVERIFY(flushEngine());
    QCOMPARE(m_f->job(id).securityFlags, security::IgnoreCertCnInvalid | security::RedirectDisallow);

    // The same job for an elevated viewer is editable.
    auto e = open(id, ElevatedAdmin, ConnectionTab);
    QVERIFY(!e->isReadOnly());
    for (const char *name : {"credentialTarget", "credentialScheme", "proxyUsage", "redirectPolicy"})
        QVERIFY2(find<QComboBox>(e.get(), name)->isEnabled(), name);
    for (const char *name : {"userName", "password", "proxyList", "proxyBypass"})
        QVERIFY2(find<QLineEdit>(e.get(), name)->isEnabled(), name);
    for (const char *name : {"ignoreCertName", "ignoreCertDate", "ignoreUnknownCa", "ignoreCertUsage"})
        QVERIFY2(find<QCheckBox>(e.get(), name)->isEnabled(), name);
    QVERIFY(!find<QCheckBox>(e.get(), "allowHttpsToHttp")->isEnabled()); // redirects are refused
    QVERIFY(find<QPlainTextEdit>(e.get(), "customHeaders")->isEnabled());
}

// The notification boxes show the job's notify flags (JOB_TRANSFERRED|JOB_ERROR by default) and
// each click sends its own bit with setnotifyflags, keeping the others.
void tst_PropertiesDialog::notifyCheckboxesSendTheFlags()
{
    const QUuid id = createJob(QStringLiteral("notify"), OrdinaryUser);
    auto d = open(id, OrdinaryUser, TransferTab);
    auto *transferred = find<QCheckBox>(d.get(), "notifyTransferred");
    auto *error = find<QCheckBox>(d.get(), "notifyError");
    auto *modification = find<QCheckBox>(d.get(), "notifyModification");
    auto *file = find<QCheckBox>(d.get(), "notifyFile");
    auto *disable = find<QCheckBox>(d.get(), "notifyDisable");
    QVERIFY(transferred && error && modification && file && disable);
    QVERIFY(transferred->isChecked() && error->isChecked());
    QVERIFY(!modification->isChecked() && !file->isChecked() && !disable->isChecked());

    click(modification);
    QTRY_COMPARE(m_f->job(id).notifyFlags, notifyflags::JobTransferred | notifyflags::JobError | notifyflags::JobModification);
    click(file);
    QTRY_COMPARE(m_f->job(id).notifyFlags, 0x1Bu);
    click(transferred);
    QTRY_COMPARE(m_f->job(id).notifyFlags, 0x1Au);
    click(disable);
    QTRY_COMPARE(m_f->job(id).notifyFlags, 0x1Eu);
    QVERIFY(disable->isChecked() && !transferred->isChecked());
    QVERIFY(find<QLabel>(d.get(), "message")->isHidden());

    // A change made elsewhere (ferry-admin) shows up in the boxes.
    QVERIFY(m_f->jobs()->setNotifyFlags(id, notifyflags::FileTransferred));
    QTRY_VERIFY(!disable->isChecked());
    QVERIFY(file->isChecked());
    QVERIFY(!transferred->isChecked() && !error->isChecked() && !modification->isChecked());
}

void tst_PropertiesDialog::notifyCheckboxesAreReadOnlyForALesserViewer()
{
    const QUuid id = createJob(QStringLiteral("admin's"), ElevatedAdmin);
    auto d = open(id, OrdinaryUser, TransferTab);
    QVERIFY(d->isReadOnly());
    for (const char *name : {"notifyTransferred", "notifyError", "notifyModification", "notifyFile", "notifyDisable"})
        QVERIFY2(!find<QCheckBox>(d.get(), name)->isEnabled(), name);
    click(find<QCheckBox>(d.get(), "notifyDisable"));
    QVERIFY(flushEngine());
    QCOMPARE(m_f->job(id).notifyFlags, notifyflags::Default);

    auto e = open(id, ElevatedAdmin, TransferTab);
    QVERIFY(find<QCheckBox>(e.get(), "notifyDisable")->isEnabled());
    click(find<QCheckBox>(e.get(), "notifyDisable"));
    QTRY_COMPARE(m_f->job(id).notifyFlags, notifyflags::Default | notifyflags::Disable);
}

QTEST_MAIN(tst_PropertiesDialog)
#include "tst_propertiesdialog.moc"
