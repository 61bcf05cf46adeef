#pragma once

#include <QNetworkProxy>
#include <QString>

#include <memory>

class QProcess;
class QTemporaryDir;

namespace ferry::test {

// A private forward HTTP proxy: tinyproxy (/usr/bin/tinyproxy -d -c <conf>) as a
// child process on a free 127.0.0.1 port, config, log and pid file in a private
// QTemporaryDir. Not thread-safe; use it from the thread that created it.
//
// What tinyproxy 1.11 does (verified with 1.11.1, Debian bookworm):
// - As root without User/Group lines it runs on as root and only logs "You SHOULD
//   set a UserName". With User/Group it would drop privileges after binding and
//   writing the PidFile but before opening the LogFile, so the log dir (our 0700
//   temporary dir) would have to be writable by that user; hence no User/Group.
// - Forwarded requests reach the origin in origin form ("GET /path?q HTTP/1.1")
//   with "Connection: close" and "Via: 1.1 <hostname> (tinyproxy/1.11.1)" added
//   (a FaultServer test can tell proxied from direct requests by that header) and
//   Proxy-Authorization removed. The client gets an HTTP/1.0 response and the
//   connection is closed after it.
// - setBasicAuth(): no Proxy-Authorization gives 407 + Proxy-Authenticate: Basic
//   realm="Tinyproxy"; a WRONG one gives 401 + WWW-Authenticate (tinyproxy quirk),
//   which QNetworkAccessManager reports through authenticationRequired /
//   AuthenticationRequiredError, not as a proxy error.
//
// Qt and loopback (Qt 6.4, verified in tst_testsupport::proxyLoopbackRules):
// the application-wide proxy (QNetworkProxy::setApplicationProxy, and
// QNetworkProxyFactory::setApplicationProxyFactory) is NEVER used for "localhost",
// "localhost.*" or a loopback IP literal such as 127.0.0.1: QGlobalNetworkProxy
// answers NoProxy for them, so such requests silently go direct. A proxy set on
// the QNetworkAccessManager itself (QNAM::setProxy, or QNAM::setProxyFactory with
// a factory that returns it) is used for loopback URLs too. So engine tests must
// hand the proxy to the engine's QNAM (setProxy / own factory), not rely on the
// application proxy, or the "proxied" download bypasses tinyproxy unnoticed.
class ProxyServer
{
public:
    ProxyServer();
    ~ProxyServer();  // stops the process
    ProxyServer(const ProxyServer &) = delete;
    ProxyServer &operator=(const ProxyServer &) = delete;

    // Before start(): require these proxy credentials (tinyproxy BasicAuth).
    // tinyproxy's config grammar limits both to [-A-Za-z0-9._]+.
    void setBasicAuth(const QString &user, const QString &password);
    bool start(QString *error = nullptr);  // true once tinyproxy accepts connections
    void stop();                           // also done by the destructor
    bool isRunning() const;

    quint16 port() const;
    QString host() const;  // "127.0.0.1"
    // HttpProxy at host():port(), without credentials (answer
    // proxyAuthenticationRequired, or set them on a copy).
    QNetworkProxy networkProxy() const;
    QString logPath() const;

    // How many requests tinyproxy forwarded (connected upstream and relayed) whose
    // request URL, as logged ("GET http://127.0.0.1:PORT/path?q HTTP/1.1"),
    // contains urlSubstring. Requests refused with 401/407 do not count. tinyproxy
    // logs the end of the relay a moment after the client saw the response: poll
    // (QTRY_*) when asserting.
    int requestsFor(const QString &urlSubstring) const;

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_proc;
    QString m_authUser, m_authPassword;
    quint16 m_port = 0;
};

} // namespace ferry::test
