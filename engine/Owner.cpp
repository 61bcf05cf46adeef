#include "Owner.h"

#include <QFile>
#include <QFileInfo>
#include <QStringList>

#include <pwd.h>
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

// A process is in a login session when the kernel audit session id is set, or when its cgroup
// sits under a logind session scope.
bool inLoginSession(pid_t pid)
{
    const QByteArray sessionId = readProc(pid, "sessionid").trimmed();
    if (!sessionId.isEmpty() && sessionId != "4294967295")
        return true;
    return readProc(pid, "cgroup").contains("/session-");
}

QString userNameOf(uint uid)
{
    if (const passwd *pw = ::getpwuid(uid))
        return QString::fromLocal8Bit(pw->pw_name);
    return QString::number(uid);
}

} // namespace

Owner Owner::ofProcess(pid_t pid)
{
    Owner o;
    const QByteArray status = readProc(pid, "status");
    if (status.isEmpty())
        return o; // unreadable: UNTRUSTED, not elevated

    const QList<QByteArray> uids = statusField(status, "Uid").simplified().split(' ');
    const uint ruid = uids.value(0).toUInt();
    const uint euid = uids.value(1, uids.value(0)).toUInt();
    const quint64 capEff = statusField(status, "CapEff").toULongLong(nullptr, 16);
    const bool noNewPrivs = statusField(status, "NoNewPrivs") == "1";
    const bool seccompFilter = statusField(status, "Seccomp") == "2";
    const bool flatpak = QFileInfo::exists(QStringLiteral("/proc/%1/root/.flatpak-info").arg(pid));
    const bool snap = readProc(pid, "attr/current").startsWith("snap.");
    const bool adminCap = (capEff & (quint64(1) << CapSysAdmin)) || (capEff & (quint64(1) << CapDacOverride));

    o.uid = ruid;
    o.userName = userNameOf(ruid);
    o.elevated = euid == 0 || adminCap;
    if (flatpak || snap || (noNewPrivs && seccompFilter))
        o.integrity = IntegrityLevel::Low;
    else if (o.elevated)
        o.integrity = (euid == 0 && !inLoginSession(pid)) ? IntegrityLevel::System : IntegrityLevel::High;
    else
        o.integrity = IntegrityLevel::Medium;
    return o;
}

Owner Owner::ofThisProcess()
{
    return ofProcess(::getpid());
}

} // namespace ferry
