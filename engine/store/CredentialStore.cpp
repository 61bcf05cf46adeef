#include "store/CredentialStore.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLibrary>
#include <QTimer>

#include <utility>

#include <qt6keychain/keychain.h>

namespace ferry {
namespace {

// libsecret, which QtKeychain loads, keeps one connection to the Secret Service with an open
// session for the life of the process. When the service restarts (a keyring daemon that died, a
// new login) that session is gone and every later call fails ("The session does not exist")
// until the connection is dropped. Dropping it after a failure makes the next call connect
// afresh, so a job waiting for the keychain gets going once it is back.
void dropSecretServiceConnection()
{
    using Disconnect = void (*)();
    static const auto disconnect =
        reinterpret_cast<Disconnect>(QLibrary::resolve(QStringLiteral("secret-1"), 0, "secret_service_disconnect"));
    if (disconnect)
        disconnect();
}

Status statusOf(const QKeychain::Job *job)
{
    switch (job->error()) {
    case QKeychain::NoError:
        return {};
    case QKeychain::EntryNotFound:
        return {hr::BG_E_NOT_FOUND, QStringLiteral("nothing is stored in the keychain under this key")};
    default:
        // Measured: a missing, locked or absent Secret Service shows as OtherError or AccessDenied.
        dropSecretServiceConnection();
        return {hr::E_KEYCHAIN_UNAVAILABLE, QStringLiteral("the keychain is unavailable or locked: %1").arg(job->errorString())};
    }
}

Status noAnswer()
{
    return {hr::E_KEYCHAIN_UNAVAILABLE,
            QStringLiteral("the keychain did not answer within %1 s (locked and waiting for an unlock prompt?)")
                .arg(CredentialStore::AnswerTimeoutMs / 1000)};
}

} // namespace

// A keychain that waits on a prompt nobody can see never answers: after AnswerTimeoutMs the
// caller hears "unavailable" and the late answer, if any, is dropped. The QtKeychain jobs have no
// parent and delete themselves when libsecret answers: a store destroyed while one is under way
// (an engine shutting down) must not free it under libsecret's pending callback; the store's
// connection to it ends with the store, so no answer reaches a caller that is gone.
std::shared_ptr<bool> CredentialStore::startClock(std::function<void()> onTimeout)
{
    auto answered = std::make_shared<bool>(false);
    QTimer::singleShot(AnswerTimeoutMs, this, [answered, onTimeout = std::move(onTimeout)] {
        if (*answered)
            return;
        *answered = true;
        dropSecretServiceConnection();
        onTimeout();
    });
    return answered;
}

CredentialStore::CredentialStore(QString service, QObject *parent)
    : QObject(parent)
    , m_service(std::move(service))
{
}

QString CredentialStore::keyFor(const QUuid &job, AuthTarget target, AuthScheme scheme)
{
    return QStringLiteral("job/%1/%2/%3")
        .arg(job.toString(QUuid::WithoutBraces))
        .arg(target == AuthTarget::Proxy ? QStringLiteral("proxy") : QStringLiteral("server"))
        .arg(int(scheme));
}

void CredentialStore::write(const QUuid &job, AuthTarget target, AuthScheme scheme, const Credentials &credentials,
                            std::function<void(const Status &)> done)
{
    writeSecret(keyFor(job, target, scheme),
                QJsonDocument(QJsonObject{{QStringLiteral("user"), credentials.user}, {QStringLiteral("password"), credentials.password}})
                    .toJson(QJsonDocument::Compact),
                std::move(done));
}

void CredentialStore::read(const QUuid &job, AuthTarget target, AuthScheme scheme,
                           std::function<void(const Status &, const Credentials &)> done)
{
    readSecret(keyFor(job, target, scheme), [done = std::move(done)](const Status &s, const QByteArray &data) {
        if (!s)
            return done(s, {});
        const QJsonObject o = QJsonDocument::fromJson(data).object();
        done(s, {o.value(QLatin1String("user")).toString(), o.value(QLatin1String("password")).toString()});
    });
}

void CredentialStore::remove(const QUuid &job, AuthTarget target, AuthScheme scheme, std::function<void(const Status &)> done)
{
    removeSecret(keyFor(job, target, scheme), std::move(done));
}

void CredentialStore::writeSecret(const QString &key, const QByteArray &data, std::function<void(const Status &)> done)
{
    auto *w = new QKeychain::WritePasswordJob(m_service); // unparented: see startClock
    w->setAutoDelete(true);
    w->setInsecureFallback(false);
    w->setKey(key);
    w->setBinaryData(data);
    auto answered = startClock([done] { done(noAnswer()); });
    connect(w, &QKeychain::Job::finished, this, [done = std::move(done), answered](QKeychain::Job *j) {
        if (std::exchange(*answered, true))
            return;
        done(statusOf(j));
    });
    w->start();
}

void CredentialStore::readSecret(const QString &key, std::function<void(const Status &, const QByteArray &)> done)
{
    auto *r = new QKeychain::ReadPasswordJob(m_service); // unparented: see startClock
    r->setAutoDelete(true);
    r->setInsecureFallback(false);
    r->setKey(key);
    auto answered = startClock([done] { done(noAnswer(), {}); });
    connect(r, &QKeychain::Job::finished, this, [done = std::move(done), r, answered](QKeychain::Job *j) {
        if (std::exchange(*answered, true))
            return;
        const Status s = statusOf(j);
        done(s, s ? r->binaryData() : QByteArray());
    });
    r->start();
}

void CredentialStore::removeSecret(const QString &key, std::function<void(const Status &)> done)
{
    auto *d = new QKeychain::DeletePasswordJob(m_service); // unparented: see startClock
    d->setAutoDelete(true);
    d->setInsecureFallback(false);
    d->setKey(key);
    auto answered = startClock([done] { done(noAnswer()); });
    connect(d, &QKeychain::Job::finished, this, [done = std::move(done), answered](QKeychain::Job *j) {
        if (std::exchange(*answered, true))
            return;
        const Status s = statusOf(j);
        done(s.code == hr::BG_E_NOT_FOUND ? Status() : s); // removing what is not there succeeds
    });
    d->start();
}

} // namespace ferry
