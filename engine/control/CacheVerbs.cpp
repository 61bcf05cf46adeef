// `cache ...` and `peers`: the computer's peer cache (docs/peer-caching.md §3, §9). Listing peers
// and the cache's state is for every user; records (they name every cached download's URL, query
// tokens and all), changes and the group key are for root and the engine's user.
#include "control/EngineService.h"
#include "peercache/PeerCache.h"

#include <QJsonArray>

namespace ferry {

namespace {

using R = AdminReply;
using A = VerbAccess;

void records(VerbCall &c)
{
    const QJsonArray records = c.peers()->recordsJson();
    QStringList lines;
    for (const QJsonValue &v : records) {
        const QJsonObject r = v.toObject();
        lines << QStringLiteral("%1 %2 bytes %3 last access %4%5")
                     .arg(r.value(QLatin1String("id")).toString())
                     .arg(qint64(r.value(QLatin1String("size")).toDouble()))
                     .arg(r.value(QLatin1String("url")).toString(), r.value(QLatin1String("lastAccess")).toString(),
                          r.value(QLatin1String("validated")).toBool() ? QString() : QStringLiteral(" (not validated)"));
    }
    lines << QStringLiteral("Listed %1 record(s).").arg(records.size());
    c.reply(R::success(lines.join(QLatin1Char('\n')), records));
}

void peers(VerbCall &c)
{
    const QJsonArray list = c.peers()->peersJson();
    QStringList lines;
    for (const QJsonValue &v : list) {
        const QJsonObject p = v.toObject();
        lines << QStringLiteral("%1 %2 tls %3 via %4 last seen %5%6 strikes %7%8")
                     .arg(p.value(QLatin1String("peerId")).toString(), p.value(QLatin1String("address")).toString())
                     .arg(p.value(QLatin1String("tlsPort")).toInt())
                     .arg(p.value(QLatin1String("via")).toString(), p.value(QLatin1String("lastSeen")).toString(),
                          p.value(QLatin1String("authenticated")).toBool() ? QStringLiteral(" authenticated") : QString())
                     .arg(p.value(QLatin1String("strikes")).toInt())
                     .arg(p.value(QLatin1String("banned")).toBool()
                              ? QStringLiteral(" BANNED until %1").arg(p.value(QLatin1String("bannedUntil")).toString())
                              : QString());
    }
    lines << QStringLiteral("Listed %1 peer(s).").arg(list.size());
    c.reply(R::success(lines.join(QLatin1Char('\n')), list));
}

void groupKey(VerbCall &c)
{
    QStringList rest = c.args;
    // --revoke-previous: a rotation made because the old key leaked ends its grace at once.
    const bool revokeOld = rest.removeAll(QStringLiteral("--revoke-previous")) > 0;
    const QString what = rest.value(0).toLower();
    peercache::PeerGroup *group = c.peers()->group();
    const QString revoked = revokeOld ? QStringLiteral(" The previous key is revoked.") : QString();
    const ReplyFn reply = c.reply;
    if (what == QLatin1String("create") && rest.size() == 1)
        return group->create([reply, revoked](const Status &s, const QString &key) {
            reply(s ? R::success(QStringLiteral("Group key created.%1 Import it on the other computers of the group "
                                                "(ferry-admin cache groupkey import KEY); it is shown again only by "
                                                "`cache groupkey show`.\n%2").arg(revoked, key), key)
                    : R::failure(s));
        }, revokeOld);
    if (what == QLatin1String("show") && rest.size() == 1 && !revokeOld)
        return group->show([reply](const Status &s, const QString &key) { reply(s ? R::success(key, key) : R::failure(s)); });
    if (what == QLatin1String("import") && rest.size() == 2)
        return group->import(rest[1], [reply, revoked](const Status &s) {
            reply(R::fromStatus(s, QStringLiteral("Group key imported.") + revoked));
        }, revokeOld);
    if (what == QLatin1String("revoke") && rest.size() == 1 && !revokeOld)
        return group->revokePrevious([reply](const Status &s) {
            reply(R::fromStatus(s, QStringLiteral("Previous group key revoked: computers that hold only it are no longer "
                                                  "accepted by discovery or the peer server.")));
        });
    reply(R::failure(hr::E_INVALIDARG, QStringLiteral("usage: cache groupkey create [--revoke-previous] | show | "
                                                      "import KEY [--revoke-previous] | revoke")));
}

} // namespace

const std::vector<Verb> &cacheVerbs()
{
    static const std::vector<Verb> table = {
        {"cache info", A::Anyone, 0, 0, "", [](VerbCall &c) { c.reply(R::success(c.peers()->infoText(), c.peers()->info())); }},
        {"cache peers", A::Anyone, 0, 0, "[--json]   (also: peers)", peers},
        {"cache peers clear", A::EngineUser, 0, 0, "", [](VerbCall &c) {
             c.answer(c.peers()->clearPeers(), QStringLiteral("Peer list cleared."));
         }},
        {"cache peers discover", A::EngineUser, 0, 0, "", [](VerbCall &c) {
             c.peers()->rediscover();
             c.reply(R::success(QStringLiteral("Discovery probe sent.")));
         }},
        {"cache records", A::EngineUser, 0, 0, "[--json]", records},
        {"cache set", A::EngineUser, 2, 2, "KEY VALUE", [](VerbCall &c) { c.answer(c.peers()->set(c.args[0], c.args[1])); }},
        {"cache groupkey", A::EngineUser, 1, 3, "create [--revoke-previous] | show | import KEY [--revoke-previous] | revoke",
         groupKey},
        {"cache delete", A::EngineUser, 1, 1, "ID",
         [](VerbCall &c) { c.answer(c.peers()->deleteRecord(c.args[0].trimmed().toLower()), QStringLiteral("Record deleted.")); }},
        {"cache deleteurl", A::EngineUser, 1, 1, "URL", [](VerbCall &c) {
             const int n = c.peers()->deleteUrl(c.args[0]);
             c.reply(R::success(QStringLiteral("Deleted %1 record(s).").arg(n), n));
         }},
        {"cache clear", A::EngineUser, 0, 0, "", [](VerbCall &c) { c.answer(c.peers()->clearRecords(), QStringLiteral("Cache cleared.")); }},
    };
    return table;
}

} // namespace ferry
