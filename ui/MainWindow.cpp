#include "MainWindow.h"

#include "DesktopSettings.h"
#include "EngineClient.h"
#include "JobDelegate.h"
#include "JobFilterProxy.h"
#include "JobListModel.h"
#include "JobPropertiesDialog.h"
#include "NewJobDialog.h"
#include "PeerCacheWindow.h"
#include "SettingsDialog.h"
#include "UrlDrop.h"

#include <QApplication>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QTimer>
#include <QVBoxLayout>

#include <QDir>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QMimeData>
#include <QFileInfo>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMessageBox>
#include <QPointer>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QToolBar>
#include <QUrl>
#include <unistd.h>

namespace ferry {

MainWindow::MainWindow(JobListModel *model, EngineClient *client, QWidget *parent)
    : QMainWindow(parent)
    , m_model(model)
    , m_client(client)
    , m_proxy(new JobFilterProxy(this))
    , m_view(new QTableView(this))
    , m_search(new QLineEdit(this))
    , m_stateFilter(new QComboBox(this))
    , m_status(new QLabel(this))
{
    setWindowTitle(tr("Ferry"));
    resize(1000, 560);
    m_proxy->setSourceModel(model);
    m_view->setModel(m_proxy);
    m_view->setItemDelegate(new JobDelegate(m_view));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(-1, Qt::AscendingOrder); // creation order until the user sorts
    m_view->setWordWrap(false);
    m_view->setShowGrid(false);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    // Uniform rows: the view never measures 10,000 of them.
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionsMovable(true);
    m_view->setColumnWidth(JobListModel::Name, 300);
    m_view->setColumnWidth(JobListModel::State, 130);
    m_view->setColumnWidth(JobListModel::Progress, 140);
    m_view->setAccessibleName(tr("Jobs"));
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    connect(m_view, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex &index) {
        openProperties(m_proxy->jobId(index.row()));
    });

    m_search->setPlaceholderText(tr("Search jobs"));
    m_search->setAccessibleName(tr("Search jobs by name, description or owner"));
    m_search->setClearButtonEnabled(true);
    connect(m_search, &QLineEdit::textChanged, m_proxy, &JobFilterProxy::setSearchText);
    for (int f = 0; f < JobFilterProxy::StateFilterCount; ++f)
        m_stateFilter->addItem(JobFilterProxy::stateFilterText(JobFilterProxy::StateFilter(f)), f);
    m_stateFilter->setAccessibleName(tr("Show jobs in state"));
    connect(m_stateFilter, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_proxy->setStateFilter(JobFilterProxy::StateFilter(m_stateFilter->itemData(i).toInt()));
    });

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *filterRow = new QHBoxLayout;
    filterRow->setContentsMargins(6, 6, 6, 0);
    filterRow->addWidget(m_search, 1);
    filterRow->addWidget(m_stateFilter);
    layout->addLayout(filterRow);
    layout->addWidget(m_view, 1);
    setCentralWidget(central);

    // Links dropped anywhere on the window are queued (the view itself takes no drops).
    setAcceptDrops(true);
    m_downloadFolder = QStandardPaths::writableLocation(QStandardPaths::DownloadLocation);
    if (m_downloadFolder.isEmpty())
        m_downloadFolder = QDir::homePath();

    buildActions();

    m_status->setAccessibleName(tr("Totals"));
    statusBar()->addPermanentWidget(m_status);
    auto *totals = new QTimer(this); // totals once a second: cheap even with 10,000 rows
    totals->setInterval(1000);
    connect(totals, &QTimer::timeout, this, &MainWindow::updateStatus);
    totals->start();
    connect(model, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateStatus);
    connect(model, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateStatus);
    connect(model, &QAbstractItemModel::modelReset, this, &MainWindow::updateStatus);
    connect(client, &EngineClient::refused, this, [this](const QString &message) { statusBar()->showMessage(message, 10000); });
    restoreLayout();
    updateStatus();
}

MainWindow::~MainWindow()
{
    saveLayout();
}

void MainWindow::buildActions()
{
    const auto make = [this](const QString &name, const QString &text, const QKeySequence &keys, auto slot) {
        auto *a = new QAction(text, this);
        a->setObjectName(name);
        if (!keys.isEmpty())
            a->setShortcut(keys);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    const auto verb = [this](auto call) { return [this, call] { forSelected(call); }; };
    using C = EngineClient;

    QAction *newJob = make(QStringLiteral("newJob"), tr("&New job…"), QKeySequence::New, [this] { openNewJobDialog(); });
    QAction *addUrls = make(QStringLiteral("addUrls"), tr("&Add links…"), QKeySequence(tr("Ctrl+L")), &MainWindow::addDownload);
    QAction *resume = make(QStringLiteral("resume"), tr("&Resume"), QKeySequence(tr("Ctrl+R")),
                           verb(&C::resume));
    QAction *suspend = make(QStringLiteral("suspend"), tr("&Suspend"), QKeySequence(tr("Ctrl+P")),
                            verb(&C::suspend));
    QAction *complete = make(QStringLiteral("complete"), tr("C&omplete"), QKeySequence(tr("Ctrl+Return")),
                             verb(&C::complete));
    QAction *cancel = make(QStringLiteral("cancel"), tr("&Cancel job"), QKeySequence::Delete,
                           verb(&C::cancel));
    QAction *properties = make(QStringLiteral("properties"), tr("&Properties…"), QKeySequence(tr("Alt+Return")), [this] {
        const QList<QUuid> ids = selectedJobs();
        if (!ids.isEmpty())
            openProperties(ids.constFirst());
    });
    QAction *settings = make(QStringLiteral("settings"), tr("S&ettings…"), QKeySequence::Preferences,
                             &MainWindow::openSettingsDialog);
    QAction *peerCache = make(QStringLiteral("peerCache"), tr("Peer &cache…"), QKeySequence(),
                              &MainWindow::openPeerCacheWindow);
    peerCache->setEnabled(false); // until there is a peer cache
    QAction *quit = make(QStringLiteral("quit"), tr("&Quit"), QKeySequence::Quit, [this] { emit quitRequested(); });
    QAction *find = make(QStringLiteral("find"), tr("&Find"), QKeySequence::Find, [this] {
        m_search->setFocus();
        m_search->selectAll();
    });
    m_jobActions = {resume, suspend, complete, cancel, properties};

    QMenu *ferryMenu = menuBar()->addMenu(tr("&Ferry"));
    ferryMenu->addActions({newJob, addUrls});
    ferryMenu->addSeparator();
    ferryMenu->addActions({settings, peerCache});
    ferryMenu->addSeparator();
    ferryMenu->addAction(quit);
    QMenu *jobMenu = menuBar()->addMenu(tr("&Job"));
    jobMenu->addActions({resume, suspend, complete, cancel});
    jobMenu->addSeparator();
    jobMenu->addActions({properties, find});

    QToolBar *bar = addToolBar(tr("Jobs"));
    bar->setObjectName(QStringLiteral("jobsToolBar"));
    bar->addActions({newJob, addUrls});
    bar->addSeparator();
    bar->addActions({resume, suspend, complete, cancel});
    bar->addSeparator();
    bar->addAction(properties);

    m_view->addActions({resume, suspend, complete, cancel});
    auto *separator = new QAction(this);
    separator->setSeparator(true);
    m_view->addActions({separator, properties});

    const auto updateEnabled = [this] {
        const bool any = m_view->selectionModel()->hasSelection();
        for (QAction *a : std::as_const(m_jobActions))
            a->setEnabled(any);
    };
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, updateEnabled);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, updateEnabled);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, updateEnabled);
    updateEnabled();
}

void MainWindow::setDesktopSettings(DesktopSettings *settings)
{
    m_settings = settings;
    const auto apply = [this] { setDownloadFolder(m_settings->downloadFolder()); };
    connect(settings, &DesktopSettings::changed, this, apply);
    apply();
}

void MainWindow::openNewJobDialog(const QList<QUrl> &urls)
{
    auto *dialog = new NewJobDialog(m_client, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setDownloadFolder(m_downloadFolder);
    if (!urls.isEmpty())
        dialog->setUrls(urls);
    connect(dialog, &NewJobDialog::jobCreated, this, [this] { statusBar()->showMessage(tr("Job added"), 5000); });
    dialog->open();
}

void MainWindow::offerLink(const QUrl &url)
{
    delete m_offer;
    auto *button = new QPushButton(tr("Download %1").arg(url.fileName().isEmpty() ? url.host() : url.fileName()), this);
    button->setObjectName(QStringLiteral("clipboardOffer"));
    button->setAccessibleName(tr("Download the copied link %1").arg(url.toDisplayString()));
    button->setToolTip(url.toDisplayString());
    button->setFocusPolicy(Qt::NoFocus);
    button->setFlat(true);
    m_offer = button;
    statusBar()->addWidget(button);
    connect(button, &QPushButton::clicked, this, [this, button, url] {
        queueUrls({url});
        button->deleteLater();
        m_offer = nullptr;
    });
    QTimer::singleShot(30000, button, [this, button] { // the offer lapses
        if (m_offer == button)
            m_offer = nullptr;
        button->deleteLater();
    });
}

void MainWindow::openSettingsDialog()
{
    if (!m_settings)
        return;
    auto *dialog = new SettingsDialog(m_client, m_settings, m_client->settings(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setPeerCacheAvailable(m_peerCacheAvailable);
    dialog->open();
}

void MainWindow::setPeerCacheAvailable(bool available)
{
    m_peerCacheAvailable = available;
    if (QAction *a = action(QStringLiteral("peerCache")))
        a->setEnabled(available);
}

void MainWindow::openPeerCacheWindow()
{
    if (!m_peerCacheAvailable)
        return;
    if (!m_peerCacheWindow) {
        m_peerCacheWindow = new PeerCacheWindow(m_client, this);
        m_peerCacheWindow->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_peerCacheWindow->show();
    m_peerCacheWindow->raise();
    m_peerCacheWindow->activateWindow();
}

PeerCacheWindow *MainWindow::peerCacheWindow() const
{
    return m_peerCacheWindow.data();
}

QAction *MainWindow::action(const QString &objectName) const
{
    return findChild<QAction *>(objectName);
}

void MainWindow::saveLayout() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/columns"), m_view->horizontalHeader()->saveState());
}

void MainWindow::restoreLayout()
{
    const QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_view->horizontalHeader()->restoreState(settings.value(QStringLiteral("window/columns")).toByteArray());
}

QList<QUuid> MainWindow::selectedJobs() const
{
    QList<QUuid> ids;
    const auto rows = m_view->selectionModel()->selectedRows();
    for (const QModelIndex &row : rows)
        ids << m_proxy->jobId(row.row());
    return ids;
}

void MainWindow::openProperties(const QUuid &id)
{
    const Job *job = m_client->jobs()->job(id);
    if (!job)
        return;
    auto *dialog = new JobPropertiesDialog(m_client, *job, m_client->settings(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void MainWindow::updateStatus()
{
    const JobCache::Totals totals = m_client->jobs()->totals();
    double speed = 0;
    for (int row = 0; row < m_model->rowCount(); ++row)
        speed += m_model->bytesPerSecond(row);
    m_status->setText(tr("%n job(s)", nullptr, totals.jobs) + QStringLiteral("  ·  ")
                      + tr("%n active", nullptr, totals.active) + QStringLiteral("  ·  ") + JobListModel::speedText(speed));
}

void MainWindow::forSelected(void (EngineClient::*verb)(const QUuid &, std::function<void(const Status &)>))
{
    for (const QUuid &id : selectedJobs()) {
        const Job *job = m_client->jobs()->job(id);
        const QString name = job ? job->displayName : id.toString(QUuid::WithoutBraces);
        QPointer<MainWindow> self(this);
        (m_client->*verb)(id, [self, name](const Status &s) {
            if (!s && self)
                self->statusBar()->showMessage(tr("%1: %2").arg(name, s.message.isEmpty() ? errorName(s.code) : s.message), 15000);
        });
    }
}

void MainWindow::addDownload()
{
    bool ok = false;
    const QString text = QInputDialog::getText(this, tr("Add download"), tr("URL:"), QLineEdit::Normal, {}, &ok);
    if (!ok || text.trimmed().isEmpty())
        return;
    const QList<QUrl> urls = urlsInText(text);
    if (urls.isEmpty())
        return showProblem(tr("Cannot add the download"), tr("'%1' is not an http or https link.").arg(text.trimmed()));
    queueUrls(urls);
}

void MainWindow::queueUrls(const QList<QUrl> &urls)
{
    QPointer<MainWindow> self(this);
    for (const QUrl &url : urls) {
        // One job per link; the engine picks a name no file has yet (the window never waits on the disk).
        JobSpec spec;
        spec.displayName = url.fileName().isEmpty() ? QStringLiteral("download") : url.fileName();
        spec.folder = m_downloadFolder;
        spec.makeFolder = true;
        spec.files << JobSpec::File{url.toString(QUrl::FullyEncoded), {}};
        m_client->submit(spec, [self](const Status &s, const QUuid &, int) {
            if (!s && self)
                self->showProblem(tr("Cannot add the download"), s.message);
        });
    }
}

void MainWindow::showProblem(const QString &title, const QString &message)
{
    statusBar()->showMessage(message, 10000);
    auto *box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open(); // window-modal and non-blocking: nothing waits on the user either
}

int MainWindow::activeJobCount() const
{
    return m_client->jobs()->totals().active;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_keepRunningInTray) {
        hide();
        event->ignore();
        if (!m_toldAboutTray) {
            m_toldAboutTray = true;
            statusBar()->showMessage(tr("Ferry keeps running in the tray."), 5000);
        }
        return;
    }
    const int active = activeJobCount();
    if (active > 0
        && QMessageBox::question(this, tr("Quit Ferry?"),
                                 tr("%n download(s) are running. Quit anyway? They continue when Ferry starts again.",
                                    nullptr, active),
                                 QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel)
               != QMessageBox::Yes) {
        event->ignore();
        return;
    }
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (mayHoldUrls(event->mimeData()))
        event->acceptProposedAction();
}

void MainWindow::dragMoveEvent(QDragMoveEvent *event)
{
    if (mayHoldUrls(event->mimeData()))
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    event->acceptProposedAction();
    collectDroppedUrls(event->mimeData(), this, [this](const DroppedUrls &dropped) {
        const bool ask = m_settings && m_settings->dropBehaviour() == DesktopSettings::DropBehaviour::AskWithNewJobDialog;
        if (ask && !dropped.urls.isEmpty())
            openNewJobDialog(dropped.urls); // pre-filled: the user picks folder, priority, limits
        else
            queueUrls(dropped.urls);
        if (!dropped.problems.isEmpty())
            showProblem(dropped.urls.isEmpty() ? tr("Nothing to download") : tr("Some of the drop was not used"),
                        dropped.problems.join(QLatin1Char('\n')));
        else
            statusBar()->showMessage(tr("Queued %n download(s)", nullptr, int(dropped.urls.size())), 5000);
        emit dropHandled(int(dropped.urls.size()), dropped.problems);
    });
}

} // namespace ferry
