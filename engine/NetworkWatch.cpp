#include "NetworkWatch.h"

#include <QLoggingCategory>
#include <QNetworkInformation>

namespace ferry {

Q_LOGGING_CATEGORY(lcNetwork, "ferry.network")

NetworkWatch::NetworkWatch(QObject *parent)
    : QObject(parent)
{
}

bool NetworkWatch::start()
{
    // On Linux the default backend is NetworkManager only; glib's monitor covers machines
    // without it (see ../shared/notes/qt-spikes.md §3).
    if (!QNetworkInformation::loadDefaultBackend() && !QNetworkInformation::loadBackendByFeatures(QNetworkInformation::Feature::Reachability)) {
        qCWarning(lcNetwork) << "no network-state backend could be loaded (tried"
                             << QNetworkInformation::availableBackends()
                             << "); network loss will not be noticed and jobs simply retry";
        return false;
    }
    QNetworkInformation *info = QNetworkInformation::instance();
    m_backend = info->backendName();
    const auto apply = [this](QNetworkInformation::Reachability r) {
        const bool online = r != QNetworkInformation::Reachability::Disconnected;
        if (online == m_online)
            return;
        m_online = online;
        qCInfo(lcNetwork) << "network" << (online ? "back" : "gone") << "according to" << m_backend;
        emit onlineChanged(online);
    };
    connect(info, &QNetworkInformation::reachabilityChanged, this, apply);
    apply(info->reachability());
    qCInfo(lcNetwork) << "network state from" << m_backend << (m_online ? "(online)" : "(offline)");
    return true;
}

} // namespace ferry
