#include "core/FileRanges.h"

#include <QStringList>

#include <algorithm>
#include <limits>

namespace ferry {

namespace {

bool parseOne(const QString &item, FileRange *r)
{
    const QStringList parts = item.trimmed().split(QLatin1Char(':'));
    if (parts.size() != 2)
        return false;
    bool ok = false;
    const qlonglong offset = parts[0].trimmed().toLongLong(&ok);
    if (!ok || offset < 0)
        return false;
    r->offset = offset;
    if (parts[1].trimmed().compare(QLatin1String("eof"), Qt::CaseInsensitive) == 0) {
        r->length = FileRange::ToEof;
        return true;
    }
    const qlonglong length = parts[1].trimmed().toLongLong(&ok);
    if (!ok || length <= 0 || length > std::numeric_limits<qint64>::max() - offset)
        return false;
    r->length = length;
    return true;
}

} // namespace

Status parseRanges(const QString &text, QList<FileRange> *out)
{
    const QStringList items = text.split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (items.isEmpty())
        return {hr::E_INVALIDARG, QStringLiteral("no ranges: give OFFSET:LENGTH[,OFFSET:LENGTH...] (LENGTH may be eof)")};
    if (items.size() > defaults::MaxRangesPerFile)
        return {hr::BG_E_TOO_MANY_RANGES_IN_FILE, QStringLiteral("a file holds at most %1 ranges").arg(defaults::MaxRangesPerFile)};
    QList<FileRange> ranges;
    for (const QString &item : items) {
        FileRange r;
        if (!parseOne(item, &r))
            return {hr::E_INVALIDARG, QStringLiteral("'%1' is not a range: OFFSET:LENGTH with a LENGTH above 0, or OFFSET:eof")
                                          .arg(item.trimmed())};
        ranges << r;
    }
    QList<FileRange> sorted = ranges;
    std::sort(sorted.begin(), sorted.end(), [](const FileRange &a, const FileRange &b) { return a.offset < b.offset; });
    for (int i = 1; i < sorted.size(); ++i) {
        const FileRange &before = sorted[i - 1];
        if (before.length == FileRange::ToEof || before.offset + before.length > sorted[i].offset)
            return {hr::E_INVALIDARG, QStringLiteral("the ranges %1 and %2 overlap").arg(rangesText({before}), rangesText({sorted[i]}))};
    }
    *out = ranges;
    return {};
}

QString rangesText(const QList<FileRange> &ranges)
{
    QStringList items;
    for (const FileRange &r : ranges)
        items << QStringLiteral("%1:%2").arg(r.offset).arg(r.length == FileRange::ToEof ? QStringLiteral("eof") : QString::number(r.length));
    return items.join(QLatin1Char(','));
}

QList<FileRange> rangesFromText(const QString &text)
{
    QList<FileRange> ranges;
    if (!text.isEmpty() && !parseRanges(text, &ranges))
        return {};
    return ranges;
}

qint64 localSizeOf(const QList<FileRange> &ranges, qint64 remoteSize, int *pastEnd)
{
    qint64 total = 0;
    for (int i = 0; i < ranges.size(); ++i) {
        const FileRange &r = ranges[i];
        const qint64 end = r.length == FileRange::ToEof ? remoteSize : r.offset + r.length;
        if (r.offset >= remoteSize || end > remoteSize) {
            *pastEnd = i;
            return -1;
        }
        total += end - r.offset;
    }
    return total;
}

} // namespace ferry
