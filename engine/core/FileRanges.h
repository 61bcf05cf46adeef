// The ranges of AddFileWithRanges (docs/jobs.md, "Ranges"): bitsadmin's text form
// "OFFSET:LENGTH,OFFSET:LENGTH" (LENGTH "eof": to the end of the file), the add-time checks,
// and what the ranges make of the remote file once its size is known.
#pragma once

#include "core/BitsError.h"
#include "core/Job.h"

namespace ferry {

namespace defaults {
constexpr int MaxRangesPerFile = 500;
} // namespace defaults

// Parses and checks a range list: at least one range, at most MaxRangesPerFile, each with a
// length above 0, none overlapping another (E_INVALIDARG, BG_E_TOO_MANY_RANGES_IN_FILE).
Status parseRanges(const QString &text, QList<FileRange> *out);
QString rangesText(const QList<FileRange> &ranges);            // "0:100,4096:eof"
QList<FileRange> rangesFromText(const QString &text);         // stored text; empty if unreadable

// The local file's size for a remote file of REMOTESIZE bytes, or -1 with *pastEnd set to the
// first range that does not fit in it (BG_E_INVALID_RANGE).
qint64 localSizeOf(const QList<FileRange> &ranges, qint64 remoteSize, int *pastEnd);

} // namespace ferry
