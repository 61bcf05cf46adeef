#include "JobListModel.h"

#include "JobAccess.h"

#include <QLocale>

namespace ferry {

JobListModel::JobListModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int JobListModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_jobs.size()); }
int JobListModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QUuid JobListModel::jobId(int row) const { return row >= 0 && row < m_jobs.size() ? m_jobs[row].id : QUuid(); }

QVariant JobListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_jobs.size())
        return {};
    const Job &job = m_jobs[index.row()];
    if (role == JobIdRole)
        return job.id;
    const JobProgress p = job.progress();
    const int percent = p.bytesTotal == SizeUnknown || p.bytesTotal == 0
                            ? (p.filesTotal > 0 && p.filesTransferred == p.filesTotal ? 100 : 0)
                            : int(p.bytesTransferred * 100 / p.bytesTotal);
    if (role == SortRole) {
        switch (index.column()) {
        case State: return int(job.state);
        case Progress: return percent;
        case Size: return p.bytesTotal == SizeUnknown ? -1.0 : double(p.bytesTotal);
        case Priority: return int(job.priority);
        default: break;
        }
        role = Qt::DisplayRole;
    }
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Name: return job.displayName;
    case State: return stateName(job.state);
    case Progress: return tr("%1%").arg(percent);
    case Size:
        return p.bytesTotal == SizeUnknown ? tr("unknown") : QLocale().formattedDataSize(qint64(p.bytesTotal));
    case Priority: return priorityName(job.priority);
    case Owner: return job.owner.userName;
    default: return {};
    }
}

QVariant JobListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name: return tr("Name");
    case State: return tr("State");
    case Progress: return tr("Progress");
    case Size: return tr("Size");
    case Priority: return tr("Priority");
    case Owner: return tr("Owner");
    default: return {};
    }
}

bool JobListModel::visible(const Job &job) const
{
    return !m_hasViewer || canSee(m_viewer, job.owner);
}

void JobListModel::resetJobs(const QList<Job> &jobs)
{
    beginResetModel();
    m_jobs.clear();
    for (const Job &job : jobs)
        if (visible(job))
            m_jobs << job;
    m_rowOf.clear();
    for (int i = 0; i < m_jobs.size(); ++i)
        m_rowOf.insert(m_jobs[i].id, i);
    endResetModel();
}

void JobListModel::upsertJob(const Job &job)
{
    if (!visible(job))
        return;
    if (auto it = m_rowOf.constFind(job.id); it != m_rowOf.constEnd()) {
        m_jobs[*it] = job;
        emit dataChanged(index(*it, 0), index(*it, ColumnCount - 1));
        return;
    }
    const int row = int(m_jobs.size());
    beginInsertRows({}, row, row);
    m_jobs << job;
    m_rowOf.insert(job.id, row);
    endInsertRows();
}

void JobListModel::removeJob(const QUuid &id)
{
    const auto it = m_rowOf.constFind(id);
    if (it == m_rowOf.constEnd())
        return;
    const int row = *it;
    beginRemoveRows({}, row, row);
    m_jobs.removeAt(row);
    m_rowOf.remove(id);
    for (int i = row; i < m_jobs.size(); ++i)
        m_rowOf[m_jobs[i].id] = i;
    endRemoveRows();
}

} // namespace ferry
