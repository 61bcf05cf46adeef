// ferry-rawclient SOCKETPATH 'JSON-LINE': sends one request line to an engine's control socket
// exactly as given and prints the one reply line. The tests use it to send what ferry-admin never
// would, such as requests claiming another owner, uid or elevation, to show the engine ignores
// every identity a client asserts about itself. Deliberately free of engine code, so nothing in
// the request is shaped by Ferry's own client.
//
// ferry-rawclient --exec-after-connect SOCKETPATH 'JSON-LINE' PROGRAM [ARGS...]: connects, then
// forks; the child keeps the socket, waits until this process has exec'd PROGRAM (a setuid
// program such as su, kept waiting at its password prompt on a fresh pseudo-terminal) and only
// then sends the request, prints the reply and kills PROGRAM. It is the attack of a client that
// connects as itself and then makes the connecting pid look elevated.
//
// ferry-rawclient --hold N SOCKETPATH: opens N connections, sends a `list` request on each and
// reads one line from each; prints "held H turned-away T failed F" (H answered, T answered with
// an error line and closed, F not even connected) and then the first error line (an empty line
// if none), and keeps the connections until its standard input ends. The attack of a client
// that makes the engine hold as many connections as it can.
//
// ferry-rawclient --hog SOCKETPATH BYTES 'JSON-LINE': sends the line over and over, up to BYTES,
// and never reads a reply. Prints "stalled SENT" once the engine has taken nothing for a second,
// and "dropped SENT" once the engine closed the connection (then exits 0), or "sent SENT" when
// everything was taken. The attack of a client that makes the engine pile up replies.
//
// Exit codes: 0 a reply line was printed; 2 usage or no connection; 3 the engine sent no reply.
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QLocalSocket>

#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <vector>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

constexpr int ConnectTimeoutMs = 5000;
constexpr int ReplyTimeoutMs = 30000;

int failWith(int code, const QString &message)
{
    std::fprintf(stderr, "ferry-rawclient: %s\n", qPrintable(message));
    return code;
}

// /proc/PID/status "Uid:" field 2, the effective uid; -1 when unreadable.
long effectiveUid(pid_t pid)
{
    const std::string path = "/proc/" + std::to_string(pid) + "/status";
    FILE *f = std::fopen(path.c_str(), "r");
    if (!f)
        return -1;
    char line[256];
    long ruid = -1, euid = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "Uid: %ld %ld", &ruid, &euid) == 2)
            break;
    std::fclose(f);
    return euid;
}

int execAfterConnect(char **argv, int argc)
{
    if (argc < 5)
        return failWith(2, QStringLiteral("usage: ferry-rawclient --exec-after-connect SOCKETPATH 'JSON-LINE' PROGRAM [ARGS...]"));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, argv[2], sizeof addr.sun_path - 1);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
        return failWith(2, QStringLiteral("cannot connect to %1: %2").arg(QString::fromLocal8Bit(argv[2]), QString::fromLocal8Bit(std::strerror(errno))));
    const long ownEuid = long(::geteuid());
    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child < 0)
        return failWith(2, QStringLiteral("fork failed"));
    if (child == 0) {
        // Wait (up to 10 s) for the parent to be the setuid program, then speak.
        for (int i = 0; i < 500 && effectiveUid(parent) == ownEuid; ++i)
            ::usleep(20000);
        std::string line = argv[3];
        line += '\n';
        if (::write(fd, line.data(), line.size()) != ssize_t(line.size()))
            ::_exit(3);
        std::string reply;
        char c;
        while (::read(fd, &c, 1) == 1 && c != '\n')
            reply += c;
        if (!reply.empty()) {
            reply += '\n';
            std::fwrite(reply.data(), 1, reply.size(), stdout);
            std::fflush(stdout);
        }
        ::kill(parent, SIGKILL); // ends the waiting program: the caller sees the run end here
        ::_exit(reply.empty() ? 3 : 0);
    }
    // Parent: PROGRAM gets a pseudo-terminal of its own as controlling terminal.
    ::setsid();
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0)
        return failWith(2, QStringLiteral("no pseudo-terminal"));
    const int slave = ::open(::ptsname(master), O_RDWR);
    if (slave < 0 || ::ioctl(slave, TIOCSCTTY, 0) != 0)
        return failWith(2, QStringLiteral("cannot take the pseudo-terminal"));
    ::dup2(slave, 0);
    ::dup2(slave, 1);
    ::dup2(slave, 2);
    ::close(fd); // only the child speaks on the socket
    ::execv(argv[4], argv + 4);
    ::_exit(127);
}

int connectTo(const char *path, bool nonBlocking)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        return -1;
    const timeval timeout{ConnectTimeoutMs / 1000, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// One line (without the newline) within the deadline; empty when none came.
std::string readLine(int fd, const QDeadlineTimer &deadline)
{
    std::string line;
    char c;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, int(qMax<qint64>(0, deadline.remainingTime()))) <= 0)
            return {};
        const ssize_t n = ::read(fd, &c, 1);
        if (n <= 0)
            return {};
        if (c == '\n')
            return line;
        line += c;
    }
}

int hold(char **argv, int argc)
{
    if (argc != 4)
        return failWith(2, QStringLiteral("usage: ferry-rawclient --hold N SOCKETPATH"));
    const int count = std::atoi(argv[2]);
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    std::vector<int> fds;
    int failed = 0;
    for (int i = 0; i < count; ++i) {
        const int fd = connectTo(argv[3], false);
        if (fd < 0)
            ++failed;
        else
            fds.push_back(fd);
    }
    const std::string request = "{\"verb\":\"list\",\"json\":false}\n";
    for (int fd : fds)
        [[maybe_unused]] const ssize_t sent = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    int held = 0, turnedAway = 0;
    std::string firstError;
    const QDeadlineTimer deadline(ReplyTimeoutMs);
    for (int fd : fds) {
        const std::string line = readLine(fd, deadline);
        if (line.find("\"ok\":true") != std::string::npos) {
            ++held;
        } else {
            ++turnedAway;
            if (firstError.empty())
                firstError = line;
        }
    }
    std::printf("held %d turned-away %d failed %d\n%s\n", held, turnedAway, failed, firstError.c_str());
    std::fflush(stdout);
    char buffer[256];
    while (::read(0, buffer, sizeof buffer) > 0) {
    }
    for (int fd : fds)
        ::close(fd);
    return 0;
}

int hog(char **argv, int argc)
{
    if (argc != 5)
        return failWith(2, QStringLiteral("usage: ferry-rawclient --hog SOCKETPATH BYTES 'JSON-LINE'"));
    const int fd = connectTo(argv[2], true);
    if (fd < 0)
        return failWith(2, QStringLiteral("cannot connect to %1").arg(QString::fromLocal8Bit(argv[2])));
    const long long total = std::atoll(argv[3]);
    std::string chunk;
    while (chunk.size() < 64 * 1024)
        chunk += std::string(argv[4]) + '\n';
    long long sent = 0;
    bool stalled = false;
    while (sent < total) {
        pollfd p{fd, POLLOUT, 0};
        const int ready = ::poll(&p, 1, 1000);
        if (ready == 0 && !stalled) {
            stalled = true;
            std::printf("stalled %lld\n", sent);
            std::fflush(stdout);
        }
        if (ready <= 0)
            continue;
        if (p.revents & (POLLHUP | POLLERR))
            break;
        const ssize_t n = ::send(fd, chunk.data(), size_t(qMin<long long>(total - sent, qint64(chunk.size()))), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
        sent += qMax<ssize_t>(n, 0);
    }
    if (sent >= total) {
        std::printf("sent %lld\n", sent);
        std::fflush(stdout);
        pollfd p{fd, POLLRDHUP, 0}; // until the engine closes
        while (::poll(&p, 1, -1) >= 0 && !(p.revents & (POLLHUP | POLLERR | POLLRDHUP)))
            ;
    }
    std::printf("dropped %lld\n", sent);
    std::fflush(stdout);
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc > 1 && std::strcmp(argv[1], "--exec-after-connect") == 0)
        return execAfterConnect(argv, argc);
    if (argc > 1 && std::strcmp(argv[1], "--hold") == 0)
        return hold(argv, argc);
    if (argc > 1 && std::strcmp(argv[1], "--hog") == 0)
        return hog(argv, argc);
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments().mid(1);
    if (args.size() != 2)
        return failWith(2, QStringLiteral("usage: ferry-rawclient SOCKETPATH 'JSON-LINE'"));

    QLocalSocket socket;
    socket.connectToServer(args[0]);
    if (!socket.waitForConnected(ConnectTimeoutMs))
        return failWith(2, QStringLiteral("cannot connect to %1: %2").arg(args[0], socket.errorString()));

    QByteArray line = args[1].toUtf8();
    if (!line.endsWith('\n'))
        line += '\n';
    socket.write(line);
    if (!socket.waitForBytesWritten(ConnectTimeoutMs) && socket.bytesToWrite() > 0)
        return failWith(3, QStringLiteral("cannot send the request: %1").arg(socket.errorString()));

    QDeadlineTimer deadline(ReplyTimeoutMs);
    while (!socket.canReadLine()) {
        if (socket.state() != QLocalSocket::ConnectedState || deadline.hasExpired())
            break;
        socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
    }
    if (!socket.canReadLine())
        return failWith(3, deadline.hasExpired()
                               ? QStringLiteral("no reply within %1 ms").arg(ReplyTimeoutMs)
                               : QStringLiteral("the engine closed the connection without a reply"));
    const QByteArray reply = socket.readLine();
    std::fwrite(reply.constData(), 1, size_t(reply.size()), stdout);
    std::fflush(stdout);
    socket.disconnectFromServer();
    return 0;
}
