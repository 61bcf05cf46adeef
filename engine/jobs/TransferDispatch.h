// The engine thread's side of the transfers: hands a job's current file to the Downloader on the
// transfer thread, stops it again (waiting until its part file is checkpointed), and keeps the
// tickets that tie a running attempt to its job, so that the TransferEvents of a stopped attempt
// are dropped. JobManager (TransferDispatch.cpp) builds the requests and applies the events.
//
// One ticket counter numbers transfer attempts and keychain reads alike (JobManager's tokens).
#pragma once

#include "transfer/Transfer.h"

#include <QHash>
#include <QObject>
#include <QUuid>

namespace ferry {

class Downloader;

class TransferDispatch : public QObject
{
    Q_OBJECT
public:
    explicit TransferDispatch(Downloader *downloader, QObject *parent = nullptr);

    quint64 nextTicket() { return m_nextTicket++; }
    // Starts request (its ticket from nextTicket) on the transfer thread for the job.
    void send(const QUuid &jobId, const TransferRequest &request);
    // Stops the attempt and waits until the transfer thread has closed and checkpointed its file;
    // false when it had not started yet (nothing changed). Its later events are dropped.
    bool stop(quint64 ticket, TransferCheckpoint *last);
    // The job a live attempt belongs to; null for a stopped or finished one.
    QUuid jobOf(quint64 ticket) const { return m_tickets.value(ticket); }
    void ended(quint64 ticket) { m_tickets.remove(ticket); }

signals:
    // Every event of the Downloader, in order, live or not (the receiver asks jobOf).
    void arrived(const ferry::TransferEvent &event);

private:
    Downloader *m_downloader;
    QHash<quint64, QUuid> m_tickets;
    quint64 m_nextTicket = 1;
};

} // namespace ferry
