// Who is at the other end of a control connection, from the kernel only: SO_PEERCRED (the
// effective uid at connect time), a pidfd of that very process (SO_PEERPIDFD, Linux 6.5+) so a
// recycled pid is never mistaken for it, and its /proc facts read at connect time. A process
// whose facts change afterwards (say it exec'd a setuid or file-capability program while a child
// kept the socket) or whose /proc euid never matched the connecting euid counts as UNTRUSTED:
// nothing it could arrange after connecting makes it more than it was.
#pragma once

#include "Owner.h"

#include <sys/socket.h>

namespace ferry {

class PeerIdentity
{
public:
    explicit PeerIdentity(int socketDescriptor);
    ~PeerIdentity();
    PeerIdentity(const PeerIdentity &) = delete;
    PeerIdentity &operator=(const PeerIdentity &) = delete;

    bool known() const { return m_known; }   // SO_PEERCRED answered
    uint uid() const { return m_cred.uid; }  // effective uid at connect time
    pid_t pid() const { return m_cred.pid; }

    // The caller for a request arriving now.
    Owner caller() const;

private:
    bool alive() const;
    Owner untrusted() const;

    bool m_known = false;
    ucred m_cred{};
    int m_pidfd = -1;
    ProcessFacts m_facts;
    Owner m_owner;
};

} // namespace ferry
