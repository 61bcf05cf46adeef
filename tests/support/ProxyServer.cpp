#include "ProxyServer.h"

#include "ChildServer.h"

#include <QFile>
#include <QHash>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

namespace ferry::test {

namespace {

constexpr char kTinyproxy[] = "/usr/bin/tinyproxy";

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

ProxyServer::ProxyServer()
    : m_dir(std::make_unique<QTemporaryDir>())
{
}

ProxyServer::~ProxyServer()
{
    stop();
}

void ProxyServer::setBasicAuth(const QString &user, const QString &password)
{
    m_authUser = user;
    m_authPassword = password;
}

bool ProxyServer::start(QString *error)
{
    stop();
    if (!m_dir->isValid())
        return fail(error, QStringLiteral("cannot create a temporary dir"));
    if (m_dir->path().contains(QLatin1Char('"')))
        return fail(error, QStringLiteral("unusable temporary dir ") + m_dir->path());
    // tinyproxy's config grammar: BasicAuth takes two [-a-z0-9._]+ tokens (case-insensitive).
    static const QRegularExpression token(QStringLiteral("^[-A-Za-z0-9._]+$"));
    if (!m_authUser.isEmpty()
        && (!token.match(m_authUser).hasMatch() || !token.match(m_authPassword).hasMatch()))
        return fail(error, QStringLiteral("tinyproxy BasicAuth accepts only [-A-Za-z0-9._]+"));
    const QString dir = m_dir->path();
    const QString pidPath = dir + QStringLiteral("/tinyproxy.pid");
    const QString confPath = dir + QStringLiteral("/tinyproxy.conf");
    ChildServerLaunch launch;
    launch.name = QStringLiteral("tinyproxy");
    launch.program = QLatin1String(kTinyproxy);
    launch.arguments = {QStringLiteral("-d"), QStringLiteral("-c"), confPath};
    launch.configure = [&](quint16 port, QString *configureError) {
        // LogLevel Info: "Closed connection between local client ..." (how requestsFor()
        // tells forwarded requests from refused ones) is an Info message.
        QByteArray conf = "Port " + QByteArray::number(port) + "\n"
                          "Listen 127.0.0.1\n"
                          "Allow 127.0.0.1\n"
                          "Timeout 60\n"
                          "MaxClients 50\n"
                          "LogLevel Info\n"
                          "LogFile \"" + QFile::encodeName(logPath()) + "\"\n"
                          "PidFile \"" + QFile::encodeName(pidPath) + "\"\n";
        if (!m_authUser.isEmpty())
            conf += "BasicAuth " + m_authUser.toUtf8() + " " + m_authPassword.toUtf8() + "\n";
        QFile confFile(confPath);
        if (!confFile.open(QIODevice::WriteOnly | QIODevice::Truncate) || confFile.write(conf) != conf.size())
            return fail(configureError, QStringLiteral("cannot write ") + confPath);
        // A fresh log per attempt: readiness below looks at it.
        QFile::remove(logPath());
        return true;
    };
    // tinyproxy binds, then writes the pid file, then opens the log and logs "Accepting
    // connections" just before its main loop. A bind failure (port taken meanwhile) only shows
    // on stderr, before any of that, and it exits 71.
    launch.pidFile = pidPath;
    launch.portClash = "Could not create listening sockets";
    launch.ready = [this] { return readFile(logPath()).contains("Accepting connections"); };
    return startChildServer(launch, &m_proc, &m_port, error);
}

void ProxyServer::stop()
{
    stopChildServer(&m_proc);
}

bool ProxyServer::isRunning() const
{
    return m_proc && m_proc->state() == QProcess::Running;
}

quint16 ProxyServer::port() const
{
    return m_port;
}

QString ProxyServer::host() const
{
    return QStringLiteral("127.0.0.1");
}

QNetworkProxy ProxyServer::networkProxy() const
{
    return QNetworkProxy(QNetworkProxy::HttpProxy, host(), m_port);
}

QString ProxyServer::logPath() const
{
    return m_dir->path() + QStringLiteral("/tinyproxy.log");
}

int ProxyServer::requestsFor(const QString &urlSubstring) const
{
    // tinyproxy 1.11 (one thread per client, so lines of different clients
    // interleave; a client fd is not reused before its "Closed connection"):
    //   CONNECT ... Connect (file descriptor 5): 127.0.0.1
    //   CONNECT ... Request (file descriptor 5): GET http://127.0.0.1:8080/a?b HTTP/1.1
    //   CONNECT ... Established connection to host "127.0.0.1" using file descriptor 6.
    //   INFO    ... Closed connection between local client (fd:5) and remote client (fd:6)
    // A request refused (401/407, upstream unreachable) has no "Closed connection" line.
    static const QRegularExpression connectRe(QStringLiteral(R"(: Connect \(file descriptor (\d+)\))"));
    static const QRegularExpression requestRe(QStringLiteral(R"(: Request \(file descriptor (\d+)\): (.*)$)"));
    static const QRegularExpression closedRe(QStringLiteral(R"(: Closed connection between local client \(fd:(\d+)\))"));
    QByteArray log = readFile(logPath());
    log.truncate(log.lastIndexOf('\n') + 1);  // ignore a partially written last line
    QHash<int, QString> pending;  // client fd -> request line
    int count = 0;
    for (const QByteArray &raw : log.split('\n')) {
        const QString line = QString::fromUtf8(raw);
        QRegularExpressionMatch m;
        if ((m = requestRe.match(line)).hasMatch()) {
            pending.insert(m.captured(1).toInt(), m.captured(2));
        } else if ((m = closedRe.match(line)).hasMatch()) {
            const QString request = pending.take(m.captured(1).toInt());
            count += !request.isEmpty() && request.contains(urlSubstring) ? 1 : 0;
        } else if ((m = connectRe.match(line)).hasMatch()) {
            pending.remove(m.captured(1).toInt());  // new client on a reused fd
        }
    }
    return count;
}

} // namespace ferry::test
