// The BITS 5 job and file properties end to end, through the real ferry-admin and
// `ferry --headless` (docs/jobs.md, "Job properties of BITS 5" and "Ranges"): the maximum
// download size, dynamic content, high performance and on-demand mode with their state rules,
// files made of ranges checked byte for byte against nginx, each file's last response headers,
// and write-only custom headers that carry a bearer token to the server and nowhere else.
#include "AdminRunner.h"
#include "FaultServer.h"
#include "NginxServer.h"
#include "TestContent.h"
#include "core/FileRanges.h"
#include "store/CredentialStore.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <memory>

using namespace admintest;
using ferry::CredentialStore;
using ferry::Status;
using ferry::test::FaultServer;
using ferry::test::NginxServer;
using ferry::test::TestContent;

namespace {

constexpr qint64 FileSize = 3 << 20;
constexpr quint32 FileSeed = 57;

} // namespace

class TestJob5 : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void maxDownloadSizeRefusesAnAnnouncedLargerFile();
    void maxDownloadSizeStopsAFileOfUnknownLengthAtTheLimit();
    void maxDownloadSizeIsSetBeforeTheFirstResumeOnly();
    void dynamicContentAsksNoRangeAndRestartsFromZero();
    void highPerformanceIsSetBeforeTheFirstFileOnly();
    void onDemandNeedsRandomAccessAndItsCallsAreNotImplemented();
    void fileWithRangesIsTheConcatenationOfItsSlices();
    void rangePastTheEndIsInvalidRange();
    void rangeCutShortResumesInsideTheRange();
    void changedFileStartsItsRangesAgain();
    void badRangesAreRefusedWhenAdded();
    void responseHeadersAreKeptPerFileWithoutCookies();
    void writeOnlyBearerTokenReachesTheServerAndNothingElse();
    void writeOnlyHeadersLeaveWithOwnershipAndCompletion();

private:
    AdminResult admin(const QStringList &args);
    QString createJob(const QString &name, const QUrl &url, const QString &file);
    QJsonObject info(const QString &job);
    QString errorCode(const QString &job);
    QString state(const QString &job) { return admin({QStringLiteral("getstate"), job}).out.trimmed(); }
    Status keychainHeaders(const QString &job);

    QTemporaryDir m_www;
    std::unique_ptr<NginxServer> m_nginx;
    std::unique_ptr<FaultServer> m_fault;
    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_profile;
    QString m_downloads;
    QStringList m_secrets;   // every token a test used: nowhere in the profile afterwards
};

void TestJob5::initTestCase()
{
    QVERIFY2(QFileInfo(adminProgram()).isExecutable(), "FERRY_ADMIN must name the ferry-admin binary");
    QVERIFY2(becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed");
    QVERIFY(writeRandomFile(m_www.filePath(QStringLiteral("a.bin")), FileSize, FileSeed));
    m_nginx = std::make_unique<NginxServer>(m_www.path());
    QString error;
    QVERIFY2(m_nginx->start(&error), qPrintable(error));
    m_fault = std::make_unique<FaultServer>();
}

void TestJob5::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    m_profile = m_tmp->filePath(QStringLiteral("profile"));
    m_downloads = m_tmp->filePath(QStringLiteral("downloads"));
    QVERIFY(QDir().mkpath(m_downloads));
    m_secrets.clear();
}

// The engine stops first, so that everything it would write is written; then no byte of the
// profile (database, WAL, log) may hold a token a test sent.
void TestJob5::cleanup()
{
    QString reason;
    const bool stopped = shutdownEngine(m_profile, &reason);
    QStringList found;
    QDirIterator it(m_profile, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QByteArray bytes = readAll(path);
        for (const QString &secret : std::as_const(m_secrets))
            if (bytes.contains(secret.toUtf8()) || bytes.contains(secret.toUtf8().toBase64()))
                found << QStringLiteral("%1 holds a token").arg(path);
    }
    m_tmp.reset();
    QVERIFY2(stopped, qPrintable(reason));
    QVERIFY2(found.isEmpty(), qPrintable(found.join(QLatin1Char('\n'))));
}

AdminResult TestJob5::admin(const QStringList &args)
{
    return runAdmin(m_profile, args);
}

QString TestJob5::createJob(const QString &name, const QUrl &url, const QString &file)
{
    const AdminResult r = admin({QStringLiteral("create"), name});
    const QString id = r.out.trimmed();
    if (r.exitCode != 0 || QUuid::fromString(id).isNull())
        return {};
    if (url.isEmpty())
        return id;
    const AdminResult add = admin({QStringLiteral("addfile"), id, url.toString(), m_downloads + QLatin1Char('/') + file});
    return add.exitCode == 0 ? id : QString();
}

QJsonObject TestJob5::info(const QString &job)
{
    return jsonObject(admin({QStringLiteral("info"), job, QStringLiteral("--json")}).out);
}

QString TestJob5::errorCode(const QString &job)
{
    return info(job).value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString();
}

Status TestJob5::keychainHeaders(const QString &job)
{
    CredentialStore store;
    Status result(ferry::hr::E_FAIL, QStringLiteral("the keychain never answered"));
    bool done = false;
    store.readSecret(CredentialStore::headersKeyFor(QUuid::fromString(job)), [&](const Status &s, const QByteArray &) {
        result = s;
        done = true;
    });
    QDeadlineTimer deadline(20000);
    while (!done && !deadline.hasExpired())
        QTest::qWait(10);
    return result;
}

// Exit code 1 and the BITS name in the one line ferry-admin prints.
#define FAILS_WITH(call, name)                                                                                 \
    do {                                                                                                      \
        const AdminResult failsWith_ = (call);                                                                \
        QVERIFY2(failsWith_.exitCode == 1 && failsWith_.err.contains(QLatin1String(name)),                     \
                 qPrintable(describe(failsWith_)));                                                           \
    } while (false)

void TestJob5::maxDownloadSizeRefusesAnAnnouncedLargerFile()
{
    const QString id = createJob(QStringLiteral("big"), m_fault->url(QStringLiteral("/file?size=400000&seed=3")), QStringLiteral("big.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(admin({QStringLiteral("setmaxdownloadsize"), id, QStringLiteral("100000")}));
    QCOMPARE(info(id).value(QLatin1String("maxDownloadSize")).toString(), QStringLiteral("100000"));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    QCOMPARE(admin({QStringLiteral("wait"), id}).exitCode, 1);
    QCOMPARE(state(id), QStringLiteral("ERROR"));
    QCOMPARE(errorCode(id), QStringLiteral("0x80200064"));
    // Nothing beyond the limit was kept: the announced size alone decided.
    const QStringList parts = partFiles(m_downloads);
    for (const QString &p : parts)
        QVERIFY2(QFileInfo(m_downloads + QLatin1Char('/') + p).size() <= 100000, qPrintable(p));
    ADMIN_OK(admin({QStringLiteral("cancel"), id}));
}

void TestJob5::maxDownloadSizeStopsAFileOfUnknownLengthAtTheLimit()
{
    const QString id = createJob(QStringLiteral("unknown"), m_fault->url(QStringLiteral("/nolength?size=400000&seed=4")), QStringLiteral("u.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(admin({QStringLiteral("setmaxdownloadsize"), id, QStringLiteral("100000")}));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    QCOMPARE(admin({QStringLiteral("wait"), id}).exitCode, 1);
    QCOMPARE(errorCode(id), QStringLiteral("0x80200064"));
    const QJsonObject file = info(id).value(QLatin1String("files")).toArray().at(0).toObject();
    QVERIFY2(file.value(QLatin1String("bytesTransferred")).toDouble() <= 100000, qPrintable(QString::number(file.value(QLatin1String("bytesTransferred")).toDouble())));
    const QStringList parts = partFiles(m_downloads);
    QCOMPARE(parts.size(), 1);
    QVERIFY(QFileInfo(m_downloads + QLatin1Char('/') + parts[0]).size() <= 100000);
    ADMIN_OK(admin({QStringLiteral("cancel"), id}));

    // The same size within the limit transfers.
    const QString ok = createJob(QStringLiteral("fits"), m_fault->url(QStringLiteral("/nolength?size=90000&seed=4")), QStringLiteral("f.bin"));
    ADMIN_OK(admin({QStringLiteral("setmaxdownloadsize"), ok, QStringLiteral("90000")}));
    ADMIN_OK(admin({QStringLiteral("resume"), ok}));
    ADMIN_OK(admin({QStringLiteral("wait"), ok}));
    ADMIN_OK(admin({QStringLiteral("complete"), ok}));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/f.bin")), TestContent::sha256Hex(4, 90000));
}

void TestJob5::maxDownloadSizeIsSetBeforeTheFirstResumeOnly()
{
    const QString id = createJob(QStringLiteral("rules"), m_fault->url(QStringLiteral("/file?size=1000")), QStringLiteral("r.bin"));
    QVERIFY(!id.isEmpty());
    FAILS_WITH(admin({QStringLiteral("setmaxdownloadsize"), id, QStringLiteral("0")}), "MAX_DOWNLOAD_SIZE_INVALID_VALUE");
    ADMIN_OK(admin({QStringLiteral("setmaxdownloadsize"), id, QStringLiteral("18446744073709551615")}));
    QCOMPARE(info(id).value(QLatin1String("maxDownloadSize")).toString(), QStringLiteral("18446744073709551615"));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    FAILS_WITH(admin({QStringLiteral("setmaxdownloadsize"), id, QStringLiteral("5")}), "READ_ONLY_PROPERTY_AFTER_RESUME");
    FAILS_WITH(admin({QStringLiteral("setdynamiccontent"), id, QStringLiteral("true")}), "READ_ONLY_PROPERTY_AFTER_RESUME");
    // Kept across a restart of the engine.
    QVERIFY(shutdownEngine(m_profile));
    FAILS_WITH(admin({QStringLiteral("setmaxdownloadsize"), id, QStringLiteral("5")}), "READ_ONLY_PROPERTY_AFTER_RESUME");
    ADMIN_OK(admin({QStringLiteral("cancel"), id}));
}

void TestJob5::dynamicContentAsksNoRangeAndRestartsFromZero()
{
    const QString path = QStringLiteral("/drop?after=60000&size=200000&seed=9&t=%1").arg(QUuid::createUuid().toString(QUuid::Id128));
    const QString id = createJob(QStringLiteral("dynamic"), m_fault->url(path), QStringLiteral("d.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(admin({QStringLiteral("setdynamiccontent"), id, QStringLiteral("true")}));
    QCOMPARE(info(id).value(QLatin1String("dynamicContent")).toBool(), true);
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    QTRY_COMPARE_WITH_TIMEOUT(state(id), QStringLiteral("TRANSIENT_ERROR"), 30000);
    ADMIN_OK(admin({QStringLiteral("resume"), id})); // retry now rather than after the delay
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/d.bin")), TestContent::sha256Hex(9, 200000));
    int asked = 0;
    for (const FaultServer::Request &r : m_fault->requests()) {
        if (r.path != path.toLatin1())
            continue;
        ++asked;
        QVERIFY2(r.rangeHeader.isEmpty() && r.ifRangeHeader.isEmpty(), r.rangeHeader.constData());
    }
    QVERIFY(asked >= 2); // the broken attempt (perhaps resent by Qt) and the one after it
}

void TestJob5::highPerformanceIsSetBeforeTheFirstFileOnly()
{
    const QString id = createJob(QStringLiteral("fast"), {}, {});
    QVERIFY(!id.isEmpty());
    ADMIN_OK(admin({QStringLiteral("sethighperformance"), id, QStringLiteral("true")}));
    ADMIN_OK(admin({QStringLiteral("addfile"), id, m_nginx->url(QStringLiteral("/a.bin")).toString(), m_downloads + QStringLiteral("/h.bin")}));
    FAILS_WITH(admin({QStringLiteral("sethighperformance"), id, QStringLiteral("false")}), "READ_ONLY_PROPERTY_AFTER_ADDFILE");
    FAILS_WITH(admin({QStringLiteral("sethighperformance"), id, QStringLiteral("maybe")}), "usage");
    QCOMPARE(info(id).value(QLatin1String("highPerformance")).toBool(), true);
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/h.bin")), TestContent::sha256Hex(FileSeed, FileSize));
}

void TestJob5::onDemandNeedsRandomAccessAndItsCallsAreNotImplemented()
{
    const QString id = createJob(QStringLiteral("demand"), m_fault->url(QStringLiteral("/file?size=1000")), QStringLiteral("o.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(admin({QStringLiteral("setondemand"), id, QStringLiteral("true")}));
    QCOMPARE(info(id).value(QLatin1String("onDemand")).toBool(), true);
    FAILS_WITH(admin({QStringLiteral("setdynamiccontent"), id, QStringLiteral("true")}), "RANDOM_ACCESS_NOT_SUPPORTED");
    FAILS_WITH(admin({QStringLiteral("requestfileranges"), id, QStringLiteral("0"), QStringLiteral("0:10")}), "NOTIMPL");
    FAILS_WITH(admin({QStringLiteral("getfilledfileranges"), id}), "NOTIMPL");
    ADMIN_OK(admin({QStringLiteral("setondemand"), id, QStringLiteral("false")}));
    ADMIN_OK(admin({QStringLiteral("setdynamiccontent"), id, QStringLiteral("true")}));
    FAILS_WITH(admin({QStringLiteral("setondemand"), id, QStringLiteral("true")}), "RANDOM_ACCESS_NOT_SUPPORTED");
    ADMIN_OK(admin({QStringLiteral("cancel"), id}));
}

void TestJob5::fileWithRangesIsTheConcatenationOfItsSlices()
{
    const QString list = QStringLiteral("2000000:5000,100:1000,3000000:eof,0:1");
    QList<ferry::FileRange> ranges;
    QVERIFY(ferry::parseRanges(list, &ranges));
    QByteArray expected;
    for (const ferry::FileRange &r : ranges)
        expected += TestContent::bytes(FileSeed, r.offset, r.length < 0 ? FileSize - r.offset : r.length);
    const QString id = createJob(QStringLiteral("ranges"), {}, {});
    ADMIN_OK(admin({QStringLiteral("addfilewithranges"), id, m_nginx->url(QStringLiteral("/a.bin")).toString(),
                    m_downloads + QStringLiteral("/r.bin"), list}));
    QCOMPARE(info(id).value(QLatin1String("files")).toArray().at(0).toObject().value(QLatin1String("ranges")).toString(),
             QStringLiteral("2000000:5000,100:1000,3000000:eof,0:1"));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/r.bin")), QCryptographicHash::hash(expected, QCryptographicHash::Sha256).toHex());
    QCOMPARE(QFileInfo(m_downloads + QStringLiteral("/r.bin")).size(), qint64(expected.size()));
}

void TestJob5::rangePastTheEndIsInvalidRange()
{
    const QString id = createJob(QStringLiteral("past"), {}, {});
    ADMIN_OK(admin({QStringLiteral("addfilewithranges"), id, m_nginx->url(QStringLiteral("/a.bin")).toString(),
                    m_downloads + QStringLiteral("/p.bin"), QStringLiteral("0:10,%1:10").arg(FileSize + 100)}));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    QCOMPARE(admin({QStringLiteral("wait"), id}).exitCode, 1);
    QCOMPARE(errorCode(id), QStringLiteral("0x8020002b"));
    ADMIN_OK(admin({QStringLiteral("cancel"), id}));

    // A range that starts inside the file but ends past it.
    const QString tail = createJob(QStringLiteral("tail"), {}, {});
    ADMIN_OK(admin({QStringLiteral("addfilewithranges"), tail, m_nginx->url(QStringLiteral("/a.bin")).toString(),
                    m_downloads + QStringLiteral("/t.bin"), QStringLiteral("%1:20").arg(FileSize - 10)}));
    ADMIN_OK(admin({QStringLiteral("resume"), tail}));
    QCOMPARE(admin({QStringLiteral("wait"), tail}).exitCode, 1);
    QCOMPARE(errorCode(tail), QStringLiteral("0x8020002b"));
    ADMIN_OK(admin({QStringLiteral("cancel"), tail}));
}

// The first request (the first range) breaks after 3,000 of its 5,000 bytes: the next attempt
// asks for the rest of that range only, from the same version of the file, then the next range.
void TestJob5::rangeCutShortResumesInsideTheRange()
{
    const QString path = QStringLiteral("/drop?after=3000&size=200000&seed=13&t=%1").arg(QUuid::createUuid().toString(QUuid::Id128));
    const QString id = createJob(QStringLiteral("cut"), {}, {});
    ADMIN_OK(admin({QStringLiteral("addfilewithranges"), id, m_fault->url(path).toString(), m_downloads + QStringLiteral("/cut.bin"),
                    QStringLiteral("1000:5000,100000:20000")}));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    QTRY_COMPARE_WITH_TIMEOUT(state(id), QStringLiteral("TRANSIENT_ERROR"), 30000);
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(readAll(m_downloads + QStringLiteral("/cut.bin")),
             TestContent::bytes(13, 1000, 5000) + TestContent::bytes(13, 100000, 20000));
    // Every request asks for the rest of one range and nothing outside it; one from inside a range
    // names the version its bytes belong to. (How many bytes the first attempt kept depends on
    // what the aborted connection delivered, so the exact offsets are not fixed.)
    static const QRegularExpression rangeRe(QStringLiteral("^bytes=(\\d+)-(\\d+)$"));
    int asked = 0;
    QByteArray last;
    for (const FaultServer::Request &r : m_fault->requests()) {
        if (r.path != path.toLatin1())
            continue;
        ++asked;
        const auto m = rangeRe.match(QString::fromLatin1(r.rangeHeader));
        QVERIFY2(m.hasMatch(), r.rangeHeader.constData());
        const qint64 from = m.captured(1).toLongLong(), to = m.captured(2).toLongLong();
        QVERIFY2((to == 5999 && from >= 1000 && from <= 5999) || (to == 119999 && from >= 100000), r.rangeHeader.constData());
        if (from != 1000 && from != 100000)
            QVERIFY2(!r.ifRangeHeader.isEmpty(), r.rangeHeader.constData());
        last = r.rangeHeader + (r.ifRangeHeader.isEmpty() ? QByteArray() : QByteArray(" if-range"));
    }
    QVERIFY(asked >= 3);
    QCOMPARE(last, QByteArray("bytes=100000-119999 if-range"));
}

void TestJob5::changedFileStartsItsRangesAgain()
{
    const QString path = QStringLiteral("/etag-change?after=3000&size=200000&seed=14&t=%1").arg(QUuid::createUuid().toString(QUuid::Id128));
    const QString id = createJob(QStringLiteral("changed"), {}, {});
    ADMIN_OK(admin({QStringLiteral("addfilewithranges"), id, m_fault->url(path).toString(), m_downloads + QStringLiteral("/chg.bin"),
                    QStringLiteral("1000:5000,100000:20000")}));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    QTRY_COMPARE_WITH_TIMEOUT(state(id), QStringLiteral("TRANSIENT_ERROR"), 30000);
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(readAll(m_downloads + QStringLiteral("/chg.bin")),
             TestContent::bytes(14 + 1000, 1000, 5000) + TestContent::bytes(14 + 1000, 100000, 20000));
}

void TestJob5::badRangesAreRefusedWhenAdded()
{
    const QString id = createJob(QStringLiteral("bad"), {}, {});
    const QString url = m_nginx->url(QStringLiteral("/a.bin")).toString();
    const QString local = m_downloads + QStringLiteral("/b.bin");
    const auto add = [&](const QString &list) { return admin({QStringLiteral("addfilewithranges"), id, url, local, list}); };
    FAILS_WITH(add(QStringLiteral("0:100,50:100")), "INVALIDARG");
    FAILS_WITH(add(QStringLiteral("0:100,0:100")), "INVALIDARG");
    FAILS_WITH(add(QStringLiteral("10:eof,5000:1")), "INVALIDARG");
    FAILS_WITH(add(QStringLiteral("0:0")), "INVALIDARG");
    FAILS_WITH(add(QStringLiteral("-1:5")), "INVALIDARG");
    FAILS_WITH(add(QStringLiteral("x")), "INVALIDARG");
    QStringList many;
    for (int i = 0; i < 501; ++i)
        many << QStringLiteral("%1:1").arg(i * 2);
    FAILS_WITH(add(many.join(QLatin1Char(','))), "TOO_MANY_RANGES_IN_FILE");
    many.removeLast();
    ADMIN_OK(add(many.join(QLatin1Char(','))));
    QCOMPARE(info(id).value(QLatin1String("files")).toArray().size(), 1);
    ADMIN_OK(admin({QStringLiteral("setdynamiccontent"), id, QStringLiteral("false")}));
    FAILS_WITH(admin({QStringLiteral("setdynamiccontent"), id, QStringLiteral("true")}), "INVALIDARG");
    ADMIN_OK(admin({QStringLiteral("cancel"), id}));
}

void TestJob5::responseHeadersAreKeptPerFileWithoutCookies()
{
    const QString id = createJob(QStringLiteral("headers"), m_fault->url(QStringLiteral("/file?size=5000&seed=2&cookie=1")), QStringLiteral("c.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    const auto check = [&] {
        const AdminResult r = admin({QStringLiteral("getresponseheaders"), id, QStringLiteral("0")});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        QVERIFY2(r.out.startsWith(QLatin1String("HTTP/1.1 200")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QLatin1String("ETag: \"f2-5000\"")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QLatin1String("Set-Cookie: (value not kept)")), qPrintable(r.out));
        QVERIFY2(!r.out.contains(QLatin1String("session-secret")), qPrintable(r.out));
    };
    check();
    QVERIFY(shutdownEngine(m_profile)); // stored with the file
    check();
    FAILS_WITH(admin({QStringLiteral("getresponseheaders"), id, QStringLiteral("1")}), "INVALIDARG");
    m_secrets << QStringLiteral("session-secret");
    ADMIN_OK(admin({QStringLiteral("cancel"), id}));
}

void TestJob5::writeOnlyBearerTokenReachesTheServerAndNothingElse()
{
    const QString token = QStringLiteral("token-%1").arg(QUuid::createUuid().toString(QUuid::Id128));
    m_secrets << token;
    const QString path = QStringLiteral("/file?size=20000&seed=5&t=%1").arg(QUuid::createUuid().toString(QUuid::Id128));
    const QString id = createJob(QStringLiteral("bearer"), m_fault->url(path), QStringLiteral("w.bin"));
    QVERIFY(!id.isEmpty());
    const QString authorization = QStringLiteral("Authorization: Bearer ") + token;
    // Readable headers never carry a secret.
    FAILS_WITH(admin({QStringLiteral("setcustomheaders"), id, authorization}), "makecustomheaderswriteonly");
    ADMIN_OK(admin({QStringLiteral("setcustomheaders"), id, QStringLiteral("X-Plain: 1")}));
    ADMIN_OK(admin({QStringLiteral("makecustomheaderswriteonly"), id}));
    FAILS_WITH(admin({QStringLiteral("getcustomheaders"), id}), "ACCESSDENIED");
    ADMIN_OK(admin({QStringLiteral("setcustomheaders"), id, authorization, QStringLiteral("X-Plain: 2")}));
    FAILS_WITH(admin({QStringLiteral("getcustomheaders"), id}), "ACCESSDENIED");
    const QJsonObject shown = info(id);
    QCOMPARE(shown.value(QLatin1String("customHeadersWriteOnly")).toBool(), true);
    QCOMPARE(shown.value(QLatin1String("writeOnlyHeaders")).toInt(), 2);
    QCOMPARE(shown.value(QLatin1String("customHeaders")).toArray().size(), 0);
    QVERIFY(keychainHeaders(id).ok());
    // Read from the keychain at the next run, after a restart too.
    QVERIFY(shutdownEngine(m_profile));
    ADMIN_OK(admin({QStringLiteral("resume"), id}));
    ADMIN_OK(admin({QStringLiteral("wait"), id}));
    bool seen = false;
    for (const FaultServer::Request &r : m_fault->requests()) {
        if (r.path != path.toLatin1())
            continue;
        seen = true;
        QCOMPARE(r.headers.value("authorization"), (QStringLiteral("Bearer ") + token).toLatin1());
        QCOMPARE(r.headers.value("x-plain"), QByteArray("2"));
    }
    QVERIFY(seen);
    ADMIN_OK(admin({QStringLiteral("complete"), id}));
    QCOMPARE(sha256(m_downloads + QStringLiteral("/w.bin")), TestContent::sha256Hex(5, 20000));
    QTRY_COMPARE_WITH_TIMEOUT(keychainHeaders(id).code, ferry::hr::BG_E_NOT_FOUND, 20000);
}

void TestJob5::writeOnlyHeadersLeaveWithOwnershipAndCompletion()
{
    const QString token = QStringLiteral("cookie-%1").arg(QUuid::createUuid().toString(QUuid::Id128));
    m_secrets << token;
    const QString id = createJob(QStringLiteral("owner"), m_fault->url(QStringLiteral("/file?size=1000")), QStringLiteral("x.bin"));
    QVERIFY(!id.isEmpty());
    ADMIN_OK(admin({QStringLiteral("makecustomheaderswriteonly"), id}));
    ADMIN_OK(admin({QStringLiteral("setcustomheaders"), id, QStringLiteral("Cookie: sid=") + token}));
    QVERIFY(keychainHeaders(id).ok());
    ADMIN_OK(admin({QStringLiteral("takeownership"), id}));
    QCOMPARE(info(id).value(QLatin1String("writeOnlyHeaders")).toInt(), 0);
    QCOMPARE(info(id).value(QLatin1String("customHeadersWriteOnly")).toBool(), true); // for good
    QTRY_COMPARE_WITH_TIMEOUT(keychainHeaders(id).code, ferry::hr::BG_E_NOT_FOUND, 20000);
    ADMIN_OK(admin({QStringLiteral("setcustomheaders"), id, QStringLiteral("Cookie: sid=") + token}));
    ADMIN_OK(admin({QStringLiteral("cancel"), id}));
    QTRY_COMPARE_WITH_TIMEOUT(keychainHeaders(id).code, ferry::hr::BG_E_NOT_FOUND, 20000);
}

QTEST_GUILESS_MAIN(TestJob5)
#include "tst_job5.moc"
