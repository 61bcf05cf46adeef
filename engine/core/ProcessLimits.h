// Process-wide limits the engine needs. Each control connection costs a descriptor and the engine
// admits a few hundred (engine/control/ControlLimits.h) besides its transfers and peers, while the usual
// soft limit is 1024: the engine raises it to the hard limit once at start, and children it runs
// get the soft limit back, as programs expect it (some still use select()).
#pragma once

namespace ferry {

void raiseFileLimit();            // RLIMIT_NOFILE soft := hard; at the start of `ferry`, before threads
void restoreInheritedFileLimit(); // in a child between fork and exec: the soft limit as it was
                                  // (async-signal-safe)

} // namespace ferry
