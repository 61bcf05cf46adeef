#include "TrayIcon.h"

#include "AppIcon.h"
#include "DesktopSettings.h"
#include "JobAccess.h"
#include "JobManager.h"

#include <QLocale>
#include <QMenu>
#include <QPointer>
#include <QSystemTrayIcon>
#include <QWidget>

#include <utility>

namespace ferry {

TrayIcon::TrayIcon(JobManager *jobs, QWidget *window, QObject *parent)
    : QObject(parent)
    , m_jobs(jobs)
    , m_window(window)
    , m_icon(new QSystemTrayIcon(this))
    , m_menu(new QMenu)
{
    m_icon->setIcon(appIcon());
    m_showHide = m_menu->addAction(tr("Show Ferry"), this, &TrayIcon::toggleWindow);
    m_menu->addSeparator();
    m_resumeAll = m_menu->addAction(tr("Resume all"), this, [this] { forAllJobs(true); });
    m_suspendAll = m_menu->addAction(tr("Suspend all"), this, [this] { forAllJobs(false); });
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

// Every job of this user the rules let it change; on the engine thread, like every verb.
void TrayIcon::forAllJobs(bool resume)
{
    QMetaObject::invokeMethod(m_jobs, [jobs = m_jobs, resume] {
        const Owner me = Owner::ofThisProcess();
        for (const Job &job : jobs->jobs()) {
            if (!canSee(me, job.owner) || !checkCanChange(me, job.owner))
                continue;
            if (resume && (job.state == JobState::Suspended || job.state == JobState::Error
                           || job.state == JobState::TransientError))
                jobs->resume(job.id);
            else if (!resume && job.state != JobState::Suspended && job.state != JobState::Transferred)
                jobs->suspend(job.id);
        }
    }, Qt::QueuedConnection);
}

void TrayIcon::onJobChanged(const Job &job)
{
    const JobProgress p = job.progress();
    Progress &mine = m_progress[job.id];
    const JobState before = mine.state;
    mine = {job.state, p.bytesTransferred, p.bytesTotal == SizeUnknown ? 0 : p.bytesTotal};
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

void TrayIcon::onJobRemoved(const QUuid &id)
{
    m_progress.remove(id);
    if (!m_toolTipTimer.isActive())
        m_toolTipTimer.start();
}

void TrayIcon::updateToolTip()
{
    int active = 0;
    quint64 done = 0, total = 0;
    for (const Progress &p : std::as_const(m_progress)) {
        if (p.state != JobState::Queued && p.state != JobState::Connecting && p.state != JobState::Transferring)
            continue;
        ++active;
        done += p.done;
        total += p.total;
    }
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
