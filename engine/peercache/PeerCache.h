// The peer cache of one engine (peer-caching.md): the group key, and whether peers may be used
// now and why not. Owned by Engine on the engine thread; ferry-admin's `cache` and `peers` verbs
// and the window's peer-cache views read and drive it.
#pragma once

#include "JobManager.h"
#include "PeerGroup.h"

#include <QJsonObject>
#include <QObject>

namespace ferry {
class JobStore;
}

namespace ferry::peercache {

class PeerCache : public QObject
{
    Q_OBJECT
public:
    PeerCache(JobManager *jobs, JobStore *store, QString cacheDir, QObject *parent = nullptr);

    void start();
    PeerGroup *group() const { return m_group; }

    // Empty when peer caching runs; otherwise why it does not (disabled, no key, no keychain).
    QString offReason() const;
    bool isActive() const { return offReason().isEmpty(); }
    QJsonObject info() const;                       // `cache info --json`
    QString infoText() const;                       // `cache info`

    // `cache set KEY VALUE`: the spec's keys, mapped onto the engine settings.
    Status set(const QString &key, const QString &value);
    static QString settingFor(const QString &cacheKey);

signals:
    void stateChanged();

private:
    JobManager *m_jobs;
    PeerGroup *m_group;
    QString m_cacheDir;
};

} // namespace ferry::peercache
