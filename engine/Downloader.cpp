#include "Downloader.h"

#include "JobStore.h"
#include "ProxyRules.h"

#include <QNetworkAccessManager>
#include <QTimer>

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

// Created lazily so that the manager and the database connection belong to the transfer thread.
void Downloader::ensureStarted()
{
    if (m_log)
        return;
    m_log = std::make_unique<CheckpointLog>(m_databasePath);
    m_uptime.start();
    auto *sweep = new QTimer(this);
    sweep->setInterval(IdleConnectionMs / 2);
    connect(sweep, &QTimer::timeout, this, &Downloader::closeIdleConnections);
    sweep->start();
}

// A job's connection manager carries its proxy settings and, once used, its authenticated
// connections: it is never shared with another job, and a new key (changed credentials, proxy
// or TLS flags) retires the job's older ones.
QNetworkAccessManager *Downloader::connectionFor(const TransferRequest &request, Status *status)
{
    auto it = m_connections.find(request.connectionKey);
    if (it == m_connections.end()) {
        ProxyRules rules;
        if (request.proxyUsage == ProxyUsage::Override) {
            *status = ProxyRules::parse(request.proxyList, request.proxyBypassList, &rules);
            if (!*status)
                return nullptr;
        }
        const QString jobPrefix = request.connectionKey.section(QLatin1Char('/'), 0, 0) + QLatin1Char('/');
        for (auto old = m_connections.begin(); old != m_connections.end();) {
            if (old.key().startsWith(jobPrefix) && old->transfers == 0) {
                old->nam->deleteLater();
                old = m_connections.erase(old);
            } else {
                ++old;
            }
        }
        auto *nam = new QNetworkAccessManager(this);
        nam->setAutoDeleteReplies(false);
        nam->setProxyFactory(new JobProxyFactory(request.proxyUsage, std::move(rules)));
        it = m_connections.insert(request.connectionKey, {nam, 0, 0});
    }
    ++it->transfers;
    return it->nam;
}

void Downloader::release(Transfer *transfer)
{
    auto it = m_connections.find(transfer->connectionKey());
    if (it != m_connections.end() && --it->transfers == 0)
        it->idleSinceMs = m_uptime.elapsed();
}

void Downloader::closeIdleConnections()
{
    const qint64 now = m_uptime.elapsed();
    for (auto it = m_connections.begin(); it != m_connections.end();) {
        if (it->transfers == 0 && now - it->idleSinceMs >= IdleConnectionMs) {
            it->nam->deleteLater();
            it = m_connections.erase(it);
        } else {
            ++it;
        }
    }
}

void Downloader::start(const TransferRequest &request)
{
    ensureStarted();
    Status status;
    QNetworkAccessManager *nam = connectionFor(request, &status);
    if (!nam) {
        // Bad proxy data surfaces when the job runs (spec §2.7): ERROR INVALID_PROXY_INFO.
        emit failed(request.ticket, {{ErrorContext::GeneralTransport, status.code, status.message, request.fileIndex}, false, 0});
        return;
    }
    auto *t = new Transfer(request, nam, m_log.get(), this);
    m_transfers.insert(request.ticket, t);
    connect(t, &Transfer::responded, this, &Downloader::responded);
    connect(t, &Transfer::progressed, this, &Downloader::progressed);
    connect(t, &Transfer::warned, this, &Downloader::warned);
    connect(t, &Transfer::redirected, this, &Downloader::redirected);
    connect(t, &Transfer::sourced, this, &Downloader::sourced);
    connect(t, &Transfer::identified, this, &Downloader::identified);
    connect(t, &Transfer::peerVerdicts, this, &Downloader::peerVerdicts);
    connect(t, &Transfer::checkpointed, this, &Downloader::checkpointed);
    connect(t, &Transfer::finished, this, [this](quint64 ticket, qint64 size, const QString &etag, const QString &lm) {
        forget(ticket);
        emit finished(ticket, size, etag, lm);
    });
    connect(t, &Transfer::failed, this, [this](quint64 ticket, const TransferFailure &f) {
        forget(ticket);
        emit failed(ticket, f);
    });
    t->start();
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
    if (!t)
        return false;
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
    const auto tickets = m_transfers.keys();
    for (quint64 ticket : tickets)
        stop(ticket);
}

} // namespace ferry
