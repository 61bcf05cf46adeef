#include "transfer/ConnectionPool.h"

#include "core/ProxyRules.h"

#include <QNetworkAccessManager>
#include <QNetworkCookie>
#include <QNetworkCookieJar>
#include <QTimer>

namespace ferry {
namespace {

// A shared manager lives as long as transfers keep it busy: its cookies are bounded so that
// servers cannot grow it without end (the oldest go first).
class BoundedCookieJar : public QNetworkCookieJar
{
public:
    static constexpr int MaxCookies = 1000;
    using QNetworkCookieJar::QNetworkCookieJar;

    bool insertCookie(const QNetworkCookie &cookie) override
    {
        if (!QNetworkCookieJar::insertCookie(cookie))
            return false;
        QList<QNetworkCookie> all = allCookies();
        if (all.size() > MaxCookies) {
            all.remove(0, all.size() - MaxCookies);
            setAllCookies(all);
        }
        return true;
    }
};

QString jobPrefixOf(const QString &key)
{
    // "job:ID/N" -> "job:ID/"; shared keys have no generations.
    return key.startsWith(QLatin1String("job:")) ? key.section(QLatin1Char('/'), 0, 0) + QLatin1Char('/') : QString();
}

} // namespace

int ConnectionPool::idleMs()
{
    static const int value = [] {
        bool ok = false;
        const int ms = qEnvironmentVariableIntValue("FERRY_CONNECTION_IDLE_MS", &ok);
        return ok && ms > 0 ? ms : DefaultIdleMs;
    }();
    return value;
}

ConnectionPool::ConnectionPool(QObject *parent)
    : QObject(parent)
    , m_sweep(new QTimer(this))
{
    m_clock.start();
    m_sweep->setInterval(qMax(1, idleMs() / 3));
    connect(m_sweep, &QTimer::timeout, this, &ConnectionPool::closeIdle);
    m_sweep->start();
}

ConnectionPool::~ConnectionPool() = default;

QNetworkAccessManager *ConnectionPool::acquire(const QString &key, ProxyUsage usage, const QString &proxyList,
                                               const QString &proxyBypassList, Status *status)
{
    *status = {};
    auto it = m_managers.find(key);
    if (it == m_managers.end()) {
        ProxyRules rules;
        if (usage == ProxyUsage::Override) {
            *status = ProxyRules::parse(proxyList, proxyBypassList, &rules);
            if (!*status)
                return nullptr;
        }
        // A job's new generation (changed credentials, proxy or TLS flags): its older managers,
        // with what they authenticated or accepted, are never used again.
        if (const QString prefix = jobPrefixOf(key); !prefix.isEmpty()) {
            for (auto old = m_managers.begin(); old != m_managers.end();) {
                if (old.key().startsWith(prefix) && old->users == 0)
                    old = close(old);
                else
                    ++old;
            }
        }
        if (m_managers.size() >= MaxManagers && !makeRoom())
            return nullptr;
        auto *nam = new QNetworkAccessManager(this);
        nam->setAutoDeleteReplies(false);
        nam->setCookieJar(new BoundedCookieJar(nam));
        nam->setProxyFactory(new JobProxyFactory(usage, std::move(rules)));
        it = m_managers.insert(key, {nam, 0, 0});
    }
    ++it->users;
    return it->nam;
}

void ConnectionPool::release(const QString &key)
{
    auto it = m_managers.find(key);
    if (it == m_managers.end() || --it->users > 0)
        return;
    it->idleSinceMs = m_clock.elapsed();
    emit roomMade();
}

QNetworkAccessManager *ConnectionPool::peers()
{
    if (!m_peers) {
        m_peers = new QNetworkAccessManager(this);
        m_peers->setProxy(QNetworkProxy::NoProxy);
        m_peers->setAutoDeleteReplies(false);
        m_peers->setCookieJar(new BoundedCookieJar(m_peers));
    }
    return m_peers;
}

// Closes the idle manager unused the longest; false when every manager is busy.
bool ConnectionPool::makeRoom()
{
    auto oldest = m_managers.end();
    for (auto it = m_managers.begin(); it != m_managers.end(); ++it) {
        if (it->users == 0 && (oldest == m_managers.end() || it->idleSinceMs < oldest->idleSinceMs))
            oldest = it;
    }
    if (oldest == m_managers.end())
        return false;
    close(oldest);
    return true;
}

void ConnectionPool::closeIdle()
{
    const qint64 now = m_clock.elapsed();
    bool closed = false;
    for (auto it = m_managers.begin(); it != m_managers.end();) {
        if (it->users == 0 && now - it->idleSinceMs >= idleMs()) {
            it = close(it);
            closed = true;
        } else {
            ++it;
        }
    }
    if (closed)
        emit roomMade();
}

QHash<QString, ConnectionPool::Entry>::iterator ConnectionPool::close(QHash<QString, Entry>::iterator it)
{
    // Deleted, not deleteLater'd: Qt ends the manager's thread and sockets in its destructor, and
    // nothing of it may outlive the pool's bound. Replies were deleted with their transfers.
    delete it->nam;
    return m_managers.erase(it);
}

} // namespace ferry
