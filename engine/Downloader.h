// The transfer thread's resident: owns the connection pool, the checkpoint log and the running
// Transfers. JobManager talks to it only through queued calls and signals.
#pragma once

#include "ConnectionPool.h"
#include "Transfer.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <memory>

namespace ferry {

class Downloader : public QObject
{
    Q_OBJECT
public:
    explicit Downloader(QString databasePath, QObject *parent = nullptr);
    ~Downloader() override;

public slots:
    void start(const ferry::TransferRequest &request);
    // Returns once the part file is closed and checkpointed, with what that checkpoint holds.
    bool stop(quint64 ticket, ferry::TransferCheckpoint *last = nullptr);
    void stopAll();

signals:
    void responded(quint64 ticket);
    void progressed(quint64 ticket, qint64 bytesTransferred, qint64 bytesTotal);
    void checkpointed(quint64 ticket, const ferry::TransferCheckpoint &checkpoint);
    void warned(quint64 ticket, const QString &message);
    void redirected(quint64 ticket, const QUrl &finalUrl);
    void sourced(quint64 ticket, qint64 bytesFromPeers, ferry::PeerVerification verification, const QString &peerId,
                 const QString &sha256);
    void identified(quint64 ticket, const QStringList &contentKeys, const QString &notServable);
    void peerVerdicts(quint64 ticket, const QList<ferry::peercache::PeerVerdict> &verdicts);
    void finished(quint64 ticket, qint64 size, const QString &etag, const QString &lastModified);
    void failed(quint64 ticket, const ferry::TransferFailure &failure);

private:
    void ensureStarted();
    bool tryStart(const TransferRequest &request);  // false: the pool is full, try again later
    void startWaiting();
    void forget(quint64 ticket);
    void release(Transfer *transfer);

    QString m_databasePath;
    std::unique_ptr<CheckpointLog> m_log;
    ConnectionPool *m_pool = nullptr;
    QHash<quint64, Transfer *> m_transfers;
    QList<TransferRequest> m_waiting;   // in arrival order, for a manager of the pool
};

} // namespace ferry
