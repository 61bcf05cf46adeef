#include "EngineFixture.h"

#include "control/EngineService.h"

#include "owner/Owner.h"
#include "store/JobStore.h"
#include "transfer/Downloader.h"

#include <QDir>
#include <algorithm>
#include <QTest>

#include <unistd.h>

namespace ferry {

char *toString(JobState state)
{
    if (state == test::JobGone)
        return qstrdup("<job gone>");
    return qstrdup(stateName(state).toLatin1().constData());
}

namespace test {

Owner ownerWith(uint uid, bool elevated, IntegrityLevel level)
{
    Owner o;
    o.uid = uid;
    o.gid = uid;
    o.userName = Owner::nameOf(uid);
    o.elevated = elevated;
    o.integrity = level;
    return o;
}

QString describeJob(const Job &j)
{
    if (j.id.isNull())
        return QStringLiteral("the job is gone");
    return QStringLiteral("the job is %1 (error %2 %3 context %4 file %5: %6; errorCount %7; %8 of %9 bytes; %10 ms used)")
        .arg(stateName(j.state), errorHex(j.error.code), errorName(j.error.code), contextName(j.error.context))
        .arg(j.error.fileIndex)
        .arg(j.error.description)
        .arg(j.errorCount)
        .arg(j.progress().bytesTransferred)
        .arg(qint64(j.progress().bytesTotal))
        .arg(j.downloadTimeUsedMs);
}

EngineFixture::EngineFixture()
{
    if (!m_profile.isValid() || !m_downloads.isValid()) {
        m_error = QStringLiteral("cannot create the temporary profile or download folder");
        return;
    }
    build();
}

EngineFixture::~EngineFixture()
{
    tearDown();
}

QString EngineFixture::databasePath() const
{
    return m_profile.filePath(QStringLiteral("jobs.db"));
}

void EngineFixture::build()
{
    m_store = std::make_unique<JobStore>(databasePath());
    QString error;
    if (!m_store->open(&error)) {
        m_valid = false;
        m_error = QStringLiteral("cannot open the job store: %1").arg(error);
        return;
    }

    // As Engine::start: the Downloader lives on the transfer thread and dies when it finishes.
    m_transferThread = std::make_unique<QThread>();
    m_transferThread->setObjectName(QStringLiteral("ferry-transfer"));
    m_downloader = new Downloader(databasePath());
    m_downloader->moveToThread(m_transferThread.get());
    connect(m_transferThread.get(), &QThread::finished, m_downloader, &QObject::deleteLater);
    m_transferThread->start();

    m_jobs = std::make_unique<JobManager>(m_store.get(), m_downloader, &m_clock);
    connect(m_jobs.get(), &JobManager::warning, this, [this](const QUuid &id, const QString &message) {
        m_warnings.append({id, message});
        emit warningRecorded(id, message);
    });
    m_jobs->load();
    if (m_peers)
        m_jobs->attachPeerCache(m_peers);
    m_service = std::make_unique<EngineService>(m_jobs.get(), m_peers, ::getuid());
    m_valid = true;
}

void EngineFixture::attachPeerCache(peercache::PeerCache *peers)
{
    m_peers = peers;
    if (peers)
        m_jobs->attachPeerCache(peers); // as Engine::start does, before the cache starts
    m_service = std::make_unique<EngineService>(m_jobs.get(), m_peers, ::getuid());
}

void EngineFixture::tearDown()
{
    // Engine::~Engine's order: the manager stops running transfers (waiting for their
    // checkpoints), then the transfer thread ends (deleting the Downloader), then the store.
    m_service.reset();
    m_jobs.reset();
    if (m_transferThread) {
        m_transferThread->quit();
        m_transferThread->wait();
        m_transferThread.reset();
    }
    m_downloader = nullptr;
    m_store.reset();
}

void EngineFixture::restart()
{
    tearDown();
    build();
}

QUuid EngineFixture::addJob(const QString &name, const QList<QPair<QUrl, QString>> &files, JobPriority priority)
{
    QUuid id;
    Status s = m_jobs->createJob(name, Owner::ofThisProcess(), &id);
    if (!s) {
        m_error = QStringLiteral("createJob: %1").arg(s.message);
        return {};
    }
    for (const auto &[url, localName] : files) {
        const QString local = QDir::isAbsolutePath(localName) ? localName : downloadPath(localName);
        s = m_jobs->addFile(id, url.toString(QUrl::FullyEncoded), local);
        if (!s) {
            m_error = QStringLiteral("addFile %1 -> %2: %3").arg(url.toString(), local, s.message);
            m_jobs->cancel(id);
            return {};
        }
    }
    s = m_jobs->setPriority(id, priority);
    if (!s) {
        m_error = QStringLiteral("setPriority: %1").arg(s.message);
        m_jobs->cancel(id);
        return {};
    }
    return id;
}

JobState EngineFixture::state(const QUuid &id) const
{
    const Job *j = m_jobs ? m_jobs->job(id) : nullptr;
    return j ? j->state : JobGone;
}

const Job &EngineFixture::job(const QUuid &id) const
{
    static const Job none;
    const Job *j = m_jobs ? m_jobs->job(id) : nullptr;
    return j ? *j : none;
}

bool EngineFixture::exists(const QUuid &id) const
{
    if (!m_jobs)
        return false;
    if (m_jobs->job(id))
        return true;
    const QList<Job> all = m_jobs->jobs();
    return std::any_of(all.cbegin(), all.cend(), [&](const Job &j) { return j.id == id; });
}

qint64 EngineFixture::fileBytes(const QUuid &id, int index) const
{
    const Job &j = job(id);
    return index < j.files.size() ? j.files[index].bytesTransferred : -1;
}

QString EngineFixture::tempPath(const QUuid &id, int index) const
{
    const Job &j = job(id);
    return index < j.files.size() ? j.files[index].tempName : QString();
}

void EngineFixture::advance(qint64 ms)
{
    m_clock.advance(ms);
    if (m_jobs)
        m_jobs->tick();
}

QStringList EngineFixture::warningsFor(const QUuid &id) const
{
    QStringList out;
    for (const Warning &w : m_warnings)
        if (w.id == id)
            out << w.message;
    return out;
}

} // namespace test
} // namespace ferry
