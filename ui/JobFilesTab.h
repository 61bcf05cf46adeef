// The job-properties tab "Files": the job's files as JobFilesModel shows them (remote URL, local
// name, progress as a bar, size, temporary name, whether it came from a peer), sortable by a
// click on a column's header (the job's own order until then, and again when the sort is cleared).
#pragma once

#include <QWidget>

class QSortFilterProxyModel;
class QTableView;

namespace ferry {

class JobFilesModel;
class Job;

class JobFilesTab : public QWidget
{
    Q_OBJECT
public:
    explicit JobFilesTab(const Job &job, QWidget *parent = nullptr);

    // Rows added, removed or changed in place: the selection and the scroll position stay.
    void showJob(const Job &job);

private:
    JobFilesModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_files = nullptr;
};

} // namespace ferry
