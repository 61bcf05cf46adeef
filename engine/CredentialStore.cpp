#include "CredentialStore.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <qt6keychain/keychain.h>

namespace ferry {
namespace {

Status statusOf(const QKeychain::Job *job)
{
    switch (job->error()) {
    case QKeychain::NoError:
        return {};
    case QKeychain::EntryNotFound:
        return {hr::BG_E_NOT_FOUND, QStringLiteral("no credentials are stored for this job, target and scheme")};
    default:
        // Measured: a missing, locked or absent Secret Service shows as OtherError or AccessDenied.
        return {hr::E_FAIL, QStringLiteral("the keychain is unavailable: %1").arg(job->errorString())};
    }
}

} // namespace

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
    auto *w = new QKeychain::WritePasswordJob(m_service, this);
    w->setAutoDelete(true);
    w->setInsecureFallback(false);
    w->setKey(keyFor(job, target, scheme));
    w->setBinaryData(QJsonDocument(QJsonObject{{QStringLiteral("user"), credentials.user},
                                               {QStringLiteral("password"), credentials.password}})
                         .toJson(QJsonDocument::Compact));
    connect(w, &QKeychain::Job::finished, this, [done](QKeychain::Job *j) { done(statusOf(j)); });
    w->start();
}

void CredentialStore::read(const QUuid &job, AuthTarget target, AuthScheme scheme,
                           std::function<void(const Status &, const Credentials &)> done)
{
    auto *r = new QKeychain::ReadPasswordJob(m_service, this);
    r->setAutoDelete(true);
    r->setInsecureFallback(false);
    r->setKey(keyFor(job, target, scheme));
    connect(r, &QKeychain::Job::finished, this, [done, r](QKeychain::Job *j) {
        const Status s = statusOf(j);
        if (!s)
            return done(s, {});
        const QJsonObject o = QJsonDocument::fromJson(r->binaryData()).object();
        done(s, {o.value(QLatin1String("user")).toString(), o.value(QLatin1String("password")).toString()});
    });
    r->start();
}

void CredentialStore::remove(const QUuid &job, AuthTarget target, AuthScheme scheme, std::function<void(const Status &)> done)
{
    auto *d = new QKeychain::DeletePasswordJob(m_service, this);
    d->setAutoDelete(true);
    d->setInsecureFallback(false);
    d->setKey(keyFor(job, target, scheme));
    connect(d, &QKeychain::Job::finished, this, [done](QKeychain::Job *j) {
        const Status s = statusOf(j);
        done(s.code == hr::BG_E_NOT_FOUND ? Status() : s); // removing what is not there succeeds
    });
    d->start();
}

} // namespace ferry
