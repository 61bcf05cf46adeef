#include "MainWindow.h"

#include "JobAccess.h"
#include "JobListModel.h"
#include "JobManager.h"
#include "UrlDrop.h"

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

MainWindow::MainWindow(JobListModel *model, JobManager *jobs, QWidget *parent)
    : QMainWindow(parent)
    , m_model(model)
    , m_jobs(jobs)
    , m_view(new QTableView(this))
    , m_status(new QLabel(this))
{
    setWindowTitle(tr("Ferry"));
    resize(900, 500);
    m_view->setModel(model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setColumnWidth(JobListModel::Name, 280);
    m_view->setAccessibleName(tr("Jobs"));
    setCentralWidget(m_view);
    // Links dropped anywhere on the window are queued (the view itself takes no drops).
    setAcceptDrops(true);
    m_downloadFolder = QStandardPaths::writableLocation(QStandardPaths::DownloadLocation);
    if (m_downloadFolder.isEmpty())
        m_downloadFolder = QDir::homePath();

    QToolBar *bar = addToolBar(tr("Jobs"));
    bar->addAction(tr("Add download…"), this, &MainWindow::addDownload);
    bar->addSeparator();
    bar->addAction(tr("Resume"), this, [this] { forSelected([](JobManager *j, const QUuid &id) { j->resume(id); }); });
    bar->addAction(tr("Suspend"), this, [this] { forSelected([](JobManager *j, const QUuid &id) { j->suspend(id); }); });
    bar->addAction(tr("Complete"), this, [this] { forSelected([](JobManager *j, const QUuid &id) { j->complete(id); }); });
    bar->addAction(tr("Cancel"), this, [this] { forSelected([](JobManager *j, const QUuid &id) { j->cancel(id); }); });

    statusBar()->addWidget(m_status);
    connect(model, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateStatus);
    connect(model, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateStatus);
    connect(model, &QAbstractItemModel::modelReset, this, &MainWindow::updateStatus);
    updateStatus();
}

void MainWindow::updateStatus()
{
    m_status->setText(tr("%n job(s)", nullptr, m_model->rowCount()));
}

void MainWindow::forSelected(const std::function<void(JobManager *, const QUuid &)> &verb)
{
    const auto rows = m_view->selectionModel()->selectedRows();
    for (const QModelIndex &row : rows) {
        const QUuid id = m_model->jobId(row.row());
        QPointer<MainWindow> self(this);
        QMetaObject::invokeMethod(m_jobs, [jobs = m_jobs, id, verb, self] {
            // The window acts for this process, under the same owner rules as ferry-admin.
            const Job *job = jobs->job(id);
            const Status allowed = job ? checkCanChange(Owner::ofThisProcess(), job->owner) : Status();
            if (allowed) {
                verb(jobs, id);
                return;
            }
            QMetaObject::invokeMethod(self, [self, message = allowed.message] {
                if (self)
                    QMessageBox::warning(self, tr("Not allowed"), message);
            });
        }, Qt::QueuedConnection);
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
    const QString folderPath = m_downloadFolder;
    for (const QUrl &url : urls) {
        // Names are chosen on the engine thread: the window never waits on the disk.
        QMetaObject::invokeMethod(m_jobs, [jobs = m_jobs, url, folderPath, self] {
            const QString name = url.fileName().isEmpty() ? QStringLiteral("download") : url.fileName();
            QDir().mkpath(folderPath); // a fresh account may have no Downloads folder yet
            const QString target = jobs->unusedLocalName(folderPath, name);
            QUuid id;
            Status s = jobs->createJob(name, Owner::ofThisProcess(), &id);
            if (s)
                s = jobs->addFile(id, url.toString(QUrl::FullyEncoded), target);
            if (s)
                s = jobs->resume(id);
            else if (!id.isNull())
                jobs->cancel(id);
            if (!s)
                QMetaObject::invokeMethod(self, [self, message = s.message] {
                    if (self)
                        self->showProblem(tr("Cannot add the download"), message);
                });
        }, Qt::QueuedConnection);
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
    int active = 0;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const auto state = JobState(m_model->data(m_model->index(row, JobListModel::State), JobListModel::SortRole).toInt());
        active += state == JobState::Queued || state == JobState::Connecting || state == JobState::Transferring;
    }
    return active;
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
