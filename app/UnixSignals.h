// SIGTERM/SIGINT/SIGHUP turned into a Qt signal, so the engine shuts down cleanly (checkpoints
// written, transfers closed) instead of dying mid-write.
#pragma once

#include <QObject>

class QSocketNotifier;

namespace ferry {

class UnixSignals : public QObject
{
    Q_OBJECT
public:
    explicit UnixSignals(QObject *parent = nullptr);

signals:
    void terminationRequested(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace ferry
