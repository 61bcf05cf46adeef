// The engine built in-process for a test, wired as engine/control/Engine.cpp wires it: a JobStore on a
// private profile, a Downloader on its own transfer thread and a JobManager on the test's thread,
// driven by a ManualClock so that retry delays, timeouts and time slices pass on demand.
#pragma once

#include "core/Clock.h"
#include "core/Job.h"
#include "jobs/JobManager.h"

#include <QList>
#include <QObject>
#include <QPair>
#include <QStringList>
#include <QTemporaryDir>
#include <QThread>
#include <QUrl>
#include <QUuid>

#include <memory>

namespace ferry {

class Downloader;
class EngineService;
class JobStore;
namespace peercache {
class PeerCache;
}

// Readable QCOMPARE output for states (found by argument-dependent lookup).
char *toString(JobState state);

namespace test {

// What state() answers for a job the manager no longer holds (completed or cancelled).
constexpr JobState JobGone = JobState(-1);

constexpr int WaitMs = 20000; // how long WAIT_STATE waits: a wait, never a measurement

// Where a job stands, for failure messages: state, error, bytes and download time.
QString describeJob(const Job &job);

// An owner with these facts (uid and gid alike, the name the system has for the uid), for tests
// that play other users and privileges without being them.
Owner ownerWith(uint uid, bool elevated, IntegrityLevel level);

// Waits (in a test slot of a class holding `m_f`) for a job's state; on failure says where the
// job is instead and why.
#define WAIT_STATE(id, expected)                                                                   \
    QTRY_VERIFY2_WITH_TIMEOUT(m_f->state(id) == (expected),                                        \
                              qPrintable(QStringLiteral("expected %1, %2")                          \
                                             .arg(stateName(expected), describeJob(m_f->job(id)))), \
                              ferry::test::WaitMs)

class EngineFixture : public QObject
{
    Q_OBJECT
public:
    EngineFixture();
    ~EngineFixture() override;

    // False (with error()) when the profile or the download folder could not be set up.
    bool isValid() const { return m_valid; }
    QString error() const { return m_error; }

    // Tears the manager, downloader and store down in Engine's order and builds them again on
    // the same profile, as a stop and start of the engine would.
    void restart();

    JobManager *jobs() const { return m_jobs.get(); }
    // The engine service over jobs() (what clients call), with the given peer cache or none;
    // made again by restart() and by attachPeerCache, so clients are made after either.
    // attachPeerCache also wires the cache to jobs() (call it before the cache's start()).
    EngineService *service() const { return m_service.get(); }
    void attachPeerCache(peercache::PeerCache *peers);
    JobStore *store() const { return m_store.get(); }   // replaced by restart()
    ManualClock &clock() { return m_clock; }
    QString profileDir() const { return m_profile.path(); }
    QString databasePath() const;
    QString downloadDir() const { return m_downloads.path(); }
    QString downloadPath(const QString &name) const { return m_downloads.filePath(name); }

    // Creates a job owned by this process with the given files (remote URL, local name in the
    // download folder) and priority, still SUSPENDED. A null id (and a test failure message in
    // error()) if the manager refused something.
    QUuid addJob(const QString &name, const QList<QPair<QUrl, QString>> &files,
                 JobPriority priority = JobPriority::Normal);

    JobState state(const QUuid &id) const;          // JobGone once the job is removed
    const Job &job(const QUuid &id) const;          // an empty Job once it is removed
    bool exists(const QUuid &id) const;             // held by job() and listed by jobs()
    qint64 fileBytes(const QUuid &id, int index = 0) const; // progress of one file
    QString tempPath(const QUuid &id, int index = 0) const;

    // Advances the ManualClock and runs the manager's tick at once.
    void advance(qint64 ms);

    // Every JobManager::warning since construction, across restarts.
    struct Warning
    {
        QUuid id;
        QString message;
    };
    QList<Warning> warnings() const { return m_warnings; }
    QStringList warningsFor(const QUuid &id) const;

signals:
    // Re-emitted JobManager::warning; survives restart(), so a QSignalSpy on it keeps working.
    void warningRecorded(const QUuid &id, const QString &message);

private:
    void build();
    void tearDown();

    QTemporaryDir m_profile;
    QTemporaryDir m_downloads;
    ManualClock m_clock;
    std::unique_ptr<JobStore> m_store;
    std::unique_ptr<QThread> m_transferThread;
    Downloader *m_downloader = nullptr;
    std::unique_ptr<JobManager> m_jobs;
    std::unique_ptr<EngineService> m_service;
    peercache::PeerCache *m_peers = nullptr;
    QList<Warning> m_warnings;
    bool m_valid = false;
    QString m_error;
};

} // namespace test
} // namespace ferry
