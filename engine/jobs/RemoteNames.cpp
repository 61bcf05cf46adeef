// JobManager's corrections of a file's URL (docs/jobs.md §6.4): SetRemoteName for one file and
// ReplaceRemotePrefix for every file whose URL starts with a given text. The new URL passes the
// same checks as addfile's; a file that is not completed yet starts again from its first byte
// from the new URL, since nothing proves the new server holds the same bytes.
#include "jobs/JobManager.h"

#include "core/FileRules.h"
#include "owner/OwnerIdentity.h"
#include "store/JobStore.h"

#include <QFile>

namespace ferry {

namespace {

// The forms a user may have read a file's URL in: as stored (and in `info --json`), and decoded.
QStringList urlForms(const QUrl &url)
{
    QStringList forms{url.toString(QUrl::FullyEncoded)};
    if (url.toString() != forms.first())
        forms << url.toString();
    return forms;
}

} // namespace

// Points one not-yet-completed file at url: its bytes, validators and peer facts go, so that the
// next run fetches it whole from there. The caller stopped any transfer and persists the job.
void JobManager::retarget(Job &job, int fileIndex, const QUrl &url)
{
    JobFile &file = job.files[fileIndex];
    if (file.validationState == ValidationState::Valid)
        emit fileInvalidated(job, fileIndex); // its bytes are about to go: nothing may serve them
    {
        // As the owner or not at all: a path in the owner's folder is never deleted as root
        // (docs/security.md). Left in place, the old bytes are cut off by the next run, which
        // starts the file from 0.
        const OwnerIdentity identity(job.owner);
        if (identity.ok())
            QFile::remove(file.tempName);
    }
    m_store->clearCheckpoint(job.id, fileIndex);
    m_runtime[job.id].originOnly.remove(fileIndex);
    file.remoteUrl = url;
    file.bytesTotal = -1;
    file.bytesTransferred = 0;
    file.transferred = false;
    file.downloadedFromPeer = false;
    file.bytesFromPeers = 0;
    file.peerId.clear();
    file.peerVerification = PeerVerification::None;
    file.validationState = ValidationState::Unset;
    file.contentKeys.clear();
    file.notServable.clear();
    file.sha256.clear();
    file.etag.clear();
    file.lastModified.clear();
}

Status JobManager::setRemoteName(const QUuid &id, int fileIndex, const QString &remoteUrl)
{
    Status s;
    Job *job = mutableJob(id, &s);
    if (!job)
        return s;
    if (fileIndex < 0 || fileIndex >= job->files.size())
        return {hr::E_INVALIDARG, QStringLiteral("the job has no file %1").arg(fileIndex)};
    if (job->files[fileIndex].completed)
        return {hr::BG_E_INVALID_STATE, QStringLiteral("file %1 is completed already: it is under its name and fetches nothing more")
                                            .arg(fileIndex)};
    QUrl url;
    if (Status check = checkRemoteUrl(remoteUrl, &url); !check)
        return check;
    const bool wasActive = isActive(job->state);
    stopTransfer(id); // the file's bytes are not touched while the transfer thread writes them
    s = change(id, [&](Job &j) {
        retarget(j, fileIndex, url);
        return Status();
    });
    if (s && wasActive)
        requeue(m_jobs[id]);
    scheduleSoon();
    return s;
}

Status JobManager::replaceRemotePrefix(const QUuid &id, const QString &oldPrefix, const QString &newPrefix)
{
    Status s;
    Job *job = mutableJob(id, &s);
    if (!job)
        return s;
    if (oldPrefix.isEmpty() || newPrefix.isEmpty())
        return {hr::E_INVALIDARG, QStringLiteral("both the old and the new prefix must be given")};
    // Every new URL is checked before any file changes: all or nothing.
    QList<QPair<int, QUrl>> changes;
    for (int i = 0; i < job->files.size(); ++i) {
        const JobFile &f = job->files[i];
        if (f.completed)
            continue; // under its name already: nothing more is fetched for it
        for (const QString &form : urlForms(f.remoteUrl)) {
            if (!form.startsWith(oldPrefix)) // case-sensitive, as in BITS
                continue;
            QUrl url;
            if (Status check = checkRemoteUrl(newPrefix + form.mid(oldPrefix.size()), &url); !check)
                return {check.code, QStringLiteral("file %1: %2").arg(i).arg(check.message)};
            changes.append({i, url});
            break;
        }
    }
    if (changes.isEmpty())
        return {hr::S_FALSE, QStringLiteral("no file's URL starts with '%1'").arg(oldPrefix)};
    const bool wasActive = isActive(job->state);
    stopTransfer(id);
    s = change(id, [&](Job &j) {
        for (const auto &[index, url] : std::as_const(changes))
            retarget(j, index, url);
        return Status();
    });
    if (s && wasActive)
        requeue(m_jobs[id]);
    scheduleSoon();
    return s.ok() ? Status(hr::S_OK, QStringLiteral("%1 file(s) changed").arg(changes.size())) : s;
}

} // namespace ferry
