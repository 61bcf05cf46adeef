// The peer group's keys and the primitives built on them (docs/peer-caching.md §3): HMAC-SHA256
// and HKDF-SHA256 through OpenSSL's libcrypto (about 11x faster here than Qt's), the group id,
// the four subkeys, base32 for showing a key to a person, and constant-time comparison.
#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace ferry::peercache {

QByteArray hmacSha256(const QByteArray &key, const QByteArray &data);                 // 32 bytes
QByteArray hkdfSha256(const QByteArray &ikm, const QByteArray &salt, const QByteArray &info, int length); // RFC 5869
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);
QByteArray randomBytes(int count);                                                     // RAND_bytes

QString base32Encode(const QByteArray &bytes);                  // RFC 4648, upper case, no padding
std::optional<QByteArray> base32Decode(const QString &text);    // case-insensitive; spaces and '-' ignored

// A group secret G (32 random bytes) and everything derived from it.
class GroupKey
{
public:
    static constexpr int SecretSize = 32;

    static GroupKey generate();
    static std::optional<GroupKey> fromSecret(const QByteArray &secret);   // nullopt unless 32 bytes
    static std::optional<GroupKey> fromBase32(const QString &text);

    bool isValid() const { return m_secret.size() == SecretSize; }
    QByteArray secret() const { return m_secret; }
    QString base32() const { return base32Encode(m_secret); }
    QString groupId() const { return m_groupId; }                  // hex(SHA-256("bpc-group"||G))[0..16]

    // HKDF-SHA256(G, salt "bpc-v1", info "disc"/"lookup"/"man"/"psk"), 32 bytes each.
    QByteArray discoveryKey() const { return m_disc; }
    QByteArray lookupKey() const { return m_lookup; }
    QByteArray manifestKey() const { return m_man; }
    QByteArray pskKey() const { return m_psk; }

private:
    QByteArray m_secret, m_disc, m_lookup, m_man, m_psk;
    QString m_groupId;
};

} // namespace ferry::peercache
