// What a running transfer tells the engine, as one value: its ticket and one of the kinds below.
// Transfer emits them in the order they happen; Downloader relays them from the transfer thread
// to JobManager over one queued connection, so they arrive in that same order.
#pragma once

#include "peercache/PeerSource.h"
#include "transfer/TransferPolicy.h"

#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <variant>

namespace ferry {

// What the last checkpoint vouches for: the synced bytes and the validator they belong to.
struct TransferCheckpoint
{
    qint64 offset = 0;
    qint64 bytesTotal = -1;
    QString etag;
    QString lastModified;
};

namespace transferevent {
struct Responded {};                         // a server answered (the origin, or a peer's blocks)
struct Progressed { qint64 bytesTransferred = 0; qint64 bytesTotal = -1; };
struct Checkpointed { TransferCheckpoint checkpoint; };
struct Warned { QString message; };
// REDIRECT_POLICY_ALLOW_REPORT: the file's remote name is to become the URL that answered.
struct Redirected { QUrl finalUrl; };
// Where the file's bytes came from and how well they are proven (before Finished).
// sha256: lower-case hex of the bytes as written, when they were hashed (else empty).
struct Sourced { qint64 bytesFromPeers = 0; PeerVerification verification = PeerVerification::None; QString peerId; QString sha256; };
// What the origin's answer makes of the file for the peer cache: its content keys, or why not.
struct Identified { QStringList contentKeys; QString notServable; };
struct PeerVerdicts { QList<peercache::PeerVerdict> verdicts; };   // strikes and bans to record
// The raw headers of the origin's last response, bounded, Set-Cookie values removed (OriginSource).
struct ResponseHeaders { QByteArray headers; };
struct Finished { qint64 size = 0; QString etag; QString lastModified; };
struct Failed { TransferFailure failure; };
} // namespace transferevent

struct TransferEvent
{
    using Payload = std::variant<transferevent::Responded, transferevent::Progressed, transferevent::Checkpointed,
                                 transferevent::Warned, transferevent::Redirected, transferevent::Sourced,
                                 transferevent::Identified, transferevent::PeerVerdicts, transferevent::ResponseHeaders,
                                 transferevent::Finished,
                                 transferevent::Failed>;
    quint64 ticket = 0;          // the attempt (TransferRequest::ticket)
    Payload what;

    // The transfer's last word: nothing follows Finished or Failed.
    bool ends() const
    {
        return std::holds_alternative<transferevent::Finished>(what) || std::holds_alternative<transferevent::Failed>(what);
    }
};

} // namespace ferry

Q_DECLARE_METATYPE(ferry::TransferCheckpoint)
Q_DECLARE_METATYPE(ferry::TransferEvent)
