#include "peercache/Discovery.h"

#include <QDateTime>
#include <QHostInfo>
#include <QLoggingCategory>
#include <QNetworkDatagram>
#include <QRandomGenerator>
#include <QTimer>
#include <QUdpSocket>

#include <algorithm>

namespace ferry::peercache {

Q_LOGGING_CATEGORY(lcDiscovery, "ferry.peercache.discovery")

namespace {

constexpr double SourceRate = 5;         // MATCHes per second and source address
constexpr double SourceBurst = 10;
constexpr double GlobalRate = 50;        // MATCHes per second in total
constexpr double GlobalBurst = 50;
constexpr int MaxBuckets = 1024;
constexpr int MaxPendingIds = 256;
constexpr int ExpiryIntervalMs = 60'000;

QString hexId(const QByteArray &senderId)
{
    return QString::fromLatin1(senderId.toHex());
}

QHostAddress plainIPv4(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);   // also unwraps ::ffff:a.b.c.d
    return isV4 ? QHostAddress(v4) : address;
}

} // namespace

bool Discovery::TokenBucket::refill(qint64 nowMs, double perSecond, double burst)
{
    tokens = std::min(burst, tokens + double(std::max<qint64>(0, nowMs - lastMs)) * perSecond / 1000.0);
    lastMs = nowMs;
    return tokens >= 1.0;
}

Discovery::Discovery(const QByteArray &senderId, QObject *parent)
    : QObject(parent)
    , m_senderId(senderId)
    , m_peerId(hexId(senderId))
    , m_now([] { return QDateTime::currentMSecsSinceEpoch(); })
    , m_helloTimer(new QTimer(this))
    , m_probeTimer(new QTimer(this))
    , m_expiryTimer(new QTimer(this))
{
    if (senderId.size() != DiscoveryMessage::SenderIdSize)
        qCWarning(lcDiscovery) << "sender id must be" << DiscoveryMessage::SenderIdSize << "bytes; discovery will not start";
    m_mono.start();
    m_globalBucket.tokens = GlobalBurst;
    m_helloTimer->setSingleShot(true);
    connect(m_helloTimer, &QTimer::timeout, this, [this] {
        sendHello(DiscoveryType::Hello);
        scheduleHello();
    });
    m_probeTimer->setSingleShot(true);
    m_probeTimer->setTimerType(Qt::PreciseTimer);   // a coarse timer may fire early: keep <= 1 PROBE/s
    connect(m_probeTimer, &QTimer::timeout, this, &Discovery::sendPendingProbe);
    m_expiryTimer->setInterval(ExpiryIntervalMs);
    connect(m_expiryTimer, &QTimer::timeout, this, &Discovery::expirePeers);
}

Discovery::~Discovery()
{
    stop();
}

void Discovery::setKeys(const GroupKey &current, const std::optional<GroupKey> &previous)
{
    m_key = current;
    m_previousKey = previous;
}

QList<GroupKey> Discovery::keys() const
{
    QList<GroupKey> result{m_key};
    if (m_previousKey && m_previousKey->isValid())
        result.append(*m_previousKey);
    return result;
}

QList<Discovery::Network> Discovery::defaultAllowedNetworks()
{
    QList<Network> networks;
    for (const char *subnet : {"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"})
        networks.append(QHostAddress::parseSubnet(QString::fromLatin1(subnet)));
    return networks;
}

bool Discovery::setStaticPeers(const QStringList &hostPorts)
{
    ++m_staticGeneration;
    m_staticPeers.clear();
    bool allValid = true;
    for (const QString &entry : hostPorts) {
        const qsizetype colon = entry.lastIndexOf(QLatin1Char(':'));
        bool portOk = false;
        const uint port = colon > 0 ? entry.mid(colon + 1).toUInt(&portOk) : 0;
        if (!portOk || port == 0 || port > 65535) {
            qCWarning(lcDiscovery) << "static peer" << entry << "is not host:udpPort; skipped";
            allValid = false;
            continue;
        }
        StaticPeer peer{entry.left(colon).trimmed(), quint16(port), {}};
        const QHostAddress literal(peer.host);
        if (literal.protocol() == QAbstractSocket::IPv4Protocol) {
            peer.address = literal;
        } else {
            const int generation = m_staticGeneration;
            const int index = int(m_staticPeers.size());
            QHostInfo::lookupHost(peer.host, this, [this, generation, index](const QHostInfo &info) {
                if (generation != m_staticGeneration)
                    return;
                const auto addresses = info.addresses();
                const auto v4 = std::find_if(addresses.begin(), addresses.end(), [](const QHostAddress &a) {
                    return a.protocol() == QAbstractSocket::IPv4Protocol;
                });
                if (v4 == addresses.end())
                    qCWarning(lcDiscovery) << "static peer" << m_staticPeers[index].host << "has no IPv4 address";
                else
                    m_staticPeers[index].address = *v4;
            });
        }
        m_staticPeers.append(peer);
    }
    return allValid;
}

bool Discovery::start()
{
    if (isRunning())
        return true;
    if (m_senderId.size() != DiscoveryMessage::SenderIdSize)
        return false;
    m_socket = new QUdpSocket(this);
    if (!m_socket->bind(QHostAddress::AnyIPv4, m_port, QUdpSocket::ShareAddress | QUdpSocket::ReuseAddressHint)) {
        qCWarning(lcDiscovery) << "cannot bind UDP port" << m_port << ":" << m_socket->errorString();
        delete m_socket;
        m_socket = nullptr;
        return false;
    }
    connect(m_socket, &QUdpSocket::readyRead, this, &Discovery::readDatagrams);
    if (m_multicast)
        joinGroup();
    // A random start spreads the HELLOs of machines that boot together.
    m_helloTimer->start(QRandomGenerator::global()->bounded(1001));
    m_expiryTimer->start();
    if (!m_pendingIds.isEmpty() || m_pendingWho)
        m_probeTimer->start(0);
    qCInfo(lcDiscovery) << "discovery on UDP port" << boundPort() << "as" << m_peerId
                        << "multicast" << (m_joined.isEmpty() ? QStringLiteral("off") : m_group.toString())
                        << "static peers" << m_staticPeers.size();
    return true;
}

void Discovery::joinGroup()
{
    m_socket->setSocketOption(QAbstractSocket::MulticastTtlOption, 1);       // this link only
    m_socket->setSocketOption(QAbstractSocket::MulticastLoopbackOption, 1);  // nodes on this host
    const auto interfaces = QNetworkInterface::allInterfaces();
    for (const QNetworkInterface &iface : interfaces) {
        const auto flags = iface.flags();
        if (!flags.testFlag(QNetworkInterface::IsUp) || !flags.testFlag(QNetworkInterface::CanMulticast))
            continue;
        const auto entries = iface.addressEntries();
        const bool hasIPv4 = std::any_of(entries.begin(), entries.end(), [](const QNetworkAddressEntry &e) {
            return e.ip().protocol() == QAbstractSocket::IPv4Protocol;
        });
        if (!hasIPv4)
            continue;
        if (m_socket->joinMulticastGroup(m_group, iface))
            m_joined.append(iface);
        else
            qCWarning(lcDiscovery) << "cannot join" << m_group.toString() << "on" << iface.name() << ":" << m_socket->errorString();
    }
    if (m_joined.isEmpty())
        qCWarning(lcDiscovery) << "multicast: no interface joined; static peers only";
}

void Discovery::stop()
{
    if (!isRunning())
        return;
    if (m_key.isValid())
        sendHello(DiscoveryType::Bye);
    m_helloTimer->stop();
    m_probeTimer->stop();
    m_expiryTimer->stop();
    for (const QNetworkInterface &iface : std::as_const(m_joined))
        m_socket->leaveMulticastGroup(m_group, iface);
    m_joined.clear();
    m_probes.clear();
    m_socket->close();
    m_socket->deleteLater();   // stop() may run inside one of its signals
    m_socket = nullptr;
}

bool Discovery::isRunning() const
{
    return m_socket && m_socket->state() == QAbstractSocket::BoundState;
}

quint16 Discovery::boundPort() const
{
    return m_socket ? m_socket->localPort() : 0;
}

QStringList Discovery::multicastInterfaces() const
{
    QStringList names;
    for (const QNetworkInterface &iface : m_joined)
        names.append(iface.name());
    return names;
}

DiscoveryMessage Discovery::newMessage(DiscoveryType type) const
{
    DiscoveryMessage message;
    message.type = type;
    message.serving = m_serving;
    message.senderId = m_senderId;
    message.timestampMs = m_now();
    message.nonce = randomBytes(DiscoveryMessage::NonceSize);
    return message;
}

void Discovery::send(const QByteArray &datagram, const QHostAddress &to, quint16 port)
{
    if (!isRunning() || datagram.isEmpty())
        return;
    if (m_socket->writeDatagram(datagram, to, port) < 0)
        qCDebug(lcDiscovery) << "send to" << to.toString() << port << "failed:" << m_socket->errorString();
}

// One datagram (one nonce) to the group and every static peer: a node that gets it both ways
// drops the second copy as a replay, so it answers a PROBE once.
void Discovery::sendToAll(const QByteArray &datagram)
{
    for (const QNetworkInterface &iface : std::as_const(m_joined)) {
        m_socket->setMulticastInterface(iface);
        send(datagram, m_group, boundPort());
    }
    for (const StaticPeer &peer : std::as_const(m_staticPeers)) {
        if (!peer.address.isNull())
            send(datagram, peer.address, peer.port);
    }
}

void Discovery::sendHello(DiscoveryType type)
{
    if (!isRunning() || !m_key.isValid())
        return;
    DiscoveryMessage message = newMessage(type);
    message.port = m_tlsPort;
    message.seq = ++m_helloSeq;
    sendToAll(message.encode(m_key));
}

void Discovery::sendHelloTo(const QHostAddress &address, int port)
{
    if (!isRunning() || !m_key.isValid() || port <= 0)
        return;
    DiscoveryMessage message = newMessage(DiscoveryType::Hello);
    message.port = m_tlsPort;
    message.seq = ++m_helloSeq;
    send(message.encode(m_key), address, quint16(port));
}

void Discovery::scheduleHello()
{
    const int jitter = int(HelloIntervalMs / 10);
    m_helloTimer->start(int(HelloIntervalMs) - jitter + QRandomGenerator::global()->bounded(2 * jitter + 1));
}

void Discovery::probe(const QList<QByteArray> &lookupIds)
{
    if (lookupIds.isEmpty())
        m_pendingWho = true;
    for (const QByteArray &id : lookupIds) {
        if (id.size() != DiscoveryMessage::IdSize) {
            qCWarning(lcDiscovery) << "probe: ignoring a lookup id of" << id.size() << "bytes";
            continue;
        }
        if (!m_pendingIds.contains(id) && m_pendingIds.size() < MaxPendingIds)
            m_pendingIds.append(id);
    }
    if (isRunning() && !m_probeTimer->isActive())
        m_probeTimer->start(int(std::max<qint64>(0, m_lastProbeMono + ProbeIntervalMs - m_mono.elapsed())));
}

void Discovery::sendPendingProbe()
{
    if (!isRunning())
        return;
    if (!m_key.isValid()) {
        qCWarning(lcDiscovery) << "probe: no group key";
        return;
    }
    DiscoveryMessage probe = newMessage(DiscoveryType::Probe);
    if (!m_pendingIds.isEmpty()) {
        probe.ids = m_pendingIds.mid(0, DiscoveryMessage::MaxIds);
        m_pendingIds.remove(0, probe.ids.size());
    } else if (m_pendingWho) {
        m_pendingWho = false;
    } else {
        return;
    }
    probe.replyPort = boundPort();
    const qint64 mono = m_mono.elapsed();
    m_probes.removeIf([mono](const SentProbe &p) { return p.sentMono <= mono - ProbeAnswerWindowMs; });
    m_probes.append({probe.nonce, probe.ids, mono});
    m_lastProbeMono = mono;
    sendToAll(probe.encode(m_key));
    if (!m_pendingIds.isEmpty() || m_pendingWho)
        m_probeTimer->start(int(ProbeIntervalMs));
}

void Discovery::readDatagrams()
{
    while (m_socket && m_socket->hasPendingDatagrams()) {
        // One byte more than allowed, so that an oversize datagram shows as one.
        const QNetworkDatagram datagram = m_socket->receiveDatagram(DiscoveryMessage::MaxSize + 1);
        if (!datagram.isValid())
            break;
        handleDatagram(datagram);
    }
}

void Discovery::reject(const char *reason, const QHostAddress &from)
{
    qCDebug(lcDiscovery) << "dropped a datagram from" << from.toString() << ":" << reason;
    emit rejected(QString::fromLatin1(reason), from);
}

void Discovery::handleDatagram(const QNetworkDatagram &datagram)
{
    const QHostAddress from = plainIPv4(datagram.senderAddress());
    if (!m_key.isValid())
        return reject("nokey", from);
    const QByteArray bytes = datagram.data();
    const DiscoveryDecodeResult decoded = DiscoveryMessage::decode(bytes, keys());
    if (!decoded.ok())
        return reject(decoded.reason.toLatin1().constData(), from);
    const DiscoveryMessage &message = *decoded.message;

    const qint64 now = m_now();
    if (message.timestampMs < now - MaxClockSkewMs || message.timestampMs > now + MaxClockSkewMs)
        return reject("stale", from);
    if (message.senderId == m_senderId)   // our own multicast, looped back
        return reject("self", from);
    if (!isAllowed(from))
        return reject("network", from);
    if (!remember(message.senderId, message.nonce, now))
        return reject("replay", from);

    const auto via = datagram.destinationAddress().isMulticast() ? DiscoveredPeer::Via::Multicast
                                                                 : DiscoveredPeer::Via::Static;
    switch (message.type) {
    case DiscoveryType::Hello: {
        // A peer we did not know hears our HELLO now rather than at our next one (up to five
        // minutes away): a machine that joins the group, or gets the key after us, learns the
        // others in a moment. The answer goes the way the HELLO came (to the group, or back to
        // its sender), so each side still sees how the other reaches it; only ever to a key
        // holder, once per newcomer, within the answer budget; a peer that knows us already does
        // not answer, so two nodes stop after one each.
        const bool newcomer = !m_peers.contains(hexId(message.senderId));
        updatePeer(message, from, via);
        if (newcomer && takeAnswerToken(from)) {
            if (via == DiscoveredPeer::Via::Multicast)
                sendHello(DiscoveryType::Hello);
            else
                sendHelloTo(from, datagram.senderPort());
        }
        break;
    }
    case DiscoveryType::Bye:
        removePeer(hexId(message.senderId));
        break;
    case DiscoveryType::Probe: {
        // A PROBE carries no TLS port: it refreshes a known peer but adds none.
        const auto known = m_peers.find(hexId(message.senderId));
        if (known != m_peers.end())
            known->lastSeenMs = now;
        answerProbe(message, from, int(bytes.size()));
        break;
    }
    case DiscoveryType::Match:
        handleMatch(message, from, via);
        break;
    }
}

bool Discovery::isAllowed(const QHostAddress &address) const
{
    return std::any_of(m_allowed.begin(), m_allowed.end(), [&address](const Network &network) {
        return address.isInSubnet(network);
    });
}

// The replay cache. Entries older than ReplayWindowMs can go: a datagram that old fails the
// timestamp check anyway. Past MaxReplayEntries (only key holders get this far) the oldest go
// early, which could let a key holder replay those once more.
bool Discovery::remember(const QByteArray &senderId, const QByteArray &nonce, qint64 now)
{
    while (!m_seenOrder.empty()
           && (m_seenOrder.front().first <= now - ReplayWindowMs || int(m_seenOrder.size()) >= MaxReplayEntries)) {
        m_seen.remove(m_seenOrder.front().second);
        m_seenOrder.pop_front();
    }
    const QByteArray key = senderId + nonce;
    if (m_seen.contains(key))
        return false;
    m_seen.insert(key, now);
    m_seenOrder.emplace_back(now, key);
    return true;
}

bool Discovery::takeAnswerToken(const QHostAddress &from)
{
    const qint64 now = m_mono.elapsed();
    auto bucket = m_buckets.find(from);
    if (bucket == m_buckets.end()) {
        if (m_buckets.size() >= MaxBuckets) {
            // A full bucket is the same as a new one; if none is full, forgetting them all still
            // leaves the global bucket in force.
            m_buckets.removeIf([now](QHash<QHostAddress, TokenBucket>::iterator &it) {
                it->refill(now, SourceRate, SourceBurst);
                return it->tokens >= SourceBurst;
            });
            if (m_buckets.size() >= MaxBuckets)
                m_buckets.clear();
        }
        bucket = m_buckets.insert(from, TokenBucket{SourceBurst, now});
    }
    const bool sourceOk = bucket->refill(now, SourceRate, SourceBurst);
    const bool globalOk = m_globalBucket.refill(now, GlobalRate, GlobalBurst);
    if (!sourceOk || !globalOk)
        return false;
    bucket->tokens -= 1;
    m_globalBucket.tokens -= 1;
    return true;
}

void Discovery::answerProbe(const DiscoveryMessage &probe, const QHostAddress &from, int probeSize)
{
    if (!m_serving)
        return;
    // The token comes first: it bounds the lookups a flood causes, not only the answers.
    if (!takeAnswerToken(from))
        return reject("rate", from);
    QList<QByteArray> held;
    if (!probe.ids.isEmpty()) {
        if (!m_heldIds)
            return;
        const QList<QByteArray> answer = m_heldIds(probe.ids);
        for (const QByteArray &id : answer) {
            if (probe.ids.contains(id) && !held.contains(id))   // only what was asked
                held.append(id);
        }
        if (held.isEmpty())
            return;
    }
    // The random delay keeps the MATCHes to a multicast PROBE from arriving all at once.
    QTimer::singleShot(QRandomGenerator::global()->bounded(MaxMatchDelayMs + 1), this,
                       [this, probe, held, from, probeSize] { sendMatch(probe, held, from, probeSize); });
}

void Discovery::sendMatch(const DiscoveryMessage &probe, QList<QByteArray> held, const QHostAddress &to, int probeSize)
{
    if (!m_serving || !m_key.isValid())
        return;
    DiscoveryMessage match = newMessage(DiscoveryType::Match);
    match.port = m_tlsPort;
    match.probeNonce = probe.nonce;
    match.ids = std::move(held);
    QByteArray datagram = match.encode(m_key);
    // No amplification: drop ids until the answer is no larger than the question plus 64 bytes.
    const int limit = probeSize + MatchOverheadBytes;
    while (datagram.size() > limit && match.ids.size() > 1) {
        match.ids.removeLast();
        datagram = match.encode(m_key);
    }
    if (datagram.isEmpty() || datagram.size() > limit)
        return;
    send(datagram, to, probe.replyPort);
}

void Discovery::handleMatch(const DiscoveryMessage &match, const QHostAddress &from, DiscoveredPeer::Via via)
{
    const qint64 mono = m_mono.elapsed();
    m_probes.removeIf([mono](const SentProbe &p) { return p.sentMono <= mono - ProbeAnswerWindowMs; });
    const auto probe = std::find_if(m_probes.cbegin(), m_probes.cend(), [&match](const SentProbe &p) {
        return p.nonce == match.probeNonce;
    });
    if (probe == m_probes.cend())
        return reject("unsolicited", from);
    QList<QByteArray> ids;
    for (const QByteArray &id : match.ids) {
        if (probe->ids.contains(id) && !ids.contains(id))
            ids.append(id);
    }
    updatePeer(match, from, via);
    // A MATCH to a PROBE with ids that names none of them answers nothing.
    if (!probe->ids.isEmpty() && ids.isEmpty())
        return;
    emit matched(hexId(match.senderId), from, match.port, ids);
}

void Discovery::updatePeer(const DiscoveryMessage &message, const QHostAddress &from, DiscoveredPeer::Via via)
{
    const QString id = hexId(message.senderId);
    auto it = m_peers.find(id);
    if (it == m_peers.end()) {
        if (m_peers.size() >= MaxPeers) {
            // Full: the peer heard from least recently makes room.
            const auto oldest = std::min_element(m_peers.cbegin(), m_peers.cend(), [](const DiscoveredPeer &a, const DiscoveredPeer &b) {
                return a.lastSeenMs < b.lastSeenMs;
            });
            removePeer(oldest.key());
        }
        it = m_peers.insert(id, DiscoveredPeer{id, from, message.port, via, m_now(), message.serving});
        qCInfo(lcDiscovery) << "peer" << id << "at" << from.toString() << "TLS port" << message.port;
        emit peerSeen(*it);
        return;
    }
    const bool changed = it->address != from || it->tlsPort != message.port || it->serving != message.serving;
    it->address = from;
    it->tlsPort = message.port;
    it->serving = message.serving;
    it->via = via;
    it->lastSeenMs = m_now();
    if (changed)
        emit peerSeen(*it);
}

void Discovery::removePeer(const QString &peerId)
{
    if (m_peers.remove(peerId)) {
        qCInfo(lcDiscovery) << "peer" << peerId << "gone";
        emit peerGone(peerId);
    }
}

void Discovery::expirePeers()
{
    const qint64 cutoff = m_now() - PeerLifetimeMs;
    QStringList expired;
    for (const DiscoveredPeer &peer : std::as_const(m_peers)) {
        if (peer.lastSeenMs < cutoff)
            expired.append(peer.peerId);
    }
    for (const QString &id : std::as_const(expired))
        removePeer(id);
}

QList<DiscoveredPeer> Discovery::peers() const
{
    const qint64 cutoff = m_now() - PeerLifetimeMs;
    QList<DiscoveredPeer> result;
    for (const DiscoveredPeer &peer : m_peers) {
        if (peer.lastSeenMs >= cutoff)
            result.append(peer);
    }
    return result;
}

std::optional<DiscoveredPeer> Discovery::peer(const QString &peerId) const
{
    const auto it = m_peers.constFind(peerId);
    if (it == m_peers.cend() || it->lastSeenMs < m_now() - PeerLifetimeMs)
        return std::nullopt;
    return *it;
}

} // namespace ferry::peercache
