#include "Profile.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QStandardPaths>

#include <sys/un.h>
#include <unistd.h>

namespace ferry {

Profile::Profile(const QString &requestedDir)
{
    QString dir = requestedDir;
    if (dir.isEmpty())
        dir = qEnvironmentVariable("FERRY_PROFILE");
    if (dir.isEmpty())
        dir = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QLatin1String("/ferry");
    m_dir = QDir::cleanPath(QDir::current().absoluteFilePath(dir));
}

QString Profile::databasePath() const { return m_dir + QLatin1String("/jobs.db"); }
QString Profile::lockPath() const { return m_dir + QLatin1String("/engine.lock"); }

QString Profile::socketPath() const
{
    const QString inProfile = m_dir + QLatin1String("/control.sock");
    if (QFile::encodeName(inProfile).size() < qsizetype(sizeof(sockaddr_un::sun_path)) - 1)
        return inProfile;
    QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (runtime.isEmpty())
        runtime = QDir::tempPath();
    const QByteArray hash = QCryptographicHash::hash(m_dir.toUtf8(), QCryptographicHash::Sha256).toHex().left(20);
    return QStringLiteral("%1/ferry-%2-%3.sock").arg(runtime).arg(::getuid()).arg(QString::fromLatin1(hash));
}

bool Profile::ensureExists(QString *error) const
{
    if (QDir().mkpath(m_dir)) {
        QFile::setPermissions(m_dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        return true;
    }
    if (error)
        *error = QStringLiteral("cannot create the profile folder %1").arg(m_dir);
    return false;
}

} // namespace ferry
