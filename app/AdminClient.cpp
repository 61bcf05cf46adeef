#include "AdminClient.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLockFile>
#include <QProcess>
#include <QThread>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry {

namespace {
constexpr int EngineStartTimeoutMs = 20000;
}

AdminClient::AdminClient(Profile profile)
    : m_profile(std::move(profile))
{
}

bool AdminClient::tryConnect()
{
    m_socket.connectToServer(m_profile.socketPath());
    if (!m_socket.waitForConnected(2000))
        return false;
    // Only an engine of our own user or root may hear our requests (the socket may sit in /tmp).
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(int(m_socket.socketDescriptor()), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0
        || (cred.uid != ::getuid() && cred.uid != 0)) {
        m_refused = QStringLiteral("%1 is served by uid %2, neither you nor root: not talking to it")
                        .arg(m_profile.socketPath())
                        .arg(cred.uid);
        m_socket.abort();
        return false;
    }
    return true;
}

bool AdminClient::connectOrStartEngine(QString *error)
{
    if (tryConnect())
        return true;
    if (!m_refused.isEmpty()) {
        *error = m_refused;
        return false;
    }
    QString engineError;
    if (!m_profile.ensureExists(&engineError)) {
        *error = engineError;
        return false;
    }
    // One starter at a time: a client racing us waits here, then finds our engine.
    QLockFile startLock(m_profile.dir() + QLatin1String("/start.lock"));
    startLock.setStaleLockTime(EngineStartTimeoutMs * 2);
    if (!startLock.tryLock(EngineStartTimeoutMs * 2)) {
        *error = startLock.error() == QLockFile::PermissionError
                     ? QStringLiteral("no engine answers for %1, and you may not start one there (no write access to "
                                      "the profile folder; is it another user's?)")
                           .arg(m_profile.dir())
                     : QStringLiteral("another ferry-admin is starting the engine for %1 and did not finish")
                           .arg(m_profile.dir());
        return false;
    }
    if (tryConnect())
        return true;
    const QString program = QCoreApplication::applicationDirPath() + QLatin1String("/ferry");
    if (!QFileInfo(program).isExecutable()) {
        *error = QStringLiteral("no engine runs for %1 and %2 cannot be started").arg(m_profile.dir(), program);
        return false;
    }
    QProcess engine;
    engine.setProgram(program);
    engine.setArguments({QStringLiteral("--headless"), QStringLiteral("--profile"), m_profile.dir()});
    engine.setStandardInputFile(QProcess::nullDevice());
    // The log names jobs and URLs: it is the engine's user's alone, like the database.
    const QString log = m_profile.dir() + QLatin1String("/engine.log");
    const int logFd = ::open(QFile::encodeName(log).constData(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (logFd >= 0) {
        ::fchmod(logFd, 0600);
        ::close(logFd);
    }
    engine.setStandardOutputFile(log, QIODevice::Append);
    engine.setStandardErrorFile(log, QIODevice::Append);
    qint64 pid = 0;
    if (!engine.startDetached(&pid)) {
        *error = QStringLiteral("cannot start %1").arg(program);
        return false;
    }
    // Wait for the socket to appear: the engine's start is the only thing polled here.
    QDeadlineTimer deadline(EngineStartTimeoutMs);
    while (!deadline.hasExpired()) {
        if (tryConnect())
            return true;
        QThread::msleep(50);
    }
    *error = QStringLiteral("the engine (pid %1) did not come up within %2 s; see %3/engine.log")
                 .arg(pid)
                 .arg(EngineStartTimeoutMs / 1000)
                 .arg(m_profile.dir());
    return false;
}

AdminReply AdminClient::request(const QString &verb, const QStringList &args, bool json)
{
    const QJsonObject req{{QStringLiteral("verb"), verb},
                          {QStringLiteral("args"), QJsonArray::fromStringList(args)},
                          {QStringLiteral("json"), json}};
    // On the descriptor itself: an engine that turns this client away (too many connections)
    // sends its reason and closes at once, and QLocalSocket would throw that line away with the
    // connection when the request then cannot be written.
    const int fd = int(m_socket.socketDescriptor());
    sendAll(fd, QJsonDocument(req).toJson(QJsonDocument::Compact) + '\n');
    const QByteArray line = receiveLine(fd);
    if (line.isEmpty()) {
        AdminReply r;
        r.ok = false;
        r.code = hr::E_FAIL;
        r.message = QStringLiteral("the engine closed the connection");
        return r;
    }
    return AdminReply::fromJson(QJsonDocument::fromJson(line).object());
}

bool AdminClient::subscribe()
{
    const QJsonObject req{{QStringLiteral("verb"), QStringLiteral("subscribe")}, {QStringLiteral("json"), true}};
    return sendAll(int(m_socket.socketDescriptor()), QJsonDocument(req).toJson(QJsonDocument::Compact) + '\n');
}

QJsonObject AdminClient::nextEvent()
{
    for (;;) {
        const QByteArray line = receiveLine(int(m_socket.socketDescriptor()));
        if (line.isEmpty())
            return {};
        const QJsonObject event = QJsonDocument::fromJson(line).object();
        if (!event.isEmpty())
            return event;
    }
}

// False when the engine stopped reading (closed): what it sent is still there to read.
bool AdminClient::sendAll(int fd, const QByteArray &bytes)
{
    for (qsizetype done = 0; done < bytes.size();) {
        const ssize_t n = ::send(fd, bytes.constData() + done, size_t(bytes.size() - done), MSG_NOSIGNAL);
        if (n > 0) {
            done += n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, -1);
        } else if (n < 0 && errno != EINTR) {
            return false;
        }
    }
    return true;
}

// The next reply line (without its newline); empty when the engine closed the connection first.
QByteArray AdminClient::receiveLine(int fd)
{
    for (;;) {
        if (const qsizetype newline = m_received.indexOf('\n'); newline >= 0) {
            const QByteArray line = m_received.left(newline);
            m_received.remove(0, newline + 1);
            return line;
        }
        char buffer[64 * 1024];
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            m_received.append(buffer, n);
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd, POLLIN, 0};
            ::poll(&p, 1, -1);
        } else if (n == 0 || errno != EINTR) {
            m_received.clear();
            return {};
        }
    }
}

} // namespace ferry
