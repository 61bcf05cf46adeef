// The main window: the job table and the verbs that act on the selected jobs.
#pragma once

#include <QMainWindow>
#include <QUrl>
#include <QUuid>
#include <functional>

class QLabel;
class QTableView;

namespace ferry {

class JobListModel;
class JobManager;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    MainWindow(JobListModel *model, JobManager *jobs, QWidget *parent = nullptr);

    // Where new downloads go (default: the user's Downloads folder).
    void setDownloadFolder(const QString &folder) { m_downloadFolder = folder; }
    QString downloadFolder() const { return m_downloadFolder; }

    // With a tray, closing the window only hides it and the transfers go on; without one,
    // closing asks first when jobs are running, then quits.
    void setKeepRunningInTray(bool keep) { m_keepRunningInTray = keep; }
    int activeJobCount() const;                    // QUEUED, CONNECTING or TRANSFERRING rows

    // Queues one job per link, each into the download folder under a name no file has yet.
    void queueUrls(const QList<QUrl> &urls);

signals:
    // After a drop was read: how many links were queued and what could not be used.
    void dropHandled(int queued, const QStringList &problems);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void addDownload();
    void showProblem(const QString &title, const QString &message);
    void forSelected(const std::function<void(JobManager *, const QUuid &)> &verb);
    void updateStatus();

    JobListModel *m_model;
    JobManager *m_jobs;   // lives on the engine thread: reached only through queued calls
    QTableView *m_view;
    QLabel *m_status;
    QString m_downloadFolder;
    bool m_keepRunningInTray = false;
    bool m_toldAboutTray = false;
};

} // namespace ferry
