// Peer-cache discovery (docs/peer-caching.md §5, T4): the datagram codec and its rejections, and
// Discovery nodes talking over real UDP sockets on 127.0.0.1 with static peers (no multicast).
// Raw sockets stand in for an attacker: they capture, replay, forge and flood.
#include "peercache/Discovery.h"
#include "peercache/DiscoveryMessage.h"
#include "peercache/PeerCrypto.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QDateTime>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QNetworkDatagram>
#include <QSignalSpy>
#include <QTest>
#include <QUdpSocket>

#include <memory>

using namespace ferry::peercache;

namespace {

QByteArray lookupId(int n)
{
    return hmacSha256(QByteArrayLiteral("test ids"), QByteArray::number(n)).left(DiscoveryMessage::IdSize);
}

DiscoveryMessage message(DiscoveryType type)
{
    DiscoveryMessage m;
    m.type = type;
    m.senderId = randomBytes(DiscoveryMessage::SenderIdSize);
    m.timestampMs = QDateTime::currentMSecsSinceEpoch();
    m.nonce = randomBytes(DiscoveryMessage::NonceSize);
    return m;
}

bool hasReason(const QSignalSpy &spy, const QString &reason)
{
    for (const QList<QVariant> &args : spy) {
        if (args.at(0).toString() == reason)
            return true;
    }
    return false;
}

int countReason(const QSignalSpy &spy, const QString &reason)
{
    int n = 0;
    for (const QList<QVariant> &args : spy)
        n += args.at(0).toString() == reason;
    return n;
}

// A bare UDP socket on 127.0.0.1 that records what it receives.
class RawPeer
{
public:
    RawPeer()
    {
        m_ok = m_socket.bind(QHostAddress::LocalHost, 0);
        QObject::connect(&m_socket, &QUdpSocket::readyRead, &m_socket, [this] {
            while (m_socket.hasPendingDatagrams())
                m_received.append(m_socket.receiveDatagram().data());
        });
    }
    bool ok() const { return m_ok; }
    quint16 port() const { return m_socket.localPort(); }
    QString hostPort() const { return QStringLiteral("127.0.0.1:%1").arg(port()); }
    void send(const QByteArray &datagram, quint16 port) { m_socket.writeDatagram(datagram, QHostAddress::LocalHost, port); }
    const QList<QByteArray> &received() const { return m_received; }

    // Received datagrams of one type that decode under key.
    QList<std::pair<QByteArray, DiscoveryMessage>> decoded(DiscoveryType type, const GroupKey &key) const
    {
        QList<std::pair<QByteArray, DiscoveryMessage>> result;
        for (const QByteArray &bytes : m_received) {
            const DiscoveryDecodeResult r = DiscoveryMessage::decode(bytes, {key});
            if (r.ok() && r.message->type == type)
                result.append({bytes, *r.message});
        }
        return result;
    }

private:
    QUdpSocket m_socket;
    QList<QByteArray> m_received;
    bool m_ok = false;
};

std::unique_ptr<Discovery> startNode(const GroupKey &key, quint16 tlsPort)
{
    auto node = std::make_unique<Discovery>(randomBytes(DiscoveryMessage::SenderIdSize));
    node->setKeys(key);
    node->setPort(0);
    node->setMulticastEnabled(false);
    node->setTlsPort(tlsPort);
    if (!node->start())
        return nullptr;
    return node;
}

QString hostPort(const Discovery &node)
{
    return QStringLiteral("127.0.0.1:%1").arg(node.boundPort());
}

enum Mutation { FlipTag, FlipBody, FlipTimestamp, FlipType, FlipGroupTag, FlipMagic, Truncate, TruncateHeader, Append, Oversize };

} // namespace

class TestDiscovery : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    // Codec
    void roundTrip_data();
    void roundTrip();
    void rejects_data();
    void rejects();
    void wrongGroup();
    void previousKeyAccepted();
    void malformedBody_data();
    void malformedBody();
    void encodeRefusesMalformed();

    // Service
    void helloAddsPeer();
    void newcomerLearnsEarlierPeersAtOnce();
    void probeAnsweredOnlyInGroup();
    void rotatedNodeAcceptsPreviousKey();
    void multicastOnThisHost();
    void staleTimestampDropped();
    void replayDropped();
    void unsolicitedMatchDropped();
    void probeFloodWithinBucket();
    void matchNoLargerThanProbe();
    void probesCoalesced();

private:
    GroupKey m_key;
    GroupKey m_otherKey;
};

void TestDiscovery::initTestCase()
{
    // Every dropped datagram is a debug line; the flood would print a thousand.
    QLoggingCategory::setFilterRules(QStringLiteral("ferry.peercache.discovery.debug=false"));
    m_key = GroupKey::generate();
    m_otherKey = GroupKey::generate();
    QVERIFY(m_key.isValid());
    QVERIFY(m_otherKey.isValid());
}

void TestDiscovery::roundTrip_data()
{
    QTest::addColumn<int>("type");
    QTest::newRow("hello") << int(DiscoveryType::Hello);
    QTest::newRow("bye") << int(DiscoveryType::Bye);
    QTest::newRow("probe") << int(DiscoveryType::Probe);
    QTest::newRow("probe-who") << int(DiscoveryType::Probe) + 100;
    QTest::newRow("match") << int(DiscoveryType::Match);
}

void TestDiscovery::roundTrip()
{
    QFETCH(int, type);
    const bool who = type > 100;
    DiscoveryMessage m = message(DiscoveryType(who ? type - 100 : type));
    m.serving = true;
    m.port = 41771;
    m.seq = 7;
    if (m.type == DiscoveryType::Probe) {
        for (int i = 0; !who && i < DiscoveryMessage::MaxIds; ++i)
            m.ids.append(lookupId(i));
        m.replyPort = 50000;
    }
    if (m.type == DiscoveryType::Match) {
        m.ids = {lookupId(1), lookupId(2)};
        m.probeNonce = randomBytes(DiscoveryMessage::NonceSize);
    }
    const QByteArray bytes = m.encode(m_key);
    QVERIFY(!bytes.isEmpty());
    QVERIFY(bytes.size() <= DiscoveryMessage::MaxSize);
    QVERIFY(bytes.startsWith("BPC1"));

    const DiscoveryDecodeResult r = DiscoveryMessage::decode(bytes, {m_key});
    QVERIFY2(r.ok(), qPrintable(r.reason));
    QCOMPARE(r.keyIndex, 0);
    const DiscoveryMessage &d = *r.message;
    QCOMPARE(d.type, m.type);
    QCOMPARE(d.serving, true);
    QCOMPARE(d.senderId, m.senderId);
    QCOMPARE(d.timestampMs, m.timestampMs);
    QCOMPARE(d.nonce, m.nonce);
    QCOMPARE(d.version, 1);
    switch (m.type) {
    case DiscoveryType::Hello:
    case DiscoveryType::Bye:
        QCOMPARE(d.port, m.port);
        QCOMPARE(d.seq, m.seq);
        break;
    case DiscoveryType::Probe:
        QCOMPARE(d.ids, m.ids);
        QCOMPARE(d.replyPort, m.replyPort);
        break;
    case DiscoveryType::Match:
        QCOMPARE(d.port, m.port);
        QCOMPARE(d.ids, m.ids);
        QCOMPARE(d.probeNonce, m.probeNonce);
        break;
    }
}

void TestDiscovery::rejects_data()
{
    QTest::addColumn<int>("mutation");
    QTest::addColumn<QString>("reason");
    QTest::newRow("bit in tag") << int(FlipTag) << QStringLiteral("tag");
    QTest::newRow("bit in body") << int(FlipBody) << QStringLiteral("tag");
    QTest::newRow("bit in timestamp") << int(FlipTimestamp) << QStringLiteral("tag");
    QTest::newRow("bit in type") << int(FlipType) << QStringLiteral("tag");
    QTest::newRow("bit in group tag") << int(FlipGroupTag) << QStringLiteral("group");
    QTest::newRow("magic") << int(FlipMagic) << QStringLiteral("magic");
    QTest::newRow("truncated") << int(Truncate) << QStringLiteral("short");
    QTest::newRow("header only") << int(TruncateHeader) << QStringLiteral("short");
    QTest::newRow("trailing byte") << int(Append) << QStringLiteral("length");
    QTest::newRow("oversize") << int(Oversize) << QStringLiteral("size");
}

void TestDiscovery::rejects()
{
    QFETCH(int, mutation);
    QFETCH(QString, reason);
    DiscoveryMessage m = message(DiscoveryType::Probe);
    m.ids = {lookupId(1)};
    m.replyPort = 4000;
    QByteArray bytes = m.encode(m_key);
    QVERIFY(DiscoveryMessage::decode(bytes, {m_key}).ok());

    const int bodyStart = DiscoveryMessage::HeaderSize;
    switch (Mutation(mutation)) {
    case FlipTag: bytes[bytes.size() - 1] = char(bytes.at(bytes.size() - 1) ^ 0x01); break;
    case FlipBody: bytes[bodyStart + 2] = char(bytes.at(bodyStart + 2) ^ 0x10); break;
    case FlipTimestamp: bytes[39] = char(bytes.at(39) ^ 0x01); break;
    case FlipType: bytes[4] = char(DiscoveryType::Hello); break;
    case FlipGroupTag: bytes[8] = char(bytes.at(8) ^ 0x80); break;
    case FlipMagic: bytes[3] = '2'; break;
    case Truncate: bytes.chop(1); break;
    case TruncateHeader: bytes.truncate(DiscoveryMessage::HeaderSize); break;
    case Append: bytes.append('\0'); break;
    case Oversize: bytes.append(QByteArray(DiscoveryMessage::MaxSize + 1 - bytes.size(), 'x')); break;
    }
    const DiscoveryDecodeResult r = DiscoveryMessage::decode(bytes, {m_key});
    QVERIFY(!r.ok());
    QCOMPARE(r.reason, reason);
}

void TestDiscovery::wrongGroup()
{
    const QByteArray bytes = message(DiscoveryType::Hello).encode(m_otherKey);
    const DiscoveryDecodeResult r = DiscoveryMessage::decode(bytes, {m_key});
    QVERIFY(!r.ok());
    QCOMPARE(r.reason, QStringLiteral("group"));
    QVERIFY(DiscoveryMessage::decode(bytes, {}).reason == QStringLiteral("group"));
}

void TestDiscovery::previousKeyAccepted()
{
    // Rotation: the new key is current, datagrams under the old one still verify.
    const GroupKey next = GroupKey::generate();
    const QByteArray old = message(DiscoveryType::Hello).encode(m_key);
    const DiscoveryDecodeResult r = DiscoveryMessage::decode(old, {next, m_key});
    QVERIFY2(r.ok(), qPrintable(r.reason));
    QCOMPARE(r.keyIndex, 1);
    QCOMPARE(DiscoveryMessage::decode(old, {next}).reason, QStringLiteral("group"));
    QCOMPARE(DiscoveryMessage::decode(message(DiscoveryType::Hello).encode(next), {next, m_key}).keyIndex, 0);
}

void TestDiscovery::malformedBody_data()
{
    QTest::addColumn<int>("type");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("reason");

    const auto cbor = [](const QCborValue &v) { return v.toCbor(); };
    const QCborArray ids{QCborValue(lookupId(1))};
    const QByteArray nonce = randomBytes(DiscoveryMessage::NonceSize);
    const int hello = int(DiscoveryType::Hello), probe = int(DiscoveryType::Probe), match = int(DiscoveryType::Match);

    QTest::newRow("not cbor") << hello << QByteArray("\xff\xff\xff", 3) << QStringLiteral("cbor");
    QTest::newRow("truncated cbor") << hello << cbor(QCborMap{{QStringLiteral("v"), 1}}).chopped(1) << QStringLiteral("cbor");
    QTest::newRow("trailing item") << hello
                                   << cbor(QCborMap{{QStringLiteral("v"), 1}, {QStringLiteral("port"), 1}, {QStringLiteral("seq"), 1}}) + cbor(1)
                                   << QStringLiteral("cbor");
    QTest::newRow("array") << hello << cbor(QCborArray{1, 2}) << QStringLiteral("body");
    QTest::newRow("v as text") << hello
                               << cbor(QCborMap{{QStringLiteral("v"), QStringLiteral("1")}, {QStringLiteral("port"), 1}, {QStringLiteral("seq"), 1}})
                               << QStringLiteral("body");
    QTest::newRow("port too big") << hello
                                  << cbor(QCborMap{{QStringLiteral("v"), 1}, {QStringLiteral("port"), 70000}, {QStringLiteral("seq"), 1}})
                                  << QStringLiteral("body");
    QTest::newRow("seq missing") << hello << cbor(QCborMap{{QStringLiteral("v"), 1}, {QStringLiteral("port"), 1}}) << QStringLiteral("body");
    QTest::newRow("unknown field ignored") << hello
                                           << cbor(QCborMap{{QStringLiteral("v"), 1}, {QStringLiteral("port"), 1}, {QStringLiteral("seq"), 1},
                                                            {QStringLiteral("future"), QStringLiteral("x")}})
                                           << QString();
    QTest::newRow("probe id too short") << probe
                                        << cbor(QCborMap{{QStringLiteral("v"), 1}, {QStringLiteral("ids"), QCborArray{QCborValue(QByteArray(15, 'a'))}},
                                                         {QStringLiteral("reply"), 4000}})
                                        << QStringLiteral("body");
    QCborArray seventeen;
    for (int i = 0; i < 17; ++i)
        seventeen.append(QCborValue(lookupId(i)));
    QTest::newRow("probe 17 ids") << probe << cbor(QCborMap{{QStringLiteral("v"), 1}, {QStringLiteral("ids"), seventeen}, {QStringLiteral("reply"), 4000}})
                                  << QStringLiteral("body");
    QTest::newRow("probe id as text") << probe
                                      << cbor(QCborMap{{QStringLiteral("v"), 1}, {QStringLiteral("ids"), QCborArray{QStringLiteral("0123456789abcdef")}},
                                                       {QStringLiteral("reply"), 4000}})
                                      << QStringLiteral("body");
    QTest::newRow("probe reply 0") << probe << cbor(QCborMap{{QStringLiteral("v"), 1}, {QStringLiteral("ids"), ids}, {QStringLiteral("reply"), 0}})
                                   << QStringLiteral("body");
    QTest::newRow("match re short") << match
                                    << cbor(QCborMap{{QStringLiteral("v"), 1}, {QStringLiteral("port"), 1}, {QStringLiteral("re"), QByteArray(4, 'r')},
                                                     {QStringLiteral("ids"), ids}})
                                    << QStringLiteral("body");
    QTest::newRow("match ids not array") << match
                                         << cbor(QCborMap{{QStringLiteral("v"), 1}, {QStringLiteral("port"), 1}, {QStringLiteral("re"), nonce},
                                                          {QStringLiteral("ids"), lookupId(1)}})
                                         << QStringLiteral("body");
    QTest::newRow("match ok") << match
                              << cbor(QCborMap{{QStringLiteral("v"), 1}, {QStringLiteral("port"), 1}, {QStringLiteral("re"), nonce}, {QStringLiteral("ids"), ids}})
                              << QString();
    QTest::newRow("unknown type") << 9 << cbor(QCborMap{{QStringLiteral("v"), 1}}) << QStringLiteral("type");
}

void TestDiscovery::malformedBody()
{
    // Authenticated (a key holder's) datagrams with bad bodies: rejected after the tag checks.
    QFETCH(int, type);
    QFETCH(QByteArray, body);
    QFETCH(QString, reason);
    DiscoveryMessage m = message(DiscoveryType::Hello);
    m.type = DiscoveryType(type);
    const QByteArray bytes = m.seal(body, m_key);
    QVERIFY(!bytes.isEmpty());
    const DiscoveryDecodeResult r = DiscoveryMessage::decode(bytes, {m_key});
    QCOMPARE(r.reason, reason);
    QCOMPARE(r.ok(), reason.isEmpty());
}

void TestDiscovery::encodeRefusesMalformed()
{
    DiscoveryMessage probe = message(DiscoveryType::Probe);
    probe.replyPort = 4000;
    for (int i = 0; i < 17; ++i)
        probe.ids.append(lookupId(i));
    QVERIFY(probe.encode(m_key).isEmpty());           // > 16 ids
    probe.ids = {QByteArray(8, 'x')};
    QVERIFY(probe.encode(m_key).isEmpty());           // id of the wrong size
    probe.ids.clear();
    probe.replyPort = 0;
    QVERIFY(probe.encode(m_key).isEmpty());           // nowhere to reply
    DiscoveryMessage hello = message(DiscoveryType::Hello);
    hello.senderId.chop(1);
    QVERIFY(hello.encode(m_key).isEmpty());
    QVERIFY(message(DiscoveryType::Hello).seal(QByteArray(DiscoveryMessage::MaxSize, 'x'), m_key).isEmpty());
}

void TestDiscovery::helloAddsPeer()
{
    auto a = startNode(m_key, 41001);
    auto b = startNode(m_key, 41002);
    QVERIFY(a && b);
    QVERIFY(a->boundPort() != 0 && b->boundPort() != a->boundPort());
    b->setServing(true);
    a->setStaticPeers({hostPort(*b)});
    b->setStaticPeers({hostPort(*a)});

    QSignalSpy seen(a.get(), &Discovery::peerSeen);
    QSignalSpy gone(a.get(), &Discovery::peerGone);
    QTRY_VERIFY(a->peer(b->peerId()).has_value());
    const DiscoveredPeer p = *a->peer(b->peerId());
    QCOMPARE(p.tlsPort, quint16(41002));
    QCOMPARE(p.address, QHostAddress(QHostAddress::LocalHost));
    QVERIFY(p.serving);
    QCOMPARE(p.via, DiscoveredPeer::Via::Static);
    QCOMPARE(seen.count(), 1);
    QCOMPARE(seen.first().at(0).value<DiscoveredPeer>().peerId, b->peerId());
    QTRY_VERIFY(b->peer(a->peerId()).has_value());
    QCOMPARE(b->peer(a->peerId())->tlsPort, quint16(41001));
    QVERIFY(!b->peer(a->peerId())->serving);

    // Peers expire after 900 s without a word.
    const qint64 base = QDateTime::currentMSecsSinceEpoch();
    b->setClock([base] { return base + Discovery::PeerLifetimeMs + 60'000; });
    QVERIFY(b->peers().isEmpty());
    QSignalSpy bGone(b.get(), &Discovery::peerGone);
    b->expirePeers();
    QCOMPARE(bGone.count(), 1);
    b->setClock([] { return QDateTime::currentMSecsSinceEpoch(); });

    // BYE removes it at once.
    b->stop();
    QTRY_COMPARE(gone.count(), 1);
    QCOMPARE(gone.first().at(0).toString(), b->peerId());
    QVERIFY(a->peers().isEmpty());
}

// A node that joins later (or gets the key later) learns the ones already there from their answer
// to its HELLO, not at their next HELLO five minutes on. A knows nobody to send to: what B learns
// of A can only be that answer.
void TestDiscovery::newcomerLearnsEarlierPeersAtOnce()
{
    auto a = startNode(m_key, 41011);
    QVERIFY(a);
    auto b = startNode(m_key, 41012);
    QVERIFY(b);
    QSignalSpy bSaw(b.get(), &Discovery::peerSeen);
    b->setStaticPeers({hostPort(*a)});   // before B's first HELLO (0-1 s after its start) leaves
    QTRY_VERIFY(a->peer(b->peerId()).has_value());
    QTRY_VERIFY(b->peer(a->peerId()).has_value());
    QCOMPARE(b->peer(a->peerId())->tlsPort, quint16(41011));
    QCOMPARE(b->peer(a->peerId())->address, QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(bSaw.count(), 1);
}

void TestDiscovery::probeAnsweredOnlyInGroup()
{
    const QByteArray held = lookupId(1), missing = lookupId(2);
    auto a = startNode(m_key, 41001);
    auto b = startNode(m_key, 41002);
    auto c = startNode(m_otherKey, 41003);   // another group
    QVERIFY(a && b && c);
    for (Discovery *server : {b.get(), c.get()}) {
        server->setServing(true);
        server->setHeldIds([held](const QList<QByteArray> &ids) {
            return ids.contains(held) ? QList<QByteArray>{held} : QList<QByteArray>{};
        });
        server->setStaticPeers({hostPort(*a)});
    }
    a->setStaticPeers({hostPort(*b), hostPort(*c)});

    QSignalSpy matched(a.get(), &Discovery::matched);
    QSignalSpy aRejected(a.get(), &Discovery::rejected);
    QSignalSpy cRejected(c.get(), &Discovery::rejected);
    a->probe({held, missing});
    QTRY_COMPARE(matched.count(), 1);
    QCOMPARE(matched.at(0).at(0).toString(), b->peerId());
    QCOMPARE(matched.at(0).at(1).value<QHostAddress>(), QHostAddress(QHostAddress::LocalHost));
    QCOMPARE(matched.at(0).at(2).value<quint16>(), quint16(41002));
    QCOMPARE(matched.at(0).at(3).value<QList<QByteArray>>(), QList<QByteArray>{held});
    QCOMPARE(a->peer(b->peerId())->tlsPort, quint16(41002));

    // C dropped A's PROBE at the group check, and A drops C's HELLOs the same way.
    QTRY_VERIFY(hasReason(cRejected, QStringLiteral("group")));
    QTRY_VERIFY(hasReason(aRejected, QStringLiteral("group")));
    QVERIFY(!a->peer(c->peerId()));

    // Who is there: B answers with no ids; C still cannot.
    a->probe();
    QTRY_COMPARE(matched.count(), 2);
    QCOMPARE(matched.at(1).at(0).toString(), b->peerId());
    QVERIFY(matched.at(1).at(3).value<QList<QByteArray>>().isEmpty());
    for (const QList<QVariant> &args : std::as_const(matched))
        QVERIFY(args.at(0).toString() != c->peerId());
}

void TestDiscovery::rotatedNodeAcceptsPreviousKey()
{
    const GroupKey next = GroupKey::generate();
    auto a = startNode(next, 41001);
    auto b = startNode(m_key, 41002);
    QVERIFY(a && b);
    a->setKeys(next, m_key);
    b->setStaticPeers({hostPort(*a)});
    QTRY_VERIFY(a->peer(b->peerId()).has_value());
}

void TestDiscovery::multicastOnThisHost()
{
    // Two nodes on one port and host, multicast only: needs an up, multicast-capable interface.
    QUdpSocket probe;
    QVERIFY(probe.bind(QHostAddress::AnyIPv4, 0));
    const quint16 port = probe.localPort();   // a free port for both nodes
    probe.close();
    std::unique_ptr<Discovery> nodes[2];
    for (auto &node : nodes) {
        node = std::make_unique<Discovery>(randomBytes(DiscoveryMessage::SenderIdSize));
        node->setKeys(m_key);
        node->setPort(port);
        node->setTlsPort(41001);
        // Multicast leaves from the interface's own address, which may be any network here.
        node->setAllowedNetworks({QHostAddress::parseSubnet(QStringLiteral("0.0.0.0/0"))});
        QVERIFY(node->start());
        QCOMPARE(node->boundPort(), port);
        if (node->multicastInterfaces().isEmpty())
            QSKIP("no multicast-capable interface could join the group here");
    }
    QTRY_VERIFY(nodes[0]->peer(nodes[1]->peerId()).has_value());
    QTRY_VERIFY(nodes[1]->peer(nodes[0]->peerId()).has_value());
    QCOMPARE(nodes[0]->peer(nodes[1]->peerId())->via, DiscoveredPeer::Via::Multicast);
}

void TestDiscovery::staleTimestampDropped()
{
    auto a = startNode(m_key, 41001);
    auto b = startNode(m_key, 41002);
    QVERIFY(a && b);
    b->setClock([] { return QDateTime::currentMSecsSinceEpoch() - 200'000; });
    QSignalSpy aRejected(a.get(), &Discovery::rejected);
    b->setStaticPeers({hostPort(*a)});
    QTRY_VERIFY(hasReason(aRejected, QStringLiteral("stale")));
    QVERIFY(a->peers().isEmpty());
}

void TestDiscovery::replayDropped()
{
    RawPeer raw;
    QVERIFY(raw.ok());
    auto a = startNode(m_key, 41001);
    auto b = startNode(m_key, 41002);
    QVERIFY(a && b);
    b->setStaticPeers({raw.hostPort()});   // B's HELLO reaches only the raw socket
    QTRY_COMPARE(raw.decoded(DiscoveryType::Hello, m_key).size(), 1);
    const QByteArray captured = raw.decoded(DiscoveryType::Hello, m_key).first().first;

    QSignalSpy seen(a.get(), &Discovery::peerSeen);
    QSignalSpy rejected(a.get(), &Discovery::rejected);
    raw.send(captured, a->boundPort());
    QTRY_COMPARE(seen.count(), 1);   // first delivery: fresh
    raw.send(captured, a->boundPort());
    QTRY_VERIFY(hasReason(rejected, QStringLiteral("replay")));
    QCOMPARE(seen.count(), 1);
}

void TestDiscovery::unsolicitedMatchDropped()
{
    RawPeer raw;
    QVERIFY(raw.ok());
    auto a = startNode(m_key, 41001);
    QVERIFY(a);
    a->setStaticPeers({raw.hostPort()});
    QSignalSpy matched(a.get(), &Discovery::matched);
    QSignalSpy rejected(a.get(), &Discovery::rejected);

    // Correct key, but a nonce A never probed with.
    DiscoveryMessage forged = message(DiscoveryType::Match);
    forged.serving = true;
    forged.port = 443;
    forged.probeNonce = randomBytes(DiscoveryMessage::NonceSize);
    forged.ids = {lookupId(1)};
    raw.send(forged.encode(m_key), a->boundPort());
    QTRY_VERIFY(hasReason(rejected, QStringLiteral("unsolicited")));
    QVERIFY(matched.isEmpty());
    QVERIFY(a->peers().isEmpty());

    // The same MATCH naming A's live PROBE is taken, and only the ids asked for are reported.
    a->probe({lookupId(1)});
    QTRY_COMPARE(raw.decoded(DiscoveryType::Probe, m_key).size(), 1);
    const DiscoveryMessage probe = raw.decoded(DiscoveryType::Probe, m_key).first().second;
    QCOMPARE(probe.replyPort, a->boundPort());
    forged.nonce = randomBytes(DiscoveryMessage::NonceSize);
    forged.timestampMs = QDateTime::currentMSecsSinceEpoch();
    forged.probeNonce = probe.nonce;
    forged.ids = {lookupId(1), lookupId(2)};
    raw.send(forged.encode(m_key), a->boundPort());
    QTRY_COMPARE(matched.count(), 1);
    QCOMPARE(matched.first().at(3).value<QList<QByteArray>>(), QList<QByteArray>{lookupId(1)});
}

void TestDiscovery::probeFloodWithinBucket()
{
    RawPeer raw;
    QVERIFY(raw.ok());
    auto b = startNode(m_key, 41002);
    QVERIFY(b);
    b->setServing(true);   // answers every "who is there"
    QSignalSpy rejected(b.get(), &Discovery::rejected);

    DiscoveryMessage probe = message(DiscoveryType::Probe);
    probe.replyPort = raw.port();
    int probeSize = 0;
    QElapsedTimer elapsed;
    elapsed.start();
    for (int i = 0; i < 1000; ++i) {
        probe.nonce = randomBytes(DiscoveryMessage::NonceSize);
        probe.timestampMs = QDateTime::currentMSecsSinceEpoch();
        const QByteArray bytes = probe.encode(m_key);
        probeSize = std::max(probeSize, int(bytes.size()));
        raw.send(bytes, b->boundPort());
        if (i % 50 == 49)   // let B read, so the kernel's receive buffer does not drop the flood
            QCoreApplication::processEvents();
    }
    QTRY_VERIFY(raw.decoded(DiscoveryType::Match, m_key).size() >= 10);   // the burst
    QTRY_VERIFY(countReason(rejected, QStringLiteral("rate")) >= 500);
    QTest::qWait(Discovery::MaxMatchDelayMs + 100);                        // answers still delayed
    const double seconds = double(elapsed.elapsed()) / 1000.0;

    const auto matches = raw.decoded(DiscoveryType::Match, m_key);
    qInfo("%lld MATCHes for 1000 PROBEs in %.2f s; %d rate-limited", qlonglong(matches.size()), seconds,
          countReason(rejected, QStringLiteral("rate")));
    QVERIFY(matches.size() <= 10 + 5 * (seconds + 1));
    QCOMPARE(raw.received().size(), matches.size());   // nothing else came back
    for (const auto &[bytes, match] : matches)
        QVERIFY(bytes.size() <= probeSize + Discovery::MatchOverheadBytes);
}

void TestDiscovery::matchNoLargerThanProbe()
{
    RawPeer raw;
    QVERIFY(raw.ok());
    auto b = startNode(m_key, 41002);
    QVERIFY(b);
    b->setServing(true);
    b->setHeldIds([](const QList<QByteArray> &ids) { return ids; });   // holds everything

    DiscoveryMessage full = message(DiscoveryType::Probe);
    full.replyPort = raw.port();
    for (int i = 0; i < DiscoveryMessage::MaxIds; ++i)
        full.ids.append(lookupId(i));
    DiscoveryMessage who = message(DiscoveryType::Probe);
    who.replyPort = raw.port();
    for (const DiscoveryMessage &probe : {full, who}) {
        const QByteArray bytes = probe.encode(m_key);
        const qsizetype before = raw.decoded(DiscoveryType::Match, m_key).size();
        raw.send(bytes, b->boundPort());
        QTRY_COMPARE(raw.decoded(DiscoveryType::Match, m_key).size(), before + 1);
        const auto [matchBytes, match] = raw.decoded(DiscoveryType::Match, m_key).last();
        QCOMPARE(match.probeNonce, probe.nonce);
        QCOMPARE(match.ids, probe.ids);
        QCOMPARE(match.port, quint16(41002));
        QVERIFY2(matchBytes.size() <= bytes.size() + Discovery::MatchOverheadBytes,
                 qPrintable(QStringLiteral("MATCH %1 B, PROBE %2 B").arg(matchBytes.size()).arg(bytes.size())));
    }
}

void TestDiscovery::probesCoalesced()
{
    RawPeer raw;
    QVERIFY(raw.ok());
    auto a = startNode(m_key, 41001);
    QVERIFY(a);
    a->setStaticPeers({raw.hostPort()});
    // Calls within one event-loop pass share a PROBE; calls within the next second share the next.
    a->probe({lookupId(1)});
    a->probe({lookupId(1)});
    QTRY_COMPARE(raw.decoded(DiscoveryType::Probe, m_key).size(), 1);
    a->probe({lookupId(2)});
    a->probe({lookupId(3), lookupId(2)});
    QTRY_COMPARE(raw.decoded(DiscoveryType::Probe, m_key).size(), 2);
    const auto probes = raw.decoded(DiscoveryType::Probe, m_key);
    QCOMPARE(probes.at(0).second.ids, QList<QByteArray>{lookupId(1)});
    QCOMPARE(probes.at(1).second.ids, (QList<QByteArray>{lookupId(2), lookupId(3)}));
    QVERIFY(probes.at(1).second.timestampMs - probes.at(0).second.timestampMs >= 900);
}

QTEST_GUILESS_MAIN(TestDiscovery)
#include "tst_discovery.moc"
