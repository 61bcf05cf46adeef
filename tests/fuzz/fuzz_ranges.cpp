// The range list of addfilewithranges (engine/core/FileRanges), which a local user types and the
// engine stores. Input: a remote file size (8 bytes), then the list as UTF-8.
// Promises checked: a list it accepts has 1..MaxRangesPerFile ranges, each inside qint64 with a
// length above 0 (or to the end), none overlapping; written back and parsed again it is the same
// list; and for any remote size the local size is -1 with the range that does not fit, or the
// sum of the ranges, never more than the remote file.
#include "FuzzCheck.h"

#include "core/FileRanges.h"

#include <algorithm>
#include <cstring>
#include <limits>

using namespace ferry;
using namespace ferry::fuzz;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    silenceQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;   // 500 ranges fit in far less; keep the runs fast
    FuzzInput in(data, size);
    const QByteArray sizeBytes = in.bytes(8);
    qint64 remoteSize = 0;
    std::memcpy(&remoteSize, sizeBytes.constData(), size_t(sizeBytes.size()));
    remoteSize = remoteSize < 0 ? -(remoteSize + 1) : remoteSize;
    QList<FileRange> ranges;
    if (!parseRanges(QString::fromUtf8(in.rest()), &ranges))
        return 0;
    FUZZ_CHECK(!ranges.isEmpty() && ranges.size() <= defaults::MaxRangesPerFile);
    for (const FileRange &r : std::as_const(ranges)) {
        FUZZ_CHECK(r.offset >= 0);
        FUZZ_CHECK(r.length == FileRange::ToEof || (r.length > 0 && r.length <= std::numeric_limits<qint64>::max() - r.offset));
    }
    QList<FileRange> sorted = ranges;
    std::sort(sorted.begin(), sorted.end(), [](const FileRange &a, const FileRange &b) { return a.offset < b.offset; });
    for (qsizetype i = 1; i < sorted.size(); ++i)
        FUZZ_CHECK(sorted[i - 1].length != FileRange::ToEof && sorted[i - 1].offset + sorted[i - 1].length <= sorted[i].offset);
    FUZZ_CHECK(rangesFromText(rangesText(ranges)) == ranges);

    int pastEnd = -1;
    const qint64 local = localSizeOf(ranges, remoteSize, &pastEnd);
    if (local < 0) {
        FUZZ_CHECK(pastEnd >= 0 && pastEnd < ranges.size());
        const FileRange &r = ranges[pastEnd];
        FUZZ_CHECK(r.offset >= remoteSize || (r.length != FileRange::ToEof && r.offset + r.length > remoteSize));
        return 0;
    }
    FUZZ_CHECK(local <= remoteSize);
    return 0;
}
