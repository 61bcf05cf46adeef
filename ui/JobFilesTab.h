// The job-properties tab "Files": the job's files as JobFilesModel shows them (remote URL, local
// name, progress as a bar, size, temporary name, whether it came from a peer), sortable by a
// click on a column's header (the job's own order until then, and again when the sort is cleared).
// Below the table, the selected file's URL, which can be corrected (setremotename, docs/jobs.md
// §6.4) while the tab is editable and the file is not completed.
#pragma once

#include <QWidget>

class QLineEdit;
class QPushButton;
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
    // Whether the URL may be edited (the dialog's read-only rule).
    void setEditable(bool editable);
    // Shows the selected file's URL as the engine has it; force: even over the user's edit.
    void refreshUrl(bool force);

signals:
    void remoteNameChangeRequested(int fileIndex, const QString &url);

private:
    int selectedFile() const;   // the file index of the current row, -1 when none
    void updateUrlState();
    void applyUrl();

    JobFilesModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_files = nullptr;
    QLineEdit *m_url = nullptr;
    QPushButton *m_changeUrl = nullptr;
    bool m_editable = false;
    int m_urlFile = -1;         // the file whose URL m_url shows
};

} // namespace ferry
