#include "jobs/NetworkWatch.h"

#include <QLoggingCategory>
#include <QNetworkInformation>
#include <QNetworkInterface>

namespace ferry {

Q_LOGGING_CATEGORY(lcNetwork, "ferry.network")

namespace {
constexpr int RecheckMs = 30000;
}

NetworkWatch::NetworkWatch(QObject *parent)
    : QObject(parent)
{
    m_recheck.setInterval(RecheckMs);
    connect(&m_recheck, &QTimer::timeout, this, &NetworkWatch::evaluate);
}

bool NetworkWatch::start()
{
    // On Linux the default backend is NetworkManager only; glib's monitor covers machines
    // without it.
    if (!QNetworkInformation::loadDefaultBackend() && !QNetworkInformation::loadBackendByFeatures(QNetworkInformation::Feature::Reachability)) {
        qCWarning(lcNetwork) << "no network-state backend could be loaded (tried"
                             << QNetworkInformation::availableBackends()
                             << "); network loss will not be noticed and jobs simply retry";
        return false;
    }
    QNetworkInformation *info = QNetworkInformation::instance();
    m_backend = info->backendName();
    connect(info, &QNetworkInformation::reachabilityChanged, this, &NetworkWatch::evaluate);
    evaluate();
    qCInfo(lcNetwork) << "network state from" << m_backend << (m_online ? "(online)" : "(offline)");
    return true;
}

void NetworkWatch::evaluate()
{
    const auto reachability = QNetworkInformation::instance()->reachability();
    // Local, Site and Unknown are online enough: a server there may well answer.
    const bool online = reachability != QNetworkInformation::Reachability::Disconnected || hasUsableInterface();
    if (online)
        m_recheck.stop();
    else if (!m_recheck.isActive())
        m_recheck.start();
    if (online == m_online)
        return;
    m_online = online;
    qCInfo(lcNetwork) << "network" << (online ? "back" : "gone") << "according to" << m_backend;
    emit onlineChanged(online);
}

bool NetworkWatch::hasUsableInterface()
{
    const auto interfaces = QNetworkInterface::allInterfaces();
    for (const QNetworkInterface &i : interfaces) {
        const auto flags = i.flags();
        if (!(flags & QNetworkInterface::IsUp) || !(flags & QNetworkInterface::IsRunning) || (flags & QNetworkInterface::IsLoopBack))
            continue;
        for (const QNetworkAddressEntry &entry : i.addressEntries())
            if (!entry.ip().isLoopback() && !entry.ip().isLinkLocal())
                return true;
    }
    return false;
}

} // namespace ferry
