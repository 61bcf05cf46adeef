// Job credentials in the OS keychain (QtKeychain over the Secret Service), keyed by job, target
// and scheme (spec §3), and nowhere else: no file, no database row, no log line ever holds the
// password, and there is no insecure fallback. Every call is asynchronous (a keychain may take
// its time or prompt); the answer comes back through the callback on the caller's thread.
#pragma once

#include "BitsError.h"

#include <QObject>
#include <QUuid>

#include <functional>

namespace ferry {

enum class AuthTarget : int { Server = 1, Proxy = 2 };           // BG_AUTH_TARGET_*
enum class AuthScheme : int { Basic = 1, Digest = 2, Ntlm = 3, Negotiate = 4 }; // BG_AUTH_SCHEME_*

struct Credentials
{
    QString user;
    QString password;
};

class CredentialStore : public QObject
{
    Q_OBJECT
public:
    // service: the keychain's service name (tests use their own).
    explicit CredentialStore(QString service = QStringLiteral("ferry"), QObject *parent = nullptr);

    static QString keyFor(const QUuid &job, AuthTarget target, AuthScheme scheme);

    void write(const QUuid &job, AuthTarget target, AuthScheme scheme, const Credentials &credentials,
               std::function<void(const Status &)> done);
    // NOT_FOUND-like Status (BG_E_NOT_FOUND) when none are stored; any other failure means the
    // keychain is unavailable or locked, with its reason.
    void read(const QUuid &job, AuthTarget target, AuthScheme scheme,
              std::function<void(const Status &, const Credentials &)> done);
    void remove(const QUuid &job, AuthTarget target, AuthScheme scheme, std::function<void(const Status &)> done);

private:
    QString m_service;
};

} // namespace ferry
