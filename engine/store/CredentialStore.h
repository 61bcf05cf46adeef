// Secrets in the OS keychain (QtKeychain over the Secret Service) and nowhere else: job
// credentials keyed by job, target and scheme (docs/jobs.md §10), and the peer group key. No
// file, no database row, no log line ever holds one, and there is no insecure fallback. Every
// call is asynchronous (a keychain may take its time or prompt); the answer comes back through
// the callback on the caller's thread.
#pragma once

#include "core/BitsError.h"
#include "core/JobTypes.h"

#include <QObject>
#include <QUuid>

#include <functional>
#include <memory>

namespace ferry {

struct Credentials
{
    QString user;
    QString password;
};

// Credentials read back for a transfer: in memory only, for as long as the transfer needs them.
struct StoredCredential
{
    CredentialKey key;
    Credentials credentials;
};

namespace limits {
constexpr int MaxUserName = 300;        // docs/jobs.md §10
constexpr int MaxPassword = 65535;
} // namespace limits

class CredentialStore : public QObject
{
    Q_OBJECT
public:
    // service: the keychain's service name (tests use their own).
    explicit CredentialStore(QString service = QStringLiteral("ferry"), QObject *parent = nullptr);

    static QString keyFor(const QUuid &job, AuthTarget target, AuthScheme scheme);
    // Where a job's write-only custom headers are kept (docs/security.md).
    static QString headersKeyFor(const QUuid &job) { return QStringLiteral("job/%1/custom-headers").arg(job.toString(QUuid::WithoutBraces)); }

    void write(const QUuid &job, AuthTarget target, AuthScheme scheme, const Credentials &credentials,
               std::function<void(const Status &)> done);
    // NOT_FOUND-like Status (BG_E_NOT_FOUND) when none are stored; any other failure means the
    // keychain is unavailable or locked, with its reason.
    void read(const QUuid &job, AuthTarget target, AuthScheme scheme,
              std::function<void(const Status &, const Credentials &)> done);
    void remove(const QUuid &job, AuthTarget target, AuthScheme scheme, std::function<void(const Status &)> done);

    // How long a keychain call may take before it counts as unavailable (E_KEYCHAIN_UNAVAILABLE):
    // a locked keychain may wait forever on an unlock prompt no one sees.
    static constexpr int AnswerTimeoutMs = 20000;

    // Any secret under this store's service (the peer group key uses these).
    void writeSecret(const QString &key, const QByteArray &data, std::function<void(const Status &)> done);
    void readSecret(const QString &key, std::function<void(const Status &, const QByteArray &)> done);
    void removeSecret(const QString &key, std::function<void(const Status &)> done);

private:
    std::shared_ptr<bool> startClock(std::function<void()> onTimeout);

    QString m_service;
};

} // namespace ferry
