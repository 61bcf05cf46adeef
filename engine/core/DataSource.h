// One place a file's bytes come from (docs/engine.md, "Where bytes come from"): the origin over
// HTTP(S) (transfer/OriginSource) or peers on the LAN (peercache/PeerSource). A Transfer drives
// its sources through this one interface, one after the other, and writes what they deliver;
// several connections per file or several peers at once plug in here. After KGet's
// TransferDataSource. Lives on the transfer thread.
#pragma once

#include "core/BitsError.h"

#include <QByteArray>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QUrl>

namespace ferry {

// Why a transfer ended without its file, and whether the job may try again.
struct TransferFailure
{
    JobError error;
    bool transient = false;
    int retryAfterSeconds = 0;   // from Retry-After, 0 if none
};

// What the transfer holds of the file when it asks a source: bytes [0, offset) are on disk and
// belong to the version of the file these validators name.
struct HeldFile
{
    qint64 offset = 0;
    qint64 size = -1;            // -1: not known yet
    QString etag;
    QString lastModified;
    // A range of the file (transfer/RangeSource): only the bytes [offset, end) are wanted
    // (end -1: to the end of the file), and only an answer with exactly those will do.
    bool range = false;
    qint64 end = -1;
};

// What a source says of the bytes it is about to deliver, before the first of them.
struct SourceAnswer
{
    qint64 offset = 0;           // where they start: the held offset, or 0 when the held bytes
    QString restartReason;       //   must go first (and this says why, for the job's warnings)
    qint64 size = -1;            // the whole file's size, -1 when the source does not say
    QString etag;
    QString lastModified;
    QUrl from;                   // where they come from after redirects (empty: not a URL)
};

class DataSource : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    // Delivers the file from held.offset on, in order: answered() once, then data() as bytes
    // come, then finished() or failed(). finished() without answered(): the held bytes are the
    // whole file already.
    virtual void start(const HeldFile &held) = 0;
    // Abandons the work: no signal after this.
    virtual void stop() = 0;

signals:
    void answered(const ferry::SourceAnswer &answer);
    // The next bytes, in order. The array is only valid during the call (it may be the source's
    // own reused buffer); the receiver may stop() the source from inside it.
    void data(const QByteArray &bytes);
    // Delivered all it will: the origin, the file to its end; peers, what they had.
    void finished();
    void failed(const ferry::TransferFailure &why);
    void warned(const QString &message);
};

} // namespace ferry

Q_DECLARE_METATYPE(ferry::TransferFailure)
