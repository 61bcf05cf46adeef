#include "jobs/Scheduler.h"

#include <QSet>
#include <algorithm>

namespace ferry {

SchedulerDecision Scheduler::decide(QList<SchedulerEntry> candidates, qint64 nowMs) const
{
    SchedulerDecision d;
    QList<SchedulerEntry> background;
    QSet<int> waitingPriorities;
    for (const SchedulerEntry &e : std::as_const(candidates)) {
        if (e.priority == JobPriority::Foreground) {
            if (!e.running)
                d.start << e.id;
            continue;
        }
        if (!e.running)
            waitingPriorities.insert(int(e.priority));
        background << e;
    }

    // A running job keeps its slot until its slice is over and an equal-priority job waits.
    const auto keepsSlot = [&](const SchedulerEntry &e) {
        return e.running
               && (nowMs - e.runningSinceMs < timeSliceMs || !waitingPriorities.contains(int(e.priority)));
    };
    std::stable_sort(background.begin(), background.end(), [&](const SchedulerEntry &a, const SchedulerEntry &b) {
        if (a.priority != b.priority)
            return a.priority < b.priority;
        const bool ka = keepsSlot(a), kb = keepsSlot(b);
        if (ka != kb)
            return ka;
        const bool ra = a.running && !ka, rb = b.running && !kb; // slice over: to the back
        if (ra != rb)
            return rb;
        return a.sequence < b.sequence;
    });

    for (int i = 0; i < background.size(); ++i) {
        const SchedulerEntry &e = background[i];
        const bool chosen = i < maxBackgroundJobs;
        if (chosen && !e.running)
            d.start << e.id;
        else if (!chosen && e.running)
            d.preempt << e.id;
    }
    return d;
}

} // namespace ferry
