// The discovery datagram (docs/peer-caching.md §5), as a pure codec: no sockets, no clock.
//
//   magic "BPC1"(4) | type(1) | flags(1, bit0 serving) | bodyLen(2) | groupTag(8) |
//   senderId(16) | timestamp ms(8) | nonce(8) | body (CBOR, bodyLen) | tag(16)
//
// big-endian, at most 1200 bytes. groupTag = HMAC(K_disc, "tag")[0..8] says which group a
// datagram claims to belong to; tag = HMAC-SHA256(K_disc, all preceding bytes)[0..16]
// authenticates it. decode() checks size, magic, group and tag before it parses any CBOR, so
// nobody without the key reaches the CBOR parser.
#pragma once

#include "peercache/PeerCrypto.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace ferry::peercache {

enum class DiscoveryType : quint8 { Hello = 1, Bye = 2, Probe = 3, Match = 4 };

struct DiscoveryDecodeResult;

struct DiscoveryMessage
{
    static constexpr int MaxSize = 1200;
    static constexpr int HeaderSize = 48;        // magic .. nonce
    static constexpr int TagSize = 16;
    static constexpr int GroupTagSize = 8;
    static constexpr int SenderIdSize = 16;
    static constexpr int NonceSize = 8;
    static constexpr int IdSize = 16;            // a raw lookupId
    static constexpr int MaxIds = 16;
    static constexpr int Version = 1;

    DiscoveryType type = DiscoveryType::Hello;
    bool serving = false;                        // flags bit0
    QByteArray senderId;                         // SenderIdSize bytes
    qint64 timestampMs = 0;
    QByteArray nonce;                            // NonceSize bytes

    // Body. Which fields are on the wire depends on the type:
    //   HELLO/BYE {v, port, seq}; PROBE {v, ids, reply}; MATCH {v, port, re, ids}.
    int version = Version;
    quint16 port = 0;                            // HELLO/BYE/MATCH: the TLS port
    qint64 seq = 0;                              // HELLO/BYE
    QList<QByteArray> ids;                       // PROBE: wanted (empty = who is there); MATCH: held
    quint16 replyPort = 0;                       // PROBE: where MATCHes go
    QByteArray probeNonce;                       // MATCH "re": the PROBE's nonce

    // The datagram under key.discoveryKey(); empty if a field is malformed (sizes, id count,
    // a PROBE without reply port) or the result would exceed MaxSize.
    QByteArray encode(const GroupKey &key) const;

    // Frames an already encoded body with this message's header fields. encode() uses it; tests
    // and fault injectors use it to send authenticated but malformed bodies. Empty when the
    // header fields are malformed or the result would exceed MaxSize.
    QByteArray seal(const QByteArray &body, const GroupKey &key) const;

    // Tries keys in order (current, then previous). See DiscoveryDecodeResult for the reasons.
    static DiscoveryDecodeResult decode(const QByteArray &datagram, const QList<GroupKey> &keys);

    QByteArray encodeBody() const;
};

struct DiscoveryDecodeResult
{
    std::optional<DiscoveryMessage> message;
    // Empty when accepted, else the first check that failed, in this order:
    // "size" (> MaxSize), "short" (no room for header and tag), "magic", "short"/"length"
    // (shorter/longer than bodyLen says), "group" (no key's groupTag), "tag" (no key with that
    // groupTag verifies), "type" (unknown type), "cbor" (not exactly one well-formed CBOR item),
    // "body" (not a map, a field missing or of the wrong type or range). Unknown fields and
    // unknown flag bits are ignored.
    QString reason;
    int keyIndex = -1;                           // index into keys of the key that verified

    bool ok() const { return message.has_value(); }
};

} // namespace ferry::peercache
