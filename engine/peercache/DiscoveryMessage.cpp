#include "peercache/DiscoveryMessage.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborStreamReader>
#include <QCborValue>
#include <QtEndian>

#include <cstring>
#include <limits>

namespace ferry::peercache {

namespace {

constexpr char Magic[4] = {'B', 'P', 'C', '1'};
constexpr int TypeOffset = 4;
constexpr int FlagsOffset = 5;
constexpr int BodyLenOffset = 6;
constexpr int GroupTagOffset = 8;
constexpr int SenderIdOffset = 16;
constexpr int TimestampOffset = 32;
constexpr int NonceOffset = 40;
static_assert(NonceOffset + DiscoveryMessage::NonceSize == DiscoveryMessage::HeaderSize);

constexpr quint8 ServingFlag = 0x01;

QByteArray groupTag(const GroupKey &key)
{
    return hmacSha256(key.discoveryKey(), QByteArrayLiteral("tag")).left(DiscoveryMessage::GroupTagSize);
}

QByteArray datagramTag(const GroupKey &key, const char *data, int size)
{
    return hmacSha256(key.discoveryKey(), QByteArray::fromRawData(data, size)).left(DiscoveryMessage::TagSize);
}

DiscoveryDecodeResult rejection(const char *reason)
{
    DiscoveryDecodeResult result;
    result.reason = QString::fromLatin1(reason);
    return result;
}

bool validIdList(const QList<QByteArray> &ids)
{
    if (ids.size() > DiscoveryMessage::MaxIds)
        return false;
    for (const QByteArray &id : ids) {
        if (id.size() != DiscoveryMessage::IdSize)
            return false;
    }
    return true;
}

QCborArray idArray(const QList<QByteArray> &ids)
{
    QCborArray array;
    for (const QByteArray &id : ids)
        array.append(QCborValue(id));
    return array;
}

// Field readers for the body: false when the field is missing, of the wrong type or out of range.
bool readInteger(const QCborMap &map, const char *key, qint64 min, qint64 max, qint64 *out)
{
    const QCborValue value = map.value(QLatin1String(key));
    if (!value.isInteger())
        return false;
    const qint64 v = value.toInteger();
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool readPort(const QCborMap &map, const char *key, quint16 min, quint16 *out)
{
    qint64 v = 0;
    if (!readInteger(map, key, min, 65535, &v))
        return false;
    *out = quint16(v);
    return true;
}

bool readIds(const QCborMap &map, QList<QByteArray> *out)
{
    const QCborValue value = map.value(QLatin1String("ids"));
    if (!value.isArray())
        return false;
    const QCborArray array = value.toArray();
    if (array.size() > DiscoveryMessage::MaxIds)
        return false;
    for (const QCborValue &id : array) {
        if (!id.isByteArray() || id.toByteArray().size() != DiscoveryMessage::IdSize)
            return false;
        out->append(id.toByteArray());
    }
    return true;
}

bool decodeBody(const QByteArray &body, DiscoveryMessage *message, QString *reason)
{
    QCborStreamReader reader(body);
    const QCborValue root = QCborValue::fromCbor(reader);
    // Exactly one item: trailing bytes would be data nobody looked at.
    if (reader.lastError() != QCborError::NoError || reader.currentOffset() != body.size()) {
        *reason = QStringLiteral("cbor");
        return false;
    }
    *reason = QStringLiteral("body");
    if (!root.isMap())
        return false;
    const QCborMap map = root.toMap();
    qint64 version = 0;
    if (!readInteger(map, "v", 1, std::numeric_limits<int>::max(), &version))
        return false;
    message->version = int(version);
    switch (message->type) {
    case DiscoveryType::Hello:
    case DiscoveryType::Bye:
        return readPort(map, "port", 0, &message->port)
            && readInteger(map, "seq", 0, std::numeric_limits<qint64>::max(), &message->seq);
    case DiscoveryType::Probe:
        return readIds(map, &message->ids) && readPort(map, "reply", 1, &message->replyPort);
    case DiscoveryType::Match: {
        const QCborValue re = map.value(QLatin1String("re"));
        if (!re.isByteArray() || re.toByteArray().size() != DiscoveryMessage::NonceSize)
            return false;
        message->probeNonce = re.toByteArray();
        return readPort(map, "port", 0, &message->port) && readIds(map, &message->ids);
    }
    }
    return false;
}

} // namespace

QByteArray DiscoveryMessage::encodeBody() const
{
    QCborMap map;
    map.insert(QLatin1String("v"), qint64(version));
    switch (type) {
    case DiscoveryType::Hello:
    case DiscoveryType::Bye:
        map.insert(QLatin1String("port"), qint64(port));
        map.insert(QLatin1String("seq"), seq);
        break;
    case DiscoveryType::Probe:
        if (!validIdList(ids) || replyPort == 0)
            return {};
        map.insert(QLatin1String("ids"), idArray(ids));
        map.insert(QLatin1String("reply"), qint64(replyPort));
        break;
    case DiscoveryType::Match:
        if (!validIdList(ids) || probeNonce.size() != NonceSize)
            return {};
        map.insert(QLatin1String("port"), qint64(port));
        map.insert(QLatin1String("re"), probeNonce);
        map.insert(QLatin1String("ids"), idArray(ids));
        break;
    }
    return QCborValue(map).toCbor();
}

QByteArray DiscoveryMessage::encode(const GroupKey &key) const
{
    const QByteArray body = encodeBody();
    if (body.isEmpty())
        return {};
    return seal(body, key);
}

QByteArray DiscoveryMessage::seal(const QByteArray &body, const GroupKey &key) const
{
    if (!key.isValid() || senderId.size() != SenderIdSize || nonce.size() != NonceSize
        || HeaderSize + body.size() + TagSize > MaxSize) {
        return {};
    }
    QByteArray out;
    out.reserve(HeaderSize + body.size() + TagSize);
    out.append(Magic, sizeof Magic);
    out.append(char(type));
    out.append(char(serving ? ServingFlag : 0));
    char be[8];
    qToBigEndian<quint16>(quint16(body.size()), be);
    out.append(be, 2);
    out.append(groupTag(key));
    out.append(senderId);
    qToBigEndian<quint64>(quint64(timestampMs), be);
    out.append(be, 8);
    out.append(nonce);
    out.append(body);
    out.append(datagramTag(key, out.constData(), int(out.size())));
    return out;
}

DiscoveryDecodeResult DiscoveryMessage::decode(const QByteArray &datagram, const QList<GroupKey> &keys)
{
    const qsizetype size = datagram.size();
    if (size > MaxSize)
        return rejection("size");
    if (size < HeaderSize + TagSize)
        return rejection("short");
    const char *data = datagram.constData();
    if (std::memcmp(data, Magic, sizeof Magic) != 0)
        return rejection("magic");
    const int bodyLen = qFromBigEndian<quint16>(data + BodyLenOffset);
    if (size < HeaderSize + bodyLen + TagSize)
        return rejection("short");
    if (size > HeaderSize + bodyLen + TagSize)
        return rejection("length");

    // Authenticate before looking at anything else: only keys whose groupTag matches are tried,
    // so a datagram of another group costs one comparison per key, not a MAC.
    const QByteArray claimedGroup = QByteArray::fromRawData(data + GroupTagOffset, GroupTagSize);
    const QByteArray tag = QByteArray::fromRawData(data + size - TagSize, TagSize);
    bool groupKnown = false;
    int keyIndex = -1;
    for (int i = 0; i < keys.size() && keyIndex < 0; ++i) {
        if (!keys[i].isValid() || groupTag(keys[i]) != claimedGroup)   // the group tag is public
            continue;
        groupKnown = true;
        if (constantTimeEquals(datagramTag(keys[i], data, int(size - TagSize)), tag))
            keyIndex = i;
    }
    if (!groupKnown)
        return rejection("group");
    if (keyIndex < 0)
        return rejection("tag");

    DiscoveryMessage message;
    const quint8 type = quint8(data[TypeOffset]);
    if (type < quint8(DiscoveryType::Hello) || type > quint8(DiscoveryType::Match))
        return rejection("type");
    message.type = DiscoveryType(type);
    message.serving = quint8(data[FlagsOffset]) & ServingFlag;
    message.senderId = datagram.mid(SenderIdOffset, SenderIdSize);
    message.timestampMs = qint64(qFromBigEndian<quint64>(data + TimestampOffset));
    message.nonce = datagram.mid(NonceOffset, NonceSize);

    DiscoveryDecodeResult result;
    if (!decodeBody(datagram.mid(HeaderSize, bodyLen), &message, &result.reason))
        return result;
    result.reason.clear();
    result.message = std::move(message);
    result.keyIndex = keyIndex;
    return result;
}

} // namespace ferry::peercache
