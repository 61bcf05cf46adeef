#include "control/ControlConnection.h"

#include "control/AdminReply.h"
#include "control/ControlLimits.h"

#include <QLoggingCategory>
#include <QSocketNotifier>

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ferry {

Q_DECLARE_LOGGING_CATEGORY(lcControl)

namespace {

constexpr qint64 ReadChunkBytes = 64 * 1024;
constexpr qint64 InputCapacity = control::MaxRequestBytes + 1; // the longest request and its newline

} // namespace

ControlConnection::ControlConnection(int fd, const PeerIdentity &peer, QObject *parent)
    : QObject(parent)
    , m_fd(fd)
    , m_peer(peer)
    , m_reader(new QSocketNotifier(fd, QSocketNotifier::Read, this))
    , m_writer(new QSocketNotifier(fd, QSocketNotifier::Write, this))
{
    m_reader->setEnabled(false);
    m_writer->setEnabled(false);
    connect(m_reader, &QSocketNotifier::activated, this, &ControlConnection::onReadable);
    connect(m_writer, &QSocketNotifier::activated, this, &ControlConnection::onWritable);
    m_timer.setSingleShot(true);
    m_timer.setInterval(control::idleTimeoutMs());
    connect(&m_timer, &QTimer::timeout, this, &ControlConnection::onTimeout);
}

ControlConnection::~ControlConnection()
{
    if (m_fd >= 0) {
        m_reader->setEnabled(false);
        m_writer->setEnabled(false);
        ::close(m_fd);
    }
}

void ControlConnection::start()
{
    m_timer.start();
    updateNotifiers();
}

void ControlConnection::reply(const QByteArray &line)
{
    if (!m_inFlight || m_fd < 0)
        return;
    m_inFlight = false;
    m_timer.start();
    queue(line + '\n');
    pump(); // the next request, unless this reply came from within pump()
}

void ControlConnection::stream(const QByteArray &line)
{
    if (!m_inFlight || m_fd < 0 || m_closing)
        return;
    m_timer.start();
    queue(line + '\n');
    if (unwritten() > control::ReplyHighWaterBytes)
        closeNow("it left its events unread");
}

void ControlConnection::closeWith(const QByteArray &line)
{
    m_closing = true;
    queue(line + '\n');
    updateNotifiers();
    closeIfDone();
}

void ControlConnection::onReadable()
{
    if (m_fd < 0)
        return;
    if (m_inPos > 0) { // only the start of a request is left: reading stops while a whole one waits
        m_in.remove(0, m_inPos);
        m_scanned -= m_inPos;
        m_inPos = 0;
    }
    char buffer[ReadChunkBytes];
    const qint64 room = qMin(InputCapacity - m_in.size(), ReadChunkBytes);
    const ssize_t n = room > 0 ? ::recv(m_fd, buffer, size_t(room), MSG_DONTWAIT) : -1;
    if (n > 0) {
        m_in.append(buffer, n);
    } else if (n == 0) {
        // The client sends nothing more. Gone altogether: nobody hears replies. Half-closed: it
        // gets the replies to what it sent, then the connection closes.
        m_eof = true;
        if (peerGone())
            return closeNow(nullptr);
    } else if (room > 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return closeNow(nullptr);
    }
    pump();
}

void ControlConnection::onWritable()
{
    writeSome();
    pump(); // resumes serving once the client has read enough
}

// Hands out the requests received, one at a time, while the client reads its replies.
void ControlConnection::pump()
{
    if (m_pumping || m_fd < 0)
        return;
    m_pumping = true;
    int served = 0;
    QByteArray line;
    while (m_fd >= 0 && !m_closing && !m_inFlight && unwritten() <= control::ReplyHighWaterBytes) {
        if (served == control::MaxRequestsPerTurn) {
            // Other clients' turn; this one continues from the event loop.
            if (!m_pumpQueued) {
                m_pumpQueued = true;
                QMetaObject::invokeMethod(this, [this] { m_pumpQueued = false; pump(); }, Qt::QueuedConnection);
            }
            break;
        }
        if (!takeLine(&line))
            break;
        ++served;
        m_inFlight = true;
        m_timer.start();
        emit requestReceived(line);
    }
    m_pumping = false;
    if (m_fd < 0)
        return;
    if (!m_closing && !m_inFlight && m_in.size() - m_inPos >= InputCapacity && !hasCompleteLine())
        return closeWith(AdminReply::failure(hr::E_INVALIDARG, QStringLiteral("request too large (a request is one line of at most %1 bytes)")
                                                                   .arg(control::MaxRequestBytes))
                             .toLine());
    updateNotifiers();
    closeIfDone();
}

bool ControlConnection::hasCompleteLine()
{
    m_scanned = qMax(m_scanned, m_inPos);
    const qsizetype newline = m_in.indexOf('\n', m_scanned);
    m_scanned = newline < 0 ? m_in.size() : newline;
    return newline >= 0;
}

// The next request: a complete line, or what a half-closed client sent after its last newline.
bool ControlConnection::takeLine(QByteArray *line)
{
    if (hasCompleteLine()) {
        *line = m_in.mid(m_inPos, m_scanned - m_inPos);
        m_inPos = m_scanned = m_scanned + 1;
    } else if (m_eof && m_inPos < m_in.size()) {
        *line = m_in.mid(m_inPos);
        m_inPos = m_scanned = m_in.size();
        if (line->trimmed().isEmpty())
            return false;
    } else {
        return false;
    }
    if (m_inPos == m_in.size()) {
        m_in.clear();
        m_inPos = m_scanned = 0;
    }
    return true;
}

void ControlConnection::queue(const QByteArray &bytes)
{
    if (m_fd < 0)
        return;
    m_out.append(bytes);
    writeSome();
}

void ControlConnection::writeSome()
{
    while (m_fd >= 0 && unwritten() > 0) {
        const ssize_t n = ::send(m_fd, m_out.constData() + m_outPos, size_t(unwritten()), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            m_outPos += n;
            m_timer.start(); // the client reads: not idle
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            return closeNow(nullptr); // the client is gone
        }
    }
    if (m_outPos == m_out.size()) {
        m_out.clear();
        m_outPos = 0;
    } else if (m_outPos > m_out.size() / 2) {
        m_out.remove(0, m_outPos);
        m_outPos = 0;
    }
    updateNotifiers();
    closeIfDone();
}

void ControlConnection::updateNotifiers()
{
    if (m_fd < 0)
        return;
    // Read only while there is room and no whole request waits its turn: the input stays bounded.
    const bool wantInput = !m_eof && !m_closing && m_in.size() - m_inPos < InputCapacity && !hasCompleteLine();
    m_reader->setEnabled(wantInput);
    m_writer->setEnabled(unwritten() > 0);
}

void ControlConnection::closeIfDone()
{
    if (m_fd < 0 || !(m_eof || m_closing) || m_inFlight || m_pumping || m_pumpQueued || unwritten() > 0)
        return;
    if (!m_closing && (hasCompleteLine() || !m_in.mid(m_inPos).trimmed().isEmpty()))
        return; // more requests to serve
    closeNow(nullptr);
}

void ControlConnection::onTimeout()
{
    if (m_fd < 0)
        return;
    if (peerGone())
        return closeNow(nullptr);
    if (m_closing || unwritten() > control::ReplyHighWaterBytes)
        return closeNow("it left its replies unread");
    if (m_inFlight) {
        m_timer.start(); // a request in progress or a wait pending
        return;
    }
    closeNow(nullptr); // idle
}

// Gone altogether, not just half-closed: both directions are shut.
bool ControlConnection::peerGone() const
{
    pollfd p{m_fd, 0, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

void ControlConnection::closeNow(const char *why)
{
    if (m_fd < 0)
        return;
    if (why)
        qCWarning(lcControl).noquote() << QStringLiteral("closed a control connection of uid %1 (pid %2): %3")
                                              .arg(m_peer.uid())
                                              .arg(m_peer.pid())
                                              .arg(QLatin1String(why));
    m_reader->setEnabled(false);
    m_writer->setEnabled(false);
    m_timer.stop();
    ::close(m_fd);
    m_fd = -1;
    m_in.clear();
    m_out.clear();
    m_inPos = m_scanned = m_outPos = 0;
    m_inFlight = false;
    emit closed();
}

} // namespace ferry
