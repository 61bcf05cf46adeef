// Peer cache primitives (docs/peer-caching.md §3, §4, §7): HMAC/HKDF against the RFC vectors, base32,
// the group key and its subkeys, origin digests, peer eligibility, content keys and lookup ids,
// and the MAC'd manifest. No network.
#include "peercache/ContentKey.h"
#include "peercache/Manifest.h"
#include "peercache/PeerCrypto.h"
#include "TestContent.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QCryptographicHash>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <functional>

using namespace ferry;
using namespace ferry::peercache;

namespace {

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(text);
}

QByteArray sha256(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256);
}

bool isLowerHex(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("^[0-9a-f]*$"));
    return re.match(s).hasMatch();
}

// "name: value" lines, as the prober would pass them.
QList<std::pair<QByteArray, QByteArray>> headerList(const QStringList &lines)
{
    QList<std::pair<QByteArray, QByteArray>> out;
    for (const QString &line : lines) {
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        out.append({line.left(colon).toLatin1(), line.mid(colon + 1).trimmed().toLatin1()});
    }
    return out;
}

// "alg:hex:strong|weak", for readable comparisons.
QStringList digestText(const QList<OriginDigest> &digests)
{
    QStringList out;
    for (const OriginDigest &d : digests)
        out << QStringLiteral("%1:%2:%3").arg(d.algorithm, QString::fromLatin1(d.value.toHex()),
                                              d.strong ? QStringLiteral("strong") : QStringLiteral("weak"));
    return out;
}

const QByteArray Sha256Value = QByteArray(32, '\x11');
const QByteArray Sha512Value = QByteArray(64, '\x22');
const QByteArray Md5Value = QByteArray(16, '\x33');

QString b64(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64());
}

QString hexOf(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toHex());
}

const QString DateNow = QStringLiteral("Tue, 03 Nov 2020 10:00:00 GMT");
const QString LmOld = QStringLiteral("Tue, 03 Nov 2020 09:00:00 GMT");       // an hour before Date
const QString LmFresh = QStringLiteral("Tue, 03 Nov 2020 09:59:30 GMT");     // 30 s before Date

OriginFacts eligibleFacts()
{
    OriginFacts f;
    f.status = 200;
    f.size = 100;
    f.etag = QStringLiteral("\"abc\"");
    f.lastModified = LmOld;
    f.date = DateNow;
    return f;
}

// Replaces a manifest's CBOR through `edit` and MACs the result again, as a key holder could.
QByteArray remac(const QByteArray &encoded, const QByteArray &key, const std::function<void(QCborMap &)> &edit)
{
    QCborMap map = QCborValue::fromCbor(encoded.first(encoded.size() - 32)).toMap();
    edit(map);
    const QByteArray cbor = QCborValue(map).toCbor();
    return cbor + hmacSha256(key, cbor);
}

} // namespace

class tst_PeerCrypto : public QObject
{
    Q_OBJECT

private slots:
    void hmacRfc4231_data();
    void hmacRfc4231();
    void hmacEmptyKey();
    void hkdfRfc5869_data();
    void hkdfRfc5869();
    void hkdfLengths();
    void constantTime();
    void random();

    void base32Vectors_data();
    void base32Vectors();
    void base32RoundTrip();
    void base32DecodeLenient();
    void base32DecodeRejects_data();
    void base32DecodeRejects();

    void groupKey();
    void groupKeyRefusesWrongLength();

    void parseDigests_data();
    void parseDigests();

    void ineligibility_data();
    void ineligibility();

    void canonicalUrl_data();
    void canonicalUrl();
    void contentKeyV();
    void contentKeyD();
    void lookupId();

    void manifestOfFile_data();
    void manifestOfFile();
    void manifestOfMissingFile();
    void manifestRoundTrip();
    void manifestBitFlips();
    void manifestWrongKey();
    void manifestTooShort();
    void manifestMalformed();
};

// RFC 4231 §4.2, §4.3, §4.5.
void tst_PeerCrypto::hmacRfc4231_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("mac");
    QTest::newRow("case 1") << QByteArray(20, '\x0b') << QByteArray("Hi There")
                            << hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    QTest::newRow("case 2") << QByteArray("Jefe") << QByteArray("what do ya want for nothing?")
                            << hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    QTest::newRow("case 4") << hex("0102030405060708090a0b0c0d0e0f10111213141516171819") << QByteArray(50, '\xcd')
                            << hex("82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

void tst_PeerCrypto::hmacRfc4231()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, mac);
    QCOMPARE(hmacSha256(key, data).toHex(), mac.toHex());
}

// An empty key must not be mistaken for "keep the previous key" by EVP_MAC_init.
void tst_PeerCrypto::hmacEmptyKey()
{
    QCOMPARE(hmacSha256({}, {}).toHex(), QByteArray("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"));
    QCOMPARE(hmacSha256({}, "x"), QMessageAuthenticationCode::hash("x", {}, QCryptographicHash::Sha256));
}

// RFC 5869 appendix A.1 and A.3.
void tst_PeerCrypto::hkdfRfc5869_data()
{
    QTest::addColumn<QByteArray>("ikm");
    QTest::addColumn<QByteArray>("salt");
    QTest::addColumn<QByteArray>("info");
    QTest::addColumn<QByteArray>("okm");
    QTest::newRow("case 1") << QByteArray(22, '\x0b') << hex("000102030405060708090a0b0c") << hex("f0f1f2f3f4f5f6f7f8f9")
                            << hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    QTest::newRow("case 3") << QByteArray(22, '\x0b') << QByteArray() << QByteArray()
                            << hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

void tst_PeerCrypto::hkdfRfc5869()
{
    QFETCH(QByteArray, ikm);
    QFETCH(QByteArray, salt);
    QFETCH(QByteArray, info);
    QFETCH(QByteArray, okm);
    QCOMPARE(hkdfSha256(ikm, salt, info, int(okm.size())).toHex(), okm.toHex());
}

void tst_PeerCrypto::hkdfLengths()
{
    const QByteArray ikm(22, '\x0b');
    const QByteArray longer = hkdfSha256(ikm, "salt", "info", 100);
    QCOMPARE(longer.size(), 100);
    QCOMPARE(hkdfSha256(ikm, "salt", "info", 42), longer.first(42));   // the output is a stream
    QCOMPARE(hkdfSha256(ikm, "salt", "info", 255 * 32).size(), 255 * 32);
    QVERIFY(hkdfSha256(ikm, "salt", "info", 255 * 32 + 1).isEmpty());  // RFC 5869 limit
    QVERIFY(hkdfSha256(ikm, "salt", "info", 0).isEmpty());
    QVERIFY(hkdfSha256(ikm, "salt", "info", -1).isEmpty());
}

void tst_PeerCrypto::constantTime()
{
    QVERIFY(constantTimeEquals("abc", "abc"));
    QVERIFY(constantTimeEquals({}, {}));
    QVERIFY(!constantTimeEquals("abc", "abd"));
    QVERIFY(!constantTimeEquals("abc", "abcd"));
    QVERIFY(!constantTimeEquals("abc", {}));
    QVERIFY(!constantTimeEquals(QByteArray(32, '\0'), QByteArray(31, '\0')));
}

void tst_PeerCrypto::random()
{
    QCOMPARE(randomBytes(32).size(), 32);
    QCOMPARE(randomBytes(1).size(), 1);
    QVERIFY(randomBytes(0).isEmpty());
    QVERIFY(randomBytes(32) != randomBytes(32));
}

// RFC 4648 §10, without padding.
void tst_PeerCrypto::base32Vectors_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QByteArray() << QString();
    QTest::newRow("f") << QByteArray("f") << QStringLiteral("MY");
    QTest::newRow("fo") << QByteArray("fo") << QStringLiteral("MZXQ");
    QTest::newRow("foo") << QByteArray("foo") << QStringLiteral("MZXW6");
    QTest::newRow("foob") << QByteArray("foob") << QStringLiteral("MZXW6YQ");
    QTest::newRow("fooba") << QByteArray("fooba") << QStringLiteral("MZXW6YTB");
    QTest::newRow("foobar") << QByteArray("foobar") << QStringLiteral("MZXW6YTBOI");
}

void tst_PeerCrypto::base32Vectors()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, text);
    QCOMPARE(base32Encode(bytes), text);
    QCOMPARE(base32Decode(text), std::optional<QByteArray>(bytes));
    // The padded form of RFC 4648 decodes too.
    QString padded = text;
    while (padded.size() % 8)
        padded += QLatin1Char('=');
    QCOMPARE(base32Decode(padded), std::optional<QByteArray>(bytes));
}

void tst_PeerCrypto::base32RoundTrip()
{
    static const QRegularExpression alphabet(QStringLiteral("^[A-Z2-7]*$"));
    for (int n = 0; n <= 40; ++n) {
        QByteArray bytes(n, Qt::Uninitialized);
        for (char &c : bytes)
            c = char(QRandomGenerator::global()->bounded(256));
        const QString text = base32Encode(bytes);
        QVERIFY2(alphabet.match(text).hasMatch(), qPrintable(text));
        QCOMPARE(text.size(), (n * 8 + 4) / 5);
        QCOMPARE(base32Decode(text), std::optional<QByteArray>(bytes));
        QCOMPARE(base32Decode(text.toLower()), std::optional<QByteArray>(bytes));
    }
}

void tst_PeerCrypto::base32DecodeLenient()
{
    const std::optional<QByteArray> foobar = QByteArray("foobar");
    QCOMPARE(base32Decode(QStringLiteral("mzxw6ytboi")), foobar);
    QCOMPARE(base32Decode(QStringLiteral("MZXW 6YTB OI")), foobar);
    QCOMPARE(base32Decode(QStringLiteral("mzxw-6ytb-oi")), foobar);
    QCOMPARE(base32Decode(QStringLiteral(" MzXw6-yTbOi======\n")), foobar);
}

void tst_PeerCrypto::base32DecodeRejects_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("digit 1") << QStringLiteral("MZXW1YTBOI");
    QTest::newRow("digit 8") << QStringLiteral("MZXW8YTBOI");
    QTest::newRow("digit 0") << QStringLiteral("MZXW0YTBOI");
    QTest::newRow("bang") << QStringLiteral("MZXW!YTBOI");
    QTest::newRow("underscore") << QStringLiteral("MZXW_YTBOI");
    QTest::newRow("non-ascii") << QStringLiteral("MZXWÄYTBOI");
    QTest::newRow("data after padding") << QStringLiteral("MY==MY");
    QTest::newRow("one symbol") << QStringLiteral("M");
    QTest::newRow("three symbols") << QStringLiteral("MZX");
    QTest::newRow("six symbols") << QStringLiteral("MZXW6Y");
    QTest::newRow("non-zero fill bits") << QStringLiteral("MZ");
}

void tst_PeerCrypto::base32DecodeRejects()
{
    QFETCH(QString, text);
    QVERIFY(!base32Decode(text));
}

void tst_PeerCrypto::groupKey()
{
    QVERIFY(!GroupKey().isValid());

    const GroupKey generated = GroupKey::generate();
    QVERIFY(generated.isValid());
    QCOMPARE(generated.secret().size(), GroupKey::SecretSize);
    QVERIFY(generated.secret() != GroupKey::generate().secret());

    QByteArray secret(32, Qt::Uninitialized);
    for (int i = 0; i < secret.size(); ++i)
        secret[i] = char(i);
    const std::optional<GroupKey> key = GroupKey::fromSecret(secret);
    QVERIFY(key);
    QVERIFY(key->isValid());
    QCOMPARE(key->secret(), secret);

    // groupId = hex(SHA-256("bpc-group" || G))[0..16], the same every time.
    QCOMPARE(key->groupId().size(), 16);
    QVERIFY(isLowerHex(key->groupId()));
    QCOMPARE(key->groupId(), hexOf(sha256(QByteArray("bpc-group") + secret)).left(16));
    QCOMPARE(GroupKey::fromSecret(secret)->groupId(), key->groupId());
    QVERIFY(generated.groupId() != key->groupId());

    // Subkeys: HKDF-SHA256(G, "bpc-v1", label), 32 bytes, all different.
    const QList<QByteArray> subkeys = {key->discoveryKey(), key->lookupKey(), key->manifestKey(), key->pskKey()};
    const QList<QByteArray> labels = {"disc", "lookup", "man", "psk"};
    for (int i = 0; i < subkeys.size(); ++i) {
        QCOMPARE(subkeys[i].size(), 32);
        QCOMPARE(subkeys[i], hkdfSha256(secret, "bpc-v1", labels[i], 32));
        QVERIFY(subkeys[i] != secret);
        for (int j = i + 1; j < subkeys.size(); ++j)
            QVERIFY(subkeys[i] != subkeys[j]);
    }

    // The base32 form a person copies to another machine gives the same key back.
    const QString text = key->base32();
    QCOMPARE(text.size(), 52);
    const std::optional<GroupKey> copied = GroupKey::fromBase32(text);
    QVERIFY(copied);
    QCOMPARE(copied->secret(), secret);
    QCOMPARE(copied->groupId(), key->groupId());
    QCOMPARE(copied->pskKey(), key->pskKey());
    QCOMPARE(GroupKey::fromBase32(text.toLower())->secret(), secret);
}

void tst_PeerCrypto::groupKeyRefusesWrongLength()
{
    QVERIFY(!GroupKey::fromSecret({}));
    QVERIFY(!GroupKey::fromSecret(QByteArray(31, 'x')));
    QVERIFY(!GroupKey::fromSecret(QByteArray(33, 'x')));
    QVERIFY(!GroupKey::fromBase32(base32Encode(QByteArray(31, 'x'))));
    QVERIFY(!GroupKey::fromBase32(base32Encode(QByteArray(33, 'x'))));
    QVERIFY(!GroupKey::fromBase32(QString()));
    QString typo = base32Encode(QByteArray(32, 'x'));
    typo[10] = QLatin1Char('1');
    QVERIFY(!GroupKey::fromBase32(typo));
}

void tst_PeerCrypto::parseDigests_data()
{
    QTest::addColumn<QStringList>("headers");
    QTest::addColumn<QStringList>("expected");

    const QString s256 = QStringLiteral("sha-256:%1:strong").arg(hexOf(Sha256Value));
    const QString s512 = QStringLiteral("sha-512:%1:strong").arg(hexOf(Sha512Value));
    const QString md5 = QStringLiteral("md5:%1:weak").arg(hexOf(Md5Value));

    QTest::newRow("none") << QStringList{QStringLiteral("etag: \"x\"")} << QStringList{};
    QTest::newRow("repr-digest") << QStringList{QStringLiteral("repr-digest: sha-256=:%1:, sha-512=:%2:").arg(b64(Sha256Value), b64(Sha512Value))}
                                 << QStringList{s256, s512};
    QTest::newRow("repr-digest params, unknown alg") << QStringList{QStringLiteral("repr-digest: md5=:%1:, sha-256=:%2:;p=1").arg(b64(Md5Value), b64(Sha256Value))}
                                                     << QStringList{s256};
    QTest::newRow("repr-digest without colons") << QStringList{QStringLiteral("repr-digest: sha-256=%1").arg(b64(Sha256Value))} << QStringList{};
    QTest::newRow("repr-digest bad base64") << QStringList{QStringLiteral("repr-digest: sha-256=:!!notbase64!!:")} << QStringList{};
    QTest::newRow("repr-digest wrong length") << QStringList{QStringLiteral("repr-digest: sha-256=:%1:").arg(b64(Md5Value))} << QStringList{};
    QTest::newRow("repr-digest unterminated") << QStringList{QStringLiteral("repr-digest: sha-256=:%1").arg(b64(Sha256Value))} << QStringList{};
    QTest::newRow("digest") << QStringList{QStringLiteral("digest: SHA-256=%1, MD5=%2").arg(b64(Sha256Value), b64(Md5Value))}
                            << QStringList{s256, md5};
    QTest::newRow("digest sha-512, case") << QStringList{QStringLiteral("digest: sha-512=%1,UNIXsum=30637").arg(b64(Sha512Value))}
                                          << QStringList{s512};
    QTest::newRow("digest sha-1 ignored") << QStringList{QStringLiteral("digest: SHA=%1").arg(b64(QByteArray(20, 'a')))} << QStringList{};
    QTest::newRow("digest wrong lengths") << QStringList{QStringLiteral("digest: SHA-256=%1, MD5=%2").arg(b64(Md5Value), b64(Sha256Value))}
                                          << QStringList{};
    QTest::newRow("digest garbage") << QStringList{QStringLiteral("digest: SHA-256, =abc, MD5=@@@")} << QStringList{};
    QTest::newRow("amz full object") << QStringList{QStringLiteral("x-amz-checksum-sha256: %1").arg(b64(Sha256Value)),
                                                    QStringLiteral("x-amz-checksum-type: FULL_OBJECT")}
                                     << QStringList{s256};
    QTest::newRow("amz composite") << QStringList{QStringLiteral("x-amz-checksum-type: COMPOSITE"),
                                                  QStringLiteral("x-amz-checksum-sha256: %1").arg(b64(Sha256Value))}
                                   << QStringList{};
    QTest::newRow("amz no type") << QStringList{QStringLiteral("x-amz-checksum-sha256: %1").arg(b64(Sha256Value))} << QStringList{};
    QTest::newRow("amz composite suffix") << QStringList{QStringLiteral("x-amz-checksum-type: FULL_OBJECT"),
                                                         QStringLiteral("x-amz-checksum-sha256: %1-3").arg(b64(Sha256Value))}
                                          << QStringList{};
    QTest::newRow("content-md5") << QStringList{QStringLiteral("content-md5: %1").arg(b64(Md5Value))} << QStringList{md5};
    QTest::newRow("content-md5 hex") << QStringList{QStringLiteral("content-md5: %1").arg(hexOf(Md5Value))} << QStringList{};
    QTest::newRow("x-goog-hash") << QStringList{QStringLiteral("x-goog-hash: crc32c=n03x6A==,md5=%1").arg(b64(Md5Value))} << QStringList{md5};
    QTest::newRow("x-goog-hash two lines") << QStringList{QStringLiteral("x-goog-hash: crc32c=n03x6A=="),
                                                          QStringLiteral("x-goog-hash: md5=%1").arg(b64(Md5Value))}
                                           << QStringList{md5};
    QTest::newRow("x-goog-hash bad md5") << QStringList{QStringLiteral("x-goog-hash: md5=AAAA")} << QStringList{};
    // One value announced twice is one digest.
    QTest::newRow("same value twice") << QStringList{QStringLiteral("digest: SHA-256=%1, MD5=%2").arg(b64(Sha256Value), b64(Md5Value)),
                                                     QStringLiteral("repr-digest: sha-256=:%1:").arg(b64(Sha256Value)),
                                                     QStringLiteral("content-md5: %1").arg(b64(Md5Value))}
                                      << QStringList{s256, md5};
    QTest::newRow("ignored headers") << QStringList{QStringLiteral("content-digest: sha-256=:%1:").arg(b64(Sha256Value)),
                                                    QStringLiteral("etag: \"%1\"").arg(hexOf(Md5Value))}
                                     << QStringList{};
}

void tst_PeerCrypto::parseDigests()
{
    QFETCH(QStringList, headers);
    QFETCH(QStringList, expected);
    QCOMPARE(digestText(peercache::parseDigests(headerList(headers))), expected);
}

void tst_PeerCrypto::ineligibility_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<qint64>("size");
    QTest::addColumn<QString>("etag");
    QTest::addColumn<QString>("lastModified");
    QTest::addColumn<QString>("date");
    QTest::addColumn<QString>("encoding");
    QTest::addColumn<QString>("cacheControl");
    QTest::addColumn<bool>("credentialed");
    QTest::addColumn<QString>("digest");        // "sha-256", "sha-512", "md5" or empty
    QTest::addColumn<QString>("reason");        // a word of the reason, empty when eligible

    const QString strong = QStringLiteral("\"abc\"");
    const QString weak = QStringLiteral("W/\"abc\"");
    const QString none;
    const QString validator = QStringLiteral("validator");

    QTest::newRow("strong etag alone") << 200 << qint64(100) << strong << none << none << none << none << false << none << none;
    QTest::newRow("old last-modified alone") << 200 << qint64(100) << none << LmOld << DateNow << none << none << false << none << none;
    QTest::newRow("weak etag, fresh last-modified") << 200 << qint64(100) << weak << LmFresh << DateNow << none << none << false << none << validator;
    QTest::newRow("weak etag, old last-modified") << 200 << qint64(100) << weak << LmOld << DateNow << none << none << false << none << none;
    QTest::newRow("lower-case weak etag") << 200 << qint64(100) << QStringLiteral("w/\"abc\"") << none << none << none << none << false << none << validator;
    QTest::newRow("last-modified 60 s") << 200 << qint64(100) << none << QStringLiteral("Tue, 03 Nov 2020 09:59:00 GMT") << DateNow << none << none << false << none << none;
    QTest::newRow("last-modified 59 s") << 200 << qint64(100) << none << QStringLiteral("Tue, 03 Nov 2020 09:59:01 GMT") << DateNow << none << none << false << none << validator;
    QTest::newRow("last-modified after date") << 200 << qint64(100) << none << QStringLiteral("Tue, 03 Nov 2020 11:00:00 GMT") << DateNow << none << none << false << none << validator;
    QTest::newRow("last-modified without date") << 200 << qint64(100) << none << LmOld << none << none << none << false << none << validator;
    QTest::newRow("unparsable last-modified") << 200 << qint64(100) << none << QStringLiteral("yesterday") << DateNow << none << none << false << none << validator;
    QTest::newRow("unparsable date") << 200 << qint64(100) << none << LmOld << QStringLiteral("now") << none << none << false << none << validator;
    QTest::newRow("no validator") << 200 << qint64(100) << none << none << DateNow << none << none << false << none << validator;
    QTest::newRow("strong sha-256 alone") << 200 << qint64(100) << none << none << none << none << none << false << QStringLiteral("sha-256") << none;
    QTest::newRow("sha-512 alone") << 200 << qint64(100) << none << none << none << none << none << false << QStringLiteral("sha-512") << validator;
    QTest::newRow("md5 alone") << 200 << qint64(100) << none << none << none << none << none << false << QStringLiteral("md5") << validator;
    QTest::newRow("no-store") << 200 << qint64(100) << strong << LmOld << DateNow << none << QStringLiteral("no-store") << false << none << QStringLiteral("no-store");
    QTest::newRow("No-Store among others") << 200 << qint64(100) << strong << LmOld << DateNow << none << QStringLiteral("max-age=60, No-Store") << false << none << QStringLiteral("no-store");
    QTest::newRow("private") << 200 << qint64(100) << strong << LmOld << DateNow << none << QStringLiteral("private, max-age=600") << false << none << QStringLiteral("private");
    QTest::newRow("private with fields") << 200 << qint64(100) << strong << LmOld << DateNow << none << QStringLiteral("private=\"set-cookie\"") << false << none << QStringLiteral("private");
    QTest::newRow("public, no-cache") << 200 << qint64(100) << strong << LmOld << DateNow << none << QStringLiteral("public, no-cache, max-age=0") << false << none << none;
    QTest::newRow("directive lookalikes") << 200 << qint64(100) << strong << LmOld << DateNow << none << QStringLiteral("no-stored, privately") << false << none << none;
    QTest::newRow("gzip") << 200 << qint64(100) << strong << LmOld << DateNow << QStringLiteral("gzip") << none << false << QStringLiteral("sha-256") << QStringLiteral("gzip");
    QTest::newRow("identity") << 200 << qint64(100) << strong << LmOld << DateNow << QStringLiteral("Identity") << none << false << none << none;
    QTest::newRow("404") << 404 << qint64(100) << strong << LmOld << DateNow << none << none << false << none << QStringLiteral("404");
    QTest::newRow("304") << 304 << qint64(100) << strong << LmOld << DateNow << none << none << false << none << QStringLiteral("304");
    QTest::newRow("no answer") << 0 << qint64(100) << strong << LmOld << DateNow << none << none << false << none << QStringLiteral("HTTP");
    QTest::newRow("206 range probe") << 206 << qint64(100) << strong << LmOld << DateNow << none << none << false << none << none;
    QTest::newRow("unknown size") << 200 << qint64(-1) << strong << LmOld << DateNow << none << none << false << QStringLiteral("sha-256") << QStringLiteral("size");
    QTest::newRow("empty file") << 200 << qint64(0) << strong << none << none << none << none << false << none << none;
    QTest::newRow("credentialed") << 200 << qint64(100) << strong << LmOld << DateNow << none << none << true << QStringLiteral("sha-256") << QStringLiteral("credentials");
}

void tst_PeerCrypto::ineligibility()
{
    QFETCH(int, status);
    QFETCH(qint64, size);
    QFETCH(QString, etag);
    QFETCH(QString, lastModified);
    QFETCH(QString, date);
    QFETCH(QString, encoding);
    QFETCH(QString, cacheControl);
    QFETCH(bool, credentialed);
    QFETCH(QString, digest);
    QFETCH(QString, reason);

    OriginFacts f;
    f.status = status;
    f.size = size;
    f.etag = etag;
    f.lastModified = lastModified;
    f.date = date;
    f.contentEncoding = encoding;
    f.cacheControl = cacheControl;
    f.credentialed = credentialed;
    if (digest == QLatin1String("sha-256"))
        f.digests = {{digest, Sha256Value, true}};
    else if (digest == QLatin1String("sha-512"))
        f.digests = {{digest, Sha512Value, true}};
    else if (digest == QLatin1String("md5"))
        f.digests = {{digest, Md5Value, false}};

    const QString why = peercache::ineligibility(f);
    if (reason.isEmpty())
        QVERIFY2(why.isEmpty(), qPrintable(why));
    else
        QVERIFY2(why.contains(reason, Qt::CaseInsensitive), qPrintable(why));
}

void tst_PeerCrypto::canonicalUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("canonical");
    QTest::newRow("case, port 80, fragment") << QStringLiteral("HTTP://Example.COM:80/a?b#c") << QStringLiteral("http://example.com/a?b");
    QTest::newRow("https 443") << QStringLiteral("https://example.com:443/x") << QStringLiteral("https://example.com/x");
    QTest::newRow("http 443 kept") << QStringLiteral("http://example.com:443/x") << QStringLiteral("http://example.com:443/x");
    QTest::newRow("https 80 kept") << QStringLiteral("https://example.com:80/x") << QStringLiteral("https://example.com:80/x");
    QTest::newRow("8080 kept") << QStringLiteral("http://example.com:8080/x") << QStringLiteral("http://example.com:8080/x");
    QTest::newRow("user info dropped") << QStringLiteral("https://user:secret@example.com/f.iso") << QStringLiteral("https://example.com/f.iso");
    QTest::newRow("path case kept") << QStringLiteral("http://example.com/Dir/File.ISO?Q=A") << QStringLiteral("http://example.com/Dir/File.ISO?Q=A");
    QTest::newRow("encoded path and query") << QStringLiteral("http://example.com/a%20b/c%2Fd?x=%26&y=1")
                                            << QStringLiteral("http://example.com/a%20b/c%2Fd?x=%26&y=1");
    QTest::newRow("empty path") << QStringLiteral("http://example.com") << QStringLiteral("http://example.com/");
    QTest::newRow("ipv6") << QStringLiteral("http://[::1]:80/x") << QStringLiteral("http://[::1]/x");
    QTest::newRow("relative") << QStringLiteral("/just/a/path") << QString();
}

void tst_PeerCrypto::canonicalUrl()
{
    QFETCH(QString, url);
    QFETCH(QString, canonical);
    QCOMPARE(peercache::canonicalUrl(QUrl(url)), canonical);
}

void tst_PeerCrypto::contentKeyV()
{
    const QUrl url(QStringLiteral("http://example.com/a?b"));
    const OriginFacts base = eligibleFacts();
    const QString key = peercache::contentKeyV(url, base);

    // The documented formula, byte for byte.
    const QByteArray material = "http://example.com/a?b\n\"abc\"\n100\n" + LmOld.toLatin1();
    QCOMPARE(key, QLatin1String("v1:") + hexOf(sha256(material)));
    QCOMPARE(key.size(), 3 + 64);

    // Stable for the same facts and for URLs that canonicalise alike.
    QCOMPARE(peercache::contentKeyV(url, base), key);
    QCOMPARE(peercache::contentKeyV(QUrl(QStringLiteral("HTTP://user@EXAMPLE.com:80/a?b#frag")), base), key);
    OriginFacts unrelated = base;
    unrelated.date = QStringLiteral("Wed, 04 Nov 2020 10:00:00 GMT");
    unrelated.cacheControl = QStringLiteral("max-age=0");
    QCOMPARE(peercache::contentKeyV(url, unrelated), key);

    // Any change of validator, size or URL gives another key.
    OriginFacts f = base;
    f.etag = QStringLiteral("\"abd\"");
    QVERIFY(peercache::contentKeyV(url, f) != key);
    f = base;
    f.size = 101;
    QVERIFY(peercache::contentKeyV(url, f) != key);
    f = base;
    f.lastModified = QStringLiteral("Tue, 03 Nov 2020 08:00:00 GMT");
    QVERIFY(peercache::contentKeyV(url, f) != key);
    QVERIFY(peercache::contentKeyV(QUrl(QStringLiteral("http://example.com/a?c")), base) != key);
    QVERIFY(peercache::contentKeyV(QUrl(QStringLiteral("https://example.com/a?b")), base) != key);

    // A weak ETag is not part of the key; Last-Modified carries it.
    f = base;
    f.etag = QStringLiteral("W/\"one\"");
    const QString weakKey = peercache::contentKeyV(url, f);
    QVERIFY(!weakKey.isEmpty());
    f.etag = QStringLiteral("W/\"two\"");
    QCOMPARE(peercache::contentKeyV(url, f), weakKey);

    // A strong ETag keys even when Last-Modified is too fresh to count, and the key does not
    // depend on when the probe ran.
    f = base;
    f.lastModified = LmFresh;
    const QString freshKey = peercache::contentKeyV(url, f);
    QVERIFY(!freshKey.isEmpty());
    f.date = QStringLiteral("Tue, 03 Nov 2020 12:00:00 GMT");
    QCOMPARE(peercache::contentKeyV(url, f), freshKey);

    // No validator at all: no CK-V.
    f = base;
    f.etag = QStringLiteral("W/\"one\"");
    f.lastModified = LmFresh;
    QVERIFY(peercache::contentKeyV(url, f).isEmpty());
    f.etag.clear();
    f.lastModified.clear();
    QVERIFY(peercache::contentKeyV(url, f).isEmpty());
}

void tst_PeerCrypto::contentKeyD()
{
    OriginFacts f = eligibleFacts();
    QVERIFY(peercache::contentKeyD(f).isEmpty());
    f.digests = {{QStringLiteral("md5"), Md5Value, false}, {QStringLiteral("sha-512"), Sha512Value, true}};
    QVERIFY(peercache::contentKeyD(f).isEmpty());
    f.digests.append({QStringLiteral("sha-256"), Sha256Value, true});
    QCOMPARE(peercache::contentKeyD(f), QLatin1String("sha256:") + hexOf(Sha256Value));

    // From headers to key.
    f.digests = peercache::parseDigests(headerList({QStringLiteral("repr-digest: sha-256=:%1:").arg(b64(Sha256Value))}));
    QCOMPARE(peercache::contentKeyD(f), QLatin1String("sha256:") + hexOf(Sha256Value));
}

void tst_PeerCrypto::lookupId()
{
    const GroupKey a = *GroupKey::fromSecret(QByteArray(32, 'a'));
    const GroupKey b = *GroupKey::fromSecret(QByteArray(32, 'b'));
    const QString ck = peercache::contentKeyV(QUrl(QStringLiteral("http://example.com/f")), eligibleFacts());

    const QString id = peercache::lookupId(a.lookupKey(), ck);
    QCOMPARE(id.size(), 32);
    QVERIFY(isLowerHex(id));
    QCOMPARE(id, hexOf(hmacSha256(a.lookupKey(), ck.toUtf8())).left(32));
    QCOMPARE(peercache::lookupId(a.lookupKey(), ck), id);
    QVERIFY(peercache::lookupId(b.lookupKey(), ck) != id);
    QVERIFY(peercache::lookupId(a.manifestKey(), ck) != id);
    QVERIFY(peercache::lookupId(a.lookupKey(), QLatin1String("sha256:") + hexOf(Sha256Value)) != id);
}

void tst_PeerCrypto::manifestOfFile_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<int>("blocks");
    const qint64 mib = Manifest::BlockSize;
    QTest::newRow("0") << qint64(0) << 0;
    QTest::newRow("1") << qint64(1) << 1;
    QTest::newRow("1 MiB") << mib << 1;
    QTest::newRow("1 MiB + 1") << mib + 1 << 2;
    QTest::newRow("3.5 MiB") << mib * 7 / 2 << 4;
}

void tst_PeerCrypto::manifestOfFile()
{
    QFETCH(qint64, size);
    QFETCH(int, blocks);
    const quint32 seed = 6;

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("content.bin"));
    QVERIFY(test::TestContent::writeFile(path, seed, size));

    QString error;
    const std::optional<Manifest> m = Manifest::ofFile(path, &error);
    QVERIFY2(m, qPrintable(error));
    QCOMPARE(m->size, size);
    QCOMPARE(m->blockCount(), blocks);
    QCOMPARE(m->blocks.size(), blocks);
    QCOMPARE(m->fileSha256.toHex(), test::TestContent::sha256Hex(seed, size));
    QCOMPARE(m->contentKeyD, QLatin1String("sha256:") + QString::fromLatin1(test::TestContent::sha256Hex(seed, size)));

    qint64 total = 0;
    for (int i = 0; i < blocks; ++i) {
        const qint64 offset = qint64(i) * Manifest::BlockSize;
        const qint64 length = qMin(Manifest::BlockSize, size - offset);
        QCOMPARE(m->blockLength(i), length);
        QCOMPARE(m->blocks[i].toHex(), sha256(test::TestContent::bytes(seed, offset, length)).toHex());
        total += length;
    }
    QCOMPARE(total, size);
    QCOMPARE(m->blockLength(blocks), 0);
    QCOMPARE(m->blockLength(-1), 0);
}

void tst_PeerCrypto::manifestOfMissingFile()
{
    QTemporaryDir dir;
    QString error;
    QVERIFY(!Manifest::ofFile(dir.filePath(QStringLiteral("missing")), &error));
    QVERIFY(!error.isEmpty());
}

namespace {

Manifest sampleManifest(qint64 size)
{
    Manifest m;
    m.size = size;
    for (int i = 0; i < m.blockCount(); ++i)
        m.blocks.append(sha256(QByteArray::number(i)));
    m.fileSha256 = sha256("whole file");
    m.contentKeyV = QStringLiteral("v1:") + hexOf(sha256("ck"));
    m.contentKeyD = QStringLiteral("sha256:") + hexOf(m.fileSha256);
    m.url = QStringLiteral("http://example.com/f.iso");
    m.etag = QStringLiteral("\"abc\"");
    m.lastModified = LmOld;
    m.originDigests = {{QStringLiteral("sha-256"), m.fileSha256, true}, {QStringLiteral("md5"), Md5Value, false}};
    m.source = QStringLiteral("origin");
    m.createdAtMs = 1604397600123;
    m.peerId = QStringLiteral("0123456789abcdef0123456789abcdef");
    return m;
}

const QByteArray ManifestKey = QByteArray(32, 'k');

} // namespace

void tst_PeerCrypto::manifestRoundTrip()
{
    for (const qint64 size : {qint64(0), qint64(1), Manifest::BlockSize * 7 / 2, qint64(10) << 30}) {
        const Manifest m = sampleManifest(size);
        const QByteArray bytes = m.encode(ManifestKey);
        QString error;
        const std::optional<Manifest> back = Manifest::decode(bytes, ManifestKey, &error);
        QVERIFY2(back, qPrintable(error));
        QVERIFY(*back == m);
        QCOMPARE(back->blocks, m.blocks);
        QCOMPARE(back->originDigests, m.originDigests);
        QCOMPARE(back->createdAtMs, m.createdAtMs);
    }

    // A manifest of a real file, as the serving node builds it.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("f"));
    QVERIFY(test::TestContent::writeFile(path, 9, Manifest::BlockSize + 5));
    Manifest m = *Manifest::ofFile(path);
    m.source = QStringLiteral("peer-strong");
    const std::optional<Manifest> back = Manifest::decode(m.encode(ManifestKey), ManifestKey);
    QVERIFY(back);
    QVERIFY(*back == m);
}

void tst_PeerCrypto::manifestBitFlips()
{
    const QByteArray bytes = sampleManifest(Manifest::BlockSize * 7 / 2).encode(ManifestKey);
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            QByteArray flipped = bytes;
            flipped[i] = char(flipped[i] ^ (1 << bit));
            QString error;
            if (Manifest::decode(flipped, ManifestKey, &error))
                QFAIL(qPrintable(QStringLiteral("flipped bit %1 of byte %2 accepted").arg(bit).arg(i)));
            QCOMPARE(error, QStringLiteral("bad MAC"));
        }
    }
}

void tst_PeerCrypto::manifestWrongKey()
{
    const QByteArray bytes = sampleManifest(100).encode(ManifestKey);
    QString error;
    QVERIFY(!Manifest::decode(bytes, QByteArray(32, 'K'), &error));
    QCOMPARE(error, QStringLiteral("bad MAC"));
    const GroupKey other = GroupKey::generate();
    QVERIFY(!Manifest::decode(bytes, other.manifestKey(), &error));
    QCOMPARE(error, QStringLiteral("bad MAC"));
    QVERIFY(!Manifest::decode(bytes, {}, &error));
}

void tst_PeerCrypto::manifestTooShort()
{
    QString error;
    QVERIFY(!Manifest::decode({}, ManifestKey, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!Manifest::decode(QByteArray(32, 'x'), ManifestKey, &error));
    // 32 bytes of MAC over an empty CBOR body still isn't a manifest.
    QVERIFY(!Manifest::decode(hmacSha256(ManifestKey, {}), ManifestKey, &error));
    // One byte of CBOR with a valid MAC: authenticated, then refused as malformed.
    const QByteArray one("\xa0");   // empty map
    QVERIFY(!Manifest::decode(one + hmacSha256(ManifestKey, one), ManifestKey, &error));
    QVERIFY2(error.startsWith(QLatin1String("malformed manifest")), qPrintable(error));
}

// Correctly MAC'd (a key holder wrote them) but inconsistent or mistyped.
void tst_PeerCrypto::manifestMalformed()
{
    const Manifest good = sampleManifest(Manifest::BlockSize * 7 / 2);
    const QByteArray bytes = good.encode(ManifestKey);
    QVERIFY(Manifest::decode(remac(bytes, ManifestKey, [](QCborMap &) {}), ManifestKey));

    const auto sized = [](int size) {
        return [size](QCborMap &m) { m[QStringLiteral("size")] = size; };
    };
    struct Case
    {
        const char *name;
        const char *reason;   // part of the error
        std::function<void(QCborMap &)> edit;
    };
    const QList<Case> cases = {
        {"block count below size", "4 blocks for size 3145728, expected 3", sized(3 * (1 << 20))},
        {"block count above size", "expected 5", sized(4 * (1 << 20) + 1)},
        {"size 0 with blocks", "expected 0", sized(0)},
        {"negative size", "negative size", sized(-1)},
        {"size as text", "size is not an integer", [](QCborMap &m) { m[QStringLiteral("size")] = QStringLiteral("3670016"); }},
        {"blockSize 4096", "blockSize 4096", [](QCborMap &m) { m[QStringLiteral("blockSize")] = 4096; }},
        {"blockSize missing", "blockSize missing", [](QCborMap &m) { m.remove(QStringLiteral("blockSize")); }},
        {"short block hash", "block 2", [](QCborMap &m) {
             QCborArray blocks = m[QStringLiteral("blocks")].toArray();
             blocks[2] = QByteArray(31, 'x');
             m[QStringLiteral("blocks")] = blocks;
         }},
        {"block as text", "block 0", [](QCborMap &m) {
             QCborArray blocks = m[QStringLiteral("blocks")].toArray();
             blocks[0] = QString(32, QLatin1Char('x'));
             m[QStringLiteral("blocks")] = blocks;
         }},
        {"blocks not an array", "blocks is not an array", [](QCborMap &m) { m[QStringLiteral("blocks")] = QByteArray(128, 'x'); }},
        {"short fileSha256", "fileSha256", [](QCborMap &m) { m[QStringLiteral("fileSha256")] = QByteArray(16, 'x'); }},
        {"ck_d not the file's hash", "ck_d", [](QCborMap &m) { m[QStringLiteral("ck_d")] = QStringLiteral("sha256:") + hexOf(Sha256Value); }},
        {"url not text", "url is not a text string", [](QCborMap &m) { m[QStringLiteral("url")] = 5; }},
        {"peerId missing", "peerId missing", [](QCborMap &m) { m.remove(QStringLiteral("peerId")); }},
        {"version 2", "version 2", [](QCborMap &m) { m[QStringLiteral("v")] = 2; }},
        {"digest entry not a map", "originDigests entry 0", [](QCborMap &m) { m[QStringLiteral("originDigests")] = QCborArray{1}; }},
        {"digest strong not bool", "originDigests entry 0", [](QCborMap &m) {
             QCborMap d{{QStringLiteral("alg"), QStringLiteral("md5")}, {QStringLiteral("value"), QByteArray(16, 'x')},
                        {QStringLiteral("strong"), 1}};
             m[QStringLiteral("originDigests")] = QCborArray{d};
         }},
    };
    for (const Case &c : cases) {
        QString error;
        const bool accepted = Manifest::decode(remac(bytes, ManifestKey, c.edit), ManifestKey, &error).has_value();
        QVERIFY2(!accepted, c.name);
        QVERIFY2(error.startsWith(QLatin1String("malformed manifest: ")) && error.contains(QLatin1String(c.reason)),
                 qPrintable(QLatin1String(c.name) + QLatin1String(": ") + error));
    }

    // Not a map, and trailing bytes after the map, both MAC'd.
    QString error;
    const QByteArray array = QCborValue(QCborArray{1, 2}).toCbor();
    QVERIFY(!Manifest::decode(array + hmacSha256(ManifestKey, array), ManifestKey, &error));
    QVERIFY2(error.startsWith(QLatin1String("malformed manifest: ")), qPrintable(error));
    const QByteArray trailing = bytes.first(bytes.size() - 32) + '\0';
    QVERIFY(!Manifest::decode(trailing + hmacSha256(ManifestKey, trailing), ManifestKey, &error));
    QVERIFY2(error.startsWith(QLatin1String("malformed manifest: ")), qPrintable(error));
    const QByteArray truncated = bytes.first(bytes.size() - 40);
    QVERIFY(!Manifest::decode(truncated + hmacSha256(ManifestKey, truncated), ManifestKey, &error));
    QVERIFY2(error.startsWith(QLatin1String("malformed manifest: ")), qPrintable(error));

    // A manifest encoded with the wrong number of blocks for its size is refused too.
    Manifest wrong = good;
    wrong.blocks.removeLast();
    QVERIFY(!Manifest::decode(wrong.encode(ManifestKey), ManifestKey, &error));
    QVERIFY2(error.contains(QLatin1String("blocks")), qPrintable(error));
}

QTEST_GUILESS_MAIN(tst_PeerCrypto)
#include "tst_peercrypto.moc"
