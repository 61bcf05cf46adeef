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

class DesktopSettings;
struct Status;
class EngineClient;
class JobFilterProxy;
class JobListModel;
class PeerCacheWindow;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // model lists client's jobs; every verb goes through client, and every refusal it answers
    // is shown in the status bar.
    MainWindow(JobListModel *model, EngineClient *client, QWidget *parent = nullptr);
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

    // Whether the engine has a peer cache: enables "Peer cache…" and the peer caching page's
    // group key buttons.
    void setPeerCacheAvailable(bool available);
    bool isPeerCacheAvailable() const { return m_peerCacheAvailable; }
    // Opens the non-modal peer cache window, or brings the open one forward.
    void openPeerCacheWindow();
    PeerCacheWindow *peerCacheWindow() const;      // the open one, or null

    // Queues one job per link, each into the download folder under a name no file has yet.
    void queueUrls(const QList<QUrl> &urls);

    // The job rows selected in the view (through the search/state filter and the sort).
    QList<QUuid> selectedJobs() const;
    // Opens the properties of a job (as the job cache last heard of it).
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
    // One verb on each selected job; a refusal is shown in the status bar with the job's name.
    void forSelected(void (EngineClient::*verb)(const QUuid &, std::function<void(const ferry::Status &)>));
    void updateStatus();

    JobListModel *m_model;
    EngineClient *m_client;
    JobFilterProxy *m_proxy;
    QTableView *m_view;
    QLineEdit *m_search;
    QComboBox *m_stateFilter;
    QLabel *m_status;
    QList<QAction *> m_jobActions;   // need a selection
    QWidget *m_offer = nullptr;      // the status bar's current clipboard offer
    QString m_downloadFolder;
    DesktopSettings *m_settings = nullptr;
    bool m_peerCacheAvailable = false;
    QPointer<PeerCacheWindow> m_peerCacheWindow;
    bool m_keepRunningInTray = false;
    bool m_toldAboutTray = false;
};

} // namespace ferry
