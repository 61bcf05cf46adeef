// Starting a server program (nginx, tinyproxy) as a child process on a free loopback port: what
// the test-support servers share.
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

class QProcess;

namespace ferry::test {

// A loopback port nothing listens on right now (bound to port 0, then released).
quint16 freeLoopbackPort();

// How to run one server program and tell that it is up.
struct ChildServerLaunch
{
    QString name;            // for messages: "nginx"
    QString program;
    QStringList arguments;
    // Writes the program's configuration for this port (called again for each port tried).
    std::function<bool(quint16 port, QString *error)> configure;
    // The server writes its pid here once it has bound its port: a connection to a port whose
    // pid file holds our child's pid reached our child, not whoever took the port meanwhile.
    QString pidFile;
    QByteArray portClash;    // what it prints when the port was taken after all
    std::function<bool()> ready;   // when set, must hold too before the port is tried
    QHostAddress address = QHostAddress(QHostAddress::LocalHost);   // where it listens
};

// Starts the program on a free loopback port and waits until it accepts connections there. The
// port is only free when looked at, so on a clash it tries another (a few times). True with
// *process running on *port; false with *error, and *process reset.
bool startChildServer(const ChildServerLaunch &launch, std::unique_ptr<QProcess> *process, quint16 *port,
                      QString *error);
void stopChildServer(std::unique_ptr<QProcess> *process);   // kills it; nothing when none runs

} // namespace ferry::test
