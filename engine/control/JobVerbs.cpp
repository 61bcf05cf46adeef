// The verbs that name a job (bitsadmin's, docs/jobs.md §15). The engine service has found the job
// among those the caller sees and applied the access rule of its table row before any of these
// runs: a handler only parses its arguments and does the work.
#include "control/EngineService.h"
#include "control/JobJson.h"
#include "jobs/JobManager.h"

#include <QJsonArray>

namespace ferry {

namespace {

using R = AdminReply;

bool parseNumber(const QString &text, quint32 *out)
{
    bool ok = false;
    const qulonglong v = text.trimmed().toULongLong(&ok, 0);
    if (!ok || v > 0xFFFFFFFFull)
        return false;
    *out = quint32(v);
    return true;
}

R usage(const VerbCall &c, const QString &syntax)
{
    return R::failure(hr::E_INVALIDARG, QStringLiteral("usage: %1 %2").arg(c.verb, syntax));
}

// A numeric setter: "JOB NUMBER".
template <typename Set>
void setNumber(VerbCall &c, Set set)
{
    quint32 value = 0;
    if (!parseNumber(c.args[0], &value))
        return c.reply(usage(c, QStringLiteral("JOB NUMBER")));
    c.answer((c.jobs().*set)(c.id, value));
}

R number(quint32 n) { return R::success(QString::number(n), double(n)); }

// A boolean setter: "JOB true|false".
template <typename Set>
void setFlag(VerbCall &c, Set set)
{
    const QString v = c.args[0].toLower();
    if (v != QLatin1String("true") && v != QLatin1String("false"))
        return c.reply(usage(c, QStringLiteral("JOB true|false")));
    c.answer((c.jobs().*set)(c.id, v == QLatin1String("true")));
}

// ON_DEMAND_MODE's calls (RequestFileRanges, UpdateDownloadPosition, GetFilledFileRanges) are not
// implemented: an on-demand job transfers its files whole (docs/jobs.md).
void onDemandCall(VerbCall &c)
{
    c.reply(R::failure({hr::E_NOTIMPL, QStringLiteral("%1 is not implemented: Ferry stores ON_DEMAND_MODE but transfers "
                                                      "every file whole, in order").arg(c.verb)}));
}

void credentials(VerbCall &c, bool set)
{
    const auto target = parseAuthTarget(c.args[0]);
    const auto scheme = parseAuthScheme(c.args[1]);
    if (!target)
        return c.reply(R::failure({hr::BG_E_INVALID_AUTH_TARGET,
                                   QStringLiteral("'%1' is not an authentication target (SERVER or PROXY)").arg(c.args[0])}));
    if (!scheme)
        return c.reply(R::failure({hr::BG_E_INVALID_AUTH_SCHEME,
                                   QStringLiteral("'%1' is not an authentication scheme (BASIC, DIGEST, NTLM or NEGOTIATE)").arg(c.args[1])}));
    const auto done = [reply = c.reply](const Status &s) { reply(R::fromStatus(s)); };
    if (set)
        c.jobs().setCredentials(c.id, *target, *scheme, {c.args[2], c.args[3]}, done);
    else
        c.jobs().removeCredentials(c.id, *target, *scheme, done);
}

constexpr auto See = VerbAccess::SeeJob;
constexpr auto Change = VerbAccess::ChangeJob;

} // namespace

const std::vector<Verb> &jobVerbs()
{
    static const std::vector<Verb> table = {
        {"addfile", Change, 3, 3, "JOB URL LOCALPATH", [](VerbCall &c) { c.answer(c.jobs().addFile(c.id, c.args[0], c.args[1])); }},
        {"addfilewithranges", Change, 4, 4, "JOB URL LOCALPATH OFFSET:LENGTH[,OFFSET:LENGTH...]  (LENGTH may be eof)",
         [](VerbCall &c) { c.answer(c.jobs().addFileWithRanges(c.id, c.args[0], c.args[1], c.args[2])); }},
        {"setmaxdownloadsize", Change, 2, 2, "JOB BYTES  (before the first resume)", [](VerbCall &c) {
             bool ok = false;
             const qulonglong bytes = c.args[0].trimmed().toULongLong(&ok, 0);
             if (!ok)
                 return c.reply(usage(c, QStringLiteral("JOB BYTES")));
             c.answer(c.jobs().setMaxDownloadSize(c.id, bytes));
         }},
        {"setdynamiccontent", Change, 2, 2, "JOB true|false  (before the first resume)",
         [](VerbCall &c) { setFlag(c, &JobManager::setDynamicContent); }},
        {"sethighperformance", Change, 2, 2, "JOB true|false  (before the first addfile)",
         [](VerbCall &c) { setFlag(c, &JobManager::setHighPerformance); }},
        {"setondemand", Change, 2, 2, "JOB true|false", [](VerbCall &c) { setFlag(c, &JobManager::setOnDemand); }},
        {"requestfileranges", Change, 1, -1, "JOB ...  (not implemented)", onDemandCall},
        {"updatedownloadposition", Change, 1, -1, "JOB ...  (not implemented)", onDemandCall},
        {"getfilledfileranges", See, 1, -1, "JOB ...  (not implemented)", onDemandCall},
        {"getresponseheaders", See, 2, 2, "JOB FILEINDEX", [](VerbCall &c) {
             bool ok = false;
             const int file = c.args[0].toInt(&ok);
             if (!ok || file < 0 || file >= c.job.files.size())
                 return c.reply(R::failure({hr::E_INVALIDARG, QStringLiteral("the job has no file %1").arg(c.args[0])}));
             const QString raw = QString::fromLatin1(c.job.files[file].responseHeaders);
             c.reply(R::success(raw.trimmed(), raw));
         }},
        {"resume", Change, 1, 1, "JOB", [](VerbCall &c) { c.answer(c.jobs().resume(c.id)); }},
        {"suspend", Change, 1, 1, "JOB", [](VerbCall &c) { c.answer(c.jobs().suspend(c.id)); }},
        {"cancel", Change, 1, 1, "JOB", [](VerbCall &c) { c.answer(c.jobs().cancel(c.id)); }},
        {"complete", Change, 1, 1, "JOB", [](VerbCall &c) { c.answer(c.jobs().complete(c.id)); }},
        {"takeownership", VerbAccess::TakeOwnership, 1, 1, "JOB",
         [](VerbCall &c) { c.answer(c.jobs().takeOwnership(c.id, c.caller)); }},
        {"info", See, 1, 1, "JOB [--json]", [](VerbCall &c) {
             QString text = jobInfoText(c.job);
             QJsonObject json = jobToJson(c.job);
             if (c.job.state == JobState::Queued && c.jobs().waitsForOwner(c.job)) { // docs/jobs.md §12.1
                 text += QStringLiteral("\nwaiting for the owner to log on");
                 json.insert(QStringLiteral("waitingForOwnerLogon"), true);
             }
             c.reply(R::success(text, json));
         }},
        {"wait", See, 1, 1, "JOB   (until TRANSFERRED, ERROR or gone)",
         [](VerbCall &c) { c.service.addWaiter(c.id, c.reply, c.alive); }},
        {"getstate", See, 1, 1, "JOB", [](VerbCall &c) { c.reply(R::success(stateName(c.job.state), stateName(c.job.state))); }},
        {"geterror", See, 1, 1, "JOB", [](VerbCall &c) {
             if (c.job.state != JobState::Error && c.job.state != JobState::TransientError)
                 return c.reply(R::failure({hr::BG_E_ERROR_INFORMATION_UNAVAILABLE,
                                            QStringLiteral("the job is %1: there is no error to report").arg(stateName(c.job.state))}));
             c.reply(R::success(jobErrorText(c.job), jobToJson(c.job).value(QLatin1String("error"))));
         }},
        {"getpriority", See, 1, 1, "JOB", [](VerbCall &c) { c.reply(R::success(priorityName(c.job.priority))); }},
        {"setpriority", Change, 2, 2, "JOB FOREGROUND|HIGH|NORMAL|LOW", [](VerbCall &c) {
             const auto p = parsePriority(c.args[0]);
             if (!p)
                 return c.reply(usage(c, QStringLiteral("JOB FOREGROUND|HIGH|NORMAL|LOW")));
             c.answer(c.jobs().setPriority(c.id, *p));
         }},
        {"getpeercachingflags", See, 1, 1, "JOB", [](VerbCall &c) { c.reply(number(c.job.peerCachingFlags)); }},
        {"setpeercachingflags", Change, 2, 2, "JOB N", [](VerbCall &c) { setNumber(c, &JobManager::setPeerCachingFlags); }},
        {"getmaxdownloadtime", See, 1, 1, "JOB", [](VerbCall &c) { c.reply(number(c.job.maximumDownloadTime)); }},
        {"setmaxdownloadtime", Change, 2, 2, "JOB SECONDS", [](VerbCall &c) { setNumber(c, &JobManager::setMaximumDownloadTime); }},
        {"getnoprogresstimeout", See, 1, 1, "JOB", [](VerbCall &c) { c.reply(number(c.job.noProgressTimeout)); }},
        {"setnoprogresstimeout", Change, 2, 2, "JOB SECONDS", [](VerbCall &c) { setNumber(c, &JobManager::setNoProgressTimeout); }},
        {"getminretrydelay", See, 1, 1, "JOB", [](VerbCall &c) { c.reply(number(c.job.minimumRetryDelay)); }},
        {"setminretrydelay", Change, 2, 2, "JOB SECONDS", [](VerbCall &c) { setNumber(c, &JobManager::setMinimumRetryDelay); }},
        {"getownerelevationstate", See, 1, 1, "JOB", [](VerbCall &c) {
             c.reply(R::success(c.job.owner.elevated ? QStringLiteral("true") : QStringLiteral("false"), c.job.owner.elevated));
         }},
        {"getownerintegritylevel", See, 1, 1, "JOB", [](VerbCall &c) {
             c.reply(R::success(integrityName(c.job.owner.integrity), integrityName(c.job.owner.integrity)));
         }},
        {"getaccess", See, 1, 1, "JOB   (whether you may change the job, and which rule says no)", [](VerbCall &c) {
             const QJsonObject access = c.service.accessOf(c.caller, c.job);
             const bool change = access.value(QLatin1String("change")).toBool();
             c.reply(R::success(change ? QStringLiteral("CHANGE") : QStringLiteral("READ ONLY: %1").arg(access.value(QLatin1String("message")).toString()),
                                access));
         }},
        {"getowner", See, 1, 1, "JOB",
         [](VerbCall &c) { c.reply(R::success(QStringLiteral("%1 (uid %2)").arg(c.job.owner.userName).arg(c.job.owner.uid))); }},
        {"setnotifycmdline", Change, 2, 3, "JOB PROGRAM [PARAMETERS]  (PROGRAM \"\" clears)",
         [](VerbCall &c) { c.answer(c.jobs().setNotifyCmdLine(c.id, c.args[0], c.args.value(1))); }},
        {"getnotifycmdline", See, 1, 1, "JOB", [](VerbCall &c) {
             c.reply(R::success(QStringLiteral("%1 %2").arg(c.job.notifyProgram, c.job.notifyParameters).trimmed()));
         }},
        {"setnotifyflags", Change, 2, 2, "JOB FLAGS  (TRANSFERRED 0x1, ERROR 0x2, DISABLE 0x4, MODIFICATION 0x8, FILE 0x10)",
         [](VerbCall &c) { setNumber(c, &JobManager::setNotifyFlags); }},
        {"getnotifyflags", See, 1, 1, "JOB", [](VerbCall &c) {
             c.reply(R::success(QStringLiteral("0x%1 %2").arg(c.job.notifyFlags, 0, 16).arg(notifyFlagsText(c.job.notifyFlags)),
                                double(c.job.notifyFlags)));
         }},
        {"setcustomheaders", Change, 1, -1, "JOB [\"Name: value\" ...]", [](VerbCall &c) {
             c.jobs().setCustomHeaders(c.id, c.args, [reply = c.reply](const Status &s) { reply(R::fromStatus(s)); });
         }},
        {"makecustomheaderswriteonly", Change, 1, 1, "JOB  (for good: the headers are then kept in the keychain only)",
         [](VerbCall &c) {
             c.jobs().makeCustomHeadersWriteOnly(c.id, [reply = c.reply](const Status &s) { reply(R::fromStatus(s)); });
         }},
        {"getcustomheaders", See, 1, 1, "JOB", [](VerbCall &c) {
             if (c.job.customHeadersWriteOnly)
                 return c.reply(R::failure({hr::E_ACCESSDENIED, QStringLiteral("the job's custom headers are write-only")}));
             c.reply(R::success(c.job.customHeaders.join(QLatin1Char('\n')), QJsonArray::fromStringList(c.job.customHeaders)));
         }},
        {"setdisplayname", Change, 2, 2, "JOB NAME", [](VerbCall &c) { c.answer(c.jobs().setDisplayName(c.id, c.args[0])); }},
        {"getdisplayname", See, 1, 1, "JOB", [](VerbCall &c) { c.reply(R::success(c.job.displayName)); }},
        {"setdescription", Change, 2, 2, "JOB TEXT", [](VerbCall &c) { c.answer(c.jobs().setDescription(c.id, c.args[0])); }},
        {"getdescription", See, 1, 1, "JOB", [](VerbCall &c) { c.reply(R::success(c.job.description)); }},
        {"setproxysettings", Change, 2, 4, "JOB PRECONFIG|NO_PROXY|OVERRIDE|AUTODETECT [LIST] [BYPASS]", [](VerbCall &c) {
             const auto u = parseProxyUsage(c.args[0]);
             if (!u)
                 return c.reply(usage(c, QStringLiteral("JOB PRECONFIG|NO_PROXY|OVERRIDE|AUTODETECT [LIST] [BYPASS]")));
             c.answer(c.jobs().setProxyUsage(c.id, *u, c.args.value(1), c.args.value(2)));
         }},
        {"getproxyusage", See, 1, 1, "JOB",
         [](VerbCall &c) { c.reply(R::success(proxyUsageName(c.job.proxyUsage), proxyUsageName(c.job.proxyUsage))); }},
        {"getproxylist", See, 1, 1, "JOB", [](VerbCall &c) { c.reply(R::success(c.job.proxyList, c.job.proxyList)); }},
        {"getproxybypasslist", See, 1, 1, "JOB",
         [](VerbCall &c) { c.reply(R::success(c.job.proxyBypassList, c.job.proxyBypassList)); }},
        {"setcredentials", Change, 5, 5, "JOB SERVER|PROXY BASIC|DIGEST|NTLM|NEGOTIATE USER [PASSWORD|-]",
         [](VerbCall &c) { credentials(c, true); }},
        {"removecredentials", Change, 3, 3, "JOB SERVER|PROXY BASIC|DIGEST|NTLM|NEGOTIATE",
         [](VerbCall &c) { credentials(c, false); }},
        {"setsecurityflags", Change, 2, 2, "JOB FLAGS  (a number, e.g. 0x108)", [](VerbCall &c) {
             quint32 flags = 0;
             if (!parseNumber(c.args[0], &flags))
                 return c.reply(usage(c, QStringLiteral("JOB FLAGS  (a number, e.g. 0x108)")));
             c.answer(c.jobs().setSecurityFlags(c.id, flags));
         }},
        {"getsecurityflags", See, 1, 1, "JOB", [](VerbCall &c) {
             c.reply(R::success(QStringLiteral("0x%1 %2").arg(c.job.securityFlags, 0, 16).arg(securityFlagsText(c.job.securityFlags)),
                                double(c.job.securityFlags)));
         }},
        {"setremotename", Change, 3, 3, "JOB FILEINDEX URL", [](VerbCall &c) {
             bool ok = false;
             const int file = c.args[0].toInt(&ok);
             if (!ok)
                 return c.reply(usage(c, QStringLiteral("JOB FILEINDEX URL")));
             c.answer(c.jobs().setRemoteName(c.id, file, c.args[1]));
         }},
        {"replaceremoteprefix", Change, 3, 3, "JOB OLDPREFIX NEWPREFIX",
         [](VerbCall &c) { c.answer(c.jobs().replaceRemotePrefix(c.id, c.args[0], c.args[1])); }},
        {"setvalidationstate", Change, 3, 3, "JOB FILEINDEX true|false", [](VerbCall &c) {
             bool ok = false;
             const int file = c.args[0].toInt(&ok);
             const QString state = c.args[1].toLower();
             if (!ok || (state != QLatin1String("true") && state != QLatin1String("false")))
                 return c.reply(usage(c, QStringLiteral("JOB FILEINDEX true|false")));
             c.answer(c.jobs().setValidationState(c.id, file, state == QLatin1String("true")));
         }},
    };
    return table;
}

} // namespace ferry
