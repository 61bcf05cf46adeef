// The job list as a flat table: one row per job, updated from the window's JobCache.
//
// The engine reports every change and every progress step of a job (many per second for each
// running job). Rows are looked up by job id in O(1), new jobs are inserted in batches, and
// progress-only changes are coalesced: the row is stored at once but dataChanged is emitted for
// all rows changed since, at most every CoalesceIntervalMs. State changes are emitted at once.
// The model also measures each running job's speed from its bytesTransferred over time.
#pragma once

#include "core/Job.h"

#include <QAbstractTableModel>
#include <QElapsedTimer>
#include <QHash>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

namespace ferry {

class JobCache;

class JobListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Name, State, Progress, Size, Speed, TimeLeft, Priority, PeerCaching, Owner, ColumnCount };
    Q_ENUM(Column)

    // SortRole: the raw value of a column, for sorting: text for Name and Owner, numbers for the
    // others (state and priority as their enum values, progress in percent, size in bytes or -1
    // while unknown, speed in bytes per second, time left in seconds or -1 while unknown, peer
    // caching as its flags). StateRole (any column): the JobState as an int, for the view's
    // icons and colours. DescriptionRole (any column): the job's description.
    enum Role {
        JobIdRole = Qt::UserRole + 1,
        SortRole,
        StateRole,
        DescriptionRole,
    };
    Q_ENUM(Role)
    // On the Progress column: "42 percent, 3.0 MB of 7.0 MB", for screen readers.
    static constexpr int AccessibleTextRole = Qt::AccessibleTextRole;

    static constexpr int CoalesceIntervalMs = 250;  // progress repaints at most this often
    static constexpr int SpeedMinSampleMs = 500;    // speed is measured over at least this long
    static constexpr int SpeedTimeConstantMs = 2000; // exponential smoothing of the speed
    static constexpr int SpeedStallMs = 3000;       // no report for this long: the speed decays

    explicit JobListModel(QObject *parent = nullptr);
    ~JobListModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    QUuid jobId(int row) const;
    int rowOf(const QUuid &id) const;       // -1 when the job is not shown
    const Job *jobAt(int row) const;        // nullptr when out of range; valid until the next change
    double bytesPerSecond(int row) const;   // the smoothed speed, 0 when not transferring

    // Shows cache's jobs and follows its changes (the engine's feed holds only the jobs this
    // window's user may see).
    void follow(JobCache *cache);

    // The monotonic clock the speed is measured with, in milliseconds. By default a
    // QElapsedTimer; tests substitute their own. An empty function restores the default.
    void setClock(std::function<qint64()> clock);

    // Emits the coalesced dataChanged now instead of waiting for the timer.
    void flushPendingChanges();

    static QString stateText(JobState state);
    static QString priorityText(JobPriority priority);
    static QString peerCachingText(quint32 flags);
    // The PeerCaching column: the flags, plus "· from peers" when any file has bytes from peers;
    // as a tooltip, how many bytes came from peers.
    static QString peerCachingText(const Job &job, bool toolTip);
    static QString speedText(double bytesPerSecond);
    static QString timeLeftText(qint64 seconds);

public slots:
    void resetJobs(const QList<ferry::Job> &jobs);
    void upsertJob(const ferry::Job &job);
    void upsertJobs(const QList<ferry::Job> &jobs); // new jobs are inserted with one beginInsertRows
    void removeJob(const QUuid &id);
    void removeJobs(const QList<QUuid> &ids);       // one beginRemoveRows per contiguous run
    // Lets the speed of jobs the engine has not reported for SpeedStallMs decay towards 0. Runs
    // every second on its own while some job has a speed; public for tests.
    void decayStalledSpeeds();

private:
    struct Rate
    {
        qint64 sampleMs = 0;       // when sampleBytes was taken
        quint64 sampleBytes = 0;
        qint64 reportMs = 0;       // the engine's last report
        double bytesPerSecond = 0;
        bool measured = false;     // bytesPerSecond holds a measurement
    };
    struct Row
    {
        Job job;
        quint64 seq = 0;           // insertion order: rows are always sorted by seq
        Rate rate;
        bool dirty = false;        // has a change not yet announced by dataChanged
    };
    struct Slot
    {
        quint64 seq = 0;
        int rowHint = 0;           // the row when last looked up; checked against seq
    };

    qint64 now() const;
    std::unique_ptr<Row> makeRow(const Job &job, qint64 nowMs);
    bool applyJob(Row &row, const Job &job, qint64 nowMs); // true when the state changed
    void updateRow(int row, const Job &job, qint64 nowMs);
    void sample(Row &row, JobState previous, qint64 nowMs);
    void markDirty(int row);
    void emitRowChanged(int row);
    qint64 secondsLeft(const Row &row) const;

    std::vector<std::unique_ptr<Row>> m_rows;
    // id -> insertion sequence and a row hint. A removal leaves later rows' hints one too high;
    // rowOf() notices (the row at the hint has another seq), finds the row by binary search over
    // seq in O(log n) and corrects the hint, so no removal ever re-indexes the rows after it.
    mutable QHash<QUuid, Slot> m_index;
    quint64 m_nextSeq = 1;
    QList<QUuid> m_dirty;          // ids whose row has dirty set, in no order
    QTimer m_coalesceTimer;
    QTimer m_stallTimer;
    QElapsedTimer m_elapsed;
    std::function<qint64()> m_clock;
};

} // namespace ferry
