#include "peercache/PeerCache.h"

#include "owner/OwnedFile.h"
#include "core/SettingsPolicy.h"
#include "store/JobStore.h"

#include <QDateTime>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QPointer>
#include <QThreadPool>
#include <QTimer>

namespace ferry::peercache {

Q_LOGGING_CATEGORY(lcPeerCache, "ferry.peercache")

namespace {

const QString PeerIdSetting = QStringLiteral("peerId");

QString isoOf(qint64 ms) { return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate) : QString(); }

} // namespace

PeerCache::PeerCache(JobStore *store, QString databasePath, QString cacheDir, QObject *parent)
    : QObject(parent)
    , m_jobStore(store)
    , m_group(new PeerGroup(store, this))
    , m_cacheDir(std::move(cacheDir))
    , m_store(std::make_unique<CacheStore>(std::move(databasePath), m_cacheDir))
{
    m_peerId = store->setting(PeerIdSetting);
    if (m_peerId.size() != 32) {
        m_peerId = QString::fromLatin1(randomBytes(16).toHex()); // persisted: peers know us by it
        store->setSetting(PeerIdSetting, m_peerId);
    }
    m_discovery = new Discovery(QByteArray::fromHex(m_peerId.toLatin1()), this);
    m_server = new PeerServer(m_store.get(), m_peerId, this);
    m_discovery->setHeldIds([this](const QList<QByteArray> &ids) {
        QStringList hex;
        for (const QByteArray &id : ids)
            hex << QString::fromLatin1(id.toHex());
        QList<QByteArray> held;
        for (const QString &id : m_store->heldLookupIds(hex))
            held << QByteArray::fromHex(id.toLatin1());
        return held;
    });
    connect(m_discovery, &Discovery::peerSeen, this, [this](const DiscoveredPeer &p) {
        m_store->notePeerSeen(p.peerId, p.address.toString(), p.tlsPort,
                              p.via == DiscoveredPeer::Via::Multicast ? QStringLiteral("multicast") : QStringLiteral("static"));
        emit peersChanged();
    });
    connect(m_discovery, &Discovery::matched, this, [this](const QString &peerId, const QHostAddress &address, quint16 tlsPort) {
        // A MATCH always comes by unicast: how the peer was found is what discovery recorded.
        const auto known = m_discovery->peer(peerId);
        const bool multicast = known && known->via == DiscoveredPeer::Via::Multicast;
        m_store->notePeerSeen(peerId, address.toString(), tlsPort, multicast ? QStringLiteral("multicast") : QStringLiteral("static"));
        emit peersChanged();
    });
    connect(m_server, &PeerServer::peerAuthenticated, this, [this](const QString &peerId, const QHostAddress &address) {
        m_store->notePeerAuthenticated(peerId, address.toString());
        emit peersChanged();
    });
    connect(m_group, &PeerGroup::keysChanged, this, &PeerCache::apply);
}

PeerCache::~PeerCache()
{
    stopNetwork();
}

void PeerCache::setSettings(const EngineSettings &settings)
{
    m_settings = settings;
    apply();
}

void PeerCache::start()
{
    if (Status s = m_store->open(); !s)
        m_storeError = s.message; // open() also recovers from a crash mid-insert
    // Age and size caps hold between inserts too (docs/peer-caching.md §9: on insert and hourly).
    auto *hourly = new QTimer(this);
    hourly->setInterval(3600 * 1000);
    connect(hourly, &QTimer::timeout, this, [this] {
        if (m_store->isOpen() && m_store->evict() > 0)
            emit recordsChanged();
    });
    hourly->start();
    m_group->load();
    apply();
}

void PeerCache::stopNetwork()
{
    if (m_discovery->isRunning())
        m_discovery->stop();
    if (m_server->isListening())
        m_server->stop();
    m_listeningTlsPort = m_listeningUdpPort = -1;
}

// Brings the server and discovery in line with the settings and the key: both run exactly
// while peer caching is on; a port change restarts them.
void PeerCache::apply()
{
    const EngineSettings s = m_settings;
    m_store->setLimits({s.maxCacheSizePercent, s.maxContentAgeSec});
    m_networkError.clear();
    if (!s.peerCachingEnabled || !m_group->hasKey() || !m_storeError.isEmpty()) {
        stopNetwork();
        emit stateChanged();
        return;
    }
    const GroupKey key = *m_group->current();
    m_server->setKeys(key, m_group->previous());
    m_server->setServing(s.peerServerAllowed());
    if (m_listeningTlsPort != s.tlsPort) {
        if (m_server->isListening())
            m_server->stop();
        if (Status st = m_server->start(QHostAddress(QHostAddress::AnyIPv4), quint16(s.tlsPort)); !st)
            m_networkError = QStringLiteral("the peer server cannot listen on TCP port %1: %2").arg(s.tlsPort).arg(st.message);
        else
            m_listeningTlsPort = s.tlsPort;
    }
    m_discovery->setKeys(key, m_group->previous());
    m_discovery->setTlsPort(m_server->port());
    m_discovery->setServing(s.peerServerAllowed());
    m_discovery->setMulticastEnabled(s.multicast);
    if (!m_discovery->setStaticPeers(s.staticPeers))
        qCWarning(lcPeerCache) << "some static peers could not be resolved:" << s.staticPeers;
    if ((m_listeningUdpPort != s.discoveryPort || m_listeningMulticast != s.multicast) && m_networkError.isEmpty()) {
        if (m_discovery->isRunning())
            m_discovery->stop();
        m_discovery->setPort(quint16(s.discoveryPort));
        if (!m_discovery->start())
            m_networkError = QStringLiteral("discovery cannot listen on UDP port %1").arg(s.discoveryPort);
        else
            m_listeningUdpPort = s.discoveryPort;
        m_listeningMulticast = s.multicast;
    }
    if (!m_networkError.isEmpty())
        qCWarning(lcPeerCache).noquote() << m_networkError;
    m_store->evict();
    emit stateChanged();
}

QString PeerCache::offReason() const
{
    const EngineSettings s = m_settings;
    if (!s.peerCachingEnabled)
        return QStringLiteral("peer caching is disabled on this computer (cache set enabled true)");
    if (!s.peerCachingClient && !s.peerCachingServer)
        return QStringLiteral("both client and server are off on this computer");
    if (!m_group->hasKey())
        return m_group->reason();
    if (!m_storeError.isEmpty())
        return QStringLiteral("the cache store cannot be opened: %1").arg(m_storeError);
    return m_networkError;
}

PeerPlan PeerCache::planFor(const Job &job)
{
    PeerPlan plan;
    const EngineSettings s = m_settings;
    // Credentialed content is neither fetched from nor given to peers.
    if (!isActive() || !s.peerClientAllowed() || !(job.peerCachingFlags & peercaching::Client) || job.credentialed())
        return plan;
    const GroupKey key = *m_group->current();
    plan.use = true;
    plan.lookupKey = key.lookupKey();
    plan.manifestKey = key.manifestKey();
    plan.pskKey = key.pskKey();
    plan.pskIdentity = PeerServer::pskIdentity(key, m_peerId);
    plan.requireOriginDigest = s.requireOriginDigest;
    QList<DiscoveredPeer> peers = m_discovery->peers();
    std::sort(peers.begin(), peers.end(), [](const DiscoveredPeer &a, const DiscoveredPeer &b) { return a.lastSeenMs > b.lastSeenMs; });
    for (const DiscoveredPeer &p : std::as_const(peers))
        if (p.serving && p.tlsPort > 0 && !m_store->isBanned(p.peerId))
            plan.peers << PeerEndpoint{p.peerId, p.address.toString(), p.tlsPort};
    if (plan.peers.size() < 3)
        m_discovery->probe(); // for the next file: who else is there
    return plan;
}

// A validated file of a SERVER job becomes a cache record (README, Peer caching): hashed off the
// engine thread, then copied in and indexed under its content keys. A file that came from peers is
// served again only when the origin's own digest proved it (no laundering). The file is the
// owner's: it is opened once, as the owner, and must be the very bytes the transfer hashed as it
// wrote them (docs/security.md).
void PeerCache::onFileValidated(const Job &job, int fileIndex)
{
    const EngineSettings s = m_settings;
    if (!isActive() || !s.peerServerAllowed() || !(job.peerCachingFlags & peercaching::Server) || job.credentialed())
        return;
    const JobFile &file = job.files[fileIndex];
    const QString url = file.remoteUrl.toDisplayString();
    if (!file.notServable.isEmpty() || file.contentKeys.isEmpty()) {
        qCInfo(lcPeerCache).noquote() << url << "is not cached:" << (file.notServable.isEmpty() ? QStringLiteral("no content key") : file.notServable);
        return;
    }
    if (file.downloadedFromPeer && file.peerVerification != PeerVerification::OriginStrong) {
        qCInfo(lcPeerCache).noquote() << url << "came from peers without an origin digest: not served again";
        return;
    }
    if (file.sha256.isEmpty()) {
        qCInfo(lcPeerCache).noquote() << url << "is not cached: its bytes were not hashed while they were written";
        return;
    }
    const QString path = file.completed ? file.localName : file.tempName;
    FileHandle opened;
    if (Status st = openOwnedFile(job.owner, path, file.bytesTotal, &opened); !st) {
        qCWarning(lcPeerCache).noquote() << url << "is not cached:" << st.message;
        return;
    }
    auto source = std::make_shared<FileHandle>(std::move(opened));
    const qint64 size = file.bytesTotal;
    QPointer<PeerCache> self(this);
    QThreadPool::globalInstance()->start([self, job, fileIndex, path, source, size] {
        QString error;
        const auto manifest = Manifest::ofDescriptor(source->fd(), size, path, &error);
        QMetaObject::invokeMethod(self, [self, job, fileIndex, path, source, manifest, error] {
            if (!self)
                return;
            const QString expected = job.files[fileIndex].sha256;
            if (!manifest)
                qCWarning(lcPeerCache).noquote() << "cannot hash" << path << "for the cache:" << error;
            else if (QString::fromLatin1(manifest->fileSha256.toHex()) != expected)
                qCWarning(lcPeerCache).noquote() << path << "is not cached: it changed after it was transferred";
            else
                self->insertRecord(job, fileIndex, *source, *manifest);
        }, Qt::QueuedConnection);
    });
}

void PeerCache::insertRecord(const Job &job, int fileIndex, const FileHandle &source, const Manifest &hashed)
{
    if (!isActive())
        return;
    const JobFile &file = job.files[fileIndex];
    const GroupKey key = *m_group->current();
    Manifest manifest = hashed;
    for (const QString &k : file.contentKeys)
        if (k.startsWith(QLatin1String("v1:")))
            manifest.contentKeyV = k;
    manifest.contentKeyD = QStringLiteral("sha256:") + QString::fromLatin1(manifest.fileSha256.toHex());
    manifest.url = file.remoteUrl.toString(QUrl::FullyEncoded);
    manifest.etag = file.etag;
    manifest.lastModified = file.lastModified;
    manifest.source = file.downloadedFromPeer ? QStringLiteral("peer-strong") : QStringLiteral("origin");
    manifest.createdAtMs = QDateTime::currentMSecsSinceEpoch();
    manifest.peerId = m_peerId;
    CacheRecordInput in;
    in.sourceFd = source.fd();
    in.sourceSize = hashed.size;
    in.sourceName = file.completed ? file.localName : file.tempName;
    in.contentKeyV = manifest.contentKeyV;
    in.contentKeyD = manifest.contentKeyD;
    in.lookupV = manifest.contentKeyV.isEmpty() ? QString() : lookupId(key.lookupKey(), manifest.contentKeyV);
    in.lookupD = lookupId(key.lookupKey(), manifest.contentKeyD);
    in.url = manifest.url;
    in.etag = file.etag;
    in.lastModified = file.lastModified;
    in.fileSha256 = QString::fromLatin1(manifest.fileSha256.toHex());
    in.manifest = manifest.encode(key.manifestKey());
    in.source = manifest.source;
    in.jobId = job.id.toString(QUuid::WithoutBraces);
    in.validated = true;
    if (!m_store->heldLookupIds({in.lookupD}).isEmpty())
        return; // the same bytes are cached already
    QString id; // insert() evicts to make room first
    if (Status s = m_store->insert(in, &id); !s) {
        qCWarning(lcPeerCache).noquote() << "cannot cache" << manifest.url << ":" << s.message;
        return;
    }
    qCInfo(lcPeerCache).noquote() << "cached" << manifest.url << "as record" << id;
    emit recordsChanged();
}

void PeerCache::onFileInvalidated(const Job &job, int fileIndex)
{
    if (m_store->removeByUrl(job.files[fileIndex].remoteUrl.toString(QUrl::FullyEncoded)) > 0)
        emit recordsChanged();
}

void PeerCache::onVerdicts(const QList<PeerVerdict> &verdicts)
{
    for (const PeerVerdict &v : verdicts) {
        if (v.peerId.isEmpty())
            continue;
        if (v.ban)
            m_store->ban(v.peerId);
        else
            m_store->strike(v.peerId);
        qCWarning(lcPeerCache).noquote() << (v.ban ? "banned" : "struck") << "peer" << v.peerId << ":" << v.reason;
    }
    emit peersChanged();
}

Status PeerCache::deleteRecord(const QString &id)
{
    const Status s = m_store->remove(id);
    emit recordsChanged();
    return s;
}

int PeerCache::deleteUrl(const QString &url)
{
    const int n = m_store->removeByUrl(url);
    emit recordsChanged();
    return n;
}

Status PeerCache::clearRecords()
{
    const Status s = m_store->clear();
    emit recordsChanged();
    return s;
}

Status PeerCache::clearPeers()
{
    const Status s = m_store->clearPeers();
    emit peersChanged();
    return s;
}

void PeerCache::rediscover()
{
    if (m_discovery->isRunning())
        m_discovery->probe();
}

QString PeerCache::settingFor(const QString &cacheKey)
{
    return SettingsPolicy::settingFor(cacheKey);
}

Status PeerCache::set(const QString &key, const QString &value)
{
    const QString setting = settingFor(key);
    if (setting.isEmpty())
        return {hr::E_INVALIDARG, QStringLiteral("unknown cache setting '%1' (enabled, client, server, maxCacheSizePercent, "
                                                 "maxContentAgeSec, tlsPort, discoveryPort, multicast, staticPeers, "
                                                 "requireOriginDigest)").arg(key)};
    if (!m_writeSetting)
        return {hr::E_NOTIMPL, QStringLiteral("this peer cache cannot store settings")};
    return m_writeSetting(setting, value);
}

QJsonObject PeerCache::info() const
{
    const EngineSettings s = m_settings;
    const auto key = m_group->current();
    return {
        {QStringLiteral("active"), isActive()},
        {QStringLiteral("reason"), offReason()},
        {QStringLiteral("enabled"), s.peerCachingEnabled},
        {QStringLiteral("client"), s.peerCachingClient},
        {QStringLiteral("server"), s.peerCachingServer},
        {QStringLiteral("maxCacheSizePercent"), s.maxCacheSizePercent},
        {QStringLiteral("maxContentAgeSec"), double(s.maxContentAgeSec)},
        {QStringLiteral("tlsPort"), s.tlsPort},
        {QStringLiteral("discoveryPort"), s.discoveryPort},
        {QStringLiteral("multicast"), s.multicast},
        {QStringLiteral("staticPeers"), QJsonArray::fromStringList(s.staticPeers)},
        {QStringLiteral("requireOriginDigest"), s.requireOriginDigest},
        {QStringLiteral("groupId"), key ? key->groupId() : QString()},
        {QStringLiteral("previousGroupId"), m_group->previous() ? m_group->previous()->groupId() : QString()},
        {QStringLiteral("peerId"), m_peerId},
        {QStringLiteral("listeningTlsPort"), m_server->isListening() ? int(m_server->port()) : 0},
        {QStringLiteral("listeningDiscoveryPort"), m_discovery->isRunning() ? int(m_discovery->boundPort()) : 0},
        {QStringLiteral("records"), int(m_store->isOpen() ? m_store->records().size() : 0)},
        {QStringLiteral("cacheBytes"), double(m_store->isOpen() ? m_store->totalBytes() : 0)},
        {QStringLiteral("cacheCapBytes"), double(m_store->isOpen() ? m_store->capBytes() : 0)},
        {QStringLiteral("cacheDir"), m_cacheDir},
        {QStringLiteral("policyFile"), s.policyFile},
        {QStringLiteral("policySettings"), QJsonArray::fromStringList(s.policySettings)},
    };
}

QString PeerCache::infoText() const
{
    const QJsonObject o = info();
    QStringList lines;
    lines << (isActive() ? QStringLiteral("peer caching: on") : QStringLiteral("peer caching: off — %1").arg(offReason()));
    const QString group = o.value(QLatin1String("groupId")).toString();
    lines << QStringLiteral("group: %1").arg(group.isEmpty() ? QStringLiteral("none") : group);
    if (const QString previous = o.value(QLatin1String("previousGroupId")).toString(); !previous.isEmpty())
        lines << QStringLiteral("previous group: %1 (still accepted; cache groupkey revoke ends that)").arg(previous);
    lines << QStringLiteral("peer id: %1").arg(m_peerId);
    for (const char *k : {"enabled", "client", "server", "maxCacheSizePercent", "maxContentAgeSec", "tlsPort", "discoveryPort",
                          "multicast", "requireOriginDigest", "listeningTlsPort", "listeningDiscoveryPort", "records",
                          "cacheBytes", "cacheCapBytes"}) {
        const QJsonValue v = o.value(QLatin1String(k));
        lines << QStringLiteral("%1 %2").arg(QLatin1String(k), v.isBool() ? (v.toBool() ? QStringLiteral("true") : QStringLiteral("false"))
                                                                          : QString::number(v.toDouble(), 'f', 0));
    }
    lines << QStringLiteral("staticPeers %1").arg(m_settings.staticPeers.join(QLatin1Char(' ')));
    lines << QStringLiteral("cache directory %1").arg(m_cacheDir);
    if (!m_settings.policyFile.isEmpty())
        lines << QStringLiteral("policy %1 fixes: %2").arg(m_settings.policyFile, m_settings.policySettings.join(QLatin1String(", ")));
    return lines.join(QLatin1Char('\n'));
}

QJsonArray PeerCache::recordsJson() const
{
    QJsonArray a;
    if (!m_store->isOpen())
        return a;
    for (const CacheRecord &r : m_store->records())
        a << QJsonObject{{QStringLiteral("id"), r.id},
                         {QStringLiteral("url"), r.url},
                         {QStringLiteral("size"), double(r.size)},
                         {QStringLiteral("sha256"), r.fileSha256},
                         {QStringLiteral("source"), r.source},
                         {QStringLiteral("validated"), r.validated},
                         {QStringLiteral("created"), isoOf(r.createdAtMs)},
                         {QStringLiteral("lastAccess"), isoOf(r.lastAccessMs)},
                         {QStringLiteral("inUse"), m_store->isInUse(r.id)}};
    return a;
}

QJsonArray PeerCache::peersJson() const
{
    QJsonArray a;
    if (!m_store->isOpen())
        return a;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const CachePeer &p : m_store->peers())
        a << QJsonObject{{QStringLiteral("peerId"), p.peerId},
                         {QStringLiteral("address"), p.address},
                         {QStringLiteral("tlsPort"), p.tlsPort},
                         {QStringLiteral("via"), p.via},
                         {QStringLiteral("firstSeen"), isoOf(p.firstSeenMs)},
                         {QStringLiteral("lastSeen"), isoOf(p.lastSeenMs)},
                         {QStringLiteral("authenticated"), p.authenticated},
                         {QStringLiteral("strikes"), p.strikes},
                         {QStringLiteral("banned"), p.bannedUntilMs > now},
                         {QStringLiteral("bannedUntil"), isoOf(p.bannedUntilMs)}};
    return a;
}

} // namespace ferry::peercache
