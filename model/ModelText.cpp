#include "ModelText.h"

#include <QLocale>

namespace ferry {

int ModelText::percent(quint64 transferred, quint64 total, bool done)
{
    if (total == SizeUnknown || total == 0)
        return done ? 100 : 0;
    return int(qMin<quint64>(100, transferred * 100 / total));
}

int ModelText::percent(const JobProgress &p)
{
    return percent(p.bytesTransferred, p.bytesTotal, p.filesTotal > 0 && p.filesTransferred == p.filesTotal);
}

QString ModelText::percentText(int percent)
{
    return tr("%1%", "progress in percent").arg(percent);
}

QString ModelText::dataSize(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

QString ModelText::dateTime(const QDateTime &time)
{
    return QLocale().toString(time.toLocalTime(), QLocale::ShortFormat);
}

QString ModelText::progressSentence(int percent, qint64 transferred, qint64 total)
{
    if (total < 0)
        return tr("%1 percent, %2 transferred", "progress for screen readers, total size unknown")
            .arg(percent)
            .arg(dataSize(transferred));
    return tr("%1 percent, %2 of %3", "progress for screen readers")
        .arg(percent)
        .arg(dataSize(transferred), dataSize(total));
}

QString ModelText::progressSentence(const JobProgress &p)
{
    return progressSentence(percent(p), qint64(p.bytesTransferred),
                            p.bytesTotal == SizeUnknown ? qint64(-1) : qint64(p.bytesTotal));
}

} // namespace ferry
