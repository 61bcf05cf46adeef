#include "NginxServer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>

namespace ferry::test {

namespace {

constexpr char kNginx[] = "/usr/sbin/nginx";

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

void NginxServer::setListenAddress(const QHostAddress &address)
{
    m_address = address;
}

void NginxServer::setTls(const QString &certificatePath, const QString &keyPath)
{
    m_tlsCertificate = certificatePath;
    m_tlsKey = keyPath;
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
    ChildServerLaunch launch;
    launch.name = QStringLiteral("nginx");
    launch.program = QLatin1String(kNginx);
    const QString confPath = m_prefix + QStringLiteral("/nginx.conf");
    launch.arguments = {QStringLiteral("-p"), m_prefix + QLatin1Char('/'), QStringLiteral("-c"), confPath,
                        QStringLiteral("-e"), QStringLiteral("stderr")};
    launch.configure = [&](quint16 port, QString *configureError) {
        QByteArray conf = templ;
        // @PRIVATE@ first: its block contains @ROOT@ and @PREFIX@.
        conf.replace("@PRIVATE@", m_basicAuth ? QByteArray(kPrivateLocation) : QByteArray())
            .replace("@PORT@", QByteArray::number(port))
            .replace("@ADDRESS@", m_address.toString().toLatin1())
            .replace("@ROOT@", QFile::encodeName(m_www))
            .replace("@PREFIX@", QFile::encodeName(m_prefix))
            .replace("@SLOWRATE@", m_slowRate)
            .replace("@LISTEN_TLS@", m_tlsCertificate.isEmpty() ? QByteArray() : QByteArray(" ssl http2"))
            .replace("@TLS@", m_tlsCertificate.isEmpty() ? QByteArray()
                                                         : "        ssl_certificate \"" + QFile::encodeName(m_tlsCertificate)
                                                               + "\";\n        ssl_certificate_key \"" + QFile::encodeName(m_tlsKey) + "\";\n");
        QFile confFile(confPath);
        if (!confFile.open(QIODevice::WriteOnly | QIODevice::Truncate) || confFile.write(conf) != conf.size())
            return fail(configureError, QStringLiteral("cannot write ") + confPath);
        return true;
    };
    // nginx writes its pid file only after binding the listen socket.
    launch.pidFile = m_prefix + QStringLiteral("/nginx.pid");
    launch.portClash = "Address already in use";
    launch.address = m_address;
    return startChildServer(launch, &m_proc, &m_port, error);
}

void NginxServer::stop()
{
    stopChildServer(&m_proc);
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
    return QUrl(QStringLiteral("%1://%2:%3").arg(m_tlsCertificate.isEmpty() ? QStringLiteral("http") : QStringLiteral("https"))
                    .arg(m_address.toString())
                    .arg(m_port)
                + path);
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
