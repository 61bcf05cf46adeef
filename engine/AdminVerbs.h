// The ferry-admin verbs (bitsadmin-style, docs/jobs.md §15) carried out on the engine. One request in,
// one reply out; the client only prints what comes back.
#pragma once

#include "BitsError.h"
#include "Owner.h"

#include <QJsonObject>
#include <QStringList>

#include <functional>

namespace ferry {

class JobManager;
namespace peercache {
class PeerCache;
}

struct AdminReply
{
    bool ok = true;
    QString text;               // what ferry-admin prints
    QJsonValue json;            // what `--json` prints, where the verb has one
    quint32 code = 0;           // on failure
    QString message;            // on failure

    QJsonObject toJson() const;
    QByteArray toLine() const;  // toJson() as one line of the control socket, without the newline
    static AdminReply fromJson(const QJsonObject &o);
    static AdminReply failure(quint32 code, const QString &message);
};

class AdminVerbs
{
public:
    AdminVerbs(JobManager *jobs, uint engineUid, peercache::PeerCache *peers = nullptr)
        : m_jobs(jobs), m_engineUid(engineUid), m_peers(peers) {}
    // wantJson: the client prints JSON; verbs whose two forms are costly (list) build only one.
    AdminReply handle(const QString &verb, const QStringList &args, const Owner &caller, bool wantJson = true);
    // Every verb, including those that wait for the keychain (setcredentials, removecredentials):
    // reply is called once, perhaps later, on this thread.
    void handleAsync(const QString &verb, const QStringList &args, const Owner &caller, bool wantJson,
                     std::function<void(const AdminReply &)> reply);

    static QString normalizedVerb(QString verb);   // "/Resume" -> "resume"

private:
    // `cache ...`: settings, group key and info (docs/peer-caching.md §3, §9).
    void handleCache(const QStringList &args, const Owner &caller, bool wantJson, const std::function<void(const AdminReply &)> &reply);

    JobManager *m_jobs;
    uint m_engineUid;
    peercache::PeerCache *m_peers;
};

} // namespace ferry
