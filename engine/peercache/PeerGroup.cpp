#include "peercache/PeerGroup.h"

#include "store/CredentialStore.h"
#include "store/JobStore.h"

#include <QDebug>

namespace ferry::peercache {
namespace {

const QString CurrentSetting = QStringLiteral("peerGroupId");
const QString PreviousSetting = QStringLiteral("peerGroupPrevious");

QString keyName(const QString &groupId) { return QStringLiteral("group/") + groupId; }

} // namespace

PeerGroup::PeerGroup(JobStore *store, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_keychain(new CredentialStore(keychainService(), this))
    , m_reason(QStringLiteral("no group key yet (ferry-admin cache groupkey create, or import one from another computer)"))
{
}

void PeerGroup::readKey(const QString &groupId, std::function<void(const Status &, std::optional<GroupKey>)> done) const
{
    m_keychain->readSecret(keyName(groupId), [groupId, done = std::move(done)](const Status &s, const QByteArray &secret) {
        if (!s)
            return done(s, std::nullopt);
        auto key = GroupKey::fromSecret(secret);
        if (!key || key->groupId() != groupId)
            return done({hr::E_FAIL, QStringLiteral("the keychain's entry for group %1 is not a group key").arg(groupId)}, std::nullopt);
        done({}, key);
    });
}

void PeerGroup::load()
{
    const QString currentId = m_store->setting(CurrentSetting);
    const QString previousId = m_store->setting(PreviousSetting);
    if (currentId.isEmpty()) {
        m_current.reset();
        m_previous.reset();
        emit keysChanged();
        return;
    }
    readKey(currentId, [this, previousId](const Status &s, const std::optional<GroupKey> &key) {
        m_current = key;
        m_reason = s ? QString() : QStringLiteral("the group key cannot be read: %1").arg(s.message);
        if (previousId.isEmpty() || !key) {
            m_previous.reset();
            emit keysChanged();
            return;
        }
        readKey(previousId, [this, previousId](const Status &, const std::optional<GroupKey> &old) {
            // A lost previous key only ends the grace period early; one revoked meanwhile stays out.
            m_previous = m_store->setting(PreviousSetting) == previousId ? old : std::nullopt;
            emit keysChanged();
        });
    });
}

void PeerGroup::create(std::function<void(const Status &, const QString &)> done, bool revokeOld)
{
    const GroupKey key = GroupKey::generate();
    adopt(key, revokeOld, [key, done = std::move(done)](const Status &s) { done(s, s ? key.base32() : QString()); });
}

void PeerGroup::import(const QString &base32, std::function<void(const Status &)> done, bool revokeOld)
{
    const auto key = GroupKey::fromBase32(base32);
    if (!key)
        return done({hr::E_INVALIDARG, QStringLiteral("not a group key: expected %1 bytes in base32").arg(GroupKey::SecretSize)});
    adopt(*key, revokeOld, std::move(done));
}

void PeerGroup::revokePrevious(std::function<void(const Status &)> done)
{
    const QString previousId = m_store->setting(PreviousSetting);
    if (previousId.isEmpty() && !m_previous)
        return done({hr::BG_E_NOT_FOUND, QStringLiteral("there is no previous group key to revoke")});
    // The database first: from here on no load() reads it back, even if the keychain fails.
    if (!m_store->setSetting(PreviousSetting, QString()))
        return done({hr::E_FAIL, QStringLiteral("the previous group id could not be cleared")});
    m_previous.reset();
    emit keysChanged();   // the server and discovery drop it now
    if (previousId.isEmpty() || previousId == m_store->setting(CurrentSetting))
        return done({});
    m_keychain->removeSecret(keyName(previousId), [done = std::move(done)](const Status &s) {
        // A failed delete leaves an entry nothing points at; the key is revoked either way.
        if (!s && s.code != hr::BG_E_NOT_FOUND)
            qWarning().noquote() << "the revoked group key stays in the keychain:" << s.message;
        done({});
    });
}

// The key goes to the keychain first; only then do the ids in the database point at it, so a
// failure leaves the old key in force.
void PeerGroup::adopt(const GroupKey &key, bool revokeOld, std::function<void(const Status &)> done)
{
    m_keychain->writeSecret(keyName(key.groupId()), key.secret(), [this, key, revokeOld, done = std::move(done)](const Status &s) {
        if (!s)
            return done(s);
        const QString old = m_store->setting(CurrentSetting);
        if (old != key.groupId()) {
            if (!m_store->setSetting(PreviousSetting, old) || !m_store->setSetting(CurrentSetting, key.groupId()))
                return done({hr::E_FAIL, QStringLiteral("the group id could not be saved")});
            if (m_current && m_current->groupId() == old)
                m_previous = m_current;
        }
        m_current = key;
        m_reason.clear();
        if (revokeOld && (m_previous || !m_store->setting(PreviousSetting).isEmpty()))
            return revokePrevious(done);
        emit keysChanged();
        done({});
    });
}

void PeerGroup::show(std::function<void(const Status &, const QString &)> done) const
{
    const QString currentId = m_store->setting(CurrentSetting);
    if (currentId.isEmpty())
        return done({hr::BG_E_NOT_FOUND, m_reason}, {});
    readKey(currentId, [done = std::move(done)](const Status &s, const std::optional<GroupKey> &key) { done(s, key ? key->base32() : QString()); });
}

} // namespace ferry::peercache
