#include "owner/Owner.h"

#include <QFile>
#include <QFileInfo>
#include <QStringList>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry {
namespace {

constexpr int CapDacOverride = 1;
constexpr int CapSysAdmin = 21;

QByteArray readProc(pid_t pid, const char *what)
{
    QFile f(QStringLiteral("/proc/%1/%2").arg(pid).arg(QLatin1String(what)));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

QByteArray statusField(const QByteArray &status, const QByteArray &key)
{
    for (const QByteArray &line : status.split('\n'))
        if (line.startsWith(key + ':'))
            return line.mid(key.size() + 1).trimmed();
    return {};
}

// The user namespace is a property of the process that the engine compares by inode: a process
// whose namespace cannot be read counts as in another one.
bool sameUserNamespace(pid_t pid)
{
    struct stat theirs {}, ours {};
    return ::stat(QStringLiteral("/proc/%1/ns/user").arg(pid).toLocal8Bit().constData(), &theirs) == 0
           && ::stat("/proc/self/ns/user", &ours) == 0 && theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

} // namespace

ProcessFacts ProcessFacts::ofProcess(pid_t pid)
{
    ProcessFacts f;
    const QByteArray status = pid > 0 ? readProc(pid, "status") : QByteArray();
    if (status.isEmpty())
        return f;
    f.readable = true;
    const QList<QByteArray> uids = statusField(status, "Uid").simplified().split(' ');
    const QList<QByteArray> gids = statusField(status, "Gid").simplified().split(' ');
    f.ruid = uids.value(0).toUInt();
    f.euid = uids.value(1, uids.value(0)).toUInt();
    f.rgid = gids.value(0).toUInt();
    f.capEff = statusField(status, "CapEff").toULongLong(nullptr, 16);
    f.hostUserNamespace = sameUserNamespace(pid);
    f.noNewPrivs = statusField(status, "NoNewPrivs") == "1";
    f.seccompFilter = statusField(status, "Seccomp") == "2";
    f.flatpak = QFileInfo::exists(QStringLiteral("/proc/%1/root/.flatpak-info").arg(pid));
    f.snap = readProc(pid, "attr/current").startsWith("snap.");
    const QByteArray sessionId = readProc(pid, "sessionid").trimmed();
    f.inLoginSession = (!sessionId.isEmpty() && sessionId != "4294967295") || readProc(pid, "cgroup").contains("/session-");
    return f;
}

Owner Owner::fromFacts(const ProcessFacts &f)
{
    Owner o;
    if (!f.readable)
        return o; // unclassifiable: UNTRUSTED, not elevated
    const bool adminCap = f.hostUserNamespace
                          && ((f.capEff & (quint64(1) << CapSysAdmin)) || (f.capEff & (quint64(1) << CapDacOverride)));
    o.uid = f.ruid;
    o.gid = f.rgid;
    o.userName = nameOf(f.ruid);
    o.elevated = f.euid == 0 || adminCap;
    if (f.flatpak || f.snap || (f.noNewPrivs && f.seccompFilter))
        o.integrity = IntegrityLevel::Low;
    else if (o.elevated)
        o.integrity = (f.euid == 0 && !f.inLoginSession) ? IntegrityLevel::System : IntegrityLevel::High;
    else
        o.integrity = IntegrityLevel::Medium;
    return o;
}

QString Owner::nameOf(uint uid)
{
    if (const passwd *pw = ::getpwuid(uid))
        return QString::fromLocal8Bit(pw->pw_name);
    return QString::number(uid);
}

Owner Owner::ofThisProcess()
{
    return ofProcess(::getpid());
}

} // namespace ferry
