// What a client of the control socket (engine/control/ControlServer) can make the engine hold:
// connections, buffered bytes and time. A root engine serves every local user (docs/security.md),
// so each bound is what one hostile local user may cost it, and none of them can lock out the
// engine's own user or root.
#pragma once

#include <QtGlobal>

namespace ferry::control {

// Connections. Each costs the engine one descriptor (its socket; nothing else is kept open for
// it, see engine/control/PeerIdentity.h) and at most the buffers below.
// - The engine's own user and root each have a share of their own: whatever other users hold,
//   `ferry-admin` of the engine's user or root still gets in.
// - Every other user (only a root engine admits them) gets a small share, and all of them
//   together a bounded pool, so a few users cannot fill the engine either.
// At most 128 + 256 = 384 connections in a root engine (root is its user), 2 x 128 in a user's:
// well below the usual 1024 descriptors, the limit where the engine cannot raise its own
// (engine/core/ProcessLimits.h). A client over its share gets one error line and is closed.
constexpr int MaxConnectionsPerPrivilegedUser = 128;
constexpr int MaxConnectionsPerUser = 64;
constexpr int MaxConnectionsOtherUsers = 256;

// Input. A request is one line of at most MaxRequestBytes; the engine never buffers more input
// than that per connection: while a request is served or a complete one waits its turn, it does
// not read. Requests on one connection are served one at a time, in order, and a `wait` holds
// the ones after it until it replies (a client wanting both uses two connections).
constexpr qint64 MaxRequestBytes = 1 << 20;

// Output. While more than ReplyHighWaterBytes of its replies are unread, a client gets no
// further request served; it holds at most that plus one reply.
constexpr qint64 ReplyHighWaterBytes = 1 << 20;

// Time. A connection with no request in progress and no `wait` pending, or one that reads none
// of its replies, is closed after this long without a request or a written reply. (A request
// sent a byte at a time does not count as activity: it cannot hold a connection open either.)
constexpr int DefaultIdleTimeoutMs = 60000;

// Requests served for one connection before others get their turn.
constexpr int MaxRequestsPerTurn = 32;

// DefaultIdleTimeoutMs, or FERRY_CONTROL_IDLE_TIMEOUT_MS when set (read once; for the tests).
inline int idleTimeoutMs()
{
    static const int timeout = [] {
        bool ok = false;
        const int value = qEnvironmentVariableIntValue("FERRY_CONTROL_IDLE_TIMEOUT_MS", &ok);
        return ok && value > 0 ? value : DefaultIdleTimeoutMs;
    }();
    return timeout;
}

} // namespace ferry::control
