// The transfer thread's network managers. Qt gives every QNetworkAccessManager a thread, a socket
// pool, a TLS session cache, an authentication cache and a cookie jar, so the engine keeps a
// bounded set of them, keyed by what must never be shared (TransferRequest::connectionKey):
// transfers that carry no secret share one per owner, proxy settings and TLS flags; a job with
// credentials has its own. Managers nobody uses are closed after idleMs(), and the least recently
// used idle one makes room when the pool is full (docs/engine.md, "Connections").
#pragma once

#include "core/BitsError.h"
#include "core/JobTypes.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>

class QNetworkAccessManager;
class QTimer;

namespace ferry {

class ConnectionPool : public QObject
{
    Q_OBJECT
public:
    // Managers of all keys together. A transfer that needs a new key while all are busy waits
    // for one (Downloader); so threads and sockets stay bounded however many jobs run at once.
    static constexpr int MaxManagers = 16;
    // A manager unused this long is closed (its connections, TLS sessions, cached
    // authentication and thread go with it): DefaultIdleMs, or FERRY_CONNECTION_IDLE_MS when set
    // (read once; for the tests).
    static constexpr int DefaultIdleMs = 30000;
    static int idleMs();

    explicit ConnectionPool(QObject *parent = nullptr);
    ~ConnectionPool() override;

    // The manager for KEY, made with the proxy settings when it is new. nullptr with *status
    // failed for a bad proxy list, and with *status ok when the pool is full of busy managers.
    // A new generation of a job's own key ("job:ID/N") retires the job's idle older ones.
    QNetworkAccessManager *acquire(const QString &key, ProxyUsage usage, const QString &proxyList,
                                   const QString &proxyBypassList, Status *status);
    void release(const QString &key);

    // The one manager for requests to peers: no proxy (peers are on the LAN), no cookies; the
    // group key is given per reply.
    QNetworkAccessManager *peers();

    int managers() const { return int(m_managers.size()) + (m_peers ? 1 : 0); }

signals:
    // A manager was closed or went idle: a transfer waiting for room may try again.
    void roomMade();

private:
    struct Entry
    {
        QNetworkAccessManager *nam = nullptr;
        int users = 0;
        qint64 idleSinceMs = 0;
    };

    bool makeRoom();
    void closeIdle();
    QHash<QString, Entry>::iterator close(QHash<QString, Entry>::iterator it); // the next one

    QHash<QString, Entry> m_managers;
    QNetworkAccessManager *m_peers = nullptr;
    qint64 m_peersIdleSinceMs = 0;
    QElapsedTimer m_clock;
    QTimer *m_sweep;
};

} // namespace ferry
