#include "control/PeerIdentity.h"

#include <QFile>

#include <cerrno>
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

std::optional<ucred> PeerIdentity::credentialsOf(int fd)
{
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred)
        return std::nullopt;
    return cred;
}

quint64 PeerIdentity::startTimeOf(pid_t pid)
{
    if (pid <= 0)
        return 0;
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses; field 3 follows the last ')'.
    const QByteArray stat = f.read(4096);
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return 0;
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    constexpr int FirstFieldAfterComm = 3;
    constexpr int StateField = 3;
    constexpr int StartTimeField = 22;
    const QByteArray state = fields.value(StateField - FirstFieldAfterComm);
    if (state == "Z" || state == "X")
        return 0; // exited; only not yet reaped
    return fields.value(StartTimeField - FirstFieldAfterComm).toULongLong();
}

PeerIdentity::PeerIdentity(int fd, const ucred &credentials)
    : m_cred(credentials)
{
    int pidfd = -1;
    socklen_t len = sizeof pidfd;
    // ENOPROTOOPT: a kernel without pidfds for sockets. Any other failure (no descriptor left,
    // say) leaves the process unverified, and so UNTRUSTED.
    bool verifiable = true;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) != 0) {
        verifiable = errno == ENOPROTOOPT;
        pidfd = -1;
    }
    const quint64 before = startTimeOf(m_cred.pid);
    m_facts = ProcessFacts::ofProcess(m_cred.pid);
    const quint64 after = startTimeOf(m_cred.pid);
    // Still alive after the readings: the pid was its own all along. (Older kernels give no
    // pidfd; the start time and euid comparisons still apply.)
    const bool alive = pidfd < 0 || ::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) == 0;
    if (pidfd >= 0)
        ::close(pidfd);
    m_startTime = before;
    // The facts must be of the process that connected and show the euid it connected with.
    const bool trusted = verifiable && m_facts.readable && before != 0 && before == after && alive && m_facts.euid == m_cred.uid;
    m_owner = trusted ? Owner::fromFacts(m_facts) : untrusted();
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
    if (m_owner.integrity == IntegrityLevel::Untrusted)
        return m_owner;
    // The start time before and after the facts: both the connecting process's, so the facts are too.
    if (startTimeOf(m_cred.pid) != m_startTime)
        return untrusted();
    const ProcessFacts now = ProcessFacts::ofProcess(m_cred.pid);
    if (startTimeOf(m_cred.pid) != m_startTime || !sameProcessFacts(now, m_facts))
        return untrusted();
    return m_owner;
}

} // namespace ferry
