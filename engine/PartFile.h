// The temporary file a download writes into, and its durable offset: the bytes known to be
// flushed to the kernel and synced, which are the only bytes a checkpoint may record.
#pragma once

#include <QFile>
#include <QString>

namespace ferry {

class PartFile
{
public:
    explicit PartFile(const QString &path);

    // Opens or creates the file and drops anything past min(resumeOffset, size on disk):
    // bytes after the last checkpoint are not trusted.
    bool open(qint64 resumeOffset);
    bool write(const char *data, qint64 size);
    bool checkpoint();           // sync written bytes; durable() == offset() afterwards
    bool restart();              // back to an empty file
    void close();

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
