// ferry-admin's side of the control socket: connects to the profile's engine, starting
// `ferry --headless --profile DIR` when none runs, and sends one request at a time.
#pragma once

#include "control/AdminReply.h"
#include "store/Profile.h"

#include <QLocalSocket>

namespace ferry {

class AdminClient
{
public:
    explicit AdminClient(Profile profile);

    bool connectOrStartEngine(QString *error);
    bool connectToRunningEngine() { return tryConnect(); } // never starts one
    // Blocks until the reply. json: whether the caller will print the JSON form.
    AdminReply request(const QString &verb, const QStringList &args, bool json = false);
    // Makes this connection the caller's job feed (the `subscribe` request, docs/engine.md): from
    // then on nextEvent() blocks for each event line; an empty object means the engine went away.
    bool subscribe();
    QJsonObject nextEvent();

private:
    bool tryConnect();
    static bool sendAll(int fd, const QByteArray &bytes);
    QByteArray receiveLine(int fd);

    Profile m_profile;
    QLocalSocket m_socket;
    QString m_refused;          // why a listening engine was not trusted
    QByteArray m_received;      // read from the engine, not yet a whole line
};

} // namespace ferry
