// The peer cache window (docs/peer-caching.md §9): whether peer caching runs and why not, the
// group and ports, the cached files and the known peers, with the administration verbs of
// IBitsPeerCacheAdministration (delete a record, delete by URL, clear the cache, clear the
// peers, rediscover). Non-modal. Everything is read and done on the engine thread through
// queued calls; the tables are rebuilt when the peer cache reports a change and when the window
// is shown.
#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QWidget>

#include <functional>

class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace ferry {

class EngineClient;
struct AdminReply;

class PeerListModel;
class PeerRecordsModel;

class PeerCacheWindow : public QWidget
{
    Q_OBJECT
public:
    // Reads and changes the engine's peer cache through client's `cache` verbs.
    explicit PeerCacheWindow(EngineClient *client, QWidget *parent = nullptr);
    ~PeerCacheWindow() override;

    // Reads the state, the records and the peers again (coalesced: one read per turn of the
    // event loop).
    void refresh();

    QJsonObject info() const { return m_info; }     // `cache info`, as last read
    PeerRecordsModel *recordsModel() const { return m_records; }
    PeerListModel *peersModel() const { return m_peers; }
    QTableView *recordsView() const { return m_recordsView; }
    QTableView *peersView() const { return m_peersView; }
    QStringList selectedRecordIds() const;          // through the sort

signals:
    // After each read has been shown (tests, and whoever waits for a fresh view).
    void refreshed();

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct Snapshot
    {
        QJsonObject info;
        QJsonArray records;
        QJsonArray peers;
    };

    QWidget *buildRecords();
    QWidget *buildPeers();
    void read();
    void showSnapshot(const Snapshot &snapshot);
    void showState();
    void updateButtons();
    void deleteSelected();
    void deleteByUrl();
    void confirmClearRecords();
    void clearRecords();
    void clearPeers();
    void rediscover();
    void showMessage(const QString &text);

    // One `cache ARGS...` verb; then runs here if the window still exists.
    void cache(const QStringList &args, std::function<void(const AdminReply &)> then);

    EngineClient *m_client;
    QJsonObject m_info;
    bool m_readQueued = false;

    QLabel *m_state = nullptr;
    QLabel *m_details = nullptr;
    PeerRecordsModel *m_records = nullptr;
    QSortFilterProxyModel *m_recordsProxy = nullptr;
    QTableView *m_recordsView = nullptr;
    PeerListModel *m_peers = nullptr;
    QSortFilterProxyModel *m_peersProxy = nullptr;
    QTableView *m_peersView = nullptr;
    QPushButton *m_deleteSelected = nullptr;
    QPushButton *m_deleteUrl = nullptr;
    QPushButton *m_clearRecords = nullptr;
    QPushButton *m_clearPeers = nullptr;
    QPushButton *m_rediscover = nullptr;
    QPushButton *m_refresh = nullptr;
    QLabel *m_message = nullptr;
};

} // namespace ferry
