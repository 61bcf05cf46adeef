#include "PeerIdentity.h"

#include <sys/syscall.h>
#include <unistd.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 // Linux 6.5; not yet in bookworm's headers
#endif

namespace ferry {
namespace {

bool sameProcessFacts(const ProcessFacts &a, const ProcessFacts &b)
{
    return a.readable == b.readable && a.ruid == b.ruid && a.euid == b.euid && a.rgid == b.rgid && a.capEff == b.capEff
           && a.noNewPrivs == b.noNewPrivs && a.seccompFilter == b.seccompFilter && a.flatpak == b.flatpak
           && a.snap == b.snap && a.inLoginSession == b.inLoginSession && a.hostUserNamespace == b.hostUserNamespace;
}

} // namespace

PeerIdentity::PeerIdentity(int fd)
{
    socklen_t len = sizeof m_cred;
    m_known = ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &m_cred, &len) == 0;
    if (!m_known)
        return;
    int pidfd = -1;
    len = sizeof pidfd;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0)
        m_pidfd = pidfd;
    m_facts = ProcessFacts::ofProcess(m_cred.pid);
    // The facts must be of the process that connected (still alive, so its pid is its own) and
    // must show the effective uid it connected with.
    m_owner = (m_facts.readable && alive() && m_facts.euid == m_cred.uid) ? Owner::fromFacts(m_facts) : untrusted();
}

PeerIdentity::~PeerIdentity()
{
    if (m_pidfd >= 0)
        ::close(m_pidfd);
}

bool PeerIdentity::alive() const
{
    if (m_pidfd < 0)
        return true; // older kernels: the euid and facts comparisons still apply
    return ::syscall(SYS_pidfd_send_signal, m_pidfd, 0, nullptr, 0) == 0;
}

Owner PeerIdentity::untrusted() const
{
    Owner o;
    o.uid = m_cred.uid;
    o.gid = m_cred.gid;
    o.userName = Owner::nameOf(m_cred.uid);
    return o; // not elevated, UNTRUSTED
}

Owner PeerIdentity::caller() const
{
    if (!m_known)
        return untrusted();
    if (m_owner.integrity == IntegrityLevel::Untrusted)
        return m_owner;
    const ProcessFacts now = ProcessFacts::ofProcess(m_cred.pid);
    if (!alive() || !sameProcessFacts(now, m_facts))
        return untrusted();
    return m_owner;
}

} // namespace ferry
