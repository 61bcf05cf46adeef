// One answer of the engine to one request: what ferry-admin prints, its JSON form, or the error.
// The same value travels over the control socket (one JSON line) and to the window's client.
#pragma once

#include "core/BitsError.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

namespace ferry {

struct AdminReply
{
    bool ok = true;
    QString text;               // what ferry-admin prints
    QJsonValue json;            // what `--json` prints, where the verb has one
    quint32 code = 0;           // on failure; on success a code other than S_OK (PARTIAL_COMPLETE, S_FALSE...)
    QString message;            // on failure

    QJsonObject toJson() const;
    QByteArray toLine() const;  // toJson() as one line of the control socket, without the newline
    Status status() const { return ok ? Status(code, text) : Status(code, message); }
    static AdminReply fromJson(const QJsonObject &o);
    static AdminReply failure(quint32 code, const QString &message);
    static AdminReply failure(const Status &s);   // its message, or the error's name when it has none
    static AdminReply success(const QString &text = {}, const QJsonValue &json = {});
    // Success with text (the status' own message when it is a success code other than S_OK), or failure(s).
    static AdminReply fromStatus(const Status &s, const QString &text = {});
};

} // namespace ferry
