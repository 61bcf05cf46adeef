#include "transfer/RangeSource.h"

#include "core/FileRanges.h"

namespace ferry {

RangeSource::RangeSource(QList<FileRange> ranges, DataSource *origin, int fileIndex, QObject *parent)
    : DataSource(parent)
    , m_ranges(std::move(ranges))
    , m_origin(origin)
    , m_fileIndex(fileIndex)
{
}

void RangeSource::start(const HeldFile &held)
{
    m_held = held;
    m_etag = held.etag;
    m_lastModified = held.lastModified;
    m_announced = false;
    m_restartWhy.clear();
    m_running = true;
    m_origin->disconnect(this); // a second start (after peers) must not listen twice
    connect(m_origin, &DataSource::answered, this, &RangeSource::onOriginAnswered);
    connect(m_origin, &DataSource::data, this, &RangeSource::onOriginData);
    connect(m_origin, &DataSource::finished, this, &RangeSource::onOriginFinished);
    connect(m_origin, &DataSource::failed, this, &RangeSource::onOriginFailed);
    connect(m_origin, &DataSource::warned, this, &DataSource::warned);
    // Which range the held bytes end in: its lengths are known for every range but a final
    // to-EOF one, and the held bytes cannot end past a range whose length is unknown.
    qint64 left = held.offset;
    int index = 0;
    while (index < m_ranges.size()) {
        const qint64 length = m_ranges[index].length;
        if (length == FileRange::ToEof || left < length)
            break;
        left -= length;
        ++index;
    }
    if (index == m_ranges.size()) { // every range is here already
        m_running = false;
        m_origin->disconnect(this);
        emit finished();
        return;
    }
    startRange(index, left);
}

void RangeSource::stop()
{
    m_running = false;
    m_origin->disconnect(this);
    m_origin->stop();
}

qint64 RangeSource::rangeLength(int index) const
{
    const FileRange &r = m_ranges[index];
    if (r.length != FileRange::ToEof)
        return r.length;
    return m_remoteSize >= 0 ? m_remoteSize - r.offset : -1;
}

void RangeSource::startRange(int index, qint64 within)
{
    m_index = index;
    const FileRange &r = m_ranges[index];
    m_rangeAsked = r.offset + within;
    m_rangeGot = 0;
    HeldFile asked;
    asked.offset = m_rangeAsked;
    asked.size = m_remoteSize;
    asked.etag = m_etag;
    asked.lastModified = m_lastModified;
    asked.range = true;
    asked.end = r.length == FileRange::ToEof ? -1 : r.offset + r.length;
    m_origin->start(asked);
}

void RangeSource::onOriginAnswered(const SourceAnswer &answer)
{
    if (!m_running)
        return;
    if (answer.offset != m_rangeAsked || !answer.restartReason.isEmpty()) {
        // The file changed on the server (the origin answers from 0). Before the first answer of
        // this run the ranges start over from the first; after it, this attempt ends and the next
        // one finds the change at its first answer.
        m_origin->stop();
        m_etag.clear();
        m_lastModified.clear();
        m_remoteSize = -1;
        if (m_announced)
            return fail(hr::BG_E_INVALID_SERVER_RESPONSE, answer.restartReason, true);
        m_restartWhy = answer.restartReason;
        m_held.offset = 0;
        return startRange(0, 0);
    }
    m_etag = answer.etag;
    m_lastModified = answer.lastModified;
    if (answer.size >= 0)
        m_remoteSize = answer.size;
    if (m_announced)
        return;
    m_announced = true;
    qint64 localSize = -1;
    if (m_remoteSize >= 0) {
        int pastEnd = -1;
        localSize = localSizeOf(m_ranges, m_remoteSize, &pastEnd);
        if (localSize < 0)
            return fail(hr::BG_E_INVALID_RANGE,
                        QStringLiteral("the range %1 lies past the end of the remote file (%2 bytes)")
                            .arg(rangesText({m_ranges[pastEnd]}))
                            .arg(m_remoteSize),
                        false);
    }
    emit answered({m_held.offset, m_restartWhy, localSize, m_etag, m_lastModified, answer.from});
}

void RangeSource::onOriginData(const QByteArray &bytes)
{
    if (!m_running)
        return;
    const qint64 length = rangeLength(m_index);
    if (length >= 0 && (m_rangeAsked - m_ranges[m_index].offset) + m_rangeGot + bytes.size() > length)
        return fail(hr::BG_E_INVALID_SERVER_RESPONSE, QStringLiteral("the server sent more bytes than the range holds"), false);
    m_rangeGot += bytes.size();
    emit data(bytes);
}

void RangeSource::onOriginFinished()
{
    if (!m_running)
        return;
    const qint64 length = rangeLength(m_index);
    const qint64 got = (m_rangeAsked - m_ranges[m_index].offset) + m_rangeGot;
    if (length >= 0 && got < length)
        return fail(hr::E_HTTP_CONNECTION_ERROR,
                    QStringLiteral("the connection closed after %1 of the %2 bytes of range %3").arg(got).arg(length).arg(m_index + 1),
                    true);
    if (m_index + 1 < m_ranges.size())
        return startRange(m_index + 1, 0);
    m_running = false;
    m_origin->disconnect(this);
    emit finished();
}

void RangeSource::onOriginFailed(const TransferFailure &why)
{
    if (!m_running)
        return;
    m_running = false;
    m_origin->disconnect(this);
    emit failed(why);
}

void RangeSource::fail(quint32 code, const QString &why, bool transient)
{
    m_running = false;
    m_origin->disconnect(this);
    m_origin->stop();
    emit failed({{ErrorContext::RemoteFile, code, why, m_fileIndex}, transient, 0});
}

} // namespace ferry
