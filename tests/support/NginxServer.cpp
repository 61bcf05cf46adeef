#include "NginxServer.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>

namespace ferry::test {

namespace {

constexpr char kNginx[] = "/usr/sbin/nginx";
constexpr int kStartTimeoutMs = 10000;
constexpr int kPortAttempts = 5;

// Substituted for @PRIVATE@ when setBasicAuth() was called.
constexpr char kPrivateLocation[] = R"(        location /private/ {
            alias "@ROOT@/";
            auth_basic "ferry-test";
            auth_basic_user_file "@PREFIX@/htpasswd";
        }
)";

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

} // namespace

quint16 freeLoopbackPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = probe.serverPort();
    probe.close();
    return port;
}

NginxServer::NginxServer(const QString &wwwDir, const QString &prefixDir)
    : m_www(QDir(wwwDir).absolutePath()), m_prefix(prefixDir)
{
    if (m_prefix.isEmpty()) {
        m_tmp = std::make_unique<QTemporaryDir>();
        m_prefix = m_tmp->path();
    }
    m_prefix = QDir(m_prefix).absolutePath();
}

NginxServer::~NginxServer()
{
    stop();
}

void NginxServer::setSlowRate(const QByteArray &nginxRate)
{
    m_slowRate = nginxRate;
}

void NginxServer::setBasicAuth(const QString &user, const QString &password)
{
    m_authUser = user;
    m_authPassword = password;
    m_basicAuth = true;
}

bool NginxServer::start(QString *error)
{
    stop();
    if (m_tmp && !m_tmp->isValid())
        return fail(error, QStringLiteral("cannot create a temporary prefix dir"));
    QFile templFile(QStringLiteral(FERRY_NGINX_CONF_TEMPLATE));
    if (!templFile.open(QIODevice::ReadOnly))
        return fail(error, QStringLiteral("cannot read ") + templFile.fileName());
    const QByteArray templ = templFile.readAll();
    for (const char *sub : {"tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"}) {
        if (!QDir().mkpath(m_prefix + QLatin1Char('/') + QLatin1String(sub)))
            return fail(error, QStringLiteral("cannot create dirs in ") + m_prefix);
    }
    const QString htpasswdPath = m_prefix + QStringLiteral("/htpasswd");
    QFile::remove(htpasswdPath);
    if (m_basicAuth) {
        // nginx accepts the {PLAIN} scheme, so no crypt()/htpasswd tool is needed.
        // Owner-only, like a real password file (nginx runs as our user).
        const QByteArray line = m_authUser.toUtf8() + ":{PLAIN}" + m_authPassword.toUtf8() + "\n";
        QFile htpasswd(htpasswdPath);
        if (!htpasswd.open(QIODevice::WriteOnly | QIODevice::Truncate,
                           QFileDevice::ReadOwner | QFileDevice::WriteOwner)
            || htpasswd.write(line) != line.size())
            return fail(error, QStringLiteral("cannot write ") + htpasswdPath);
    }
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
        bool portInUse = false;
        if (startOnce(templ, error, &portInUse))
            return true;
        if (!portInUse)
            return false;
    }
    return false;
}

bool NginxServer::startOnce(const QByteArray &templ, QString *error, bool *portInUse)
{
    m_port = freeLoopbackPort();
    if (m_port == 0)
        return fail(error, QStringLiteral("no free port"));
    QByteArray conf = templ;
    // @PRIVATE@ first: its block contains @ROOT@ and @PREFIX@.
    conf.replace("@PRIVATE@", m_basicAuth ? QByteArray(kPrivateLocation) : QByteArray())
        .replace("@PORT@", QByteArray::number(m_port))
        .replace("@ROOT@", QFile::encodeName(m_www))
        .replace("@PREFIX@", QFile::encodeName(m_prefix))
        .replace("@SLOWRATE@", m_slowRate);
    const QString confPath = m_prefix + QStringLiteral("/nginx.conf");
    QFile confFile(confPath);
    if (!confFile.open(QIODevice::WriteOnly | QIODevice::Truncate) || confFile.write(conf) != conf.size())
        return fail(error, QStringLiteral("cannot write ") + confPath);
    confFile.close();

    // nginx writes its pid file only after binding the listen socket, so
    // "pid file holds our child's pid" + "connect works" means it is ours.
    const QString pidPath = m_prefix + QStringLiteral("/nginx.pid");
    QFile::remove(pidPath);

    m_proc = std::make_unique<QProcess>();
    m_proc->setProcessChannelMode(QProcess::MergedChannels);
    m_proc->start(QLatin1String(kNginx), {QStringLiteral("-p"), m_prefix + QLatin1Char('/'),
                                          QStringLiteral("-c"), confPath,
                                          QStringLiteral("-e"), QStringLiteral("stderr")});
    if (!m_proc->waitForStarted(kStartTimeoutMs)) {
        const QString message = QStringLiteral("cannot run nginx: ") + m_proc->errorString();
        m_proc.reset();
        return fail(error, message);
    }

    QByteArray output;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < kStartTimeoutMs) {
        const bool exited = m_proc->waitForFinished(50);
        output += m_proc->readAll();
        if (output.contains("Address already in use")) {
            *portInUse = true;
            break;
        }
        if (exited)
            break;
        QFile pidFile(pidPath);
        if (!pidFile.open(QIODevice::ReadOnly)
            || pidFile.readAll().trimmed().toLongLong() != m_proc->processId())
            continue;
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, m_port);
        if (probe.waitForConnected(1000))
            return true;
    }
    fail(error, QStringLiteral("nginx did not start on port %1: %2")
                        .arg(m_port)
                        .arg(QString::fromLocal8Bit(output.trimmed())));
    stop();
    return false;
}

void NginxServer::stop()
{
    if (!m_proc)
        return;
    if (m_proc->state() != QProcess::NotRunning) {
        m_proc->kill();
        m_proc->waitForFinished(5000);
    }
    m_proc.reset();
}

bool NginxServer::isRunning() const
{
    return m_proc && m_proc->state() == QProcess::Running;
}

quint16 NginxServer::port() const
{
    return m_port;
}

QUrl NginxServer::url(const QString &path) const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port) + path);
}

QString NginxServer::prefixDir() const
{
    return m_prefix;
}

QString NginxServer::accessLogPath() const
{
    return m_prefix + QStringLiteral("/access.log");
}

QList<NginxServer::LogEntry> NginxServer::accessLog() const
{
    QList<LogEntry> entries;
    QFile file(accessLogPath());
    if (!file.open(QIODevice::ReadOnly))
        return entries;
    const QList<QByteArray> lines = file.readAll().split('\n');
    for (const QByteArray &line : lines) {
        const QList<QByteArray> f = line.split('\t');
        if (f.size() != 4)
            continue;  // also skips a partially written last line
        LogEntry e;
        e.request = QString::fromUtf8(f[0]);
        QByteArray range = f[1];
        if (range.size() >= 2 && range.startsWith('"') && range.endsWith('"'))
            range = range.mid(1, range.size() - 2);
        e.range = range == "-" ? QString() : QString::fromUtf8(range);
        e.status = f[2].toInt();
        e.bytesSent = f[3].toLongLong();
        entries.append(e);
    }
    return entries;
}

} // namespace ferry::test
