// A job's files on disk at the end of their transfer (docs/jobs.md §6, §7.3): whether a
// transferred file's temporary still holds all its bytes, how Complete turns temporaries into the
// real files (never replacing one, with the server's modification time), and what Cancel and
// Complete delete. The callers act as the job's owner (OwnerIdentity) where they say so.
#pragma once

#include "core/Job.h"

#include <QList>
#include <QStringList>

namespace ferry {

// A file counts as transferred only while its temporary file still holds all its bytes; the
// others are marked for fetching again (and a TRANSFERRED job is queued). True when any changed.
bool checkTransferredFiles(Job &job);

struct CompletedFiles
{
    QStringList problems;        // why some files could not be moved to their names
    quint32 failure = hr::S_OK;  // the code of the first of them (renameErrorCode)
    QList<int> validatedNow;     // files Complete validated implicitly (their state was "unset")
    bool partial = false;        // some files were not transferred and are left out
};

// Renames every transferred, not yet completed file to its real name. The caller acts as the
// job's owner.
CompletedFiles completeFiles(Job &job);
// Deletes the temporaries of the files Complete leaves out (not transferred before the call) and
// sets their progress to zero; false when some could not be deleted. The caller acts as the
// job's owner.
bool removeUntransferred(Job &job);
// The code a failed rename gets for its errno: EEXIST FILE_EXISTS, EACCES/EPERM ACCESSDENIED,
// EROFS WRITE_PROTECT, ENOSPC/EDQUOT DISK_FULL, EXDEV NOT_SAME_DEVICE, ENOENT FILE_NOT_FOUND,
// anything else FAIL.
quint32 renameErrorCode(int err);
// Deletes every temporary file, as the job's owner (Cancel); false when some stayed.
bool removeTemporaryFiles(const Job &job);

} // namespace ferry
