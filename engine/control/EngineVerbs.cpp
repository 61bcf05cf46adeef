// The verbs that name no job: creating and submitting jobs, listing, the engine's settings and
// process, resume/suspend of all the caller's jobs, shutdown and `open` (docs/jobs.md §15).
#include "control/EngineService.h"
#include "control/JobJson.h"
#include "control/ProcessStats.h"
#include "jobs/JobManager.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace ferry {

namespace {

using R = AdminReply;

// Every setting as KEY VALUE (the values setconfig takes), in a stable order.
QList<std::pair<QString, QString>> settingLines(const EngineSettings &s)
{
    const auto flag = [](bool b) { return b ? QStringLiteral("1") : QStringLiteral("0"); };
    return {{QStringLiteral("maxBackgroundJobs"), QString::number(s.maxBackgroundJobs)},
            {QStringLiteral("timeSliceSeconds"), QString::number(s.timeSliceSeconds)},
            {QStringLiteral("checkpointBytes"), QString::number(s.checkpointBytes)},
            {QStringLiteral("syncCheckpoints"), flag(s.syncCheckpoints)},
            {QStringLiteral("http2"), flag(s.http2)},
            {QStringLiteral("runJobsOfLingeringUsers"), flag(s.runJobsOfLingeringUsers)},
            {QStringLiteral("peerCachingEnabled"), flag(s.peerCachingEnabled)},
            {QStringLiteral("peerCachingClient"), flag(s.peerCachingClient)},
            {QStringLiteral("peerCachingServer"), flag(s.peerCachingServer)},
            {QStringLiteral("maxCacheSizePercent"), QString::number(s.maxCacheSizePercent)},
            {QStringLiteral("maxContentAgeSec"), QString::number(s.maxContentAgeSec)},
            {QStringLiteral("tlsPort"), QString::number(s.tlsPort)},
            {QStringLiteral("discoveryPort"), QString::number(s.discoveryPort)},
            {QStringLiteral("multicast"), flag(s.multicast)},
            {QStringLiteral("staticPeers"), s.staticPeers.join(QLatin1Char(' '))},
            {QStringLiteral("requireOriginDigest"), flag(s.requireOriginDigest)},
            {QStringLiteral("jobInactivityDays"), QString::number(s.jobInactivityDays)},
            {QStringLiteral("maxJobsPerUser"), QString::number(s.maxJobsPerUser)},
            {QStringLiteral("maxJobsPerMachine"), QString::number(s.maxJobsPerMachine)},
            {QStringLiteral("maxFilesPerJob"), QString::number(s.maxFilesPerJob)}};
}

void getConfig(VerbCall &c)
{
    const EngineSettings s = c.jobs().settings();
    QStringList lines;
    QJsonObject values;
    for (const auto &[key, value] : settingLines(s)) {
        lines << QStringLiteral("%1 %2").arg(key, value);
        values.insert(key, value);
    }
    const QJsonObject json{{QStringLiteral("settings"), values},
                           {QStringLiteral("policyFile"), s.policyFile},
                           {QStringLiteral("policySettings"), QJsonArray::fromStringList(s.policySettings)}};
    c.reply(R::success(lines.join(QLatin1Char('\n')), json));
}

void list(VerbCall &c)
{
    QStringList lines;
    QJsonArray array;
    const QList<Job> jobs = c.service.visibleJobs(c.caller);
    for (const Job &job : jobs) {
        if (c.wantJson)
            array << jobToJson(job);
        else
            lines << jobSummaryLine(job);
    }
    lines << QStringLiteral("Listed %1 job(s).").arg(jobs.size());
    c.reply(R::success(lines.join(QLatin1Char('\n')), array));
}

void submit(VerbCall &c)
{
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(c.args[0].toUtf8(), &parseError);
    QString why;
    const std::optional<JobSpec> spec = doc.isObject() ? JobSpec::fromJson(doc.object(), &why) : std::nullopt;
    if (!spec)
        return c.reply(R::failure(hr::E_INVALIDARG, why.isEmpty() ? QStringLiteral("submit takes a job description (a JSON object)") : why));
    QUuid id;
    int failedFile = -1;
    const Status s = c.service.submit(*spec, c.caller, &id, &failedFile);
    if (!s) {
        R r = R::failure(s);
        r.json = QJsonObject{{QStringLiteral("failedFile"), failedFile}};
        return c.reply(r);
    }
    const QString text = id.toString(QUuid::WithoutBraces);
    c.reply(R::success(text, text));
}

} // namespace

const std::vector<Verb> &engineVerbs()
{
    using A = VerbAccess;
    static const std::vector<Verb> table = {
        {"create", A::Anyone, 1, 1, "NAME", [](VerbCall &c) {
             QUuid id;
             if (Status s = c.jobs().createJob(c.args[0], c.caller, &id); !s)
                 return c.reply(R::failure(s));
             const QString text = id.toString(QUuid::WithoutBraces);
             c.reply(R::success(text, text));
         }},
        {"submit", A::Anyone, 1, 1, "JOBSPEC  (a JSON object: displayName, files [{url, localName}], priority, ...)", submit},
        {"list", A::Anyone, 0, 0, "[--json]", list},
        {"resumeall", A::Anyone, 0, 0, "  (every job of yours that is SUSPENDED or in an error state)", [](VerbCall &c) {
             const int n = c.service.resumeAll(c.caller);
             c.reply(R::success(QStringLiteral("Resumed %1 job(s).").arg(n), n));
         }},
        {"suspendall", A::Anyone, 0, 0, "  (every job of yours still moving)", [](VerbCall &c) {
             const int n = c.service.suspendAll(c.caller);
             c.reply(R::success(QStringLiteral("Suspended %1 job(s).").arg(n), n));
         }},
        {"getconfig", A::Anyone, 0, 0, "", getConfig},
        {"setconfig", A::EngineUser, 2, 2, "KEY VALUE   (getconfig lists the keys)",
         [](VerbCall &c) { c.answer(c.jobs().setSetting(c.args[0], c.args[1])); }},
        {"stats", A::Anyone, 0, 0, "  (the engine process: threads, open descriptors, resident memory)", [](VerbCall &c) {
             // What the engine process holds: flat however many jobs it has run (docs/engine.md).
             const ProcessStats stats = ProcessStats::ofThisProcess();
             c.reply(R::success(stats.toText(), stats.toJson()));
         }},
        {"open", A::EngineUser, 0, -1, "URL...  (hands links to the window)", [](VerbCall &c) {
             if (!c.service.isWindowed())
                 return c.reply(R::failure(hr::E_INVALIDARG,
                                           QStringLiteral("this profile's engine runs without a window (ferry --headless); use ferry-admin")));
             emit c.service.openRequested(c.args);
             c.reply(R());
         }},
        {"subscribe", A::Anyone, 0, 0, "  (this connection becomes your job feed: one JSON line per event)", [](VerbCall &c) {
             // Served by the control socket itself (ControlServer::subscribe): in process, a
             // window subscribes through EngineService::subscribe.
             c.reply(R::failure(hr::E_NOTIMPL, QStringLiteral("subscribe streams over the control socket only")));
         }},
        {"shutdown", A::EngineUser, 0, 0, "", [](VerbCall &c) {
             c.reply(R());
             emit c.service.shutdownRequested();
         }},
    };
    return table;
}

} // namespace ferry
