#include "Profile.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
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
    // Too long for sun_path: a name every user computes alike (a root engine serves them all).
    // /tmp is shared, so clients check who listens there (AdminClient) and the sticky bit stops
    // anyone replacing another user's socket.
    const QByteArray hash = QCryptographicHash::hash(m_dir.toUtf8(), QCryptographicHash::Sha256).toHex().left(24);
    return QStringLiteral("%1/ferry-%2.sock").arg(QDir::tempPath(), QString::fromLatin1(hash));
}

bool Profile::ensureExists(QString *error) const
{
    if (QFileInfo(m_dir).isDir())
        return true; // as it is: a system instance's profile may be opened up on purpose
    if (QDir().mkpath(m_dir)) {
        QFile::setPermissions(m_dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        return true;
    }
    if (error)
        *error = QStringLiteral("cannot create the profile folder %1").arg(m_dir);
    return false;
}

} // namespace ferry
