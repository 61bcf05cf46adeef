// The transfer thread's resident: owns the QNetworkAccessManager, the checkpoint log and the
// running Transfers. JobManager talks to it only through queued calls and signals.
#pragma once

#include "Transfer.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <memory>

class QNetworkAccessManager;

namespace ferry {

class Downloader : public QObject
{
    Q_OBJECT
public:
    explicit Downloader(QString databasePath, QObject *parent = nullptr);
    ~Downloader() override;

    // A connection manager unused this long is closed (its connections, TLS sessions and the
    // authentication it cached go with it).
    static constexpr int IdleConnectionMs = 30000;

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
    void sourced(quint64 ticket, qint64 bytesFromPeers, const QString &integrityLevel, const QString &peerId,
                 const QString &sha256);
    void identified(quint64 ticket, const QStringList &contentKeys, const QString &notServable);
    void peerVerdicts(quint64 ticket, const QList<ferry::peercache::PeerVerdict> &verdicts);
    void finished(quint64 ticket, qint64 size, const QString &etag, const QString &lastModified);
    void failed(quint64 ticket, const ferry::TransferFailure &failure);

private:
    // One QNetworkAccessManager per TransferRequest::connectionKey.
    struct Connection
    {
        QNetworkAccessManager *nam = nullptr;
        int transfers = 0;
        qint64 idleSinceMs = 0;
    };

    void ensureStarted();
    QNetworkAccessManager *connectionFor(const TransferRequest &request, Status *status);
    void release(Transfer *transfer);
    void closeIdleConnections();
    void forget(quint64 ticket);

    QString m_databasePath;
    std::unique_ptr<CheckpointLog> m_log;
    QHash<quint64, Transfer *> m_transfers;
    QHash<QString, Connection> m_connections;
    QElapsedTimer m_uptime;
};

} // namespace ferry
