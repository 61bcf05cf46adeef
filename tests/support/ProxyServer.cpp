#include "ProxyServer.h"

#include "NginxServer.h"  // freeLoopbackPort()

#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QHostAddress>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>

namespace ferry::test {

namespace {

constexpr char kTinyproxy[] = "/usr/bin/tinyproxy";
constexpr int kStartTimeoutMs = 10000;
constexpr int kPortAttempts = 5;

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
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
        bool portInUse = false;
        if (startOnce(error, &portInUse))
            return true;
        if (!portInUse)
            return false;
    }
    return false;
}

bool ProxyServer::startOnce(QString *error, bool *portInUse)
{
    m_port = freeLoopbackPort();
    if (m_port == 0)
        return fail(error, QStringLiteral("no free port"));
    const QString dir = m_dir->path();
    const QString pidPath = dir + QStringLiteral("/tinyproxy.pid");
    // LogLevel Info: "Closed connection between local client ..." (how requestsFor()
    // tells forwarded requests from refused ones) is an Info message.
    QByteArray conf = "Port " + QByteArray::number(m_port) + "\n"
                      "Listen 127.0.0.1\n"
                      "Allow 127.0.0.1\n"
                      "Timeout 60\n"
                      "MaxClients 50\n"
                      "LogLevel Info\n"
                      "LogFile \"" + QFile::encodeName(logPath()) + "\"\n"
                      "PidFile \"" + QFile::encodeName(pidPath) + "\"\n";
    if (!m_authUser.isEmpty())
        conf += "BasicAuth " + m_authUser.toUtf8() + " " + m_authPassword.toUtf8() + "\n";
    const QString confPath = dir + QStringLiteral("/tinyproxy.conf");
    QFile confFile(confPath);
    if (!confFile.open(QIODevice::WriteOnly | QIODevice::Truncate) || confFile.write(conf) != conf.size())
        return fail(error, QStringLiteral("cannot write ") + confPath);
    confFile.close();
    // Fresh files per attempt: readiness below looks at both.
    QFile::remove(pidPath);
    QFile::remove(logPath());

    m_proc = std::make_unique<QProcess>();
    m_proc->setProcessChannelMode(QProcess::MergedChannels);
    m_proc->start(QLatin1String(kTinyproxy), {QStringLiteral("-d"), QStringLiteral("-c"), confPath});
    if (!m_proc->waitForStarted(kStartTimeoutMs)) {
        const QString message = QStringLiteral("cannot run tinyproxy: ") + m_proc->errorString();
        m_proc.reset();
        return fail(error, message);
    }

    // tinyproxy binds, then writes the pid file, then opens the log and logs
    // "Accepting connections" just before its main loop. A bind failure (port
    // taken meanwhile) only shows on stderr, before any of that, and it exits 71.
    QByteArray output;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < kStartTimeoutMs) {
        const bool exited = m_proc->waitForFinished(50);
        output += m_proc->readAll();
        if (exited) {
            *portInUse = output.contains("Could not create listening sockets");
            break;
        }
        if (readFile(pidPath).trimmed().toLongLong() != m_proc->processId()
            || !readFile(logPath()).contains("Accepting connections"))
            continue;
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, m_port);
        if (probe.waitForConnected(1000))
            return true;
    }
    fail(error, QStringLiteral("tinyproxy did not start on port %1: %2")
                        .arg(m_port)
                        .arg(QString::fromLocal8Bit(output.trimmed())));
    stop();
    return false;
}

void ProxyServer::stop()
{
    if (!m_proc)
        return;
    if (m_proc->state() != QProcess::NotRunning) {
        m_proc->kill();
        m_proc->waitForFinished(5000);
    }
    m_proc.reset();
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
