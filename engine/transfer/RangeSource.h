// A file made of ranges of the remote file (AddFileWithRanges, docs/jobs.md "Ranges"): the
// local file is the concatenation of the ranges, in the order given. This source speaks for
// the local file and asks the origin for one range at a time (HeldFile::range), each with its
// own Range request and If-Range, and hands on its bytes in order. Lives on the transfer thread.
#pragma once

#include "core/DataSource.h"
#include "core/Job.h"

#include <QPointer>

namespace ferry {

class RangeSource : public DataSource
{
    Q_OBJECT
public:
    // origin: the file's OriginSource (not owned), driven by this source only while it runs.
    RangeSource(QList<FileRange> ranges, DataSource *origin, int fileIndex, QObject *parent = nullptr);

    // held: what the transfer holds of the LOCAL file; its size is the local size once known.
    void start(const HeldFile &held) override;
    void stop() override;

private:
    void startRange(int index, qint64 within);
    void onOriginAnswered(const ferry::SourceAnswer &answer);
    void onOriginData(const QByteArray &bytes);
    void onOriginFinished();
    void onOriginFailed(const ferry::TransferFailure &why);
    void fail(quint32 code, const QString &why, bool transient);
    qint64 rangeLength(int index) const;   // -1 while a to-EOF range's remote size is unknown

    QList<FileRange> m_ranges;
    DataSource *m_origin;
    int m_fileIndex;
    HeldFile m_held;                 // the local file, as the transfer holds it
    qint64 m_remoteSize = -1;        // the remote file's size, from the first answer
    QString m_etag;                  // the version of the remote file the ranges come from
    QString m_lastModified;
    int m_index = 0;                 // the range being fetched
    qint64 m_rangeAsked = 0;         // the remote offset it was asked from
    qint64 m_rangeGot = 0;           // bytes of it delivered so far (from m_rangeAsked)
    bool m_announced = false;        // answered() was emitted for this start
    QString m_restartWhy;            // the ranges started over from the first: why
    bool m_running = false;
};

} // namespace ferry
