// One request line of the control socket (engine/control/ControlServer), decoded and type-checked:
// {"verb": STRING, "args": [STRING...], "json": BOOL}, "args" and "json" optional, other keys
// ignored (a client's claims about itself are never read). Pure: no engine state and no event
// loop, so a fuzzer can drive decode() alone.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace ferry {

struct ControlRequest
{
    QString verb;        // normalized: "/Resume" -> "resume" (EngineService::normalizedVerb)
    QStringList args;
    bool json = true;    // the client prints the JSON form of the reply
    QString error;       // not empty: the line is no valid request, and this says why

    bool ok() const { return error.isEmpty(); }

    // LINE without its newline (a trailing "\r" or blanks are allowed).
    static ControlRequest decode(const QByteArray &line);
};

} // namespace ferry
