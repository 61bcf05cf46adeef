// The transfer thread's resident: owns the connection pool, the checkpoint log and the running
// Transfers. JobManager talks to it only through queued calls and signals.
#pragma once

#include "transfer/ConnectionPool.h"
#include "transfer/Transfer.h"

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
    // The running transfers' events, relayed in order (TransferEvent.h); also a Failed for a
    // request that cannot start (bad proxy data).
    void transferEvent(const ferry::TransferEvent &event);

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
