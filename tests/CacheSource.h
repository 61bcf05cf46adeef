// Hands a test's own file to CacheStore::insert the way the engine does: as an open descriptor
// with its size (the store never opens a path itself). Keep the returned handle until insert().
#pragma once

#include "owner/OwnedFile.h"
#include "peercache/CacheStore.h"

#include <QFile>

#include <fcntl.h>
#include <sys/stat.h>

inline ferry::FileHandle useAsCacheSource(ferry::peercache::CacheRecordInput &in, const QString &path)
{
    ferry::FileHandle fd(::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    in.sourceFd = fd.fd();
    in.sourceSize = fd.isOpen() && ::fstat(fd.fd(), &st) == 0 ? qint64(st.st_size) : -1;
    in.sourceName = path;
    return fd;
}
