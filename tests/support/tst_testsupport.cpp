// Self-test for the test-support library (FaultServer, NginxServer, ProxyServer, TestContent).
#include "FaultServer.h"
#include "NginxServer.h"
#include "ProxyServer.h"
#include "TestContent.h"

#include <QAuthenticator>
#include <QCryptographicHash>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QtTest>

#include <memory>

using namespace ferry::test;

namespace {

using RawHeaders = QList<std::pair<QByteArray, QByteArray>>;

struct Fetch
{
    bool finished = false;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    int status = 0;
    QByteArray body;
    QHash<QByteArray, QByteArray> headers;  // lower-case names
};

// Synchronous GET with a private event loop.
Fetch fetch(QNetworkAccessManager &nam, const QUrl &url, const RawHeaders &headers = {},
            int timeoutMs = 10000)
{
    QNetworkRequest request(url);
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    std::unique_ptr<QNetworkReply> reply(nam.get(request));
    QEventLoop loop;
    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    Fetch f;
    f.finished = reply->isFinished();
    f.error = reply->error();
    f.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    f.body = reply->readAll();
    for (const auto &[name, value] : reply->rawHeaderPairs())
        f.headers[name.toLower()] = value;
    if (!f.finished)
        reply->abort();
    return f;
}

// Synchronous HEAD: status and headers (lower-case names), and whatever body arrived (none).
Fetch headOf(QNetworkAccessManager &nam, const QUrl &url, int timeoutMs = 10000)
{
    std::unique_ptr<QNetworkReply> reply(nam.head(QNetworkRequest(url)));
    QEventLoop loop;
    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    Fetch f;
    f.finished = reply->isFinished();
    f.error = reply->error();
    f.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    f.body = reply->readAll();
    for (const auto &[name, value] : reply->rawHeaderPairs())
        f.headers[name.toLower()] = value;
    if (!f.finished)
        reply->abort();
    return f;
}

QByteArray range(qint64 from, qint64 to = -1)
{
    return "bytes=" + QByteArray::number(from) + "-" + (to < 0 ? QByteArray() : QByteArray::number(to));
}

QByteArray basic(const QByteArray &user, const QByteArray &password)
{
    return "Basic " + (user + ':' + password).toBase64();
}

// Answers every authenticationRequired of nam with these credentials; counts the calls.
void answerAuth(QNetworkAccessManager &nam, const QString &user, const QString &password, int *asked)
{
    QObject::connect(&nam, &QNetworkAccessManager::authenticationRequired, &nam,
                     [=](QNetworkReply *, QAuthenticator *auth) {
                         ++*asked;
                         auth->setUser(user);
                         auth->setPassword(password);
                     });
}

// curl as an independent client: no ~/.curlrc, no proxy from the environment.
// Returns stdout, or "exit N: stderr" if curl failed.
QByteArray curl(const QStringList &args)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"})
        env.remove(QLatin1String(name));
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(QStringLiteral("curl"), QStringList{QStringLiteral("-q"), QStringLiteral("-s")} + args);
    if (!process.waitForFinished(10000)) {
        process.kill();
        process.waitForFinished();
        return "curl timed out";
    }
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        return "exit " + QByteArray::number(process.exitCode()) + ": " + process.readAllStandardError();
    return process.readAllStandardOutput();
}

// A factory that always answers with one proxy (QNAM::setProxyFactory).
class FixedProxyFactory : public QNetworkProxyFactory
{
public:
    explicit FixedProxyFactory(const QNetworkProxy &proxy) : m_proxy(proxy) {}
    QList<QNetworkProxy> queryProxy(const QNetworkProxyQuery &) override { return {m_proxy}; }

private:
    QNetworkProxy m_proxy;
};

} // namespace

class TestSupport : public QObject
{
    Q_OBJECT

private slots:
    void content();
    void fileAndRange();
    void largeFileStreams();
    void dropThenResume();
    void etagChange();
    void retry503();
    void norange();
    void redirects();
    void statusCodes();
    void noLengthAndChunked();
    void trickle();
    void servesWhileMainThreadBlocked();
    void originDigestAndCacheControl();
    void nginx();
    void nginxBasicAuth();
    void digestAuth();
    void basicAuth();
    void proxyForwards();
    void proxyBasicAuth();
    void proxyLoopbackRules();

private:
    FaultServer m_server;
    QNetworkAccessManager m_nam;
};

void TestSupport::content()
{
    const QByteArray all = TestContent::bytes(5, 0, 10000);
    QCOMPARE(all.size(), 10000);
    QCOMPARE(TestContent::bytes(5, 0, 10000), all);
    QCOMPARE(TestContent::bytes(5, 1234, 777), all.mid(1234, 777));
    QVERIFY(TestContent::bytes(6, 0, 10000) != all);
    QVERIFY(all.mid(0, 4096) != all.mid(4096, 4096));
    QCOMPARE(TestContent::sha256Hex(5, 10000),
             QCryptographicHash::hash(all, QCryptographicHash::Sha256).toHex());
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("f.bin"));
    QVERIFY(TestContent::writeFile(path, 5, 10000));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), all);
}

void TestSupport::fileAndRange()
{
    const qint64 size = 300000;
    const QString path = QStringLiteral("/file?size=%1&seed=3").arg(size);
    Fetch f = fetch(m_nam, m_server.url(path));
    QCOMPARE(f.error, QNetworkReply::NoError);
    QCOMPARE(f.status, 200);
    QCOMPARE(f.body, TestContent::bytes(3, 0, size));
    QCOMPARE(f.headers.value("accept-ranges"), QByteArray("bytes"));
    const QByteArray etag = f.headers.value("etag");
    QVERIFY(etag.startsWith('"'));
    QVERIFY(!f.headers.value("last-modified").isEmpty());

    f = fetch(m_nam, m_server.url(path), {{"Range", range(1000, 2999)}, {"If-Range", etag}});
    QCOMPARE(f.status, 206);
    QCOMPARE(f.body, TestContent::bytes(3, 1000, 2000));
    QCOMPARE(f.headers.value("content-range"), QByteArray("bytes 1000-2999/300000"));

    f = fetch(m_nam, m_server.url(path), {{"Range", range(size)}});
    QCOMPARE(f.status, 416);
    QCOMPARE(f.headers.value("content-range"), QByteArray("bytes */300000"));

    const QList<FaultServer::Request> reqs = m_server.requests();
    QCOMPARE(reqs.size(), 3);
    QCOMPARE(reqs[0].method, QByteArray("GET"));
    QCOMPARE(reqs[0].path, path.toLatin1());
    QCOMPARE(reqs[0].bodyBytesSent, size);
    QCOMPARE(reqs[1].rangeHeader, range(1000, 2999));
    QCOMPARE(reqs[1].ifRangeHeader, etag);
    QCOMPARE(reqs[1].status, 206);
    QCOMPARE(reqs[2].status, 416);
    QCOMPARE(m_server.requestCount("/file"), 3);
    m_server.clear();
    QCOMPARE(m_server.requests().size(), 0);
}

void TestSupport::largeFileStreams()
{
    const qint64 size = 64 << 20;
    QNetworkReply *reply = m_nam.get(QNetworkRequest(m_server.url(QStringLiteral("/file?size=%1&seed=9").arg(size))));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    qint64 received = 0;
    connect(reply, &QNetworkReply::readyRead, reply, [&] {
        const QByteArray data = reply->readAll();
        received += data.size();
        hash.addData(data);
    });
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 20000);
    const QByteArray rest = reply->readAll();
    received += rest.size();
    hash.addData(rest);
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    QCOMPARE(received, size);
    QCOMPARE(hash.result().toHex(), TestContent::sha256Hex(9, size));
    delete reply;
}

void TestSupport::dropThenResume()
{
    const qint64 size = 500000, after = 123456;
    const QUrl url = m_server.url(QStringLiteral("/drop?size=%1&seed=4&after=%2").arg(size).arg(after));
    const int before = m_server.requestCount("/drop");
    Fetch first = fetch(m_nam, url);
    QVERIFY(first.finished);
    // The drop is the short body against the announced length. (Qt 6.4 usually reports the
    // aborted connection as an error, but now and then as success: Ferry's Transfer checks the
    // length itself, and so does this test.)
    QCOMPARE(first.body.size(), after);
    QCOMPARE(first.headers.value("content-length"), QByteArray::number(size));

    Fetch second = fetch(m_nam, url, {{"Range", range(after)}});
    QCOMPARE(second.status, 206);
    QCOMPARE(first.body + second.body, TestContent::bytes(4, 0, size));
    // Two requests, or three when Qt sent the ranged one on the connection the server had just
    // dropped and retried it on a new one (seen under load): the server must not misbehave twice.
    const int requests = m_server.requestCount("/drop") - before;
    QVERIFY2(requests == 2 || requests == 3, qPrintable(QString::number(requests)));
    QCOMPARE(m_server.requests().constLast().bodyBytesSent, size - after);
}

void TestSupport::etagChange()
{
    const qint64 size = 200000, after = 50000;
    const QUrl url = m_server.url(QStringLiteral("/etag-change?size=%1&seed=2&after=%2").arg(size).arg(after));
    Fetch first = fetch(m_nam, url);
    // The drop shows as the short body (Qt 6.4 may report the abort as success; see dropThenResume).
    QCOMPARE(first.headers.value("etag"), QByteArray("\"v1\""));
    QCOMPARE(first.body, TestContent::bytes(2, 0, after));

    Fetch second = fetch(m_nam, url, {{"Range", range(after)}, {"If-Range", "\"v1\""}});
    QCOMPARE(second.status, 200);
    QCOMPARE(second.headers.value("etag"), QByteArray("\"v2\""));
    QVERIFY(second.headers.value("last-modified") != first.headers.value("last-modified"));
    QCOMPARE(second.body, TestContent::bytes(1002, 0, size));

    Fetch third = fetch(m_nam, url, {{"Range", range(after)}, {"If-Range", "\"v2\""}});
    QCOMPARE(third.status, 206);
    QCOMPARE(third.body, TestContent::bytes(1002, after, size - after));
}

void TestSupport::retry503()
{
    const QUrl url = m_server.url(QStringLiteral("/retry503?size=1000&seed=8&times=2&after=3"));
    for (int i = 0; i < 2; ++i) {
        Fetch f = fetch(m_nam, url);
        QCOMPARE(f.status, 503);
        QCOMPARE(f.headers.value("retry-after"), QByteArray("3"));
    }
    Fetch f = fetch(m_nam, url);
    QCOMPARE(f.status, 200);
    QCOMPARE(f.body, TestContent::bytes(8, 0, 1000));
}

void TestSupport::norange()
{
    const qint64 size = 100000;
    const QUrl url = m_server.url(QStringLiteral("/norange?size=%1&after=1000").arg(size));
    Fetch first = fetch(m_nam, url);
    // The drop shows as the short body (Qt 6.4 may report the abort as success; see dropThenResume).
    QCOMPARE(first.body.size(), 1000);
    QVERIFY(!first.headers.contains("accept-ranges"));
    QVERIFY(!first.headers.value("etag").isEmpty());
    Fetch second = fetch(m_nam, url, {{"Range", range(1000)}});
    QCOMPARE(second.status, 200);
    QCOMPARE(second.body, TestContent::bytes(1, 0, size));
}

void TestSupport::redirects()
{
    Fetch f = fetch(m_nam, m_server.url(QStringLiteral("/loop")));
    QCOMPARE(f.error, QNetworkReply::TooManyRedirectsError);
    f = fetch(m_nam, m_server.url(QStringLiteral("/redirect?to=%2Ffile%3Fsize%3D100%26seed%3D6")));
    QCOMPARE(f.status, 200);
    QCOMPARE(f.body, TestContent::bytes(6, 0, 100));
}

void TestSupport::statusCodes()
{
    Fetch f = fetch(m_nam, m_server.url(QStringLiteral("/status?code=404")));
    QCOMPARE(f.status, 404);
    QCOMPARE(f.error, QNetworkReply::ContentNotFoundError);
    f = fetch(m_nam, m_server.url(QStringLiteral("/status?code=500")));
    QCOMPARE(f.status, 500);
    f = fetch(m_nam, m_server.url(QStringLiteral("/no-such-scenario")));
    QCOMPARE(f.status, 404);
    f = fetch(m_nam, m_server.url(QStringLiteral("/file")));  // defaults: 1 MiB, seed 1
    QCOMPARE(f.status, 200);
    QCOMPARE(f.body, TestContent::bytes(1, 0, 1 << 20));
}

void TestSupport::noLengthAndChunked()
{
    const qint64 size = 700000;
    Fetch f = fetch(m_nam, m_server.url(QStringLiteral("/nolength?size=%1&seed=11").arg(size)));
    QCOMPARE(f.error, QNetworkReply::NoError);
    QVERIFY(!f.headers.contains("content-length"));
    QCOMPARE(f.body, TestContent::bytes(11, 0, size));
    f = fetch(m_nam, m_server.url(QStringLiteral("/chunked?size=%1&seed=12").arg(size)));
    QCOMPARE(f.error, QNetworkReply::NoError);
    QCOMPARE(f.headers.value("transfer-encoding"), QByteArray("chunked"));
    QCOMPARE(f.body, TestContent::bytes(12, 0, size));
}

void TestSupport::trickle()
{
    QElapsedTimer timer;
    timer.start();
    Fetch f = fetch(m_nam, m_server.url(QStringLiteral("/trickle?size=8000&seed=13&chunk=1000&interval=25")));
    QCOMPARE(f.error, QNetworkReply::NoError);
    QCOMPARE(f.body, TestContent::bytes(13, 0, 8000));
    QVERIFY2(timer.elapsed() >= 150, qPrintable(QString::number(timer.elapsed())));
}

// The peer cache's origin facts: Repr-Digest of the whole payload on 200, 206 and HEAD, only
// the requested algorithm, a wrong one on request; Cache-Control on request; validators always.
void TestSupport::originDigestAndCacheControl()
{
    const qint64 size = 300000;
    const QByteArray payload = TestContent::bytes(21, 0, size);
    const QByteArray sha256 = "sha-256=:" + QCryptographicHash::hash(payload, QCryptographicHash::Sha256).toBase64() + ":";
    const QByteArray sha512 = "sha-512=:" + QCryptographicHash::hash(payload, QCryptographicHash::Sha512).toBase64() + ":";
    const auto url = [&](const char *extra) {
        return m_server.url(QStringLiteral("/file?size=%1&seed=21").arg(size) + QLatin1String(extra));
    };

    Fetch f = fetch(m_nam, url("&digest=sha256"));
    QCOMPARE(f.status, 200);
    QCOMPARE(f.body, payload);
    QCOMPARE(f.headers.value("repr-digest"), sha256);
    QCOMPARE(f.headers.value("etag"), QByteArray("\"f21-300000\""));
    QVERIFY(!f.headers.value("last-modified").isEmpty());
    QVERIFY(!f.headers.contains("cache-control"));

    f = fetch(m_nam, url("&digest=sha256"), {{"Range", range(1000, 1999)}});
    QCOMPARE(f.status, 206);
    QCOMPARE(f.body, payload.mid(1000, 1000));
    QCOMPARE(f.headers.value("repr-digest"), sha256); // of the representation, not the part

    f = headOf(m_nam, url("&digest=sha256"));
    QCOMPARE(f.error, QNetworkReply::NoError);
    QCOMPARE(f.status, 200);
    QVERIFY(f.body.isEmpty());
    QCOMPARE(f.headers.value("content-length"), QByteArray::number(size));
    QCOMPARE(f.headers.value("repr-digest"), sha256);
    QCOMPARE(f.headers.value("etag"), QByteArray("\"f21-300000\""));
    QVERIFY(!f.headers.value("last-modified").isEmpty());
    QCOMPARE(f.headers.value("accept-ranges"), QByteArray("bytes"));
    QCOMPARE(m_server.requests().constLast().method, QByteArray("HEAD"));
    QCOMPARE(m_server.requests().constLast().bodyBytesSent, 0);

    f = headOf(m_nam, url("&digest=sha512"));
    QCOMPARE(f.status, 200);
    QCOMPARE(f.headers.value("repr-digest"), sha512);
    f = fetch(m_nam, url("&digest=sha512"));
    QCOMPARE(f.headers.value("repr-digest"), sha512);
    QCOMPARE(f.body, payload);

    f = fetch(m_nam, url("&digest=wrong"));
    QCOMPARE(f.body, payload);
    const QByteArray wrong = f.headers.value("repr-digest");
    QVERIFY(wrong.startsWith("sha-256=:"));
    QVERIFY(wrong != sha256);
    QCOMPARE(wrong, "sha-256=:" + QCryptographicHash::hash(TestContent::bytes(22, 0, size), QCryptographicHash::Sha256).toBase64() + ":");

    f = headOf(m_nam, url(""));
    QVERIFY(!f.headers.contains("repr-digest"));

    f = fetch(m_nam, url("&cc=no-store"));
    QCOMPARE(f.headers.value("cache-control"), QByteArray("no-store"));
    QCOMPARE(f.body, payload);
    f = headOf(m_nam, url("&cc=private%2C%20max-age%3D60&digest=sha256"));
    QCOMPARE(f.headers.value("cache-control"), QByteArray("private, max-age=60"));
    QCOMPARE(f.headers.value("repr-digest"), sha256);

    // Through an auth prefix, as the scenario behind it.
    m_server.setDigestCredentials("alice", "secret");
    f = headOf(m_nam, m_server.url(QStringLiteral("/basic/file?size=%1&seed=21&digest=sha256").arg(size)));
    QCOMPARE(f.status, 401);
    f = fetch(m_nam, m_server.url(QStringLiteral("/basic/file?size=%1&seed=21&digest=sha256").arg(size)),
              {{"Authorization", basic("alice", "secret")}});
    QCOMPARE(f.status, 200);
    QCOMPARE(f.headers.value("repr-digest"), sha256);
    m_server.clear();
}

void TestSupport::servesWhileMainThreadBlocked()
{
    Fetch result;
    const QUrl url = m_server.url(QStringLiteral("/file?size=2000000&seed=14"));
    std::unique_ptr<QThread> client(QThread::create([&] {
        QNetworkAccessManager nam;
        result = fetch(nam, url);
    }));
    client->start();
    QThread::msleep(300);  // main thread busy: no event processing here
    QVERIFY(client->wait(10000));
    QCOMPARE(result.status, 200);
    QCOMPARE(result.body, TestContent::bytes(14, 0, 2000000));
}

void TestSupport::nginx()
{
    QTemporaryDir www;
    const qint64 size = 3 << 20;
    QVERIFY(TestContent::writeFile(www.filePath(QStringLiteral("data.bin")), 42, size));
    QVERIFY(TestContent::writeFile(www.filePath(QStringLiteral("small.bin")), 43, 100000));
    NginxServer nginx(www.path());
    nginx.setSlowRate("2m");
    QString error;
    QVERIFY2(nginx.start(&error), qPrintable(error));
    QVERIFY(nginx.isRunning());

    Fetch f = fetch(m_nam, nginx.url(QStringLiteral("/data.bin")));
    QCOMPARE(f.status, 200);
    QCOMPARE(QCryptographicHash::hash(f.body, QCryptographicHash::Sha256).toHex(),
             TestContent::sha256Hex(42, size));
    QVERIFY(!f.headers.value("etag").isEmpty());

    f = fetch(m_nam, nginx.url(QStringLiteral("/data.bin")),
              {{"Range", range(1000, 1999)}, {"If-Range", f.headers.value("etag")}});
    QCOMPARE(f.status, 206);
    QCOMPARE(f.body, TestContent::bytes(42, 1000, 1000));

    f = fetch(m_nam, nginx.url(QStringLiteral("/slow/small.bin")));
    QCOMPARE(f.status, 200);
    QCOMPARE(f.body, TestContent::bytes(43, 0, 100000));

    QTRY_COMPARE(nginx.accessLog().size(), 3);
    const QList<NginxServer::LogEntry> log = nginx.accessLog();
    QCOMPARE(log[0].request, QStringLiteral("GET /data.bin HTTP/1.1"));
    QCOMPARE(log[0].range, QString());
    QCOMPARE(log[0].status, 200);
    QCOMPARE(log[0].bytesSent, size);
    QCOMPARE(log[1].range, QStringLiteral("bytes=1000-1999"));
    QCOMPARE(log[1].status, 206);
    QCOMPARE(log[1].bytesSent, 1000);
    QCOMPARE(log[2].request, QStringLiteral("GET /slow/small.bin HTTP/1.1"));

    // Without setBasicAuth() there is no /private/ location.
    f = fetch(m_nam, nginx.url(QStringLiteral("/private/small.bin")));
    QCOMPARE(f.status, 404);

    nginx.stop();
    QVERIFY(!nginx.isRunning());
}

void TestSupport::nginxBasicAuth()
{
    QTemporaryDir www;
    const qint64 size = 200000;
    QVERIFY(TestContent::writeFile(www.filePath(QStringLiteral("secret.bin")), 44, size));
    NginxServer nginx(www.path());
    nginx.setBasicAuth(QStringLiteral("ferry"), QStringLiteral("ngx-pw"));
    QString error;
    QVERIFY2(nginx.start(&error), qPrintable(error));
    const QFile::Permissions perms = QFile::permissions(nginx.prefixDir() + QStringLiteral("/htpasswd"));
    QVERIFY(perms & QFile::ReadOwner);
    QVERIFY(!(perms & (QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther | QFile::WriteOther)));
    const QUrl url = nginx.url(QStringLiteral("/private/secret.bin"));

    QNetworkAccessManager plain;  // fresh managers: QNAM caches credentials
    Fetch f = fetch(plain, url);
    QCOMPARE(f.status, 401);
    QCOMPARE(f.error, QNetworkReply::AuthenticationRequiredError);
    QCOMPARE(f.headers.value("www-authenticate"), QByteArray("Basic realm=\"ferry-test\""));
    f = fetch(plain, url, {{"Authorization", basic("ferry", "wrong")}});
    QCOMPARE(f.status, 401);

    QNetworkAccessManager nam;
    int asked = 0;
    answerAuth(nam, QStringLiteral("ferry"), QStringLiteral("ngx-pw"), &asked);
    f = fetch(nam, url);
    QCOMPARE(f.error, QNetworkReply::NoError);
    QCOMPARE(f.status, 200);
    QCOMPARE(asked, 1);
    QCOMPARE(f.body, TestContent::bytes(44, 0, size));
    f = fetch(plain, url, {{"Authorization", basic("ferry", "ngx-pw")}, {"Range", range(100, 199)}});
    QCOMPARE(f.status, 206);
    QCOMPARE(f.body, TestContent::bytes(44, 100, 100));

    // The rest is unchanged: / needs no credentials.
    f = fetch(plain, nginx.url(QStringLiteral("/secret.bin")));
    QCOMPARE(f.status, 200);
    QCOMPARE(f.body.size(), size);
}

void TestSupport::digestAuth()
{
    FaultServer server;  // own instance: credentials are per server
    server.setDigestCredentials("dave", "d1gest-pw");
    const qint64 size = 300000;
    const QUrl url = server.url(QStringLiteral("/digest/file?size=%1&seed=31").arg(size));

    QNetworkAccessManager plain;
    Fetch f = fetch(plain, url);
    QCOMPARE(f.status, 401);
    QCOMPARE(f.error, QNetworkReply::AuthenticationRequiredError);
    const QByteArray challenge = f.headers.value("www-authenticate");
    QVERIFY2(challenge.startsWith("Digest realm=\"ferry-digest\", qop=\"auth\", nonce=\""), challenge);
    QVERIFY2(challenge.contains("opaque=\"") && challenge.endsWith(", algorithm=MD5"), challenge);

    QNetworkAccessManager nam;
    int asked = 0;
    QString realm;
    answerAuth(nam, QStringLiteral("dave"), QStringLiteral("d1gest-pw"), &asked);
    connect(&nam, &QNetworkAccessManager::authenticationRequired, this,
            [&](QNetworkReply *, QAuthenticator *auth) { realm = auth->realm(); });
    server.clear();
    f = fetch(nam, url);
    QCOMPARE(f.error, QNetworkReply::NoError);
    QCOMPARE(f.status, 200);
    QCOMPARE(asked, 1);
    QCOMPARE(realm, QStringLiteral("ferry-digest"));
    QCOMPARE(f.body, TestContent::bytes(31, 0, size));
    QCOMPARE(f.headers.value("accept-ranges"), QByteArray("bytes"));
    const QByteArray etag = f.headers.value("etag");
    QVERIFY(!etag.isEmpty());
    QList<FaultServer::Request> reqs = server.requests();
    QCOMPARE(reqs.size(), 2);
    QCOMPARE(reqs[0].status, 401);
    QVERIFY(!reqs[0].headers.contains("authorization"));
    QCOMPARE(reqs[1].status, 200);
    QVERIFY2(reqs[1].headers.value("authorization").startsWith("Digest username=\"dave\""),
             reqs[1].headers.value("authorization"));

    // Served like /file: Range + If-Range.
    f = fetch(nam, url, {{"Range", range(1000, 1999)}, {"If-Range", etag}});
    QCOMPARE(f.status, 206);
    QCOMPARE(f.body, TestContent::bytes(31, 1000, 1000));

    // Wrong password: Qt asks again, gets the same answer and gives up.
    QNetworkAccessManager wrong;
    int wrongAsked = 0;
    answerAuth(wrong, QStringLiteral("dave"), QStringLiteral("nope"), &wrongAsked);
    f = fetch(wrong, url);
    QCOMPARE(f.error, QNetworkReply::AuthenticationRequiredError);
    QCOMPARE(f.status, 401);
    QVERIFY(wrongAsked >= 1);

    // A second, independent implementation agrees.
    const QString smallUrl = server.url(QStringLiteral("/digest/file?size=5000&seed=32")).toString();
    QCOMPARE(curl({QStringLiteral("--digest"), QStringLiteral("-u"), QStringLiteral("dave:d1gest-pw"), smallUrl}),
             TestContent::bytes(32, 0, 5000));
    QCOMPARE(curl({QStringLiteral("--digest"), QStringLiteral("-u"), QStringLiteral("dave:nope"),
                   QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-w"),
                   QStringLiteral("%{http_code}"), smallUrl}),
             QByteArray("401"));
}

void TestSupport::basicAuth()
{
    FaultServer server;
    const QUrl url = server.url(QStringLiteral("/basic/file?size=5000&seed=33"));
    Fetch f = fetch(m_nam, url, {{"Authorization", basic("", "")}});
    QCOMPARE(f.status, 401);  // no credentials configured: nothing passes

    server.setDigestCredentials("bob", "b4sic-pw", "ferry-basic");
    QNetworkAccessManager plain;
    f = fetch(plain, url);
    QCOMPARE(f.status, 401);
    QCOMPARE(f.headers.value("www-authenticate"), QByteArray("Basic realm=\"ferry-basic\""));
    f = fetch(plain, url, {{"Authorization", basic("bob", "wrong")}});
    QCOMPARE(f.status, 401);
    f = fetch(plain, url, {{"Authorization", basic("bob", "b4sic-pw")}});
    QCOMPARE(f.status, 200);
    QCOMPARE(f.body, TestContent::bytes(33, 0, 5000));
    QCOMPARE(server.requests().constLast().headers.value("authorization"), basic("bob", "b4sic-pw"));

    QNetworkAccessManager nam;
    int asked = 0;
    answerAuth(nam, QStringLiteral("bob"), QStringLiteral("b4sic-pw"), &asked);
    f = fetch(nam, server.url(QStringLiteral("/basic/file?size=7000&seed=34")));
    QCOMPARE(f.status, 200);
    QCOMPARE(asked, 1);
    QCOMPARE(f.body, TestContent::bytes(34, 0, 7000));
}

void TestSupport::proxyForwards()
{
    ProxyServer proxy;
    QString error;
    QVERIFY2(proxy.start(&error), qPrintable(error));
    QVERIFY(proxy.isRunning());
    QCOMPARE(proxy.host(), QStringLiteral("127.0.0.1"));
    QNetworkAccessManager nam;
    nam.setProxy(proxy.networkProxy());

    FaultServer server;
    const qint64 size = 400000;
    const QString path = QStringLiteral("/file?size=%1&seed=35&t=proxyForwards").arg(size);
    Fetch f = fetch(nam, server.url(path));
    QCOMPARE(f.error, QNetworkReply::NoError);
    QCOMPARE(f.status, 200);
    QCOMPARE(f.body, TestContent::bytes(35, 0, size));
    QCOMPARE(server.requests().size(), 1);
    const FaultServer::Request req = server.requests().constFirst();
    QCOMPARE(req.path, path.toLatin1());  // origin form upstream
    QVERIFY2(req.headers.value("via").contains("tinyproxy"), req.headers.value("via"));
    QTRY_COMPARE(proxy.requestsFor(QStringLiteral("seed=35&t=proxyForwards")), 1);
    QCOMPARE(proxy.requestsFor(server.url(path).toString()), 1);
    QCOMPARE(proxy.requestsFor(QStringLiteral("no-such-request")), 0);

    // Ranges pass through, here with nginx as the origin.
    QTemporaryDir www;
    QVERIFY(TestContent::writeFile(www.filePath(QStringLiteral("p.bin")), 36, 100000));
    NginxServer nginx(www.path());
    QVERIFY2(nginx.start(&error), qPrintable(error));
    f = fetch(nam, nginx.url(QStringLiteral("/p.bin")), {{"Range", range(500, 1499)}});
    QCOMPARE(f.status, 206);
    QCOMPARE(f.body, TestContent::bytes(36, 500, 1000));
    QTRY_COMPARE(proxy.requestsFor(nginx.url(QStringLiteral("/p.bin")).toString()), 1);

    // Digest through the proxy (Qt's digest uri is the origin form "/digest/..." here too).
    server.setDigestCredentials("dave", "d1gest-pw");
    int asked = 0;
    answerAuth(nam, QStringLiteral("dave"), QStringLiteral("d1gest-pw"), &asked);
    f = fetch(nam, server.url(QStringLiteral("/digest/file?size=3000&seed=37")));
    QCOMPARE(f.status, 200);
    QCOMPARE(asked, 1);
    QCOMPARE(f.body, TestContent::bytes(37, 0, 3000));
    QTRY_COMPARE(proxy.requestsFor(QStringLiteral("/digest/file?size=3000&seed=37")), 2);  // 401 + 200

    proxy.stop();
    QVERIFY(!proxy.isRunning());
}

void TestSupport::proxyBasicAuth()
{
    ProxyServer proxy;
    proxy.setBasicAuth(QStringLiteral("proxyuser"), QStringLiteral("pr0xy-pw"));
    QString error;
    QVERIFY2(proxy.start(&error), qPrintable(error));
    FaultServer server;
    const QUrl url = server.url(QStringLiteral("/file?size=6000&seed=38&t=proxyBasicAuth"));

    QNetworkAccessManager plain;
    plain.setProxy(proxy.networkProxy());
    Fetch f = fetch(plain, url);
    QCOMPARE(f.error, QNetworkReply::ProxyAuthenticationRequiredError);
    QCOMPARE(server.requests().size(), 0);

    QNetworkAccessManager nam;
    nam.setProxy(proxy.networkProxy());
    int asked = 0;
    connect(&nam, &QNetworkAccessManager::proxyAuthenticationRequired, this,
            [&](const QNetworkProxy &, QAuthenticator *auth) {
                ++asked;
                auth->setUser(QStringLiteral("proxyuser"));
                auth->setPassword(QStringLiteral("pr0xy-pw"));
            });
    f = fetch(nam, url);
    QCOMPARE(f.error, QNetworkReply::NoError);
    QCOMPARE(f.status, 200);
    QCOMPARE(asked, 1);
    QCOMPARE(f.body, TestContent::bytes(38, 0, 6000));
    QCOMPARE(server.requests().size(), 1);
    QVERIFY(!server.requests().constFirst().headers.contains("proxy-authorization"));
    QTRY_COMPARE(proxy.requestsFor(QStringLiteral("t=proxyBasicAuth")), 1);  // the refused ones do not count

    // The raw answers, as curl sees them (wrong credentials: 401, a tinyproxy quirk).
    const QString proxyUrl = QStringLiteral("http://%1:%2").arg(proxy.host()).arg(proxy.port());
    const QStringList status{QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-w"),
                             QStringLiteral("%{http_code} %header{proxy-authenticate}"), QStringLiteral("-x"), proxyUrl};
    QCOMPARE(curl(status + QStringList{url.toString()}), QByteArray("407 Basic realm=\"Tinyproxy\""));
    QCOMPARE(curl(status + QStringList{QStringLiteral("-U"), QStringLiteral("proxyuser:wrong"), url.toString()}),
             QByteArray("401 "));
    QCOMPARE(curl(status + QStringList{QStringLiteral("-U"), QStringLiteral("proxyuser:pr0xy-pw"), url.toString()}),
             QByteArray("200 "));
    QTRY_COMPARE(proxy.requestsFor(QStringLiteral("t=proxyBasicAuth")), 2);
}

void TestSupport::proxyLoopbackRules()
{
    ProxyServer proxy;
    QString error;
    QVERIFY2(proxy.start(&error), qPrintable(error));
    FaultServer server;
    const auto proxied = [&server] {
        return server.requests().constLast().headers.value("via").contains("tinyproxy");
    };

    // The application proxy is skipped for loopback hosts: these go direct.
    QNetworkProxy::setApplicationProxy(proxy.networkProxy());
    const auto restore = qScopeGuard([] { QNetworkProxy::setApplicationProxy(QNetworkProxy()); });
    QNetworkAccessManager app;
    Fetch f = fetch(app, server.url(QStringLiteral("/file?size=100&t=app-ip")));
    QCOMPARE(f.status, 200);
    QVERIFY(!proxied());
    f = fetch(app, QUrl(QStringLiteral("http://localhost:%1/file?size=100&t=app-name").arg(server.port())));
    QCOMPARE(f.status, 200);
    QVERIFY(!proxied());

    // A proxy given to the QNAM itself is used for loopback too.
    QNetworkAccessManager own;
    own.setProxy(proxy.networkProxy());
    f = fetch(own, server.url(QStringLiteral("/file?size=100&t=own-ip")));
    QCOMPARE(f.status, 200);
    QVERIFY(proxied());
    QNetworkAccessManager factory;
    factory.setProxyFactory(new FixedProxyFactory(proxy.networkProxy()));  // takes ownership
    f = fetch(factory, server.url(QStringLiteral("/file?size=100&t=factory-ip")));
    QCOMPARE(f.status, 200);
    QVERIFY(proxied());

    QTRY_COMPARE(proxy.requestsFor(QStringLiteral("t=factory-ip")), 1);
    QCOMPARE(proxy.requestsFor(QStringLiteral("t=own-ip")), 1);
    QCOMPARE(proxy.requestsFor(QStringLiteral("t=app-")), 0);
}

QTEST_GUILESS_MAIN(TestSupport)
#include "tst_testsupport.moc"
