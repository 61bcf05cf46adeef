// Whether a job's owner is logged on, for the system instance (docs/jobs.md §12.1): a regular
// user's jobs transfer only while that user has a session, as systemd-logind sees it. Read from
// logind's own per-user state files, /run/systemd/users/<uid> (the STATE= line, what libsystemd's
// sd_uid_get_state reads), watched for changes as sd_login_monitor watches them (inotify on the
// folder: logind replaces each file by a rename). No D-Bus and no libsystemd: the engine links
// only QtCore, QtNetwork and QtSql.
//
// Regular users are uids UID_MIN..UID_MAX of /etc/login.defs (1000..60000 when it says nothing),
// the range useradd gives people; root, system accounts, nobody (65534) and systemd's dynamic
// service users lie outside it and always run. A per-user engine, or a computer without logind
// (no systemd at boot, or no /run/systemd/seats: containers), lets every job run and says so
// once in the log. JobManager::attachOwnerSessions is the seam it feeds.
#pragma once

#include <QFileSystemWatcher>
#include <QHash>
#include <QObject>
#include <QString>

namespace ferry {

class OwnerSessions : public QObject
{
    Q_OBJECT
public:
    explicit OwnerSessions(QObject *parent = nullptr);

    // ROOT prefixes /run/systemd and /etc/login.defs ("" for the computer's own). The engine takes
    // it from FERRY_LOGIND_ROOT, which only its tests set (a root engine's environment is root's).
    // Without systemInstance, or without logind, nobody waits for a session.
    void start(bool systemInstance, const QString &root = {});
    bool gates() const { return m_gates; }

    bool isRegularUser(uint uid) const { return uid >= m_uidMin && uid <= m_uidMax; }
    // logind's word for the uid: active, online, lingering, closing or offline (no file).
    QString stateOf(uint uid) const;
    // Whether the uid's jobs may transfer: always when not gating or not a regular user, else
    // with a session (active or online), or lingering when lingeringRuns.
    bool mayRun(uint uid, bool lingeringRuns) const;

    static QString defaultRoot() { return qEnvironmentVariable("FERRY_LOGIND_ROOT"); }

signals:
    void changed(); // some user's state may have changed: look again

private:
    void readLoginDefs(const QString &path);
    void forget();

    bool m_gates = false;
    QString m_usersDir;
    uint m_uidMin = 1000;
    uint m_uidMax = 60000;
    mutable QHash<uint, QString> m_states; // read once per change of the folder
    QFileSystemWatcher m_watcher;
};

} // namespace ferry
