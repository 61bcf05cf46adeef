#include "FaultServer.h"

#include "TestContent.h"

#include <QCryptographicHash>
#include <QHostAddress>
#include <QMutex>
#include <QMutexLocker>
#include <QRandomGenerator>
#include <QSemaphore>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QUrlQuery>

#include <functional>
#include <utility>

namespace ferry::test {

namespace {

constexpr qint64 kPiece = 64 * 1024;        // body bytes generated per write
constexpr qint64 kWriteAhead = 256 * 1024;  // max bytes queued in the socket
constexpr qsizetype kMaxHead = 64 * 1024;
constexpr char kLastModified[] = "Tue, 03 Nov 2020 10:00:00 GMT";
constexpr char kLastModifiedV2[] = "Wed, 04 Nov 2020 10:00:00 GMT";
constexpr qsizetype kMaxNonces = 4096;  // issued Digest nonces remembered

using Headers = QList<std::pair<QByteArray, QByteArray>>;

QByteArray reasonPhrase(int code)
{
    switch (code) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 410: return "Gone";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

enum class RangeResult { Ignore, Ok, Unsatisfiable };

// Single range only: "bytes=N-", "bytes=N-M", "bytes=-N". [start, end) out.
RangeResult parseRange(const QByteArray &value, qint64 size, qint64 *start, qint64 *end)
{
    const QByteArray v = value.trimmed();
    if (!v.startsWith("bytes=") || v.contains(','))
        return RangeResult::Ignore;
    const QByteArray spec = v.mid(6).trimmed();
    const qsizetype dash = spec.indexOf('-');
    if (dash < 0)
        return RangeResult::Ignore;
    const QByteArray first = spec.left(dash).trimmed();
    const QByteArray last = spec.mid(dash + 1).trimmed();
    bool ok1 = false, ok2 = false;
    if (first.isEmpty()) {  // suffix range
        const qint64 n = last.toLongLong(&ok2);
        if (!ok2 || n < 0)
            return RangeResult::Ignore;
        if (n == 0 || size == 0)
            return RangeResult::Unsatisfiable;
        *start = qMax<qint64>(0, size - n);
        *end = size;
        return RangeResult::Ok;
    }
    const qint64 a = first.toLongLong(&ok1);
    const qint64 b = last.isEmpty() ? size - 1 : last.toLongLong(&ok2);
    if (!ok1 || a < 0 || (!last.isEmpty() && (!ok2 || b < a)))
        return RangeResult::Ignore;
    if (a >= size)
        return RangeResult::Unsatisfiable;
    *start = a;
    *end = qMin(b + 1, size);
    return RangeResult::Ok;
}

struct ParsedRequest
{
    QByteArray method, target, version;
    QHash<QByteArray, QByteArray> headers;
};

QByteArray md5Hex(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Md5).toHex();
}

QByteArray randomHex()
{
    quint32 words[4];
    QRandomGenerator::global()->fillRange(words);
    return QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
}

// An HTTP quoted-string.
QByteArray quoted(const QByteArray &s)
{
    QByteArray out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + '"';
}

// The auth-params after the scheme: `k=v, k="v"`; keys lower-cased, quotes removed.
QHash<QByteArray, QByteArray> parseAuthParams(const QByteArray &s)
{
    QHash<QByteArray, QByteArray> params;
    const qsizetype n = s.size();
    qsizetype i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
            ++i;
        const qsizetype eq = s.indexOf('=', i);
        if (eq < 0)
            break;
        const QByteArray key = s.mid(i, eq - i).trimmed().toLower();
        i = eq + 1;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            ++i;
        QByteArray value;
        if (i < n && s[i] == '"') {
            for (++i; i < n && s[i] != '"'; ++i) {
                if (s[i] == '\\' && i + 1 < n)
                    ++i;
                value += s[i];
            }
            ++i;  // the closing quote
        } else {
            const qsizetype comma = s.indexOf(',', i);
            const qsizetype end = comma < 0 ? n : comma;
            value = s.mid(i, end - i).trimmed();
            i = end;
        }
        params.insert(key, value);
    }
    return params;
}

// Splits "Scheme params" and checks the scheme case-insensitively.
bool authScheme(const QByteArray &header, const QByteArray &scheme, QByteArray *rest)
{
    const QByteArray h = header.trimmed();
    const qsizetype space = h.indexOf(' ');
    if (space < 0 || h.left(space).toLower() != scheme)
        return false;
    *rest = h.mid(space + 1).trimmed();
    return true;
}

// A Digest "uri" names the request target. Qt and curl send the origin form
// ("/path?q") even through a proxy; the absolute form is accepted as well.
bool digestUriMatches(const QByteArray &uri, const QByteArray &target)
{
    if (uri == target)
        return true;
    const qsizetype scheme = uri.indexOf("://");
    if (scheme <= 0)
        return false;
    const qsizetype slash = uri.indexOf('/', scheme + 3);
    return (slash < 0 ? QByteArray("/") : uri.mid(slash)) == target;
}

struct FileSpec
{
    enum Framing { Length, Chunked, NoLength };
    quint32 seed = 1;
    qint64 size = 0;
    QByteArray etag, lastModified;
    bool ranges = true;
    Framing framing = Length;
    qint64 dropAfter = -1;  // abort after this many body bytes (-1: never)
    qint64 trickleChunk = 0;
    int trickleIntervalMs = 0;
    QByteArray digest;        // query `digest`: sha256, sha512 or wrong (a Repr-Digest header)
    QByteArray cacheControl;  // query `cc`: sent as Cache-Control
    bool cookie = false;      // query `cookie=1`: Set-Cookie: sid=session-secret
    bool wrongRange = false;  // a range request is answered 206 from byte 0, saying so
};

// The hash of the whole payload, generated piece by piece.
QByteArray contentHash(QCryptographicHash::Algorithm algorithm, quint32 seed, qint64 size)
{
    QCryptographicHash h(algorithm);
    for (qint64 pos = 0; pos < size; pos += kPiece)
        h.addData(TestContent::bytes(seed, pos, qMin(kPiece, size - pos)));
    return h.result();
}

// RFC 9530 Repr-Digest for the full representation (also on 206 and HEAD): `sha256` and
// `sha512` the payload's own hash, `wrong` a sha-256 of other bytes (seed + 1). Empty when the
// mode is unknown or absent.
QByteArray reprDigest(const QByteArray &mode, quint32 seed, qint64 size)
{
    if (mode == "sha256")
        return "sha-256=:" + contentHash(QCryptographicHash::Sha256, seed, size).toBase64() + ":";
    if (mode == "sha512")
        return "sha-512=:" + contentHash(QCryptographicHash::Sha512, seed, size).toBase64() + ":";
    if (mode == "wrong")
        return "sha-256=:" + contentHash(QCryptographicHash::Sha256, seed + 1, size).toBase64() + ":";
    return {};
}

} // namespace

// Shared between the owner (any thread) and the server thread.
class FaultServerState
{
public:
    struct Credentials
    {
        QByteArray user, password, realm = "ferry-digest";
        bool set = false;
    };

    qsizetype add(const FaultServer::Request &r)
    {
        QMutexLocker lock(&mutex);
        requests.append(r);
        return base + requests.size() - 1;
    }
    void update(qsizetype index, const std::function<void(FaultServer::Request &)> &fn)
    {
        QMutexLocker lock(&mutex);
        if (index >= base && index - base < requests.size())
            fn(requests[index - base]);
    }
    int hit(const QByteArray &target)
    {
        QMutexLocker lock(&mutex);
        return ++hits[target];
    }

    Credentials credentials() const
    {
        QMutexLocker lock(&mutex);
        return creds;
    }
    QByteArray issueNonce()
    {
        const QByteArray nonce = randomHex();
        QMutexLocker lock(&mutex);
        nonces.append(nonce);
        if (nonces.size() > kMaxNonces)
            nonces.removeFirst();
        return nonce;
    }
    bool knownNonce(const QByteArray &nonce) const
    {
        QMutexLocker lock(&mutex);
        return !nonce.isEmpty() && nonces.contains(nonce);
    }

    mutable QMutex mutex;
    QList<FaultServer::Request> requests;
    qsizetype base = 0;  // global index of requests[0] (clear() advances it)
    QHash<QByteArray, int> hits;
    Credentials creds;
    QList<QByteArray> nonces;                // Digest nonces we issued, oldest first
    const QByteArray opaque = randomHex();   // per server; clients must echo it
};

namespace {

// One client connection; lives in the server thread. Handles keep-alive
// requests one at a time (no pipelining needed for QNAM).
class Connection : public QObject
{
public:
    Connection(QTcpSocket *socket, FaultServerState *state, QObject *parent)
        : QObject(parent), m_sock(socket), m_state(state), m_timer(new QTimer(this))
    {
        m_sock->setParent(this);
        connect(m_sock, &QTcpSocket::readyRead, this, [this] {
            m_in += m_sock->readAll();
            if (!m_active)
                processNext();
        });
        connect(m_sock, &QTcpSocket::bytesWritten, this, [this] { pump(false); });
        connect(m_sock, &QTcpSocket::disconnected, this, [this] {
            m_active = false;
            m_timer->stop();
            deleteLater();
        });
        connect(m_timer, &QTimer::timeout, this, [this] { pump(true); });
    }

    ~Connection() override
    {
        m_sock->disconnect(this);
        m_sock->abort();
    }

private:
    void processNext();
    void handle(const ParsedRequest &p);
    void serveFile(const ParsedRequest &p, const FileSpec &f);
    bool digestAuthorized(const ParsedRequest &p) const;
    bool basicAuthorized(const ParsedRequest &p) const;
    void sendUnauthorized(bool digest);
    void sendSimple(int status, const QByteArray &type, const QByteArray &body,
                    Headers extra = {});
    void writeHead(int status, const Headers &headers);
    void pump(bool tick);
    void finishResponse();
    bool connected() const { return m_sock->state() == QAbstractSocket::ConnectedState; }

    QTcpSocket *m_sock;
    FaultServerState *m_state;
    QTimer *m_timer;
    QByteArray m_in;
    qsizetype m_record = -1;
    bool m_active = false;  // a response is in progress
    bool m_closeAfter = false;
    bool m_closing = false;
    bool m_head = false;
    // Body streaming state: content positions [m_pos, m_end).
    quint32 m_seed = 0;
    qint64 m_pos = 0, m_end = 0, m_sent = 0, m_limit = -1, m_trickleChunk = 0;
    bool m_chunked = false;
};

void Connection::processNext()
{
    if (m_active || m_closing || !connected())
        return;
    while (m_in.startsWith("\r\n"))
        m_in.remove(0, 2);
    const qsizetype headEnd = m_in.indexOf("\r\n\r\n");
    if (headEnd < 0) {
        if (m_in.size() > kMaxHead)
            m_sock->abort();
        return;
    }
    const QList<QByteArray> lines = m_in.left(headEnd).split('\n');
    ParsedRequest p;
    const QList<QByteArray> parts = lines.first().trimmed().split(' ');
    if (parts.size() == 3) {
        p.method = parts[0];
        p.target = parts[1];
        p.version = parts[2];
    }
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = lines[i].left(colon).trimmed().toLower();
        const QByteArray value = lines[i].mid(colon + 1).trimmed();
        p.headers[name] = p.headers.contains(name) ? p.headers[name] + ", " + value : value;
    }
    const qint64 bodyLength = p.headers.value("content-length").toLongLong();
    if (m_in.size() < headEnd + 4 + bodyLength)
        return;  // wait for the (ignored) request body
    m_in.remove(0, headEnd + 4 + bodyLength);
    handle(p);
}

void Connection::handle(const ParsedRequest &p)
{
    FaultServer::Request rec;
    rec.method = p.method;
    rec.path = p.target;
    rec.rangeHeader = p.headers.value("range");
    rec.ifRangeHeader = p.headers.value("if-range");
    rec.headers = p.headers;
    m_record = m_state->add(rec);
    m_active = true;
    m_head = p.method == "HEAD";
    m_closeAfter = p.version != "HTTP/1.1"
                   || p.headers.value("connection").toLower().contains("close");
    if (p.method.isEmpty() || !p.target.startsWith('/')) {
        m_closeAfter = true;
        return sendSimple(400, "text/plain", "bad request\n");
    }

    const qsizetype qmark = p.target.indexOf('?');
    QByteArray path = qmark < 0 ? p.target : p.target.left(qmark);
    // Auth prefixes: challenge until authorized, then serve the rest as its own scenario.
    // Before hit(): a 401 is not a visit of /drop, /retry503, /etag-change.
    const bool digest = path.startsWith("/digest/");
    if (digest || path.startsWith("/basic/")) {
        if (!(digest ? digestAuthorized(p) : basicAuthorized(p)))
            return sendUnauthorized(digest);
        path.remove(0, digest ? 7 : 6);  // "/digest/file" -> "/file"
    }
    const int hit = m_state->hit(p.target);
    const QUrlQuery query(qmark < 0 ? QString() : QString::fromLatin1(p.target.mid(qmark + 1)));
    const auto num = [&query](const char *key, qint64 fallback) {
        bool ok = false;
        const qint64 v = query.queryItemValue(QLatin1String(key)).toLongLong(&ok);
        return ok ? v : fallback;
    };

    FileSpec f;
    f.seed = quint32(num("seed", 1));
    f.size = qMax<qint64>(0, num("size", 1 << 20));
    f.etag = "\"f" + QByteArray::number(f.seed) + "-" + QByteArray::number(f.size) + "\"";
    f.lastModified = kLastModified;
    f.digest = query.queryItemValue(QStringLiteral("digest")).toLatin1();
    f.cacheControl = query.queryItemValue(QStringLiteral("cc"), QUrl::FullyDecoded).toLatin1();
    f.cookie = query.queryItemValue(QStringLiteral("cookie")) == QLatin1String("1");
    if (m_head && query.queryItemValue(QStringLiteral("head")) == QLatin1String("405")) {
        m_closeAfter = true;
        return sendSimple(405, "text/plain", "HEAD not allowed here\n");
    }

    if (path == "/file")
        return serveFile(p, f);
    if (path == "/drop") {
        if (hit == 1)
            f.dropAfter = num("after", f.size / 2);
        return serveFile(p, f);
    }
    if (path == "/retry503") {
        if (hit > num("times", 1))
            return serveFile(p, f);
        return sendSimple(503, "text/plain", "service unavailable, retry later\n",
                          {{"Retry-After", QByteArray::number(num("after", 1))}});
    }
    if (path == "/etag-change") {
        if (hit == 1) {
            f.etag = "\"v1\"";
            f.dropAfter = num("after", f.size / 2);
        } else {
            f.etag = "\"v2\"";
            f.lastModified = kLastModifiedV2;
            f.seed += 1000;
        }
        return serveFile(p, f);
    }
    if (path == "/norange") {
        f.ranges = false;
        f.lastModified.clear();
        if (hit == 1 && query.hasQueryItem(QStringLiteral("after")))
            f.dropAfter = num("after", 0);
        return serveFile(p, f);
    }
    if (path == "/wrongrange") {
        f.wrongRange = true;
        return serveFile(p, f);
    }
    if (path == "/trickle") {
        f.trickleChunk = qMax<qint64>(1, num("chunk", 512));
        f.trickleIntervalMs = int(qMax<qint64>(0, num("interval", 20)));
        if (hit == 1 && query.hasQueryItem(QStringLiteral("dropafter")))
            f.dropAfter = num("dropafter", 0);
        return serveFile(p, f);
    }
    if (path == "/nolength" || path == "/chunked") {
        f.ranges = false;
        f.etag.clear();
        f.lastModified.clear();
        f.framing = path == "/chunked" ? FileSpec::Chunked : FileSpec::NoLength;
        return serveFile(p, f);
    }
    if (path == "/status") {
        const int code = int(num("code", 200));
        return sendSimple(code, "text/html",
                          "<html><body>status " + QByteArray::number(code) + "</body></html>\n");
    }
    if (path == "/loop" || path == "/redirect") {
        const QByteArray to = path == "/loop"
            ? QByteArray("/loop")
            : query.queryItemValue(QStringLiteral("to"), QUrl::FullyDecoded).toUtf8();
        return sendSimple(302, "text/html", "<a href=\"" + to + "\">moved</a>\n",
                          {{"Location", to}});
    }
    sendSimple(404, "text/html", "<html><body>not found</body></html>\n");
}

bool Connection::digestAuthorized(const ParsedRequest &p) const
{
    QByteArray params;
    const FaultServerState::Credentials c = m_state->credentials();
    if (!c.set || !authScheme(p.headers.value("authorization"), "digest", &params))
        return false;
    const QHash<QByteArray, QByteArray> a = parseAuthParams(params);
    const QByteArray uri = a.value("uri");
    const QByteArray nonce = a.value("nonce");
    const QByteArray nc = a.value("nc");
    const QByteArray cnonce = a.value("cnonce");
    const QByteArray qop = a.value("qop");
    if (a.value("username") != c.user || a.value("realm") != c.realm || qop != "auth"
        || a.value("algorithm", "MD5").toUpper() != "MD5" || nc.isEmpty() || cnonce.isEmpty()
        || a.value("opaque") != m_state->opaque || !m_state->knownNonce(nonce)
        || !digestUriMatches(uri, p.target))
        return false;
    // RFC 2617 3.2.2.1 with qop=auth: the digest is computed over the uri as sent.
    const QByteArray ha1 = md5Hex(c.user + ':' + c.realm + ':' + c.password);
    const QByteArray ha2 = md5Hex(p.method + ':' + uri);
    const QByteArray expected = md5Hex(ha1 + ':' + nonce + ':' + nc + ':' + cnonce + ':' + qop + ':' + ha2);
    return a.value("response").toLower() == expected;
}

bool Connection::basicAuthorized(const ParsedRequest &p) const
{
    QByteArray token;
    const FaultServerState::Credentials c = m_state->credentials();
    if (!c.set || !authScheme(p.headers.value("authorization"), "basic", &token))
        return false;
    const auto decoded = QByteArray::fromBase64Encoding(token, QByteArray::AbortOnBase64DecodingErrors);
    return decoded && *decoded == c.user + ':' + c.password;
}

void Connection::sendUnauthorized(bool digest)
{
    const QByteArray realm = quoted(m_state->credentials().realm);
    const QByteArray challenge = digest
        ? "Digest realm=" + realm + ", qop=\"auth\", nonce=\"" + m_state->issueNonce()
              + "\", opaque=\"" + m_state->opaque + "\", algorithm=MD5"
        : "Basic realm=" + realm;
    sendSimple(401, "text/html", "<html><body>401 authorization required</body></html>\n",
               {{"WWW-Authenticate", challenge}});
}

void Connection::serveFile(const ParsedRequest &p, const FileSpec &f)
{
    int status = 200;
    qint64 start = 0, end = f.size;
    const QByteArray range = p.headers.value("range");
    const QByteArray ifRange = p.headers.value("if-range");
    if (f.ranges && !range.isEmpty()
        && (ifRange.isEmpty() || ifRange == f.etag
            || (!f.lastModified.isEmpty() && ifRange == f.lastModified))) {
        switch (parseRange(range, f.size, &start, &end)) {
        case RangeResult::Ignore:
            start = 0;
            end = f.size;
            break;
        case RangeResult::Ok:
            status = 206;
            if (f.wrongRange)
                start = 0;
            break;
        case RangeResult::Unsatisfiable:
            return sendSimple(416, "text/plain", QByteArray(),
                              {{"Content-Range", "bytes */" + QByteArray::number(f.size)},
                               {"ETag", f.etag}});
        }
    }

    Headers h;
    if (!f.etag.isEmpty())
        h.emplaceBack("ETag", f.etag);
    if (!f.lastModified.isEmpty())
        h.emplaceBack("Last-Modified", f.lastModified);
    if (f.ranges)
        h.emplaceBack("Accept-Ranges", "bytes");
    if (const QByteArray digest = reprDigest(f.digest, f.seed, f.size); !digest.isEmpty())
        h.emplaceBack("Repr-Digest", digest);
    if (!f.cacheControl.isEmpty())
        h.emplaceBack("Cache-Control", f.cacheControl);
    if (f.cookie)
        h.emplaceBack("Set-Cookie", "sid=session-secret; Path=/; HttpOnly");
    h.emplaceBack("Content-Type", "application/octet-stream");
    if (f.framing == FileSpec::Length)
        h.emplaceBack("Content-Length", QByteArray::number(end - start));
    else if (f.framing == FileSpec::Chunked)
        h.emplaceBack("Transfer-Encoding", "chunked");
    else
        m_closeAfter = true;
    if (status == 206)
        h.emplaceBack("Content-Range", "bytes " + QByteArray::number(start) + "-"
                                           + QByteArray::number(end - 1) + "/"
                                           + QByteArray::number(f.size));
    writeHead(status, h);

    m_seed = f.seed;
    m_pos = start;
    m_end = m_head ? start : end;
    m_sent = 0;
    m_limit = f.dropAfter;
    m_chunked = f.framing == FileSpec::Chunked && !m_head;
    m_trickleChunk = m_head ? 0 : f.trickleChunk;
    if (m_trickleChunk > 0)
        m_timer->start(f.trickleIntervalMs);
    else
        pump(false);
}

void Connection::sendSimple(int status, const QByteArray &type, const QByteArray &body,
                            Headers extra)
{
    const bool noBody = status == 204 || status == 304 || (status >= 100 && status < 200);
    if (!noBody) {
        extra.emplaceBack("Content-Type", type);
        extra.emplaceBack("Content-Length", QByteArray::number(body.size()));
    }
    writeHead(status, extra);
    if (!noBody && !m_head && !body.isEmpty()) {
        m_sock->write(body);
        m_state->update(m_record, [n = body.size()](auto &r) { r.bodyBytesSent += n; });
    }
    finishResponse();
}

void Connection::writeHead(int status, const Headers &headers)
{
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + " " + reasonPhrase(status)
                      + "\r\nServer: FerryFaultServer\r\n";
    for (const auto &[name, value] : headers)
        head += name + ": " + value + "\r\n";
    if (m_closeAfter)
        head += "Connection: close\r\n";
    head += "\r\n";
    m_sock->write(head);
    m_state->update(m_record, [status](auto &r) { r.status = status; });
}

void Connection::pump(bool tick)
{
    if (!m_active || !connected())
        return;
    const bool trickle = m_trickleChunk > 0;
    if (trickle && !tick)
        return;  // the timer drives trickled bodies
    while (m_pos < m_end && (m_limit < 0 || m_sent < m_limit)) {
        if (!trickle && m_sock->bytesToWrite() >= kWriteAhead)
            return;  // refilled on bytesWritten
        qint64 n = qMin(m_end - m_pos, trickle ? m_trickleChunk : kPiece);
        if (m_limit >= 0)
            n = qMin(n, m_limit - m_sent);
        const QByteArray data = TestContent::bytes(m_seed, m_pos, n);
        m_sock->write(m_chunked ? QByteArray::number(n, 16) + "\r\n" + data + "\r\n" : data);
        m_pos += n;
        m_sent += n;
        m_state->update(m_record, [n](auto &r) { r.bodyBytesSent += n; });
        if (trickle)
            break;
    }
    if (m_pos < m_end && m_limit >= 0 && m_sent >= m_limit) {
        // Scripted drop: abort once everything written so far reached the kernel.
        if (m_sock->bytesToWrite() == 0) {
            m_active = false;
            m_timer->stop();
            m_sock->abort();
        }
        return;
    }
    if (m_pos >= m_end) {
        if (m_chunked)
            m_sock->write("0\r\n\r\n");
        finishResponse();
    }
}

void Connection::finishResponse()
{
    m_active = false;
    m_timer->stop();
    if (m_closeAfter) {
        m_closing = true;
        m_sock->disconnectFromHost();  // graceful: flushes pending data first
        return;
    }
    QMetaObject::invokeMethod(this, [this] { processNext(); }, Qt::QueuedConnection);
}

// Owns the QTcpServer and all connections; everything lives and dies in run().
class ServerThread : public QThread
{
public:
    explicit ServerThread(FaultServerState *state) : m_state(state) {}

    quint16 waitUntilListening()
    {
        m_ready.acquire();
        return m_port;
    }

protected:
    void run() override
    {
        QTcpServer server;
        const bool ok = server.listen(QHostAddress::LocalHost, 0);
        m_port = ok ? server.serverPort() : 0;
        QObject::connect(&server, &QTcpServer::newConnection, &server, [this, &server] {
            while (QTcpSocket *socket = server.nextPendingConnection())
                new Connection(socket, m_state, &server);
        });
        m_ready.release();
        if (ok)
            exec();
    }

private:
    FaultServerState *m_state;
    QSemaphore m_ready;
    quint16 m_port = 0;
};

} // namespace

FaultServer::FaultServer(QObject *parent)
    : QObject(parent), m_state(std::make_unique<FaultServerState>())
{
    auto thread = std::make_unique<ServerThread>(m_state.get());
    thread->setObjectName(QStringLiteral("FaultServer"));
    thread->start();
    m_port = thread->waitUntilListening();
    m_thread = std::move(thread);
    if (m_port == 0)
        qWarning("FaultServer: could not listen on 127.0.0.1");
}

FaultServer::~FaultServer()
{
    m_thread->quit();
    m_thread->wait();
}

quint16 FaultServer::port() const
{
    return m_port;
}

QUrl FaultServer::url(const QString &pathAndQuery) const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port) + pathAndQuery);
}

QList<FaultServer::Request> FaultServer::requests() const
{
    QMutexLocker lock(&m_state->mutex);
    return m_state->requests;
}

int FaultServer::requestCount(const QByteArray &pathPrefix) const
{
    QMutexLocker lock(&m_state->mutex);
    int n = 0;
    for (const Request &r : std::as_const(m_state->requests))
        n += r.path.startsWith(pathPrefix) ? 1 : 0;
    return n;
}

void FaultServer::clear()
{
    QMutexLocker lock(&m_state->mutex);
    m_state->base += m_state->requests.size();
    m_state->requests.clear();
}

void FaultServer::resetScenarios()
{
    QMutexLocker lock(&m_state->mutex);
    m_state->hits.clear();
}

void FaultServer::setDigestCredentials(const QByteArray &user, const QByteArray &password,
                                       const QByteArray &realm)
{
    QMutexLocker lock(&m_state->mutex);
    m_state->creds = {user, password, realm, true};
}

} // namespace ferry::test
