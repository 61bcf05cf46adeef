#pragma once

#include "ChildServer.h"   // freeLoopbackPort(), which tests reach through this header

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QString>
#include <QUrl>

#include <memory>

class QProcess;
class QTemporaryDir;

namespace ferry::test {

// A private nginx (/usr/sbin/nginx) child process on a free loopback port.
// Serves wwwDir at / and the same directory rate-limited under /slow/; with
// setBasicAuth() also under /private/ behind HTTP Basic (realm "ferry-test").
// Not thread-safe; use it from the thread that created it.
class NginxServer
{
public:
    struct LogEntry
    {
        QString request;  // e.g. "GET /a.bin HTTP/1.1"
        QString range;    // Range request header, empty if none
        int status = 0;
        qint64 bytesSent = 0;  // $body_bytes_sent
    };

    // prefixDir: where nginx.conf, logs and temp dirs go; a private
    // QTemporaryDir is used if empty.
    explicit NginxServer(const QString &wwwDir, const QString &prefixDir = QString());
    ~NginxServer();
    NginxServer(const NginxServer &) = delete;
    NginxServer &operator=(const NginxServer &) = delete;

    void setSlowRate(const QByteArray &nginxRate);  // e.g. "512k"; before start()
    // Before start(): listen on this address instead of 127.0.0.1 (a veth address, say).
    void setListenAddress(const QHostAddress &address);
    // Before start(): serve wwwDir under /private/ too, only to these credentials
    // (without this call /private/ does not exist: 404). No ':' in user.
    void setBasicAuth(const QString &user, const QString &password);
    // Before start(): HTTPS with this PEM certificate and key, HTTP/2 offered by ALPN; url()
    // then gives https URLs.
    void setTls(const QString &certificatePath, const QString &keyPath);
    bool start(QString *error = nullptr);  // true once nginx accepts connections
    void stop();                           // also done by the destructor
    bool isRunning() const;

    quint16 port() const;
    QUrl url(const QString &path) const;  // "http://ADDRESS:PORT" + path (127.0.0.1 by default)
    QString prefixDir() const;
    QString accessLogPath() const;
    // nginx writes a line when a request completes, which can be a moment
    // after the client saw the response: poll (QTRY_*) when asserting.
    QList<LogEntry> accessLog() const;

private:
    QString m_www;
    QString m_prefix;
    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<QProcess> m_proc;
    QByteArray m_slowRate = "1m";
    QHostAddress m_address = QHostAddress(QHostAddress::LocalHost);
    QString m_authUser, m_authPassword;
    QString m_tlsCertificate, m_tlsKey;
    bool m_basicAuth = false;
    quint16 m_port = 0;
};

} // namespace ferry::test
