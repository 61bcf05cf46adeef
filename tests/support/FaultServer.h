#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QUrl>

#include <memory>

class QThread;

namespace ferry::test {

class FaultServerState;

// HTTP/1.1 fault-injecting server on 127.0.0.1:<random port>. It runs in its
// own thread, so it keeps serving while the test's main thread is blocked.
// Every payload is TestContent::bytes(seed, ...); query params `size`
// (default 1 MiB) and `seed` (default 1). Scenarios (by path):
//   /file            well-behaved: Range, If-Range, ETag, Last-Modified
//   /drop?after=N    1st request to this exact path+query: full headers, N body
//                    bytes, then abort; later requests behave like /file
//   /retry503?times=K&after=S  first K requests: 503 + Retry-After: S
//   /etag-change?after=N  1st: ETag "v1", drops after N bytes; later: ETag
//                    "v2", other Last-Modified, content seed+1000
//   /norange[?after=N]  ignores Range/If-Range, no Accept-Ranges (optional drop)
//   /trickle?chunk=B&interval=MS  body in B-byte pieces every MS ms
//   /status?code=C   status C with a small HTML body
//   /loop            302 -> /loop;  /redirect?to=<encoded path>  302 -> path
//   /nolength        no Content-Length, Connection: close
//   /chunked         Transfer-Encoding: chunked
//   anything else    404
// "after" defaults to size/2 for /drop and /etag-change.
class FaultServer : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FaultServer)

public:
    struct Request
    {
        QByteArray method;
        QByteArray path;  // including the query
        QByteArray rangeHeader;
        QByteArray ifRangeHeader;
        QHash<QByteArray, QByteArray> headers;  // lower-case names
        int status = 0;                         // 0 until the head is written
        qint64 bodyBytesSent = 0;               // body bytes handed to the socket
    };

    explicit FaultServer(QObject *parent = nullptr);  // blocks until listening
    ~FaultServer() override;

    quint16 port() const;
    QUrl url(const QString &pathAndQuery) const;

    QList<Request> requests() const;  // thread-safe snapshot, arrival order
    int requestCount(const QByteArray &pathPrefix) const;
    void clear();  // forgets recorded requests only
    // Forgets which path+query strings were already requested, so /drop,
    // /retry503 and /etag-change misbehave again. (Alternatively add a unique
    // dummy query parameter per test.)
    void resetScenarios();

private:
    std::unique_ptr<FaultServerState> m_state;
    std::unique_ptr<QThread> m_thread;
    quint16 m_port = 0;
};

} // namespace ferry::test
