// A cache record's manifest (docs/peer-caching.md §7): CBOR with the block hashes and the file's
// SHA-256, followed by an HMAC-SHA256 under the group's manifest key. Built by the serving node,
// checked by the client before it trusts any block.
#pragma once

#include "peercache/ContentKey.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace ferry::peercache {

struct Manifest
{
    static constexpr qint64 BlockSize = 1 << 20;

    int version = 1;
    QString contentKeyV;
    QString contentKeyD;       // "sha256:<fileSha256 hex>"
    QString url;
    QString etag;
    QString lastModified;
    qint64 size = 0;
    QList<QByteArray> blocks;  // raw SHA-256 of each BlockSize block (the last may be shorter)
    QByteArray fileSha256;     // raw
    QList<OriginDigest> originDigests;
    QString source;            // "origin" or "peer-strong"
    qint64 createdAtMs = 0;
    QString peerId;

    QByteArray encode(const QByteArray &manifestKey) const;           // CBOR || mac(32)
    // nullopt when the MAC does not verify (checked over the raw bytes before decoding) or the
    // CBOR is malformed; error says which.
    static std::optional<Manifest> decode(const QByteArray &bytes, const QByteArray &manifestKey, QString *error = nullptr);

    // Hashes exactly the first SIZE bytes of an open file in BlockSize blocks (blocks and
    // fileSha256 filled, size set); a file that turns out shorter is an error. The engine hashes
    // users' files only this way, through a descriptor it checked (OwnedFile.h).
    static std::optional<Manifest> ofDescriptor(int fd, qint64 size, const QString &name, QString *error = nullptr);
    // The same for a path of one's own (tools and tests): a regular file, no final symlink.
    static std::optional<Manifest> ofFile(const QString &path, QString *error = nullptr);

    int blockCount() const { return int((size + BlockSize - 1) / BlockSize); }
    qint64 blockLength(int index) const;

    friend bool operator==(const Manifest &, const Manifest &) = default;
};

} // namespace ferry::peercache
