#include "Downloader.h"

#include "JobStore.h"

#include <QNetworkAccessManager>

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
    if (m_nam)
        return;
    m_nam = new QNetworkAccessManager(this);
    m_nam->setAutoDeleteReplies(false);
    m_log = std::make_unique<CheckpointLog>(m_databasePath);
}

void Downloader::start(const TransferRequest &request)
{
    ensureStarted();
    auto *t = new Transfer(request, m_nam, m_log.get(), this);
    m_transfers.insert(request.ticket, t);
    connect(t, &Transfer::responded, this, &Downloader::responded);
    connect(t, &Transfer::progressed, this, &Downloader::progressed);
    connect(t, &Transfer::warned, this, &Downloader::warned);
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
    if (Transfer *t = m_transfers.take(ticket))
        t->deleteLater();
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
