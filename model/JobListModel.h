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

public slots:
    void resetJobs(const QList<ferry::Job> &jobs);
    void upsertJob(const ferry::Job &job);
    void removeJob(const QUuid &id);

private:
    QList<Job> m_jobs;
    QHash<QUuid, int> m_rowOf;
};

} // namespace ferry
