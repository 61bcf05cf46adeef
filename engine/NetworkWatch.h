// Whether the computer is on a network, from QNetworkInformation (NetworkManager's backend, or
// glib's reachability monitor where there is no NetworkManager). Where no backend works it says
// so once in the log and reports "online" for good: the engine then behaves as without network
// awareness. JobManager::setNetworkOnline is the seam it feeds (and tests drive directly).
#pragma once

#include <QObject>

namespace ferry {

class NetworkWatch : public QObject
{
    Q_OBJECT
public:
    explicit NetworkWatch(QObject *parent = nullptr);

    bool start();                 // false when no backend could be loaded
    bool isOnline() const { return m_online; }
    QString backendName() const { return m_backend; }

signals:
    void onlineChanged(bool online);

private:
    bool m_online = true;
    QString m_backend;
};

} // namespace ferry
