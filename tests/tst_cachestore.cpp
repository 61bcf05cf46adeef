// CacheStore (docs/peer-caching.md §9, test T9): records become findable only once validated, expire
// by age, are evicted by size in LRU order with in-use records kept, oversize files are refused,
// an interrupted insert leaves nothing servable, and peers collect strikes and bans.
// Clock and disk size are injected: nothing here waits for real time.
#include "CacheSource.h"
#include "peercache/CacheStore.h"
#include "TestContent.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace ferry;
using namespace ferry::peercache;
using ferry::test::TestContent;

namespace {

constexpr qint64 Hour = 3600 * 1000LL;

// A distinct, valid lookup id per label: the label's hex code, then the kind.
QString lookup(char label, char kind = 'v')
{
    return QString::number(int(label), 16).repeated(8) + QString(16, QLatin1Char(kind == 'v' ? '1' : '2'));
}

} // namespace

class tst_CacheStore : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void openCreatesPrivateDirectoryAndTables();
    void findableOnlyAfterValidation();
    void heldLookupIds();
    void insertRejectsBadInput();
    void insertRefusesAFileThatChanged();
    void evictsByAge();
    void evictsBySizeInLruOrder();
    void inUseRecordsSurviveEviction();
    void oversizeFileRefused();
    void fullOfInUseRecordsRefusesInsert();
    void recoverLeavesOnlyConsistentRecords();
    void removeByIdUrlAndClear();
    void tamperedPathDeletesNothingOutside();
    void strikesAndBans();
    void peersTable();

private:
    // A store on the test's database and directory, with the injected clock and disk.
    std::unique_ptr<CacheStore> openStore();
    QString makeFile(const QString &name, quint32 seed, qint64 size);
    QString insertFile(CacheStore &store, char label, qint64 size, bool validated = true, const QString &url = {});

    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_db;
    QString m_dir;
    qint64 m_now = 0;
    qint64 m_disk = 0;
};

void tst_CacheStore::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    m_db = m_tmp->filePath(QStringLiteral("ferry.db"));
    m_dir = m_tmp->filePath(QStringLiteral("cache/peercache"));
    m_now = 1'700'000'000'000LL;
    m_disk = 1'000'000'000LL;   // 1 %: 10 MB
}

void tst_CacheStore::cleanup() { m_tmp.reset(); }

std::unique_ptr<CacheStore> tst_CacheStore::openStore()
{
    auto store = std::make_unique<CacheStore>(m_db, m_dir);
    store->setClock([this] { return m_now; });
    store->setDiskBytes([this] { return m_disk; });
    const Status s = store->open();
    if (!s.ok())
        qWarning() << s.message;
    return s.ok() ? std::move(store) : nullptr;
}

QString tst_CacheStore::makeFile(const QString &name, quint32 seed, qint64 size)
{
    const QString path = m_tmp->filePath(name);
    return TestContent::writeFile(path, seed, size) ? path : QString();
}

QString tst_CacheStore::insertFile(CacheStore &store, char label, qint64 size, bool validated, const QString &url)
{
    const quint32 seed = quint32(label);
    CacheRecordInput in;
    const auto source = useAsCacheSource(in, makeFile(QStringLiteral("src-%1").arg(QLatin1Char(label)), seed, size));
    in.lookupV = lookup(label, 'v');
    in.lookupD = lookup(label, 'd');
    in.contentKeyV = QStringLiteral("v1:%1").arg(QLatin1Char(label));
    in.contentKeyD = QStringLiteral("sha256:") + QString::fromLatin1(TestContent::sha256Hex(seed, size));
    in.url = url.isEmpty() ? QStringLiteral("https://example.com/%1").arg(QLatin1Char(label)) : url;
    in.etag = QStringLiteral("\"e\"");
    in.fileSha256 = QString::fromLatin1(TestContent::sha256Hex(seed, size));
    in.manifest = QByteArray("manifest-") + label;
    in.source = QStringLiteral("origin");
    in.validated = validated;
    QString id;
    const Status s = store.insert(in, &id);
    if (!s.ok())
        qWarning() << "insert failed:" << s.message;
    return id;
}

void tst_CacheStore::openCreatesPrivateDirectoryAndTables()
{
    auto store = openStore();
    QVERIFY(store);
    QCOMPARE(QFileInfo(m_dir).permissions() & (QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup | QFile::ReadOther
                                                | QFile::WriteOther | QFile::ExeOther),
             QFile::Permissions());
    QCOMPARE(store->directory(), QFileInfo(m_dir).canonicalFilePath());

    const QString id = insertFile(*store, 'a', 1000);
    QVERIFY(CacheStore::isValidId(id));
    const QFileInfo data(store->directory() + u'/' + id + QLatin1String(".data"));
    QVERIFY(data.isFile());
    QCOMPARE(data.permissions() & (QFile::ReadOther | QFile::ReadGroup), QFile::Permissions());

    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("inspect"));
        db.setDatabaseName(m_db);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QStringList columns;
        QVERIFY(q.exec(QStringLiteral("PRAGMA table_info(pc_records)")));
        while (q.next())
            columns << q.value(1).toString();
        for (const char *c : {"id", "lookup_v", "lookup_d", "ck_v", "ck_d", "url", "etag", "last_modified", "size",
                              "file_sha256", "manifest", "source", "validated", "created_at", "last_access", "job_id", "path"})
            QVERIFY2(columns.contains(QLatin1String(c)), c);
        columns.clear();
        QVERIFY(q.exec(QStringLiteral("PRAGMA table_info(pc_peers)")));
        while (q.next())
            columns << q.value(1).toString();
        for (const char *c : {"peer_id", "addr", "tls_port", "via", "first_seen", "last_seen", "authenticated", "strikes",
                              "banned_until"})
            QVERIFY2(columns.contains(QLatin1String(c)), c);
        QVERIFY(q.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='pc_records'")));
        QStringList indexes;
        while (q.next())
            indexes << q.value(0).toString();
        QVERIFY(indexes.contains(QStringLiteral("pc_records_lookup_v")));
        QVERIFY(indexes.contains(QStringLiteral("pc_records_lookup_d")));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("inspect"));
}

void tst_CacheStore::findableOnlyAfterValidation()
{
    auto store = openStore();
    QVERIFY(store);
    const QString id = insertFile(*store, 'a', 300000, /*validated=*/false);
    QVERIFY(!id.isEmpty());
    QVERIFY(!store->findByLookupId(lookup('a', 'v')));
    QVERIFY(!store->findByLookupId(lookup('a', 'd')));
    QVERIFY(store->record(id));   // the admin still sees it

    QVERIFY(store->setValidated(id, true).ok());
    for (const QString &l : {lookup('a', 'v'), lookup('a', 'd')}) {
        const auto r = store->findByLookupId(l);
        QVERIFY(r);
        QCOMPARE(r->id, id);
        QCOMPARE(r->size, 300000);
        QCOMPARE(r->fileSha256, QString::fromLatin1(TestContent::sha256Hex('a', 300000)));
        QCOMPARE(r->manifest, QByteArray("manifest-a"));
        QCOMPARE(r->path, store->directory() + u'/' + id + QLatin1String(".data"));
        QCOMPARE(r->createdAtMs, m_now);
    }
    QFile data(store->record(id)->path);
    QVERIFY(data.open(QIODevice::ReadOnly));
    QCOMPARE(data.readAll(), TestContent::bytes('a', 0, 300000));

    QVERIFY(store->setValidated(id, false).ok());
    QVERIFY(!store->findByLookupId(lookup('a', 'v')));
    QCOMPARE(store->setValidated(QStringLiteral("0123456789abcdef0123456789abcdef"), true).code, hr::BG_E_NOT_FOUND);
}

void tst_CacheStore::heldLookupIds()
{
    auto store = openStore();
    QVERIFY(store);
    insertFile(*store, 'a', 100);
    insertFile(*store, 'b', 100, /*validated=*/false);
    insertFile(*store, 'c', 100);
    const QStringList asked{lookup('c', 'd'), lookup('b', 'v'), lookup('z', 'v'), lookup('a', 'v'), QStringLiteral("nothex")};
    QCOMPARE(store->heldLookupIds(asked), (QStringList{lookup('c', 'd'), lookup('a', 'v')}));
}

void tst_CacheStore::insertRejectsBadInput()
{
    auto store = openStore();
    QVERIFY(store);
    CacheRecordInput in;
    auto source = useAsCacheSource(in, makeFile(QStringLiteral("src"), 1, 100));
    QCOMPARE(store->insert(in).code, hr::E_INVALIDARG);   // no lookup id
    in.lookupV = QStringLiteral("ABCDEF0123456789ABCDEF0123456789");
    QCOMPARE(store->insert(in).code, hr::E_INVALIDARG);   // upper case
    in.lookupV = lookup('a');
    source = useAsCacheSource(in, m_tmp->filePath(QStringLiteral("missing")));
    QCOMPARE(store->insert(in).code, hr::E_INVALIDARG);
    QVERIFY(store->records().isEmpty());
    QVERIFY(QDir(store->directory()).isEmpty());
}

void tst_CacheStore::insertRefusesAFileThatChanged()
{
    auto store = openStore();
    QVERIFY(store);
    CacheRecordInput in;
    const auto source = useAsCacheSource(in, makeFile(QStringLiteral("src"), 1, 5000));
    in.lookupV = lookup('a');
    in.fileSha256 = QString::fromLatin1(TestContent::sha256Hex(2, 5000));   // hashed before it changed
    QCOMPARE(store->insert(in).code, hr::BG_E_LOCAL_FILE_CHANGED);
    QVERIFY(store->records().isEmpty());
    QVERIFY(QDir(store->directory()).isEmpty());   // no .part left behind
}

void tst_CacheStore::evictsByAge()
{
    auto store = openStore();
    QVERIFY(store);
    store->setLimits({1, 10 * 86400});
    const QString oldId = insertFile(*store, 'a', 1000);
    m_now += 5 * 86400 * 1000LL;
    const QString newId = insertFile(*store, 'b', 1000);
    m_now += 6 * 86400 * 1000LL;   // a: 11 days since last access, b: 6

    QVERIFY(!store->findByLookupId(lookup('a')));   // expired is never served, evicted or not
    QVERIFY(store->findByLookupId(lookup('b')));
    const QString oldPath = store->record(oldId)->path;
    QCOMPARE(store->evict(), 1);
    QVERIFY(!store->record(oldId));
    QVERIFY(!QFile::exists(oldPath));
    QVERIFY(store->record(newId));

    // Serving counts as access: touch() keeps a record young.
    m_now += 3 * 86400 * 1000LL;
    QVERIFY(store->touch(newId).ok());
    m_now += 8 * 86400 * 1000LL;   // 11 days since insert, 8 since touch
    QCOMPARE(store->evict(), 0);
    QVERIFY(store->findByLookupId(lookup('b')));
}

void tst_CacheStore::evictsBySizeInLruOrder()
{
    auto store = openStore();
    QVERIFY(store);
    m_disk = 100000;
    store->setLimits({10, 90 * 86400});   // cap 10000 bytes
    QCOMPARE(store->capBytes(), 10000);
    const QString a = insertFile(*store, 'a', 3000);
    m_now += Hour;
    const QString b = insertFile(*store, 'b', 3000);
    m_now += Hour;
    const QString c = insertFile(*store, 'c', 3000);
    m_now += Hour;
    QVERIFY(store->touch(a).ok());   // LRU order now b, c, a
    m_now += Hour;
    QCOMPARE(store->totalBytes(), 9000);

    const QString d = insertFile(*store, 'd', 3000);   // 12000 > 10000: b goes
    QVERIFY(!d.isEmpty());
    QVERIFY(!store->record(b));
    QVERIFY(store->record(a) && store->record(c) && store->record(d));
    QCOMPARE(store->totalBytes(), 9000);

    // A smaller filesystem (or a lower percentage) evicts on the next run, still LRU first.
    m_now += Hour;
    m_disk = 50000;   // cap 5000: c goes, then a
    QCOMPARE(store->evict(), 2);
    QVERIFY(!store->record(c) && !store->record(a));
    QVERIFY(store->record(d));
    QCOMPARE(QDir(store->directory()).entryList(QDir::Files).size(), 1);
}

void tst_CacheStore::inUseRecordsSurviveEviction()
{
    auto store = openStore();
    QVERIFY(store);
    m_disk = 100000;
    store->setLimits({10, 86400});
    const QString a = insertFile(*store, 'a', 4000);
    m_now += Hour;
    const QString b = insertFile(*store, 'b', 4000);
    m_now += Hour;
    store->setInUse(a, true);
    store->setInUse(a, true);   // two readers
    QVERIFY(store->isInUse(a));

    QVERIFY(!insertFile(*store, 'c', 4000).isEmpty());   // a is LRU but in use: b goes
    QVERIFY(store->record(a));
    QVERIFY(!store->record(b));

    m_now += 2 * 86400 * 1000LL;   // everything is past its age now
    QCOMPARE(store->evict(), 1);    // c; a is still being served
    QVERIFY(store->record(a));
    store->setInUse(a, false);
    QVERIFY(store->isInUse(a));
    QCOMPARE(store->evict(), 0);
    store->setInUse(a, false);
    QVERIFY(!store->isInUse(a));
    QCOMPARE(store->evict(), 1);
    QVERIFY(store->records().isEmpty());
}

void tst_CacheStore::oversizeFileRefused()
{
    auto store = openStore();
    QVERIFY(store);
    m_disk = 100000;
    store->setLimits({10, 86400});
    const QString keep = insertFile(*store, 'a', 6000);
    CacheRecordInput in;
    const auto source = useAsCacheSource(in, makeFile(QStringLiteral("big"), 9, 10001));
    in.lookupV = lookup('b');
    QCOMPARE(store->insert(in).code, hr::BG_E_TOO_LARGE);
    QVERIFY(store->record(keep));   // refusing does not evict anything
    QCOMPARE(store->records().size(), 1);
    QCOMPARE(QDir(store->directory()).entryList(QDir::Files).size(), 1);
}

void tst_CacheStore::fullOfInUseRecordsRefusesInsert()
{
    auto store = openStore();
    QVERIFY(store);
    m_disk = 100000;
    store->setLimits({10, 86400});
    const QString a = insertFile(*store, 'a', 6000);
    store->setInUse(a, true);
    CacheRecordInput in;
    const auto source = useAsCacheSource(in, makeFile(QStringLiteral("b"), 9, 6000));
    in.lookupV = lookup('b');
    QCOMPARE(store->insert(in).code, hr::E_DISK_FULL);
    QCOMPARE(store->records().size(), 1);
    store->setInUse(a, false);
    QVERIFY(store->insert(in).ok());
    QVERIFY(!store->record(a));
}

void tst_CacheStore::recoverLeavesOnlyConsistentRecords()
{
    QString good, noFile, truncated, orphan;
    {
        auto store = openStore();
        QVERIFY(store);
        good = insertFile(*store, 'a', 2000);
        noFile = insertFile(*store, 'b', 2000);
        truncated = insertFile(*store, 'c', 2000);
        const QString dir = store->directory();
        // A row whose file is gone, and one whose file is incomplete.
        QVERIFY(QFile::remove(dir + u'/' + noFile + QLatin1String(".data")));
        QVERIFY(QFile::resize(dir + u'/' + truncated + QLatin1String(".data"), 1000));
        // A crash after the rename but before the row committed, and one during the copy.
        orphan = QStringLiteral("00112233445566778899aabbccddeeff");
        QVERIFY(TestContent::writeFile(dir + u'/' + orphan + QLatin1String(".data"), 7, 500));
        QVERIFY(TestContent::writeFile(dir + QLatin1String("/ffeeddccbbaa99887766554433221100.data.part"), 8, 300));
        // Not ours: left alone.
        QVERIFY(TestContent::writeFile(dir + QLatin1String("/notes.txt"), 9, 10));
        // Until recovery, the broken records are not served anyway.
        QVERIFY(!store->findByLookupId(lookup('b')));
        QVERIFY(!store->findByLookupId(lookup('c')));
    }
    auto store = openStore();   // open() runs recover()
    QVERIFY(store);
    const QList<CacheRecord> all = store->records();
    QCOMPARE(all.size(), 1);
    QCOMPARE(all.first().id, good);
    QVERIFY(store->findByLookupId(lookup('a')));
    QStringList files = QDir(store->directory()).entryList(QDir::Files | QDir::Hidden);
    files.sort();
    QCOMPARE(files, (QStringList{good + QLatin1String(".data"), QStringLiteral("notes.txt")}));
    QCOMPARE(store->recover(), 0);
}

void tst_CacheStore::removeByIdUrlAndClear()
{
    auto store = openStore();
    QVERIFY(store);
    const QString a = insertFile(*store, 'a', 100, true, QStringLiteral("https://example.com/same"));
    const QString b = insertFile(*store, 'b', 100, true, QStringLiteral("https://example.com/same"));
    const QString c = insertFile(*store, 'c', 100);
    const QString d = insertFile(*store, 'd', 100);
    const QString cPath = store->record(c)->path;
    QVERIFY(store->remove(c).ok());
    QVERIFY(!QFile::exists(cPath));
    QCOMPARE(store->remove(c).code, hr::BG_E_NOT_FOUND);
    QCOMPARE(store->removeByUrl(QStringLiteral("https://example.com/same")), 2);
    QVERIFY(!store->record(a) && !store->record(b));
    QVERIFY(store->record(d));
    QVERIFY(store->clear().ok());
    QVERIFY(store->records().isEmpty());
    QVERIFY(QDir(store->directory()).isEmpty());
}

void tst_CacheStore::tamperedPathDeletesNothingOutside()
{
    auto store = openStore();
    QVERIFY(store);
    const QString id = insertFile(*store, 'a', 100);
    const QString victim = makeFile(QStringLiteral("victim"), 3, 100);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("tamper"));
        db.setDatabaseName(m_db);
        QVERIFY(db.open());
        QSqlQuery q(db);
        q.prepare(QStringLiteral("UPDATE pc_records SET path=? WHERE id=?"));
        q.addBindValue(victim);
        q.addBindValue(id);
        QVERIFY(q.exec());
    }
    QSqlDatabase::removeDatabase(QStringLiteral("tamper"));
    QVERIFY(store->remove(id).ok());
    QVERIFY(QFile::exists(victim));
}

void tst_CacheStore::strikesAndBans()
{
    auto store = openStore();
    QVERIFY(store);
    const QString p = QStringLiteral("peer-1");
    QVERIFY(!store->strike(p));
    QVERIFY(!store->isBanned(p));
    QCOMPARE(store->peer(p)->strikes, 1);

    m_now += 25 * Hour;   // the first strike has aged out of the window
    QVERIFY(!store->strike(p));
    QCOMPARE(store->peer(p)->strikes, 1);
    QVERIFY(!store->isBanned(p));

    m_now += 23 * Hour;   // second within 24 h: banned for 24 h
    QVERIFY(store->strike(p));
    QVERIFY(store->isBanned(p));
    QCOMPARE(store->peer(p)->strikes, 2);
    QCOMPARE(store->peer(p)->bannedUntilMs, m_now + CacheStore::BanMs);
    m_now += CacheStore::BanMs - 1;
    QVERIFY(store->isBanned(p));
    m_now += 1;
    QVERIFY(!store->isBanned(p));

    // A bad MAC bans at once; a shorter ban never shortens a longer one.
    const QString q = QStringLiteral("peer-2");
    QVERIFY(store->ban(q).ok());
    QVERIFY(store->isBanned(q));
    QVERIFY(store->ban(q, 1000).ok());
    QCOMPARE(store->peer(q)->bannedUntilMs, m_now + CacheStore::BanMs);
    QVERIFY(!store->isBanned(QStringLiteral("unknown")));
}

void tst_CacheStore::peersTable()
{
    auto store = openStore();
    QVERIFY(store);
    const qint64 first = m_now;
    QVERIFY(store->notePeerSeen(QStringLiteral("p1"), QStringLiteral("127.0.0.1"), 41771, QStringLiteral("static")).ok());
    m_now += 1000;
    QVERIFY(store->notePeerSeen(QStringLiteral("p1"), QStringLiteral("127.0.0.2"), 41772, QStringLiteral("multicast")).ok());
    auto p1 = store->peer(QStringLiteral("p1"));
    QVERIFY(p1);
    QCOMPARE(p1->address, QStringLiteral("127.0.0.2"));
    QCOMPARE(p1->tlsPort, 41772);
    QCOMPARE(p1->via, QStringLiteral("multicast"));
    QCOMPARE(p1->firstSeenMs, first);
    QCOMPARE(p1->lastSeenMs, m_now);
    QVERIFY(!p1->authenticated);

    m_now += 1000;
    QVERIFY(store->notePeerAuthenticated(QStringLiteral("p1"), QStringLiteral("127.0.0.2")).ok());
    p1 = store->peer(QStringLiteral("p1"));
    QVERIFY(p1->authenticated);
    QCOMPARE(p1->tlsPort, 41772);   // kept
    QCOMPARE(p1->lastSeenMs, m_now);
    QVERIFY(store->notePeerAuthenticated(QStringLiteral("p2"), QStringLiteral("127.0.0.3")).ok());
    QCOMPARE(store->peers().size(), 2);
    QVERIFY(store->clearPeers().ok());
    QVERIFY(store->peers().isEmpty());
}

QTEST_GUILESS_MAIN(tst_CacheStore)
#include "tst_cachestore.moc"
