#include "core/JobSpec.h"

#include <QJsonArray>

namespace ferry {

namespace {

// A JSON number that is a whole quint32, or nothing.
std::optional<quint32> wholeNumber(const QJsonValue &v)
{
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (d < 0 || d > 4294967295.0 || d != double(qint64(d)))
        return std::nullopt;
    return quint32(qint64(d));
}

} // namespace

QJsonObject JobSpec::toJson() const
{
    QJsonArray files_;
    for (const File &f : files)
        files_ << QJsonObject{{QStringLiteral("url"), f.url}, {QStringLiteral("localName"), f.localName}};
    QJsonObject o{{QStringLiteral("displayName"), displayName},
                  {QStringLiteral("files"), files_},
                  {QStringLiteral("resume"), resume}};
    if (!description.isEmpty())
        o.insert(QStringLiteral("description"), description);
    if (priority)
        o.insert(QStringLiteral("priority"), priorityName(*priority));
    if (peerCachingFlags)
        o.insert(QStringLiteral("peerCachingFlags"), double(*peerCachingFlags));
    if (maximumDownloadTime)
        o.insert(QStringLiteral("maximumDownloadTime"), double(*maximumDownloadTime));
    if (!folder.isEmpty())
        o.insert(QStringLiteral("folder"), folder);
    if (makeFolder)
        o.insert(QStringLiteral("makeFolder"), true);
    return o;
}

std::optional<JobSpec> JobSpec::fromJson(const QJsonObject &o, QString *error)
{
    const auto refuse = [error](const QString &why) {
        *error = why;
        return std::nullopt;
    };
    static const QStringList known = {QStringLiteral("displayName"), QStringLiteral("description"), QStringLiteral("priority"),
                                      QStringLiteral("peerCachingFlags"), QStringLiteral("maximumDownloadTime"),
                                      QStringLiteral("folder"), QStringLiteral("makeFolder"), QStringLiteral("files"),
                                      QStringLiteral("resume")};
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!known.contains(it.key()))
            return refuse(QStringLiteral("unknown key '%1' in the job description").arg(it.key().left(64)));
    JobSpec spec;
    if (!o.value(QLatin1String("displayName")).isString())
        return refuse(QStringLiteral("the job description needs a displayName string"));
    spec.displayName = o.value(QLatin1String("displayName")).toString();
    spec.description = o.value(QLatin1String("description")).toString();
    spec.folder = o.value(QLatin1String("folder")).toString();
    spec.makeFolder = o.value(QLatin1String("makeFolder")).toBool();
    spec.resume = o.value(QLatin1String("resume")).toBool(true);
    if (o.contains(QLatin1String("priority"))) {
        spec.priority = parsePriority(o.value(QLatin1String("priority")).toString());
        if (!spec.priority)
            return refuse(QStringLiteral("priority is FOREGROUND, HIGH, NORMAL or LOW"));
    }
    if (o.contains(QLatin1String("peerCachingFlags"))) {
        spec.peerCachingFlags = wholeNumber(o.value(QLatin1String("peerCachingFlags")));
        if (!spec.peerCachingFlags)
            return refuse(QStringLiteral("peerCachingFlags is a whole number"));
    }
    if (o.contains(QLatin1String("maximumDownloadTime"))) {
        spec.maximumDownloadTime = wholeNumber(o.value(QLatin1String("maximumDownloadTime")));
        if (!spec.maximumDownloadTime)
            return refuse(QStringLiteral("maximumDownloadTime is a whole number of seconds"));
    }
    const QJsonValue files = o.value(QLatin1String("files"));
    if (!files.isArray() || files.toArray().isEmpty())
        return refuse(QStringLiteral("the job description names no files"));
    for (const QJsonValue &v : files.toArray()) {
        const QJsonObject f = v.toObject();
        if (!f.value(QLatin1String("url")).isString())
            return refuse(QStringLiteral("each file of the job description needs a url string"));
        spec.files << File{f.value(QLatin1String("url")).toString(), f.value(QLatin1String("localName")).toString()};
    }
    return spec;
}

} // namespace ferry
