// Complete's edge cases (docs/jobs.md §7.1) with a real engine in-process, a real HTTP server and
// real files: left-out partial files, renames the file system refuses, partial files that cannot
// be deleted. Refusals by permission need a job owned by another user than root (root's own
// renames ignore permissions): as root, these jobs belong to uid 65534, whose files the engine
// touches as that uid (engine/owner/OwnerIdentity).
#include "EngineFixture.h"
#include "FaultServer.h"
#include "TestContent.h"

#include "core/BitsError.h"
#include "core/Sha256.h"
#include "jobs/JobManager.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <sys/stat.h>
#include <unistd.h>

using namespace ferry;
using namespace ferry::test;

namespace {

constexpr uint Nobody = 65534;

QString name(quint32 code) { return errorName(code); }

} // namespace

class tst_Complete : public QObject
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
    void cleanup()
    {
        m_f.reset();
        m_base.reset();
    }

    void completeKeepsTransferredFilesAndDropsPartialOnes();
    void renameFailureKeepsJobTransferred();
    void renameRefusedByPermissionIsAccessDenied();
    void partialFileThatCannotBeDeletedIsUnableToDeleteFiles();

private:
    QUrl fileUrl(qint64 size, quint32 seed) const
    {
        return m_fault->url(QStringLiteral("/file?size=%1&seed=%2").arg(size).arg(seed));
    }
    QUrl droppingUrl(qint64 size, quint32 seed, qint64 after) const
    {
        return m_fault->url(QStringLiteral("/drop?size=%1&seed=%2&after=%3").arg(size).arg(seed).arg(after));
    }
    // Folders uid 65534 owns, under a base everyone may enter; empty (and a skip) when not root.
    QString nobodyFolder(const QString &leaf);
    // A job of uid 65534 with these files (URL, absolute local name), resumed.
    QUuid nobodyJob(const QList<QPair<QUrl, QString>> &files);

    std::unique_ptr<FaultServer> m_fault;
    std::unique_ptr<EngineFixture> m_f;
    std::unique_ptr<QTemporaryDir> m_base;
};

QString tst_Complete::nobodyFolder(const QString &leaf)
{
    if (!m_base) {
        m_base = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/ferry-complete-XXXXXX"));
        if (!m_base->isValid() || ::chmod(QFile::encodeName(m_base->path()).constData(), 0755) != 0)
            return {};
    }
    const QString path = m_base->filePath(leaf);
    if (!QDir().mkpath(path) || ::chown(QFile::encodeName(path).constData(), Nobody, Nobody) != 0)
        return {};
    return path;
}

QUuid tst_Complete::nobodyJob(const QList<QPair<QUrl, QString>> &files)
{
    QUuid id;
    if (!m_f->jobs()->createJob(QStringLiteral("nobody's"), ownerWith(Nobody, false, IntegrityLevel::Medium), &id))
        return {};
    for (const auto &[url, local] : files) {
        const Status s = m_f->jobs()->addFile(id, url.toString(), local);
        if (!s) {
            qWarning().noquote() << "addfile" << local << ":" << s.message;
            return {};
        }
    }
    return m_f->jobs()->resume(id) ? id : QUuid();
}

// Complete on a job whose second file is half fetched: the first file is kept under its name, the
// second's partial bytes are deleted, and the answer is PARTIAL_COMPLETE; the job is gone.
void tst_Complete::completeKeepsTransferredFilesAndDropsPartialOnes()
{
    const qint64 size = 120000;
    const QUuid id = m_f->addJob(QStringLiteral("partial"), {{fileUrl(size, 31), QStringLiteral("whole.bin")},
                                                             {droppingUrl(size, 32, 70000), QStringLiteral("half.bin")}});
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::TransientError);
    QVERIFY(m_f->job(id).files[0].transferred);
    const QString half = m_f->tempPath(id, 1);
    QVERIFY2(QFileInfo(half).size() > 0, qPrintable(describeJob(m_f->job(id))));

    const Status s = m_f->jobs()->complete(id);
    QCOMPARE(name(s.code), name(hr::BG_S_PARTIAL_COMPLETE));
    QVERIFY(s.ok());
    QCOMPARE(m_f->state(id), JobGone);
    QCOMPARE(Sha256::ofFile(m_f->downloadPath(QStringLiteral("whole.bin"))), TestContent::sha256Hex(31, size));
    QVERIFY(!QFileInfo::exists(half));
    QVERIFY(!QFileInfo::exists(m_f->downloadPath(QStringLiteral("half.bin"))));
}

// A rename that fails keeps the job, as TRANSFERRED whatever it was (here TRANSIENT_ERROR), with
// the renamed files visible; the partial file is still deleted. Once the name is free, complete
// again finishes it.
void tst_Complete::renameFailureKeepsJobTransferred()
{
    const qint64 size = 100000;
    const QUuid id = m_f->addJob(QStringLiteral("stays"), {{fileUrl(size, 33), QStringLiteral("one.bin")},
                                                           {fileUrl(size, 34), QStringLiteral("two.bin")},
                                                           {droppingUrl(size, 35, 50000), QStringLiteral("three.bin")}});
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QVERIFY(m_f->jobs()->resume(id).ok());
    WAIT_STATE(id, JobState::TransientError);
    const QString two = m_f->downloadPath(QStringLiteral("two.bin"));
    {
        QFile intruder(two);
        QVERIFY(intruder.open(QIODevice::WriteOnly));
        intruder.write("not yours");
    }
    const QString partial = m_f->tempPath(id, 2);
    QVERIFY(QFileInfo(partial).size() > 0);

    const Status s = m_f->jobs()->complete(id);
    QCOMPARE(name(s.code), name(hr::E_FILE_EXISTS));
    QVERIFY2(s.message.contains(two), qPrintable(s.message));
    QCOMPARE(m_f->state(id), JobState::Transferred);
    QVERIFY(m_f->job(id).files[0].completed);
    QVERIFY(!m_f->job(id).files[1].completed);
    QCOMPARE(Sha256::ofFile(m_f->downloadPath(QStringLiteral("one.bin"))), TestContent::sha256Hex(33, size));
    QVERIFY(QFileInfo::exists(m_f->tempPath(id, 1)));
    QVERIFY(!QFileInfo::exists(partial));
    QCOMPARE(m_f->fileBytes(id, 2), 0);
    m_f->restart(); // and so it stays across a restart
    QCOMPARE(m_f->state(id), JobState::Transferred);

    QVERIFY(QFile::remove(two));
    QCOMPARE(name(m_f->jobs()->complete(id).code), name(hr::BG_S_PARTIAL_COMPLETE));
    QCOMPARE(m_f->state(id), JobGone);
    QCOMPARE(Sha256::ofFile(two), TestContent::sha256Hex(34, size));
}

// The owner may no longer write the target's folder (root's now, mode 0755): the rename is
// refused with ACCESSDENIED, not FILE_EXISTS; the job stays TRANSFERRED with its temporary file.
void tst_Complete::renameRefusedByPermissionIsAccessDenied()
{
    if (::geteuid() != 0)
        QSKIP("needs root: the job belongs to uid 65534 and its folder changes hands");
    const QString folder = nobodyFolder(QStringLiteral("locked"));
    QVERIFY(!folder.isEmpty());
    const qint64 size = 80000;
    const QString target = folder + QStringLiteral("/locked.bin");
    const QUuid id = nobodyJob({{fileUrl(size, 36), target}});
    QVERIFY(!id.isNull());
    WAIT_STATE(id, JobState::Transferred);
    const QString temp = m_f->tempPath(id);
    QCOMPARE(QFileInfo(temp).ownerId(), Nobody);

    QCOMPARE(::chown(QFile::encodeName(folder).constData(), 0, 0), 0);
    const Status s = m_f->jobs()->complete(id);
    QCOMPARE(name(s.code), name(hr::E_ACCESSDENIED));
    QCOMPARE(m_f->state(id), JobState::Transferred);
    QVERIFY(QFileInfo::exists(temp));
    QVERIFY(!QFileInfo::exists(target));

    QCOMPARE(::chown(QFile::encodeName(folder).constData(), Nobody, Nobody), 0);
    QVERIFY(m_f->jobs()->complete(id).ok());
    QCOMPARE(Sha256::ofFile(target), TestContent::sha256Hex(36, size));
    QCOMPARE(QFileInfo(target).ownerId(), Nobody);
}

// The partial file of a left-out file cannot be deleted (its folder is root's now): the job is
// completed all the same, the answer is UNABLE_TO_DELETE_FILES, the partial file stays on disk.
void tst_Complete::partialFileThatCannotBeDeletedIsUnableToDeleteFiles()
{
    if (::geteuid() != 0)
        QSKIP("needs root: the job belongs to uid 65534 and a folder changes hands");
    const QString kept = nobodyFolder(QStringLiteral("kept"));
    const QString stuck = nobodyFolder(QStringLiteral("stuck"));
    QVERIFY(!kept.isEmpty() && !stuck.isEmpty());
    const qint64 size = 90000;
    const QUuid id = nobodyJob({{fileUrl(size, 37), kept + QStringLiteral("/k.bin")},
                                {droppingUrl(size, 38, 40000), stuck + QStringLiteral("/s.bin")}});
    QVERIFY(!id.isNull());
    WAIT_STATE(id, JobState::TransientError);
    const QString partial = m_f->tempPath(id, 1);
    QVERIFY2(QFileInfo(partial).size() > 0, qPrintable(describeJob(m_f->job(id))));

    QCOMPARE(::chown(QFile::encodeName(stuck).constData(), 0, 0), 0);
    const Status s = m_f->jobs()->complete(id);
    QVERIFY(s.ok());
    QCOMPARE(name(s.code), name(hr::BG_S_UNABLE_TO_DELETE_FILES));
    QCOMPARE(m_f->state(id), JobGone);
    QCOMPARE(Sha256::ofFile(kept + QStringLiteral("/k.bin")), TestContent::sha256Hex(37, size));
    QVERIFY(QFileInfo::exists(partial));
    QVERIFY(!QFileInfo::exists(stuck + QStringLiteral("/s.bin")));
}

QTEST_GUILESS_MAIN(tst_Complete)
#include "tst_complete.moc"
