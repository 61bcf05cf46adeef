#include "core/Clock.h"

#include <ctime>

namespace ferry {

qint64 Clock::monotonicMs() const
{
    timespec ts{};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    return qint64(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

QDateTime Clock::now() const
{
    return QDateTime::currentDateTimeUtc();
}

} // namespace ferry
