// The origin digest header parser (parseDigests in engine/peercache/ContentKey), which reads what
// an origin server sends in Repr-Digest, Digest, Content-MD5, x-goog-hash and x-amz-checksum-*.
// Input: header lines "name: value" separated by LF.
// Promises checked: every digest it returns has a known algorithm and that algorithm's length,
// SHA-256/512 are strong and MD5 is not, no digest is listed twice; each one written back as the header
// that carries it is read back the same.
#include "FuzzCheck.h"

#include "peercache/ContentKey.h"

using namespace ferry::fuzz;
using namespace ferry::peercache;

namespace {

using Headers = QList<std::pair<QByteArray, QByteArray>>;

int lengthOf(const QString &algorithm)
{
    if (algorithm == QLatin1String("sha-256"))
        return 32;
    if (algorithm == QLatin1String("sha-512"))
        return 64;
    if (algorithm == QLatin1String("md5"))
        return 16;
    return -1;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    silenceQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;   // more than Qt takes in a response head
    FuzzInput in(data, size);
    Headers headers;
    for (const QByteArray &line : in.rest().split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon >= 0)
            headers.append({line.left(colon), line.mid(colon + 1)});
    }

    const QList<OriginDigest> digests = parseDigests(headers);
    for (qsizetype i = 0; i < digests.size(); ++i) {
        const OriginDigest &d = digests[i];
        FUZZ_CHECK(lengthOf(d.algorithm) == d.value.size());
        FUZZ_CHECK(d.strong == (d.algorithm != QLatin1String("md5")));
        for (qsizetype j = 0; j < i; ++j)
            FUZZ_CHECK(!(digests[j].algorithm == d.algorithm && digests[j].value == d.value));

        const QByteArray base64 = d.value.toBase64();
        const Headers written = d.algorithm == QLatin1String("md5")
                                    ? Headers{{"Content-MD5", base64}}
                                    : Headers{{"Repr-Digest", d.algorithm.toLatin1() + "=:" + base64 + ":"}};
        const QList<OriginDigest> reread = parseDigests(written);
        FUZZ_CHECK(reread.size() == 1);
        FUZZ_CHECK(reread.first().algorithm == d.algorithm && reread.first().value == d.value);
        FUZZ_CHECK(reread.first().strong == (d.algorithm != QLatin1String("md5")));
    }
    return 0;
}
