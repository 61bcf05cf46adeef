// A job owner's file, opened by the engine on the owner's behalf without trusting its path
// (docs/security.md, "Users' files"). A root engine serves every local user, and each of them
// controls the names in their own folders: a `.part` can become a symlink to /etc/shadow, a FIFO
// or /dev/zero at any moment. So the engine opens such a path once, as the owner, never through
// a final symlink and never blocking, checks on that very descriptor that it is a regular file
// of the owner of the expected size, and from then on reads only through the descriptor.
#pragma once

#include "core/BitsError.h"
#include "owner/Owner.h"

#include <QString>

#include <functional>

namespace ferry {

// An open file descriptor that closes itself; movable, not copyable.
class FileHandle
{
public:
    FileHandle() = default;
    explicit FileHandle(int fd) : m_fd(fd) {}
    ~FileHandle();
    FileHandle(FileHandle &&other) noexcept : m_fd(other.release()) {}
    FileHandle &operator=(FileHandle &&other) noexcept;
    FileHandle(const FileHandle &) = delete;
    FileHandle &operator=(const FileHandle &) = delete;

    int fd() const { return m_fd; }
    bool isOpen() const { return m_fd >= 0; }
    int release();

private:
    int m_fd = -1;
};

// Opens PATH for reading as OWNER (OwnerIdentity) with O_NOFOLLOW|O_NONBLOCK and accepts it only
// when fstat on the descriptor shows a regular file owned by fileUidFor(owner) whose size is
// expectedSize (any size when expectedSize < 0). Every refusal is a Status with a message that
// names the path and the reason; *out is left closed then.
Status openOwnedFile(const Owner &owner, const QString &path, qint64 expectedSize, FileHandle *out);

// Checks an already open descriptor the same way (regular file, owner's uid); *size gets its size.
Status checkOwnedDescriptor(int fd, const Owner &owner, const QString &path, qint64 *size);

// Reads exactly SIZE bytes at OFFSET of FD into BUFFER (pread). A file that turns out shorter is
// an error (BG_E_LOCAL_FILE_CHANGED): it changed. PATH is for the message only.
Status readAt(int fd, qint64 offset, char *buffer, qint64 size, const QString &path);

// Reads exactly SIZE bytes from offset 0 of FD in pieces of at most 1 MiB, handing each to CONSUME.
Status readAllOf(int fd, qint64 size, const QString &path, const std::function<void(const char *, qint64)> &consume);

} // namespace ferry
