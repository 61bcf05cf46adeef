#include "PartFile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace ferry {

PartFile::PartFile(const QString &path)
    : m_file(path)
{
}

bool PartFile::fail(const QString &what)
{
    m_diskFull = errno == ENOSPC || errno == EDQUOT;
    m_error = QStringLiteral("%1 %2: %3").arg(what, m_file.fileName(), QString::fromLocal8Bit(std::strerror(errno)));
    return false;
}

bool PartFile::open(qint64 resumeOffset)
{
    if (!m_file.open(QIODevice::ReadWrite | QIODevice::Unbuffered))
        return fail(QStringLiteral("cannot open"));
    const qint64 keep = qBound(qint64(0), resumeOffset, m_file.size());
    if (m_file.size() != keep && !m_file.resize(keep))
        return fail(QStringLiteral("cannot truncate"));
    if (!m_file.seek(keep))
        return fail(QStringLiteral("cannot seek in"));
    m_offset = m_durable = keep;
    return true;
}

bool PartFile::write(const char *data, qint64 size)
{
    while (size > 0) {
        errno = 0;
        const qint64 n = m_file.write(data, size);
        if (n <= 0)
            return fail(QStringLiteral("cannot write"));
        data += n;
        size -= n;
        m_offset += n;
    }
    return true;
}

bool PartFile::checkpoint(bool sync)
{
    if (m_offset == m_durable)
        return true;
    if (sync && (!m_file.flush() || ::fdatasync(m_file.handle()) != 0))
        return fail(QStringLiteral("cannot sync"));
    m_durable = m_offset;
    return true;
}

bool PartFile::restart()
{
    if (!m_file.resize(0) || !m_file.seek(0))
        return fail(QStringLiteral("cannot truncate"));
    m_offset = m_durable = 0;
    return true;
}

bool PartFile::reserve(qint64 total)
{
    if (total <= m_offset)
        return true;
    if (::fallocate(m_file.handle(), FALLOC_FL_KEEP_SIZE, m_offset, total - m_offset) == 0)
        return true;
    if (errno == ENOSPC || errno == EDQUOT)
        return fail(QStringLiteral("not enough space for %1 bytes in").arg(total - m_offset));
    return true; // EOPNOTSUPP and the like: writing will tell
}

void PartFile::close()
{
    m_file.close();
}

} // namespace ferry
