// The new-job dialog against a real in-process engine (EngineFixture) and a real HTTP server
// (FaultServer): links are checked as they are typed, OK makes one job with every link and the
// chosen properties through queued calls, and a refusal is shown with nothing left behind.
#include "EngineClient.h"
#include "EngineFixture.h"
#include "FaultServer.h"
#include "TestContent.h"

#include "core/Sha256.h"
#include "jobs/JobManager.h"
#include "NewJobDialog.h"

#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

#include <memory>

using namespace ferry;
using namespace ferry::test;

class tst_NewJobDialog : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void startsEmptyWithTheDefaults();
    void badUrlDisablesOkAndNamesTheLine();
    void twoUrlsMakeOneJobThatDownloads();
    void addSuspendedWithPrefilledUrls();
    void singleUrlNamesTheJobAfterItsFile();
    void sameFileNameAsAFileOnDiskGetsAnotherName();
    void missingFolderIsRefusedAndNothingRemains();
    void missingDefaultFolderIsCreated();
    void relativeFolderDisablesOk();
    void tooManyLinksDisableOk();
    void linkLimitIsTheEnginesSetting();
    void pasteOfTextTakesItsLinks();
    void everyControlHasAnAccessibleName();

private:
    std::unique_ptr<NewJobDialog> open(const QString &folder);
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
        auto *buttons = find<QDialogButtonBox>(dialog, "buttons");
        return buttons ? buttons->button(QDialogButtonBox::Ok) : nullptr;
    }
    // Types lines into the link editor as a user would, each ended with Enter but the last.
    static void typeLines(QPlainTextEdit *edit, const QStringList &lines);
    QUrl fileUrl(qint64 size, quint32 seed) const
    {
        return m_server->url(QStringLiteral("/file?size=%1&seed=%2").arg(size).arg(seed));
    }

    std::unique_ptr<FaultServer> m_server;
    std::unique_ptr<EngineFixture> m_f;
    std::unique_ptr<EngineClient> m_client;
};

void tst_NewJobDialog::initTestCase()
{
    m_server = std::make_unique<FaultServer>();
    QVERIFY(m_server->port() != 0);
}

void tst_NewJobDialog::init()
{
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
    m_client = std::make_unique<EngineClient>(m_f->service());
    m_server->clear();
}

void tst_NewJobDialog::cleanup()
{
    m_client.reset();
    m_f.reset();
}

std::unique_ptr<NewJobDialog> tst_NewJobDialog::open(const QString &folder)
{
    auto dialog = std::make_unique<NewJobDialog>(m_client.get(), nullptr);
    if (!folder.isEmpty())
        dialog->setDownloadFolder(folder);
    dialog->show();
    if (!QTest::qWaitForWindowExposed(dialog.get()))
        qWarning("the dialog was not exposed");
    return dialog;
}

void tst_NewJobDialog::typeLines(QPlainTextEdit *edit, const QStringList &lines)
{
    edit->setFocus();
    for (int i = 0; i < lines.size(); ++i) {
        if (i > 0)
            QTest::keyClick(edit, Qt::Key_Return);
        QTest::keyClicks(edit, lines[i]);
    }
}

void tst_NewJobDialog::startsEmptyWithTheDefaults()
{
    auto d = open(m_f->downloadDir());
    QVERIFY(!okButton(d.get())->isEnabled()); // no links yet
    QCOMPARE(find<QLineEdit>(d.get(), "folder")->text(), m_f->downloadDir());
    QCOMPARE(find<QComboBox>(d.get(), "priority")->currentData().toInt(), int(JobPriority::Normal));
    QVERIFY(!find<QCheckBox>(d.get(), "peerClient")->isChecked());
    QVERIFY(!find<QCheckBox>(d.get(), "peerServer")->isChecked());
    QCOMPARE(find<QSpinBox>(d.get(), "maxTime")->value(), 90);
    QCOMPARE(find<QComboBox>(d.get(), "maxTimeUnit")->currentData().toUInt(), 86400u);
    QVERIFY(find<QRadioButton>(d.get(), "startNow")->isChecked());
    QVERIFY(find<QLabel>(d.get(), "message")->isHidden());
    QVERIFY(find<QLineEdit>(d.get(), "name")->text().isEmpty());

    // 0 is "No limit".
    auto *spin = find<QSpinBox>(d.get(), "maxTime");
    spin->setValue(0);
    QCOMPARE(spin->text(), QStringLiteral("No limit"));
}

void tst_NewJobDialog::badUrlDisablesOkAndNamesTheLine()
{
    auto d = open(m_f->downloadDir());
    auto *urls = find<QPlainTextEdit>(d.get(), "urls");
    auto *status = find<QLabel>(d.get(), "urlStatus");
    QPushButton *ok = okButton(d.get());
    QVERIFY(urls && status && ok);

    typeLines(urls, {QStringLiteral("http://example.com/a.iso"), QStringLiteral("https://example.com/b.iso"),
                     QStringLiteral("ftp://x")});
    QVERIFY(!ok->isEnabled());
    QVERIFY2(status->text().contains(QLatin1String("2 links")), qPrintable(status->text()));
    QVERIFY2(status->text().contains(QLatin1String("line 3")), qPrintable(status->text()));
    QVERIFY2(status->text().contains(QLatin1String("'ftp://x' is not an http or https link")), qPrintable(status->text()));

    // Fix it: "ftp" becomes "http".
    QTest::keyClick(urls, Qt::Key_Home);
    for (int i = 0; i < 3; ++i)
        QTest::keyClick(urls, Qt::Key_Delete);
    QTest::keyClicks(urls, QStringLiteral("http"));
    QCOMPARE(urls->toPlainText().split(QLatin1Char('\n')).last(), QStringLiteral("http://x"));
    QVERIFY(ok->isEnabled());
    QVERIFY2(status->text().contains(QLatin1String("3 links")), qPrintable(status->text()));
    QVERIFY2(!status->text().contains(QLatin1String("line")), qPrintable(status->text()));

    // A line with no scheme, and blank lines, which do not count.
    QTest::keyClick(urls, Qt::Key_End);
    QTest::keyClick(urls, Qt::Key_Return);
    QTest::keyClick(urls, Qt::Key_Return);
    QVERIFY(ok->isEnabled());
    QTest::keyClicks(urls, QStringLiteral("example.com/c"));
    QVERIFY(!ok->isEnabled());
    QVERIFY2(status->text().contains(QLatin1String("line 5")), qPrintable(status->text()));
    QVERIFY2(status->text().contains(QLatin1String("no scheme")), qPrintable(status->text()));
    // Two bad lines: the first is named and the other counted.
    QTest::keyClick(urls, Qt::Key_Return);
    QTest::keyClicks(urls, QStringLiteral("http://"));
    QVERIFY2(status->text().contains(QLatin1String("and 1 more line")), qPrintable(status->text()));
    urls->clear();
    QVERIFY(!ok->isEnabled());

    // Clicking the disabled OK does nothing.
    QTest::mouseClick(ok, Qt::LeftButton);
    QTest::qWait(50);
    QVERIFY(d->isVisible());
    QVERIFY(m_f->jobs()->jobs().isEmpty());
}

void tst_NewJobDialog::twoUrlsMakeOneJobThatDownloads()
{
    auto d = open(m_f->downloadDir());
    QSignalSpy created(d.get(), &NewJobDialog::jobCreated);
    // Both links end in "file": the job must still write two different files.
    const QUrl first = fileUrl(1000, 5);
    const QUrl second = fileUrl(300000, 6);
    typeLines(find<QPlainTextEdit>(d.get(), "urls"), {first.toString(), second.toString()});
    QTest::keyClicks(find<QLineEdit>(d.get(), "name"), QStringLiteral("Two files"));
    auto *priority = find<QComboBox>(d.get(), "priority");
    priority->setCurrentIndex(priority->findData(int(JobPriority::High)));
    find<QCheckBox>(d.get(), "peerClient")->click();
    find<QCheckBox>(d.get(), "peerServer")->click();
    auto *unit = find<QComboBox>(d.get(), "maxTimeUnit");
    unit->setCurrentIndex(unit->findData(3600u));
    auto *spin = find<QSpinBox>(d.get(), "maxTime");
    QCOMPARE(spin->value(), 90); // the number stays when the unit changes
    spin->setFocus();
    spin->selectAll();
    QTest::keyClicks(spin, QStringLiteral("2")); // not confirmed with Enter: OK takes it anyway
    QVERIFY(find<QRadioButton>(d.get(), "startNow")->isChecked());

    QPushButton *ok = okButton(d.get());
    QVERIFY(ok->isEnabled());
    QTest::mouseClick(ok, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(created.size(), 1, WaitMs);
    QCOMPARE(d->result(), int(QDialog::Accepted));
    QVERIFY(!d->isVisible());

    const QUuid id = created.first().first().toUuid();
    QVERIFY(!id.isNull());
    QCOMPARE(m_f->jobs()->jobs().size(), 1);
    const Job job = m_f->job(id);
    QCOMPARE(job.displayName, QStringLiteral("Two files"));
    QCOMPARE(job.priority, JobPriority::High);
    QCOMPARE(job.peerCachingFlags, peercaching::Client | peercaching::Server);
    QCOMPARE(job.maximumDownloadTime, 7200u);
    QCOMPARE(job.files.size(), 2);
    QCOMPARE(job.files[0].remoteUrl, first);
    QCOMPARE(job.files[1].remoteUrl, second);
    const QString name0 = job.files[0].localName;
    const QString name1 = job.files[1].localName;
    QCOMPARE(name0, QDir(m_f->downloadDir()).filePath(QStringLiteral("file")));
    QCOMPARE(name1, QDir(m_f->downloadDir()).filePath(QStringLiteral("file (1)")));

    WAIT_STATE(id, JobState::Transferred);
    QVERIFY(m_f->jobs()->complete(id));
    QCOMPARE(Sha256::ofFile(name0), TestContent::sha256Hex(5, 1000));
    QCOMPARE(Sha256::ofFile(name1), TestContent::sha256Hex(6, 300000));
}

void tst_NewJobDialog::addSuspendedWithPrefilledUrls()
{
    auto d = open(m_f->downloadDir());
    QSignalSpy created(d.get(), &NewJobDialog::jobCreated);
    const QList<QUrl> urls{fileUrl(2000, 7), m_server->url(QStringLiteral("/file?size=3000&seed=8&name=other"))};
    d->setUrls(urls);
    QCOMPARE(find<QPlainTextEdit>(d.get(), "urls")->toPlainText(),
             urls[0].toString() + QLatin1Char('\n') + urls[1].toString());
    const QString status = find<QLabel>(d.get(), "urlStatus")->text();
    QVERIFY2(status.contains(QLatin1String("2 links")) && !status.contains(QLatin1String("line")), qPrintable(status));
    QCOMPARE(d->urls(), urls);
    QCOMPARE(find<QLineEdit>(d.get(), "name")->placeholderText(), QStringLiteral("2 downloads"));

    auto *suspended = find<QRadioButton>(d.get(), "addSuspended");
    QVERIFY(suspended);
    suspended->click();
    QVERIFY(!find<QRadioButton>(d.get(), "startNow")->isChecked());
    QPushButton *ok = okButton(d.get());
    QVERIFY(ok->isEnabled());
    QTest::mouseClick(ok, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(created.size(), 1, WaitMs);
    const QUuid id = created.first().first().toUuid();
    QCOMPARE(m_f->state(id), JobState::Suspended);
    const Job job = m_f->job(id);
    QCOMPARE(job.displayName, QStringLiteral("2 downloads"));
    QCOMPARE(job.priority, JobPriority::Normal);
    QCOMPARE(job.peerCachingFlags, 0u);
    QCOMPARE(job.maximumDownloadTime, defaults::MaximumDownloadTime);
    QCOMPARE(job.files.size(), 2);
    QTest::qWait(200);
    QCOMPARE(m_f->state(id), JobState::Suspended); // nothing starts it
    QCOMPARE(m_server->requestCount("/file"), 0);
}

void tst_NewJobDialog::singleUrlNamesTheJobAfterItsFile()
{
    auto d = open(m_f->downloadDir());
    QSignalSpy created(d.get(), &NewJobDialog::jobCreated);
    d->setUrls({m_server->url(QStringLiteral("/dir/file%20name.bin?size=100"))});
    QCOMPARE(find<QLineEdit>(d.get(), "name")->placeholderText(), QStringLiteral("file name.bin"));
    find<QRadioButton>(d.get(), "addSuspended")->click();
    QTest::mouseClick(okButton(d.get()), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(created.size(), 1, WaitMs);
    const Job job = m_f->job(created.first().first().toUuid());
    QCOMPARE(job.displayName, QStringLiteral("file name.bin"));
    QCOMPARE(job.files.size(), 1);
    QCOMPARE(job.files[0].localName, QDir(m_f->downloadDir()).filePath(QStringLiteral("file name.bin")));
}

void tst_NewJobDialog::sameFileNameAsAFileOnDiskGetsAnotherName()
{
    QVERIFY(TestContent::writeFile(m_f->downloadPath(QStringLiteral("file")), 1, 10));
    auto d = open(m_f->downloadDir());
    QSignalSpy created(d.get(), &NewJobDialog::jobCreated);
    d->setUrls({fileUrl(500, 10), fileUrl(600, 11), fileUrl(700, 12)});
    QTest::mouseClick(okButton(d.get()), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(created.size(), 1, WaitMs);
    const QUuid id = created.first().first().toUuid();
    const Job job = m_f->job(id);
    QCOMPARE(job.files.size(), 3);
    QCOMPARE(job.files[0].localName, m_f->downloadPath(QStringLiteral("file (1)")));
    QCOMPARE(job.files[1].localName, m_f->downloadPath(QStringLiteral("file (2)")));
    QCOMPARE(job.files[2].localName, m_f->downloadPath(QStringLiteral("file (3)")));
    WAIT_STATE(id, JobState::Transferred);
    QVERIFY(m_f->jobs()->complete(id));
    QCOMPARE(Sha256::ofFile(m_f->downloadPath(QStringLiteral("file (3)"))),
             TestContent::sha256Hex(12, 700));
    QCOMPARE(QFileInfo(m_f->downloadPath(QStringLiteral("file"))).size(), 10); // never overwritten
}

void tst_NewJobDialog::missingFolderIsRefusedAndNothingRemains()
{
    auto d = open(m_f->downloadDir());
    QSignalSpy created(d.get(), &NewJobDialog::jobCreated);
    QSignalSpy changed(m_f->jobs(), &JobManager::jobChanged);
    const QString missing = QDir(m_f->downloadDir()).filePath(QStringLiteral("missing/deeper"));
    auto *folder = find<QLineEdit>(d.get(), "folder");
    folder->selectAll();
    QTest::keyClicks(folder, missing);
    QCOMPARE(d->downloadFolder(), missing);
    d->setUrls({fileUrl(1000, 5), fileUrl(1000, 6)});
    QPushButton *ok = okButton(d.get());
    QVERIFY(ok->isEnabled()); // whether the folder exists is for the engine to say
    QTest::mouseClick(ok, Qt::LeftButton);

    auto *message = find<QLabel>(d.get(), "message");
    QTRY_VERIFY_WITH_TIMEOUT(message->isVisible() && message->text().contains(QLatin1String("does not exist")), WaitMs);
    QVERIFY2(message->text().contains(QLatin1String("line 1")), qPrintable(message->text()));
    QVERIFY(d->isVisible());
    QCOMPARE(d->result(), int(QDialog::Rejected));
    QCOMPARE(created.size(), 0);
    QVERIFY(!changed.isEmpty());                    // a job was begun...
    QVERIFY(m_f->jobs()->jobs().isEmpty());         // ...and cancelled
    QVERIFY(!QFileInfo::exists(missing));           // only the default folder is ever made
    QVERIFY(ok->isEnabled());                       // the user may fix it and try again
    QVERIFY(folder->isEnabled());

    folder->selectAll();
    QTest::keyClicks(folder, m_f->downloadDir());
    QTest::mouseClick(ok, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(created.size(), 1, WaitMs);
    QCOMPARE(m_f->jobs()->jobs().size(), 1);
    QVERIFY(message->isHidden());
}

void tst_NewJobDialog::missingDefaultFolderIsCreated()
{
    const QString fresh = QDir(m_f->downloadDir()).filePath(QStringLiteral("Downloads"));
    auto d = open(fresh);
    QSignalSpy created(d.get(), &NewJobDialog::jobCreated);
    d->setUrls({fileUrl(1000, 5)});
    QTest::mouseClick(okButton(d.get()), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(created.size(), 1, WaitMs);
    QVERIFY(QFileInfo(fresh).isDir());
    const QUuid id = created.first().first().toUuid();
    QCOMPARE(m_f->job(id).files.value(0).localName, QDir(fresh).filePath(QStringLiteral("file")));
}

void tst_NewJobDialog::relativeFolderDisablesOk()
{
    auto d = open(QString());
    d->setUrls({fileUrl(1000, 5)});
    QPushButton *ok = okButton(d.get());
    auto *folderStatus = find<QLabel>(d.get(), "folderStatus");
    QVERIFY(!ok->isEnabled()); // no folder
    QVERIFY(folderStatus->isVisible());
    auto *folder = find<QLineEdit>(d.get(), "folder");
    QTest::keyClicks(folder, QStringLiteral("relative/dir"));
    QVERIFY(!ok->isEnabled());
    QVERIFY2(folderStatus->text().contains(QLatin1String("full path")), qPrintable(folderStatus->text()));
    folder->clear();
    QTest::keyClicks(folder, QStringLiteral("~/x"));
    QVERIFY(ok->isEnabled());
    QCOMPARE(d->downloadFolder(), QDir::homePath() + QStringLiteral("/x"));
    QVERIFY(folderStatus->isHidden());
}

void tst_NewJobDialog::tooManyLinksDisableOk()
{
    auto d = open(m_f->downloadDir());
    QList<QUrl> urls;
    for (int i = 0; i <= defaults::MaxFilesPerJob; ++i)
        urls << QUrl(QStringLiteral("http://example.com/%1").arg(i));
    d->setUrls(urls);
    QVERIFY(!okButton(d.get())->isEnabled());
    const QString status = find<QLabel>(d.get(), "urlStatus")->text();
    QVERIFY2(status.contains(QLatin1String("at most 200")), qPrintable(status));
    urls.removeLast();
    d->setUrls(urls);
    QVERIFY(okButton(d.get())->isEnabled());
}

// The limit the dialog shows is the engine's maxFilesPerJob, not a number of its own.
void tst_NewJobDialog::linkLimitIsTheEnginesSetting()
{
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("maxFilesPerJob"), QStringLiteral("3")));
    QTRY_COMPARE_WITH_TIMEOUT(m_client->settings().maxFilesPerJob, 3, 10000);
    auto d = open(m_f->downloadDir());
    QList<QUrl> urls;
    for (int i = 0; i < 4; ++i)
        urls << QUrl(QStringLiteral("http://example.com/%1").arg(i));
    d->setUrls(urls);
    QVERIFY(!okButton(d.get())->isEnabled());
    const QString status = find<QLabel>(d.get(), "urlStatus")->text();
    QVERIFY2(status.contains(QLatin1String("at most 3")), qPrintable(status));
    urls.removeLast();
    d->setUrls(urls);
    QVERIFY(okButton(d.get())->isEnabled());
}

void tst_NewJobDialog::pasteOfTextTakesItsLinks()
{
    QClipboard *clipboard = QGuiApplication::clipboard();
    clipboard->setText(QStringLiteral("Here: http://example.com/a.iso and\nalso <https://example.com/b.zip>, thanks"));
    if (clipboard->text().isEmpty())
        QSKIP("no clipboard on this platform");
    auto d = open(m_f->downloadDir());
    auto *urls = find<QPlainTextEdit>(d.get(), "urls");
    urls->setFocus();
    urls->paste();
    QCOMPARE(urls->toPlainText(), QStringLiteral("http://example.com/a.iso\nhttps://example.com/b.zip"));
    QVERIFY(okButton(d.get())->isEnabled());

    // A list of tokens goes in as it is, to be checked.
    urls->clear();
    clipboard->setText(QStringLiteral("http://example.com/a\nftp://example.com/b"));
    urls->paste();
    QCOMPARE(urls->toPlainText(), QStringLiteral("http://example.com/a\nftp://example.com/b"));
    QVERIFY(!okButton(d.get())->isEnabled());
}

void tst_NewJobDialog::everyControlHasAnAccessibleName()
{
    auto d = open(m_f->downloadDir());
    const QList<QWidget *> widgets = d->findChildren<QWidget *>();
    int checked = 0;
    for (QWidget *w : widgets) {
        if (!w->focusPolicy() || !w->isVisible() || qobject_cast<QPlainTextEdit *>(w->parentWidget())
            || qobject_cast<QComboBox *>(w->parentWidget()) || qobject_cast<QSpinBox *>(w->parentWidget()))
            continue; // viewports and inner line edits are part of their control
        if (w->focusPolicy() == Qt::NoFocus)
            continue;
        ++checked;
        QVERIFY2(!w->accessibleName().isEmpty(),
                 qPrintable(QStringLiteral("%1 (%2)").arg(w->objectName(), QString::fromLatin1(w->metaObject()->className()))));
    }
    QVERIFY(checked >= 12);
    for (const char *name : {"urlStatus", "message", "buttons"})
        QVERIFY(!find<QWidget>(d.get(), name)->accessibleName().isEmpty());
}

QTEST_MAIN(tst_NewJobDialog)
#include "tst_newjobdialog.moc"
