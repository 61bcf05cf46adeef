#include "jobs/FileCompletion.h"

#include "core/HttpDate.h"
#include "owner/OwnerIdentity.h"

#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>

namespace ferry {

Q_DECLARE_LOGGING_CATEGORY(lcJobs)

namespace {

// Moves a finished temporary file to its real name without ever replacing an existing file.
Status renameNoReplace(const QString &from, const QString &to)
{
    if (::renameat2(AT_FDCWD, QFile::encodeName(from).constData(), AT_FDCWD, QFile::encodeName(to).constData(),
                    RENAME_NOREPLACE)
        == 0)
        return {};
    const int err = errno;
    if (err == EEXIST)
        return {hr::E_FILE_EXISTS, QStringLiteral("'%1' already exists and is never overwritten").arg(to)};
    return {renameErrorCode(err), QStringLiteral("cannot rename '%1' to '%2': %3")
                                      .arg(from, to, QString::fromLocal8Bit(std::strerror(err)))};
}

void setModificationTime(const QString &path, const QString &lastModified)
{
    const QDateTime t = parseHttpDate(lastModified);
    if (!t.isValid())
        return;
    timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = t.toSecsSinceEpoch();
    times[1].tv_nsec = 0;
    ::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, 0);
}

} // namespace

quint32 renameErrorCode(int err)
{
    switch (err) {
    case EEXIST:
    case ENOTEMPTY: // the name is a non-empty folder
        return hr::E_FILE_EXISTS;
    case EACCES:
    case EPERM:     // a sticky folder, or an immutable file
        return hr::E_ACCESSDENIED;
    case EROFS:
        return hr::E_WRITE_PROTECT;
    case ENOSPC:
    case EDQUOT:
        return hr::E_DISK_FULL;
    case EXDEV:     // the target's folder became another file system (a mount over it)
        return hr::E_NOT_SAME_DEVICE;
    case ENOENT:
    case ENOTDIR:   // the temporary file or the target's folder is gone
        return hr::E_FILE_NOT_FOUND;
    default:
        return hr::E_FAIL;
    }
}

// A file counts as transferred only while its temporary file still holds all its bytes: after a
// power loss (Ferry does not fdatasync unless syncCheckpoints is on) or a user's meddling, the
// missing tail is fetched again instead of Complete presenting a short file.
bool checkTransferredFiles(Job &job)
{
    bool changed = false;
    for (JobFile &f : job.files) {
        if (!f.transferred || f.completed)
            continue;
        const QFileInfo temp(f.tempName);
        const qint64 held = temp.exists() ? temp.size() : 0;
        if (f.bytesTotal >= 0 && held == f.bytesTotal)
            continue;
        qCWarning(lcJobs).noquote() << job.displayName << ":" << f.tempName << "holds" << held << "of" << f.bytesTotal
                                    << "bytes; fetching the rest again";
        f.transferred = false;
        f.bytesTransferred = qMin(held, qMax<qint64>(0, f.bytesTotal));
        changed = true;
    }
    if (changed && job.state == JobState::Transferred)
        job.state = JobState::Queued;
    return changed;
}

CompletedFiles completeFiles(Job &job)
{
    CompletedFiles out;
    for (JobFile &f : job.files) {
        if (f.completed)
            continue;
        if (!f.transferred) {
            out.partial = true;
            continue;
        }
        if (const Status renamed = renameNoReplace(f.tempName, f.localName); renamed) {
            setModificationTime(f.localName, f.lastModified);
            f.completed = true;
            if (f.validationState == ValidationState::Unset) {
                f.validationState = ValidationState::Valid; // Complete validates implicitly (docs/jobs.md §7.3)
                out.validatedNow << int(&f - job.files.data());
            }
        } else {
            if (out.problems.isEmpty())
                out.failure = renamed.code;
            out.problems << renamed.message;
        }
    }
    return out;
}

bool removeUntransferred(Job &job)
{
    bool leftovers = false;
    for (JobFile &f : job.files) {
        if (f.transferred || f.completed)
            continue;
        if (QFile::exists(f.tempName) && !QFile::remove(f.tempName)) {
            qCWarning(lcJobs).noquote() << job.displayName << ": cannot delete" << f.tempName;
            leftovers = true;
        }
        f.bytesTransferred = 0; // what a later resume fetches starts from the first byte
        f.etag.clear();
        f.lastModified.clear();
        f.bytesFromPeers = 0;
        f.downloadedFromPeer = false;
    }
    return !leftovers;
}

bool removeTemporaryFiles(const Job &job)
{
    bool leftovers = false;
    const OwnerIdentity identity(job.owner);
    if (!identity.ok())
        return false; // never as root in the owner's folder (docs/security.md): they stay
    for (const JobFile &f : std::as_const(job.files))
        if (QFile::exists(f.tempName) && !QFile::remove(f.tempName))
            leftovers = true;
    return !leftovers;
}

} // namespace ferry
