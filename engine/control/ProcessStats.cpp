#include "control/ProcessStats.h"

#include <QDir>
#include <QFile>
#include <QStringList>

namespace ferry {
namespace {

int entriesIn(const char *path)
{
    QDir dir(QString::fromLatin1(path));
    if (!dir.exists())
        return -1;
    return int(dir.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System | QDir::Hidden).size());
}

// "VmRSS:     12345 kB" -> 12345
qint64 statusKiB(const QByteArray &status, const QByteArray &key)
{
    for (const QByteArray &line : status.split('\n')) {
        if (line.startsWith(key + ':')) {
            bool ok = false;
            const qint64 value = line.mid(key.size() + 1).trimmed().split(' ').value(0).toLongLong(&ok);
            return ok ? value : -1;
        }
    }
    return -1;
}

} // namespace

ProcessStats ProcessStats::ofThisProcess()
{
    ProcessStats s;
    s.threads = entriesIn("/proc/self/task");
    // The listing's own descriptor is counted while it is open: take it off.
    const int fds = entriesIn("/proc/self/fd");
    s.descriptors = fds > 0 ? fds - 1 : fds;
    QFile status(QStringLiteral("/proc/self/status"));
    if (status.open(QIODevice::ReadOnly)) {
        const QByteArray text = status.readAll();
        s.rssKiB = statusKiB(text, "VmRSS");
        s.peakRssKiB = statusKiB(text, "VmHWM");
    }
    return s;
}

QJsonObject ProcessStats::toJson() const
{
    return {{QStringLiteral("threads"), threads},
            {QStringLiteral("descriptors"), descriptors},
            {QStringLiteral("rssKiB"), rssKiB},
            {QStringLiteral("peakRssKiB"), peakRssKiB}};
}

QString ProcessStats::toText() const
{
    return QStringLiteral("threads %1\ndescriptors %2\nrssKiB %3\npeakRssKiB %4").arg(threads).arg(descriptors).arg(rssKiB).arg(peakRssKiB);
}

} // namespace ferry
