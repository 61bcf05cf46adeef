// The peer cache of one engine (docs/peer-caching.md): the group key, the cache store, the TLS-PSK
// peer server and discovery, switched on and off by the computer-level settings and the key.
// It decides which transfers may use peers (the PeerPlan JobManager asks for), caches validated
// files of SERVER jobs, and records strikes and bans. Owned by Engine on the engine thread;
// ferry-admin's `cache` and `peers` verbs and the window's peer-cache views drive it.
#pragma once

#include "core/EngineSettings.h"
#include "core/Job.h"
#include "peercache/CacheStore.h"
#include "peercache/Discovery.h"
#include "peercache/PeerGroup.h"
#include "peercache/PeerServer.h"
#include "peercache/PeerSource.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>

#include <functional>
#include <memory>

namespace ferry {
class FileHandle;
class JobStore;
}

namespace ferry::peercache {

class PeerCache : public QObject
{
    Q_OBJECT
public:
    // Knows nothing of the jobs: JobManager::attachPeerCache hands it the settings, the validated
    // files, the verdicts and the way to store a setting, and asks it for each transfer's plan.
    PeerCache(JobStore *store, QString databasePath, QString cacheDir, QObject *parent = nullptr);
    ~PeerCache() override;

    void start();
    PeerGroup *group() const { return m_group; }
    CacheStore *store() const { return m_store.get(); }
    Discovery *discovery() const { return m_discovery; }
    PeerServer *server() const { return m_server; }
    QString peerId() const { return m_peerId; }

    // Empty when peer caching runs; otherwise why it does not (disabled, no key, no keychain,
    // a port that cannot be opened).
    QString offReason() const;
    bool isActive() const { return offReason().isEmpty(); }
    QJsonObject info() const;                       // `cache info --json`
    QString infoText() const;                       // `cache info`
    QJsonArray recordsJson() const;
    QJsonArray peersJson() const;

    // `cache set KEY VALUE`: the keys of docs/peer-caching.md §2, mapped onto the engine settings
    // and stored through the writer (JobManager::setSetting; E_NOTIMPL without one).
    Status set(const QString &key, const QString &value);
    using SettingWriter = std::function<Status(const QString &setting, const QString &value)>;
    void setSettingWriter(SettingWriter writer) { m_writeSetting = std::move(writer); }
    static QString settingFor(const QString &cacheKey);

    // Whether (and with which peers) a job's transfer may use peers: CLIENT = machine ∧ job.
    PeerPlan planFor(const Job &job);

    // Admin (IBitsPeerCacheAdministration).
    Status deleteRecord(const QString &id);
    int deleteUrl(const QString &url);
    Status clearRecords();
    Status clearPeers();
    void rediscover();

public slots:
    void setSettings(const ferry::EngineSettings &settings);   // the engine's, after each change
    // A job's file was validated (it may be cached and served) or invalidated (its records go).
    void onFileValidated(const ferry::Job &job, int fileIndex);
    void onFileInvalidated(const ferry::Job &job, int fileIndex);
    void onVerdicts(const QList<ferry::peercache::PeerVerdict> &verdicts); // strikes and bans to record

signals:
    void stateChanged();
    void recordsChanged();
    void peersChanged();

private:
    void apply();
    void stopNetwork();
    void insertRecord(const Job &job, int fileIndex, const FileHandle &source, const Manifest &manifest);

    EngineSettings m_settings;
    SettingWriter m_writeSetting;
    JobStore *m_jobStore;
    PeerGroup *m_group;
    QString m_cacheDir;
    std::unique_ptr<CacheStore> m_store;
    QString m_storeError;
    QString m_peerId;                               // 32 hex: our senderId in discovery, our PSK identity
    Discovery *m_discovery = nullptr;
    PeerServer *m_server = nullptr;
    QString m_networkError;
    int m_listeningTlsPort = -1;
    int m_listeningUdpPort = -1;
    bool m_listeningMulticast = false;
};

} // namespace ferry::peercache
