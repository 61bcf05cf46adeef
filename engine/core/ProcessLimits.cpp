#include "core/ProcessLimits.h"

#include <sys/resource.h>

namespace ferry {
namespace {
rlim_t inheritedSoftLimit = RLIM_INFINITY; // RLIM_INFINITY: never raised
}

void raiseFileLimit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
        return;
    const rlim_t inherited = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? rlim_t(1) << 20 : limit.rlim_max; // fs.nr_open's default
    if (::setrlimit(RLIMIT_NOFILE, &limit) == 0)
        inheritedSoftLimit = inherited;
}

void restoreInheritedFileLimit()
{
    if (inheritedSoftLimit == RLIM_INFINITY)
        return;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    limit.rlim_cur = inheritedSoftLimit;
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

} // namespace ferry
