#include "AdminVerbs.h"

#include "JobAccess.h"
#include "JobJson.h"
#include "JobManager.h"
#include "PeerCache.h"
#include "ProcessStats.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <functional>

namespace ferry {
namespace {

AdminReply failure(const Status &s)
{
    return AdminReply::failure(s.code, s.message.isEmpty() ? errorName(s.code) : s.message);
}

AdminReply success(const QString &text = {}, const QJsonValue &json = {})
{
    AdminReply r;
    r.text = text;
    r.json = json;
    return r;
}

AdminReply fromStatus(const Status &s, const QString &text = {})
{
    if (!s)
        return failure(s);
    return success(s.code == hr::S_OK ? text : s.message);
}

bool parseNumber(const QString &text, quint32 *out)
{
    bool ok = false;
    const qulonglong v = text.trimmed().toULongLong(&ok, 0);
    if (!ok || v > 0xFFFFFFFFull)
        return false;
    *out = quint32(v);
    return true;
}

AdminReply usage(const QString &verb, const QString &syntax)
{
    return failure({hr::E_INVALIDARG, QStringLiteral("usage: %1 %2").arg(verb, syntax)});
}

} // namespace

QJsonObject AdminReply::toJson() const
{
    if (!ok)
        return {{QStringLiteral("ok"), false},
                {QStringLiteral("code"), errorHex(code)},
                {QStringLiteral("name"), errorName(code)},
                {QStringLiteral("message"), message}};
    return {{QStringLiteral("ok"), true}, {QStringLiteral("text"), text}, {QStringLiteral("json"), json}};
}

QByteArray AdminReply::toLine() const
{
    return QJsonDocument(toJson()).toJson(QJsonDocument::Compact);
}

AdminReply AdminReply::failure(quint32 code, const QString &message)
{
    AdminReply r;
    r.ok = false;
    r.code = code;
    r.message = message;
    return r;
}

AdminReply AdminReply::fromJson(const QJsonObject &o)
{
    AdminReply r;
    r.ok = o.value(QLatin1String("ok")).toBool();
    r.text = o.value(QLatin1String("text")).toString();
    r.json = o.value(QLatin1String("json"));
    r.code = o.value(QLatin1String("code")).toString().toUInt(nullptr, 16);
    r.message = o.value(QLatin1String("message")).toString();
    return r;
}

QString AdminVerbs::normalizedVerb(QString verb)
{
    while (verb.startsWith(QLatin1Char('/')) || verb.startsWith(QLatin1Char('-')))
        verb.remove(0, 1);
    return verb.toLower();
}

void AdminVerbs::handleAsync(const QString &rawVerb, const QStringList &args, const Owner &caller, bool wantJson,
                             std::function<void(const AdminReply &)> reply)
{
    const QString verb = normalizedVerb(rawVerb);
    if (verb == QLatin1String("cache") || verb == QLatin1String("peers"))
        return handleCache(verb == QLatin1String("peers") ? QStringList{QStringLiteral("peers")} + args : args, caller, wantJson,
                           reply);
    const bool set = verb == QLatin1String("setcredentials");
    if (!set && verb != QLatin1String("removecredentials"))
        return reply(handle(verb, args, caller, wantJson));
    const QString syntax = set ? QStringLiteral("JOB SERVER|PROXY BASIC|DIGEST|NTLM|NEGOTIATE USER PASSWORD")
                               : QStringLiteral("JOB SERVER|PROXY BASIC|DIGEST|NTLM|NEGOTIATE");
    if (args.size() != (set ? 5 : 3))
        return reply(usage(verb, syntax));
    const auto target = parseAuthTarget(args[1]);
    const auto scheme = parseAuthScheme(args[2]);
    if (!target)
        return reply(failure({hr::BG_E_INVALID_AUTH_TARGET, QStringLiteral("'%1' is not an authentication target (SERVER or PROXY)").arg(args[1])}));
    if (!scheme)
        return reply(failure({hr::BG_E_INVALID_AUTH_SCHEME,
                              QStringLiteral("'%1' is not an authentication scheme (BASIC, DIGEST, NTLM or NEGOTIATE)").arg(args[2])}));
    QUuid id;
    if (Status s = m_jobs->find(args[0], &id, &caller); !s)
        return reply(failure(s));
    if (Status s = checkCanChange(caller, m_jobs->job(id)->owner); !s)
        return reply(failure(s));
    const auto done = [reply = std::move(reply)](const Status &s) { reply(fromStatus(s)); };
    if (set)
        m_jobs->setCredentials(id, *target, *scheme, {args[3], args[4]}, done);
    else
        m_jobs->removeCredentials(id, *target, *scheme, done);
}

void AdminVerbs::handleCache(const QStringList &args, const Owner &caller, bool wantJson,
                             const std::function<void(const AdminReply &)> &reply)
{
    Q_UNUSED(wantJson);
    if (!m_peers)
        return reply(failure({hr::E_NOTIMPL, QStringLiteral("this engine has no peer cache")}));
    const QString sub = args.value(0).toLower();
    const QString syntax = QStringLiteral("info | set KEY VALUE | groupkey create|show|import KEY|revoke | records | delete ID | "
                                          "deleteurl URL | clear");
    if (sub == QLatin1String("info"))
        return reply(success(m_peers->infoText(), m_peers->info()));
    if (sub == QLatin1String("records") && args.size() == 1) {
        // Records name every cached download's URL, query tokens and all: not for other users.
        if (!caller.isRoot() && caller.uid != m_engineUid)
            return reply(failure({hr::E_ACCESSDENIED, QStringLiteral("only the engine's user or root may list the peer cache's records")}));
        const QJsonArray records = m_peers->recordsJson();
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
        return reply(success(lines.join(QLatin1Char('\n')), records));
    }
    if (sub == QLatin1String("peers") && args.size() == 1) {
        const QJsonArray peers = m_peers->peersJson();
        QStringList lines;
        for (const QJsonValue &v : peers) {
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
        lines << QStringLiteral("Listed %1 peer(s).").arg(peers.size());
        return reply(success(lines.join(QLatin1Char('\n')), peers));
    }
    // Everything else changes the computer's peer cache or reveals its key: the engine's user or root.
    if (!caller.isRoot() && caller.uid != m_engineUid)
        return reply(failure({hr::E_ACCESSDENIED, QStringLiteral("only the engine's user or root may change or read the peer cache's settings and key")}));
    if (sub == QLatin1String("delete") && args.size() == 2)
        return reply(fromStatus(m_peers->deleteRecord(args[1].trimmed().toLower()), QStringLiteral("Record deleted.")));
    if (sub == QLatin1String("deleteurl") && args.size() == 2) {
        const int n = m_peers->deleteUrl(args[1]);
        return reply(success(QStringLiteral("Deleted %1 record(s).").arg(n), n));
    }
    if (sub == QLatin1String("clear") && args.size() == 1)
        return reply(fromStatus(m_peers->clearRecords(), QStringLiteral("Cache cleared.")));
    if (sub == QLatin1String("peers")) {
        const QString what = args.value(1).toLower();
        if (what == QLatin1String("clear") && args.size() == 2)
            return reply(fromStatus(m_peers->clearPeers(), QStringLiteral("Peer list cleared.")));
        if (what == QLatin1String("discover") && args.size() == 2) {
            m_peers->rediscover();
            return reply(success(QStringLiteral("Discovery probe sent.")));
        }
        return reply(usage(QStringLiteral("peers"), QStringLiteral("[--json] | clear | discover")));
    }
    if (sub == QLatin1String("set")) {
        if (args.size() != 3)
            return reply(usage(QStringLiteral("cache set"), QStringLiteral("KEY VALUE")));
        return reply(fromStatus(m_peers->set(args[1], args[2])));
    }
    if (sub == QLatin1String("groupkey")) {
        QStringList rest = args.mid(1);
        // --revoke-previous: a rotation made because the old key leaked ends its grace at once.
        const bool revokeOld = rest.removeAll(QStringLiteral("--revoke-previous")) > 0;
        const QString what = rest.value(0).toLower();
        peercache::PeerGroup *group = m_peers->group();
        const QString revoked = revokeOld ? QStringLiteral(" The previous key is revoked.") : QString();
        if (what == QLatin1String("create") && rest.size() == 1)
            return group->create([reply, revoked](const Status &s, const QString &key) {
                reply(s ? success(QStringLiteral("Group key created.%1 Import it on the other computers of the group "
                                                 "(ferry-admin cache groupkey import KEY); it is shown again only by "
                                                 "`cache groupkey show`.\n%2").arg(revoked, key), key)
                        : failure(s));
            }, revokeOld);
        if (what == QLatin1String("show") && rest.size() == 1 && !revokeOld)
            return group->show([reply](const Status &s, const QString &key) { reply(s ? success(key, key) : failure(s)); });
        if (what == QLatin1String("import") && rest.size() == 2)
            return group->import(rest[1], [reply, revoked](const Status &s) {
                reply(fromStatus(s, QStringLiteral("Group key imported.") + revoked));
            }, revokeOld);
        if (what == QLatin1String("revoke") && rest.size() == 1 && !revokeOld)
            return group->revokePrevious([reply](const Status &s) {
                reply(fromStatus(s, QStringLiteral("Previous group key revoked: computers that hold only it are no longer "
                                                   "accepted by discovery or the peer server.")));
            });
        return reply(usage(QStringLiteral("cache groupkey"),
                           QStringLiteral("create [--revoke-previous] | show | import KEY [--revoke-previous] | revoke")));
    }
    reply(usage(QStringLiteral("cache"), syntax));
}

AdminReply AdminVerbs::handle(const QString &rawVerb, const QStringList &args, const Owner &caller, bool wantJson)
{
    const QString verb = normalizedVerb(rawVerb);

    if (verb == QLatin1String("create")) {
        if (args.size() != 1)
            return usage(verb, QStringLiteral("NAME"));
        QUuid id;
        if (Status s = m_jobs->createJob(args[0], caller, &id); !s)
            return failure(s);
        return success(id.toString(QUuid::WithoutBraces), id.toString(QUuid::WithoutBraces));
    }
    if (verb == QLatin1String("list")) {
        QStringList lines;
        QJsonArray array;
        int count = 0;
        for (const Job &job : m_jobs->jobs()) {
            if (!canSee(caller, job.owner))
                continue; // other users' jobs do not exist for this caller
            ++count;
            if (wantJson)
                array << jobToJson(m_jobs->snapshot(job.id));
            else
                lines << jobSummaryLine(job);
        }
        lines << QStringLiteral("Listed %1 job(s).").arg(count);
        return success(lines.join(QLatin1Char('\n')), array);
    }
    if (verb == QLatin1String("stats")) {
        // What the engine process holds: flat however many jobs it has run (README, Long-running engine).
        if (!args.isEmpty())
            return usage(verb, QStringLiteral("(no arguments)"));
        const ProcessStats stats = ProcessStats::ofThisProcess();
        return success(stats.toText(), stats.toJson());
    }
    if (verb == QLatin1String("getconfig") || verb == QLatin1String("setconfig")) {
        const EngineSettings s = m_jobs->settings();
        if (verb == QLatin1String("setconfig")) {
            if (!caller.isRoot() && caller.uid != m_engineUid)
                return failure({hr::E_ACCESSDENIED, QStringLiteral("only the engine's user or root may change its settings")});
            if (args.size() != 2)
                return usage(verb, QStringLiteral("KEY VALUE"));
            return fromStatus(m_jobs->setSetting(args[0], args[1]));
        }
        QStringList lines;
        lines << QStringLiteral("maxBackgroundJobs %1").arg(s.maxBackgroundJobs)
              << QStringLiteral("timeSliceSeconds %1").arg(s.timeSliceSeconds)
              << QStringLiteral("checkpointBytes %1").arg(s.checkpointBytes)
              << QStringLiteral("syncCheckpoints %1").arg(s.syncCheckpoints ? 1 : 0)
              << QStringLiteral("http2 %1").arg(s.http2 ? 1 : 0)
              << QStringLiteral("peerCachingEnabled %1").arg(s.peerCachingEnabled ? 1 : 0)
              << QStringLiteral("peerCachingClient %1").arg(s.peerCachingClient ? 1 : 0)
              << QStringLiteral("peerCachingServer %1").arg(s.peerCachingServer ? 1 : 0)
              << QStringLiteral("maxCacheSizePercent %1").arg(s.maxCacheSizePercent)
              << QStringLiteral("maxContentAgeSec %1").arg(s.maxContentAgeSec)
              << QStringLiteral("tlsPort %1").arg(s.tlsPort)
              << QStringLiteral("discoveryPort %1").arg(s.discoveryPort)
              << QStringLiteral("multicast %1").arg(s.multicast ? 1 : 0)
              << QStringLiteral("staticPeers %1").arg(s.staticPeers.join(QLatin1Char(' ')))
              << QStringLiteral("requireOriginDigest %1").arg(s.requireOriginDigest ? 1 : 0);
        return success(lines.join(QLatin1Char('\n')));
    }

    // Everything else names a job first.
    static const QStringList jobVerbs = {
        QStringLiteral("addfile"), QStringLiteral("resume"), QStringLiteral("suspend"), QStringLiteral("cancel"),
        QStringLiteral("complete"), QStringLiteral("takeownership"), QStringLiteral("info"), QStringLiteral("getstate"),
        QStringLiteral("geterror"), QStringLiteral("getpriority"), QStringLiteral("setpriority"),
        QStringLiteral("getpeercachingflags"), QStringLiteral("setpeercachingflags"), QStringLiteral("getmaxdownloadtime"),
        QStringLiteral("setmaxdownloadtime"), QStringLiteral("getnoprogresstimeout"), QStringLiteral("setnoprogresstimeout"),
        QStringLiteral("getminretrydelay"), QStringLiteral("setminretrydelay"), QStringLiteral("getownerelevationstate"),
        QStringLiteral("getownerintegritylevel"), QStringLiteral("getowner"), QStringLiteral("setnotifycmdline"),
        QStringLiteral("getnotifycmdline"), QStringLiteral("setcustomheaders"), QStringLiteral("getcustomheaders"),
        QStringLiteral("setdisplayname"), QStringLiteral("getdisplayname"), QStringLiteral("setdescription"),
        QStringLiteral("getdescription"), QStringLiteral("setproxysettings"), QStringLiteral("getproxyusage"),
        QStringLiteral("getproxylist"), QStringLiteral("getproxybypasslist"), QStringLiteral("setsecurityflags"),
        QStringLiteral("getsecurityflags"), QStringLiteral("setvalidationstate"),
    };
    if (!jobVerbs.contains(verb))
        return failure({hr::E_INVALIDARG, QStringLiteral("unknown verb '%1' (ferry-admin --help lists them)").arg(rawVerb)});
    if (args.isEmpty())
        return usage(verb, QStringLiteral("JOB ..."));
    QUuid id;
    if (Status s = m_jobs->find(args[0], &id, &caller); !s)
        return failure(s);
    const QStringList rest = args.mid(1);
    const Job snapshot = m_jobs->snapshot(id);
    const Job *job = &snapshot;

    // Reading is open to whoever sees the job; changing follows the BITS owner rules (docs/jobs.md §13).
    static const QStringList readVerbs = {
        QStringLiteral("info"), QStringLiteral("getstate"), QStringLiteral("geterror"), QStringLiteral("getpriority"),
        QStringLiteral("getpeercachingflags"), QStringLiteral("getmaxdownloadtime"), QStringLiteral("getnoprogresstimeout"),
        QStringLiteral("getminretrydelay"), QStringLiteral("getownerelevationstate"), QStringLiteral("getownerintegritylevel"),
        QStringLiteral("getowner"), QStringLiteral("getnotifycmdline"), QStringLiteral("getcustomheaders"),
        QStringLiteral("getdisplayname"), QStringLiteral("getdescription"), QStringLiteral("getproxyusage"),
        QStringLiteral("getproxylist"), QStringLiteral("getproxybypasslist"), QStringLiteral("getsecurityflags"),
    };
    if (verb == QLatin1String("takeownership")) {
        if (Status s = checkCanTakeOwnership(caller, job->owner); !s)
            return failure(s);
    } else if (!readVerbs.contains(verb)) {
        if (Status s = checkCanChange(caller, job->owner); !s)
            return failure(s);
    }

    using Setter = std::function<Status(quint32)>;
    const auto numberVerb = [&](quint32 current, const Setter &set, bool isSet) -> AdminReply {
        if (!isSet)
            return success(QString::number(current), double(current));
        quint32 value = 0;
        if (rest.size() != 1 || !parseNumber(rest[0], &value))
            return usage(verb, QStringLiteral("JOB NUMBER"));
        return fromStatus(set(value));
    };

    if (verb == QLatin1String("addfile")) {
        if (rest.size() != 2)
            return usage(verb, QStringLiteral("JOB URL LOCALPATH"));
        return fromStatus(m_jobs->addFile(id, rest[0], rest[1]));
    }
    if (verb == QLatin1String("resume"))
        return fromStatus(m_jobs->resume(id));
    if (verb == QLatin1String("suspend"))
        return fromStatus(m_jobs->suspend(id));
    if (verb == QLatin1String("cancel"))
        return fromStatus(m_jobs->cancel(id));
    if (verb == QLatin1String("complete"))
        return fromStatus(m_jobs->complete(id));
    if (verb == QLatin1String("takeownership"))
        return fromStatus(m_jobs->takeOwnership(id, caller));
    if (verb == QLatin1String("info"))
        return success(jobInfoText(*job), jobToJson(*job));
    if (verb == QLatin1String("getstate"))
        return success(stateName(job->state), stateName(job->state));
    if (verb == QLatin1String("geterror")) {
        if (job->state != JobState::Error && job->state != JobState::TransientError)
            return failure({hr::BG_E_ERROR_INFORMATION_UNAVAILABLE,
                            QStringLiteral("the job is %1: there is no error to report").arg(stateName(job->state))});
        return success(jobErrorText(*job), jobToJson(*job).value(QLatin1String("error")));
    }
    if (verb == QLatin1String("getpriority"))
        return success(priorityName(job->priority));
    if (verb == QLatin1String("setpriority")) {
        const auto p = rest.size() == 1 ? parsePriority(rest[0]) : std::nullopt;
        if (!p)
            return usage(verb, QStringLiteral("JOB FOREGROUND|HIGH|NORMAL|LOW"));
        return fromStatus(m_jobs->setPriority(id, *p));
    }
    if (verb == QLatin1String("getpeercachingflags") || verb == QLatin1String("setpeercachingflags"))
        return numberVerb(job->peerCachingFlags, [&](quint32 v) { return m_jobs->setPeerCachingFlags(id, v); },
                          verb.startsWith(QLatin1String("set")));
    if (verb == QLatin1String("getmaxdownloadtime") || verb == QLatin1String("setmaxdownloadtime"))
        return numberVerb(job->maximumDownloadTime, [&](quint32 v) { return m_jobs->setMaximumDownloadTime(id, v); },
                          verb.startsWith(QLatin1String("set")));
    if (verb == QLatin1String("getnoprogresstimeout") || verb == QLatin1String("setnoprogresstimeout"))
        return numberVerb(job->noProgressTimeout, [&](quint32 v) { return m_jobs->setNoProgressTimeout(id, v); },
                          verb.startsWith(QLatin1String("set")));
    if (verb == QLatin1String("getminretrydelay") || verb == QLatin1String("setminretrydelay"))
        return numberVerb(job->minimumRetryDelay, [&](quint32 v) { return m_jobs->setMinimumRetryDelay(id, v); },
                          verb.startsWith(QLatin1String("set")));
    if (verb == QLatin1String("getownerelevationstate"))
        return success(job->owner.elevated ? QStringLiteral("true") : QStringLiteral("false"), job->owner.elevated);
    if (verb == QLatin1String("getownerintegritylevel"))
        return success(integrityName(job->owner.integrity), integrityName(job->owner.integrity));
    if (verb == QLatin1String("getowner"))
        return success(QStringLiteral("%1 (uid %2)").arg(job->owner.userName).arg(job->owner.uid));
    if (verb == QLatin1String("setnotifycmdline")) {
        if (rest.isEmpty() || rest.size() > 2)
            return usage(verb, QStringLiteral("JOB PROGRAM [PARAMETERS]  (PROGRAM \"\" clears)"));
        return fromStatus(m_jobs->setNotifyCmdLine(id, rest[0], rest.value(1)));
    }
    if (verb == QLatin1String("getnotifycmdline"))
        return success(QStringLiteral("%1 %2").arg(job->notifyProgram, job->notifyParameters).trimmed());
    if (verb == QLatin1String("setcustomheaders"))
        return fromStatus(m_jobs->setCustomHeaders(id, rest));
    if (verb == QLatin1String("getcustomheaders"))
        return success(job->customHeaders.join(QLatin1Char('\n')), QJsonArray::fromStringList(job->customHeaders));
    if (verb == QLatin1String("setdisplayname")) {
        if (rest.size() != 1)
            return usage(verb, QStringLiteral("JOB NAME"));
        return fromStatus(m_jobs->setDisplayName(id, rest[0]));
    }
    if (verb == QLatin1String("getdisplayname"))
        return success(job->displayName);
    if (verb == QLatin1String("setdescription")) {
        if (rest.size() != 1)
            return usage(verb, QStringLiteral("JOB TEXT"));
        return fromStatus(m_jobs->setDescription(id, rest[0]));
    }
    if (verb == QLatin1String("getdescription"))
        return success(job->description);
    if (verb == QLatin1String("setproxysettings")) {
        const auto u = rest.isEmpty() ? std::nullopt : parseProxyUsage(rest[0]);
        if (!u || rest.size() > 3)
            return usage(verb, QStringLiteral("JOB PRECONFIG|NO_PROXY|OVERRIDE|AUTODETECT [LIST] [BYPASS]"));
        return fromStatus(m_jobs->setProxyUsage(id, *u, rest.value(1), rest.value(2)));
    }
    if (verb == QLatin1String("getproxyusage"))
        return success(proxyUsageName(job->proxyUsage), proxyUsageName(job->proxyUsage));
    if (verb == QLatin1String("getproxylist"))
        return success(job->proxyList, job->proxyList);
    if (verb == QLatin1String("getproxybypasslist"))
        return success(job->proxyBypassList, job->proxyBypassList);
    if (verb == QLatin1String("setvalidationstate")) {
        bool ok = false;
        const int file = rest.value(0).toInt(&ok);
        const QString state = rest.value(1).toLower();
        if (rest.size() != 2 || !ok || (state != QLatin1String("true") && state != QLatin1String("false")))
            return usage(verb, QStringLiteral("JOB FILEINDEX true|false"));
        return fromStatus(m_jobs->setValidationState(id, file, state == QLatin1String("true")));
    }
    if (verb == QLatin1String("getsecurityflags"))
        return success(QStringLiteral("0x%1 %2").arg(job->securityFlags, 0, 16).arg(securityFlagsText(job->securityFlags)),
                       double(job->securityFlags));
    if (verb == QLatin1String("setsecurityflags")) {
        quint32 flags = 0;
        if (rest.size() != 1 || !parseNumber(rest[0], &flags))
            return usage(verb, QStringLiteral("JOB FLAGS  (a number, e.g. 0x108)"));
        return fromStatus(m_jobs->setSecurityFlags(id, flags));
    }
    return failure({hr::E_INVALIDARG, QStringLiteral("unknown verb '%1'").arg(rawVerb)});
}

} // namespace ferry
