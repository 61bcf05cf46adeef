// The listening end of the control socket: a Unix stream socket at the profile's path, and an
// accept loop that outlives running out of descriptors. (QLocalServer closes itself, and deletes
// its socket file, on the first accept() that fails: an engine out of descriptors would stay
// unreachable for good.) Out of descriptors, the listener gives up a spare one it keeps for the
// purpose, takes the waiting client with it, sends it the refusal line and closes it again, so
// clients hear why instead of hanging; where even that fails it pauses and retries on a timer,
// never spinning on a backlog it cannot take. It logs once when that starts and once when it ends.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QTimer>

class QSocketNotifier;

namespace ferry {

class ControlListener : public QObject
{
    Q_OBJECT
public:
    explicit ControlListener(QObject *parent = nullptr);
    ~ControlListener() override;

    // Binds PATH (replacing what is there: the engine lock makes a leftover stale), connectable by
    // every local user when worldAccess, else by this user only.
    bool listen(const QString &path, bool worldAccess, QString *error);
    void close(); // and removes the socket file
    bool isListening() const { return m_fd >= 0; }

    // What a client turned away for want of descriptors gets (one line, no newline).
    void setOutOfDescriptorsLine(const QByteArray &line) { m_refusal = line + '\n'; }

signals:
    // A connected client: a non-blocking, close-on-exec socket the receiver now owns.
    void accepted(int fd);

private:
    enum class Spare { Refused, BacklogEmpty, Unavailable };

    void onActivated();
    Spare refuseOneWithSpare();
    void starve(int error);
    void relisten();
    void closeSocket();

    QString m_path;
    bool m_worldAccess = false;
    int m_fd = -1;
    int m_spare = -1;
    QSocketNotifier *m_notifier = nullptr;
    QTimer m_retry;
    bool m_starved = false;          // logged that it started
    bool m_relistenFailed = false;   // logged that listening anew failed
    QByteArray m_refusal;
};

} // namespace ferry
