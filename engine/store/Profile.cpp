#include "store/Profile.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

#include <sys/stat.h>
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
    if (!QFileInfo(m_dir).isDir() && !QDir().mkpath(m_dir)) {
        if (error)
            *error = QStringLiteral("cannot create the profile folder %1").arg(m_dir);
        return false;
    }
    // Only the engine's user reads or lists the profile. A system instance's users must still reach
    // its socket by name, so there others keep the search (x) bit and nothing else; every file in it
    // is the engine's alone (0600, peercache/ 0700), see docs/security.md.
    const QByteArray path = QFile::encodeName(m_dir);
    struct stat st {};
    if (::stat(path.constData(), &st) == 0 && st.st_uid == ::geteuid()) {
        const mode_t wanted = ::geteuid() == 0 ? 0711 : 0700;
        if ((st.st_mode & 07777) != wanted && ::chmod(path.constData(), wanted) != 0 && error) {
            *error = QStringLiteral("cannot restrict the profile folder %1").arg(m_dir);
            return false;
        }
    }
    return true;
}

} // namespace ferry
