// Credentials in the real OS keychain: gnome-keyring's Secret Service on the private D-Bus
// session that tests/run.sh starts (FERRY_REQUIRE_KEYCHAIN=1 there: a missing keychain fails
// the test instead of skipping it). What is written is read back, per job, target and scheme;
// removal is final; and the password is in no file in clear, not even the keyring's own.
#include "store/CredentialStore.h"

#include <QDirIterator>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace ferry;

namespace {

constexpr int WaitMs = 10000;

struct Result
{
    bool done = false;
    Status status;
    Credentials credentials;
};

} // namespace

class tst_CredentialStore : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void writeReadRemove();
    void keysAreSeparate();
    void passwordIsInNoFileInClear();

private:
    Status write(const QUuid &job, AuthTarget target, AuthScheme scheme, const Credentials &c);
    Result read(const QUuid &job, AuthTarget target, AuthScheme scheme);
    Status remove(const QUuid &job, AuthTarget target, AuthScheme scheme);

    CredentialStore m_store{QStringLiteral("ferry-test")};
};

void tst_CredentialStore::initTestCase()
{
    // Probe: can anything be stored at all?
    const QUuid probe = QUuid::createUuid();
    const Status s = write(probe, AuthTarget::Server, AuthScheme::Basic, {QStringLiteral("probe"), QStringLiteral("probe")});
    if (s) {
        QVERIFY(remove(probe, AuthTarget::Server, AuthScheme::Basic).ok());
        return;
    }
    if (qEnvironmentVariableIntValue("FERRY_REQUIRE_KEYCHAIN") == 1)
        QFAIL(qPrintable(QStringLiteral("no usable keychain: %1").arg(s.message)));
    QSKIP(qPrintable(QStringLiteral("no usable keychain here (%1); tests/run.sh provides one").arg(s.message)));
}

Status tst_CredentialStore::write(const QUuid &job, AuthTarget target, AuthScheme scheme, const Credentials &c)
{
    Result r;
    m_store.write(job, target, scheme, c, [&r](const Status &s) { r.done = true; r.status = s; });
    if (!QTest::qWaitFor([&] { return r.done; }, WaitMs))
        return {hr::E_FAIL, QStringLiteral("the keychain did not answer")};
    return r.status;
}

Result tst_CredentialStore::read(const QUuid &job, AuthTarget target, AuthScheme scheme)
{
    Result r;
    m_store.read(job, target, scheme, [&r](const Status &s, const Credentials &c) {
        r.done = true;
        r.status = s;
        r.credentials = c;
    });
    (void)QTest::qWaitFor([&] { return r.done; }, WaitMs); // r.done says whether it answered
    return r;
}

Status tst_CredentialStore::remove(const QUuid &job, AuthTarget target, AuthScheme scheme)
{
    Result r;
    m_store.remove(job, target, scheme, [&r](const Status &s) { r.done = true; r.status = s; });
    (void)QTest::qWaitFor([&] { return r.done; }, WaitMs); // r.done says whether it answered
    return r.done ? r.status : Status(hr::E_FAIL, QStringLiteral("the keychain did not answer"));
}

void tst_CredentialStore::writeReadRemove()
{
    const QUuid job = QUuid::createUuid();
    const Credentials alice{QStringLiteral("alice"), QStringLiteral("wonderland ünïcode ✓")};
    QVERIFY(write(job, AuthTarget::Server, AuthScheme::Basic, alice).ok());
    Result r = read(job, AuthTarget::Server, AuthScheme::Basic);
    QVERIFY2(r.done && r.status.ok(), qPrintable(r.status.message));
    QCOMPARE(r.credentials.user, alice.user);
    QCOMPARE(r.credentials.password, alice.password);

    QVERIFY(write(job, AuthTarget::Server, AuthScheme::Basic, {QStringLiteral("alice"), QStringLiteral("changed")}).ok());
    QCOMPARE(read(job, AuthTarget::Server, AuthScheme::Basic).credentials.password, QStringLiteral("changed"));

    QVERIFY(remove(job, AuthTarget::Server, AuthScheme::Basic).ok());
    r = read(job, AuthTarget::Server, AuthScheme::Basic);
    QVERIFY(r.done);
    QCOMPARE(errorName(r.status.code), QStringLiteral("NOT_FOUND"));
    QVERIFY(remove(job, AuthTarget::Server, AuthScheme::Basic).ok()); // nothing to remove: fine
}

void tst_CredentialStore::keysAreSeparate()
{
    const QUuid a = QUuid::createUuid(), b = QUuid::createUuid();
    QVERIFY(write(a, AuthTarget::Server, AuthScheme::Basic, {QStringLiteral("u1"), QStringLiteral("p1")}).ok());
    QVERIFY(write(a, AuthTarget::Proxy, AuthScheme::Basic, {QStringLiteral("u2"), QStringLiteral("p2")}).ok());
    QVERIFY(write(a, AuthTarget::Server, AuthScheme::Digest, {QStringLiteral("u3"), QStringLiteral("p3")}).ok());
    QVERIFY(write(b, AuthTarget::Server, AuthScheme::Basic, {QStringLiteral("u4"), QStringLiteral("p4")}).ok());
    QCOMPARE(read(a, AuthTarget::Server, AuthScheme::Basic).credentials.password, QStringLiteral("p1"));
    QCOMPARE(read(a, AuthTarget::Proxy, AuthScheme::Basic).credentials.password, QStringLiteral("p2"));
    QCOMPARE(read(a, AuthTarget::Server, AuthScheme::Digest).credentials.password, QStringLiteral("p3"));
    QCOMPARE(read(b, AuthTarget::Server, AuthScheme::Basic).credentials.password, QStringLiteral("p4"));
    QVERIFY(remove(a, AuthTarget::Proxy, AuthScheme::Basic).ok());
    QCOMPARE(read(a, AuthTarget::Server, AuthScheme::Basic).credentials.password, QStringLiteral("p1"));
    for (const auto &[job, target, scheme] : {std::tuple{a, AuthTarget::Server, AuthScheme::Basic},
                                              std::tuple{a, AuthTarget::Server, AuthScheme::Digest},
                                              std::tuple{b, AuthTarget::Server, AuthScheme::Basic}})
        QVERIFY(remove(job, target, scheme).ok());
}

void tst_CredentialStore::passwordIsInNoFileInClear()
{
    const QByteArray secret = "Ferry-" + QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
    const QUuid job = QUuid::createUuid();
    QVERIFY(write(job, AuthTarget::Server, AuthScheme::Basic, {QStringLiteral("bob"), QString::fromLatin1(secret)}).ok());
    QCOMPARE(read(job, AuthTarget::Server, AuthScheme::Basic).credentials.password, QString::fromLatin1(secret));
    // The keyring lives under XDG_DATA_HOME (tests/run.sh gives each run a fresh one).
    const QString data = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    int files = 0;
    for (QDirIterator it(data, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories); it.hasNext();) {
        QFile f(it.next());
        if (!f.open(QIODevice::ReadOnly))
            continue;
        ++files;
        QVERIFY2(!f.readAll().contains(secret), qPrintable(f.fileName()));
    }
    QVERIFY(files > 0 || qEnvironmentVariableIntValue("FERRY_REQUIRE_KEYCHAIN") != 1);
    QVERIFY(remove(job, AuthTarget::Server, AuthScheme::Basic).ok());
}

QTEST_GUILESS_MAIN(tst_CredentialStore)
#include "tst_credentialstore.moc"
