#include "MainWindow.h"

#include "JobAccess.h"
#include "JobListModel.h"
#include "JobManager.h"

#include <QDir>
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
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    QString name = url.fileName().isEmpty() ? QStringLiteral("download") : url.fileName();
    const QDir folder(QStandardPaths::writableLocation(QStandardPaths::DownloadLocation));
    QString target = folder.absoluteFilePath(name);
    for (int n = 1; QFileInfo::exists(target); ++n)
        target = folder.absoluteFilePath(QStringLiteral("%1 (%2)").arg(name).arg(n));
    QPointer<MainWindow> self(this);
    QMetaObject::invokeMethod(m_jobs, [jobs = m_jobs, url, target, name, self] {
        QUuid id;
        Status s = jobs->createJob(name, Owner::ofThisProcess(), &id);
        if (s)
            s = jobs->addFile(id, url.toString(), target);
        if (s)
            s = jobs->resume(id);
        else if (!id.isNull())
            jobs->cancel(id);
        if (!s && self)
            QMetaObject::invokeMethod(self, [self, message = s.message] {
                if (self)
                    QMessageBox::warning(self, tr("Cannot add the download"), message);
            });
    }, Qt::QueuedConnection);
}

} // namespace ferry
