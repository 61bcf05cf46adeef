// The peer server's request grammar (docs/peer-caching.md §6.2): a strict, minimal HTTP/1.1 request
// head (RFC 9112) and a single byte range, written for the four read-only routes. Anything this
// does not understand is refused, never guessed at. Header-only: pure functions, no state.
#pragma once

#include <QByteArray>
#include <QList>

#include <algorithm>
#include <cstring>
#include <utility>

namespace ferry::peercache::http {

struct Request
{
    QByteArray method;
    QByteArray target;
    QByteArray version;
    QList<std::pair<QByteArray, QByteArray>> headers;   // lower-case names, trimmed values

    QList<QByteArray> values(const char *name) const
    {
        QList<QByteArray> out;
        for (const auto &[n, v] : headers) {
            if (n == name)
                out << v;
        }
        return out;
    }
};

inline bool isTokenChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

inline bool isToken(const QByteArray &s)
{
    return !s.isEmpty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

// A decimal number that fits a qint64 without overflow checks.
inline bool isDigits(const QByteArray &s)
{
    return !s.isEmpty() && s.size() <= 18 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The head without its final CRLFCRLF; returns 0 when well-formed, else the status to answer.
inline int parseHead(const QByteArray &head, Request *r)
{
    QList<QByteArray> lines = QByteArray(head + "\r\n").split('\n');
    lines.removeLast();   // after the final CRLF
    for (QByteArray &line : lines) {
        if (!line.endsWith('\r'))
            return 400;   // bare LF: refuse rather than guess where a line ends
        line.chop(1);
    }
    const QList<QByteArray> parts = lines.value(0).split(' ');
    if (parts.size() != 3 || !isToken(parts[0]) || parts[1].isEmpty())
        return 400;
    r->method = parts[0];
    r->target = parts[1];
    r->version = parts[2];
    if (r->version != "HTTP/1.1" && r->version != "HTTP/1.0")
        return 400;
    for (char c : r->target) {
        if (uchar(c) <= 0x20 || uchar(c) >= 0x7f)
            return 400;
    }
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines[i];
        const qsizetype colon = line.indexOf(':');
        // No obs-fold, no whitespace before the colon (request smuggling vectors).
        if (colon <= 0 || !isToken(line.left(colon)))
            return 400;
        const QByteArray value = line.mid(colon + 1).trimmed();
        for (char c : value) {
            if ((uchar(c) < 0x20 && c != '\t') || uchar(c) == 0x7f)
                return 400;
        }
        r->headers.append({line.left(colon).toLower(), value});
    }
    return 0;
}

enum class RangeResult { Whole, One, Multiple, Unsatisfiable };

// values: every Range header of the request. One: [*first, *last] within size. Multiple (more
// than one range or header) is a bad request; anything else unparsable or outside the file is
// Unsatisfiable (416).
inline RangeResult parseRange(const QList<QByteArray> &values, qint64 size, qint64 *first, qint64 *last)
{
    if (values.isEmpty())
        return RangeResult::Whole;
    if (values.size() > 1)
        return RangeResult::Multiple;
    const QByteArray &v = values.first();
    if (!v.toLower().startsWith("bytes="))
        return RangeResult::Unsatisfiable;
    const QByteArray spec = v.mid(6).trimmed();
    if (spec.contains(','))
        return RangeResult::Multiple;
    const qsizetype dash = spec.indexOf('-');
    if (dash < 0)
        return RangeResult::Unsatisfiable;
    const QByteArray a = spec.left(dash), b = spec.mid(dash + 1);
    if (a.isEmpty()) {   // suffix: the last N bytes
        if (!isDigits(b) || b.toLongLong() == 0 || size == 0)
            return RangeResult::Unsatisfiable;
        *first = qMax<qint64>(0, size - b.toLongLong());
        *last = size - 1;
        return RangeResult::One;
    }
    if (!isDigits(a) || (!b.isEmpty() && !isDigits(b)))
        return RangeResult::Unsatisfiable;
    *first = a.toLongLong();
    *last = b.isEmpty() ? size - 1 : qMin(b.toLongLong(), size - 1);
    if (*first >= size || *last < *first)
        return RangeResult::Unsatisfiable;
    return RangeResult::One;
}

} // namespace ferry::peercache::http
