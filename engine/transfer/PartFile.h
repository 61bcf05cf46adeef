// The temporary file a download writes into, and its durable offset: the bytes a checkpoint may
// record. They are always in the kernel's hands (they survive a crash or kill of Ferry); with
// sync they are on the disk too (they survive a power loss), at the price of waiting for it.
#pragma once

#include "owner/Owner.h"

#include <QFile>
#include <QString>

namespace ferry {

class PartFile
{
public:
    explicit PartFile(const QString &path);

    // Opens or creates the file as OWNER and drops anything past min(resumeOffset, size on disk):
    // bytes after the last checkpoint are not trusted. The path is the owner's to play with, so
    // it is opened once, never through a final symlink and never blocking, and kept only if the
    // descriptor is a regular file of the owner (OwnedFile.h); everything after goes through
    // that one descriptor (docs/security.md).
    bool open(qint64 resumeOffset, const Owner &owner);
    bool write(const char *data, qint64 size);
    bool checkpoint(bool sync);  // durable() == offset() afterwards; sync: fdatasync first
    bool restart();              // back to an empty file
    // Allocates the blocks up to total without changing the file's size (the size stays the
    // count of bytes written). False only for a full disk; unsupported filesystems are fine.
    bool reserve(qint64 total);
    void close();

    int handle() const { return m_file.handle(); }   // for reading back what was written (pread)
    qint64 offset() const { return m_offset; }
    qint64 durable() const { return m_durable; }
    qint64 pending() const { return m_offset - m_durable; }
    QString errorString() const { return m_error; }
    bool diskFull() const { return m_diskFull; }

private:
    bool fail(const QString &what);

    QFile m_file;
    qint64 m_offset = 0;
    qint64 m_durable = 0;
    QString m_error;
    bool m_diskFull = false;
};

} // namespace ferry
