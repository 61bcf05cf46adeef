#include "TrayIcon.h"

#include "AppIcon.h"
#include "DesktopSettings.h"
#include "EngineClient.h"

#include <QLocale>
#include <QMenu>
#include <QPointer>
#include <QSystemTrayIcon>
#include <QWidget>

#include <utility>

namespace ferry {

TrayIcon::TrayIcon(EngineClient *client, QWidget *window, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_window(window)
    , m_icon(new QSystemTrayIcon(this))
    , m_menu(new QMenu)
{
    m_icon->setIcon(appIcon());
    m_showHide = m_menu->addAction(tr("Show Ferry"), this, &TrayIcon::toggleWindow);
    m_menu->addSeparator();
    m_resumeAll = m_menu->addAction(tr("Resume all"), this, [this] { m_client->resumeAll(); });
    m_suspendAll = m_menu->addAction(tr("Suspend all"), this, [this] { m_client->suspendAll(); });
    m_menu->addSeparator();
    m_quit = m_menu->addAction(tr("Quit Ferry"), this, &TrayIcon::quitRequested);
    connect(m_menu, &QMenu::aboutToShow, this, [this] {
        m_showHide->setText(m_window->isVisible() ? tr("Hide Ferry") : tr("Show Ferry"));
    });
    m_icon->setContextMenu(m_menu);
    connect(m_icon, &QSystemTrayIcon::messageClicked, this, [this] {
        if (!m_offered.isEmpty())
            emit linkAccepted(std::exchange(m_offered, QUrl()));
    });
    connect(m_icon, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger)
            toggleWindow();
    });
    m_toolTipTimer.setSingleShot(true);
    m_toolTipTimer.setInterval(500);
    connect(&m_toolTipTimer, &QTimer::timeout, this, &TrayIcon::updateToolTip);
    JobCache *jobs = client->jobs();
    const auto later = [this] {
        if (!m_toolTipTimer.isActive())
            m_toolTipTimer.start();
    };
    connect(jobs, &JobCache::jobsReset, this, [this, later](const QList<Job> &all) {
        m_states.clear();
        for (const Job &job : all)
            m_states.insert(job.id, job.state);
        later();
    });
    connect(jobs, &JobCache::jobChanged, this, &TrayIcon::onJobChanged);
    connect(jobs, &JobCache::jobRemoved, this, [this, later](const QUuid &id) {
        m_states.remove(id);
        later();
    });
    updateToolTip();
}

TrayIcon::~TrayIcon()
{
    delete m_menu;
}

void TrayIcon::setDesktopSettings(DesktopSettings *settings)
{
    m_watchClipboard = new QAction(tr("Watch the clipboard for links"), this);
    m_watchClipboard->setCheckable(true);
    m_watchClipboard->setChecked(settings->watchClipboard());
    connect(m_watchClipboard, &QAction::toggled, settings, [settings](bool on) {
        settings->setWatchClipboard(on);
        settings->sync();
    });
    connect(settings, &DesktopSettings::changed, m_watchClipboard,
            [this, settings] { m_watchClipboard->setChecked(settings->watchClipboard()); });
    m_menu->insertAction(m_quit, m_watchClipboard);
    m_menu->insertSeparator(m_quit);
}

void TrayIcon::offerLink(const QUrl &url)
{
    if (!m_icon->isVisible())
        return;
    m_offered = url;
    m_icon->showMessage(tr("Download this link?"), tr("%1\nClick here to download it.").arg(url.toDisplayString()),
                        QSystemTrayIcon::Information, 15000);
}

bool TrayIcon::isAvailable()
{
    return QSystemTrayIcon::isSystemTrayAvailable();
}

void TrayIcon::show()
{
    m_icon->show();
}

bool TrayIcon::isVisible() const
{
    return m_icon->isVisible();
}

QString TrayIcon::toolTip() const
{
    return m_icon->toolTip();
}

void TrayIcon::toggleWindow()
{
    if (m_window->isVisible() && !m_window->isMinimized()) {
        m_window->hide();
        return;
    }
    m_window->showNormal();
    m_window->raise();
    m_window->activateWindow();
}

void TrayIcon::onJobChanged(const Job &job)
{
    const JobState before = m_states.value(job.id, JobState::Suspended);
    m_states.insert(job.id, job.state);
    if (before != job.state && m_icon->isVisible()) {
        if (job.state == JobState::Transferred)
            m_icon->showMessage(tr("Download finished"), tr("%1 is transferred.").arg(job.displayName),
                                QSystemTrayIcon::Information);
        else if (job.state == JobState::Error)
            m_icon->showMessage(tr("Download failed"), tr("%1: %2").arg(job.displayName, job.error.description),
                                QSystemTrayIcon::Warning);
    }
    if (!m_toolTipTimer.isActive())
        m_toolTipTimer.start();
}

void TrayIcon::updateToolTip()
{
    const JobCache::Totals totals = m_client->jobs()->totals();
    const int active = totals.active;
    const quint64 done = totals.activeBytesTransferred, total = totals.activeBytesTotal;
    if (active == 0) {
        m_icon->setToolTip(tr("Ferry: no active downloads"));
        return;
    }
    const QLocale locale;
    m_icon->setToolTip(total > 0 ? tr("Ferry: %n active download(s), %1 of %2", nullptr, active)
                                       .arg(locale.formattedDataSize(qint64(done)), locale.formattedDataSize(qint64(total)))
                                 : tr("Ferry: %n active download(s)", nullptr, active));
}

} // namespace ferry
