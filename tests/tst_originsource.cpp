// The origin leg heard only through the DataSource interface (docs/engine.md, "Where bytes come
// from"), against the fault-injecting server on loopback: what it answers for the bytes a
// transfer holds (continue, start again and why, already whole, shrank), the bytes it delivers,
// and the failures it reports with their BITS codes.
#include "core/BitsError.h"
#include "core/DataSource.h"
#include "core/JobTypes.h"
#include "support/FaultServer.h"
#include "support/TestContent.h"
#include "transfer/OriginSource.h"

#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTest>

using namespace ferry;
using ferry::test::FaultServer;
using ferry::test::TestContent;

namespace {

constexpr qint64 Size = 300000;

// Everything one start() of a source says, in order.
struct Heard
{
    QList<SourceAnswer> answers;
    QByteArray bytes;
    bool finished = false;
    std::optional<TransferFailure> failure;
    bool answeredBeforeData = true;

    bool ended() const { return finished || failure.has_value(); }
};

} // namespace

class tst_OriginSource : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void heldBytesContinueWithARange();
    void changedFileStartsAgainFromZero();
    void ignoredRangeStartsAgainFromZero();
    void wholeFileHeldIsFinishedWithoutAnAnswer();
    void shrunkFileStartsAgainFromZero();
    void wrongRangeIsAnInvalidServerResponse();
    void httpErrorsCarryTheirCodeAndClass_data();
    void httpErrorsCarryTheirCodeAndClass();
    void redirectNamesWhereTheBytesCameFrom();
    void stopSilencesTheSource();
    void aRangeIsAskedExactlyAndDeliveredAlone();
    void aRangeAnsweredWithOtherBytesIsAnInvalidServerResponse();
    void aRangePastTheEndIsAnInvalidRange();
    void aRangeTheServerIgnoresIsInsufficientRangeSupport();
    void dynamicContentAsksNoRangeAndStartsFromZero();

private:
    Heard run(const QString &path, const HeldFile &held, int stopAfterChunks = -1);
    SourceAnswer firstAnswer(const QString &path);

    FaultServer m_server;
    QNetworkAccessManager m_nam;
    bool m_dynamic = false;    // the next run()'s source has dynamic content
};

void tst_OriginSource::initTestCase()
{
    qRegisterMetaType<SourceAnswer>();
    qRegisterMetaType<TransferFailure>();
}

Heard tst_OriginSource::run(const QString &path, const HeldFile &held, int stopAfterChunks)
{
    Heard heard;
    OriginSource source(m_server.url(path), {}, {}, security::RedirectAllowSilent, false, 0, &m_nam);
    source.setDynamicContent(m_dynamic);
    int chunks = 0;
    connect(&source, &DataSource::answered, this, [&](const SourceAnswer &a) { heard.answers << a; });
    connect(&source, &DataSource::data, this, [&](const QByteArray &bytes) {
        heard.answeredBeforeData = heard.answeredBeforeData && !heard.answers.isEmpty();
        heard.bytes += bytes;
        if (++chunks == stopAfterChunks)
            source.stop();
    });
    connect(&source, &DataSource::finished, this, [&] { heard.finished = true; });
    connect(&source, &DataSource::failed, this, [&](const TransferFailure &f) { heard.failure = f; });
    source.start(held);
    if (stopAfterChunks > 0) {
        if (QTest::qWaitFor([&] { return chunks >= stopAfterChunks; }, 20000))
            QTest::qWait(200); // the rest of the body arrives at a stopped source
    } else {
        if (!QTest::qWaitFor([&] { return heard.ended(); }, 20000))
            qWarning("the source neither finished nor failed within 20 s"); // the tests say what was missing
    }
    return heard;
}

// The validators /file gives, as the answer to a request from 0 carries them.
SourceAnswer tst_OriginSource::firstAnswer(const QString &path)
{
    const Heard heard = run(path, {});
    return heard.answers.value(0);
}

void tst_OriginSource::heldBytesContinueWithARange()
{
    const QString path = QStringLiteral("/file?size=%1&seed=3").arg(Size);
    const SourceAnswer whole = firstAnswer(path);
    QVERIFY(!whole.etag.isEmpty());
    QCOMPARE(whole.size, Size);

    const Heard heard = run(path, {100000, Size, whole.etag, whole.lastModified});
    QVERIFY(heard.finished);
    QCOMPARE(heard.answers.size(), 1);
    QCOMPARE(heard.answers[0].offset, 100000);
    QVERIFY(heard.answers[0].restartReason.isEmpty());
    QCOMPARE(heard.answers[0].size, Size);
    QVERIFY(heard.answeredBeforeData);
    QCOMPARE(heard.bytes, TestContent::bytes(3, 100000, Size - 100000));
    QCOMPARE(m_server.requests().constLast().rangeHeader, QByteArray("bytes=100000-"));
    QCOMPARE(m_server.requests().constLast().ifRangeHeader, whole.etag.toLatin1());
}

void tst_OriginSource::changedFileStartsAgainFromZero()
{
    const QString path = QStringLiteral("/file?size=%1&seed=4").arg(Size);
    const Heard heard = run(path, {100000, Size, QStringLiteral("\"an-older-version\""), QString()});
    QVERIFY(heard.finished);
    QCOMPARE(heard.answers.size(), 1);
    QCOMPARE(heard.answers[0].offset, 0);
    QVERIFY2(heard.answers[0].restartReason.contains(QLatin1String("changed on the server")),
             qPrintable(heard.answers[0].restartReason));
    QCOMPARE(heard.bytes, TestContent::bytes(4, 0, Size));
}

void tst_OriginSource::ignoredRangeStartsAgainFromZero()
{
    const QString path = QStringLiteral("/norange?size=%1&seed=5").arg(Size);
    const SourceAnswer whole = firstAnswer(path);
    const Heard heard = run(path, {100000, Size, whole.etag, whole.lastModified});
    QVERIFY(heard.finished);
    QCOMPARE(heard.answers.value(0).offset, 0);
    QVERIFY2(heard.answers[0].restartReason.contains(QLatin1String("ignored the range")), qPrintable(heard.answers[0].restartReason));
    QCOMPARE(heard.bytes, TestContent::bytes(5, 0, Size));
}

void tst_OriginSource::wholeFileHeldIsFinishedWithoutAnAnswer()
{
    const QString path = QStringLiteral("/file?size=%1&seed=6").arg(Size);
    const SourceAnswer whole = firstAnswer(path);
    const Heard heard = run(path, {Size, Size, whole.etag, whole.lastModified});
    QVERIFY(heard.finished);
    QVERIFY(heard.answers.isEmpty());
    QVERIFY(heard.bytes.isEmpty());
    QCOMPARE(m_server.requests().constLast().status, 416);
}

void tst_OriginSource::shrunkFileStartsAgainFromZero()
{
    // The transfer holds 400,000 bytes of a file that is now 300,000 long.
    const QString path = QStringLiteral("/file?size=%1&seed=7").arg(Size);
    const SourceAnswer now = firstAnswer(path);
    const Heard heard = run(path, {400000, 400000, now.etag, now.lastModified});
    QVERIFY(heard.finished);
    QCOMPARE(heard.answers.size(), 1);
    QCOMPARE(heard.answers[0].offset, 0);
    QVERIFY2(heard.answers[0].restartReason.contains(QLatin1String("shrank")), qPrintable(heard.answers[0].restartReason));
    QCOMPARE(heard.answers[0].size, Size);
    QCOMPARE(heard.bytes, TestContent::bytes(7, 0, Size));
    QVERIFY(m_server.requests().constLast().rangeHeader.isEmpty());
}

void tst_OriginSource::wrongRangeIsAnInvalidServerResponse()
{
    const QString path = QStringLiteral("/wrongrange?size=%1&seed=8").arg(Size);
    const SourceAnswer whole = firstAnswer(path);
    const Heard heard = run(path, {100000, Size, whole.etag, whole.lastModified});
    QVERIFY(heard.failure);
    QCOMPARE(heard.failure->error.code, hr::BG_E_INVALID_SERVER_RESPONSE);
    QVERIFY(!heard.failure->transient);
    QVERIFY(heard.answers.isEmpty());
    QVERIFY(heard.bytes.isEmpty()); // nothing of the wrong bytes reaches the file
}

void tst_OriginSource::httpErrorsCarryTheirCodeAndClass_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("transient");
    QTest::newRow("404 is fatal") << 404 << false;
    QTest::newRow("503 is transient") << 503 << true;
}

void tst_OriginSource::httpErrorsCarryTheirCodeAndClass()
{
    QFETCH(int, status);
    QFETCH(bool, transient);
    const Heard heard = run(QStringLiteral("/status?code=%1").arg(status), {});
    QVERIFY(heard.failure);
    QCOMPARE(heard.failure->error.code, httpError(status));
    QCOMPARE(heard.failure->transient, transient);
    QVERIFY(heard.failure->error.description.startsWith(QStringLiteral("HTTP %1").arg(status)));
    QVERIFY(heard.answers.isEmpty());
    QVERIFY(heard.bytes.isEmpty());
}

void tst_OriginSource::redirectNamesWhereTheBytesCameFrom()
{
    const QString target = QStringLiteral("/file?size=%1&seed=9").arg(Size);
    const Heard heard = run(QStringLiteral("/redirect?to=%1").arg(QString::fromLatin1(QUrl::toPercentEncoding(target))), {});
    QVERIFY(heard.finished);
    QCOMPARE(heard.answers.value(0).from, m_server.url(target));
    QCOMPARE(heard.bytes, TestContent::bytes(9, 0, Size));
}

void tst_OriginSource::stopSilencesTheSource()
{
    const Heard heard = run(QStringLiteral("/trickle?size=%1&seed=10&chunk=4096&interval=5").arg(Size), {}, 2);
    QVERIFY(!heard.finished);
    QVERIFY(!heard.failure);
    QVERIFY(!heard.bytes.isEmpty());
    QCOMPARE(heard.bytes, TestContent::bytes(10, 0, heard.bytes.size()));
    QVERIFY(heard.bytes.size() < Size);
}


namespace {
HeldFile rangeOf(qint64 offset, qint64 end)
{
    HeldFile held;
    held.offset = offset;
    held.range = true;
    held.end = end;
    return held;
}
} // namespace

void tst_OriginSource::aRangeIsAskedExactlyAndDeliveredAlone()
{
    const QString path = QStringLiteral("/file?size=%1&seed=11").arg(Size);
    const Heard heard = run(path, rangeOf(1000, 5000));
    QVERIFY(heard.finished);
    QCOMPARE(heard.answers.size(), 1);
    QCOMPARE(heard.answers[0].offset, 1000);
    QCOMPARE(heard.answers[0].size, Size);
    QCOMPARE(heard.bytes, TestContent::bytes(11, 1000, 4000));
    QCOMPARE(m_server.requests().constLast().rangeHeader, QByteArray("bytes=1000-4999"));
    // A range to the end of the file, from its first byte.
    const Heard tail = run(path, rangeOf(0, -1));
    QVERIFY(tail.finished);
    QCOMPARE(tail.bytes, TestContent::bytes(11, 0, Size));
    QCOMPARE(m_server.requests().constLast().rangeHeader, QByteArray("bytes=0-"));
}

void tst_OriginSource::aRangeAnsweredWithOtherBytesIsAnInvalidServerResponse()
{
    const Heard heard = run(QStringLiteral("/wrongrange?size=%1").arg(Size), rangeOf(1000, 5000));
    QVERIFY(heard.failure);
    QCOMPARE(heard.failure->error.code, hr::BG_E_INVALID_SERVER_RESPONSE);
    QVERIFY(!heard.failure->transient);
    QVERIFY(heard.bytes.isEmpty());
}

void tst_OriginSource::aRangePastTheEndIsAnInvalidRange()
{
    const Heard heard = run(QStringLiteral("/file?size=%1").arg(Size), rangeOf(Size + 10, Size + 20));
    QVERIFY(heard.failure);
    QCOMPARE(heard.failure->error.code, hr::BG_E_INVALID_RANGE);
    QVERIFY(!heard.failure->transient);
    QVERIFY(heard.answers.isEmpty());
}

void tst_OriginSource::aRangeTheServerIgnoresIsInsufficientRangeSupport()
{
    const Heard heard = run(QStringLiteral("/norange?size=%1").arg(Size), rangeOf(1000, 5000));
    QVERIFY(heard.failure);
    QCOMPARE(heard.failure->error.code, hr::BG_E_INSUFFICIENT_RANGE_SUPPORT);
    QVERIFY(heard.bytes.isEmpty());
}

void tst_OriginSource::dynamicContentAsksNoRangeAndStartsFromZero()
{
    const QString path = QStringLiteral("/file?size=%1&seed=12").arg(Size);
    const SourceAnswer whole = firstAnswer(path);
    m_dynamic = true;
    const Heard heard = run(path, {100000, Size, whole.etag, whole.lastModified});
    m_dynamic = false;
    QVERIFY(heard.finished);
    QCOMPARE(heard.answers.value(0).offset, 0);
    QVERIFY2(heard.answers[0].restartReason.contains(QLatin1String("dynamic content")), qPrintable(heard.answers[0].restartReason));
    QCOMPARE(heard.bytes, TestContent::bytes(12, 0, Size));
    QVERIFY(m_server.requests().constLast().rangeHeader.isEmpty());
    QVERIFY(m_server.requests().constLast().ifRangeHeader.isEmpty());
}

QTEST_GUILESS_MAIN(tst_OriginSource)
#include "tst_originsource.moc"
