// Correcting a file's URL (docs/jobs.md §6.4): setremotename and replaceremoteprefix against a real
// HTTP server (FaultServer), a real engine in-process and real files; and their verbs' access rule.
#include "EngineFixture.h"
#include "FaultServer.h"
#include "TestContent.h"

#include "control/EngineService.h"
#include "core/BitsError.h"
#include "core/Sha256.h"
#include "jobs/JobManager.h"

#include <QFileInfo>
#include <QTest>

#include <memory>

using namespace ferry;
using namespace ferry::test;

namespace {

QString hex(quint32 code) { return errorName(code); }

} // namespace

class tst_RemoteName : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { m_fault = std::make_unique<FaultServer>(); }
    void init()
    {
        m_f = std::make_unique<EngineFixture>();
        QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
        m_fault->clear();
        m_fault->resetScenarios();
    }
    void cleanup() { m_f.reset(); }

    void setRemoteNameMendsAFileThatFailed();
    void replaceRemotePrefixMendsEveryMatchingFile();
    void replaceRemotePrefixWithoutMatchIsSFalse();
    void badRemoteNameIsRefusedAndChangesNothing();
    void changedFileStartsFromZero();
    void completedFileKeepsItsUrl();
    void remoteNameVerbsNeedTheRightToChange();

private:
    QUrl fileUrl(qint64 size, quint32 seed) const
    {
        return m_fault->url(QStringLiteral("/file?size=%1&seed=%2").arg(size).arg(seed));
    }
    QByteArray shaOf(const QString &name) const { return Sha256::ofFile(m_f->downloadPath(name)); }

    std::unique_ptr<FaultServer> m_fault;
    std::unique_ptr<EngineFixture> m_f;
};

// A file that 404s puts the job in ERROR; pointed at a good URL and resumed, the job transfers
// and complete leaves the new URL's bytes under the file's name.
void tst_RemoteName::setRemoteNameMendsAFileThatFailed()
{
    const qint64 size = 150000;
    const QUuid id = m_f->addJob(QStringLiteral("mend"), {{m_fault->url(QStringLiteral("/status?code=404")), QStringLiteral("m.bin")}});
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Error);
    QCOMPARE(hex(m_f->job(id).error.code), hex(httpError(404)));

    const QUrl good = fileUrl(size, 71);
    const Status s = m_f->jobs()->setRemoteName(id, 0, good.toString());
    QVERIFY2(s.ok(), qPrintable(s.message));
    QCOMPARE(m_f->job(id).files[0].remoteUrl, good);
    QCOMPARE(m_f->state(id), JobState::Error); // nothing runs before resume
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferred);
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(shaOf(QStringLiteral("m.bin")), TestContent::sha256Hex(71, size));
}

// Every file whose URL starts with the old prefix gets the new one; the others keep theirs.
void tst_RemoteName::replaceRemotePrefixMendsEveryMatchingFile()
{
    const qint64 size = 90000;
    const QString dead = QStringLiteral("http://127.0.0.1:%1/status?code=410&x=").arg(m_fault->port());
    const QUuid id = m_f->addJob(QStringLiteral("prefix"), {{QUrl(dead + QStringLiteral("1")), QStringLiteral("p1.bin")},
                                                            {fileUrl(size, 73), QStringLiteral("p2.bin")},
                                                            {QUrl(dead + QStringLiteral("3")), QStringLiteral("p3.bin")}});
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Error);
    QCOMPARE(hex(m_f->job(id).error.code), hex(httpError(410)));

    // "…/status?code=410&x=N" becomes "…/file?size=90000&x=N": seed 1, the server's default.
    const QString good = m_fault->url(QStringLiteral("/file?size=%1&x=").arg(size)).toString();
    const Status s = m_f->jobs()->replaceRemotePrefix(id, dead, good);
    QCOMPARE(hex(s.code), hex(hr::S_OK));
    QCOMPARE(m_f->job(id).files[0].remoteUrl.toString(), good + QStringLiteral("1"));
    QCOMPARE(m_f->job(id).files[1].remoteUrl, fileUrl(size, 73));
    QCOMPARE(m_f->job(id).files[2].remoteUrl.toString(), good + QStringLiteral("3"));
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferred);
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(shaOf(QStringLiteral("p1.bin")), TestContent::sha256Hex(1, size));
    QCOMPARE(shaOf(QStringLiteral("p2.bin")), TestContent::sha256Hex(73, size));
    QCOMPARE(shaOf(QStringLiteral("p3.bin")), TestContent::sha256Hex(1, size));
}

// No URL starts with the prefix (the comparison is case-sensitive): S_FALSE, nothing changes.
void tst_RemoteName::replaceRemotePrefixWithoutMatchIsSFalse()
{
    const QUuid id = m_f->addJob(QStringLiteral("nomatch"), {{fileUrl(1000, 2), QStringLiteral("n.bin")}});
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    const Job before = m_f->job(id);
    const Status s = m_f->jobs()->replaceRemotePrefix(id, QStringLiteral("HTTP://127.0.0.1"), QStringLiteral("http://example.org"));
    QCOMPARE(hex(s.code), hex(hr::S_FALSE));
    QCOMPARE(m_f->job(id).files[0].remoteUrl, before.files[0].remoteUrl);
    QCOMPARE(m_f->job(id).modificationTime, before.modificationTime);
}

// A bad URL (scheme, user-info, empty, too long, a missing file index, empty prefixes, a prefix
// whose result is bad) is refused with INVALIDARG and the job is as it was; all or nothing.
void tst_RemoteName::badRemoteNameIsRefusedAndChangesNothing()
{
    const QUuid id = m_f->addJob(QStringLiteral("bad"), {{fileUrl(1000, 3), QStringLiteral("b1.bin")},
                                                         {fileUrl(1000, 4), QStringLiteral("b2.bin")}});
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    const QUrl first = m_f->job(id).files[0].remoteUrl;
    const QUrl second = m_f->job(id).files[1].remoteUrl;
    const QStringList bad{QStringLiteral("ftp://127.0.0.1/x"), QStringLiteral("http://user:secret@127.0.0.1/x"), QString(),
                          QStringLiteral("http://127.0.0.1/") + QString(2200, QLatin1Char('a')), QStringLiteral("not a url")};
    for (const QString &url : bad) {
        const Status s = m_f->jobs()->setRemoteName(id, 0, url);
        QVERIFY2(hex(s.code) == hex(hr::E_INVALIDARG), qPrintable(url.left(40) + QLatin1String(": ") + hex(s.code)));
        QVERIFY(!s.message.contains(QLatin1String("secret")));
    }
    QCOMPARE(hex(m_f->jobs()->setRemoteName(id, 2, fileUrl(1, 1).toString()).code), hex(hr::E_INVALIDARG));
    QCOMPARE(hex(m_f->jobs()->setRemoteName(id, -1, fileUrl(1, 1).toString()).code), hex(hr::E_INVALIDARG));
    const QString origin = m_fault->url(QStringLiteral("/")).toString();
    QCOMPARE(hex(m_f->jobs()->replaceRemotePrefix(id, QString(), QStringLiteral("http://x/")).code), hex(hr::E_INVALIDARG));
    QCOMPARE(hex(m_f->jobs()->replaceRemotePrefix(id, origin, QString()).code), hex(hr::E_INVALIDARG));
    QCOMPARE(hex(m_f->jobs()->replaceRemotePrefix(id, QStringLiteral("http://"), QStringLiteral("ftp://")).code), hex(hr::E_INVALIDARG));
    QCOMPARE(m_f->job(id).files[0].remoteUrl, first);
    QCOMPARE(m_f->job(id).files[1].remoteUrl, second);
    // And after a restart: nothing was stored either.
    m_f->restart();
    QCOMPARE(m_f->job(id).files[0].remoteUrl, first);
    QCOMPARE(m_f->job(id).files[1].remoteUrl, second);
}

// A file with bytes on disk from the old URL starts again from its first byte: the new server
// is not trusted to hold the same bytes, so none of the old ones end up in the file.
void tst_RemoteName::changedFileStartsFromZero()
{
    const qint64 size = 200000;
    const QUrl dropping = m_fault->url(QStringLiteral("/drop?size=%1&seed=75&after=120000").arg(size));
    const QUuid id = m_f->addJob(QStringLiteral("zero"), {{dropping, QStringLiteral("z.bin")}});
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::TransientError);
    QVERIFY2(m_f->fileBytes(id) > 0, qPrintable(describeJob(m_f->job(id))));
    QVERIFY(QFileInfo::exists(m_f->tempPath(id)));

    QVERIFY(m_f->jobs()->setRemoteName(id, 0, fileUrl(size, 76).toString()).ok());
    QCOMPARE(m_f->fileBytes(id), 0);
    QVERIFY(!QFileInfo::exists(m_f->tempPath(id)));
    QVERIFY(m_f->job(id).files[0].etag.isEmpty());
    m_f->restart(); // the stored progress is zero too, not the old checkpoint
    QCOMPARE(m_f->fileBytes(id), 0);

    m_fault->clear();
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferred);
    const QList<FaultServer::Request> requests = m_fault->requests();
    for (const FaultServer::Request &r : requests)
        QVERIFY2(r.rangeHeader.isEmpty(), r.path + " asked for " + r.rangeHeader); // from byte 0
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(shaOf(QStringLiteral("z.bin")), TestContent::sha256Hex(76, size));
}

// A file already under its name fetches nothing more: SetRemoteName refuses it (INVALID_STATE),
// ReplaceRemotePrefix passes it by.
void tst_RemoteName::completedFileKeepsItsUrl()
{
    const QUuid id = m_f->addJob(QStringLiteral("done"), {{fileUrl(5000, 77), QStringLiteral("d1.bin")},
                                                          {fileUrl(5000, 78), QStringLiteral("d2.bin")}});
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::Transferred);
    QVERIFY(QFile(m_f->downloadPath(QStringLiteral("d2.bin"))).open(QIODevice::WriteOnly)); // the second rename fails
    QCOMPARE(hex(m_f->jobs()->complete(id).code), hex(hr::E_FILE_EXISTS));
    QVERIFY(m_f->job(id).files[0].completed);
    const QUrl kept = m_f->job(id).files[0].remoteUrl;
    QCOMPARE(hex(m_f->jobs()->setRemoteName(id, 0, fileUrl(5000, 1).toString()).code), hex(hr::BG_E_INVALID_STATE));
    const QString origin = m_fault->url(QStringLiteral("/")).toString();
    QVERIFY(m_f->jobs()->replaceRemotePrefix(id, origin, origin).ok());
    QCOMPARE(m_f->job(id).files[0].remoteUrl, kept);
    QVERIFY(m_f->jobs()->cancel(id).ok());
}

// The verbs are ChangeJob verbs: a caller who may read but not change the job (not elevated,
// the job owned elevated) is refused with ACCESSDENIED and the URL stays.
void tst_RemoteName::remoteNameVerbsNeedTheRightToChange()
{
    const Owner elevatedOwner = ownerWith(::geteuid(), true, IntegrityLevel::High);
    const Owner plainCaller = ownerWith(::geteuid(), false, IntegrityLevel::Medium);
    QUuid id;
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("guarded"), elevatedOwner, &id).ok());
    QVERIFY(m_f->jobs()->addFile(id, fileUrl(1000, 5).toString(), m_f->downloadPath(QStringLiteral("g.bin"))).ok());
    const QString key = id.toString(QUuid::WithoutBraces);
    const auto call = [&](const Owner &caller, const QStringList &args) {
        AdminReply got;
        m_f->service()->call(args.first(), args.mid(1), caller, true, [&got](const AdminReply &r) { got = r; });
        return got;
    };
    const QString other = fileUrl(1000, 6).toString();
    const QString origin = m_fault->url(QStringLiteral("/")).toString();
    AdminReply r = call(plainCaller, {QStringLiteral("setremotename"), key, QStringLiteral("0"), other});
    QVERIFY(!r.ok);
    QCOMPARE(hex(r.code), hex(hr::E_ACCESSDENIED));
    r = call(plainCaller, {QStringLiteral("replaceremoteprefix"), key, origin, QStringLiteral("http://example.org/")});
    QCOMPARE(hex(r.code), hex(hr::E_ACCESSDENIED));
    QCOMPARE(m_f->job(id).files[0].remoteUrl, fileUrl(1000, 5));

    r = call(elevatedOwner, {QStringLiteral("setremotename"), key, QStringLiteral("0"), other});
    QVERIFY2(r.ok, qPrintable(r.message));
    QCOMPARE(m_f->job(id).files[0].remoteUrl.toString(), other);
    r = call(elevatedOwner, {QStringLiteral("replaceremoteprefix"), key, QStringLiteral("https://nowhere/"), QStringLiteral("http://x/")});
    QVERIFY(r.ok);
    QCOMPARE(hex(r.code), hex(hr::S_FALSE)); // the success code reaches the client
    r = call(elevatedOwner, {QStringLiteral("setremotename"), key, QStringLiteral("zero"), other});
    QCOMPARE(hex(r.code), hex(hr::E_INVALIDARG));
    QVERIFY(m_f->jobs()->cancel(id).ok());
}

QTEST_GUILESS_MAIN(tst_RemoteName)
#include "tst_remotename.moc"
