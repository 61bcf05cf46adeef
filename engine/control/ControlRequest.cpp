#include "control/ControlRequest.h"

#include "control/EngineService.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace ferry {
namespace {

ControlRequest failure(const QString &why)
{
    ControlRequest r;
    r.error = why;
    return r;
}

} // namespace

ControlRequest ControlRequest::decode(const QByteArray &line)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return failure(QStringLiteral("malformed request: %1 at byte %2").arg(parseError.errorString()).arg(parseError.offset));
    if (!document.isObject())
        return failure(QStringLiteral("malformed request: a request is a JSON object {\"verb\": ..., \"args\": [...]}"));
    const QJsonObject object = document.object();

    ControlRequest r;
    const QJsonValue verb = object.value(QLatin1String("verb"));
    if (verb.isUndefined())
        return failure(QStringLiteral("malformed request: it names no verb"));
    if (!verb.isString())
        return failure(QStringLiteral("malformed request: the verb must be a string"));
    r.verb = EngineService::normalizedVerb(verb.toString());
    if (r.verb.isEmpty())
        return failure(QStringLiteral("malformed request: the verb is empty"));

    const QJsonValue args = object.value(QLatin1String("args"));
    if (!args.isUndefined()) {
        if (!args.isArray())
            return failure(QStringLiteral("malformed request: args must be an array of strings"));
        const QJsonArray array = args.toArray();
        r.args.reserve(array.size());
        for (qsizetype i = 0; i < array.size(); ++i) {
            if (!array.at(i).isString())
                return failure(QStringLiteral("malformed request: argument %1 must be a string").arg(i + 1));
            r.args << array.at(i).toString();
        }
    }

    const QJsonValue json = object.value(QLatin1String("json"));
    if (!json.isUndefined() && !json.isBool())
        return failure(QStringLiteral("malformed request: json must be true or false"));
    r.json = json.toBool(true);
    return r;
}

} // namespace ferry
