#include "ChildServer.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHostAddress>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>

namespace ferry::test {

namespace {

constexpr int kStartTimeoutMs = 10000;
constexpr int kPortAttempts = 5;

bool fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

qint64 pidIn(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed().toLongLong() : 0;
}

// One attempt on one port; *portClash when the program reported the port taken.
bool startOnce(const ChildServerLaunch &launch, std::unique_ptr<QProcess> *process, quint16 port, QString *error,
               bool *portClash)
{
    if (!launch.configure(port, error))
        return false;
    QFile::remove(launch.pidFile);

    *process = std::make_unique<QProcess>();
    QProcess *p = process->get();
    p->setProcessChannelMode(QProcess::MergedChannels);
    p->start(launch.program, launch.arguments);
    if (!p->waitForStarted(kStartTimeoutMs)) {
        const QString message = QStringLiteral("cannot run %1: %2").arg(launch.name, p->errorString());
        process->reset();
        return fail(error, message);
    }

    QByteArray output;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < kStartTimeoutMs) {
        const bool exited = p->waitForFinished(50);
        output += p->readAll();
        if (!launch.portClash.isEmpty() && output.contains(launch.portClash)) {
            *portClash = true;
            break;
        }
        if (exited)
            break;
        if (pidIn(launch.pidFile) != p->processId() || (launch.ready && !launch.ready()))
            continue;
        QTcpSocket probe;
        probe.connectToHost(launch.address, port);
        if (probe.waitForConnected(1000))
            return true;
    }
    fail(error, QStringLiteral("%1 did not start on port %2: %3")
                        .arg(launch.name)
                        .arg(port)
                        .arg(QString::fromLocal8Bit(output.trimmed())));
    stopChildServer(process);
    return false;
}

} // namespace

quint16 freeLoopbackPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = probe.serverPort();
    probe.close();
    return port;
}

bool startChildServer(const ChildServerLaunch &launch, std::unique_ptr<QProcess> *process, quint16 *port,
                      QString *error)
{
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
        *port = freeLoopbackPort();
        if (*port == 0)
            return fail(error, QStringLiteral("no free port"));
        bool portClash = false;
        if (startOnce(launch, process, *port, error, &portClash))
            return true;
        if (!portClash)
            return false;
    }
    return false;
}

void stopChildServer(std::unique_ptr<QProcess> *process)
{
    if (!*process)
        return;
    if ((*process)->state() != QProcess::NotRunning) {
        (*process)->kill();
        (*process)->waitForFinished(5000);
    }
    process->reset();
}

} // namespace ferry::test
