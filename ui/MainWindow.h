// The main window: the job table and the verbs that act on the selected jobs.
#pragma once

#include <QMainWindow>
#include <QPointer>
#include <QUrl>
#include <QUuid>
#include <functional>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace ferry {

namespace peercache {
class PeerCache;
}

class DesktopSettings;
class JobFilterProxy;
class JobListModel;
class JobManager;
class PeerCacheWindow;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    MainWindow(JobListModel *model, JobManager *jobs, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Where new downloads go (default: the user's Downloads folder).
    void setDownloadFolder(const QString &folder) { m_downloadFolder = folder; }
    QString downloadFolder() const { return m_downloadFolder; }

    // With a tray, closing the window only hides it and the transfers go on; without one,
    // closing asks first when jobs are running, then quits.
    void setKeepRunningInTray(bool keep) { m_keepRunningInTray = keep; }
    int activeJobCount() const;                    // QUEUED, CONNECTING or TRANSFERRING rows

    // The window's preferences (download folder, what a drop does). Without them links are
    // queued directly into downloadFolder().
    void setDesktopSettings(DesktopSettings *settings);

    void openNewJobDialog(const QList<QUrl> &urls = {});
    // A link seen on the clipboard: a button in the status bar queues it; no focus is taken.
    void offerLink(const QUrl &url);
    void openSettingsDialog();

    // The engine's peer cache (on the engine thread; it must outlive the window): enables
    // "Peer cache…" and the peer caching page's group key buttons.
    void setPeerCache(peercache::PeerCache *cache);
    peercache::PeerCache *peerCache() const { return m_peerCache; }
    // Opens the non-modal peer cache window, or brings the open one forward.
    void openPeerCacheWindow();
    PeerCacheWindow *peerCacheWindow() const;      // the open one, or null

    // Queues one job per link, each into the download folder under a name no file has yet.
    void queueUrls(const QList<QUrl> &urls);

    // The job rows selected in the view (through the search/state filter and the sort).
    QList<QUuid> selectedJobs() const;
    // Opens the properties of a job (read on the engine thread, shown when it answers).
    void openProperties(const QUuid &id);

    QTableView *view() const { return m_view; }
    JobFilterProxy *proxy() const { return m_proxy; }
    QAction *action(const QString &objectName) const;   // "resume", "suspend", ... (tests, tray)

signals:
    // After a drop was read: how many links were queued and what could not be used.
    void dropHandled(int queued, const QStringList &problems);
    void quitRequested();

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void buildActions();
    void saveLayout() const;
    void restoreLayout();
    void addDownload();
    void showProblem(const QString &title, const QString &message);
    void forSelected(const std::function<void(JobManager *, const QUuid &)> &verb);
    void updateStatus();

    JobListModel *m_model;
    JobManager *m_jobs;   // lives on the engine thread: reached only through queued calls
    JobFilterProxy *m_proxy;
    QTableView *m_view;
    QLineEdit *m_search;
    QComboBox *m_stateFilter;
    QLabel *m_status;
    QList<QAction *> m_jobActions;   // need a selection
    QWidget *m_offer = nullptr;      // the status bar's current clipboard offer
    QString m_downloadFolder;
    DesktopSettings *m_settings = nullptr;
    peercache::PeerCache *m_peerCache = nullptr;     // on the engine thread
    QPointer<PeerCacheWindow> m_peerCacheWindow;
    bool m_keepRunningInTray = false;
    bool m_toldAboutTray = false;
};

} // namespace ferry
