// The files of one job, as a table: what the window shows for the selected job. Set with setJob;
// kept up to date by upsertJob/removeJob from the engine's signals (other jobs are ignored), with
// progress-only changes coalesced like JobListModel's.
#pragma once

#include "core/Job.h"

#include <QAbstractTableModel>
#include <QTimer>

namespace ferry {

class JobFilesModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { RemoteUrl, LocalName, Progress, Size, TempName, FromPeer, ColumnCount };
    Q_ENUM(Column)
    // SortRole: the raw value of a column: text for the URL and the names, progress in percent,
    // size in bytes or -1 while unknown, from-peer as 0 or 1.
    enum Role { SortRole = Qt::UserRole + 2 };
    Q_ENUM(Role)
    // On the Progress column: "42 percent, 3.0 MB of 7.0 MB", for screen readers.
    static constexpr int AccessibleTextRole = Qt::AccessibleTextRole;
    static constexpr int CoalesceIntervalMs = 250;

    explicit JobFilesModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    QUuid jobId() const { return m_jobId; }   // null while no job is shown
    const JobFile *fileAt(int row) const;     // nullptr when out of range

    // Emits the coalesced dataChanged now instead of waiting for the timer.
    void flushPendingChanges();

public slots:
    // Shows this job's files: a reset when it is another job, an update when it is the same.
    void setJob(const ferry::Job &job);
    // Updates the files when it is the job shown, ignores any other job.
    void upsertJob(const ferry::Job &job);
    // Shows no job any more when it is the job shown.
    void removeJob(const QUuid &id);
    void clear();

private:
    void markDirty(int row);

    QUuid m_jobId;
    QList<JobFile> m_files;
    int m_dirtyFirst = -1;
    int m_dirtyLast = -1;
    QTimer m_coalesceTimer;
};

} // namespace ferry
