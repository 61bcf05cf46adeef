#include "transfer/Downloader.h"

#include "store/JobStore.h"

namespace ferry {

Downloader::Downloader(QString databasePath, QObject *parent)
    : QObject(parent)
    , m_databasePath(std::move(databasePath))
{
}

Downloader::~Downloader()
{
    stopAll();
}

// Created lazily so that the pool and the database connection belong to the transfer thread.
void Downloader::ensureStarted()
{
    if (m_log)
        return;
    m_log = std::make_unique<CheckpointLog>(m_databasePath);
    m_pool = new ConnectionPool(this);
    connect(m_pool, &ConnectionPool::roomMade, this, &Downloader::startWaiting, Qt::QueuedConnection);
}

void Downloader::start(const TransferRequest &request)
{
    ensureStarted();
    if (!m_waiting.isEmpty() || !tryStart(request))
        m_waiting << request;   // stays CONNECTING until a manager is free (ConnectionPool::MaxManagers)
}

void Downloader::startWaiting()
{
    while (!m_waiting.isEmpty() && tryStart(m_waiting.first()))
        m_waiting.removeFirst();
}

bool Downloader::tryStart(const TransferRequest &request)
{
    Status status;
    QNetworkAccessManager *nam = m_pool->acquire(request.connectionKey, request.proxyUsage, request.proxyList,
                                                 request.proxyBypassList, &status);
    if (!nam && status)
        return false;
    if (!nam) {
        // Bad proxy data surfaces when the job runs (docs/jobs.md §8): ERROR INVALID_PROXY_INFO.
        emit transferEvent({request.ticket, transferevent::Failed{
                                                {{ErrorContext::GeneralTransport, status.code, status.message, request.fileIndex}, false, 0}}});
        return true;
    }
    auto *t = new Transfer(request, nam, request.peerPlan.use ? m_pool->peers() : nullptr, m_log.get(), this);
    m_transfers.insert(request.ticket, t);
    connect(t, &Transfer::transferEvent, this, [this](const TransferEvent &event) {
        if (event.ends())
            forget(event.ticket);
        emit transferEvent(event);
    });
    t->start();
    return true;
}

void Downloader::release(Transfer *transfer)
{
    m_pool->release(transfer->connectionKey());
}

void Downloader::forget(quint64 ticket)
{
    if (Transfer *t = m_transfers.take(ticket)) {
        release(t);
        t->deleteLater();
    }
}

bool Downloader::stop(quint64 ticket, TransferCheckpoint *last)
{
    Transfer *t = m_transfers.take(ticket);
    if (!t) {
        // Still waiting for a manager: nothing was opened, nothing changed.
        m_waiting.removeIf([ticket](const TransferRequest &r) { return r.ticket == ticket; });
        return false;
    }
    t->disconnect(this);
    t->stop();
    if (last)
        *last = t->lastCheckpoint();
    release(t);
    t->deleteLater();
    return true;
}

void Downloader::stopAll()
{
    m_waiting.clear();
    const auto tickets = m_transfers.keys();
    for (quint64 ticket : tickets)
        stop(ticket);
}

} // namespace ferry
