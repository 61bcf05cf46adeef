#include "OtherUser.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <unistd.h>

namespace {

const QFileDevice::Permissions Mode0755 = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                          | QFileDevice::ReadGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther
                                          | QFileDevice::ExeOther;
const QFileDevice::Permissions Mode0777 = Mode0755 | QFileDevice::WriteGroup | QFileDevice::WriteOther;

} // namespace

QString OtherUser::makeDir(const QString &path, QFileDevice::Permissions mode)
{
    if (!QDir().mkpath(path) || !QFile::setPermissions(path, mode)) {
        qWarning() << "cannot create" << path;
        return {};
    }
    return path;
}

QString OtherUser::setUp(const QStringList &binaries)
{
    if (::geteuid() != 0)
        return QStringLiteral("needs root: it starts a root engine (system instance) and runs clients as uid 65534");
    m_setpriv = QStandardPaths::findExecutable(QStringLiteral("setpriv"));
    if (m_setpriv.isEmpty())
        return QStringLiteral("needs setpriv (util-linux) to run clients as uid 65534");
    // A short base path (the socket sits in the profile only while its path fits sun_path).
    const QString tempRoot = admintest::traversableByOthers(QDir::tempPath()) ? QDir::tempPath() : QStringLiteral("/tmp");
    m_base = std::make_unique<QTemporaryDir>(tempRoot + QStringLiteral("/ferry-user-XXXXXX"));
    if (!m_base->isValid() || !QFile::setPermissions(m_base->path(), Mode0755) || !admintest::traversableByOthers(m_base->path()))
        return QStringLiteral("cannot make a folder uid 65534 can reach under %1").arg(tempRoot);
    if (makeDir(bin(), Mode0755).isEmpty() || makeDir(home(), Mode0777).isEmpty())
        return QStringLiteral("cannot create the user's folders");
    for (const QString &program : binaries) {
        const QString copy = bin() + QLatin1Char('/') + QFileInfo(program).fileName();
        if (!QFile::copy(program, copy) || !QFile::setPermissions(copy, Mode0755))
            return QStringLiteral("cannot copy %1 for uid 65534").arg(program);
    }
    const AdminResult probe = run(QStandardPaths::findExecutable(QStringLiteral("id")), {QStringLiteral("-u")});
    if (probe.exitCode != 0 || probe.out.trimmed() != QString::number(Uid))
        return QStringLiteral("setpriv cannot run a client as uid 65534 here: ") + admintest::describe(probe);
    return {};
}

QString OtherUser::base() const { return m_base->path(); }
QString OtherUser::bin() const { return m_base->filePath(QStringLiteral("bin")); }
QString OtherUser::home() const { return m_base->filePath(QStringLiteral("home")); }

AdminResult OtherUser::run(const QString &program, const QStringList &args, const Options &options) const
{
    AdminCall call;
    call.timeoutMs = options.timeoutMs;
    call.childModifier = options.childModifier;
    call.environment.insert(QStringLiteral("PATH"), QStringLiteral("/usr/local/bin:/usr/bin:/bin"));
    call.environment.insert(QStringLiteral("HOME"), home());
    call.environment.insert(QStringLiteral("USER"), QStringLiteral("nobody"));
    call.environment.insert(QStringLiteral("LOGNAME"), QStringLiteral("nobody"));
    call.environment.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    return runCommand(m_setpriv,
                      QStringList{QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"), QStringLiteral("--clear-groups")}
                          + options.setprivArgs + QStringList{QStringLiteral("--")} + options.launcher + QStringList{program} + args,
                      call);
}

AdminResult OtherUser::admin(const QString &profile, const QStringList &args, const Options &options) const
{
    return run(bin() + QStringLiteral("/ferry-admin"), QStringList{QStringLiteral("--profile"), profile} + args, options);
}
