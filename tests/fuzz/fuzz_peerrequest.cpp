// The peer server's request parser (engine/peercache/PeerRequest.h), which reads what any TLS
// client holding the group key sends. Input: the file size the range applies to (8 bytes, big
// endian, below 2^62), then the bytes a client sends; the head is cut at the first CRLFCRLF within
// PeerServer::MaxHeaderBytes as PeerConnection::processBuffer does.
// Promises checked: parseHead answers 0 or 400, and a head it takes has a token method, an HTTP/1.x
// version, a target without spaces or controls, lower-case token header names and values without
// CR, LF or NUL; parseRange's single range always lies inside the file.
#include "FuzzCheck.h"

#include "peercache/PeerRequest.h"
#include "peercache/PeerServer.h"

#include <QtEndian>

using namespace ferry::fuzz;
using namespace ferry::peercache;
using namespace ferry::peercache::http;

namespace {

void checkRange(const QList<QByteArray> &values, qint64 size)
{
    qint64 first = -1, last = -1;
    const RangeResult range = parseRange(values, size, &first, &last);
    FUZZ_CHECK((range == RangeResult::Whole) == values.isEmpty());
    FUZZ_CHECK(range != RangeResult::Multiple || values.size() > 1 || values.first().contains(','));
    if (range == RangeResult::One)
        FUZZ_CHECK(0 <= first && first <= last && last < size);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    silenceQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzInput in(data, size);
    const QByteArray sizeBytes = in.bytes(8).leftJustified(8, '\0');
    const qint64 fileSize = qint64(qFromBigEndian<quint64>(sizeBytes.constData()) >> 2);
    const QByteArray stream = in.rest();

    // A Range value on its own, and then the same through a whole request.
    checkRange({stream}, fileSize);

    const qsizetype end = stream.indexOf("\r\n\r\n");
    if (end < 0 || end + 4 > PeerServer::MaxHeaderBytes)
        return 0;   // answered 431 or waited for more, before any parsing
    Request r;
    const int status = parseHead(stream.left(end), &r);
    FUZZ_CHECK(status == 0 || status == 400);
    if (status != 0)
        return 0;

    FUZZ_CHECK(isToken(r.method));
    FUZZ_CHECK(r.version == "HTTP/1.1" || r.version == "HTTP/1.0");
    FUZZ_CHECK(!r.target.isEmpty());
    for (char c : r.target)
        FUZZ_CHECK(uchar(c) > 0x20 && uchar(c) < 0x7f);
    for (const auto &[name, value] : r.headers) {
        FUZZ_CHECK(isToken(name) && name == name.toLower());
        FUZZ_CHECK(!value.contains('\r') && !value.contains('\n') && !value.contains('\0'));
        FUZZ_CHECK(value == value.trimmed());
    }
    checkRange(r.values("range"), fileSize);
    return 0;
}
