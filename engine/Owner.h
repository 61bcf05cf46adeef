// Who created (or took ownership of) a job, read from the kernel, never from what a client claims
// (spec §2.5, §5.3).
#pragma once

#include "JobTypes.h"

#include <QString>
#include <sys/types.h>

namespace ferry {

struct Owner
{
    uint uid = 0;
    QString userName;
    bool elevated = false;
    IntegrityLevel integrity = IntegrityLevel::Untrusted;

    // The facts about a live process: /proc/<pid>/status (uid, CapEff, NoNewPrivs, Seccomp),
    // its root (/.flatpak-info), its AppArmor label (snap.*) and its login session.
    static Owner ofProcess(pid_t pid);
    static Owner ofThisProcess();
};

} // namespace ferry
