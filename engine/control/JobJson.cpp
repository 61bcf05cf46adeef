#include "control/JobJson.h"

#include "core/FileRanges.h"

#include <QJsonArray>

namespace ferry {
namespace {

QJsonValue timeJson(const QDateTime &t)
{
    return t.isValid() ? QJsonValue(t.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue();
}

QJsonValue sizeJson(quint64 v) { return v == SizeUnknown ? QJsonValue(-1) : QJsonValue(double(v)); }

QString sizeText(quint64 v) { return v == SizeUnknown ? QStringLiteral("?") : QString::number(v); }

} // namespace

QJsonObject jobToJson(const Job &job)
{
    const JobProgress p = job.progress();
    QJsonArray files;
    for (const JobFile &f : job.files) {
        files.append(QJsonObject{
            {QStringLiteral("remoteUrl"), f.remoteUrl.toString(QUrl::FullyEncoded)},
            {QStringLiteral("localName"), f.localName},
            {QStringLiteral("tempName"), f.tempName},
            {QStringLiteral("bytesTotal"), double(f.bytesTotal)},
            {QStringLiteral("bytesTransferred"), double(f.bytesTransferred)},
            {QStringLiteral("transferred"), f.transferred},
            {QStringLiteral("completed"), f.completed},
            {QStringLiteral("downloadedFromPeer"), f.downloadedFromPeer},
            {QStringLiteral("bytesFromPeers"), double(f.bytesFromPeers)},
            {QStringLiteral("bytesFromOrigin"), double(qMax<qint64>(0, f.bytesTransferred - f.bytesFromPeers))},
            // The key predates the name PeerVerification: kept for the clients that read it.
            {QStringLiteral("integrityLevel"), peerVerificationName(f.peerVerification)},
            {QStringLiteral("validationState"), validationStateName(f.validationState)},
            {QStringLiteral("peerId"), f.peerId},
            {QStringLiteral("ranges"), f.ranges.isEmpty() ? QJsonValue() : QJsonValue(rangesText(f.ranges))},
        });
    }
    QJsonArray credentials; // which (target, scheme) pairs are stored: never a user name or password
    for (const CredentialKey &k : job.credentials)
        credentials << QJsonObject{{QStringLiteral("target"), authTargetName(k.target)},
                                   {QStringLiteral("scheme"), authSchemeName(k.scheme)}};
    QJsonObject error;
    if (job.error.isSet()) {
        error = {
            {QStringLiteral("context"), contextName(job.error.context)},
            {QStringLiteral("code"), errorHex(job.error.code)},
            {QStringLiteral("name"), errorName(job.error.code)},
            {QStringLiteral("description"), job.error.description},
            {QStringLiteral("fileIndex"), job.error.fileIndex},
            {QStringLiteral("file"), job.error.fileIndex >= 0 && job.error.fileIndex < job.files.size()
                                          ? QJsonValue(job.files[job.error.fileIndex].remoteUrl.toString())
                                          : QJsonValue()},
        };
    }
    return {
        {QStringLiteral("id"), job.id.toString(QUuid::WithoutBraces)},
        {QStringLiteral("name"), job.displayName},
        {QStringLiteral("description"), job.description},
        {QStringLiteral("type"), QStringLiteral("DOWNLOAD")},
        {QStringLiteral("state"), stateName(job.state)},
        {QStringLiteral("priority"), priorityName(job.priority)},
        {QStringLiteral("bytesTotal"), sizeJson(p.bytesTotal)},
        {QStringLiteral("bytesTransferred"), double(p.bytesTransferred)},
        {QStringLiteral("filesTotal"), p.filesTotal},
        {QStringLiteral("filesTransferred"), p.filesTransferred},
        {QStringLiteral("errorCount"), job.errorCount},
        {QStringLiteral("error"), error.isEmpty() ? QJsonValue() : QJsonValue(error)},
        {QStringLiteral("peerCachingFlags"), double(job.peerCachingFlags)},
        {QStringLiteral("maxDownloadTime"), double(job.maximumDownloadTime)},
        {QStringLiteral("downloadTimeUsed"), double(job.downloadTimeUsedMs) / 1000.0}, // seconds, ms precision
        {QStringLiteral("noProgressTimeout"), double(job.noProgressTimeout)},
        {QStringLiteral("minRetryDelay"), double(job.minimumRetryDelay)},
        {QStringLiteral("owner"), job.owner.userName},
        {QStringLiteral("ownerUid"), double(job.owner.uid)},
        {QStringLiteral("ownerElevated"), job.owner.elevated},
        {QStringLiteral("ownerIntegrityLevel"), integrityName(job.owner.integrity)},
        {QStringLiteral("notifyCmdLine"), QJsonObject{{QStringLiteral("program"), job.notifyProgram},
                                                      {QStringLiteral("parameters"), job.notifyParameters}}},
        {QStringLiteral("notifyFlags"), double(job.notifyFlags)},
        {QStringLiteral("proxyUsage"), proxyUsageName(job.proxyUsage)},
        {QStringLiteral("proxyList"), job.proxyList},
        {QStringLiteral("proxyBypassList"), job.proxyBypassList},
        {QStringLiteral("customHeaders"), QJsonArray::fromStringList(job.customHeaders)},
        {QStringLiteral("credentials"), credentials},
        {QStringLiteral("securityFlags"), double(job.securityFlags)},
        {QStringLiteral("securityFlagsText"), securityFlagsText(job.securityFlags)},
        {QStringLiteral("customHeadersWriteOnly"), job.customHeadersWriteOnly},
        {QStringLiteral("writeOnlyHeaders"), job.writeOnlyHeaders},
        {QStringLiteral("maxDownloadSize"), job.maxDownloadSize ? QJsonValue(QString::number(job.maxDownloadSize)) : QJsonValue()},
        {QStringLiteral("dynamicContent"), job.dynamicContent},
        {QStringLiteral("highPerformance"), job.highPerformance},
        {QStringLiteral("onDemand"), job.onDemand},
        {QStringLiteral("times"), QJsonObject{{QStringLiteral("creation"), timeJson(job.creationTime)},
                                              {QStringLiteral("modification"), timeJson(job.modificationTime)},
                                              {QStringLiteral("transferCompletion"), timeJson(job.transferCompletionTime)}}},
        {QStringLiteral("files"), files},
    };
}

QString jobSummaryLine(const Job &job)
{
    const JobProgress p = job.progress();
    return QStringLiteral("%1 '%2' %3 %4 / %5 bytes, %6 / %7 files")
        .arg(job.id.toString(QUuid::WithoutBraces), job.displayName, stateName(job.state))
        .arg(p.bytesTransferred)
        .arg(sizeText(p.bytesTotal))
        .arg(p.filesTransferred)
        .arg(p.filesTotal);
}

QString jobInfoText(const Job &job)
{
    QStringList lines;
    lines << jobSummaryLine(job);
    lines << QStringLiteral("priority: %1  type: DOWNLOAD  errors: %2").arg(priorityName(job.priority)).arg(job.errorCount);
    lines << QStringLiteral("owner: %1 (uid %2)  elevated: %3  integrity: %4")
                 .arg(job.owner.userName)
                 .arg(job.owner.uid)
                 .arg(job.owner.elevated ? QStringLiteral("yes") : QStringLiteral("no"), integrityName(job.owner.integrity));
    lines << QStringLiteral("peer caching: 0x%1  max download time: %2 s (used %5 s)  no-progress timeout: %3 s  "
                            "retry delay: %4 s")
                 .arg(job.peerCachingFlags, 0, 16)
                 .arg(job.maximumDownloadTime)
                 .arg(job.noProgressTimeout)
                 .arg(job.minimumRetryDelay)
                 .arg(double(job.downloadTimeUsedMs) / 1000.0, 0, 'f', 3);
    QStringList stored;
    for (const CredentialKey &k : job.credentials)
        stored << authTargetName(k.target) + QLatin1Char('/') + authSchemeName(k.scheme);
    lines << QStringLiteral("proxy: %1%2  credentials: %3  security flags: %4%5")
                 .arg(proxyUsageName(job.proxyUsage),
                      job.proxyUsage == ProxyUsage::Override
                          ? QStringLiteral(" (%1; bypass: %2)").arg(job.proxyList, job.proxyBypassList.isEmpty() ? QStringLiteral("-") : job.proxyBypassList)
                          : QString(),
                      stored.isEmpty() ? QStringLiteral("none") : stored.join(QLatin1String(", ")),
                      securityFlagsText(job.securityFlags),
                      job.securityFlags & security::IgnoreCertMask ? QStringLiteral("  WARNING: certificate checks are weakened")
                                                                   : QString());
    if (!job.customHeaders.isEmpty())
        lines << QStringLiteral("custom headers: %1").arg(job.customHeaders.size());
    if (job.customHeadersWriteOnly)
        lines << QStringLiteral("custom headers: %1, write-only (kept in the keychain)").arg(job.writeOnlyHeaders);
    lines << QStringLiteral("max download size: %1  dynamic content: %2  high performance: %3  on demand: %4")
                 .arg(job.maxDownloadSize ? QString::number(job.maxDownloadSize) : QStringLiteral("none"),
                      job.dynamicContent ? QStringLiteral("yes") : QStringLiteral("no"),
                      job.highPerformance ? QStringLiteral("yes") : QStringLiteral("no"),
                      job.onDemand ? QStringLiteral("yes") : QStringLiteral("no"));
    lines << QStringLiteral("notify flags: 0x%1 %2").arg(job.notifyFlags, 0, 16).arg(notifyFlagsText(job.notifyFlags));
    lines << QStringLiteral("created: %1  modified: %2  transferred: %3")
                 .arg(job.creationTime.toString(Qt::ISODate), job.modificationTime.toString(Qt::ISODate),
                      job.transferCompletionTime.isValid() ? job.transferCompletionTime.toString(Qt::ISODate) : QStringLiteral("-"));
    if (job.error.isSet())
        lines << QStringLiteral("error: ") + jobErrorText(job).replace(QLatin1Char('\n'), QLatin1String("; "));
    for (const JobFile &f : job.files)
        lines << QStringLiteral("  %1 -> %2  %3 / %4 bytes%5")
                     .arg(f.remoteUrl.toDisplayString(), f.localName)
                     .arg(f.bytesTransferred)
                     .arg(f.bytesTotal < 0 ? QStringLiteral("?") : QString::number(f.bytesTotal))
                     .arg(f.completed ? QStringLiteral(" (completed)") : f.transferred ? QStringLiteral(" (transferred)") : QString())
                 + (f.ranges.isEmpty() ? QString() : QStringLiteral("  ranges %1").arg(rangesText(f.ranges)));
    return lines.join(QLatin1Char('\n'));
}

QString jobErrorText(const Job &job)
{
    QString text = QStringLiteral("%1 %2\ncontext: %3\ndescription: %4")
                       .arg(errorName(job.error.code), errorHex(job.error.code), contextName(job.error.context),
                            job.error.description);
    if (job.error.fileIndex >= 0 && job.error.fileIndex < job.files.size())
        text += QStringLiteral("\nfile: %1").arg(job.files[job.error.fileIndex].remoteUrl.toDisplayString());
    return text;
}

std::optional<Job> jobFromJson(const QJsonObject &o)
{
    const auto str = [&o](const char *key) { return o.value(QLatin1String(key)).toString(); };
    const auto num = [&o](const char *key) { return o.value(QLatin1String(key)).toDouble(); };
    Job job;
    job.id = QUuid::fromString(str("id"));
    const auto state = parseState(str("state"));
    const auto priority = parsePriority(str("priority"));
    if (job.id.isNull() || !state || !priority)
        return std::nullopt;
    job.state = *state;
    job.priority = *priority;
    job.displayName = str("name");
    job.description = str("description");
    job.errorCount = int(num("errorCount"));
    job.peerCachingFlags = quint32(num("peerCachingFlags"));
    job.maximumDownloadTime = quint32(num("maxDownloadTime"));
    job.downloadTimeUsedMs = qRound64(num("downloadTimeUsed") * 1000.0);
    job.noProgressTimeout = quint32(num("noProgressTimeout"));
    job.minimumRetryDelay = quint32(num("minRetryDelay"));
    job.owner.userName = str("owner");
    job.owner.uid = uint(num("ownerUid"));
    job.owner.elevated = o.value(QLatin1String("ownerElevated")).toBool();
    job.owner.integrity = parseIntegrity(str("ownerIntegrityLevel")).value_or(IntegrityLevel::Untrusted);
    const QJsonObject notify = o.value(QLatin1String("notifyCmdLine")).toObject();
    job.notifyProgram = notify.value(QLatin1String("program")).toString();
    job.notifyParameters = notify.value(QLatin1String("parameters")).toString();
    job.notifyFlags = quint32(o.value(QLatin1String("notifyFlags")).toDouble(notifyflags::Default));
    job.proxyUsage = parseProxyUsage(str("proxyUsage")).value_or(ProxyUsage::Preconfig);
    job.proxyList = str("proxyList");
    job.proxyBypassList = str("proxyBypassList");
    for (const QJsonValue &h : o.value(QLatin1String("customHeaders")).toArray())
        job.customHeaders << h.toString();
    for (const QJsonValue &v : o.value(QLatin1String("credentials")).toArray()) {
        const auto target = parseAuthTarget(v.toObject().value(QLatin1String("target")).toString());
        const auto scheme = parseAuthScheme(v.toObject().value(QLatin1String("scheme")).toString());
        if (target && scheme)
            job.credentials << CredentialKey{*target, *scheme};
    }
    job.securityFlags = quint32(num("securityFlags"));
    job.customHeadersWriteOnly = o.value(QLatin1String("customHeadersWriteOnly")).toBool();
    job.writeOnlyHeaders = int(num("writeOnlyHeaders"));
    job.maxDownloadSize = str("maxDownloadSize").toULongLong();
    job.dynamicContent = o.value(QLatin1String("dynamicContent")).toBool();
    job.highPerformance = o.value(QLatin1String("highPerformance")).toBool();
    job.onDemand = o.value(QLatin1String("onDemand")).toBool();
    const QJsonObject times = o.value(QLatin1String("times")).toObject();
    const auto time = [&times](const char *key) {
        return QDateTime::fromString(times.value(QLatin1String(key)).toString(), Qt::ISODateWithMs);
    };
    job.creationTime = time("creation");
    job.modificationTime = time("modification");
    job.transferCompletionTime = time("transferCompletion");
    const QJsonObject error = o.value(QLatin1String("error")).toObject();
    if (!error.isEmpty()) {
        job.error.code = error.value(QLatin1String("code")).toString().toUInt(nullptr, 16);
        job.error.description = error.value(QLatin1String("description")).toString();
        job.error.fileIndex = error.value(QLatin1String("fileIndex")).toInt(-1);
        const QString context = error.value(QLatin1String("context")).toString();
        for (int c = 0; c <= int(ErrorContext::RemoteApplication); ++c)
            if (contextName(ErrorContext(c)) == context)
                job.error.context = ErrorContext(c);
    }
    for (const QJsonValue &v : o.value(QLatin1String("files")).toArray()) {
        const QJsonObject f = v.toObject();
        JobFile file;
        file.remoteUrl = QUrl(f.value(QLatin1String("remoteUrl")).toString());
        file.localName = f.value(QLatin1String("localName")).toString();
        file.tempName = f.value(QLatin1String("tempName")).toString();
        file.bytesTotal = qint64(f.value(QLatin1String("bytesTotal")).toDouble(-1));
        file.bytesTransferred = qint64(f.value(QLatin1String("bytesTransferred")).toDouble());
        file.transferred = f.value(QLatin1String("transferred")).toBool();
        file.completed = f.value(QLatin1String("completed")).toBool();
        file.downloadedFromPeer = f.value(QLatin1String("downloadedFromPeer")).toBool();
        file.bytesFromPeers = qint64(f.value(QLatin1String("bytesFromPeers")).toDouble());
        file.peerVerification = parsePeerVerification(f.value(QLatin1String("integrityLevel")).toString()).value_or(PeerVerification::None);
        file.validationState = parseValidationState(f.value(QLatin1String("validationState")).toString()).value_or(ValidationState::Unset);
        file.peerId = f.value(QLatin1String("peerId")).toString();
        file.ranges = rangesFromText(f.value(QLatin1String("ranges")).toString());
        job.files << file;
    }
    return job;
}

} // namespace ferry
