// The discovery datagram decoder (engine/peercache/DiscoveryMessage), which reads what anyone on
// the LAN sends. Input: one mode byte, then, by the mode byte modulo 3,
//   0: a whole datagram, as it arrives from the network (the checks before the MAC);
//   1: type(1) flags(1) CBOR body(...), sealed here with the group key, so the body parser behind
//      the MAC is reached as a key holder's datagram would reach it;
//   2: a whole datagram whose group tag and MAC are set here to the group key's: any header
//      (flags, type, lengths) as a key holder could send it.
// Promises checked: a datagram seal() made always passes the framing and MAC checks and verifies
// under the right key; whatever decode() accepts survives encode() and decode() unchanged.
#include "FuzzCheck.h"

#include "peercache/DiscoveryMessage.h"

using namespace ferry::fuzz;
using namespace ferry::peercache;

namespace {

GroupKey keyOf(char fill)
{
    return *GroupKey::fromSecret(QByteArray(GroupKey::SecretSize, fill));
}

bool sameMessage(const DiscoveryMessage &a, const DiscoveryMessage &b)
{
    return a.type == b.type && a.serving == b.serving && a.senderId == b.senderId && a.timestampMs == b.timestampMs
           && a.nonce == b.nonce && a.version == b.version && a.port == b.port && a.seq == b.seq && a.ids == b.ids
           && a.replyPort == b.replyPort && a.probeNonce == b.probeNonce;
}

bool isFramingReason(const QString &reason)
{
    return reason == QLatin1String("size") || reason == QLatin1String("short") || reason == QLatin1String("magic")
           || reason == QLatin1String("length") || reason == QLatin1String("group") || reason == QLatin1String("tag");
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    silenceQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const GroupKey key = keyOf('k');
    static const GroupKey other = keyOf('o');
    FuzzInput in(data, size);

    DiscoveryDecodeResult result;
    const int mode = in.byte() % 3;
    if (mode == 1) {
        DiscoveryMessage header;
        header.type = DiscoveryType(in.byte());   // unknown types too
        header.serving = in.byte() & 1;
        header.senderId = QByteArray(DiscoveryMessage::SenderIdSize, 's');
        header.timestampMs = 1700000000000;
        header.nonce = QByteArray(DiscoveryMessage::NonceSize, 'n');
        const QByteArray body = in.rest();
        const QByteArray datagram = header.seal(body, key);
        FUZZ_CHECK(datagram.isEmpty() == (DiscoveryMessage::HeaderSize + body.size() + DiscoveryMessage::TagSize > DiscoveryMessage::MaxSize));
        if (datagram.isEmpty())
            return 0;
        result = DiscoveryMessage::decode(datagram, {other, key});
        FUZZ_CHECK(!isFramingReason(result.reason));
        FUZZ_CHECK(!result.ok() || result.keyIndex == 1);
        FUZZ_CHECK(DiscoveryMessage::decode(datagram, {other}).reason == QLatin1String("group"));
    } else if (mode == 2) {
        QByteArray datagram = in.rest();
        if (datagram.size() < DiscoveryMessage::HeaderSize + DiscoveryMessage::TagSize)
            return 0;
        // groupTag = HMAC(K_disc, "tag")[0..8] after magic(4) type(1) flags(1) bodyLen(2).
        const QByteArray group = hmacSha256(key.discoveryKey(), QByteArrayLiteral("tag")).left(DiscoveryMessage::GroupTagSize);
        datagram.replace(8, DiscoveryMessage::GroupTagSize, group);
        datagram.chop(DiscoveryMessage::TagSize);
        datagram += hmacSha256(key.discoveryKey(), datagram).left(DiscoveryMessage::TagSize);
        result = DiscoveryMessage::decode(datagram, {key});
        FUZZ_CHECK(result.reason != QLatin1String("group") && result.reason != QLatin1String("tag"));
    } else {
        result = DiscoveryMessage::decode(in.rest(), {key});
    }
    FUZZ_CHECK(result.ok() == result.reason.isEmpty());
    if (!result.ok())
        return 0;

    const DiscoveryMessage &message = *result.message;
    FUZZ_CHECK(message.ids.size() <= DiscoveryMessage::MaxIds);
    const QByteArray again = message.encode(key);
    FUZZ_CHECK(!again.isEmpty());
    const DiscoveryDecodeResult reread = DiscoveryMessage::decode(again, {key});
    FUZZ_CHECK(reread.ok());
    FUZZ_CHECK(sameMessage(*reread.message, message));
    return 0;
}
