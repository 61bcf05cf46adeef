// TransferPolicy (docs/jobs.md §5, §9.2): the rules a transfer applies to what the network and the
// server tell it. Real inputs, no network: Retry-After values as servers send them, every
// QNetworkReply error the engine can see, every certificate problem Qt reports. Each expectation
// is the job state a user would read (the BITS code, ERROR or TRANSIENT_ERROR, the wait before the
// next attempt), so a changed mapping fails here.
#include "core/BitsError.h"
#include "core/JobTypes.h"
#include "transfer/TransferPolicy.h"

#include <QTest>

using namespace ferry;
using namespace ferry::transferpolicy;

Q_DECLARE_METATYPE(QSslError::SslError)

class tst_TransferPolicy : public QObject
{
    Q_OBJECT

private slots:
    void retryAfter_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<int>("seconds");
        QTest::newRow("absent") << QByteArray() << 0;
        QTest::newRow("seconds") << QByteArray("120") << 120;
        QTest::newRow("seconds with blanks") << QByteArray("  7 \t") << 7;
        QTest::newRow("zero") << QByteArray("0") << 0;
        QTest::newRow("negative seconds") << QByteArray("-5") << 0;
        QTest::newRow("date in 90 s") << QByteArray("Fri, 06 Nov 2026 08:50:30 GMT") << 90;
        QTest::newRow("date a day ahead") << QByteArray("Sat, 07 Nov 2026 08:49:00 GMT") << 86400;
        QTest::newRow("date now") << QByteArray("Fri, 06 Nov 2026 08:49:00 GMT") << 0;
        QTest::newRow("date in the past") << QByteArray("Sun, 06 Nov 1994 08:49:37 GMT") << 0;
        QTest::newRow("RFC 2822 date with an offset") << QByteArray("Fri, 06 Nov 2026 09:50:30 +0100") << 90;
        QTest::newRow("garbage") << QByteArray("soon, please") << 0;
        QTest::newRow("seconds with a unit") << QByteArray("30s") << 0;
        QTest::newRow("fraction") << QByteArray("1.5") << 0;
    }
    void retryAfter()
    {
        QFETCH(QByteArray, header);
        QFETCH(int, seconds);
        const QDateTime now(QDate(2026, 11, 6), QTime(8, 49, 0), Qt::UTC);
        QCOMPARE(retryAfterSeconds(header, now), seconds);
    }

    void certificateProblems_data()
    {
        QTest::addColumn<QSslError::SslError>("problem");
        QTest::addColumn<quint32>("flag");
        QTest::newRow("host name") << QSslError::HostNameMismatch << quint32(0x2);
        QTest::newRow("expired") << QSslError::CertificateExpired << quint32(0x4);
        QTest::newRow("not yet valid") << QSslError::CertificateNotYetValid << quint32(0x4);
        QTest::newRow("self-signed") << QSslError::SelfSignedCertificate << quint32(0x8);
        QTest::newRow("self-signed in chain") << QSslError::SelfSignedCertificateInChain << quint32(0x8);
        QTest::newRow("no local issuer") << QSslError::UnableToGetLocalIssuerCertificate << quint32(0x8);
        QTest::newRow("no issuer") << QSslError::UnableToGetIssuerCertificate << quint32(0x8);
        QTest::newRow("first unverifiable") << QSslError::UnableToVerifyFirstCertificate << quint32(0x8);
        QTest::newRow("untrusted") << QSslError::CertificateUntrusted << quint32(0x8);
        QTest::newRow("wrong usage") << QSslError::InvalidPurpose << quint32(0x10);
        // Nothing excuses these, whatever the job's flags.
        QTest::newRow("revoked") << QSslError::CertificateRevoked << quint32(0);
        QTest::newRow("bad signature") << QSslError::CertificateSignatureFailed << quint32(0);
        QTest::newRow("rejected") << QSslError::CertificateRejected << quint32(0);
        QTest::newRow("blacklisted") << QSslError::CertificateBlacklisted << quint32(0);
        QTest::newRow("no peer certificate") << QSslError::NoPeerCertificate << quint32(0);
        QTest::newRow("unspecified") << QSslError::UnspecifiedError << quint32(0);
    }
    void certificateProblems()
    {
        QFETCH(QSslError::SslError, problem);
        QFETCH(quint32, flag);
        QCOMPARE(ignoreFlagFor(problem), flag);
        // Only the four IGNORE_CERT flags ever excuse a problem (CRL checking and the redirect
        // flags never do).
        QVERIFY((ignoreFlagFor(problem) & ~security::IgnoreCertMask) == 0);
    }

    void httpStatuses()
    {
        for (int status : {408, 429, 500, 502, 503, 504})
            QVERIFY2(transientHttpStatus(status), qPrintable(QString::number(status)));
        for (int status : {300, 301, 400, 401, 403, 404, 407, 410, 416, 501, 505})
            QVERIFY2(!transientHttpStatus(status), qPrintable(QString::number(status)));
    }

    void networkErrors_data()
    {
        QTest::addColumn<QNetworkReply::NetworkError>("error");
        QTest::addColumn<quint32>("code");
        QTest::addColumn<bool>("transient");
        QTest::addColumn<int>("context");
        QTest::addColumn<QString>("description"); // empty: Qt's own text is kept
        const int transport = int(ErrorContext::GeneralTransport);
        const int remote = int(ErrorContext::RemoteFile);
        QTest::newRow("host not found") << QNetworkReply::HostNotFoundError << hr::E_HTTP_NAME_NOT_RESOLVED << true << transport << QString();
        QTest::newRow("refused") << QNetworkReply::ConnectionRefusedError << hr::E_HTTP_CANNOT_CONNECT << true << transport << QString();
        QTest::newRow("timeout") << QNetworkReply::TimeoutError << hr::E_HTTP_TIMEOUT << true << transport
                                 << QStringLiteral("no data received for 60 s");
        QTest::newRow("stall abort") << QNetworkReply::OperationCanceledError << hr::E_HTTP_TIMEOUT << true << transport
                                     << QStringLiteral("no data received for 60 s");
        QTest::newRow("https to http") << QNetworkReply::InsecureRedirectError << hr::E_HTTP_REDIRECT_FAILED << false << remote
                                       << QStringLiteral("refused a redirect from HTTPS to plain HTTP; the security flag "
                                                         "ALLOW_HTTPS_TO_HTTP (0x800) permits it");
        QTest::newRow("too many redirects") << QNetworkReply::TooManyRedirectsError << hr::E_HTTP_REDIRECT_FAILED << false << remote
                                            << QString();
        QTest::newRow("proxy not found") << QNetworkReply::ProxyNotFoundError << hr::E_HTTP_NAME_NOT_RESOLVED << true << transport
                                         << QStringLiteral("the proxy's name cannot be resolved (Qt says so)");
        QTest::newRow("proxy refused") << QNetworkReply::ProxyConnectionRefusedError << hr::E_HTTP_CANNOT_CONNECT << true << transport
                                       << QStringLiteral("the proxy refused the connection (Qt says so)");
        QTest::newRow("proxy timeout") << QNetworkReply::ProxyTimeoutError << hr::E_HTTP_TIMEOUT << true << transport
                                       << QStringLiteral("the proxy did not answer in time (Qt says so)");
        QTest::newRow("tls handshake") << QNetworkReply::SslHandshakeFailedError << hr::E_HTTP_SECURE_FAILURE << false << transport
                                       << QString();
        QTest::newRow("unknown protocol") << QNetworkReply::ProtocolUnknownError << hr::E_INVALIDARG << false << remote << QString();
        QTest::newRow("invalid operation") << QNetworkReply::ProtocolInvalidOperationError << hr::E_INVALIDARG << false << remote
                                           << QString();
        // Everything else is a broken connection, worth another attempt.
        for (auto e : {QNetworkReply::RemoteHostClosedError, QNetworkReply::TemporaryNetworkFailureError,
                       QNetworkReply::NetworkSessionFailedError, QNetworkReply::UnknownNetworkError,
                       QNetworkReply::ProtocolFailure, QNetworkReply::UnknownServerError})
            QTest::addRow("other %d", int(e)) << e << hr::E_HTTP_CONNECTION_ERROR << true << transport << QString();
    }
    void networkErrors()
    {
        QFETCH(QNetworkReply::NetworkError, error);
        QFETCH(quint32, code);
        QFETCH(bool, transient);
        QFETCH(int, context);
        QFETCH(QString, description);
        const QString qtText = QStringLiteral("Qt says so");
        const TransferFailure f = classifyNetworkError(error, qtText);
        QCOMPARE(QString::number(f.error.code, 16), QString::number(code, 16));
        QCOMPARE(f.transient, transient);
        QCOMPARE(int(f.error.context), context);
        QCOMPARE(f.error.description, description.isEmpty() ? qtText : description);
        QCOMPARE(f.retryAfterSeconds, 0);
    }
};

QTEST_GUILESS_MAIN(tst_TransferPolicy)
#include "tst_transferpolicy.moc"
