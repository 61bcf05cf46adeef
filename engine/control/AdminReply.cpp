#include "control/AdminReply.h"

#include <QJsonDocument>

namespace ferry {

QJsonObject AdminReply::toJson() const
{
    if (!ok)
        return {{QStringLiteral("ok"), false},
                {QStringLiteral("code"), errorHex(code)},
                {QStringLiteral("name"), errorName(code)},
                {QStringLiteral("message"), message}};
    QJsonObject o{{QStringLiteral("ok"), true}, {QStringLiteral("text"), text}, {QStringLiteral("json"), json}};
    if (code != hr::S_OK) { // a success that says more: PARTIAL_COMPLETE, UNABLE_TO_DELETE_FILES, S_FALSE
        o.insert(QStringLiteral("code"), errorHex(code));
        o.insert(QStringLiteral("name"), errorName(code));
    }
    return o;
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

AdminReply AdminReply::failure(const Status &s)
{
    return failure(s.code, s.message.isEmpty() ? errorName(s.code) : s.message);
}

AdminReply AdminReply::success(const QString &text, const QJsonValue &json)
{
    AdminReply r;
    r.text = text;
    r.json = json;
    return r;
}

AdminReply AdminReply::fromStatus(const Status &s, const QString &text)
{
    if (!s)
        return failure(s);
    AdminReply r = success(s.code == hr::S_OK ? text : s.message);
    r.code = s.code;
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

} // namespace ferry
