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
// Exit codes: 0 a reply line was printed; 2 usage or no connection; 3 the engine sent no reply.
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QLocalSocket>

#include <cerrno>
#include <csignal>
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

} // namespace

int main(int argc, char **argv)
{
    if (argc > 1 && std::strcmp(argv[1], "--exec-after-connect") == 0)
        return execAfterConnect(argv, argc);
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
