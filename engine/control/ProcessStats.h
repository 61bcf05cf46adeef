// What the engine process holds right now, read from /proc/self: the numbers that must stay flat
// however many jobs an engine has run (ferry-admin stats).
#pragma once

#include <QJsonObject>
#include <QString>

namespace ferry {

struct ProcessStats
{
    int threads = -1;       // tasks in /proc/self/task
    int descriptors = -1;   // entries in /proc/self/fd
    qint64 rssKiB = -1;     // VmRSS
    qint64 peakRssKiB = -1; // VmHWM

    static ProcessStats ofThisProcess();
    QJsonObject toJson() const;
    QString toText() const;
};

} // namespace ferry
