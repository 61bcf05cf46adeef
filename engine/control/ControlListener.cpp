#include "control/ControlListener.h"

#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTemporaryDir>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace ferry {

Q_DECLARE_LOGGING_CATEGORY(lcControl)

namespace {

constexpr int Backlog = 128;
constexpr int MaxAcceptsPerTurn = 64;  // then other events get their turn
constexpr int RetryMs = 250;           // while even the spare descriptor is gone, or listening failed

int openSpare()
{
    return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

} // namespace

ControlListener::ControlListener(QObject *parent)
    : QObject(parent)
{
    m_retry.setSingleShot(true);
    m_retry.setInterval(RetryMs);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        if (m_fd < 0)
            return relisten();
        m_notifier->setEnabled(true);
        onActivated();
    });
}

ControlListener::~ControlListener()
{
    close();
}

bool ControlListener::listen(const QString &path, bool worldAccess, QString *error)
{
    close();
    m_path = path;
    m_worldAccess = worldAccess;
    const auto fail = [error, &path](const QString &why) {
        if (error)
            *error = QStringLiteral("cannot listen on %1: %2").arg(path, why);
        return false;
    };
    // Bound in a private folder next to PATH, given its mode there and only then renamed into
    // place: the socket never exists at PATH with other permissions.
    QTemporaryDir scratch(QFileInfo(path).absolutePath() + QStringLiteral("/XXXXXX"));
    if (!scratch.isValid())
        return fail(scratch.errorString());
    const QByteArray target = QFile::encodeName(path);
    const QByteArray bound = QFile::encodeName(scratch.filePath(QStringLiteral("s")));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (target.size() >= qsizetype(sizeof addr.sun_path) || bound.size() >= qsizetype(sizeof addr.sun_path))
        return fail(QStringLiteral("the path is too long for a socket"));
    std::memcpy(addr.sun_path, bound.constData(), size_t(bound.size()));

    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return fail(errnoText(errno));
    if (::bind(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0
        || ::chmod(bound.constData(), worldAccess ? 0777 : 0700) != 0 || ::listen(fd, Backlog) != 0
        || ::rename(bound.constData(), target.constData()) != 0) {
        const int e = errno;
        ::close(fd);
        return fail(errnoText(e));
    }
    m_fd = fd;
    m_spare = openSpare();
    m_notifier = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &ControlListener::onActivated);
    return true;
}

void ControlListener::close()
{
    const bool wasListening = m_fd >= 0;
    closeSocket();
    if (wasListening)
        ::unlink(QFile::encodeName(m_path).constData());
}

void ControlListener::closeSocket()
{
    m_retry.stop();
    if (m_notifier) {
        m_notifier->setEnabled(false);
        m_notifier->deleteLater();
        m_notifier = nullptr;
    }
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    if (m_spare >= 0)
        ::close(m_spare);
    m_spare = -1;
}

void ControlListener::onActivated()
{
    for (int i = 0; i < MaxAcceptsPerTurn && m_fd >= 0; ++i) {
        const int fd = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            if (m_starved) {
                m_starved = false;
                qCInfo(lcControl) << "descriptors are free again: accepting control connections";
            }
            if (m_spare < 0)
                m_spare = openSpare();
            emit accepted(fd);
            continue;
        }
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return;
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
        case EPERM:
            continue; // that client only
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            return starve(errno);
        default:
            qCWarning(lcControl).noquote() << QStringLiteral("accepting on %1 failed (%2): listening anew").arg(m_path, errnoText(errno));
            return relisten();
        }
    }
}

// Out of descriptors (or memory): turn the waiting clients away with the refusal line, one at a
// time through the spare descriptor; pause and retry when even that is not possible.
void ControlListener::starve(int error)
{
    if (!m_starved) {
        m_starved = true;
        qCWarning(lcControl).noquote()
            << QStringLiteral("out of descriptors (%1): turning control connections away until some are free").arg(errnoText(error));
    }
    for (int i = 0; i < MaxAcceptsPerTurn; ++i) {
        switch (refuseOneWithSpare()) {
        case Spare::Refused:
            continue;
        case Spare::BacklogEmpty:
            return; // the notifier stays on: the next client tries again
        case Spare::Unavailable:
            m_notifier->setEnabled(false); // a level-triggered notifier would spin on the backlog
            m_retry.start();
            return;
        }
    }
}

ControlListener::Spare ControlListener::refuseOneWithSpare()
{
    if (m_spare < 0)
        m_spare = openSpare();
    if (m_spare < 0)
        return Spare::Unavailable;
    ::close(m_spare);
    m_spare = -1;
    const int fd = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    const int acceptError = errno;
    if (fd >= 0) {
        [[maybe_unused]] const ssize_t sent = ::send(fd, m_refusal.constData(), size_t(m_refusal.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
        ::close(fd);
    }
    m_spare = openSpare();
    if (fd < 0 && (acceptError == EAGAIN || acceptError == EWOULDBLOCK))
        return m_spare >= 0 ? Spare::BacklogEmpty : Spare::Unavailable;
    if (fd < 0 && acceptError != EINTR && acceptError != ECONNABORTED)
        return Spare::Unavailable;
    return m_spare >= 0 ? Spare::Refused : Spare::Unavailable;
}

// The listening socket itself failed: a new one at the same path, retried until it works.
void ControlListener::relisten()
{
    closeSocket();
    QString error;
    if (listen(m_path, m_worldAccess, &error)) {
        if (m_relistenFailed)
            qCInfo(lcControl).noquote() << QStringLiteral("listening on %1 again").arg(m_path);
        m_relistenFailed = false;
        return;
    }
    if (!m_relistenFailed)
        qCWarning(lcControl).noquote() << error << "(retrying)";
    m_relistenFailed = true;
    m_retry.start();
}

} // namespace ferry
