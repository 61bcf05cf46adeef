#include "owner/OwnerIdentity.h"

#include <QLoggingCategory>

#include <grp.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ferry {

Q_LOGGING_CATEGORY(lcIdentity, "ferry.identity")

namespace {

// The raw system call changes the calling thread only; glibc's setgroups() would change every
// thread of the engine.
bool setThreadGroups(const std::vector<gid_t> &groups)
{
    return ::syscall(SYS_setgroups, groups.size(), groups.data()) == 0;
}

std::vector<gid_t> groupsOf(const Owner &owner)
{
    const QByteArray name = owner.userName.toLocal8Bit();
    int count = 32;
    std::vector<gid_t> groups(count);
    if (::getgrouplist(name.constData(), owner.gid, groups.data(), &count) < 0) {
        groups.resize(count);
        if (::getgrouplist(name.constData(), owner.gid, groups.data(), &count) < 0)
            count = 0;
    }
    groups.resize(count);
    if (groups.empty())
        groups.push_back(owner.gid);
    return groups;
}

} // namespace

OwnerIdentity::OwnerIdentity(const Owner &owner)
{
    if (::geteuid() != 0 || owner.uid == 0)
        return;
    const int n = ::getgroups(0, nullptr);
    m_savedGroups.resize(qMax(n, 0));
    if (n > 0 && ::getgroups(n, m_savedGroups.data()) != n)
        m_savedGroups.clear();
    m_switched = true;
    m_ok = setThreadGroups(groupsOf(owner));
    ::setfsgid(owner.gid);
    ::setfsuid(owner.uid);
    // setfsuid reports the previous value, never an error: read the current one back.
    m_ok = m_ok && uint(::setfsuid(uid_t(-1))) == owner.uid && uint(::setfsgid(gid_t(-1))) == owner.gid;
    if (!m_ok)
        qCWarning(lcIdentity) << "could not take the file identity of uid" << owner.uid;
}

uint OwnerIdentity::fileUid(const Owner &owner)
{
    return ::geteuid() == 0 ? owner.uid : ::geteuid();
}

OwnerIdentity::~OwnerIdentity()
{
    if (!m_switched)
        return;
    ::setfsuid(::geteuid());
    ::setfsgid(::getegid());
    setThreadGroups(m_savedGroups);
}

} // namespace ferry
