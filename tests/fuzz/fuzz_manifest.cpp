// The manifest decoder (engine/peercache/Manifest), which reads what a peer serves. Input: one
// mode byte, then
//   even mode: the bytes as served, CBOR || MAC (the MAC check before any parsing);
//   odd mode:  the CBOR alone; the MAC under the group's manifest key is appended here, so the
//              parser behind it is reached as a key holder's manifest would reach it.
// Promises checked: an accepted manifest is consistent (block count and sizes, hash lengths,
// ck_d) and survives encode() and decode() unchanged; another key never verifies it.
#include "FuzzCheck.h"

#include "peercache/Manifest.h"
#include "peercache/PeerCrypto.h"

using namespace ferry::fuzz;
using namespace ferry::peercache;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    silenceQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QByteArray key = GroupKey::fromSecret(QByteArray(GroupKey::SecretSize, 'k'))->manifestKey();
    static const QByteArray other = GroupKey::fromSecret(QByteArray(GroupKey::SecretSize, 'o'))->manifestKey();
    FuzzInput in(data, size);

    QByteArray bytes;
    if (in.byte() & 1) {
        const QByteArray cbor = in.rest();
        bytes = cbor + hmacSha256(key, cbor);
        FUZZ_CHECK(!Manifest::decode(bytes, other));
    } else {
        bytes = in.rest();
    }
    QString error;
    const std::optional<Manifest> manifest = Manifest::decode(bytes, key, &error);
    FUZZ_CHECK(manifest.has_value() == error.isEmpty());
    if (!manifest)
        return 0;

    const Manifest &m = *manifest;
    FUZZ_CHECK(m.version == 1 && m.size >= 0);
    FUZZ_CHECK(m.blocks.size() == m.blockCount());
    FUZZ_CHECK(m.fileSha256.size() == 32);
    qint64 total = 0;
    for (int i = 0; i < m.blockCount(); ++i) {
        FUZZ_CHECK(m.blocks[i].size() == 32);
        FUZZ_CHECK(m.blockLength(i) > 0 && m.blockLength(i) <= Manifest::BlockSize);
        total += m.blockLength(i);
    }
    FUZZ_CHECK(total == m.size);
    FUZZ_CHECK(m.contentKeyD.isEmpty() || m.contentKeyD == QLatin1String("sha256:") + QString::fromLatin1(m.fileSha256.toHex()));

    const QByteArray again = m.encode(key);
    const std::optional<Manifest> reread = Manifest::decode(again, key, &error);
    FUZZ_CHECK(reread.has_value());
    FUZZ_CHECK(*reread == m);
    return 0;
}
