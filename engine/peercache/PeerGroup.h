// The peer group this computer belongs to (docs/peer-caching.md §3): its current and previous group
// key, kept only in the OS keychain (service "ferry.peercache", key "group/<groupId>", no
// insecure fallback). The database holds only the group ids, which are not secret. Without a
// readable key peer caching stays off, and reason() says why.
#pragma once

#include "core/BitsError.h"
#include "peercache/PeerCrypto.h"

#include <QObject>

#include <functional>
#include <optional>

namespace ferry {
class CredentialStore;
class JobStore;
}

namespace ferry::peercache {

class PeerGroup : public QObject
{
    Q_OBJECT
public:
    explicit PeerGroup(JobStore *store, QObject *parent = nullptr);

    void load();                                    // reads the keys; keysChanged when done
    bool hasKey() const { return m_current.has_value(); }
    std::optional<GroupKey> current() const { return m_current; }
    std::optional<GroupKey> previous() const { return m_previous; }
    QString reason() const { return m_reason; }     // why there is no key, empty when there is

    // A new random key (the old one stays accepted as the previous key, unless revokeOld):
    // done gets its base32.
    void create(std::function<void(const Status &, const QString &base32)> done, bool revokeOld = false);
    void import(const QString &base32, std::function<void(const Status &)> done, bool revokeOld = false);
    // Ends the previous key's grace at once, for a rotation made because it leaked: neither
    // discovery nor the peer server accepts it any more, and its keychain entry is deleted.
    // BG_E_NOT_FOUND when there is none.
    void revokePrevious(std::function<void(const Status &)> done);
    bool hasPrevious() const { return m_previous.has_value(); }
    void show(std::function<void(const Status &, const QString &base32)> done) const;

    static QString keychainService() { return QStringLiteral("ferry.peercache"); }

signals:
    void keysChanged();

private:
    void adopt(const GroupKey &key, bool revokeOld, std::function<void(const Status &)> done);
    void readKey(const QString &groupId, std::function<void(const Status &, std::optional<GroupKey>)> done) const;

    JobStore *m_store;
    CredentialStore *m_keychain;
    std::optional<GroupKey> m_current;
    std::optional<GroupKey> m_previous;
    QString m_reason;
};

} // namespace ferry::peercache
