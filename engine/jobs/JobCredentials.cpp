// JobManager's side of job credentials (docs/jobs.md §10, docs/security.md): setting and removing
// them in the OS keychain, reading them before every run, and moving a user name and password
// out of a URL stored by an older version. Secrets live in memory only for the current run.
#include "jobs/JobManager.h"

#include "jobs/JobClock.h"
#include "jobs/TransferDispatch.h"

#include <QLoggingCategory>

#include <memory>

namespace ferry {

Q_DECLARE_LOGGING_CATEGORY(lcJobs)

namespace {

// A locked or absent keychain is retried this often (or at the job's retry delay if shorter):
// unlocking it should not leave a job waiting for ten minutes.
constexpr quint32 KeychainRetrySeconds = 30;


QString keyText(const CredentialKey &key) { return authTargetName(key.target) + QLatin1Char('/') + authSchemeName(key.scheme); }

} // namespace

// URLs with a user name or password come only from databases of versions that accepted them: the
// URL is kept without them, and they move to the keychain as the job's SERVER BASIC credentials
// (docs/security.md). Returns them, once, when there were any.
std::optional<Credentials> JobManager::takeUserInfo(Job &job)
{
    std::optional<Credentials> taken;
    for (JobFile &f : job.files) {
        if (f.remoteUrl.userInfo().isEmpty())
            continue;
        if (!taken)
            taken = Credentials{f.remoteUrl.userName(), f.remoteUrl.password()};
        f.remoteUrl = f.remoteUrl.adjusted(QUrl::RemoveUserInfo);
    }
    if (taken) {
        m_scrubAfterLoad = true;
        qCWarning(lcJobs).noquote() << job.displayName << ": its URL carried a user name or password; it now lives in the keychain";
    }
    return taken;
}

void JobManager::setCredentials(const QUuid &id, AuthTarget target, AuthScheme scheme, const Credentials &credentials,
                                std::function<void(const Status &)> done)
{
    if (credentials.user.size() > limits::MaxUserName)
        return done({hr::BG_E_USERNAME_TOO_LARGE, QStringLiteral("the user name is longer than %1 characters").arg(limits::MaxUserName)});
    if (credentials.password.size() > limits::MaxPassword)
        return done({hr::BG_E_PASSWORD_TOO_LARGE, QStringLiteral("the password is longer than %1 characters").arg(limits::MaxPassword)});
    // An empty user name means the session's own logon (Kerberos ticket) and exists only for
    // NTLM and Negotiate (docs/jobs.md §10).
    if (credentials.user.isEmpty() && (scheme == AuthScheme::Basic || scheme == AuthScheme::Digest))
        return done({hr::E_INVALIDARG, QStringLiteral("%1 needs a user name").arg(authSchemeName(scheme))});
    Status s;
    if (!mutableJob(id, &s))
        return done(s);
    const CredentialKey key{target, scheme};
    m_credentials->write(id, target, scheme, credentials, [this, id, key, done](const Status &written) {
        if (!written)
            return done(written);
        Status gone;
        Job *job = mutableJob(id, &gone);
        if (!job) { // the job ended while the keychain worked: take the secret back out
            forgetCredentials(id, {key});
            return done(gone);
        }
        const bool added = !job->credentials.contains(key);
        if (added)
            job->credentials << key;
        job->modificationTime = m_clock->now();
        touched(*job);
        if (!commit(*job)) {
            if (added)
                job->credentials.removeAll(key);
            forgetCredentials(id, {key});
            return done({hr::E_FAIL, QStringLiteral("the change could not be saved")});
        }
        connectionChanged(*job);
        done({});
    });
}

void JobManager::removeCredentials(const QUuid &id, AuthTarget target, AuthScheme scheme, std::function<void(const Status &)> done)
{
    Status s;
    if (!mutableJob(id, &s))
        return done(s);
    const CredentialKey key{target, scheme};
    m_credentials->remove(id, target, scheme, [this, id, key, done](const Status &removed) {
        if (!removed)
            return done(removed); // still listed: nothing is hidden while the keychain is away
        Status gone;
        Job *job = mutableJob(id, &gone);
        if (!job)
            return done({});
        if (job->credentials.removeAll(key) == 0)
            return done({hr::S_FALSE, QStringLiteral("the job held no %1 credentials").arg(keyText(key))});
        job->modificationTime = m_clock->now();
        touched(*job);
        commit(*job);
        connectionChanged(*job);
        done({});
    });
}

void JobManager::forgetCredentials(const QUuid &id, const QList<CredentialKey> &keys)
{
    for (const CredentialKey &key : keys) {
        m_credentials->remove(id, key.target, key.scheme, [id, key](const Status &s) {
            if (!s)
                qCWarning(lcJobs).noquote() << "the" << keyText(key) << "credentials of job" << id.toString(QUuid::WithoutBraces)
                                            << "stay in the keychain:" << s.message;
        });
    }
}

// The job's credentials and write-only custom headers come from the keychain before its first
// request, every run: after a restart too. The job is CONNECTING meanwhile.
void JobManager::readCredentials(Job &job)
{
    const quint64 token = m_dispatch->nextTicket();
    m_runtime[job.id].credentialsRead = token;
    auto read = std::make_shared<QList<StoredCredential>>();
    auto headers = std::make_shared<QStringList>();
    auto failure = std::make_shared<Status>();
    auto left = std::make_shared<qsizetype>(job.credentials.size() + (job.writeOnlyHeaders > 0 ? 1 : 0));
    const QUuid id = job.id;
    const auto oneDone = [=, this] {
        if (--*left == 0) {
            if (failure->ok())
                m_runtime[id].secretHeaders = *headers;
            onCredentialsRead(id, token, *failure, *read);
        }
    };
    for (const CredentialKey &key : std::as_const(job.credentials)) {
        m_credentials->read(id, key.target, key.scheme, [=](const Status &s, const Credentials &c) {
            if (s)
                read->append({key, c});
            else if (failure->ok())
                *failure = s.code == hr::BG_E_NOT_FOUND
                               ? Status(s.code, QStringLiteral("the %1 credentials are no longer in the keychain; set them again "
                                                               "and resume the job").arg(keyText(key)))
                               : s;
            oneDone();
        });
    }
    if (job.writeOnlyHeaders > 0) {
        m_credentials->readSecret(CredentialStore::headersKeyFor(id), [=](const Status &s, const QByteArray &data) {
            if (s)
                *headers = QString::fromUtf8(data).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            else if (failure->ok())
                *failure = s.code == hr::BG_E_NOT_FOUND
                               ? Status(s.code, QStringLiteral("the write-only custom headers are no longer in the keychain; set "
                                                               "them again and resume the job"))
                               : s;
            oneDone();
        });
    }
}

void JobManager::onCredentialsRead(const QUuid &id, quint64 token, const Status &status, const QList<StoredCredential> &read)
{
    auto it = m_jobs.find(id);
    if (it == m_jobs.end())
        return;
    Runtime &rt = m_runtime[id];
    if (rt.credentialsRead != token || !isActive(it->state))
        return; // stopped, preempted or changed meanwhile
    rt.credentialsRead = 0;
    Job &job = *it;
    if (!status) {
        const qint64 now = m_clock->monotonicMs();
        job.modificationTime = m_clock->now();
        if (status.code == hr::BG_E_NOT_FOUND) {
            job.toError({ErrorContext::GeneralQueueManager, status.code, status.message, -1});
            commit(job);
            emit jobFailed(id);
        } else {
            // Locked or absent: never a transfer without them, never a fallback; wait and retry.
            m_times->waitToRetry(job, now, now + qint64(qMin(job.minimumRetryDelay, KeychainRetrySeconds)) * 1000);
            job.toTransientError({ErrorContext::GeneralQueueManager, hr::E_KEYCHAIN_UNAVAILABLE,
                                  QStringLiteral("%1; the job waits until its credentials can be read").arg(status.message), -1});
            commit(job);
        }
        scheduleSoon();
        return;
    }
    rt.secrets = read;
    sendTransfer(job);
}

} // namespace ferry
