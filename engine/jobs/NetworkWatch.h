// Whether the computer is on a network, from QNetworkInformation (NetworkManager's backend, or
// glib's reachability monitor where there is no NetworkManager). Only a plain "disconnected" with
// no usable interface counts as offline: glib calls a LAN without a default route disconnected
// too, and a lab or an air-gapped site must still download from its own servers. Where no backend
// works it says so once in the log and reports "online" for good. JobManager::setNetworkOnline is
// the seam it feeds (and tests drive directly); there "offline" only pauses retries.
#pragma once

#include <QObject>
#include <QTimer>

namespace ferry {

class NetworkWatch : public QObject
{
    Q_OBJECT
public:
    explicit NetworkWatch(QObject *parent = nullptr);

    bool start();                 // false when no backend could be loaded
    bool isOnline() const { return m_online; }
    QString backendName() const { return m_backend; }

    // An interface that is up, not loopback, with an address other than link-local: a network
    // of some kind, whatever the backend thinks of the internet.
    static bool hasUsableInterface();

signals:
    void onlineChanged(bool online);

private:
    void evaluate();

    bool m_online = true;
    QString m_backend;
    QTimer m_recheck;             // while offline: interfaces can come up without a backend signal
};

} // namespace ferry
