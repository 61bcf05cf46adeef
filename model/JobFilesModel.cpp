#include "JobFilesModel.h"

#include "ModelText.h"

#include <QDir>

namespace ferry {
namespace {

bool sameFile(const JobFile &a, const JobFile &b)
{
    return a.remoteUrl == b.remoteUrl && a.localName == b.localName && a.tempName == b.tempName
           && a.bytesTotal == b.bytesTotal && a.bytesTransferred == b.bytesTransferred
           && a.transferred == b.transferred && a.completed == b.completed
           && a.downloadedFromPeer == b.downloadedFromPeer;
}

int percentOf(const JobFile &f)
{
    return ModelText::percent(quint64(qMax<qint64>(0, f.bytesTransferred)),
                              f.bytesTotal < 0 ? SizeUnknown : quint64(f.bytesTotal), f.transferred);
}

} // namespace

JobFilesModel::JobFilesModel(QObject *parent)
    : QAbstractTableModel(parent)
{
    m_coalesceTimer.setSingleShot(true);
    m_coalesceTimer.setInterval(CoalesceIntervalMs);
    connect(&m_coalesceTimer, &QTimer::timeout, this, &JobFilesModel::flushPendingChanges);
}

int JobFilesModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_files.size()); }
int JobFilesModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

const JobFile *JobFilesModel::fileAt(int row) const { return row >= 0 && row < m_files.size() ? &m_files[row] : nullptr; }

QVariant JobFilesModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.parent().isValid() || index.row() >= m_files.size() || index.column() >= ColumnCount)
        return {};
    const JobFile &f = m_files[index.row()];
    if (role == SortRole) {
        switch (index.column()) {
        case RemoteUrl: return f.remoteUrl.toDisplayString();
        case LocalName: return f.localName;
        case Progress: return percentOf(f);
        case Size: return f.bytesTotal < 0 ? qint64(-1) : f.bytesTotal;
        case TempName: return f.tempName;
        case FromPeer: return f.downloadedFromPeer ? 1 : 0;
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole) {
        if (index.column() == Progress || index.column() == Size)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    if (index.column() == Progress && role == AccessibleTextRole)
        return ModelText::progressSentence(percentOf(f), f.bytesTransferred, f.bytesTotal);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case RemoteUrl: return f.remoteUrl.toDisplayString(); // without any password
    case LocalName: return QDir::toNativeSeparators(f.localName);
    case Progress: {
        const QString percent = ModelText::percentText(percentOf(f));
        if (f.bytesTotal < 0)
            return tr("%1 (%2)", "file progress: percent (bytes transferred)")
                .arg(percent, ModelText::dataSize(f.bytesTransferred));
        return tr("%1 (%2 of %3)", "file progress: percent (bytes transferred of total)")
            .arg(percent, ModelText::dataSize(f.bytesTransferred), ModelText::dataSize(f.bytesTotal));
    }
    case Size: return f.bytesTotal < 0 ? tr("unknown") : ModelText::dataSize(f.bytesTotal);
    case TempName: return QDir::toNativeSeparators(f.tempName);
    case FromPeer: return f.downloadedFromPeer ? tr("Yes", "downloaded from a peer") : tr("No", "downloaded from a peer");
    default: return {};
    }
}

QVariant JobFilesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case RemoteUrl: return tr("Remote URL");
    case LocalName: return tr("Local name");
    case Progress: return tr("Progress");
    case Size: return tr("Size");
    case TempName: return tr("Temporary name");
    case FromPeer: return tr("From peer");
    default: return {};
    }
}

void JobFilesModel::setJob(const Job &job)
{
    if (job.id == m_jobId && !m_jobId.isNull()) {
        upsertJob(job);
        return;
    }
    beginResetModel();
    m_coalesceTimer.stop();
    m_dirtyFirst = m_dirtyLast = -1;
    m_jobId = job.id;
    m_files = job.files;
    endResetModel();
}

void JobFilesModel::clear()
{
    beginResetModel();
    m_coalesceTimer.stop();
    m_dirtyFirst = m_dirtyLast = -1;
    m_jobId = QUuid();
    m_files.clear();
    endResetModel();
}

void JobFilesModel::removeJob(const QUuid &id)
{
    if (!m_jobId.isNull() && id == m_jobId)
        clear();
}

void JobFilesModel::upsertJob(const Job &job)
{
    if (m_jobId.isNull() || job.id != m_jobId)
        return;
    const int common = int(qMin(m_files.size(), job.files.size()));
    if (job.files.size() < m_files.size()) {
        beginRemoveRows({}, common, int(m_files.size()) - 1);
        m_files.resize(common);
        if (m_dirtyLast >= common)
            m_dirtyLast = common - 1;
        if (m_dirtyFirst > m_dirtyLast)
            m_dirtyFirst = m_dirtyLast = -1;
        endRemoveRows();
    }
    for (int i = 0; i < common; ++i) {
        JobFile &mine = m_files[i];
        const JobFile &theirs = job.files[i];
        if (sameFile(mine, theirs))
            continue;
        const bool finished = mine.transferred != theirs.transferred || mine.completed != theirs.completed;
        mine = theirs;
        if (finished)
            emit dataChanged(index(i, 0), index(i, ColumnCount - 1)); // shown at once, like a state change
        else
            markDirty(i);
    }
    if (job.files.size() > m_files.size()) {
        beginInsertRows({}, int(m_files.size()), int(job.files.size()) - 1);
        m_files.append(job.files.mid(m_files.size()));
        endInsertRows();
    }
}

void JobFilesModel::markDirty(int row)
{
    m_dirtyFirst = m_dirtyFirst < 0 ? row : qMin(m_dirtyFirst, row);
    m_dirtyLast = qMax(m_dirtyLast, row);
    if (!m_coalesceTimer.isActive())
        m_coalesceTimer.start();
}

void JobFilesModel::flushPendingChanges()
{
    m_coalesceTimer.stop();
    if (m_dirtyFirst < 0)
        return;
    const int first = m_dirtyFirst;
    const int last = m_dirtyLast;
    m_dirtyFirst = m_dirtyLast = -1;
    emit dataChanged(index(first, 0), index(last, ColumnCount - 1));
}

} // namespace ferry
