#include "peercache/Manifest.h"

#include "core/Sha256.h"
#include "owner/OwnedFile.h"
#include "peercache/PeerCrypto.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborStreamReader>
#include <QCborValue>
#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::peercache {

namespace {

constexpr int MacSize = 32;
constexpr int HashSize = 32;

// Key names on the wire (docs/peer-caching.md §7); changing one breaks every peer.
const QString KeyVersion = QStringLiteral("v");
const QString KeyCkV = QStringLiteral("ck_v");
const QString KeyCkD = QStringLiteral("ck_d");
const QString KeyUrl = QStringLiteral("url");
const QString KeyEtag = QStringLiteral("etag");
const QString KeyLastModified = QStringLiteral("lastModified");
const QString KeySize = QStringLiteral("size");
const QString KeyBlockSize = QStringLiteral("blockSize");
const QString KeyBlocks = QStringLiteral("blocks");
const QString KeyFileSha256 = QStringLiteral("fileSha256");
const QString KeyOriginDigests = QStringLiteral("originDigests");
const QString KeySource = QStringLiteral("source");
const QString KeyCreatedAt = QStringLiteral("createdAt");
const QString KeyPeerId = QStringLiteral("peerId");
const QString KeyAlg = QStringLiteral("alg");
const QString KeyValue = QStringLiteral("value");
const QString KeyStrong = QStringLiteral("strong");

bool fail(QString *error, const QString &what)
{
    if (error)
        *error = QLatin1String("malformed manifest: ") + what;
    return false;
}

// Typed field access that refuses a missing key or a value of another CBOR type.
bool present(const QCborMap &map, const QString &key, QString *error)
{
    return map.contains(key) || fail(error, key + QLatin1String(" missing"));
}

bool readString(const QCborMap &map, const QString &key, QString &out, QString *error)
{
    if (!present(map, key, error))
        return false;
    const QCborValue v = map.value(key);
    if (!v.isString())
        return fail(error, key + QLatin1String(" is not a text string"));
    out = v.toString();
    return true;
}

bool readInteger(const QCborMap &map, const QString &key, qint64 &out, QString *error)
{
    if (!present(map, key, error))
        return false;
    const QCborValue v = map.value(key);
    if (!v.isInteger())
        return fail(error, key + QLatin1String(" is not an integer"));
    out = v.toInteger();
    return true;
}

bool readBytes(const QCborMap &map, const QString &key, QByteArray &out, QString *error)
{
    if (!present(map, key, error))
        return false;
    const QCborValue v = map.value(key);
    if (!v.isByteArray())
        return fail(error, key + QLatin1String(" is not a byte string"));
    out = v.toByteArray();
    return true;
}

bool readArray(const QCborMap &map, const QString &key, QCborArray &out, QString *error)
{
    if (!present(map, key, error))
        return false;
    const QCborValue v = map.value(key);
    if (!v.isArray())
        return fail(error, key + QLatin1String(" is not an array"));
    out = v.toArray();
    return true;
}

} // namespace

QByteArray Manifest::encode(const QByteArray &manifestKey) const
{
    QCborArray blockArray;
    for (const QByteArray &block : blocks)
        blockArray.append(block);
    QCborArray digestArray;
    for (const OriginDigest &d : originDigests) {
        QCborMap entry;
        entry.insert(KeyAlg, d.algorithm);
        entry.insert(KeyValue, d.value);
        entry.insert(KeyStrong, d.strong);
        digestArray.append(entry);
    }

    QCborMap map;
    map.insert(KeyVersion, version);
    map.insert(KeyCkV, contentKeyV);
    map.insert(KeyCkD, contentKeyD);
    map.insert(KeyUrl, url);
    map.insert(KeyEtag, etag);
    map.insert(KeyLastModified, lastModified);
    map.insert(KeySize, size);
    map.insert(KeyBlockSize, BlockSize);
    map.insert(KeyBlocks, blockArray);
    map.insert(KeyFileSha256, fileSha256);
    map.insert(KeyOriginDigests, digestArray);
    map.insert(KeySource, source);
    map.insert(KeyCreatedAt, createdAtMs);
    map.insert(KeyPeerId, peerId);

    const QByteArray cbor = QCborValue(map).toCbor();
    return cbor + hmacSha256(manifestKey, cbor);
}

std::optional<Manifest> Manifest::decode(const QByteArray &bytes, const QByteArray &manifestKey, QString *error)
{
    if (bytes.size() < MacSize + 1) {
        fail(error, QStringLiteral("too short"));
        return std::nullopt;
    }
    // Authenticate first: the CBOR parser never sees bytes that did not come from a key holder.
    const QByteArray cbor = bytes.first(bytes.size() - MacSize);
    if (!constantTimeEquals(hmacSha256(manifestKey, cbor), bytes.last(MacSize))) {
        if (error)
            *error = QStringLiteral("bad MAC");
        return std::nullopt;
    }

    QCborStreamReader reader(cbor);
    const QCborValue root = QCborValue::fromCbor(reader);
    if (reader.lastError() != QCborError::NoError) {
        fail(error, reader.lastError().toString());
        return std::nullopt;
    }
    if (reader.currentOffset() != cbor.size()) {
        fail(error, QStringLiteral("trailing bytes after the CBOR map"));
        return std::nullopt;
    }
    if (!root.isMap()) {
        fail(error, QStringLiteral("not a CBOR map"));
        return std::nullopt;
    }
    const QCborMap map = root.toMap();

    Manifest m;
    qint64 version = 0, blockSize = 0;
    QCborArray blockArray, digestArray;
    if (!readInteger(map, KeyVersion, version, error) || !readString(map, KeyCkV, m.contentKeyV, error)
        || !readString(map, KeyCkD, m.contentKeyD, error) || !readString(map, KeyUrl, m.url, error)
        || !readString(map, KeyEtag, m.etag, error) || !readString(map, KeyLastModified, m.lastModified, error)
        || !readInteger(map, KeySize, m.size, error) || !readInteger(map, KeyBlockSize, blockSize, error)
        || !readArray(map, KeyBlocks, blockArray, error) || !readBytes(map, KeyFileSha256, m.fileSha256, error)
        || !readArray(map, KeyOriginDigests, digestArray, error) || !readString(map, KeySource, m.source, error)
        || !readInteger(map, KeyCreatedAt, m.createdAtMs, error) || !readString(map, KeyPeerId, m.peerId, error))
        return std::nullopt;

    // A newer format may change what the fields mean; refuse rather than guess.
    if (version != 1) {
        fail(error, QStringLiteral("unsupported version %1").arg(version));
        return std::nullopt;
    }
    m.version = int(version);
    if (blockSize != BlockSize) {
        fail(error, QStringLiteral("blockSize %1, expected %2").arg(blockSize).arg(BlockSize));
        return std::nullopt;
    }
    if (m.size < 0) {
        fail(error, QStringLiteral("negative size"));
        return std::nullopt;
    }
    // Computed without blockCount()'s int and its size + BlockSize, which a huge size overflows.
    const qint64 expectedBlocks = m.size / BlockSize + (m.size % BlockSize != 0 ? 1 : 0);
    if (qint64(blockArray.size()) != expectedBlocks) {
        fail(error, QStringLiteral("%1 blocks for size %2, expected %3").arg(blockArray.size()).arg(m.size).arg(expectedBlocks));
        return std::nullopt;
    }
    m.blocks.reserve(blockArray.size());
    for (const QCborValue &block : blockArray) {
        if (!block.isByteArray() || block.toByteArray().size() != HashSize) {
            fail(error, QStringLiteral("block %1 is not a 32-byte hash").arg(m.blocks.size()));
            return std::nullopt;
        }
        m.blocks.append(block.toByteArray());
    }
    if (m.fileSha256.size() != HashSize) {
        fail(error, QStringLiteral("fileSha256 is not 32 bytes"));
        return std::nullopt;
    }
    // ck_d names the file's own bytes (docs/peer-caching.md §4); a manifest claiming another
    // hash is inconsistent.
    if (!m.contentKeyD.isEmpty() && m.contentKeyD != QLatin1String("sha256:") + QString::fromLatin1(m.fileSha256.toHex())) {
        fail(error, QStringLiteral("ck_d does not match fileSha256"));
        return std::nullopt;
    }
    for (const QCborValue &entry : digestArray) {
        const QCborMap d = entry.toMap();
        OriginDigest digest;
        if (!entry.isMap() || !d.value(KeyAlg).isString() || !d.value(KeyValue).isByteArray() || !d.value(KeyStrong).isBool()) {
            fail(error, QStringLiteral("originDigests entry %1 is not {alg, value, strong}").arg(m.originDigests.size()));
            return std::nullopt;
        }
        digest.algorithm = d.value(KeyAlg).toString();
        digest.value = d.value(KeyValue).toByteArray();
        digest.strong = d.value(KeyStrong).toBool();
        m.originDigests.append(digest);
    }
    return m;
}

std::optional<Manifest> Manifest::ofDescriptor(int fd, qint64 size, const QString &name, QString *error)
{
    Manifest m;
    Sha256 whole;
    QByteArray buffer(int(qMin(size, BlockSize)), Qt::Uninitialized);
    for (qint64 offset = 0; offset < size; offset += BlockSize) {
        const qint64 length = qMin(BlockSize, size - offset);
        if (Status s = readAt(fd, offset, buffer.data(), length, name); !s) {
            if (error)
                *error = s.message;
            return std::nullopt;
        }
        Sha256 block;
        block.add(buffer.constData(), length);
        m.blocks.append(block.result());
        whole.add(buffer.constData(), length);
    }
    m.size = size;
    m.fileSha256 = whole.result();
    m.contentKeyD = QLatin1String("sha256:") + QString::fromLatin1(m.fileSha256.toHex());
    return m;
}

std::optional<Manifest> Manifest::ofFile(const QString &path, QString *error)
{
    const FileHandle fd(::open(QFile::encodeName(path).constData(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (!fd.isOpen() || ::fstat(fd.fd(), &st) != 0 || !S_ISREG(st.st_mode)) {
        if (error)
            *error = fd.isOpen() ? QStringLiteral("%1 is not a regular file").arg(path)
                                 : QStringLiteral("cannot open %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno)));
        return std::nullopt;
    }
    return ofDescriptor(fd.fd(), qint64(st.st_size), path, error);
}

qint64 Manifest::blockLength(int index) const
{
    if (index < 0 || index >= blockCount())
        return 0;
    return qMin(BlockSize, size - qint64(index) * BlockSize);
}

} // namespace ferry::peercache
