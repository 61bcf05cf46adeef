#include "DesktopSettings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

namespace ferry {

namespace {

const QString KeyFolder = QStringLiteral("downloadFolder");
const QString KeyDrop = QStringLiteral("dropBehaviour");
const QString KeyMinimized = QStringLiteral("startMinimized");
const QString KeyAtLogin = QStringLiteral("startAtLogin");
const QString KeyClipboard = QStringLiteral("watchClipboard");

// Stored as words, so that the file reads well and an unknown word falls back to the default.
const QString DropQueue = QStringLiteral("queue");
const QString DropAsk = QStringLiteral("ask");

} // namespace

DesktopSettings::DesktopSettings(QObject *parent)
    : QObject(parent)
    , m_settings(QStringLiteral("ferry"), QStringLiteral("ferry"))
{
}

DesktopSettings::DesktopSettings(const QString &fileName, QObject *parent)
    : QObject(parent)
    , m_settings(fileName, QSettings::IniFormat)
{
}

DesktopSettings::~DesktopSettings() = default;

void DesktopSettings::set(const QString &key, const QVariant &value)
{
    if (m_settings.contains(key) && m_settings.value(key) == value)
        return;
    m_settings.setValue(key, value);
    emit changed();
}

QString DesktopSettings::defaultDownloadFolder()
{
    const QString downloads = QStandardPaths::writableLocation(QStandardPaths::DownloadLocation);
    return downloads.isEmpty() ? QDir::homePath() : downloads;
}

QString DesktopSettings::downloadFolder() const
{
    const QString folder = m_settings.value(KeyFolder).toString();
    return folder.isEmpty() ? defaultDownloadFolder() : folder;
}

void DesktopSettings::setDownloadFolder(const QString &folder)
{
    set(KeyFolder, folder.isEmpty() ? QString() : QDir::cleanPath(folder));
}

DesktopSettings::DropBehaviour DesktopSettings::dropBehaviour() const
{
    return m_settings.value(KeyDrop).toString() == DropQueue ? DropBehaviour::QueueDirectly
                                                              : DropBehaviour::AskWithNewJobDialog;
}

void DesktopSettings::setDropBehaviour(DropBehaviour behaviour)
{
    set(KeyDrop, behaviour == DropBehaviour::QueueDirectly ? DropQueue : DropAsk);
}

bool DesktopSettings::startMinimized() const
{
    return m_settings.value(KeyMinimized, false).toBool();
}

void DesktopSettings::setStartMinimized(bool on)
{
    set(KeyMinimized, on);
}

bool DesktopSettings::startAtLogin() const
{
    return m_settings.value(KeyAtLogin, false).toBool();
}

void DesktopSettings::setStartAtLogin(bool on)
{
    set(KeyAtLogin, on);
}

bool DesktopSettings::watchClipboard() const
{
    return m_settings.value(KeyClipboard, false).toBool();
}

void DesktopSettings::setWatchClipboard(bool on)
{
    set(KeyClipboard, on);
}

bool DesktopSettings::sync(QString *error)
{
    m_settings.sync();
    switch (m_settings.status()) {
    case QSettings::NoError:
        return true;
    case QSettings::AccessError:
        if (error)
            *error = tr("%1 could not be written").arg(QDir::toNativeSeparators(m_settings.fileName()));
        return false;
    case QSettings::FormatError:
        if (error)
            *error = tr("%1 could not be read").arg(QDir::toNativeSeparators(m_settings.fileName()));
        return false;
    }
    return true;
}

QString DesktopSettings::autostartEntryPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)
           + QLatin1String("/autostart/ferry.desktop");
}

bool DesktopSettings::hasAutostartEntry()
{
    return QFileInfo::exists(autostartEntryPath());
}

bool DesktopSettings::writeAutostartEntry(bool enabled, QString *error)
{
    const QString path = autostartEntryPath();
    const auto fail = [error, &path](const QString &why) {
        if (error)
            *error = tr("%1: %2").arg(QDir::toNativeSeparators(path), why);
        return false;
    };
    if (!enabled) {
        QFile file(path);
        if (!file.exists() || file.remove())
            return true;
        return fail(file.errorString());
    }
    const QString dir = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(dir))
        return fail(tr("the folder could not be created"));
    // The Desktop Entry Specification and the XDG Autostart Specification; the strings in the
    // file are for the session, not for this user interface, so they are not translated.
    static const char entry[] = "[Desktop Entry]\n"
                                "Type=Application\n"
                                "Version=1.5\n"
                                "Name=Ferry\n"
                                "GenericName=Download Manager\n"
                                "Comment=Keeps background downloads going after login\n"
                                "Exec=ferry --minimized\n"
                                "Icon=ferry\n"
                                "Terminal=false\n"
                                "Categories=Network;FileTransfer;\n"
                                "X-GNOME-Autostart-enabled=true\n";
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    const qint64 size = qint64(sizeof entry) - 1;
    if (file.write(entry, size) != size)
        return fail(file.errorString());
    if (!file.commit())
        return fail(file.errorString());
    return true;
}

} // namespace ferry
