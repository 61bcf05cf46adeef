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
bool renameNoReplace(const QString &from, const QString &to, QString *error)
{
    if (::renameat2(AT_FDCWD, QFile::encodeName(from).constData(), AT_FDCWD, QFile::encodeName(to).constData(),
                    RENAME_NOREPLACE)
        == 0)
        return true;
    *error = errno == EEXIST ? QStringLiteral("'%1' already exists and is never overwritten").arg(to)
                             : QStringLiteral("cannot rename '%1' to '%2': %3")
                                   .arg(from, to, QString::fromLocal8Bit(std::strerror(errno)));
    return false;
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
        QString error;
        if (renameNoReplace(f.tempName, f.localName, &error)) {
            setModificationTime(f.localName, f.lastModified);
            f.completed = true;
            if (f.validationState == ValidationState::Unset) {
                f.validationState = ValidationState::Valid; // Complete validates implicitly (docs/jobs.md §7.3)
                out.validatedNow << int(&f - job.files.data());
            }
        } else {
            out.problems << error;
        }
    }
    return out;
}

void removeUntransferred(const Job &job)
{
    for (const JobFile &f : std::as_const(job.files))
        if (!f.completed && QFile::exists(f.tempName))
            QFile::remove(f.tempName);
}

bool removeTemporaryFiles(const Job &job)
{
    bool leftovers = false;
    const OwnerIdentity identity(job.owner);
    for (const JobFile &f : std::as_const(job.files))
        if (QFile::exists(f.tempName) && !QFile::remove(f.tempName))
            leftovers = true;
    return !leftovers;
}

} // namespace ferry
