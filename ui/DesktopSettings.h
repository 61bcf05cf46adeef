// The desktop window's own preferences (not the engine's): where new downloads go, what a drop
// on the window does, and how Ferry starts. Kept with QSettings (organisation and application
// "ferry", native format: $XDG_CONFIG_HOME/ferry/ferry.conf). Nothing secret belongs here.
// Engine settings (concurrency, peer caching) live in the engine and are changed through it.
#pragma once

#include <QObject>
#include <QSettings>
#include <QString>

namespace ferry {

class DesktopSettings : public QObject
{
    Q_OBJECT
public:
    enum class DropBehaviour {
        QueueDirectly,       // every dropped link becomes a job at once
        AskWithNewJobDialog, // the New Job dialog opens with the links filled in
    };
    Q_ENUM(DropBehaviour)

    // The user's file: QSettings("ferry", "ferry").
    explicit DesktopSettings(QObject *parent = nullptr);
    // A file of one's own (INI format), e.g. for tests.
    explicit DesktopSettings(const QString &fileName, QObject *parent = nullptr);
    ~DesktopSettings() override;

    QString fileName() const { return m_settings.fileName(); }

    // Default download folder: QStandardPaths::DownloadLocation, else the home folder.
    QString downloadFolder() const;
    void setDownloadFolder(const QString &folder);
    static QString defaultDownloadFolder();

    DropBehaviour dropBehaviour() const;            // default AskWithNewJobDialog
    void setDropBehaviour(DropBehaviour behaviour);

    bool startMinimized() const;                    // default false: start in the tray
    void setStartMinimized(bool on);

    // The preference only; the autostart entry itself is written by writeAutostartEntry()
    // (SettingsDialog does both when accepted).
    bool startAtLogin() const;                      // default false
    void setStartAtLogin(bool on);

    bool watchClipboard() const;                    // default false
    void setWatchClipboard(bool on);

    // Writes what was set to disk now (QSettings also does it later by itself). False with a
    // reason when the file could not be written.
    bool sync(QString *error = nullptr);

    // $XDG_CONFIG_HOME/autostart/ferry.desktop (QStandardPaths::GenericConfigLocation).
    static QString autostartEntryPath();
    static bool hasAutostartEntry();
    // Creates (atomically, QSaveFile) or removes the XDG autostart entry that starts
    // "ferry --minimized" at login. False with a reason on failure; removing a missing entry
    // succeeds.
    static bool writeAutostartEntry(bool enabled, QString *error);

signals:
    void changed();                                 // a setter changed a value

private:
    void set(const QString &key, const QVariant &value);

    QSettings m_settings;
};

} // namespace ferry
