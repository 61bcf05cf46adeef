#include "peercache/ContentKey.h"

#include "core/HttpDate.h"
#include "core/Sha256.h"
#include "peercache/PeerCrypto.h"

#include <optional>

namespace ferry::peercache {

namespace {

constexpr qint64 MinValidatorAgeSecs = 60;   // RFC 9110 §8.8.2.2: a younger Last-Modified is weak

const QString Sha256Name = QStringLiteral("sha-256");
const QString Sha512Name = QStringLiteral("sha-512");
const QString Md5Name = QStringLiteral("md5");

int expectedLength(const QString &algorithm)
{
    if (algorithm == Sha256Name)
        return 32;
    if (algorithm == Sha512Name)
        return 64;
    if (algorithm == Md5Name)
        return 16;
    return -1;
}

std::optional<QByteArray> decodeBase64(QByteArrayView text)
{
    auto result = QByteArray::fromBase64Encoding(text.trimmed().toByteArray(), QByteArray::AbortOnBase64DecodingErrors);
    if (!result || result.decoded.isEmpty())
        return std::nullopt;
    return result.decoded;
}

// Keeps digests of a known algorithm and the right length. The same value from two headers is
// one digest (strong if either source was strong); different values for one algorithm are all
// kept, so an origin that contradicts itself fails the final check.
void addDigest(QList<OriginDigest> &out, const QString &algorithm, const std::optional<QByteArray> &value, bool strong)
{
    if (!value || value->size() != expectedLength(algorithm))
        return;
    for (OriginDigest &d : out) {
        if (d.algorithm == algorithm && d.value == *value) {
            d.strong = d.strong || strong;
            return;
        }
    }
    out.append({algorithm, *value, strong});
}

// Splits "name=value" at the first '=' (base64 values end in '=' themselves).
std::optional<std::pair<QByteArray, QByteArray>> splitMember(const QByteArray &member)
{
    const qsizetype eq = member.indexOf('=');
    if (eq <= 0)
        return std::nullopt;
    return std::pair{member.left(eq).trimmed().toLower(), member.mid(eq + 1).trimmed()};
}

// RFC 9530 Repr-Digest, an RFC 8941 dictionary of byte sequences: `sha-256=:BASE64:;param`.
void parseReprDigest(QList<OriginDigest> &out, const QByteArray &value)
{
    for (const QByteArray &member : value.split(',')) {
        const auto kv = splitMember(member);
        if (!kv)
            continue;
        const QByteArray &item = kv->second;
        const qsizetype close = item.indexOf(':', 1);
        if (!item.startsWith(':') || close < 0)
            continue;
        const QByteArray rest = item.mid(close + 1).trimmed();
        if (!rest.isEmpty() && !rest.startsWith(';'))   // only parameters may follow
            continue;
        const QByteArrayView bytes = QByteArrayView(item).sliced(1, close - 1);
        if (kv->first == "sha-256")
            addDigest(out, Sha256Name, decodeBase64(bytes), true);
        else if (kv->first == "sha-512")
            addDigest(out, Sha512Name, decodeBase64(bytes), true);
    }
}

// RFC 3230 Digest: `SHA-256=BASE64, MD5=BASE64`, algorithm names case-insensitive.
void parseInstanceDigest(QList<OriginDigest> &out, const QByteArray &value)
{
    for (const QByteArray &member : value.split(',')) {
        const auto kv = splitMember(member);
        if (!kv)
            continue;
        if (kv->first == "sha-256")
            addDigest(out, Sha256Name, decodeBase64(kv->second), true);
        else if (kv->first == "sha-512")
            addDigest(out, Sha512Name, decodeBase64(kv->second), true);
        else if (kv->first == "md5")
            addDigest(out, Md5Name, decodeBase64(kv->second), false);
    }
}

// x-goog-hash: `crc32c=BASE64,md5=BASE64` (possibly as separate header lines).
void parseGoogHash(QList<OriginDigest> &out, const QByteArray &value)
{
    for (const QByteArray &member : value.split(',')) {
        const auto kv = splitMember(member);
        if (kv && kv->first == "md5")
            addDigest(out, Md5Name, decodeBase64(kv->second), false);
    }
}

bool hasStrongETag(const OriginFacts &facts)
{
    const QString etag = facts.etag.trimmed();
    return !etag.isEmpty() && !etag.startsWith(QLatin1String("W/"), Qt::CaseInsensitive);
}

// A Last-Modified is a validator only if the origin's own clock puts it at least 60 s in the
// past: a file modified within the same second could change again without a new date.
bool hasUsableLastModified(const OriginFacts &facts)
{
    if (facts.lastModified.trimmed().isEmpty() || facts.date.trimmed().isEmpty())
        return false;
    const QDateTime lastModified = parseHttpDate(facts.lastModified);
    const QDateTime date = parseHttpDate(facts.date);
    return lastModified.isValid() && date.isValid() && lastModified.secsTo(date) >= MinValidatorAgeSecs;
}

std::optional<QByteArray> strongSha256(const OriginFacts &facts)
{
    for (const OriginDigest &d : facts.digests) {
        if (d.strong && d.algorithm == Sha256Name && d.value.size() == 32)
            return d.value;
    }
    return std::nullopt;
}

bool hasCacheDirective(const QString &cacheControl, QLatin1String directive)
{
    for (const QString &part : cacheControl.split(QLatin1Char(','))) {
        const QString token = part.section(QLatin1Char('='), 0, 0).trimmed();
        if (token.compare(directive, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

} // namespace

QList<OriginDigest> parseDigests(const QList<std::pair<QByteArray, QByteArray>> &headers)
{
    bool amzFullObject = false;
    for (const auto &[name, value] : headers) {
        if (name.compare("x-amz-checksum-type", Qt::CaseInsensitive) == 0
            && value.trimmed().compare("FULL_OBJECT", Qt::CaseInsensitive) == 0)
            amzFullObject = true;
    }

    QList<OriginDigest> out;
    for (const auto &[rawName, value] : headers) {
        const QByteArray name = rawName.trimmed().toLower();
        if (name == "repr-digest")
            parseReprDigest(out, value);
        else if (name == "digest")
            parseInstanceDigest(out, value);
        else if (name == "x-amz-checksum-sha256" && amzFullObject)   // COMPOSITE is a hash of part hashes
            addDigest(out, Sha256Name, decodeBase64(value), true);
        else if (name == "content-md5")
            addDigest(out, Md5Name, decodeBase64(value), false);
        else if (name == "x-goog-hash")
            parseGoogHash(out, value);
    }
    return out;
}

QString ineligibility(const OriginFacts &facts)
{
    if (facts.status < 200 || facts.status > 299)
        return QStringLiteral("origin answered HTTP %1").arg(facts.status);
    const QString encoding = facts.contentEncoding.trimmed();
    if (!encoding.isEmpty() && encoding.compare(QLatin1String("identity"), Qt::CaseInsensitive) != 0)
        return QStringLiteral("content encoding %1").arg(encoding);
    if (hasCacheDirective(facts.cacheControl, QLatin1String("no-store")))
        return QStringLiteral("Cache-Control no-store");
    if (hasCacheDirective(facts.cacheControl, QLatin1String("private")))
        return QStringLiteral("Cache-Control private");
    if (facts.size < 0)
        return QStringLiteral("unknown size");
    if (facts.credentialed)
        return QStringLiteral("fetched with credentials");
    if (!hasStrongETag(facts) && !hasUsableLastModified(facts) && !strongSha256(facts))
        return QStringLiteral("no usable validator (no strong ETag, Last-Modified or SHA-256)");
    return {};
}

QString canonicalUrl(const QUrl &url)
{
    if (!url.isValid() || url.isRelative())
        return {};
    QUrl u = url.adjusted(QUrl::RemoveUserInfo | QUrl::RemoveFragment);
    u.setScheme(u.scheme().toLower());       // QUrl lower-cases both already; keep it explicit
    u.setHost(u.host(QUrl::FullyDecoded).toLower());
    const int port = u.port();
    if ((port == 80 && u.scheme() == QLatin1String("http")) || (port == 443 && u.scheme() == QLatin1String("https")))
        u.setPort(-1);
    // "http://h" and "http://h/" request the same resource (RFC 3986 §6.2.3).
    if (u.path().isEmpty() && !u.host().isEmpty())
        u.setPath(QStringLiteral("/"));
    return u.toString(QUrl::FullyEncoded);
}

QString contentKeyV(const QUrl &url, const OriginFacts &facts)
{
    const bool strongETag = hasStrongETag(facts);
    if (!strongETag && !hasUsableLastModified(facts))
        return {};
    const QString canon = canonicalUrl(url);
    if (canon.isEmpty())
        return {};
    // The raw Last-Modified is hashed whenever present, usable or not: its usability depends
    // on when the probe ran, and the server's and the client's keys must agree regardless.
    const QString material = canon + QLatin1Char('\n')
        + (strongETag ? facts.etag.trimmed() : QString()) + QLatin1Char('\n')
        + QString::number(facts.size) + QLatin1Char('\n')
        + facts.lastModified.trimmed();
    const QByteArray utf8 = material.toUtf8();
    Sha256 h;
    h.add(utf8.constData(), utf8.size());
    return QLatin1String("v1:") + QString::fromLatin1(h.result().toHex());
}

QString contentKeyD(const OriginFacts &facts)
{
    const std::optional<QByteArray> sha = strongSha256(facts);
    if (!sha)
        return {};
    return QLatin1String("sha256:") + QString::fromLatin1(sha->toHex());
}

QString lookupId(const QByteArray &lookupKey, const QString &contentKey)
{
    return QString::fromLatin1(hmacSha256(lookupKey, contentKey.toUtf8()).toHex().left(32));
}

} // namespace ferry::peercache
