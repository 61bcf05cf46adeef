#include "transfer/PartFile.h"

#include "owner/OwnedFile.h"
#include "owner/OwnerIdentity.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
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

bool PartFile::open(qint64 resumeOffset, const Owner &owner)
{
    const QByteArray path = QFile::encodeName(m_file.fileName());
    constexpr int Flags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    FileHandle fd;
    bool created = false;
    {
        const OwnerIdentity identity(owner);
        if (!identity.ok()) {
            m_error = QStringLiteral("cannot act as the job's owner to open %1").arg(m_file.fileName());
            return false;
        }
        fd = FileHandle(::open(path.constData(), Flags | O_CREAT | O_EXCL, 0666));
        created = fd.isOpen();
        if (!created && errno == EEXIST)
            fd = FileHandle(::open(path.constData(), Flags));
        // A root engine runs with umask 077 for its own files; a user's download gets the usual
        // 0644 instead (fchmod as the owner, on the file just created).
        if (created && ::geteuid() == 0)
            ::fchmod(fd.fd(), 0644);
    }
    if (!fd.isOpen())
        return fail(errno == ELOOP ? QStringLiteral("refusing the symbolic link at") : QStringLiteral("cannot open"));
    if (Status s = checkOwnedDescriptor(fd.fd(), owner, m_file.fileName(), nullptr); !s) {
        m_error = s.message;
        return false;
    }
    if (!m_file.open(fd.release(), QIODevice::ReadWrite | QIODevice::Unbuffered, QFileDevice::AutoCloseHandle))
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
