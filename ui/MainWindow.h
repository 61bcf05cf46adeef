// The main window: the job table and the verbs that act on the selected jobs.
#pragma once

#include <QMainWindow>
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

private:
    void addDownload();
    void forSelected(const std::function<void(JobManager *, const QUuid &)> &verb);
    void updateStatus();

    JobListModel *m_model;
    JobManager *m_jobs;   // lives on the engine thread: reached only through queued calls
    QTableView *m_view;
    QLabel *m_status;
};

} // namespace ferry
