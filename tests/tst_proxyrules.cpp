// ProxyRules (docs/jobs.md §8, BG_JOB_PROXY_USAGE OVERRIDE): how a job's proxy list and bypass list
// are read, and which proxies a URL is sent through. No network: only the parsed rules and the
// QNetworkProxy lists a job's connection manager would be given.
#include "core/BitsError.h"
#include "core/ProxyRules.h"

#include <QNetworkProxy>
#include <QTest>
#include <QUrl>

using namespace ferry;

namespace {

// One proxy as "http://host:port", "socks5://host:port" or "direct", for readable comparisons.
QString text(const QNetworkProxy &p)
{
    switch (p.type()) {
    case QNetworkProxy::NoProxy:
        return QStringLiteral("direct");
    case QNetworkProxy::HttpProxy:
        return QStringLiteral("http://%1:%2").arg(p.hostName()).arg(p.port());
    case QNetworkProxy::Socks5Proxy:
        return QStringLiteral("socks5://%1:%2").arg(p.hostName()).arg(p.port());
    default:
        return QStringLiteral("type %1 %2:%3").arg(int(p.type())).arg(p.hostName()).arg(p.port());
    }
}

QStringList text(const QList<QNetworkProxy> &proxies)
{
    QStringList out;
    for (const QNetworkProxy &p : proxies)
        out << text(p);
    return out;
}

} // namespace

class tst_ProxyRules : public QObject
{
    Q_OBJECT

private slots:
    void proxiesForUrl_data();
    void proxiesForUrl();
    void spaceSeparatesEntries();
    void invalidList_data();
    void invalidList();
    void bypass_data();
    void bypass();
    void invalidBypass_data();
    void invalidBypass();
    void listLength_data();
    void listLength();
    void factoryFollowsUsage();
};

void tst_ProxyRules::proxiesForUrl_data()
{
    QTest::addColumn<QString>("list");
    QTest::addColumn<QString>("url");
    QTest::addColumn<QStringList>("expected");

    const QStringList twoInOrder{QStringLiteral("http://proxy1:8080"), QStringLiteral("http://proxy2:80")};
    QTest::newRow("two, port 80 by default") << "proxy1:8080 proxy2" << "http://example.com/f" << twoInOrder;
    QTest::newRow("two, for https URLs too") << "proxy1:8080 proxy2" << "https://example.com/f" << twoInOrder;
    QTest::newRow("';' separates too") << "proxy1:8080;proxy2" << "http://example.com/f" << twoInOrder;
    QTest::newRow("http:// prefix") << "http://proxy1:8080 http://proxy2/" << "http://example.com/f" << twoInOrder;

    QTest::newRow("per scheme: http") << "http=p1:3128 https=p2:3129" << "http://example.com/f"
                                      << QStringList{QStringLiteral("http://p1:3128")};
    QTest::newRow("per scheme: https") << "http=p1:3128 https=p2:3129" << "https://example.com/f"
                                       << QStringList{QStringLiteral("http://p2:3129")};
    QTest::newRow("per scheme, no https entry") << "http=p1:3128" << "https://example.com/f"
                                                << QStringList{QStringLiteral("direct")};
    QTest::newRow("per scheme and general") << "http=p1:3128 p3:3130" << "https://example.com/f"
                                            << QStringList{QStringLiteral("http://p3:3130")};

    QTest::newRow("socks5") << "socks5://s:1080" << "http://example.com/f" << QStringList{QStringLiteral("socks5://s:1080")};
    QTest::newRow("socks5, default port") << "socks5://s" << "https://example.com/f"
                                          << QStringList{QStringLiteral("socks5://s:1080")};

    QTest::newRow("IPv6") << "[::1]:8080" << "http://example.com/f" << QStringList{QStringLiteral("http://::1:8080")};
    QTest::newRow("IPv6, default port") << "[2001:db8::2]" << "http://example.com/f"
                                        << QStringList{QStringLiteral("http://2001:db8::2:80")};
    QTest::newRow("IPv4, port 65535") << "192.0.2.7:65535" << "http://example.com/f"
                                      << QStringList{QStringLiteral("http://192.0.2.7:65535")};
}

void tst_ProxyRules::proxiesForUrl()
{
    QFETCH(QString, list);
    QFETCH(QString, url);
    QFETCH(QStringList, expected);
    ProxyRules rules;
    const Status s = ProxyRules::parse(list, QString(), &rules);
    QVERIFY2(s.ok(), qPrintable(s.message));
    QCOMPARE(text(rules.proxiesFor(QUrl(url))), expected);
}

// The list is space-separated (as in BITS): "bad host" is two proxies, "bad" and "host".
void tst_ProxyRules::spaceSeparatesEntries()
{
    ProxyRules rules;
    const Status s = ProxyRules::parse(QStringLiteral("bad host"), QString(), &rules);
    QVERIFY2(s.ok(), qPrintable(s.message));
    QCOMPARE(text(rules.proxiesFor(QUrl(QStringLiteral("http://example.com/")))),
             (QStringList{QStringLiteral("http://bad:80"), QStringLiteral("http://host:80")}));
}

void tst_ProxyRules::invalidList_data()
{
    QTest::addColumn<QString>("list");
    QTest::addColumn<QString>("named"); // what the message must quote
    QTest::newRow("https proxy scheme") << "https://p:1" << "https://p:1";
    QTest::newRow("ftp URLs") << "ftp=p" << "ftp=p";
    QTest::newRow("port 0") << "p:0" << "p:0";
    QTest::newRow("port 99999") << "p:99999" << "p:99999";
    QTest::newRow("port 65536") << "p:65536" << "p:65536";
    QTest::newRow("port not a number") << "p:http" << "p:http";
    QTest::newRow("bad character in host") << "bad!host:8080" << "bad!host:8080";
    QTest::newRow("user in host") << "user@p:8080" << "user@p:8080";
    QTest::newRow("path") << "p:8080/path" << "p:8080/path";
    QTest::newRow("bad one after a good one") << "good:3128 b@d" << "b@d";
    QTest::newRow("empty") << "" << "";
    QTest::newRow("only separators") << " ; ;  " << "";
}

void tst_ProxyRules::invalidList()
{
    QFETCH(QString, list);
    QFETCH(QString, named);
    ProxyRules rules;
    const Status s = ProxyRules::parse(list, QString(), &rules);
    QCOMPARE(errorHex(s.code), errorHex(hr::BG_E_INVALID_PROXY_INFO));
    QVERIFY(!s.message.isEmpty());
    if (!named.isEmpty())
        QVERIFY2(s.message.contains(QLatin1Char('\'') + named + QLatin1Char('\'')), qPrintable(s.message));
}

void tst_ProxyRules::bypass_data()
{
    QTest::addColumn<QString>("bypass");
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("direct");

    QTest::newRow("*.domain: subdomain") << "*.example.com" << "http://a.example.com/f" << true;
    QTest::newRow("*.domain: deeper") << "*.example.com" << "http://a.b.example.com/f" << true;
    QTest::newRow("*.domain: case") << "*.example.com" << "http://A.Example.COM/f" << true;
    QTest::newRow("*.domain: other domain") << "*.example.com" << "http://a.example.org/f" << false;
    QTest::newRow("*.domain: example.org") << "*.example.com" << "http://example.org/f" << false;
    QTest::newRow("*.domain: suffix only") << "*.example.com" << "http://a.example.com.evil.net/f" << false;

    QTest::newRow("10.*: in") << "10.*" << "http://10.1.2.3/f" << true;
    QTest::newRow("10.*: 110.x") << "10.*" << "http://110.1.2.3/f" << false;
    QTest::newRow("10.*: 192.168") << "10.*" << "http://192.168.1.1/f" << false;

    QTest::newRow("<local>: intranet") << "<local>" << "http://intranet/f" << true;
    QTest::newRow("<local>: a.b") << "<local>" << "http://a.b/f" << false;
    QTest::newRow("<LOCAL>: intranet") << "<LOCAL>" << "http://intranet/f" << true;

    QTest::newRow("host:port: that port") << "host:8080" << "http://host:8080/f" << true;
    QTest::newRow("host:port: https on that port") << "host:8080" << "https://host:8080/f" << true;
    QTest::newRow("host:port: default port") << "host:8080" << "http://host/f" << false;
    QTest::newRow("host:port: other port") << "host:8080" << "http://host:8081/f" << false;
    QTest::newRow("host:443: https default port") << "host:443" << "https://host/f" << true;

    QTest::newRow("http://h: http") << "http://h" << "http://h/f" << true;
    QTest::newRow("http://h: https") << "http://h" << "https://h/f" << false;
    QTest::newRow("http://h: other host") << "http://h" << "http://g/f" << false;

    QTest::newRow("plain host") << "127.0.0.1" << "http://127.0.0.1:8000/f" << true;
    QTest::newRow("plain host, other") << "127.0.0.1" << "http://127.0.0.2/f" << false;
    QTest::newRow("plain host, not a prefix") << "127.0.0.1" << "http://127.0.0.10/f" << false;
    QTest::newRow("IPv6") << "[::1]" << "http://[::1]:8080/f" << true;
    QTest::newRow("several, second matches") << "*.example.com;<local> 10.*" << "http://10.0.0.1/f" << true;
    QTest::newRow("several, none matches") << "*.example.com;<local> 10.*" << "http://a.b/f" << false;
    QTest::newRow("empty bypass") << "" << "http://intranet/f" << false;
}

void tst_ProxyRules::bypass()
{
    QFETCH(QString, bypass);
    QFETCH(QString, url);
    QFETCH(bool, direct);
    ProxyRules rules;
    const Status s = ProxyRules::parse(QStringLiteral("proxy:3128"), bypass, &rules);
    QVERIFY2(s.ok(), qPrintable(s.message));
    const QStringList expected = direct ? QStringList{QStringLiteral("direct")} : QStringList{QStringLiteral("http://proxy:3128")};
    QCOMPARE(text(rules.proxiesFor(QUrl(url))), expected);
}

void tst_ProxyRules::invalidBypass_data()
{
    QTest::addColumn<QString>("bypass");
    QTest::newRow("bad character") << "bad!host";
    QTest::newRow("path") << "host/path";
    QTest::newRow("port not a number") << "host:x";
}

void tst_ProxyRules::invalidBypass()
{
    QFETCH(QString, bypass);
    ProxyRules rules;
    const Status s = ProxyRules::parse(QStringLiteral("proxy:3128"), bypass, &rules);
    QCOMPARE(errorHex(s.code), errorHex(hr::BG_E_INVALID_PROXY_INFO));
    QVERIFY2(s.message.contains(bypass), qPrintable(s.message));
}

void tst_ProxyRules::listLength_data()
{
    QTest::addColumn<QString>("list");
    QTest::addColumn<QString>("bypass");
    QTest::addColumn<bool>("accepted");
    // Long but well-formed: 1000 entries "p:1 " make 4000 characters.
    const QString entries4000 = QStringLiteral("p:1 ").repeated(1000);
    const QString hosts4000 = QStringLiteral("h.x ").repeated(1000);
    QTest::newRow("list of 4000") << entries4000 << QString() << true;
    QTest::newRow("list of 4001") << entries4000 + QLatin1Char('p') << QString() << false;
    QTest::newRow("bypass of 4000") << QStringLiteral("p:1") << hosts4000 << true;
    QTest::newRow("bypass of 4001") << QStringLiteral("p:1") << hosts4000 + QLatin1Char('h') << false;
}

void tst_ProxyRules::listLength()
{
    QFETCH(QString, list);
    QFETCH(QString, bypass);
    QFETCH(bool, accepted);
    ProxyRules rules;
    const Status s = ProxyRules::parse(list, bypass, &rules);
    if (accepted) {
        QVERIFY2(s.ok(), qPrintable(s.message));
    } else {
        QCOMPARE(errorHex(s.code), errorHex(hr::BG_E_INVALID_PROXY_INFO));
        QVERIFY2(s.message.contains(QLatin1String("4000")), qPrintable(s.message));
    }
}

// A job's connection manager asks JobProxyFactory: NO_PROXY is always direct, OVERRIDE follows
// the rules (bypass included).
void tst_ProxyRules::factoryFollowsUsage()
{
    ProxyRules rules;
    QVERIFY(ProxyRules::parse(QStringLiteral("http://p:3128"), QStringLiteral("*.local.test"), &rules).ok());
    const QNetworkProxyQuery viaProxy(QUrl(QStringLiteral("http://example.com/f")));
    const QNetworkProxyQuery bypassed(QUrl(QStringLiteral("http://a.local.test/f")));

    JobProxyFactory overriding(ProxyUsage::Override, rules);
    QCOMPARE(text(overriding.queryProxy(viaProxy)), QStringList{QStringLiteral("http://p:3128")});
    QCOMPARE(text(overriding.queryProxy(bypassed)), QStringList{QStringLiteral("direct")});

    JobProxyFactory direct(ProxyUsage::NoProxy, rules);
    QCOMPARE(text(direct.queryProxy(viaProxy)), QStringList{QStringLiteral("direct")});
}

QTEST_GUILESS_MAIN(tst_ProxyRules)
#include "tst_proxyrules.moc"
