// The peer cache window against a real in-process engine (EngineFixture) and a real PeerCache
// on its JobManager and JobStore, offscreen: the status line, the records and peers tables,
// the administration buttons, the main window's "Peer cache…" entry, and the job list's
// "from peers" mark.
#include "CacheSource.h"
#include "EngineClient.h"
#include "EngineFixture.h"

#include "JobListModel.h"
#include "jobs/JobManager.h"
#include "MainWindow.h"
#include "peercache/PeerCache.h"
#include "PeerCacheWindow.h"
#include "PeerListModel.h"
#include "PeerRecordsModel.h"
#include "store/JobStore.h"

#include <QAction>
#include <QApplication>
#include <QFile>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace ferry;
using namespace ferry::test;

namespace {

// A lookup id (32 lower-case hex) distinct per n.
QString lookupId(int n)
{
    return QStringLiteral("%1").arg(n, 32, 16, QLatin1Char('0'));
}

} // namespace

class tst_PeerCacheWindow : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void statusLineShowsOffWithTheReason();
    void listsARecordAndDeleteRemovesIt();
    void recordsAreSortable();
    void deleteByUrlRemovesEveryCopyOfTheUrl();
    void clearCacheAsksFirst();
    void listsAPeerAndClearPeersEmptiesIt();
    void everyControlHasAnAccessibleName();
    void mainWindowOpensItOnlyWithAPeerCache();
    void jobListShowsJobsFromPeers();

private:
    std::unique_ptr<PeerCacheWindow> openWindow();
    QString insertRecord(const QString &url, int n, int size);
    static void selectRow(QTableView *view, int row);
    template <typename T>
    static T *find(QWidget *parent, const char *name)
    {
        T *w = parent->findChild<T *>(QLatin1String(name));
        if (!w)
            qWarning("no %s named %s", T::staticMetaObject.className(), name);
        return w;
    }

    std::unique_ptr<EngineFixture> m_f;
    std::unique_ptr<peercache::PeerCache> m_cache;
    std::unique_ptr<EngineClient> m_client;
    std::unique_ptr<QTemporaryDir> m_files;
};

void tst_PeerCacheWindow::init()
{
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
    m_files = std::make_unique<QTemporaryDir>();
    QVERIFY(m_files->isValid());
    m_cache = std::make_unique<peercache::PeerCache>(m_f->store(), m_f->databasePath(),
                                                     m_f->profileDir() + QLatin1String("/peercache"));
    m_f->attachPeerCache(m_cache.get());
    m_cache->start();
    QVERIFY(m_cache->store()->isOpen());
    m_client = std::make_unique<EngineClient>(m_f->service());
}

void tst_PeerCacheWindow::cleanup()
{
    m_client.reset();
    m_f->attachPeerCache(nullptr);
    m_cache.reset(); // before the manager it plans for
    m_f.reset();
    m_files.reset();
}

std::unique_ptr<PeerCacheWindow> tst_PeerCacheWindow::openWindow()
{
    auto w = std::make_unique<PeerCacheWindow>(m_client.get());
    QSignalSpy refreshed(w.get(), &PeerCacheWindow::refreshed);
    w->show();
    if (!QTest::qWaitForWindowExposed(w.get()))
        qWarning("the window was not exposed");
    if (refreshed.isEmpty() && !refreshed.wait(WaitMs)) // read on open
        qWarning("the window never read the peer cache");
    return w;
}

// A small validated record of `size` bytes for `url`, inserted directly into the store (no
// signal: the window learns of it by a refresh).
QString tst_PeerCacheWindow::insertRecord(const QString &url, int n, int size)
{
    const QString path = m_files->filePath(QStringLiteral("source-%1").arg(n));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(QByteArray(size, char('a' + n % 26))) != size)
        return {};
    file.close();
    peercache::CacheRecordInput in;
    const auto source = useAsCacheSource(in, path);
    in.lookupV = lookupId(n);
    in.url = url;
    in.source = QStringLiteral("origin");
    in.validated = true;
    QString id;
    const Status s = m_cache->store()->insert(in, &id);
    if (!s)
        qWarning("insert: %s", qPrintable(s.message));
    return id;
}

void tst_PeerCacheWindow::selectRow(QTableView *view, int row)
{
    view->selectionModel()->select(view->model()->index(row, 0),
                                   QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void tst_PeerCacheWindow::statusLineShowsOffWithTheReason()
{
    auto w = openWindow();
    auto *state = find<QLabel>(w.get(), "state");
    auto *details = find<QLabel>(w.get(), "details");
    QVERIFY(!m_cache->isActive());
    QCOMPARE(state->text(), QStringLiteral("Peer caching is off: %1").arg(m_cache->offReason()));
    QVERIFY2(state->text().contains(QLatin1String("disabled")), qPrintable(state->text()));
    QVERIFY2(details->text().contains(QLatin1String("no group key")), qPrintable(details->text()));
    QVERIFY2(details->text().contains(QLatin1String("cached files: 0,")), qPrintable(details->text()));
    QVERIFY(!find<QPushButton>(w.get(), "rediscover")->isEnabled());

    // Turned on without a key: the window follows the engine's stateChanged, and says why now.
    QVERIFY(m_f->jobs()->setSetting(QStringLiteral("peerCachingEnabled"), QStringLiteral("1")));
    const QString reason = m_cache->offReason();
    QVERIFY(!reason.isEmpty());
    QVERIFY(!reason.contains(QLatin1String("disabled")));
    QTRY_COMPARE(state->text(), QStringLiteral("Peer caching is off: %1").arg(reason));
    QCOMPARE(w->info().value(QLatin1String("enabled")).toBool(), true);
}

void tst_PeerCacheWindow::listsARecordAndDeleteRemovesIt()
{
    auto w = openWindow();
    PeerRecordsModel *records = w->recordsModel();
    QCOMPARE(records->rowCount(), 0);
    auto *deleteSelected = find<QPushButton>(w.get(), "deleteRecords");
    QVERIFY(!deleteSelected->isEnabled());

    const QString url = QStringLiteral("http://example.test/files/tool.tar.gz");
    const QString id = insertRecord(url, 1, 1500);
    QVERIFY(!id.isEmpty());
    find<QPushButton>(w.get(), "refresh")->click();
    QTRY_COMPARE(records->rowCount(), 1);
    QCOMPARE(records->recordId(0), id);
    QCOMPARE(records->index(0, PeerRecordsModel::Url).data().toString(), url);
    QCOMPARE(records->index(0, PeerRecordsModel::Size).data(PeerRecordsModel::SortRole).toLongLong(), 1500);
    QCOMPARE(records->index(0, PeerRecordsModel::Validated).data().toString(), QStringLiteral("Yes"));
    QVERIFY(!records->index(0, PeerRecordsModel::LastAccess).data().toString().isEmpty());
    QVERIFY2(find<QLabel>(w.get(), "details")->text().contains(QLatin1String("cached files: 1,")),
             qPrintable(find<QLabel>(w.get(), "details")->text()));

    QTableView *view = w->recordsView();
    QCOMPARE(view->model()->rowCount(), 1);
    selectRow(view, 0);
    QCOMPARE(w->selectedRecordIds(), QStringList{id});
    QVERIFY(deleteSelected->isEnabled());
    deleteSelected->click();
    QTRY_VERIFY(m_cache->store()->records().isEmpty());
    QTRY_COMPARE(records->rowCount(), 0); // PeerCache::recordsChanged, queued
    QVERIFY(!m_cache->store()->record(id));
    QVERIFY(!deleteSelected->isEnabled());
    QVERIFY(find<QLabel>(w.get(), "message")->isHidden());
}

void tst_PeerCacheWindow::recordsAreSortable()
{
    insertRecord(QStringLiteral("http://example.test/b-large"), 1, 3000);
    insertRecord(QStringLiteral("http://example.test/a-small"), 2, 100);
    insertRecord(QStringLiteral("http://example.test/c-middle"), 3, 700);
    auto w = openWindow();
    QTRY_COMPARE(w->recordsModel()->rowCount(), 3);
    QTableView *view = w->recordsView();
    const auto column = [view](int c) {
        QStringList out;
        for (int row = 0; row < view->model()->rowCount(); ++row)
            out << view->model()->index(row, c).data().toString();
        return out;
    };
    view->sortByColumn(PeerRecordsModel::Size, Qt::AscendingOrder);
    QCOMPARE(column(PeerRecordsModel::Url), (QStringList{QStringLiteral("http://example.test/a-small"),
                                                         QStringLiteral("http://example.test/c-middle"),
                                                         QStringLiteral("http://example.test/b-large")}));
    view->sortByColumn(PeerRecordsModel::Url, Qt::DescendingOrder);
    QCOMPARE(column(PeerRecordsModel::Url).constFirst(), QStringLiteral("http://example.test/c-middle"));

    // The selection survives a refresh.
    selectRow(view, 0);
    const QStringList selected = w->selectedRecordIds();
    QSignalSpy refreshed(w.get(), &PeerCacheWindow::refreshed);
    emit m_cache->recordsChanged();
    QVERIFY(refreshed.wait(WaitMs));
    QCOMPARE(w->selectedRecordIds(), selected);
}

void tst_PeerCacheWindow::deleteByUrlRemovesEveryCopyOfTheUrl()
{
    const QString shared = QStringLiteral("http://example.test/shared.iso");
    const QString other = QStringLiteral("http://example.test/other.iso");
    insertRecord(shared, 1, 200);
    insertRecord(shared, 2, 300); // another version of the same URL
    const QString kept = insertRecord(other, 3, 400);
    auto w = openWindow();
    QTRY_COMPARE(w->recordsModel()->rowCount(), 3);
    auto *deleteUrl = find<QPushButton>(w.get(), "deleteUrl");
    QVERIFY(!deleteUrl->isEnabled());

    QTableView *view = w->recordsView();
    int sharedRow = -1;
    for (int row = 0; row < view->model()->rowCount() && sharedRow < 0; ++row)
        if (view->model()->index(row, PeerRecordsModel::Url).data().toString() == shared)
            sharedRow = row;
    QVERIFY(sharedRow >= 0);
    selectRow(view, sharedRow);
    QVERIFY(deleteUrl->isEnabled());
    deleteUrl->click();
    QTRY_COMPARE(m_cache->store()->records().size(), 1);
    QCOMPARE(m_cache->store()->records().constFirst().id, kept);
    QTRY_COMPARE(w->recordsModel()->rowCount(), 1);
    auto *message = find<QLabel>(w.get(), "message");
    QTRY_VERIFY(message->isVisible());
    QVERIFY2(message->text() == QStringLiteral("Cached files deleted for %1: 2.").arg(shared),
             qPrintable(message->text()));
}

void tst_PeerCacheWindow::clearCacheAsksFirst()
{
    insertRecord(QStringLiteral("http://example.test/one"), 1, 100);
    insertRecord(QStringLiteral("http://example.test/two"), 2, 100);
    auto w = openWindow();
    QTRY_COMPARE(w->recordsModel()->rowCount(), 2);
    auto *clear = find<QPushButton>(w.get(), "clearRecords");
    QVERIFY(clear->isEnabled());

    // Cancel first: nothing goes.
    clear->click();
    auto *box = w->findChild<QMessageBox *>(QStringLiteral("clearRecordsConfirm"));
    QVERIFY(box);
    QTRY_VERIFY(box->isVisible());
    box->button(QMessageBox::Cancel)->click();
    QTest::qWait(50);
    QCOMPARE(m_cache->store()->records().size(), 2);

    QTRY_VERIFY(!w->findChild<QMessageBox *>(QStringLiteral("clearRecordsConfirm"))); // deleted on close
    clear->click();
    box = w->findChild<QMessageBox *>(QStringLiteral("clearRecordsConfirm"));
    QVERIFY(box);
    find<QPushButton>(box, "confirmClearRecords")->click();
    QTRY_VERIFY(m_cache->store()->records().isEmpty());
    QTRY_COMPARE(w->recordsModel()->rowCount(), 0);
    QVERIFY(!clear->isEnabled());
}

void tst_PeerCacheWindow::listsAPeerAndClearPeersEmptiesIt()
{
    auto w = openWindow();
    PeerListModel *peers = w->peersModel();
    QCOMPARE(peers->rowCount(), 0);
    auto *clearPeers = find<QPushButton>(w.get(), "clearPeers");
    QVERIFY(!clearPeers->isEnabled());

    const QString peerId = lookupId(0xbeef);
    QVERIFY(m_cache->store()->notePeerSeen(peerId, QStringLiteral("192.168.7.20"), 41771, QStringLiteral("static")));
    emit m_cache->peersChanged(); // as discovery does after noting a peer
    QTRY_COMPARE(peers->rowCount(), 1);
    QCOMPARE(peers->peerId(0), peerId);
    QCOMPARE(peers->index(0, PeerListModel::Address).data().toString(), QStringLiteral("192.168.7.20:41771"));
    QCOMPARE(peers->index(0, PeerListModel::PeerId).data().toString(), peerId);
    QCOMPARE(peers->index(0, PeerListModel::Authenticated).data().toString(), QStringLiteral("No"));
    QCOMPARE(peers->index(0, PeerListModel::Strikes).data().toInt(), 0);
    QCOMPARE(peers->index(0, PeerListModel::BannedUntil).data().toString(), QStringLiteral("—"));
    QVERIFY(!peers->index(0, PeerListModel::LastSeen).data().toString().isEmpty());
    QVERIFY(clearPeers->isEnabled());

    // A ban shows with its end.
    QVERIFY(m_cache->store()->ban(peerId));
    emit m_cache->peersChanged();
    QTRY_VERIFY(peers->index(0, PeerListModel::BannedUntil).data().toString() != QStringLiteral("—"));

    clearPeers->click();
    QTRY_VERIFY(m_cache->store()->peers().isEmpty());
    QTRY_COMPARE(peers->rowCount(), 0);
    QVERIFY(!clearPeers->isEnabled());
}

void tst_PeerCacheWindow::everyControlHasAnAccessibleName()
{
    auto w = openWindow();
    int controls = 0;
    for (QWidget *widget : w->findChildren<QWidget *>()) {
        if (!qobject_cast<QPushButton *>(widget) && !qobject_cast<QTableView *>(widget))
            continue;
        ++controls;
        QVERIFY2(!widget->accessibleName().isEmpty(),
                 qPrintable(QStringLiteral("%1 \"%2\" has no accessible name")
                                .arg(QLatin1String(widget->metaObject()->className()), widget->objectName())));
    }
    QVERIFY(controls >= 9);
    for (const char *name : {"state", "details", "records", "peers", "deleteRecords", "deleteUrl", "clearRecords",
                             "clearPeers", "rediscover", "refresh", "message"})
        QVERIFY2(w->findChild<QWidget *>(QLatin1String(name)), name);
}

void tst_PeerCacheWindow::mainWindowOpensItOnlyWithAPeerCache()
{
    JobListModel model;
    auto window = std::make_unique<MainWindow>(&model, m_client.get());
    window->show();
    QAction *action = window->action(QStringLiteral("peerCache"));
    QVERIFY(action);
    QVERIFY(!action->isEnabled());
    action->trigger();
    QVERIFY(!window->peerCacheWindow());

    window->setPeerCacheAvailable(true);
    QVERIFY(action->isEnabled());
    action->trigger();
    QPointer<PeerCacheWindow> opened = window->peerCacheWindow();
    QVERIFY(opened);
    QTRY_VERIFY(opened->isVisible());
    QVERIFY(opened->isWindow());
    QVERIFY(!opened->isModal());
    QVERIFY(window->isEnabled());
    action->trigger(); // the same window again, not a second one
    QCOMPARE(window->peerCacheWindow(), opened.data());
    QCOMPARE(window->findChildren<PeerCacheWindow *>().size(), 1);
    opened->close(); // deleted on close
    QTRY_VERIFY(!opened);
    action->trigger();
    QVERIFY(window->peerCacheWindow());
}

void tst_PeerCacheWindow::jobListShowsJobsFromPeers()
{
    Job job = Job::create(QStringLiteral("from peers"), Owner::ofThisProcess(), QDateTime::currentDateTimeUtc());
    job.peerCachingFlags = peercaching::Client;
    JobFile a;
    a.remoteUrl = QUrl(QStringLiteral("http://example.test/a"));
    a.bytesTotal = 4 << 20;
    a.bytesTransferred = a.bytesTotal;
    JobFile b = a;
    b.remoteUrl = QUrl(QStringLiteral("http://example.test/b"));
    job.files = {a, b};

    JobListModel model;
    model.resetJobs({job});
    const QModelIndex cell = model.index(0, JobListModel::PeerCaching);
    QCOMPARE(cell.data().toString(), QStringLiteral("client"));
    QCOMPARE(cell.data(Qt::ToolTipRole).toString(), QStringLiteral("client"));

    job.files[1].downloadedFromPeer = true;
    job.files[1].bytesFromPeers = 3 << 20;
    model.upsertJob(job);
    model.flushPendingChanges();
    QCOMPARE(cell.data().toString(), QStringLiteral("client · from peers"));
    QCOMPARE(cell.data(Qt::ToolTipRole).toString(),
             QStringLiteral("3.0 MB of 8.0 MB came from peers on the local network"));
    QCOMPARE(cell.data(JobListModel::SortRole).toInt(), int(peercaching::Client));
}

QTEST_MAIN(tst_PeerCacheWindow)

#include "tst_peercachewindow.moc"
