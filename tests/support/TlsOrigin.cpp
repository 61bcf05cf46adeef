#include "TlsOrigin.h"

#include "TestContent.h"

#include <QFile>
#include <QProcess>
#include <QSslConfiguration>
#include <QSslServer>
#include <QSslSocket>
#include <QUrlQuery>

namespace ferry::test {

TlsOrigin::TlsOrigin(const QString &workDir, QObject *parent)
    : QObject(parent)
    , m_dir(workDir)
{
}

TlsOrigin::~TlsOrigin() = default;

bool TlsOrigin::start(QString *error)
{
    const QString certPath = m_dir + QStringLiteral("/cert.pem");
    const QString keyPath = m_dir + QStringLiteral("/key.pem");
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                   QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                   QStringLiteral("-keyout"), keyPath, QStringLiteral("-out"), certPath, QStringLiteral("-days"),
                   QStringLiteral("2"), QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"), QStringLiteral("-addext"),
                   QStringLiteral("subjectAltName=IP:127.0.0.1")});
    if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0) {
        *error = QStringLiteral("openssl req failed: ") + QString::fromLocal8Bit(openssl.readAllStandardError());
        return false;
    }
    QFile certFile(certPath), keyFile(keyPath);
    if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the generated certificate");
        return false;
    }
    m_certificate = QSslCertificate(certFile.readAll(), QSsl::Pem);
    m_key = QSslKey(keyFile.readAll(), QSsl::Ec, QSsl::Pem);
    if (m_certificate.isNull() || m_key.isNull()) {
        *error = QStringLiteral("the generated certificate or key does not load");
        return false;
    }
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setLocalCertificate(m_certificate);
    config.setPrivateKey(m_key);
    config.setPeerVerifyMode(QSslSocket::VerifyNone);
    m_server = new QSslServer(this);
    m_server->setSslConfiguration(config);
    connect(m_server, &QTcpServer::pendingConnectionAvailable, this, [this] {
        while (auto *socket = qobject_cast<QSslSocket *>(m_server->nextPendingConnection()))
            serve(socket);
    });
    if (!m_server->listen(QHostAddress::LocalHost, 0)) {
        *error = m_server->errorString();
        return false;
    }
    return true;
}

QUrl TlsOrigin::url(const QString &pathAndQuery) const
{
    return QUrl(QStringLiteral("https://127.0.0.1:%1%2").arg(m_server ? m_server->serverPort() : 0).arg(pathAndQuery));
}

void TlsOrigin::serve(QSslSocket *socket)
{
    connect(socket, &QSslSocket::disconnected, socket, &QObject::deleteLater);
    connect(socket, &QSslSocket::readyRead, this, [this, socket] {
        if (socket->property("answered").toBool())
            return;
        const QByteArray head = socket->peek(64 * 1024);
        if (!head.contains("\r\n\r\n"))
            return;
        socket->setProperty("answered", true);
        ++m_requests;
        const QUrl target(QStringLiteral("https://x") + QString::fromLatin1(head.split(' ').value(1)));
        const QUrlQuery query(target);
        QByteArray response;
        if (target.path() == QLatin1String("/file")) {
            const qint64 size = query.queryItemValue(QStringLiteral("size")).toLongLong();
            const quint32 seed = query.queryItemValue(QStringLiteral("seed")).toUInt();
            response = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n"
                       "Content-Length: " + QByteArray::number(size) + "\r\n\r\n" + TestContent::bytes(seed, 0, size);
        } else if (target.path() == QLatin1String("/to")) {
            response = "HTTP/1.1 302 Found\r\nContent-Length: 0\r\nConnection: close\r\nLocation: "
                       + query.queryItemValue(QStringLiteral("url"), QUrl::FullyDecoded).toLatin1() + "\r\n\r\n";
        } else {
            response = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        }
        socket->write(response);
        socket->disconnectFromHost();
    });
}

} // namespace ferry::test
