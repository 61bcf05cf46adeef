// How a job connects, through the whole engine in-process: its security flags (redirect policy,
// HTTPS-to-HTTP, certificate problems it may ignore), its custom headers and its proxy usage
// (docs/jobs.md §8, §9). Real servers on loopback (FaultServer over HTTP, TlsOrigin over HTTPS);
// asserted is what a user of Ferry would notice: states, error codes and descriptions, warnings,
// the bytes on disk against the origin's SHA-256, and what the servers received.
#include "EngineFixture.h"
#include "FaultServer.h"
#include "NginxServer.h" // freeLoopbackPort()
#include "TestContent.h"
#include "TlsOrigin.h"

#include "core/BitsError.h"
#include "core/JobTypes.h"
#include "core/Sha256.h"
#include "jobs/JobManager.h"

#include <QFile>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSslConfiguration>
#include <QSslError>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>
#include <optional>

using namespace ferry;
using namespace ferry::test;

namespace {

QString hex(quint32 code)
{
    return errorHex(code);
}

QByteArray sha(const QString &path)
{
    return Sha256::ofFile(path);
}

QString encoded(const QString &text)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(text));
}

QString selfSignedText()
{
    return QSslError(QSslError::SelfSignedCertificate).errorString();
}

} // namespace

class tst_Connection : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    // SetSecurityFlags
    void securityFlagsRefused_data();
    void securityFlagsRefused();
    void securityFlagsAcceptedAndPersist();

    // Redirect policy
    void redirectDisallowedFails();
    void redirectPolicyNamesTheFile_data();
    void redirectPolicyNamesTheFile();
    void httpsToHttpRedirect_data();
    void httpsToHttpRedirect();

    // Certificates
    void selfSignedOriginHasOnlyAnUnknownCa();
    void untrustedCertificate_data();
    void untrustedCertificate();
    void hostNameMismatch_data();
    void hostNameMismatch();

    // Custom headers
    void customHeadersReachTheServer();
    void repeatedCustomHeaderIsSentWhole();
    void invalidCustomHeaderRefused_data();
    void invalidCustomHeaderRefused();

    // Proxy usage
    void badProxyEntryFailsWhenTheJobRuns();
    void proxyBypassGoesDirect();
    void refusingProxyIsTransient_data();
    void refusingProxyIsTransient();
    void noProxyGoesDirect();

private:
    QUrl fileUrl(qint64 size, quint32 seed) const;
    QString filePath(qint64 size, quint32 seed) const;
    QUrl redirectTo(const QString &pathAndQuery) const;
    QList<FaultServer::Request> requestsFor(const QUrl &url) const;
    QUuid addJob(const QString &name, const QUrl &url);

    std::unique_ptr<FaultServer> m_fault;
    QTemporaryDir m_certs;
    std::unique_ptr<TlsOrigin> m_untrusted;  // never added to a trust store
    QTemporaryDir m_trustedCerts;
    std::unique_ptr<TlsOrigin> m_trusted;    // trusted by the default configuration where a test says so
    std::unique_ptr<EngineFixture> m_f;
};

void tst_Connection::initTestCase()
{
    m_fault = std::make_unique<FaultServer>();
    QVERIFY(m_fault->port() != 0);
    QString error;
    QVERIFY(m_certs.isValid());
    m_untrusted = std::make_unique<TlsOrigin>(m_certs.path());
    QVERIFY2(m_untrusted->start(&error), qPrintable(error));
    QVERIFY(m_trustedCerts.isValid());
    m_trusted = std::make_unique<TlsOrigin>(m_trustedCerts.path());
    QVERIFY2(m_trusted->start(&error), qPrintable(error));
}

void tst_Connection::init()
{
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
    m_fault->clear();
    m_fault->resetScenarios();
}

void tst_Connection::cleanup()
{
    m_f.reset();
}

QUrl tst_Connection::fileUrl(qint64 size, quint32 seed) const
{
    return m_fault->url(filePath(size, seed));
}

QString tst_Connection::filePath(qint64 size, quint32 seed) const
{
    return QStringLiteral("/file?size=%1&seed=%2").arg(size).arg(seed);
}

QUrl tst_Connection::redirectTo(const QString &pathAndQuery) const
{
    return m_fault->url(QStringLiteral("/redirect?to=%1").arg(encoded(pathAndQuery)));
}

QList<FaultServer::Request> tst_Connection::requestsFor(const QUrl &url) const
{
    const QByteArray target = url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority);
    QList<FaultServer::Request> out;
    const QList<FaultServer::Request> all = m_fault->requests();
    for (const FaultServer::Request &r : all)
        if (r.path == target)
            out << r;
    return out;
}

QUuid tst_Connection::addJob(const QString &name, const QUrl &url)
{
    const QUuid id = m_f->addJob(name, {{url, name + QLatin1String(".bin")}});
    if (id.isNull())
        qWarning("%s", qPrintable(m_f->error()));
    return id;
}

// ---------------------------------------------------------------------------------------------
// SetSecurityFlags

void tst_Connection::securityFlagsRefused_data()
{
    QTest::addColumn<quint32>("flags");
    QTest::addColumn<quint32>("code");
    QTest::newRow("ENABLE_CRL_CHECK") << 0x1u << hr::E_NOTIMPL;
    QTest::newRow("ENABLE_CRL_CHECK with a valid policy") << 0x101u << hr::E_NOTIMPL;
    // Undefined bits and redirect policies: "flag value not supported", E_NOTIMPL as in BITS.
    QTest::newRow("redirect policy 0x300") << 0x300u << hr::E_NOTIMPL;
    QTest::newRow("redirect policy 0x400") << 0x400u << hr::E_NOTIMPL;
    QTest::newRow("undefined bit 0x1000") << 0x1000u << hr::E_NOTIMPL;
    QTest::newRow("undefined bit 0x20") << 0x20u << hr::E_NOTIMPL;
}

void tst_Connection::securityFlagsRefused()
{
    QFETCH(quint32, flags);
    QFETCH(quint32, code);
    const QUuid id = addJob(QStringLiteral("flags"), fileUrl(1000, 1));
    QVERIFY(!id.isNull());
    QVERIFY(m_f->jobs()->setSecurityFlags(id, security::RedirectAllowReport).ok());

    const Status s = m_f->jobs()->setSecurityFlags(id, flags);
    QCOMPARE(hex(s.code), hex(code));
    QVERIFY(!s.message.isEmpty());
    QCOMPARE(m_f->job(id).securityFlags, security::RedirectAllowReport); // unchanged
}

void tst_Connection::securityFlagsAcceptedAndPersist()
{
    const QUuid id = addJob(QStringLiteral("flags"), fileUrl(1000, 1));
    QVERIFY(!id.isNull());
    QCOMPARE(m_f->job(id).securityFlags, 0u);
    const quint32 flags = security::AllowHttpsToHttp | security::RedirectAllowReport | security::IgnoreUnknownCa;
    QCOMPARE(flags, 0x908u);
    const Status s = m_f->jobs()->setSecurityFlags(id, flags);
    QVERIFY2(s.ok(), qPrintable(s.message));
    QCOMPARE(m_f->job(id).securityFlags, 0x908u);
    QCOMPARE(securityFlagsText(m_f->job(id).securityFlags),
             QStringLiteral("REDIRECT_POLICY_ALLOW_REPORT|ALLOW_HTTPS_TO_HTTP|IGNORE_UNKNOWN_CA"));
    const QStringList headers{QStringLiteral("X-Ferry-Test: 42")};
    QVERIFY(m_f->jobs()->setCustomHeaders(id, headers).ok());
    QVERIFY(m_f->jobs()->setProxyUsage(id, ProxyUsage::Override, QStringLiteral("p:3128"), QStringLiteral("<local>")).ok());

    m_f->restart();
    QVERIFY2(m_f->exists(id), "the job is gone after the restart");
    QCOMPARE(m_f->job(id).securityFlags, 0x908u);
    QCOMPARE(m_f->job(id).customHeaders, headers);
    QCOMPARE(m_f->job(id).proxyUsage, ProxyUsage::Override);
    QCOMPARE(m_f->job(id).proxyList, QStringLiteral("p:3128"));
    QCOMPARE(m_f->job(id).proxyBypassList, QStringLiteral("<local>"));
}

// ---------------------------------------------------------------------------------------------
// Redirect policy

void tst_Connection::redirectDisallowedFails()
{
    const QString to = filePath(100000, 31);
    const QUuid id = addJob(QStringLiteral("disallow"), redirectTo(to));
    QVERIFY(!id.isNull());
    QVERIFY(m_f->jobs()->setSecurityFlags(id, security::RedirectDisallow).ok());
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Error);
    const Job &job = m_f->job(id);
    QCOMPARE(hex(job.error.code), hex(httpError(302)));
    QCOMPARE(job.error.context, ErrorContext::RemoteFile);
    QCOMPARE(job.error.fileIndex, 0);
    QVERIFY2(job.error.description.contains(to), qPrintable(job.error.description));
    QVERIFY(m_fault->requestCount("/redirect") >= 1);
    QCOMPARE(m_fault->requestCount("/file"), 0);
    QCOMPARE(job.files[0].remoteUrl, redirectTo(to));
    QCOMPARE(job.files[0].bytesTransferred, qint64(0));
}

void tst_Connection::redirectPolicyNamesTheFile_data()
{
    QTest::addColumn<quint32>("flags");
    QTest::addColumn<int>("hops");
    QTest::newRow("ALLOW_SILENT (default)") << security::RedirectAllowSilent << 1;
    QTest::newRow("ALLOW_SILENT, two hops") << security::RedirectAllowSilent << 2;
    QTest::newRow("ALLOW_REPORT") << security::RedirectAllowReport << 1;
    QTest::newRow("ALLOW_REPORT, two hops") << security::RedirectAllowReport << 2;
    // ALLOW_HTTPS_TO_HTTP changes how redirects are vetted; plain HTTP ones must still be followed.
    QTest::newRow("ALLOW_HTTPS_TO_HTTP") << security::AllowHttpsToHttp << 1;
    QTest::newRow("ALLOW_HTTPS_TO_HTTP|ALLOW_REPORT, two hops") << (security::AllowHttpsToHttp | security::RedirectAllowReport) << 2;
}

// REDIRECT_POLICY_ALLOW_REPORT: the file's remote name becomes the URL that answered, and stays
// so; otherwise redirects are followed silently and the file keeps the name the user gave.
void tst_Connection::redirectPolicyNamesTheFile()
{
    QFETCH(quint32, flags);
    QFETCH(int, hops);
    const bool renamed = (flags & security::RedirectMask) == security::RedirectAllowReport;
    const qint64 size = 150000;
    const quint32 seed = 40 + 3 * (flags >> 8) + quint32(hops);
    QUrl url = fileUrl(size, seed);
    for (int i = 0; i < hops; ++i)
        url = redirectTo(url.toString(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::FullyEncoded));
    const QUuid id = addJob(QStringLiteral("policy"), url);
    QVERIFY(!id.isNull());
    QVERIFY(m_f->jobs()->setSecurityFlags(id, flags).ok());
    QVERIFY(m_f->jobs()->resume(id).ok());
    QTRY_VERIFY_WITH_TIMEOUT(m_f->state(id) == JobState::Transferred || m_f->state(id) == JobState::Error
                                 || m_f->state(id) == JobState::TransientError,
                             WaitMs);
    if (m_f->state(id) != JobState::Transferred) {
        QStringList seen;
        const QList<FaultServer::Request> all = m_fault->requests();
        for (const FaultServer::Request &r : all)
            seen << QStringLiteral("%1 -> %2 (%3 bytes)")
                        .arg(QString::fromLatin1(r.path), QString::number(r.status), QString::number(r.bodyBytesSent));
        QFAIL(qPrintable(QStringLiteral("expected TRANSFERRED, %1; the server saw: %2")
                             .arg(describeJob(m_f->job(id)), seen.join(QLatin1String("; ")))));
    }
    QVERIFY(m_fault->requestCount("/redirect") >= hops); // Qt may send a request twice
    QVERIFY(m_fault->requestCount("/file") >= 1);

    const QUrl expected = renamed ? fileUrl(size, seed) : url;
    QCOMPARE(m_f->job(id).files[0].remoteUrl.toString(), expected.toString());
    m_f->restart(); // the new name was stored, not only shown
    QCOMPARE(m_f->job(id).files[0].remoteUrl.toString(), expected.toString());

    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(sha(m_f->downloadPath(QStringLiteral("policy.bin"))), TestContent::sha256Hex(seed, size));
}

void tst_Connection::httpsToHttpRedirect_data()
{
    QTest::addColumn<quint32>("flags");
    QTest::addColumn<bool>("allowed");
    QTest::newRow("default") << 0u << false;
    QTest::newRow("ALLOW_REPORT, no downgrade flag") << security::RedirectAllowReport << false;
    QTest::newRow("ALLOW_HTTPS_TO_HTTP") << security::AllowHttpsToHttp << true;
}

void tst_Connection::httpsToHttpRedirect()
{
    QFETCH(quint32, flags);
    QFETCH(bool, allowed);
    const QSslConfiguration before = QSslConfiguration::defaultConfiguration();
    const auto restore = qScopeGuard([&] { QSslConfiguration::setDefaultConfiguration(before); });
    QSslConfiguration trusting = before;
    trusting.addCaCertificate(m_trusted->certificate());
    QSslConfiguration::setDefaultConfiguration(trusting);

    const qint64 size = 120000;
    const quint32 seed = allowed ? 61 : 62;
    const QUrl plain = fileUrl(size, seed);
    const QUrl downgrade = m_trusted->url(QStringLiteral("/to?url=%1").arg(encoded(plain.toString())));
    const int originBefore = m_trusted->requestCount();
    const QUuid id = addJob(QStringLiteral("downgrade"), downgrade);
    QVERIFY(!id.isNull());
    QVERIFY(m_f->jobs()->setSecurityFlags(id, flags).ok());
    QVERIFY(m_f->jobs()->resume(id).ok());
    if (!allowed) {
        WAIT_STATE(id, JobState::Error);
        const Job &job = m_f->job(id);
        QCOMPARE(hex(job.error.code), hex(hr::E_HTTP_REDIRECT_FAILED));
        QCOMPARE(job.error.context, ErrorContext::RemoteFile);
        // The user is told where the redirect went (and so why it was refused), not just "Insecure redirect".
        QVERIFY2(job.error.description.contains(plain.toDisplayString()), qPrintable(job.error.description));
        QVERIFY(m_trusted->requestCount() > originBefore); // the HTTPS origin was asked
        QCOMPARE(m_fault->requestCount("/file"), 0);       // the plain one never was
        QCOMPARE(job.files[0].remoteUrl, downgrade);
        return;
    }
    WAIT_STATE(id, JobState::Transferred);
    QVERIFY(m_trusted->requestCount() > originBefore);
    QVERIFY(!requestsFor(plain).isEmpty());
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(sha(m_f->downloadPath(QStringLiteral("downgrade.bin"))), TestContent::sha256Hex(seed, size));
}

// ---------------------------------------------------------------------------------------------
// Certificates

// What Qt reports for the TlsOrigin's certificate when nobody trusts it: only that it is
// self-signed (its SAN is IP:127.0.0.1, so no name mismatch; it is valid for two days). The
// certificate tests below rely on this.
void tst_Connection::selfSignedOriginHasOnlyAnUnknownCa()
{
    QSslSocket socket;
    QList<QSslError> seen;
    connect(&socket, &QSslSocket::sslErrors, this, [&](const QList<QSslError> &errors) { seen = errors; });
    QSignalSpy encrypted(&socket, &QSslSocket::encrypted);
    QSignalSpy failed(&socket, &QSslSocket::errorOccurred);
    const QUrl url = m_untrusted->url(QStringLiteral("/"));
    socket.connectToHostEncrypted(url.host(), quint16(url.port()));
    QTRY_VERIFY_WITH_TIMEOUT(encrypted.count() > 0 || failed.count() > 0, WaitMs);
    QList<QSslError::SslError> kinds;
    for (const QSslError &e : std::as_const(seen))
        kinds << e.error();
    QCOMPARE(kinds, QList<QSslError::SslError>{QSslError::SelfSignedCertificate});
    QCOMPARE(encrypted.count(), 0);
    socket.abort();
}

void tst_Connection::untrustedCertificate_data()
{
    QTest::addColumn<quint32>("flags");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("default") << 0u << false;
    QTest::newRow("IGNORE_UNKNOWN_CA") << security::IgnoreUnknownCa << true;
    QTest::newRow("IGNORE_CERT_CN_INVALID only") << security::IgnoreCertCnInvalid << false;
    QTest::newRow("DATE_INVALID|WRONG_USAGE") << (security::IgnoreCertDateInvalid | security::IgnoreCertWrongUsage) << false;
    QTest::newRow("every IGNORE_CERT flag") << security::IgnoreCertMask << true;
}

void tst_Connection::untrustedCertificate()
{
    QFETCH(quint32, flags);
    QFETCH(bool, accepted);
    const qint64 size = 110000;
    const quint32 seed = 70 + flags;
    const int servedBefore = m_untrusted->requestCount();
    const QUuid id = addJob(QStringLiteral("untrusted"), m_untrusted->url(filePath(size, seed)));
    QVERIFY(!id.isNull());
    QVERIFY(m_f->jobs()->setSecurityFlags(id, flags).ok());
    QVERIFY(m_f->jobs()->resume(id).ok());
    if (!accepted) {
        WAIT_STATE(id, JobState::Error);
        const Job &job = m_f->job(id);
        QCOMPARE(hex(job.error.code), hex(hr::E_HTTP_SECURE_FAILURE));
        QVERIFY2(job.error.description.contains(selfSignedText()), qPrintable(job.error.description));
        QCOMPARE(m_untrusted->requestCount(), servedBefore); // no request was sent over it
        QVERIFY(m_f->warningsFor(id).isEmpty());
        return;
    }
    WAIT_STATE(id, JobState::Transferred);
    const QStringList warnings = m_f->warningsFor(id);
    QVERIFY2(std::any_of(warnings.cbegin(), warnings.cend(),
                         [](const QString &w) { return w.contains(QLatin1String("ignored")) && w.contains(selfSignedText()); }),
             qPrintable(QStringLiteral("warnings: ") + warnings.join(QLatin1String(" | "))));
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(sha(m_f->downloadPath(QStringLiteral("untrusted.bin"))), TestContent::sha256Hex(seed, size));
}

void tst_Connection::hostNameMismatch_data()
{
    QTest::addColumn<quint32>("flags");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("default") << 0u << false;
    QTest::newRow("IGNORE_CERT_CN_INVALID") << security::IgnoreCertCnInvalid << true;
    QTest::newRow("IGNORE_UNKNOWN_CA only") << security::IgnoreUnknownCa << false;
}

// A trusted certificate for IP:127.0.0.1 reached as "localhost": only the name is wrong, which
// IGNORE_CERT_CN_INVALID excuses and nothing else does.
void tst_Connection::hostNameMismatch()
{
    QFETCH(quint32, flags);
    QFETCH(bool, accepted);
    const QSslConfiguration before = QSslConfiguration::defaultConfiguration();
    const auto restore = qScopeGuard([&] { QSslConfiguration::setDefaultConfiguration(before); });
    QSslConfiguration trusting = before;
    trusting.addCaCertificate(m_trusted->certificate());
    QSslConfiguration::setDefaultConfiguration(trusting);

    const qint64 size = 90000;
    const quint32 seed = 100 + flags;
    QUrl url = m_trusted->url(filePath(size, seed));
    url.setHost(QStringLiteral("localhost"));
    const QUuid id = addJob(QStringLiteral("mismatch"), url);
    QVERIFY(!id.isNull());
    QVERIFY(m_f->jobs()->setSecurityFlags(id, flags).ok());
    QVERIFY(m_f->jobs()->resume(id).ok());
    const QString mismatch = QSslError(QSslError::HostNameMismatch).errorString();
    if (!accepted) {
        WAIT_STATE(id, JobState::Error);
        const Job &job = m_f->job(id);
        QCOMPARE(hex(job.error.code), hex(hr::E_HTTP_SECURE_FAILURE));
        QVERIFY2(job.error.description.contains(mismatch), qPrintable(job.error.description));
        QVERIFY2(!job.error.description.contains(selfSignedText()), qPrintable(job.error.description));
        return;
    }
    WAIT_STATE(id, JobState::Transferred);
    const QStringList warnings = m_f->warningsFor(id);
    QVERIFY2(std::any_of(warnings.cbegin(), warnings.cend(), [&](const QString &w) { return w.contains(mismatch); }),
             qPrintable(QStringLiteral("warnings: ") + warnings.join(QLatin1String(" | "))));
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(sha(m_f->downloadPath(QStringLiteral("mismatch.bin"))), TestContent::sha256Hex(seed, size));
}

// ---------------------------------------------------------------------------------------------
// Custom headers

void tst_Connection::customHeadersReachTheServer()
{
    const qint64 size = 50000;
    const QUrl url = fileUrl(size, 81);
    const QUuid id = addJob(QStringLiteral("headers"), url);
    QVERIFY(!id.isNull());
    const QStringList headers{QStringLiteral("X-Ferry-Test: 42"), QStringLiteral("Accept-Language: fr")};
    const Status s = m_f->jobs()->setCustomHeaders(id, headers);
    QVERIFY2(s.ok(), qPrintable(s.message));
    QCOMPARE(m_f->job(id).customHeaders, headers);
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferred);

    const QList<FaultServer::Request> got = requestsFor(url);
    QVERIFY(!got.isEmpty());
    for (const FaultServer::Request &r : got) {
        QCOMPARE(r.headers.value("x-ferry-test"), QByteArray("42"));
        QCOMPARE(r.headers.value("accept-language"), QByteArray("fr"));
    }
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(sha(m_f->downloadPath(QStringLiteral("headers.bin"))), TestContent::sha256Hex(81, size));
}

// Two lines with one name are two headers the caller asked for (BITS sends its custom headers
// as given): the server must get both values, not only the last.
void tst_Connection::repeatedCustomHeaderIsSentWhole()
{
    const QUrl url = fileUrl(20000, 83);
    const QUuid id = addJob(QStringLiteral("repeated"), url);
    QVERIFY(!id.isNull());
    QVERIFY(m_f->jobs()->setCustomHeaders(id, {QStringLiteral("X-Ferry-Tag: one"), QStringLiteral("X-Ferry-Tag: two")}).ok());
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferred);
    const QList<FaultServer::Request> got = requestsFor(url);
    QVERIFY(!got.isEmpty());
    // FaultServer joins repeated fields with ", " (as RFC 9110 §5.3 allows a recipient to).
    QCOMPARE(got.first().headers.value("x-ferry-tag"), QByteArray("one, two"));
}

void tst_Connection::invalidCustomHeaderRefused_data()
{
    QTest::addColumn<QStringList>("headers");
    QTest::newRow("no colon") << QStringList{QStringLiteral("X-Ferry-Test 42")};
    QTest::newRow("space in the name") << QStringList{QStringLiteral("X Ferry: 42")};
    QTest::newRow("empty name") << QStringList{QStringLiteral(": 42")};
    QTest::newRow("CRLF injection") << QStringList{QStringLiteral("X-A: 1\r\nX-Injected: 2")};
    QTest::newRow("LF in the value") << QStringList{QStringLiteral("X-A: 1\n2")};
    QTest::newRow("good then bad") << QStringList{QStringLiteral("X-Good: 1"), QStringLiteral("bad")};
}

void tst_Connection::invalidCustomHeaderRefused()
{
    QFETCH(QStringList, headers);
    const QUuid id = addJob(QStringLiteral("headers"), fileUrl(1000, 82));
    QVERIFY(!id.isNull());
    const QStringList before{QStringLiteral("X-Before: yes")};
    QVERIFY(m_f->jobs()->setCustomHeaders(id, before).ok());
    const Status s = m_f->jobs()->setCustomHeaders(id, headers);
    QCOMPARE(hex(s.code), hex(hr::E_INVALIDARG));
    QVERIFY(!s.message.isEmpty());
    QCOMPARE(m_f->job(id).customHeaders, before);
}

// ---------------------------------------------------------------------------------------------
// Proxy usage

// OVERRIDE lists are checked when the job runs, as BITS does: SetProxySettings accepts them, the
// job then fails with INVALID_PROXY_INFO naming the entry; fixed, it runs.
void tst_Connection::badProxyEntryFailsWhenTheJobRuns()
{
    const qint64 size = 60000;
    const QUrl url = fileUrl(size, 91);
    const QUuid id = addJob(QStringLiteral("badproxy"), url);
    QVERIFY(!id.isNull());
    // An empty OVERRIDE list is refused at once (E_INVALIDARG, as SetProxySettings does).
    QCOMPARE(hex(m_f->jobs()->setProxyUsage(id, ProxyUsage::Override, QStringLiteral(" "), QString()).code), hex(hr::E_INVALIDARG));
    QCOMPARE(m_f->job(id).proxyUsage, ProxyUsage::Preconfig);
    const QString entry = QStringLiteral("https://127.0.0.1:3128");
    const Status set = m_f->jobs()->setProxyUsage(id, ProxyUsage::Override, entry, QString());
    QVERIFY2(set.ok(), qPrintable(set.message));
    QCOMPARE(m_f->job(id).proxyList, entry);
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Error);
    const Job &job = m_f->job(id);
    QCOMPARE(hex(job.error.code), hex(hr::BG_E_INVALID_PROXY_INFO));
    QCOMPARE(job.error.code, 0x8020003Fu);
    QVERIFY2(job.error.description.contains(entry), qPrintable(job.error.description));
    QCOMPARE(m_fault->requests().size(), 0);

    QVERIFY(m_f->jobs()->setProxyUsage(id, ProxyUsage::NoProxy, QString(), QString()).ok());
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferred);
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(sha(m_f->downloadPath(QStringLiteral("badproxy.bin"))), TestContent::sha256Hex(91, size));
}

// A proxy nothing listens on, bypassed for the origin: the job never tries it.
void tst_Connection::proxyBypassGoesDirect()
{
    const quint16 deadPort = freeLoopbackPort();
    QVERIFY(deadPort != 0);
    const qint64 size = 70000;
    const QUrl url = fileUrl(size, 92);
    const QUuid id = addJob(QStringLiteral("bypass"), url);
    QVERIFY(!id.isNull());
    QVERIFY(m_f->jobs()->setProxyUsage(id, ProxyUsage::Override, QStringLiteral("http://127.0.0.1:%1").arg(deadPort),
                                       QStringLiteral("127.0.0.1")).ok());
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferred);
    QVERIFY(!requestsFor(url).isEmpty()); // origin-form request target: sent straight to the origin
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(sha(m_f->downloadPath(QStringLiteral("bypass.bin"))), TestContent::sha256Hex(92, size));
}

// The same proxy without the bypass: the job goes to the proxy, which refuses the connection.
// Loopback is not exempt from an OVERRIDE list.
void tst_Connection::refusingProxyIsTransient_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("HTTP proxy") << QStringLiteral("http");
    QTest::newRow("SOCKS5 proxy") << QStringLiteral("socks5");
}

void tst_Connection::refusingProxyIsTransient()
{
    QFETCH(QString, kind);
    const quint16 deadPort = freeLoopbackPort();
    QVERIFY(deadPort != 0);
    const QUuid id = addJob(QStringLiteral("refusing"), fileUrl(70000, 93));
    QVERIFY(!id.isNull());
    QVERIFY(m_f->jobs()->setProxyUsage(id, ProxyUsage::Override, QStringLiteral("%1://127.0.0.1:%2").arg(kind).arg(deadPort), QString()).ok());
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::TransientError);
    const Job &job = m_f->job(id);
    // Qt 6.4 reports a refused HTTP proxy as a refused connection, and a refused SOCKS5 proxy
    // only as UnknownNetworkError ("Connection to proxy refused"): a connection error.
    if (kind == QLatin1String("socks5")) {
        QCOMPARE(hex(job.error.code), hex(hr::E_HTTP_CONNECTION_ERROR));
        QVERIFY2(job.error.description.contains(QLatin1String("proxy"), Qt::CaseInsensitive), qPrintable(job.error.description));
    } else {
        QCOMPARE(hex(job.error.code), hex(hr::E_HTTP_CANNOT_CONNECT));
    }
    QCOMPARE(job.error.context, ErrorContext::GeneralTransport);
    QCOMPARE(job.errorCount, 1);
    QCOMPARE(m_fault->requests().size(), 0);
    QVERIFY(!QFile::exists(m_f->downloadPath(QStringLiteral("refusing.bin"))));
}

// The system's proxy (PRECONFIG: here the http_proxy environment, read through Qt's libproxy
// backend) points at a port nothing listens on: a PRECONFIG job cannot connect, a NO_PROXY job
// goes straight to the origin.
void tst_Connection::noProxyGoesDirect()
{
    const QList<QByteArray> names{"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                                  "no_proxy", "NO_PROXY"};
    QList<std::optional<QByteArray>> saved;
    for (const QByteArray &name : names) {
        saved << (qEnvironmentVariableIsSet(name.constData()) ? std::optional<QByteArray>(qgetenv(name.constData())) : std::nullopt);
        qunsetenv(name.constData());
    }
    const auto restoreEnvironment = [&] {
        for (qsizetype i = 0; i < names.size(); ++i) {
            if (saved[i])
                qputenv(names[i].constData(), *saved[i]);
            else
                qunsetenv(names[i].constData());
        }
    };
    auto restore = qScopeGuard(restoreEnvironment);
    const quint16 deadPort = freeLoopbackPort();
    QVERIFY(deadPort != 0);
    qputenv("http_proxy", QByteArray("http://127.0.0.1:") + QByteArray::number(deadPort));

    const QUuid system = addJob(QStringLiteral("preconfig"), fileUrl(1000, 95));
    QVERIFY(!system.isNull());
    QCOMPARE(m_f->job(system).proxyUsage, ProxyUsage::Preconfig);
    QVERIFY(m_f->jobs()->resume(system).ok());
    WAIT_STATE(system, JobState::TransientError);
    QCOMPARE(hex(m_f->job(system).error.code), hex(hr::E_HTTP_CANNOT_CONNECT));
    QCOMPARE(m_fault->requests().size(), 0);

    const qint64 size = 80000;
    const QUrl url = fileUrl(size, 94);
    const QUuid id = addJob(QStringLiteral("noproxy"), url);
    QVERIFY(!id.isNull());
    // A list given with NO_PROXY is refused (only OVERRIDE has one) and changes nothing.
    QCOMPARE(hex(m_f->jobs()->setProxyUsage(id, ProxyUsage::NoProxy, QStringLiteral("p:1"), QStringLiteral("x")).code),
             hex(hr::E_INVALIDARG));
    QCOMPARE(m_f->job(id).proxyUsage, ProxyUsage::Preconfig);
    QVERIFY(m_f->jobs()->setProxyUsage(id, ProxyUsage::NoProxy, QString(), QString()).ok());
    QCOMPARE(m_f->job(id).proxyUsage, ProxyUsage::NoProxy);
    QCOMPARE(m_f->job(id).proxyList, QString());
    QCOMPARE(m_f->job(id).proxyBypassList, QString());
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferred);
    QVERIFY(!requestsFor(url).isEmpty());
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(sha(m_f->downloadPath(QStringLiteral("noproxy.bin"))), TestContent::sha256Hex(94, size));
    QVERIFY(m_f->jobs()->cancel(system).ok());

    // The system proxy is asked again for each new connection: with the environment as it was,
    // PRECONFIG goes direct again (and nothing of this test's proxy lingers for later ones).
    restore.dismiss();
    restoreEnvironment();
    const QUuid after = addJob(QStringLiteral("preconfig-after"), fileUrl(1000, 96));
    QVERIFY(!after.isNull());
    QVERIFY(m_f->jobs()->resume(after).ok());
    WAIT_STATE(after, JobState::Transferred);
}

QTEST_GUILESS_MAIN(tst_Connection)
#include "tst_connection.moc"
