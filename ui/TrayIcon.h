// Ferry in the system tray: show or hide the window, suspend or resume every job of this user,
// quit; a tooltip with the overall progress; a notification when a job is transferred or fails.
// With a tray, closing the window keeps Ferry and its transfers running here.
#pragma once

#include "core/Job.h"

#include <QHash>
#include <QObject>
#include <QTimer>

class QAction;
class QMenu;
class QSystemTrayIcon;
class QWidget;

namespace ferry {

class DesktopSettings;
class EngineClient;

class TrayIcon : public QObject
{
    Q_OBJECT
public:
    // Follows client's jobs; "Resume all" and "Suspend all" are the engine's verbs.
    TrayIcon(EngineClient *client, QWidget *window, QObject *parent = nullptr);
    ~TrayIcon() override;

    static bool isAvailable();                   // a tray host runs
    void show();
    bool isVisible() const;

    QMenu *menu() const { return m_menu; }
    QAction *showHideAction() const { return m_showHide; }
    QAction *suspendAllAction() const { return m_suspendAll; }
    QAction *resumeAllAction() const { return m_resumeAll; }
    QAction *quitAction() const { return m_quit; }
    QAction *watchClipboardAction() const { return m_watchClipboard; }
    // Adds the "Watch the clipboard" toggle, bound to settings.
    void setDesktopSettings(DesktopSettings *settings);
    QString toolTip() const;

public slots:
    void offerLink(const QUrl &url);             // a notification; clicking it accepts the link

signals:
    void quitRequested();
    void linkAccepted(const QUrl &url);

private:
    void toggleWindow();
    void onJobChanged(const ferry::Job &job);
    void updateToolTip();

    EngineClient *m_client;
    QWidget *m_window;
    QSystemTrayIcon *m_icon;
    QMenu *m_menu;
    QAction *m_showHide;
    QAction *m_suspendAll;
    QAction *m_resumeAll;
    QAction *m_quit;
    QAction *m_watchClipboard = nullptr;
    QUrl m_offered;
    QHash<QUuid, JobState> m_states;             // as last seen: a notification on a change
    QTimer m_toolTipTimer;                       // coalesces tooltip updates
};

} // namespace ferry
