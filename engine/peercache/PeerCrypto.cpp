#include "peercache/PeerCrypto.h"

#include "core/Sha256.h"

#include <QtGlobal>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace ferry::peercache {

namespace {

constexpr int HashSize = 32;

// Fetched once: EVP_MAC_fetch looks the algorithm up in the provider tables, which costs more
// than a short HMAC. The object is immutable and safe to share between threads; it is
// deliberately never freed.
EVP_MAC *hmacAlgorithm()
{
    static EVP_MAC *const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return mac;
}

const char Base32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int base32Value(char16_t c)
{
    if (c >= u'A' && c <= u'Z')
        return c - u'A';
    if (c >= u'a' && c <= u'z')
        return c - u'a';
    if (c >= u'2' && c <= u'7')
        return c - u'2' + 26;
    return -1;
}

} // namespace

QByteArray hmacSha256(const QByteArray &key, const QByteArray &data)
{
    EVP_MAC *mac = hmacAlgorithm();
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
    if (!ctx)
        qFatal("hmacSha256: OpenSSL HMAC is unavailable");

    char digestName[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digestName, 0),
        OSSL_PARAM_construct_end(),
    };
    // A null key pointer means "keep the previous key" to EVP_MAC_init, so an empty key must
    // still be passed as a valid pointer.
    static const unsigned char emptyKey[1] = {0};
    const auto *keyData = key.isEmpty() ? emptyKey : reinterpret_cast<const unsigned char *>(key.constData());

    QByteArray out(HashSize, Qt::Uninitialized);
    size_t outLength = 0;
    const bool ok = EVP_MAC_init(ctx, keyData, size_t(key.size()), params) == 1
        && EVP_MAC_update(ctx, reinterpret_cast<const unsigned char *>(data.constData()), size_t(data.size())) == 1
        && EVP_MAC_final(ctx, reinterpret_cast<unsigned char *>(out.data()), &outLength, size_t(out.size())) == 1
        && outLength == size_t(HashSize);
    EVP_MAC_CTX_free(ctx);
    if (!ok)
        qFatal("hmacSha256: OpenSSL HMAC failed");   // only on a broken libcrypto; a wrong MAC must never result
    return out;
}

// RFC 5869 built on hmacSha256: short, obviously equal to the RFC text, and it handles the
// empty salt and info of test case 3 without provider quirks.
QByteArray hkdfSha256(const QByteArray &ikm, const QByteArray &salt, const QByteArray &info, int length)
{
    if (length <= 0 || length > 255 * HashSize)
        return {};
    // Extract: an absent salt is HashLen zero bytes.
    const QByteArray prk = hmacSha256(salt.isEmpty() ? QByteArray(HashSize, '\0') : salt, ikm);
    // Expand: T(i) = HMAC(PRK, T(i-1) || info || i).
    QByteArray okm;
    okm.reserve(length + HashSize);
    QByteArray block;
    for (int i = 1; okm.size() < length; ++i) {
        block = hmacSha256(prk, block + info + char(i));
        okm += block;
    }
    okm.truncate(length);
    return okm;
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    // The lengths are public (a MAC or id has a fixed size), only the contents are secret.
    if (a.size() != b.size())
        return false;
    if (a.isEmpty())
        return true;
    return CRYPTO_memcmp(a.constData(), b.constData(), size_t(a.size())) == 0;
}

QByteArray randomBytes(int count)
{
    if (count <= 0)
        return {};
    QByteArray out(count, Qt::Uninitialized);
    // Keys and nonces come from here; carrying on with predictable bytes would be worse than
    // stopping, and RAND_bytes fails only when the kernel's entropy source is unusable.
    if (RAND_bytes(reinterpret_cast<unsigned char *>(out.data()), count) != 1)
        qFatal("randomBytes: RAND_bytes failed");
    return out;
}

QString base32Encode(const QByteArray &bytes)
{
    QString out;
    out.reserve((bytes.size() * 8 + 4) / 5);
    quint32 buffer = 0;
    int bits = 0;
    for (const char byte : bytes) {
        buffer = (buffer << 8) | quint8(byte);
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out += QLatin1Char(Base32Alphabet[(buffer >> bits) & 0x1f]);
        }
    }
    if (bits > 0)
        out += QLatin1Char(Base32Alphabet[(buffer << (5 - bits)) & 0x1f]);
    return out;
}

std::optional<QByteArray> base32Decode(const QString &text)
{
    QByteArray out;
    out.reserve(text.size() * 5 / 8);
    quint32 buffer = 0;
    int bits = 0;
    int symbols = 0;
    bool padding = false;
    for (const QChar ch : text) {
        const char16_t c = ch.unicode();
        if (c == u'-' || ch.isSpace())      // grouping a person may type or copy along
            continue;
        if (c == u'=') {
            padding = true;
            continue;
        }
        const int value = base32Value(c);
        if (value < 0 || padding)           // unknown character, or data after the padding
            return std::nullopt;
        buffer = (buffer << 5) | quint32(value);
        bits += 5;
        ++symbols;
        if (bits >= 8) {
            bits -= 8;
            out += char((buffer >> bits) & 0xff);
        }
    }
    // Only 0, 2, 4, 5 or 7 symbols can end a group of 8, and the bits left over must be the
    // encoder's zero fill; anything else is a truncated or mistyped key.
    const int tail = symbols % 8;
    if (tail == 1 || tail == 3 || tail == 6)
        return std::nullopt;
    if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0)
        return std::nullopt;
    return out;
}

GroupKey GroupKey::generate()
{
    return *fromSecret(randomBytes(SecretSize));
}

std::optional<GroupKey> GroupKey::fromSecret(const QByteArray &secret)
{
    if (secret.size() != SecretSize)
        return std::nullopt;
    GroupKey key;
    key.m_secret = secret;

    Sha256 h;
    static const QByteArray groupLabel("bpc-group");
    h.add(groupLabel.constData(), groupLabel.size());
    h.add(secret.constData(), secret.size());
    key.m_groupId = QString::fromLatin1(h.result().toHex().left(16));

    static const QByteArray salt("bpc-v1");
    key.m_disc = hkdfSha256(secret, salt, QByteArrayLiteral("disc"), 32);
    key.m_lookup = hkdfSha256(secret, salt, QByteArrayLiteral("lookup"), 32);
    key.m_man = hkdfSha256(secret, salt, QByteArrayLiteral("man"), 32);
    key.m_psk = hkdfSha256(secret, salt, QByteArrayLiteral("psk"), 32);
    return key;
}

std::optional<GroupKey> GroupKey::fromBase32(const QString &text)
{
    const std::optional<QByteArray> secret = base32Decode(text);
    if (!secret)
        return std::nullopt;
    return fromSecret(*secret);
}

} // namespace ferry::peercache
