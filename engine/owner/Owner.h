// Who created (or took ownership of) a job, read from the kernel, never from what a client claims
// (docs/jobs.md §12).
#pragma once

#include "core/JobTypes.h"

#include <QString>
#include <sys/types.h>

namespace ferry {

// What the kernel says about a process, as far as elevation and integrity are concerned.
struct ProcessFacts
{
    bool readable = false;       // /proc/<pid>/status could be read
    uint ruid = 0, euid = 0, rgid = 0;
    quint64 capEff = 0;          // effective capability set
    // In the engine's own user namespace (the computer's, for a system instance). Capabilities held
    // inside a user namespace of one's own (`unshare -r`) are worth nothing outside it, so they
    // count only here.
    bool hostUserNamespace = true;
    bool noNewPrivs = false;
    bool seccompFilter = false;  // Seccomp: 2
    bool flatpak = false;        // /.flatpak-info under its root
    bool snap = false;           // AppArmor label snap.*
    bool inLoginSession = false; // audit session id set, or a logind session scope

    static ProcessFacts ofProcess(pid_t pid);
};

struct Owner
{
    uint uid = 0;
    uint gid = 0;
    QString userName;
    bool elevated = false;
    IntegrityLevel integrity = IntegrityLevel::Untrusted;

    // The mapping of docs/jobs.md §12: LOW for sandboxes, HIGH for euid 0 or an admin capability inside a
    // login session, SYSTEM for euid 0 outside any session, MEDIUM otherwise.
    static Owner fromFacts(const ProcessFacts &facts);
    static Owner ofProcess(pid_t pid) { return fromFacts(ProcessFacts::ofProcess(pid)); }
    static Owner ofThisProcess();

    bool isRoot() const { return uid == 0; }
    static QString nameOf(uint uid);           // the user name, or the number
};

} // namespace ferry
