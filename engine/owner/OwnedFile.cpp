#include "owner/OwnedFile.h"

#include "owner/OwnerIdentity.h"

#include <QByteArray>
#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry {

namespace {

constexpr qint64 ReadPiece = 1 << 20;

QString errnoText(int error) { return QString::fromLocal8Bit(std::strerror(error)); }

} // namespace

FileHandle::~FileHandle()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

FileHandle &FileHandle::operator=(FileHandle &&other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = other.release();
    }
    return *this;
}

int FileHandle::release()
{
    const int fd = m_fd;
    m_fd = -1;
    return fd;
}

Status checkOwnedDescriptor(int fd, const Owner &owner, const QString &path, qint64 *size)
{
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return {hr::E_ACCESSDENIED, QStringLiteral("cannot examine %1: %2").arg(path, errnoText(errno))};
    if (!S_ISREG(st.st_mode))
        return {hr::E_ACCESSDENIED, QStringLiteral("%1 is not a regular file; Ferry reads and writes only regular files").arg(path)};
    const uint expectedUid = OwnerIdentity::fileUid(owner);
    if (st.st_uid != expectedUid)
        return {hr::E_ACCESSDENIED, QStringLiteral("%1 belongs to uid %2, not to the job's owner (uid %3)")
                                        .arg(path).arg(st.st_uid).arg(expectedUid)};
    if (size)
        *size = qint64(st.st_size);
    return {};
}

Status openOwnedFile(const Owner &owner, const QString &path, qint64 expectedSize, FileHandle *out)
{
    *out = FileHandle();
    FileHandle file;
    int openError = 0;
    {
        const OwnerIdentity identity(owner);
        if (!identity.ok())
            return {hr::E_ACCESSDENIED, QStringLiteral("cannot act as the job's owner to open %1").arg(path)};
        // O_NONBLOCK: a FIFO or a device must not stall the thread in open(); O_NOFOLLOW: a final
        // symlink is refused (ELOOP), whatever it points to.
        file = FileHandle(::open(QFile::encodeName(path).constData(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        openError = errno;
    }
    if (!file.isOpen())
        return {hr::E_ACCESSDENIED, openError == ELOOP ? QStringLiteral("%1 is a symbolic link; Ferry does not follow it").arg(path)
                                                       : QStringLiteral("cannot open %1: %2").arg(path, errnoText(openError))};
    qint64 size = 0;
    if (Status s = checkOwnedDescriptor(file.fd(), owner, path, &size); !s)
        return s;
    if (expectedSize >= 0 && size != expectedSize)
        return {hr::BG_E_LOCAL_FILE_CHANGED, QStringLiteral("%1 holds %2 bytes, not the %3 that were transferred")
                                                 .arg(path).arg(size).arg(expectedSize)};
    *out = std::move(file);
    return {};
}

Status readAt(int fd, qint64 offset, char *buffer, qint64 size, const QString &path)
{
    qint64 done = 0;
    while (done < size) {
        const ssize_t n = ::pread(fd, buffer + done, size_t(size - done), off_t(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return {hr::E_FAIL, QStringLiteral("cannot read %1: %2").arg(path, errnoText(errno))};
        if (n == 0)
            return {hr::BG_E_LOCAL_FILE_CHANGED,
                    QStringLiteral("%1 ends after %2 bytes, before the %3 expected: it changed").arg(path).arg(offset + done).arg(offset + size)};
        done += n;
    }
    return {};
}

Status readAllOf(int fd, qint64 size, const QString &path, const std::function<void(const char *, qint64)> &consume)
{
    QByteArray buffer(int(qMin(size, ReadPiece)), Qt::Uninitialized);
    for (qint64 offset = 0; offset < size;) {
        const qint64 n = qMin<qint64>(buffer.size(), size - offset);
        if (Status s = readAt(fd, offset, buffer.data(), n, path); !s)
            return s;
        consume(buffer.constData(), n);
        offset += n;
    }
    return {};
}

} // namespace ferry
