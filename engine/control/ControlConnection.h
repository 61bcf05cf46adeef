// One client of the control socket (engine/control/ControlServer): a non-blocking Unix stream socket
// read line by line and written with bounded buffers on both sides (engine/control/ControlLimits.h).
// Requests are handed out one at a time; the next comes once reply() answered the last. A
// client that half-closes (shuts down its writing side) still gets the replies to everything it
// sent, the connection closes after them. The owner deletes it once closed() is emitted.
#pragma once

#include "control/PeerIdentity.h"

#include <QByteArray>
#include <QObject>
#include <QTimer>

class QSocketNotifier;

namespace ferry {

class ControlConnection : public QObject
{
    Q_OBJECT
public:
    // Takes over FD, a connected non-blocking socket.
    ControlConnection(int fd, const PeerIdentity &peer, QObject *parent = nullptr);
    ~ControlConnection() override;

    const PeerIdentity &peer() const { return m_peer; }

    void start();                            // starts reading
    void reply(const QByteArray &line);      // answers the request handed out last (no newline)
    // One more line for a request that streams (`subscribe`): the request stays in progress, so
    // the connection serves nothing else. A client that leaves more than ReplyHighWaterBytes
    // unread is closed: a subscriber is never allowed to make the engine hold its backlog.
    void stream(const QByteArray &line);
    bool isClosed() const { return m_fd < 0; }

signals:
    void requestReceived(const QByteArray &line);
    void closed(); // once; the socket is closed already

private:
    void onReadable();
    void onWritable();
    void onTimeout();
    void pump();
    void closeWith(const QByteArray &line);
    bool takeLine(QByteArray *line);
    bool hasCompleteLine();
    void queue(const QByteArray &bytes);
    void writeSome();
    void updateNotifiers();
    void closeIfDone();
    void closeNow(const char *why);
    bool peerGone() const;
    qint64 unwritten() const { return m_out.size() - m_outPos; }

    int m_fd;
    PeerIdentity m_peer;
    QSocketNotifier *m_reader;
    QSocketNotifier *m_writer;
    QTimer m_timer;
    QByteArray m_in;          // received, from m_inPos on not yet handed out
    qsizetype m_inPos = 0;
    qsizetype m_scanned = 0;  // m_in from m_inPos to here holds no newline
    QByteArray m_out;         // replies, from m_outPos on not yet written
    qsizetype m_outPos = 0;
    bool m_inFlight = false;  // a request was handed out and not yet answered
    bool m_eof = false;       // the client sends nothing more
    bool m_closing = false;   // write what is queued, then close
    bool m_pumping = false;
    bool m_pumpQueued = false;
};

} // namespace ferry
