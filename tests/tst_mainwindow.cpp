// The main window against a real in-process engine, offscreen: links dropped on it (a browser's
// text/uri-list, plain text, local text files listing links) become jobs that download for real;
// drops that hold nothing usable say so.
#include "EngineClient.h"
#include "EngineFixture.h"
#include "FaultServer.h"
#include "TestContent.h"

#include "ClipboardWatch.h"
#include "core/Sha256.h"
#include "DesktopSettings.h"
#include "JobFilterProxy.h"
#include "JobListModel.h"
#include "JobPropertiesDialog.h"
#include "jobs/JobManager.h"
#include "MainWindow.h"
#include "NewJobDialog.h"
#include "SettingsDialog.h"
#include "Translations.h"
#include "TrayIcon.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <QComboBox>
#include <QDropEvent>
#include <QLineEdit>
#include <QTableView>
#include <QFile>
#include <QMimeData>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace ferry;
using namespace ferry::test;

class tst_MainWindow : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void droppedLinksBecomeJobs();
    void droppedTextAndListFiles();
    void unusableDropsSaySo();
    void actionsWorkThroughSearchAndFilter();
    void doubleClickOpensProperties();
    void refusedCompleteIsShownInTheStatusBar();
    void closingWithATrayKeepsTransfersRunning();
    void trayMenuSuspendsAndResumesAll();
    void dropOpensThePrefilledNewJobDialogWhenAsked();
    void copiedLinksAreOfferedOnceWhenWatching();
    void closingWithoutATrayAsksWhileJobsRun();

private:
    // Drops data (and deletes it) on the window as a drag from elsewhere would; returns
    // dropHandled's arguments.
    QList<QVariant> drop(QMimeData *data);
    QList<Job> jobsNamed(const QString &name) const;

    std::unique_ptr<FaultServer> m_fault;
    std::unique_ptr<EngineFixture> m_f;
    std::unique_ptr<EngineClient> m_client;
    std::unique_ptr<JobListModel> m_model;
    std::unique_ptr<MainWindow> m_window;
};

void tst_MainWindow::initTestCase()
{
    QVERIFY(installTranslations(qApp)); // as the program does
    m_fault = std::make_unique<FaultServer>();
    QVERIFY(m_fault->port() != 0);
}

void tst_MainWindow::init()
{
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
    m_client = std::make_unique<EngineClient>(m_f->service());
    m_model = std::make_unique<JobListModel>();
    m_model->follow(m_client->jobs());
    m_window = std::make_unique<MainWindow>(m_model.get(), m_client.get());
    m_window->setDownloadFolder(m_f->downloadDir());
    m_window->show();
}

void tst_MainWindow::cleanup()
{
    m_window.reset();
    m_model.reset();
    m_client.reset();
    m_f.reset();
}

QList<QVariant> tst_MainWindow::drop(QMimeData *data)
{
    const std::unique_ptr<QMimeData> owner(data);   // drag and drop events never own their data
    QSignalSpy handled(m_window.get(), &MainWindow::dropHandled);
    const QPoint where = m_window->rect().center();
    QDragEnterEvent enter(where, Qt::CopyAction, data, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(m_window.get(), &enter);
    if (!enter.isAccepted())
        return {};
    QDropEvent dropped(QPointF(where), Qt::CopyAction, data, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(m_window.get(), &dropped);
    if (handled.isEmpty() && !handled.wait(WaitMs))
        return {};
    return handled.takeFirst();
}

QList<Job> tst_MainWindow::jobsNamed(const QString &name) const
{
    QList<Job> out;
    for (const Job &j : m_f->jobs()->jobs())
        if (j.displayName == name)
            out << j;
    return out;
}

void tst_MainWindow::droppedLinksBecomeJobs()
{
    // A file of that name exists already: the new one gets another name, nothing is overwritten.
    QFile existing(m_f->downloadPath(QStringLiteral("file")));
    QVERIFY(existing.open(QIODevice::WriteOnly) && existing.write("mine") == 4);
    existing.close();

    auto *data = new QMimeData;
    data->setUrls({m_fault->url(QStringLiteral("/file?size=5000&seed=61")), m_fault->url(QStringLiteral("/file?size=7000&seed=62")),
                   QUrl(QStringLiteral("ftp://example.org/x.iso"))});
    const QList<QVariant> handled = drop(data);
    QVERIFY2(!handled.isEmpty(), "the drop was refused or never handled");
    QCOMPARE(handled.at(0).toInt(), 2);
    QVERIFY2(handled.at(1).toStringList().join(QString()).contains(QLatin1String("ftp://example.org/x.iso")),
             qPrintable(handled.at(1).toStringList().join(QLatin1Char('\n'))));

    QTRY_COMPARE_WITH_TIMEOUT(jobsNamed(QStringLiteral("file")).size(), 2, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(m_model->rowCount() == 2, WaitMs); // the window lists them
    for (const Job &j : jobsNamed(QStringLiteral("file"))) {
        WAIT_STATE(j.id, JobState::Transferred);
        QVERIFY(m_f->jobs()->complete(j.id).ok());
    }
    QCOMPARE(QFile(m_f->downloadPath(QStringLiteral("file"))).size(), 4); // untouched
    const QByteArray a = Sha256::ofFile(m_f->downloadPath(QStringLiteral("file (1)")));
    const QByteArray b = Sha256::ofFile(m_f->downloadPath(QStringLiteral("file (2)")));
    QVERIFY2((a == TestContent::sha256Hex(61, 5000) && b == TestContent::sha256Hex(62, 7000))
                 || (a == TestContent::sha256Hex(62, 7000) && b == TestContent::sha256Hex(61, 5000)),
             "the two downloads do not hold the two origins' bytes");
}

void tst_MainWindow::droppedTextAndListFiles()
{
    auto *text = new QMimeData;
    text->setText(QStringLiteral("see %1 and also\n%2 (twice: %2)")
                      .arg(m_fault->url(QStringLiteral("/file?size=100&seed=63")).toString(),
                           m_fault->url(QStringLiteral("/file?size=200&seed=64")).toString()));
    QList<QVariant> handled = drop(text);
    QVERIFY(!handled.isEmpty());
    QCOMPARE(handled.at(0).toInt(), 2);
    QVERIFY(handled.at(1).toStringList().isEmpty());

    QTemporaryDir lists;
    const QString list = lists.filePath(QStringLiteral("links.txt"));
    QFile f(list);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(m_fault->url(QStringLiteral("/file?size=300&seed=65")).toEncoded() + "\n# a comment\n\n"
            + m_fault->url(QStringLiteral("/file?size=400&seed=66")).toEncoded() + "\n");
    f.close();
    const QString binary = lists.filePath(QStringLiteral("picture.png"));
    QFile png(binary);
    QVERIFY(png.open(QIODevice::WriteOnly) && png.write(QByteArray("\x89PNG\0\0\0", 8)) == 8);
    png.close();
    auto *files = new QMimeData;
    files->setUrls({QUrl::fromLocalFile(list), QUrl::fromLocalFile(binary)});
    handled = drop(files);
    QVERIFY(!handled.isEmpty());
    QCOMPARE(handled.at(0).toInt(), 2);
    QCOMPARE(handled.at(1).toStringList().size(), 1);
    QVERIFY(handled.at(1).toStringList().constFirst().contains(QLatin1String("picture.png")));
    QTRY_COMPARE_WITH_TIMEOUT(m_f->jobs()->jobs().size(), 4, WaitMs);
}

void tst_MainWindow::unusableDropsSaySo()
{
    // Text without links: taken, then answered with a message and no job.
    auto *words = new QMimeData;
    words->setText(QStringLiteral("just some words, no links"));
    const QList<QVariant> handled = drop(words);
    QVERIFY(!handled.isEmpty());
    QCOMPARE(handled.at(0).toInt(), 0);
    QCOMPARE(handled.at(1).toStringList().size(), 1);
    QVERIFY(handled.at(1).toStringList().constFirst().contains(QLatin1String("no http or https links")));

    // Raw image data: the drag is not even accepted.
    auto *image = new QMimeData;
    image->setData(QStringLiteral("image/png"), QByteArray("\x89PNG", 4));
    QVERIFY(drop(image).isEmpty());
    QTest::qWait(100);
    QCOMPARE(m_f->jobs()->jobs().size(), 0);
}

void tst_MainWindow::actionsWorkThroughSearchAndFilter()
{
    const QUuid alpha = m_f->addJob(QStringLiteral("alpha"), {{m_fault->url(QStringLiteral("/file?size=10&seed=1")), QStringLiteral("a")}});
    const QUuid beta = m_f->addJob(QStringLiteral("beta"), {{m_fault->url(QStringLiteral("/file?size=10&seed=2")), QStringLiteral("b")}});
    const QUuid gamma = m_f->addJob(QStringLiteral("gamma"), {{m_fault->url(QStringLiteral("/file?size=10&seed=3")), QStringLiteral("c")}});
    QTRY_COMPARE_WITH_TIMEOUT(m_window->proxy()->rowCount(), 3, WaitMs);
    QVERIFY(!m_window->action(QStringLiteral("cancel"))->isEnabled()); // nothing selected

    // The user searches, selects the only row left and cancels it: exactly that job goes.
    QTest::keyClicks(m_window->findChild<QLineEdit *>(), QStringLiteral("BET"));
    QCOMPARE(m_window->proxy()->rowCount(), 1);
    m_window->view()->selectRow(0);
    QCOMPARE(m_window->selectedJobs(), QList<QUuid>{beta});
    QVERIFY(m_window->action(QStringLiteral("cancel"))->isEnabled());
    m_window->action(QStringLiteral("cancel"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!m_f->exists(beta), WaitMs);
    QVERIFY(m_f->exists(alpha) && m_f->exists(gamma));

    // The state filter: resume gamma, then show only active jobs.
    m_window->findChild<QLineEdit *>()->clear();
    QVERIFY(m_f->jobs()->resume(gamma).ok());
    auto *states = m_window->findChild<QComboBox *>();
    states->setCurrentIndex(states->findData(int(JobFilterProxy::TransferredStates)));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->proxy()->rowCount(), 1, WaitMs);
    QCOMPARE(m_window->proxy()->jobId(0), gamma);
}

void tst_MainWindow::doubleClickOpensProperties()
{
    const QUuid id = m_f->addJob(QStringLiteral("inspect me"), {{m_fault->url(QStringLiteral("/file?size=10&seed=4")), QStringLiteral("d")}});
    QTRY_COMPARE_WITH_TIMEOUT(m_window->proxy()->rowCount(), 1, WaitMs);
    QTableView *view = m_window->view();
    const QRect cell = view->visualRect(view->model()->index(0, JobListModel::Name));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, cell.center()); // a double click starts with a press
    QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, cell.center());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->findChild<JobPropertiesDialog *>() != nullptr, WaitMs);
    QCOMPARE(m_window->findChild<JobPropertiesDialog *>()->jobId(), id);
}

// Complete refused by the engine (a file already at the target: Ferry never overwrites) is not
// lost: the status bar says which job and why, and the job stays TRANSFERRED with its bytes.
void tst_MainWindow::refusedCompleteIsShownInTheStatusBar()
{
    const QUuid id = m_f->addJob(QStringLiteral("blocked"), {{m_fault->url(QStringLiteral("/file?size=1000&seed=9")), QStringLiteral("e")}});
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferred);
    QFile squatter(m_f->downloadPath(QStringLiteral("e")));
    QVERIFY(squatter.open(QIODevice::WriteOnly));
    squatter.write("someone else's");
    squatter.close();
    QTRY_COMPARE_WITH_TIMEOUT(m_window->proxy()->rowCount(), 1, WaitMs);
    m_window->view()->selectRow(0);
    m_window->action(QStringLiteral("complete"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->statusBar()->currentMessage().contains(QLatin1String("already exists")), WaitMs);
    QVERIFY2(m_window->statusBar()->currentMessage().startsWith(QLatin1String("blocked: ")),
             qPrintable(m_window->statusBar()->currentMessage()));
    QCOMPARE(m_f->state(id), JobState::Transferred);
    QFile kept(m_f->downloadPath(QStringLiteral("e")));
    QVERIFY(kept.open(QIODevice::ReadOnly));
    QCOMPARE(kept.readAll(), QByteArray("someone else's"));
}

void tst_MainWindow::closingWithATrayKeepsTransfersRunning()
{
    const QUuid id = m_f->addJob(QStringLiteral("long"), {{m_fault->url(QStringLiteral("/trickle?size=4194304&chunk=4096&interval=20&seed=5")), QStringLiteral("e")}});
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferring);
    m_window->setKeepRunningInTray(true);
    QVERIFY(m_window->close() == false); // refused: only hidden
    QVERIFY(!m_window->isVisible());
    const qint64 before = m_f->fileBytes(id);
    QTRY_VERIFY_WITH_TIMEOUT(m_f->fileBytes(id) > before, WaitMs); // still downloading
    QCOMPARE(m_f->state(id), JobState::Transferring);
    QVERIFY(m_f->jobs()->cancel(id).ok());
}

void tst_MainWindow::trayMenuSuspendsAndResumesAll()
{
    // The tray's menu works without a tray host (offscreen): its actions are what a click runs.
    TrayIcon tray(m_client.get(), m_window.get());
    const QUuid a = m_f->addJob(QStringLiteral("one"), {{m_fault->url(QStringLiteral("/trickle?size=4194304&chunk=4096&interval=20&seed=6")), QStringLiteral("f")}});
    const QUuid b = m_f->addJob(QStringLiteral("two"), {{m_fault->url(QStringLiteral("/trickle?size=4194304&chunk=4096&interval=20&seed=7")), QStringLiteral("g")}});
    tray.resumeAllAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(m_f->state(a) != JobState::Suspended && m_f->state(b) != JobState::Suspended, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(tray.toolTip().contains(QLatin1String("2 active")), WaitMs);
    tray.suspendAllAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(m_f->state(a) == JobState::Suspended && m_f->state(b) == JobState::Suspended, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(tray.toolTip().contains(QLatin1String("no active")), WaitMs);

    m_window->hide();
    tray.showHideAction()->trigger();
    QVERIFY(m_window->isVisible());
}

void tst_MainWindow::dropOpensThePrefilledNewJobDialogWhenAsked()
{
    QTemporaryDir config;
    DesktopSettings settings(config.filePath(QStringLiteral("ferry.conf")));
    settings.setDownloadFolder(m_f->downloadDir());
    settings.setDropBehaviour(DesktopSettings::DropBehaviour::AskWithNewJobDialog);
    m_window->setDesktopSettings(&settings);

    auto *data = new QMimeData;
    const QUrl link = m_fault->url(QStringLiteral("/file?size=10&seed=9"));
    data->setUrls({link});
    QVERIFY(!drop(data).isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->findChild<NewJobDialog *>() != nullptr, WaitMs);
    auto *dialog = m_window->findChild<NewJobDialog *>();
    QCOMPARE(dialog->urls(), QList<QUrl>{link});
    QCOMPARE(dialog->downloadFolder(), m_f->downloadDir());
    QCOMPARE(m_f->jobs()->jobs().size(), 0); // nothing queued behind the user's back

    // The Settings action opens the settings dialog over the same preferences.
    m_window->action(QStringLiteral("settings"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->findChild<SettingsDialog *>() != nullptr, WaitMs);
    m_window.reset(); // before the settings it was given
}

void tst_MainWindow::copiedLinksAreOfferedOnceWhenWatching()
{
    QTemporaryDir config;
    DesktopSettings settings(config.filePath(QStringLiteral("ferry.conf")));
    settings.setDownloadFolder(m_f->downloadDir());
    m_window->setDesktopSettings(&settings);
    ClipboardWatch watch(&settings);
    connect(&watch, &ClipboardWatch::linkOffered, m_window.get(), &MainWindow::offerLink);
    QSignalSpy offered(&watch, &ClipboardWatch::linkOffered);
    const QUrl link = m_fault->url(QStringLiteral("/file?size=10&seed=10"));

    QGuiApplication::clipboard()->setText(link.toString()); // off by default: nothing
    QTest::qWait(50);
    QCOMPARE(offered.count(), 0);

    // The tray's toggle turns it on.
    TrayIcon tray(m_client.get(), m_window.get());
    tray.setDesktopSettings(&settings);
    tray.watchClipboardAction()->trigger();
    QVERIFY(settings.watchClipboard());

    QGuiApplication::clipboard()->setText(QStringLiteral("a whole paragraph mentioning %1 in passing").arg(link.toString()));
    QGuiApplication::clipboard()->setText(link.toString());
    QTRY_COMPARE_WITH_TIMEOUT(offered.count(), 1, WaitMs);
    QGuiApplication::clipboard()->setText(QStringLiteral("something else"));
    QGuiApplication::clipboard()->setText(link.toString()); // the same link: offered once only
    QTest::qWait(50);
    QCOMPARE(offered.count(), 1);

    auto *button = m_window->findChild<QPushButton *>(QStringLiteral("clipboardOffer"));
    QVERIFY(button);
    QCOMPARE(button->focusPolicy(), Qt::NoFocus);
    QTest::mouseClick(button, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_f->jobs()->jobs().size(), 1, WaitMs);
    QCOMPARE(m_f->jobs()->jobs().constFirst().files.constFirst().remoteUrl, link);
    m_window.reset(); // before the settings it was given
}

void tst_MainWindow::closingWithoutATrayAsksWhileJobsRun()
{
    const QUuid id = m_f->addJob(QStringLiteral("running"), {{m_fault->url(QStringLiteral("/trickle?size=4194304&chunk=4096&interval=20&seed=11")), QStringLiteral("h")}});
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferring);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->activeJobCount(), 1, WaitMs);

    // Answers the question the window asks, once it is up.
    QString asked;
    const auto answer = [&asked](QMessageBox::StandardButton button) {
        QTimer::singleShot(0, [&asked, button] {
            QTRY_VERIFY(qobject_cast<QMessageBox *>(QApplication::activeModalWidget()) != nullptr);
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            asked = box->text();
            box->button(button)->click();
        });
    };
    answer(QMessageBox::Cancel);
    QVERIFY(!m_window->close()); // the user kept it
    QVERIFY(asked.contains(QLatin1String("1 download is running")));
    QVERIFY(m_window->isVisible());
    QCOMPARE(m_f->state(id), JobState::Transferring);

    answer(QMessageBox::Yes);
    QVERIFY(m_window->close());
    QVERIFY(m_f->jobs()->cancel(id).ok());
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
