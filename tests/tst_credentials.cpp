// Credentials and proxies end to end, through the real ferry-admin and `ferry --headless`:
// nginx with auth_basic, our Digest test server, tinyproxy (with and without Basic proxy
// authentication), the real gnome-keyring of the test command, and a keychain that goes away
// and comes back. After every test the whole profile directory (database, WAL, engine.log) and
// everything ferry-admin printed are scanned for the passwords used: they must be nowhere.
#include "AdminRunner.h"
#include "FaultServer.h"
#include "NginxServer.h"
#include "ProxyServer.h"
#include "store/CredentialStore.h"
#include "TestContent.h"

#include <QDeadlineTimer>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <memory>

using namespace admintest;
using ferry::AuthScheme;
using ferry::AuthTarget;
using ferry::CredentialStore;
using ferry::Credentials;
using ferry::Status;
using ferry::test::FaultServer;
using ferry::test::NginxServer;
using ferry::test::ProxyServer;
using ferry::test::TestContent;

namespace {

constexpr qint64 FileSize = 3 << 20;
constexpr quint32 FileSeed = 41;

QString uniqueSecret(const char *what) { return QStringLiteral("%1-%2").arg(QLatin1String(what), QUuid::createUuid().toString(QUuid::Id128)); }

// Every form a password could take in a file: UTF-8, UTF-16 and base64 of either.
QList<QByteArray> formsOf(const QString &secret)
{
    const QByteArray utf8 = secret.toUtf8();
    const QByteArray utf16(reinterpret_cast<const char *>(secret.utf16()), secret.size() * 2);
    return {utf8, utf16, utf8.toBase64(), utf16.toBase64()};
}

} // namespace

class TestCredentials : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void basicCredentialsFromStdinDownload();
    void wrongPasswordEndsInErrorWith401();
    void missingCredentialsSayHowToSetThem();
    void digestCredentialsDownload();
    void credentialsSurviveRestartAndLeaveWithTheJob();
    void takeOwnershipDropsCredentials();
    void removeCredentials();
    void badCredentialArguments();
    void proxyOverrideCarriesTheRequests();
    void proxyAuthentication();
    void preconfigFollowsTheEnvironmentAndNoProxyIgnoresIt();
    void lockedOutKeychainWaitsThenTransfers();

private:
    AdminResult admin(const QStringList &args, const AdminCall &call = {});
    QString createJob(const QString &name, const QUrl &url, const QString &file);
    QJsonObject info(const QString &job);
    QString errorCode(const QString &job);
    AdminResult setCredentials(const QString &job, const QString &target, const QString &scheme, const QString &user,
                               const QString &password, const AdminCall &call = {});
    Status keychainRead(const QString &job, AuthTarget target, AuthScheme scheme, Credentials *out = nullptr);

    QTemporaryDir m_www;
    std::unique_ptr<NginxServer> m_nginx;
    std::unique_ptr<FaultServer> m_fault;
    std::unique_ptr<ProxyServer> m_proxy;           // open
    std::unique_ptr<ProxyServer> m_guardedProxy;    // asks for Basic credentials
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_profile;
    QString m_downloads;
    QStringList m_secrets;                          // every password this suite uses
    QString m_printed;                              // everything ferry-admin printed in this test
    QString m_nginxPassword, m_digestPassword, m_proxyPassword;
};

void TestCredentials::initTestCase()
{
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");
    m_nginxPassword = uniqueSecret("nginx");
    m_digestPassword = uniqueSecret("digest");
    m_proxyPassword = uniqueSecret("proxy");
    m_secrets << m_nginxPassword << m_digestPassword << m_proxyPassword;

    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("a.bin")), FileSize, FileSeed));
    m_nginx = std::make_unique<NginxServer>(m_www.path());
    m_nginx->setBasicAuth(QStringLiteral("alice"), m_nginxPassword);
    QString error;
    QVERIFY2(m_nginx->start(&error), qPrintable(error));
    m_fault = std::make_unique<FaultServer>();
    m_fault->setDigestCredentials("bob", m_digestPassword.toUtf8());
    m_proxy = std::make_unique<ProxyServer>();
    QVERIFY2(m_proxy->start(&error), qPrintable(error));
    m_guardedProxy = std::make_unique<ProxyServer>();
    m_guardedProxy->setBasicAuth(QStringLiteral("carol"), m_proxyPassword);
    QVERIFY2(m_guardedProxy->start(&error), qPrintable(error));
}

void TestCredentials::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    m_profile = m_tmp->filePath(QStringLiteral("profile"));
    m_downloads = m_tmp->filePath(QStringLiteral("downloads"));
    QVERIFY(QDir().mkpath(m_downloads));
    m_printed.clear();
}

// The engine stops first, so that everything it would write is written; then every byte it
// left in the profile and every line ferry-admin printed is searched for every password.
void TestCredentials::cleanup()
{
    QString reason;
    const bool stopped = shutdownEngine(m_profile, &reason);
    QStringList found;
    QDirIterator it(m_profile, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    int scanned = 0;
    while (it.hasNext()) {
        const QString path = it.next();
        const QByteArray bytes = readAll(path);
        ++scanned;
        for (const QString &secret : std::as_const(m_secrets))
            for (const QByteArray &form : formsOf(secret))
                if (bytes.contains(form))
                    found << QStringLiteral("%1 holds a password").arg(path);
    }
    for (const QString &secret : std::as_const(m_secrets))
        if (m_printed.contains(secret))
            found << QStringLiteral("ferry-admin printed a password");
    m_tmp.reset();
    QVERIFY2(stopped, qPrintable(reason));
    QVERIFY2(found.isEmpty(), qPrintable(found.join(QLatin1Char('\n'))));
    QVERIFY2(scanned == 0 || scanned >= 2, "the profile should hold at least the database and the engine log");
}

AdminResult TestCredentials::admin(const QStringList &args, const AdminCall &call)
{
    const AdminResult r = runAdmin(m_profile, args, call);
    m_printed += r.out + r.err;
    return r;
}

QString TestCredentials::createJob(const QString &name, const QUrl &url, const QString &file)
{
    const AdminResult r = admin({QStringLiteral("create"), name});
    const QString id = r.out.trimmed();
    if (r.exitCode != 0 || QUuid::fromString(id).isNull()) {
        qWarning().noquote() << "create failed:" << describe(r);
        return {};
    }
    const AdminResult add = admin({QStringLiteral("addfile"), id, url.toString(), m_downloads + QLatin1Char('/') + file});
    if (add.exitCode != 0) {
        qWarning().noquote() << "addfile failed:" << describe(add);
        return {};
    }
    return id;
}

QJsonObject TestCredentials::info(const QString &job)
{
    const AdminResult r = admin({QStringLiteral("info"), job, QStringLiteral("--json")});
    return jsonObject(r.out);
}

QString TestCredentials::errorCode(const QString &job)
{
    return info(job).value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString();
}

AdminResult TestCredentials::setCredentials(const QString &job, const QString &target, const QString &scheme,
                                            const QString &user, const QString &password, const AdminCall &call)
{
    // The password goes through standard input, as a user keeping it out of shell history would.
    AdminCall withInput = call;
    withInput.input = password.toUtf8() + '\n';
    return admin({QStringLiteral("setcredentials"), job, target, scheme, user}, withInput);
}

Status TestCredentials::keychainRead(const QString &job, AuthTarget target, AuthScheme scheme, Credentials *out)
{
    CredentialStore store;
    Status result(ferry::hr::E_FAIL, QStringLiteral("the keychain never answered"));
    bool done = false;
    store.read(QUuid::fromString(job), target, scheme, [&](const Status &s, const Credentials &c) {
        result = s;
        if (out)
            *out = c;
        done = true;
    });
    QDeadlineTimer deadline(20000);
    while (!done && !deadline.hasExpired())
        QTest::qWait(10);
    return result;
}

void TestCredentials::basicCredentialsFromStdinDownload()
{
    const QString id = createJob(QStringLiteral("basic"), m_nginx->url(QStringLiteral("/private/a.bin")), QStringLiteral("a.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(setCredentials(id, QStringLiteral("SERVER"), QStringLiteral("BASIC"), QStringLiteral("alice"), m_nginxPassword));
    const QJsonArray stored = info(id).value(QLatin1String("credentials")).toArray();
    QCOMPARE(stored.size(), 1);
    QCOMPARE(stored[0].toObject().value(QLatin1String("target")).toString(), QStringLiteral("SERVER"));
    QCOMPARE(stored[0].toObject().value(QLatin1String("scheme")).toString(), QStringLiteral("BASIC"));

    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/a.bin")), TestContent::sha256Hex(FileSeed, FileSize));
}

void TestCredentials::wrongPasswordEndsInErrorWith401()
{
    const QString id = createJob(QStringLiteral("wrong"), m_nginx->url(QStringLiteral("/private/a.bin")), QStringLiteral("w.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(setCredentials(id, QStringLiteral("SERVER"), QStringLiteral("BASIC"), QStringLiteral("alice"), m_nginxPassword + QLatin1Char('x')));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    QCOMPARE(admin({QStringLiteral("wait"), id}).exitCode, 1);
    QCOMPARE(admin({QStringLiteral("getstate"), id}).out.trimmed(), QStringLiteral("ERROR"));
    QCOMPARE(errorCode(id), QStringLiteral("0x80190191"));
    QVERIFY2(info(id).value(QLatin1String("error")).toObject().value(QLatin1String("description")).toString().contains(
                 QLatin1String("refused the job's credentials")),
             qPrintable(admin({QStringLiteral("geterror"), id}).out));
    QVERIFY(!QFile::exists(m_downloads + QStringLiteral("/w.bin")));
}

void TestCredentials::missingCredentialsSayHowToSetThem()
{
    const QString id = createJob(QStringLiteral("none"), m_nginx->url(QStringLiteral("/private/a.bin")), QStringLiteral("n.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    QCOMPARE(admin({QStringLiteral("wait"), id}).exitCode, 1);
    QCOMPARE(errorCode(id), QStringLiteral("0x80190191"));
    QVERIFY(admin({QStringLiteral("geterror"), id}).out.contains(QLatin1String("setcredentials")));
}

void TestCredentials::digestCredentialsDownload()
{
    const qint64 size = 700000;
    const QString id = createJob(QStringLiteral("digest"), m_fault->url(QStringLiteral("/digest/file?size=%1&seed=7").arg(size)),
                                 QStringLiteral("d.bin"));
    QVERIFY(!id.isEmpty());
    m_fault->clear();
    ADMIN_OK(setCredentials(id, QStringLiteral("SERVER"), QStringLiteral("DIGEST"), QStringLiteral("bob"), m_digestPassword));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/d.bin")), TestContent::sha256Hex(7, size));
    bool digestSeen = false;
    for (const FaultServer::Request &r : m_fault->requests()) {
        const QByteArray auth = r.headers.value("authorization");
        digestSeen = digestSeen || auth.startsWith("Digest ");
        QVERIFY2(!auth.contains(m_digestPassword.toUtf8()), "the Digest password went over the wire");
    }
    QVERIFY(digestSeen);
}

void TestCredentials::credentialsSurviveRestartAndLeaveWithTheJob()
{
    const QString id = createJob(QStringLiteral("restart"), m_nginx->url(QStringLiteral("/private/a.bin")), QStringLiteral("r.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(setCredentials(id, QStringLiteral("SERVER"), QStringLiteral("BASIC"), QStringLiteral("alice"), m_nginxPassword));
    QString reason;
    QVERIFY2(shutdownEngine(m_profile, &reason), qPrintable(reason));

    // A new engine reads them back from the keychain.
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    Credentials held;
    QVERIFY(keychainRead(id, AuthTarget::Server, AuthScheme::Basic, &held).ok());
    QCOMPARE(held.user, QStringLiteral("alice"));
    QCOMPARE(held.password, m_nginxPassword);

    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/r.bin")), TestContent::sha256Hex(FileSeed, FileSize));
    // The job has ended: its secret leaves the keychain too.
    QTRY_COMPARE_WITH_TIMEOUT(keychainRead(id, AuthTarget::Server, AuthScheme::Basic).code, ferry::hr::BG_E_NOT_FOUND, 20000);
}

void TestCredentials::takeOwnershipDropsCredentials()
{
    const QString id = createJob(QStringLiteral("owner"), m_nginx->url(QStringLiteral("/private/a.bin")), QStringLiteral("o.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(setCredentials(id, QStringLiteral("PROXY"), QStringLiteral("BASIC"), QStringLiteral("carol"), m_proxyPassword));
    QVERIFY(keychainRead(id, AuthTarget::Proxy, AuthScheme::Basic).ok());
    ADMIN_OK(admin({QStringLiteral("takeownership"), id}));
    QCOMPARE(info(id).value(QLatin1String("credentials")).toArray().size(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(keychainRead(id, AuthTarget::Proxy, AuthScheme::Basic).code, ferry::hr::BG_E_NOT_FOUND, 20000);
    ADMIN_OK(admin({QStringLiteral("cancel"), id}));
}

void TestCredentials::removeCredentials()
{
    const QString id = createJob(QStringLiteral("remove"), m_nginx->url(QStringLiteral("/private/a.bin")), QStringLiteral("x.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(admin({QStringLiteral("setcredentials"), id, QStringLiteral("SERVER"), QStringLiteral("NTLM"), QStringLiteral("dom\\user"),
                    m_nginxPassword}));
    ADMIN_OK(setCredentials(id, QStringLiteral("SERVER"), QStringLiteral("BASIC"), QStringLiteral("alice"), m_nginxPassword));
    QCOMPARE(info(id).value(QLatin1String("credentials")).toArray().size(), 2);
    ADMIN_OK(admin({QStringLiteral("removecredentials"), id, QStringLiteral("SERVER"), QStringLiteral("NTLM")}));
    const QJsonArray left = info(id).value(QLatin1String("credentials")).toArray();
    QCOMPARE(left.size(), 1);
    QCOMPARE(left[0].toObject().value(QLatin1String("scheme")).toString(), QStringLiteral("BASIC"));
    QCOMPARE(keychainRead(id, AuthTarget::Server, AuthScheme::Ntlm).code, ferry::hr::BG_E_NOT_FOUND);
    QVERIFY(keychainRead(id, AuthTarget::Server, AuthScheme::Basic).ok());
    // Removing what is not there is no error, but says so.
    const AdminResult again = admin({QStringLiteral("removecredentials"), id, QStringLiteral("SERVER"), QStringLiteral("NTLM")});
    QCOMPARE(again.exitCode, 0);
    QVERIFY(again.out.contains(QLatin1String("no SERVER/NTLM credentials")));
    ADMIN_OK(admin({QStringLiteral("cancel"), id}));
    QTRY_COMPARE_WITH_TIMEOUT(keychainRead(id, AuthTarget::Server, AuthScheme::Basic).code, ferry::hr::BG_E_NOT_FOUND, 20000);
}

void TestCredentials::badCredentialArguments()
{
    const QString id = createJob(QStringLiteral("bad"), m_nginx->url(QStringLiteral("/private/a.bin")), QStringLiteral("b.bin"));
    QVERIFY(!id.isEmpty());
    const auto failsWith = [&](const QStringList &args, const QString &name) {
        const AdminResult r = admin(args);
        return r.exitCode == 1 && r.err.contains(name) ? QString() : describe(r);
    };
    QString problem;
    QVERIFY2((problem = failsWith({QStringLiteral("setcredentials"), id, QStringLiteral("WEB"), QStringLiteral("BASIC"), QStringLiteral("u"),
                                   QStringLiteral("p")},
                                  QStringLiteral("INVALID_AUTH_TARGET (0x80200027)")))
                 .isEmpty(),
             qPrintable(problem));
    QVERIFY2((problem = failsWith({QStringLiteral("setcredentials"), id, QStringLiteral("SERVER"), QStringLiteral("PASSPORT"),
                                   QStringLiteral("u"), QStringLiteral("p")},
                                  QStringLiteral("INVALID_AUTH_SCHEME (0x80200028)")))
                 .isEmpty(),
             qPrintable(problem));
    QVERIFY2((problem = failsWith({QStringLiteral("setcredentials"), id, QStringLiteral("SERVER"), QStringLiteral("BASIC"),
                                   QString(301, QLatin1Char('u')), QStringLiteral("p")},
                                  QStringLiteral("USERNAME_TOO_LARGE (0x80200025)")))
                 .isEmpty(),
             qPrintable(problem));
    QVERIFY2((problem = failsWith({QStringLiteral("setcredentials"), id, QStringLiteral("SERVER"), QStringLiteral("BASIC"), QString(),
                                   QStringLiteral("p")},
                                  QStringLiteral("INVALIDARG")))
                 .isEmpty(),
             qPrintable(problem));
    // The stdin form with nothing on stdin stores nothing.
    const AdminResult empty = admin({QStringLiteral("setcredentials"), id, QStringLiteral("SERVER"), QStringLiteral("BASIC"), QStringLiteral("u")});
    QCOMPARE(empty.exitCode, 2);
    QVERIFY(empty.err.contains(QLatin1String("no password")));
    QCOMPARE(info(id).value(QLatin1String("credentials")).toArray().size(), 0);
    ADMIN_OK(admin({QStringLiteral("cancel"), id}));
}

void TestCredentials::proxyOverrideCarriesTheRequests()
{
    const QString id = createJob(QStringLiteral("via-proxy"), m_nginx->url(QStringLiteral("/a.bin")), QStringLiteral("p.bin"));
    QVERIFY(!id.isEmpty());
    const int before = m_proxy->requestsFor(QStringLiteral("/a.bin"));
    ADMIN_OK(admin({QStringLiteral("setproxysettings"), id, QStringLiteral("OVERRIDE"),
                    QStringLiteral("http://%1:%2").arg(m_proxy->host()).arg(m_proxy->port())}));
    QCOMPARE(admin({QStringLiteral("getproxyusage"), id}).out.trimmed(), QStringLiteral("OVERRIDE"));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/p.bin")), TestContent::sha256Hex(FileSeed, FileSize));
    QTRY_VERIFY(m_proxy->requestsFor(QStringLiteral("/a.bin")) > before);
}

void TestCredentials::proxyAuthentication()
{
    const QString proxy = QStringLiteral("http://%1:%2").arg(m_guardedProxy->host()).arg(m_guardedProxy->port());
    // Without credentials the proxy's 407 ends the job.
    const QString refused = createJob(QStringLiteral("proxy-407"), m_nginx->url(QStringLiteral("/a.bin")), QStringLiteral("r407.bin"));
    QVERIFY(!refused.isEmpty());
    ADMIN_OK(admin({QStringLiteral("setproxysettings"), refused, QStringLiteral("OVERRIDE"), proxy}));
    ADMIN_OK(admin({QStringLiteral("resume"), refused}));
    QCOMPARE(admin({QStringLiteral("wait"), refused}).exitCode, 1);
    QCOMPARE(errorCode(refused), QStringLiteral("0x80190197"));
    ADMIN_OK(admin({QStringLiteral("cancel"), refused}));

    // With PROXY credentials, and SERVER credentials for the protected file behind it.
    const QString id = createJob(QStringLiteral("proxy-auth"), m_nginx->url(QStringLiteral("/private/a.bin")), QStringLiteral("pa.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(admin({QStringLiteral("setproxysettings"), id, QStringLiteral("OVERRIDE"), proxy}));
    ADMIN_OK(setCredentials(id, QStringLiteral("PROXY"), QStringLiteral("BASIC"), QStringLiteral("carol"), m_proxyPassword));
    ADMIN_OK(setCredentials(id, QStringLiteral("SERVER"), QStringLiteral("BASIC"), QStringLiteral("alice"), m_nginxPassword));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/pa.bin")), TestContent::sha256Hex(FileSeed, FileSize));
    QTRY_VERIFY(m_guardedProxy->requestsFor(QStringLiteral("/private/a.bin")) > 0);
}

void TestCredentials::preconfigFollowsTheEnvironmentAndNoProxyIgnoresIt()
{
    // The engine ferry-admin starts inherits this environment: its system proxy is our tinyproxy.
    AdminCall viaEnvironment;
    viaEnvironment.environment = QProcessEnvironment::systemEnvironment();
    viaEnvironment.environment.insert(QStringLiteral("http_proxy"), QStringLiteral("http://%1:%2").arg(m_proxy->host()).arg(m_proxy->port()));
    viaEnvironment.environment.remove(QStringLiteral("no_proxy"));
    viaEnvironment.environment.remove(QStringLiteral("NO_PROXY"));
    const AdminResult created = admin({QStringLiteral("create"), QStringLiteral("preconfig")}, viaEnvironment);
    QCOMPARE(created.exitCode, 0);
    const QString id = created.out.trimmed();
    ADMIN_OK(admin({QStringLiteral("addfile"), id, m_nginx->url(QStringLiteral("/a.bin?preconfig")).toString(),
                    m_downloads + QStringLiteral("/pre.bin")}));
    const QString direct = createJob(QStringLiteral("noproxy"), m_nginx->url(QStringLiteral("/a.bin?noproxy")), QStringLiteral("np.bin"));
    QVERIFY(!direct.isEmpty());
    ADMIN_OK(admin({QStringLiteral("setproxysettings"), direct, QStringLiteral("NO_PROXY")}));
    for (const QString &job : {id, direct}) {
        ADMIN_OK(admin({QStringLiteral("resume"), job}));
        ADMIN_OK(admin({QStringLiteral("wait"), job}));
        ADMIN_OK(admin({QStringLiteral("complete"), job}));
    }
    QCOMPARE(sha256(m_downloads + QStringLiteral("/pre.bin")), TestContent::sha256Hex(FileSeed, FileSize));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/np.bin")), TestContent::sha256Hex(FileSeed, FileSize));
    QTRY_VERIFY(m_proxy->requestsFor(QStringLiteral("/a.bin?preconfig")) > 0);
    QCOMPARE(m_proxy->requestsFor(QStringLiteral("/a.bin?noproxy")), 0);
}

// The keychain of a private D-Bus session goes away: a job that needs its credentials waits in
// TRANSIENT_ERROR KEYCHAIN_UNAVAILABLE (never a transfer without them, never a plaintext
// fallback) and transfers once the keychain is back.
void TestCredentials::lockedOutKeychainWaitsThenTransfers()
{
    PrivateKeyring keyring(m_tmp->path());
    QString error;
    QVERIFY2(keyring.start(&error), qPrintable(error));
    AdminCall onBus;
    onBus.environment = keyring.environment();

    const AdminResult created = admin({QStringLiteral("create"), QStringLiteral("outage")}, onBus);
    QCOMPARE(created.exitCode, 0);
    const QString id = created.out.trimmed();
    ADMIN_OK(admin({QStringLiteral("addfile"), id, m_nginx->url(QStringLiteral("/private/a.bin")).toString(),
                    m_downloads + QStringLiteral("/k.bin")}));
    ADMIN_OK(admin({QStringLiteral("setminretrydelay"), id, QStringLiteral("5")}));
    // The daemon takes a moment to claim its name on the bus: until then the keychain is away.
    QTRY_VERIFY_WITH_TIMEOUT(setCredentials(id, QStringLiteral("SERVER"), QStringLiteral("BASIC"), QStringLiteral("alice"),
                                            m_nginxPassword)
                                     .exitCode
                                 == 0,
                             20000);

    QVERIFY(keyring.stopDaemon());
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    QTRY_COMPARE_WITH_TIMEOUT(admin({QStringLiteral("getstate"), id}).out.trimmed(), QStringLiteral("TRANSIENT_ERROR"), 20000);
    QCOMPARE(errorCode(id), QStringLiteral("0x80070520"));
    QVERIFY(admin({QStringLiteral("geterror"), id}).out.contains(QLatin1String("KEYCHAIN_UNAVAILABLE")));
    QVERIFY(!QFile::exists(m_downloads + QStringLiteral("/k.bin")));

    QVERIFY2(keyring.start(&error), qPrintable(error));
    QTRY_VERIFY2_WITH_TIMEOUT(admin({QStringLiteral("getstate"), id}).out.trimmed() == QLatin1String("TRANSFERRED"),
                              qPrintable(admin({QStringLiteral("geterror"), id}).out + keyring.readDaemonLog()),
                              30000);
    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/k.bin")), TestContent::sha256Hex(FileSeed, FileSize));
    QString reason;
    QVERIFY2(shutdownEngine(m_profile, &reason), qPrintable(reason)); // before the bus goes
}

QTEST_GUILESS_MAIN(TestCredentials)
#include "tst_credentials.moc"
