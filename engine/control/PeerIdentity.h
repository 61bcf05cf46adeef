// Who is at the other end of a control connection, from the kernel only: SO_PEERCRED (the
// effective uid and the pid at connect time) and that process's /proc facts and start time,
// read at connect time. While they are read, a pidfd of the connecting process (SO_PEERPIDFD,
// Linux 6.5+) shows it is still alive, so the pid was not yet recycled and the facts are its own;
// then the pidfd is closed: a connection costs the engine no descriptor but its socket. For each
// request the facts are read again, between two readings of the start time: a different start
// time is another process under a recycled pid, and different facts are the same process
// changed (say it exec'd a setuid or file-capability program while a child kept the socket).
// Either, or a /proc euid that never matched the connecting euid, makes the caller UNTRUSTED:
// nothing a client arranges after connecting makes it more than it was.
#pragma once

#include "owner/Owner.h"

#include <optional>
#include <sys/socket.h>

namespace ferry {

class PeerIdentity
{
public:
    // SO_PEERCRED of a connected Unix socket; nothing when the kernel does not say.
    static std::optional<ucred> credentialsOf(int socketDescriptor);

    PeerIdentity(int socketDescriptor, const ucred &credentials);

    uint uid() const { return m_cred.uid; }  // effective uid at connect time
    pid_t pid() const { return m_cred.pid; }

    // The caller for a request arriving now.
    Owner caller() const;

    // Field 22 of /proc/PID/stat (clock ticks after boot); 0 when the process has exited.
    static quint64 startTimeOf(pid_t pid);

private:
    Owner untrusted() const;

    ucred m_cred{};
    quint64 m_startTime = 0;
    ProcessFacts m_facts;
    Owner m_owner;
};

} // namespace ferry
