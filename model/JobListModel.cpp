#include "JobListModel.h"

#include "JobCache.h"
#include "ModelText.h"


#include <algorithm>
#include <cmath>

namespace ferry {
namespace {

// Coalesced rows closer than this are announced as one range: a few extra rows repainted cost
// less than one more signal through every view and proxy.
constexpr int MergeGap = 8;
// More runs than this and one range from the first to the last dirty row is announced instead.
constexpr int MaxRanges = 8;
constexpr int StallCheckIntervalMs = 1000;

} // namespace

JobListModel::JobListModel(QObject *parent)
    : QAbstractTableModel(parent)
{
    m_elapsed.start();
    m_coalesceTimer.setSingleShot(true);
    m_coalesceTimer.setInterval(CoalesceIntervalMs);
    connect(&m_coalesceTimer, &QTimer::timeout, this, &JobListModel::flushPendingChanges);
    m_stallTimer.setInterval(StallCheckIntervalMs);
    connect(&m_stallTimer, &QTimer::timeout, this, &JobListModel::decayStalledSpeeds);
}

JobListModel::~JobListModel() = default;

int JobListModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }
int JobListModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : ColumnCount; }

QUuid JobListModel::jobId(int row) const { return row >= 0 && row < rowCount() ? m_rows[size_t(row)]->job.id : QUuid(); }

const Job *JobListModel::jobAt(int row) const { return row >= 0 && row < rowCount() ? &m_rows[size_t(row)]->job : nullptr; }

int JobListModel::rowOf(const QUuid &id) const
{
    const auto it = m_index.find(id);
    if (it == m_index.end())
        return -1;
    Slot &slot = *it;
    if (slot.rowHint >= 0 && slot.rowHint < rowCount() && m_rows[size_t(slot.rowHint)]->seq == slot.seq)
        return slot.rowHint;
    // Rows only ever get appended with a growing seq, and removals keep the order: m_rows is
    // sorted by seq.
    const auto pos = std::lower_bound(m_rows.begin(), m_rows.end(), slot.seq,
                                      [](const std::unique_ptr<Row> &row, quint64 seq) { return row->seq < seq; });
    Q_ASSERT(pos != m_rows.end() && (*pos)->seq == slot.seq);
    slot.rowHint = int(pos - m_rows.begin());
    return slot.rowHint;
}

double JobListModel::bytesPerSecond(int row) const
{
    if (row < 0 || row >= rowCount())
        return 0;
    const Row &r = *m_rows[size_t(row)];
    return r.job.state == JobState::Transferring ? r.rate.bytesPerSecond : 0;
}

void JobListModel::setClock(std::function<qint64()> clock)
{
    m_clock = std::move(clock);
}

qint64 JobListModel::now() const
{
    return m_clock ? m_clock() : m_elapsed.elapsed();
}

qint64 JobListModel::secondsLeft(const Row &row) const
{
    if (row.job.state != JobState::Transferring || row.rate.bytesPerSecond < 1.0)
        return -1;
    const JobProgress p = row.job.progress();
    if (p.bytesTotal == SizeUnknown)
        return -1;
    const quint64 remaining = p.bytesTotal > p.bytesTransferred ? p.bytesTotal - p.bytesTransferred : 0;
    return qint64(std::ceil(double(remaining) / row.rate.bytesPerSecond));
}

QString JobListModel::stateText(JobState state)
{
    switch (state) {
    case JobState::Queued: return tr("Queued");
    case JobState::Connecting: return tr("Connecting");
    case JobState::Transferring: return tr("Transferring");
    case JobState::Suspended: return tr("Suspended");
    case JobState::Error: return tr("Error");
    case JobState::TransientError: return tr("Transient error");
    case JobState::Transferred: return tr("Transferred");
    case JobState::Acknowledged: return tr("Acknowledged");
    case JobState::Cancelled: return tr("Cancelled");
    }
    return tr("Unknown");
}

QString JobListModel::priorityText(JobPriority priority)
{
    switch (priority) {
    case JobPriority::Foreground: return tr("Foreground");
    case JobPriority::High: return tr("High");
    case JobPriority::Normal: return tr("Normal");
    case JobPriority::Low: return tr("Low");
    }
    return tr("Unknown");
}

QString JobListModel::peerCachingText(quint32 flags)
{
    QStringList parts;
    if (flags & peercaching::Client)
        parts << tr("client", "peer caching: this job may download from peers");
    if (flags & peercaching::Server)
        parts << tr("server", "peer caching: this job may serve its files to peers");
    return parts.isEmpty() ? tr("—", "peer caching: none") : parts.join(tr(", ", "list separator"));
}

QString JobListModel::peerCachingText(const Job &job, bool toolTip)
{
    qint64 fromPeers = 0;
    qint64 total = 0;
    bool anyFromPeer = false;
    for (const JobFile &f : job.files) {
        anyFromPeer = anyFromPeer || f.downloadedFromPeer;
        fromPeers += f.bytesFromPeers;
        total += qMax<qint64>(f.bytesTotal, 0);
    }
    const QString flags = peerCachingText(job.peerCachingFlags);
    if (!anyFromPeer)
        return flags;
    if (!toolTip)
        return tr("%1 · from peers", "peer caching flags, then: some bytes of this job came from peers").arg(flags);
    return total > 0 ? tr("%1 of %2 came from peers on the local network", "bytes from peers of the job's total")
                           .arg(ModelText::dataSize(fromPeers), ModelText::dataSize(total))
                     : tr("%1 came from peers on the local network").arg(ModelText::dataSize(fromPeers));
}

QString JobListModel::speedText(double bytesPerSecond)
{
    return tr("%1/s", "speed: a data size per second").arg(ModelText::dataSize(qint64(std::llround(bytesPerSecond))));
}

QString JobListModel::timeLeftText(qint64 seconds)
{
    if (seconds < 0)
        return {};
    if (seconds < 60)
        return tr("%n s", "time left in seconds", int(seconds));
    const qint64 minutes = (seconds + 59) / 60;
    if (minutes < 60)
        return tr("%n min", "time left in minutes", int(minutes));
    const qint64 hours = minutes / 60;
    if (hours < 24) {
        if (minutes % 60 == 0)
            return tr("%n h", "time left in hours", int(hours));
        return tr("%1 h %2 min", "time left in hours and minutes").arg(hours).arg(minutes % 60);
    }
    return tr("%n day(s)", "time left in days", int((seconds + 86399) / 86400));
}

QVariant JobListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.parent().isValid() || index.row() >= rowCount() || index.column() >= ColumnCount)
        return {};
    const Row &row = *m_rows[size_t(index.row())];
    const Job &job = row.job;
    switch (role) {
    case JobIdRole: return job.id;
    case StateRole: return int(job.state);
    case DescriptionRole: return job.description;
    default: break;
    }
    const bool transferring = job.state == JobState::Transferring;

    if (role == SortRole) {
        switch (index.column()) {
        case Name: return job.displayName;
        case State: return int(job.state);
        case Progress: return ModelText::percent(job.progress());
        case Size: {
            const JobProgress p = job.progress();
            return p.bytesTotal == SizeUnknown ? qint64(-1) : qint64(p.bytesTotal);
        }
        case Speed: return transferring ? row.rate.bytesPerSecond : 0.0;
        case TimeLeft: return secondsLeft(row);
        case Priority: return int(job.priority);
        case PeerCaching: return int(job.peerCachingFlags);
        case Owner: return job.owner.userName;
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole) {
        switch (index.column()) {
        case Progress:
        case Size:
        case Speed:
        case TimeLeft: return int(Qt::AlignRight | Qt::AlignVCenter);
        default: return {};
        }
    }
    if (index.column() == Progress && (role == AccessibleTextRole || role == Qt::ToolTipRole))
        return ModelText::progressSentence(job.progress());
    if (index.column() == PeerCaching && (role == Qt::DisplayRole || role == Qt::ToolTipRole))
        return peerCachingText(job, role == Qt::ToolTipRole);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Name: return job.displayName;
    case State: return stateText(job.state);
    case Progress: return ModelText::percentText(ModelText::percent(job.progress()));
    case Size: {
        const JobProgress p = job.progress();
        return p.bytesTotal == SizeUnknown ? tr("unknown") : ModelText::dataSize(qint64(p.bytesTotal));
    }
    case Speed: return transferring && row.rate.measured ? speedText(row.rate.bytesPerSecond) : QString();
    case TimeLeft: return timeLeftText(secondsLeft(row));
    case Priority: return priorityText(job.priority);
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
    case Speed: return tr("Speed");
    case TimeLeft: return tr("Time left");
    case Priority: return tr("Priority");
    case PeerCaching: return tr("Peer caching");
    case Owner: return tr("Owner");
    default: return {};
    }
}

void JobListModel::follow(JobCache *cache)
{
    connect(cache, &JobCache::jobsReset, this, &JobListModel::resetJobs);
    connect(cache, &JobCache::jobChanged, this, &JobListModel::upsertJob);
    connect(cache, &JobCache::jobRemoved, this, &JobListModel::removeJob);
    resetJobs(cache->jobs());
}

std::unique_ptr<JobListModel::Row> JobListModel::makeRow(const Job &job, qint64 nowMs)
{
    auto row = std::make_unique<Row>();
    row->job = job;
    row->seq = m_nextSeq++;
    row->rate.sampleMs = nowMs;
    row->rate.sampleBytes = job.progress().bytesTransferred;
    row->rate.reportMs = nowMs;
    return row;
}

bool JobListModel::applyJob(Row &row, const Job &job, qint64 nowMs)
{
    const JobState previous = row.job.state;
    row.job = job;
    row.rate.reportMs = nowMs;
    sample(row, previous, nowMs);
    return previous != job.state;
}

void JobListModel::sample(Row &row, JobState previous, qint64 nowMs)
{
    Rate &rate = row.rate;
    const quint64 bytes = row.job.progress().bytesTransferred;
    const bool measuring = row.job.state == JobState::Transferring && previous == JobState::Transferring;
    if (!measuring) {
        // Not transferring, or just started: the speed is unknown until a window has passed.
        rate.sampleMs = nowMs;
        rate.sampleBytes = bytes;
        rate.bytesPerSecond = 0;
        rate.measured = false;
        return;
    }
    if (bytes < rate.sampleBytes) {
        // The server did not resume a file and it starts over: measure again from here.
        rate.sampleMs = nowMs;
        rate.sampleBytes = bytes;
        return;
    }
    const qint64 elapsed = nowMs - rate.sampleMs;
    if (elapsed < SpeedMinSampleMs)
        return; // keep the older sample, so reports a few ms apart do not make a noisy speed
    const double current = double(bytes - rate.sampleBytes) * 1000.0 / double(elapsed);
    if (!rate.measured) {
        rate.bytesPerSecond = current;
    } else {
        // Exponential smoothing whose weight depends on the time that passed, so the result does
        // not depend on how often the engine reports.
        const double weight = 1.0 - std::exp(-double(elapsed) / double(SpeedTimeConstantMs));
        rate.bytesPerSecond += weight * (current - rate.bytesPerSecond);
    }
    if (rate.bytesPerSecond < 1.0)
        rate.bytesPerSecond = 0;
    rate.measured = true;
    rate.sampleMs = nowMs;
    rate.sampleBytes = bytes;
    if (rate.bytesPerSecond > 0 && !m_stallTimer.isActive())
        m_stallTimer.start();
}

void JobListModel::decayStalledSpeeds()
{
    const qint64 t = now();
    bool moving = false;
    for (size_t i = 0; i < m_rows.size(); ++i) {
        Row &row = *m_rows[i];
        if (row.rate.bytesPerSecond <= 0)
            continue;
        if (t - row.rate.reportMs >= SpeedStallMs) {
            const double before = row.rate.bytesPerSecond;
            sample(row, row.job.state, t); // no new bytes since the last sample
            if (row.rate.bytesPerSecond != before)
                markDirty(int(i));
        }
        moving = moving || row.rate.bytesPerSecond > 0;
    }
    if (!moving)
        m_stallTimer.stop();
}

void JobListModel::markDirty(int row)
{
    Row &r = *m_rows[size_t(row)];
    if (!r.dirty) {
        r.dirty = true;
        m_dirty << r.job.id;
    }
    if (!m_coalesceTimer.isActive())
        m_coalesceTimer.start();
}

void JobListModel::emitRowChanged(int row)
{
    m_rows[size_t(row)]->dirty = false; // its entry in m_dirty is skipped by the flush
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void JobListModel::updateRow(int row, const Job &job, qint64 nowMs)
{
    if (applyJob(*m_rows[size_t(row)], job, nowMs))
        emitRowChanged(row); // a state change is shown at once
    else
        markDirty(row);
}

void JobListModel::flushPendingChanges()
{
    m_coalesceTimer.stop();
    if (m_dirty.isEmpty())
        return;
    QList<int> rows;
    rows.reserve(m_dirty.size());
    for (const QUuid &id : std::as_const(m_dirty)) {
        const int row = rowOf(id);
        if (row < 0 || !m_rows[size_t(row)]->dirty)
            continue;
        m_rows[size_t(row)]->dirty = false;
        rows << row;
    }
    m_dirty.clear();
    if (rows.isEmpty())
        return;
    std::sort(rows.begin(), rows.end());
    QList<std::pair<int, int>> runs;
    for (int row : std::as_const(rows)) {
        if (!runs.isEmpty() && row - runs.last().second <= MergeGap)
            runs.last().second = row;
        else
            runs.append({row, row});
    }
    if (runs.size() > MaxRanges)
        runs = {{runs.first().first, runs.last().second}};
    for (const auto &[first, last] : std::as_const(runs))
        emit dataChanged(index(first, 0), index(last, ColumnCount - 1));
}

void JobListModel::resetJobs(const QList<Job> &jobs)
{
    const qint64 t = now();
    std::vector<std::unique_ptr<Row>> rows;
    rows.reserve(size_t(jobs.size()));
    QHash<QUuid, Slot> index;
    index.reserve(jobs.size());
    for (const Job &job : jobs) {
        if (const auto it = index.constFind(job.id); it != index.constEnd()) {
            applyJob(*rows[size_t(it->rowHint)], job, t); // listed twice: the later one wins
            continue;
        }
        std::unique_ptr<Row> row;
        if (const int old = rowOf(job.id); old >= 0) {
            // Still there: keep measuring its speed.
            row = std::make_unique<Row>();
            row->job = m_rows[size_t(old)]->job;
            row->rate = m_rows[size_t(old)]->rate;
            row->seq = m_nextSeq++;
            applyJob(*row, job, t);
        } else {
            row = makeRow(job, t);
        }
        index.insert(job.id, Slot{row->seq, int(rows.size())});
        rows.push_back(std::move(row));
    }
    beginResetModel();
    m_coalesceTimer.stop();
    m_dirty.clear();
    m_rows = std::move(rows);
    m_index = std::move(index);
    endResetModel();
}

void JobListModel::upsertJob(const Job &job)
{
    // The progress path, many times a second per running job: no batch bookkeeping.
    if (const int row = rowOf(job.id); row >= 0) {
        updateRow(row, job, now());
        return;
    }
    upsertJobs({job});
}

void JobListModel::upsertJobs(const QList<Job> &jobs)
{
    const qint64 t = now();
    std::vector<std::unique_ptr<Row>> fresh;
    QHash<QUuid, size_t> freshAt;
    for (const Job &job : jobs) {
        const auto pending = freshAt.constFind(job.id);
        if (pending != freshAt.constEnd()) {
            applyJob(*fresh[*pending], job, t);
            continue;
        }
        if (const int row = rowOf(job.id); row >= 0) {
            updateRow(row, job, t);
            continue;
        }
        freshAt.insert(job.id, fresh.size());
        fresh.push_back(makeRow(job, t));
    }
    if (freshAt.isEmpty())
        return;
    const int first = rowCount();
    beginInsertRows({}, first, first + int(freshAt.size()) - 1);
    m_rows.reserve(m_rows.size() + size_t(freshAt.size()));
    for (std::unique_ptr<Row> &row : fresh) {
        if (!row)
            continue;
        m_index.insert(row->job.id, Slot{row->seq, rowCount()});
        m_rows.push_back(std::move(row));
    }
    endInsertRows();
}

void JobListModel::removeJob(const QUuid &id)
{
    removeJobs({id});
}

void JobListModel::removeJobs(const QList<QUuid> &ids)
{
    QList<int> rows;
    rows.reserve(ids.size());
    for (const QUuid &id : ids)
        if (const int row = rowOf(id); row >= 0)
            rows << row;
    if (rows.isEmpty())
        return;
    std::sort(rows.begin(), rows.end(), std::greater<int>());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    // From the last run to the first, so the rows of the runs still to go do not move.
    for (qsizetype i = 0; i < rows.size();) {
        const int last = rows[i];
        int first = last;
        while (++i < rows.size() && rows[i] == first - 1)
            first = rows[i];
        beginRemoveRows({}, first, last);
        for (int row = first; row <= last; ++row)
            m_index.remove(m_rows[size_t(row)]->job.id);
        m_rows.erase(m_rows.begin() + first, m_rows.begin() + last + 1);
        endRemoveRows();
    }
}

} // namespace ferry
