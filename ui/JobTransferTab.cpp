#include "JobTransferTab.h"

#include "DurationField.h"
#include "PropertyWidgets.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLocale>
#include <QSignalBlocker>
#include <QVBoxLayout>

namespace ferry {

namespace {

QString durationText(qint64 totalSeconds)
{
    if (totalSeconds <= 0)
        return JobTransferTab::tr("%n second(s)", nullptr, 0);
    const qint64 days = totalSeconds / 86400;
    const int hours = int(totalSeconds / 3600 % 24);
    const int minutes = int(totalSeconds / 60 % 60);
    const int seconds = int(totalSeconds % 60);
    QStringList parts;
    if (days)
        parts << JobTransferTab::tr("%n day(s)", nullptr, int(days));
    if (hours)
        parts << JobTransferTab::tr("%n hour(s)", nullptr, hours);
    if (minutes)
        parts << JobTransferTab::tr("%n minute(s)", nullptr, minutes);
    if (seconds)
        parts << JobTransferTab::tr("%n second(s)", nullptr, seconds);
    return QLocale().createSeparatedList(parts);
}

} // namespace

JobTransferTab::JobTransferTab(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("transferTab"));
    auto *layout = new QVBoxLayout(this);

    auto *peers = new QGroupBox(tr("Peer caching"), this);
    peers->setAccessibleName(tr("Peer caching"));
    auto *peerLayout = new QVBoxLayout(peers);
    m_peerClient = new QCheckBox(tr("Download from &peers"), peers);
    m_peerClient->setObjectName(QStringLiteral("peerClient"));
    m_peerClient->setAccessibleName(tr("Download from peers"));
    m_peerClient->setToolTip(tr("Let this job fetch its files from other computers on the local network that already "
                                "hold them; the origin server still vouches for the content."));
    m_peerServer = new QCheckBox(tr("&Serve to peers"), peers);
    m_peerServer->setObjectName(QStringLiteral("peerServer"));
    m_peerServer->setAccessibleName(tr("Serve to peers"));
    m_peerServer->setToolTip(tr("Let other computers on the local network fetch this job's files from this computer."));
    m_peerNote = helpLabel(tr("Peer caching note"), QStringLiteral("peerNote"), peers);
    m_peerNote->hide();
    peerLayout->addWidget(m_peerClient);
    peerLayout->addWidget(m_peerServer);
    peerLayout->addWidget(m_peerNote);
    layout->addWidget(peers);
    connect(m_peerClient, &QCheckBox::toggled, this, &JobTransferTab::peerClientToggled);
    connect(m_peerServer, &QCheckBox::toggled, this, &JobTransferTab::peerServerToggled);

    auto *limits = new QGroupBox(tr("Time limits"), this);
    limits->setAccessibleName(tr("Time limits"));
    auto *form = new QFormLayout(limits);
    m_maxTime = new DurationField(QStringLiteral("maxTime"), tr("Maximum download time"), 0, tr("No limit"), limits);
    form->addRow(tr("&Maximum download time:"), m_maxTime);
    m_timeUsed = valueLabel(tr("Download time used so far"), QStringLiteral("timeUsed"), limits);
    form->addRow(tr("Time used so far:"), m_timeUsed);
    m_noProgress = new DurationField(QStringLiteral("noProgress"), tr("No-progress timeout"), 0, tr("Fail at once"), limits);
    m_noProgress->setToolTip(tr("How long the job may keep failing to make progress before it stops in the error state."));
    form->addRow(tr("No-p&rogress timeout:"), m_noProgress);
    m_retryDelay = new DurationField(QStringLiteral("retryDelay"), tr("Minimum retry delay"),
                                     defaults::MinimumRetryDelayFloor, {}, limits);
    m_retryDelay->setToolTip(tr("How long the job waits after a transient error before it tries again (at least 5 seconds)."));
    form->addRow(tr("Minimum r&etry delay:"), m_retryDelay);
    QLabel *help = helpLabel(tr("About the time limits"), QStringLiteral("timeHelp"), limits);
    help->setText(tr("The maximum download time counts only the time spent connecting and transferring; resuming "
                     "the job starts the count again. When it runs out, the job stops with an error."));
    form->addRow(help);
    layout->addWidget(limits);

    auto *notify = new QGroupBox(tr("Notifications"), this);
    notify->setAccessibleName(tr("Notifications"));
    auto *notifyLayout = new QGridLayout(notify);
    const struct {
        quint32 flag;
        const char *name;
        QString text;
        QString accessible;
        QString tip;
    } choices[] = {
        {notifyflags::JobTransferred, "notifyTransferred", tr("When the job is &transferred"), tr("Notify when the job is transferred"),
         tr("Tell programs that watch the job, and run its notification command, when all its files are transferred.")},
        {notifyflags::JobError, "notifyError", tr("When the job &fails"), tr("Notify when the job fails"),
         tr("Tell programs that watch the job, and run its notification command, when it stops in the error state.")},
        {notifyflags::JobModification, "notifyModification", tr("When the job &changes"), tr("Notify when the job changes"),
         tr("Tell programs that watch the job of every change of its properties, state or progress (at most twice a second).")},
        {notifyflags::FileTransferred, "notifyFile", tr("When each f&ile is transferred"), tr("Notify when each file is transferred"),
         tr("Tell programs that watch the job whenever one of its files is transferred.")},
        {notifyflags::Disable, "notifyDisable", tr("&No notifications at all"), tr("No notifications at all"),
         tr("Silence every notification of this job, whatever is chosen above, including its notification command.")},
    };
    int row = 0;
    for (const auto &c : choices) {
        auto *box = new QCheckBox(c.text, notify);
        box->setObjectName(QLatin1String(c.name));
        box->setAccessibleName(c.accessible);
        box->setToolTip(c.tip);
        notifyLayout->addWidget(box, row / 2, row % 2);
        ++row;
        m_notify << qMakePair(c.flag, box);
        const quint32 flag = c.flag;
        connect(box, &QCheckBox::toggled, this, [this, flag](bool on) { emit notifyFlagToggled(flag, on); });
    }
    layout->addWidget(notify);
    layout->addStretch(1);

    m_maxTime->edited = [this](quint32 seconds) {
        if (seconds != m_job.maximumDownloadTime)
            emit maxTimeEdited(seconds);
    };
    m_noProgress->edited = [this](quint32 seconds) {
        if (seconds != m_job.noProgressTimeout)
            emit noProgressEdited(seconds);
    };
    m_retryDelay->edited = [this](quint32 seconds) {
        if (seconds != m_job.minimumRetryDelay)
            emit retryDelayEdited(seconds);
    };
}

void JobTransferTab::setJob(const Job &job)
{
    m_job = job;
}

void JobTransferTab::refresh(JobField field, bool force)
{
    switch (field) {
    case JobField::PeerClient: {
        const QSignalBlocker block(m_peerClient);
        m_peerClient->setChecked((m_job.peerCachingFlags & peercaching::Client) != 0);
        break;
    }
    case JobField::PeerServer: {
        const QSignalBlocker block(m_peerServer);
        m_peerServer->setChecked((m_job.peerCachingFlags & peercaching::Server) != 0);
        break;
    }
    case JobField::MaxTime:
        if (force || !m_maxTime->isBeingEdited())
            m_maxTime->setSeconds(m_job.maximumDownloadTime);
        showTimeUsed();
        break;
    case JobField::NoProgress:
        if (force || !m_noProgress->isBeingEdited())
            m_noProgress->setSeconds(m_job.noProgressTimeout);
        break;
    case JobField::RetryDelay:
        if (force || !m_retryDelay->isBeingEdited())
            m_retryDelay->setSeconds(m_job.minimumRetryDelay);
        break;
    case JobField::NotifyFlags:
        for (const auto &[flag, box] : std::as_const(m_notify)) {
            const QSignalBlocker block(box);
            box->setChecked((m_job.notifyFlags & flag) != 0);
        }
        break;
    default:
        break; // on another tab
    }
}

void JobTransferTab::showTimeUsed()
{
    const qint64 used = m_job.downloadTimeUsedMs / 1000;
    if (m_job.maximumDownloadTime == 0)
        m_timeUsed->setText(tr("%1 (no limit)").arg(durationText(used)));
    else
        m_timeUsed->setText(tr("%1 of %2").arg(durationText(used), durationText(m_job.maximumDownloadTime)));
}

void JobTransferTab::showPeerNote(bool peerCachingEnabled, bool clientOn, bool serverOn)
{
    QString note;
    if (!peerCachingEnabled)
        note = tr("Peer caching is off on this computer (Settings): these choices take effect when it is turned on.");
    else if (!clientOn && !serverOn)
        note = tr("Downloading from and serving to peers are both off on this computer (Settings): these choices take "
                  "effect when they are turned on.");
    else if (!clientOn)
        note = tr("Downloading from peers is off on this computer (Settings): “Download from peers” takes effect "
                  "when it is turned on.");
    else if (!serverOn)
        note = tr("Serving to peers is off on this computer (Settings): “Serve to peers” takes effect when it is "
                  "turned on.");
    m_peerNote->setText(note);
    m_peerNote->setVisible(!note.isEmpty());
}

void JobTransferTab::setEditable(bool editable)
{
    for (QWidget *w : std::initializer_list<QWidget *>{m_peerClient, m_peerServer, m_maxTime, m_noProgress, m_retryDelay})
        w->setEnabled(editable);
    for (const auto &[flag, box] : std::as_const(m_notify))
        box->setEnabled(editable);
}

} // namespace ferry
