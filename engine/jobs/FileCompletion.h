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
    QList<int> validatedNow;     // files Complete validated implicitly (their state was "unset")
    bool partial = false;        // some files were not transferred and are left out
};

// Renames every transferred, not yet completed file to its real name. The caller acts as the
// job's owner.
CompletedFiles completeFiles(Job &job);
// Deletes the temporaries of the files Complete left out. The caller acts as the job's owner.
void removeUntransferred(const Job &job);
// Deletes every temporary file, as the job's owner (Cancel); false when some stayed.
bool removeTemporaryFiles(const Job &job);

} // namespace ferry
