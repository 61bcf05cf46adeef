#include "jobs/OwnerSessions.h"

#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRegularExpression>

namespace ferry {

Q_LOGGING_CATEGORY(lcSessions, "ferry.sessions")

namespace {
constexpr qint64 MaxStateFileBytes = 64 * 1024; // logind's files are a few hundred bytes
}

OwnerSessions::OwnerSessions(QObject *parent)
    : QObject(parent)
{
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, [this] {
        if (!m_watcher.directories().contains(m_usersDir) && QFileInfo(m_usersDir).isDir())
            m_watcher.addPath(m_usersDir); // logind made it for its first user
        forget();
        emit changed();
    });
}

void OwnerSessions::start(bool systemInstance, const QString &root)
{
    if (!systemInstance) {
        qCInfo(lcSessions) << "a per-user engine: its owner's jobs run whether or not a session is open";
        return;
    }
    const QString run = root + QStringLiteral("/run/systemd");
    // What systemd itself asks: booted with systemd (sd_booted) and logind running (logind_running).
    if (!QFileInfo(run + QStringLiteral("/system")).isDir() || !QFileInfo(run + QStringLiteral("/seats")).isDir()) {
        qCWarning(lcSessions).noquote() << "systemd-logind is not running here (no" << run + QStringLiteral("/system or /seats")
                                        << "): every user's jobs run, logged on or not";
        return;
    }
    m_usersDir = run + QStringLiteral("/users");
    readLoginDefs(root + QStringLiteral("/etc/login.defs"));
    // The folder above too: logind may make users/ only for its first user.
    if (!m_watcher.addPath(run) || (QFileInfo(m_usersDir).isDir() && !m_watcher.addPath(m_usersDir))) {
        qCWarning(lcSessions).noquote() << "cannot watch" << m_usersDir << ": every user's jobs run, logged on or not";
        return;
    }
    m_gates = true;
    qCInfo(lcSessions).noquote() << QStringLiteral("jobs of users %1..%2 transfer while their owner is logged on (%3)")
                                        .arg(m_uidMin)
                                        .arg(m_uidMax)
                                        .arg(m_usersDir);
}

// UID_MIN and UID_MAX: "NAME value" lines, '#' comments. Anything unusable keeps the defaults,
// and root is never a regular user.
void OwnerSessions::readLoginDefs(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return;
    static const QRegularExpression line(QStringLiteral("^\\s*(UID_MIN|UID_MAX)\\s+(\\d{1,10})\\s*$"));
    uint low = m_uidMin, high = m_uidMax;
    const QStringList lines = QString::fromUtf8(file.read(MaxStateFileBytes)).split(QLatin1Char('\n'));
    for (const QString &text : lines) {
        const auto m = line.match(text);
        bool ok = false;
        const uint value = m.hasMatch() ? m.captured(2).toUInt(&ok) : 0;
        if (!ok)
            continue;
        (m.captured(1) == QLatin1String("UID_MIN") ? low : high) = value;
    }
    if (low >= 1 && low <= high) {
        m_uidMin = low;
        m_uidMax = high;
    } else {
        qCWarning(lcSessions).noquote() << path << ": UID_MIN" << low << "and UID_MAX" << high << "make no range; using"
                                        << m_uidMin << ".." << m_uidMax;
    }
}

void OwnerSessions::forget()
{
    m_states.clear();
}

QString OwnerSessions::stateOf(uint uid) const
{
    if (!m_gates)
        return QStringLiteral("active");
    const auto cached = m_states.constFind(uid);
    if (cached != m_states.constEnd())
        return *cached;
    QString state = QStringLiteral("offline"); // no file: logind knows no session (sd_uid_get_state)
    QFile file(m_usersDir + QLatin1Char('/') + QString::number(uid));
    if (file.open(QIODevice::ReadOnly)) {
        const QList<QByteArray> lines = file.read(MaxStateFileBytes).split('\n');
        for (const QByteArray &l : lines)
            if (l.startsWith("STATE="))
                state = QString::fromLatin1(l.mid(6).trimmed());
    }
    m_states.insert(uid, state);
    return state;
}

bool OwnerSessions::mayRun(uint uid, bool lingeringRuns) const
{
    if (!m_gates || !isRegularUser(uid))
        return true;
    const QString state = stateOf(uid);
    return state == QLatin1String("active") || state == QLatin1String("online")
           || (lingeringRuns && state == QLatin1String("lingering"));
}

} // namespace ferry
