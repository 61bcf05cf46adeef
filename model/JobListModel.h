// The job list as a flat table: one row per job, updated from the engine's signals.
#pragma once

#include "Job.h"

#include <QAbstractTableModel>
#include <QHash>

namespace ferry {

class JobListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Name, State, Progress, Size, Priority, Owner, ColumnCount };
    enum Role { JobIdRole = Qt::UserRole + 1, SortRole };

    explicit JobListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    QUuid jobId(int row) const;

    // Whose window this is: jobs it may not see (JobAccess::canSee) are left out. Set before
    // the first reset; without a viewer every job is shown.
    void setViewer(const ferry::Owner &viewer) { m_viewer = viewer; m_hasViewer = true; }

public slots:
    void resetJobs(const QList<ferry::Job> &jobs);
    void upsertJob(const ferry::Job &job);
    void removeJob(const QUuid &id);

private:
    bool visible(const Job &job) const;

    QList<Job> m_jobs;
    ferry::Owner m_viewer;
    bool m_hasViewer = false;
    QHash<QUuid, int> m_rowOf;
};

} // namespace ferry
