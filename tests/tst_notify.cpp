// SetNotifyCmdLine (docs/jobs.md §11), in-process against the real FaultServer: the program runs when a
// job reaches TRANSFERRED or ERROR (or at once when set on a job already there), as the job's
// notify flags allow, without a shell, with the job in its environment; a non-zero
// exit runs it again after MinimumRetryDelay while the job stays open, and a notification not
// yet delivered survives an engine restart. The programs are small shell scripts that log what
// they were given.
#include "EngineFixture.h"
#include "FaultServer.h"

#include "core/BitsError.h"
#include "jobs/JobManager.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace ferry;
using namespace ferry::test;

namespace {


QStringList linesOf(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

} // namespace

class tst_Notify : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void runsOnTransferredWithoutAShell();
    void runsOnError();
    void failedRunIsRetriedAfterTheRetryDelay();
    void missingProgramIsRetriedAndReported();
    void pendingNotificationSurvivesRestart();
    void settingRequiresAnAbsoluteProgram();
    void setAfterTransferredRunsAtOnce();
    void emptyProgramWithParametersIsRefused();
    void notifyFlagsChooseWhetherItRuns();

private:
    // A script that appends "<id>|<state>|<name>|[arg1][arg2]..." to the log and exits with the
    // status held in the file EXIT (0 when absent). Returns its absolute path.
    QString writeScript();
    QUuid transferJob(const QString &name, const QString &path, bool withNotify = true);

    std::unique_ptr<FaultServer> m_fault;
    std::unique_ptr<EngineFixture> m_f;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_log;
    QString m_exitFile;
};

void tst_Notify::initTestCase()
{
    m_fault = std::make_unique<FaultServer>();
    QVERIFY(m_fault->port() != 0);
}

void tst_Notify::init()
{
    m_f = std::make_unique<EngineFixture>();
    QVERIFY2(m_f->isValid(), qPrintable(m_f->error()));
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_log = m_dir->filePath(QStringLiteral("notify.log"));
    m_exitFile = m_dir->filePath(QStringLiteral("EXIT"));
}

void tst_Notify::cleanup()
{
    m_f.reset();
    m_dir.reset();
}

QString tst_Notify::writeScript()
{
    const QString path = m_dir->filePath(QStringLiteral("notify.sh"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(QStringLiteral("#!/bin/sh\n"
                           "line=\"$FERRY_JOB_ID|$FERRY_JOB_STATE|$FERRY_JOB_NAME|\"\n"
                           "for a in \"$@\"; do line=\"$line[$a]\"; done\n"
                           "printf '%s\\n' \"$line\" >> '%1'\n"
                           "exit $(cat '%2' 2>/dev/null || echo 0)\n")
                .arg(m_log, m_exitFile)
                .toUtf8());
    f.close();
    f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return path;
}

QUuid tst_Notify::transferJob(const QString &name, const QString &path, bool withNotify)
{
    const QUuid id = m_f->addJob(name, {{m_fault->url(path), name + QStringLiteral(".bin")}});
    if (id.isNull())
        return {};
    if (withNotify) {
        const QString script = writeScript();
        // bitsadmin's form: the parameters start with the program's own name (argv[0]).
        const QString params = QStringLiteral("notify.sh \"two words\" $HOME ;touch `id` '*'");
        if (script.isEmpty() || !m_f->jobs()->setNotifyCmdLine(id, script, params).ok())
            return {};
    }
    if (!m_f->jobs()->setMinimumRetryDelay(id, 5).ok() || !m_f->jobs()->resume(id).ok())
        return {};
    return id;
}

void tst_Notify::runsOnTransferredWithoutAShell()
{
    const QUuid id = transferJob(QStringLiteral("tell me"), QStringLiteral("/file?size=3000&seed=91"));
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QTRY_COMPARE_WITH_TIMEOUT(linesOf(m_log).size(), 1, WaitMs);
    QCOMPARE(m_f->state(id), JobState::Transferred);
    // No shell: no variable, glob, command substitution or ';' was interpreted; only double
    // quotes group (single quotes stay literal).
    QCOMPARE(linesOf(m_log).constFirst(), id.toString(QUuid::WithoutBraces)
                                              + QStringLiteral("|TRANSFERRED|tell me|[two words][$HOME][;touch][`id`]['*']"));
    // The script writes its line before it exits: the engine learns of the exit a moment later.
    QTRY_VERIFY_WITH_TIMEOUT(!m_f->job(id).notifyPending, WaitMs);

    // It ran once: a successful run is not repeated, and property changes do not re-trigger it.
    QVERIFY(m_f->jobs()->setDescription(id, QStringLiteral("still transferred")).ok());
    m_f->advance(3600 * 1000);
    QTest::qWait(200);
    QCOMPARE(linesOf(m_log).size(), 1);
    QVERIFY(m_f->jobs()->complete(id).ok());
}

void tst_Notify::runsOnError()
{
    const QUuid id = transferJob(QStringLiteral("missing"), QStringLiteral("/status?code=404"));
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QTRY_COMPARE_WITH_TIMEOUT(linesOf(m_log).size(), 1, WaitMs);
    QCOMPARE(m_f->state(id), JobState::Error);
    QVERIFY(linesOf(m_log).constFirst().startsWith(id.toString(QUuid::WithoutBraces) + QStringLiteral("|ERROR|missing|")));
}

void tst_Notify::failedRunIsRetriedAfterTheRetryDelay()
{
    QFile exitFile(m_exitFile);
    QVERIFY(exitFile.open(QIODevice::WriteOnly) && exitFile.write("3\n") == 2);
    exitFile.close();
    const QUuid id = transferJob(QStringLiteral("retry"), QStringLiteral("/file?size=3000&seed=92"));
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QTRY_COMPARE_WITH_TIMEOUT(linesOf(m_log).size(), 1, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_f->warningsFor(id).isEmpty(), WaitMs);
    QVERIFY2(m_f->warningsFor(id).constLast().contains(QLatin1String("exited with status 3")),
             qPrintable(m_f->warningsFor(id).join(QLatin1Char('\n'))));
    QVERIFY(m_f->job(id).notifyPending);

    m_f->advance(4 * 1000); // before MinimumRetryDelay (5 s): not yet
    QTest::qWait(200);
    QCOMPARE(linesOf(m_log).size(), 1);

    QVERIFY(QFile::remove(m_exitFile)); // the next run succeeds
    m_f->advance(1000);
    QTRY_COMPARE_WITH_TIMEOUT(linesOf(m_log).size(), 2, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_f->job(id).notifyPending, WaitMs);
    m_f->advance(3600 * 1000);
    QTest::qWait(200);
    QCOMPARE(linesOf(m_log).size(), 2);
}

void tst_Notify::missingProgramIsRetriedAndReported()
{
    const QUuid id = transferJob(QStringLiteral("no program"), QStringLiteral("/file?size=100&seed=93"), false);
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QVERIFY(m_f->jobs()->suspend(id).ok());
    const QString missing = m_dir->filePath(QStringLiteral("not-there"));
    QVERIFY(m_f->jobs()->setNotifyCmdLine(id, missing, QString()).ok());
    QVERIFY(m_f->jobs()->resume(id).ok());
    m_f->advance(0);
    QTRY_VERIFY_WITH_TIMEOUT(!m_f->warningsFor(id).isEmpty(), WaitMs);
    QVERIFY2(m_f->warningsFor(id).constLast().contains(QLatin1String("could not be started")),
             qPrintable(m_f->warningsFor(id).join(QLatin1Char('\n'))));
    QCOMPARE(m_f->state(id), JobState::Transferred);

    // The program appears later: the retry after the delay delivers the notification.
    QVERIFY(QFile::copy(writeScript(), missing));
    QVERIFY(QFile::setPermissions(missing, QFile::ReadOwner | QFile::ExeOwner));
    m_f->advance(5 * 1000);
    QTRY_COMPARE_WITH_TIMEOUT(linesOf(m_log).size(), 1, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_f->job(id).notifyPending, WaitMs);
}

void tst_Notify::pendingNotificationSurvivesRestart()
{
    QFile exitFile(m_exitFile);
    QVERIFY(exitFile.open(QIODevice::WriteOnly) && exitFile.write("1\n") == 2);
    exitFile.close();
    const QUuid id = transferJob(QStringLiteral("across restart"), QStringLiteral("/file?size=3000&seed=94"));
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    QTRY_VERIFY_WITH_TIMEOUT(!m_f->warningsFor(id).isEmpty(), WaitMs);
    QCOMPARE(linesOf(m_log).size(), 1);

    QVERIFY(QFile::remove(m_exitFile));
    m_f->restart();
    QVERIFY(m_f->job(id).notifyPending);
    m_f->advance(0); // the restarted engine owes the notification and delivers it
    QTRY_COMPARE_WITH_TIMEOUT(linesOf(m_log).size(), 2, WaitMs);
    QVERIFY(linesOf(m_log).constLast().contains(QLatin1String("|TRANSFERRED|across restart|")));
    QTRY_VERIFY_WITH_TIMEOUT(!m_f->job(id).notifyPending, WaitMs);
}

void tst_Notify::settingRequiresAnAbsoluteProgram()
{
    QUuid id;
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("relative"), Owner::ofThisProcess(), &id).ok());
    const Status s = m_f->jobs()->setNotifyCmdLine(id, QStringLiteral("notify.sh"), QString());
    QCOMPARE(errorName(s.code), QStringLiteral("INVALIDARG"));
    QVERIFY(s.message.contains(QLatin1String("absolute")));
    QCOMPARE(m_f->job(id).notifyProgram, QString());
}

// Set after the job reached TRANSFERRED: the program runs now, as it would have on the event.
void tst_Notify::setAfterTransferredRunsAtOnce()
{
    const QUuid id = transferJob(QStringLiteral("late"), QStringLiteral("/file?size=2000&seed=95"), false);
    QVERIFY2(!id.isNull(), qPrintable(m_f->error()));
    WAIT_STATE(id, JobState::Transferred);
    QVERIFY(!m_f->job(id).notifyPending);
    QVERIFY(m_f->jobs()->setNotifyCmdLine(id, writeScript(), QStringLiteral("notify.sh late")).ok());
    m_f->advance(0);
    QTRY_COMPARE_WITH_TIMEOUT(linesOf(m_log).size(), 1, WaitMs);
    QCOMPARE(linesOf(m_log).constFirst(), id.toString(QUuid::WithoutBraces) + QStringLiteral("|TRANSFERRED|late|[late]"));
    QTRY_VERIFY_WITH_TIMEOUT(!m_f->job(id).notifyPending, WaitMs);
}

// Parameters without a program: INVALIDARG, and the command line stays as it was.
void tst_Notify::emptyProgramWithParametersIsRefused()
{
    QUuid id;
    QVERIFY(m_f->jobs()->createJob(QStringLiteral("no program"), Owner::ofThisProcess(), &id).ok());
    const QString script = writeScript();
    QVERIFY(m_f->jobs()->setNotifyCmdLine(id, script, QStringLiteral("notify.sh")).ok());
    const Status s = m_f->jobs()->setNotifyCmdLine(id, QString(), QStringLiteral("notify.sh --flag"));
    QCOMPARE(errorName(s.code), QStringLiteral("INVALIDARG"));
    QCOMPARE(m_f->job(id).notifyProgram, script);
    QCOMPARE(m_f->job(id).notifyParameters, QStringLiteral("notify.sh"));
    QVERIFY(m_f->jobs()->setNotifyCmdLine(id, QString(), QString()).ok()); // neither: cleared
    QCOMPARE(m_f->job(id).notifyProgram, QString());
}

// JOB_TRANSFERRED and JOB_ERROR decide whether the program runs for that event; DISABLE
// silences it whatever else is set. Undefined bits are NOTIMPL.
void tst_Notify::notifyFlagsChooseWhetherItRuns()
{
    const QUuid errorOnly = transferJob(QStringLiteral("error only"), QStringLiteral("/file?size=1000&seed=96"), false);
    const QUuid disabled = transferJob(QStringLiteral("disabled"), QStringLiteral("/status?code=404"), false);
    const QUuid control = transferJob(QStringLiteral("control"), QStringLiteral("/file?size=1000&seed=97"), false);
    QVERIFY2(!errorOnly.isNull() && !disabled.isNull() && !control.isNull(), qPrintable(m_f->error()));
    const QString script = writeScript();
    for (const QUuid &id : {errorOnly, disabled, control}) {
        QVERIFY(m_f->jobs()->suspend(id).ok());
        QVERIFY(m_f->jobs()->setNotifyCmdLine(id, script, QStringLiteral("notify.sh")).ok());
    }
    QCOMPARE(errorName(m_f->jobs()->setNotifyFlags(errorOnly, 0x40).code), QStringLiteral("NOTIMPL"));
    QCOMPARE(m_f->job(errorOnly).notifyFlags, notifyflags::Default);
    QVERIFY(m_f->jobs()->setNotifyFlags(errorOnly, notifyflags::JobError).ok());
    QVERIFY(m_f->jobs()->setNotifyFlags(disabled, notifyflags::ValidMask).ok());
    for (const QUuid &id : {errorOnly, disabled, control})
        QVERIFY(m_f->jobs()->resume(id).ok());
    m_f->advance(0);
    WAIT_STATE(errorOnly, JobState::Transferred);
    WAIT_STATE(disabled, JobState::Error);
    WAIT_STATE(control, JobState::Transferred);
    // Nothing owed to the silenced ones from the moment they got there; the control job's runs.
    QVERIFY(!m_f->job(errorOnly).notifyPending);
    QVERIFY(!m_f->job(disabled).notifyPending);
    QTRY_COMPARE_WITH_TIMEOUT(linesOf(m_log).size(), 1, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!m_f->job(control).notifyPending, WaitMs);
    m_f->advance(3600 * 1000);
    QCOMPARE(linesOf(m_log), QStringList{control.toString(QUuid::WithoutBraces) + QStringLiteral("|TRANSFERRED|control|")});
}

QTEST_GUILESS_MAIN(tst_Notify)
#include "tst_notify.moc"
