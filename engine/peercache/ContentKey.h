// What identifies a file's content to the peer group (docs/peer-caching.md §4): the facts of the
// origin probe, whether they make a file peer-eligible, the content keys CK-V and CK-D, and the
// lookup id that is the only identifier on the wire.
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QString>
#include <QUrl>

namespace ferry::peercache {

struct OriginDigest
{
    QString algorithm;         // "sha-256", "sha-512", "md5"
    QByteArray value;          // raw bytes
    bool strong = false;       // sha-256/512 from Repr-Digest, Digest or x-amz FULL_OBJECT

    friend bool operator==(const OriginDigest &, const OriginDigest &) = default;
};

// The origin's answer to the probe, as headers. Built by the prober; pure data here.
struct OriginFacts
{
    int status = 0;
    qint64 size = -1;
    QString etag;
    QString lastModified;      // raw header
    QString date;              // raw header
    QString contentEncoding;
    QString cacheControl;
    QList<OriginDigest> digests;
    bool credentialed = false; // the job sends credentials, Authorization or Cookie
};

// Parses the digest headers of a response (Repr-Digest, Digest, x-amz-checksum-sha256 with
// x-amz-checksum-type FULL_OBJECT, Content-MD5, x-goog-hash): header names lower-case.
QList<OriginDigest> parseDigests(const QList<std::pair<QByteArray, QByteArray>> &headers);

// Empty when the facts allow peer use, else why not (non-2xx, encoding, no-store/private,
// unknown size, no usable validator, credentialed).
QString ineligibility(const OriginFacts &facts);

QString canonicalUrl(const QUrl &url);        // lower-case scheme/host, no default port/fragment
QString contentKeyV(const QUrl &url, const OriginFacts &facts);   // "v1:<hex>", empty if no validator
QString contentKeyD(const OriginFacts &facts);                    // "sha256:<hex>", empty if none
QString lookupId(const QByteArray &lookupKey, const QString &contentKey); // 32 lower-case hex

} // namespace ferry::peercache
