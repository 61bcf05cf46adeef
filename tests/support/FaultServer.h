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
//   /trickle?chunk=B&interval=MS[&dropafter=N]  body in B-byte pieces every MS ms (the 1st
//                    request to this path+query aborts after N body bytes when dropafter is given)
//   /wrongrange      like /file, but a range request is answered 206 from byte 0 (and its
//                    Content-Range says so): not the range that was asked for
//   /status?code=C   status C with a small HTML body
//   /loop            302 -> /loop;  /redirect?to=<encoded path>  302 -> path
//   /nolength        no Content-Length, Connection: close
//   /chunked         Transfer-Encoding: chunked
//   /digest/<rest>   HTTP Digest (RFC 7616/2617: MD5, qop="auth", as QAuthenticator
//                    and curl --digest speak it) with setDigestCredentials(); without
//                    a valid Authorization: 401 + WWW-Authenticate: Digest realm,
//                    qop, nonce (fresh, random), opaque, algorithm=MD5. Valid: served
//                    as /<rest>, e.g. /digest/file?size=N == /file?size=N. A valid
//                    response needs our user, realm, opaque and an issued nonce (any
//                    nc), a uri equal to the request target (or its absolute form).
//   /basic/<rest>    HTTP Basic, same credentials: 401 + WWW-Authenticate: Basic
//                    realm="..." unless Authorization: Basic base64(user:password);
//                    then served as /<rest>
//   anything else    404
// Every scenario that serves the payload (/file, /drop, /etag-change, ..., and the /digest/
// and /basic/ prefixes) also takes, on 200, 206 and HEAD (headers of the full response, no
// body):
//   digest=sha256    Repr-Digest: sha-256=:<base64 SHA-256 of the whole payload>:
//   digest=sha512    Repr-Digest: sha-512=:<base64 SHA-512 ...>: (no sha-256)
//   digest=wrong     Repr-Digest: sha-256 of other bytes (the payload of seed+1)
//   cc=<value>       Cache-Control: <value>, e.g. cc=no-store
//   cookie=1         Set-Cookie: sid=session-secret; Path=/; HttpOnly
//   head=405         HEAD answered 405 (an origin that will not answer HEAD)
// /file always sends a strong ETag ("f<seed>-<size>") and a fixed Last-Modified.
// "after" defaults to size/2 for /drop and /etag-change. Requests answered 401 are
// recorded (requests(), requestCount()) but do not count as a visit for /drop,
// /retry503 and /etag-change. Without setDigestCredentials() /digest/ and /basic/
// always answer 401.
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
    // Credentials for /digest/ and /basic/ (realm used in both challenges).
    // Thread-safe; takes effect for the next request.
    void setDigestCredentials(const QByteArray &user, const QByteArray &password,
                              const QByteArray &realm = "ferry-digest");

private:
    std::unique_ptr<FaultServerState> m_state;
    std::unique_ptr<QThread> m_thread;
    quint16 m_port = 0;
};

} // namespace ferry::test
