#include "control/JobJson.h"

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
        {QStringLiteral("proxyUsage"), proxyUsageName(job.proxyUsage)},
        {QStringLiteral("proxyList"), job.proxyList},
        {QStringLiteral("proxyBypassList"), job.proxyBypassList},
        {QStringLiteral("customHeaders"), QJsonArray::fromStringList(job.customHeaders)},
        {QStringLiteral("credentials"), credentials},
        {QStringLiteral("securityFlags"), double(job.securityFlags)},
        {QStringLiteral("securityFlagsText"), securityFlagsText(job.securityFlags)},
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
                     .arg(f.completed ? QStringLiteral(" (completed)") : f.transferred ? QStringLiteral(" (transferred)") : QString());
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

} // namespace ferry
