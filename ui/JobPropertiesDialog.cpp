#include "JobPropertiesDialog.h"

#include "ConnectionPage.h"
#include "JobAccess.h"
#include "JobCredentialsBox.h"
#include "JobFilesTab.h"
#include "JobGeneralTab.h"
#include "JobOwnerTab.h"
#include "JobTransferTab.h"
#include "MessageLabel.h"

#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace ferry {

JobPropertiesDialog::JobPropertiesDialog(JobManager *jobs, const Job &job, const EngineSettings &settings, QWidget *parent)
    : QDialog(parent)
    , m_jobs(jobs)
    , m_job(job)
    , m_settings(settings)
    , m_viewer(Owner::ofThisProcess())
{
    setObjectName(QStringLiteral("jobProperties"));
    setAccessibleName(tr("Job properties"));
    resize(620, 520);

    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("readOnlyNote"));
    m_note->setAccessibleName(tr("Why the job cannot be changed"));
    m_note->setWordWrap(true);
    m_note->setTextFormat(Qt::PlainText);
    m_note->setFrameShape(QFrame::StyledPanel);
    m_note->setMargin(6);
    m_note->hide();

    m_message = new MessageLabel(this);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_tabs->setAccessibleName(tr("Job properties"));
    m_general = new JobGeneralTab(m_job);
    m_files = new JobFilesTab(m_job);
    m_transfer = new JobTransferTab;
    m_connection = new ConnectionPage;
    m_owner = new JobOwnerTab;
    // Four groups: taller than the dialog's other tabs, so they scroll rather than stretch it.
    auto *connectionTab = new QScrollArea;
    connectionTab->setObjectName(QStringLiteral("connectionTab"));
    connectionTab->setFrameShape(QFrame::NoFrame);
    connectionTab->setWidgetResizable(true);
    connectionTab->setWidget(m_connection);
    m_tabs->addTab(m_general, tr("&General"));
    m_tabs->addTab(m_files, tr("&Files"));
    m_tabs->addTab(m_transfer, tr("&Transfer options"));
    m_tabs->addTab(connectionTab, tr("&Credentials and connection"));
    m_tabs->addTab(m_owner, tr("&Owner"));
    connectTabs();

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->button(QDialogButtonBox::Close)->setAccessibleName(tr("Close"));
    buttons->button(QDialogButtonBox::Close)->setAutoDefault(false);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_note);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_message);
    layout->addWidget(buttons);

    m_usedTimer = new QTimer(this);
    m_usedTimer->setInterval(1000);
    connect(m_usedTimer, &QTimer::timeout, this, &JobPropertiesDialog::pollTimeUsed);

    if (m_jobs) {
        // Queued in the real application: the manager lives on the engine thread.
        connect(m_jobs, &JobManager::jobChanged, this, &JobPropertiesDialog::onJobChanged);
        connect(m_jobs, &JobManager::jobRemoved, this, &JobPropertiesDialog::onJobRemoved);
        connect(m_jobs, &JobManager::settingsChanged, this, &JobPropertiesDialog::onSettingsChanged);
    }

    refreshAll();
    updateEditable();
    resync();
}

JobPropertiesDialog::~JobPropertiesDialog() = default;

void JobPropertiesDialog::resync()
{
    // What changed between the caller's copy and the connections above was announced to no one
    // here: read the job and the settings once more, after the connections.
    if (!m_jobs)
        return;
    QPointer<JobPropertiesDialog> self(this);
    QObject *home = QCoreApplication::instance();
    QMetaObject::invokeMethod(m_jobs, [jobs = m_jobs, id = m_job.id, self, home] {
        const bool exists = jobs->job(id) != nullptr;
        const Job job = exists ? jobs->snapshot(id) : Job();
        const EngineSettings settings = jobs->settings();
        QMetaObject::invokeMethod(home, [self, id, exists, job, settings] {
            if (!self)
                return;
            // A signal heard since the connections carries the whole, newer state: it wins.
            if (!self->m_heardSettings)
                self->applySettings(settings);
            if (!exists)
                self->onJobRemoved(id);
            else if (!self->m_heardJob)
                self->applyJob(job);
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

// Each change a tab asks for, as the engine call that makes it.
void JobPropertiesDialog::connectTabs()
{
    connect(m_general, &JobGeneralTab::nameEdited, this, [this](const QString &text) {
        request(Field::Name, [text](JobManager *jobs, const Job &j) { return jobs->setDisplayName(j.id, text); });
    });
    connect(m_general, &JobGeneralTab::descriptionEdited, this, [this](const QString &text) {
        request(Field::Description, [text](JobManager *jobs, const Job &j) { return jobs->setDescription(j.id, text); });
    });
    connect(m_general, &JobGeneralTab::priorityChosen, this, [this](JobPriority p) {
        request(Field::Priority, [p](JobManager *jobs, const Job &j) { return jobs->setPriority(j.id, p); });
    });

    const auto flagChange = [this](quint32 bit, Field field) {
        return [this, bit, field](bool on) {
            // Only the bit the user touched: a change of the other one by someone else stays.
            request(field, [bit, on](JobManager *jobs, const Job &j) {
                return jobs->setPeerCachingFlags(j.id, (j.peerCachingFlags & ~bit) | (on ? bit : 0u));
            });
        };
    };
    connect(m_transfer, &JobTransferTab::peerClientToggled, this, flagChange(peercaching::Client, Field::PeerClient));
    connect(m_transfer, &JobTransferTab::peerServerToggled, this, flagChange(peercaching::Server, Field::PeerServer));
    connect(m_transfer, &JobTransferTab::maxTimeEdited, this, [this](quint32 seconds) {
        request(Field::MaxTime, [seconds](JobManager *jobs, const Job &j) { return jobs->setMaximumDownloadTime(j.id, seconds); });
    });
    connect(m_transfer, &JobTransferTab::noProgressEdited, this, [this](quint32 seconds) {
        request(Field::NoProgress, [seconds](JobManager *jobs, const Job &j) { return jobs->setNoProgressTimeout(j.id, seconds); });
    });
    connect(m_transfer, &JobTransferTab::retryDelayEdited, this, [this](quint32 seconds) {
        request(Field::RetryDelay, [seconds](JobManager *jobs, const Job &j) { return jobs->setMinimumRetryDelay(j.id, seconds); });
    });

    JobCredentialsBox *credentials = m_connection->credentials();
    connect(credentials, &JobCredentialsBox::saveRequested, this,
            [this, credentials](AuthTarget target, AuthScheme scheme, const Credentials &secret) {
        requestAsync(Field::Credentials, [target, scheme, secret](JobManager *jobs, const Job &job, Answer done) {
            jobs->setCredentials(job.id, target, scheme, secret, std::move(done));
        }, [credentials](const Status &s) { credentials->saveAnswered(s); });
    });
    connect(credentials, &JobCredentialsBox::removeRequested, this, [this, credentials](AuthTarget target, AuthScheme scheme) {
        requestAsync(Field::Credentials, [target, scheme](JobManager *jobs, const Job &job, Answer done) {
            jobs->removeCredentials(job.id, target, scheme, std::move(done));
        }, [credentials](const Status &s) { credentials->removeAnswered(s); });
    });
    connect(m_connection, &ConnectionPage::proxyChangeRequested, this,
            [this](ProxyUsage usage, const QString &list, const QString &bypass) {
        request(Field::Proxy, [usage, list, bypass](JobManager *jobs, const Job &job) {
            return jobs->setProxyUsage(job.id, usage, list, bypass);
        });
    });
    connect(m_connection, &ConnectionPage::headersChangeRequested, this, [this](const QStringList &lines) {
        request(Field::Headers, [lines](JobManager *jobs, const Job &job) { return jobs->setCustomHeaders(job.id, lines); });
    });
    connect(m_connection, &ConnectionPage::securityFlagsChangeRequested, this, [this](quint32 mask, quint32 value) {
        // Only what the user touched: another flag changed elsewhere meanwhile stays.
        request(Field::Security, [mask, value](JobManager *jobs, const Job &job) {
            return jobs->setSecurityFlags(job.id, (job.securityFlags & ~mask) | value);
        });
    });
}

void JobPropertiesDialog::setViewer(const Owner &viewer)
{
    m_viewer = viewer;
    refreshOwner();
    updateEditable();
}

void JobPropertiesDialog::onJobChanged(const Job &job)
{
    if (job.id != m_job.id)
        return;
    m_heardJob = true;
    applyJob(job);
}

void JobPropertiesDialog::applyJob(const Job &job)
{
    if (m_gone)
        return;
    m_job = job;
    refreshAll();
    updateEditable();
}

void JobPropertiesDialog::onJobRemoved(const QUuid &id)
{
    if (id != m_job.id || m_gone)
        return;
    m_gone = true;
    m_usedTimer->stop();
    // The files stay listed as last heard, like every other property of the gone job (the model's
    // removeJob would empty the table, as if the job had never had any).
    updateEditable();
}

void JobPropertiesDialog::onSettingsChanged(const EngineSettings &settings)
{
    m_heardSettings = true;
    applySettings(settings);
}

void JobPropertiesDialog::applySettings(const EngineSettings &settings)
{
    m_settings = settings;
    refreshPeerNote();
}

void JobPropertiesDialog::request(Field field, Change change)
{
    requestAsync(field, [change = std::move(change)](JobManager *jobs, const Job &job, const Answer &done) {
        done(change(jobs, job));
    }, {});
}

void JobPropertiesDialog::requestAsync(Field field, AsyncChange change, Answer answered)
{
    if (!m_jobs || m_readOnly) {
        if (answered)
            answered(Status(hr::E_ACCESSDENIED, tr("the job cannot be changed")));
        refreshField(field, true);
        return;
    }
    ++m_pending[int(field)];
    // The answer is posted to the application object (on this thread, alive as long as any
    // window), so that the pointer to this dialog is only ever looked at on this thread.
    QPointer<JobPropertiesDialog> self(this);
    QObject *home = QCoreApplication::instance();
    QMetaObject::invokeMethod(m_jobs, [jobs = m_jobs, id = m_job.id, viewer = m_viewer, change = std::move(change),
                                       answered = std::move(answered), self, home, field] {
        // Runs on the engine thread, now or when the change finishes (the keychain's callback).
        const Answer reply = [self, home, field, answered](const Status &s) {
            QMetaObject::invokeMethod(home, [self, field, answered, s] {
                if (self)
                    self->finish(field, s, answered);
            }, Qt::QueuedConnection);
        };
        // The dialog acts for its viewer, under the same owner rules as ferry-admin: checked
        // before anything is done, the keychain included.
        const Job *job = jobs->job(id);
        const Status allowed = job ? checkCanChange(viewer, job->owner) : Status(hr::BG_E_NOT_FOUND);
        if (!allowed)
            return reply(allowed);
        change(jobs, *job, reply);
    }, Qt::QueuedConnection);
}

void JobPropertiesDialog::finish(Field field, const Status &status, const Answer &answered)
{
    int &pending = m_pending[int(field)];
    pending = qMax(0, pending - 1);
    if (answered)
        answered(status);
    if (status) {
        m_message->clear();
        m_message->hide();
    } else {
        QString reason = status.message;
        if (status.code == hr::BG_E_NOT_FOUND)
            reason = tr("the job is gone");
        else if (reason.isEmpty())
            reason = tr("the engine refused it");
        showMessage(tr("Could not change %1: %2 (%3).").arg(fieldLabel(field), reason, errorName(status.code)));
    }
    // A refusal changed nothing in the engine: show its value again, even in a field in use.
    if (pending == 0)
        refreshField(field, !status.ok());
}

QString JobPropertiesDialog::fieldLabel(Field field) const
{
    switch (field) {
    case Field::Name: return tr("the name");
    case Field::Description: return tr("the description");
    case Field::Priority: return tr("the priority");
    case Field::PeerClient: return tr("“Download from peers”");
    case Field::PeerServer: return tr("“Serve to peers”");
    case Field::MaxTime: return tr("the maximum download time");
    case Field::NoProgress: return tr("the no-progress timeout");
    case Field::RetryDelay: return tr("the minimum retry delay");
    case Field::Credentials: return tr("the credentials");
    case Field::Proxy: return tr("the proxy settings");
    case Field::Headers: return tr("the custom headers");
    case Field::Security: return tr("the security settings");
    }
    return {};
}

void JobPropertiesDialog::showMessage(const QString &text)
{
    m_message->setText(text);
    m_message->show();
}

void JobPropertiesDialog::refreshAll()
{
    setWindowTitle(tr("%1 — Properties").arg(m_job.displayName.isEmpty() ? tr("Unnamed job") : m_job.displayName));
    m_general->setJob(m_job);
    m_transfer->setJob(m_job);
    m_connection->setJob(m_job);
    for (Field f : {Field::Name, Field::Description, Field::Priority, Field::PeerClient, Field::PeerServer,
                    Field::MaxTime, Field::NoProgress, Field::RetryDelay, Field::Credentials, Field::Proxy,
                    Field::Headers, Field::Security})
        refreshField(f, false);
    m_general->showStatus();
    // The job the files tab shows since it was built: rows added, removed or changed in place.
    m_files->showJob(m_job);
    m_transfer->showTimeUsed();
    refreshOwner();
    refreshPeerNote();
    if (isActive(m_job.state) && !m_gone) {
        if (!m_usedTimer->isActive())
            m_usedTimer->start();
    } else {
        m_usedTimer->stop();
    }
}

void JobPropertiesDialog::refreshField(Field field, bool force)
{
    if (!force && m_pending.value(int(field)) > 0)
        return; // the engine's answer to the user's change is on its way
    m_general->refresh(field, force);
    m_transfer->refresh(field, force);
    m_connection->refresh(field, force);
}

void JobPropertiesDialog::refreshOwner()
{
    m_owner->showOwner(m_job.owner, m_viewer);
}

void JobPropertiesDialog::refreshPeerNote()
{
    m_transfer->showPeerNote(m_settings.peerCachingEnabled, m_settings.peerCachingClient, m_settings.peerCachingServer);
}

void JobPropertiesDialog::updateEditable()
{
    QString why;
    if (m_gone) {
        why = tr("This job is gone: it was completed or cancelled. Its properties can no longer be changed.");
    } else if (isFinal(m_job.state)) {
        why = tr("This job can no longer change (%1).").arg(JobGeneralTab::stateText(m_job.state));
    } else if (!checkCanChange(m_viewer, m_job.owner)) {
        if (m_job.owner.elevated && !m_viewer.elevated)
            why = tr("This job was created by an elevated process and you are not elevated: its properties are shown "
                     "read-only.");
        else
            why = tr("This job's owner runs at integrity level %1, above yours (%2): its properties are shown read-only.")
                      .arg(integrityName(m_job.owner.integrity), integrityName(m_viewer.integrity));
    }
    m_readOnly = !why.isEmpty();
    m_note->setText(why);
    m_note->setVisible(m_readOnly);
    m_general->setEditable(!m_readOnly);
    m_transfer->setEditable(!m_readOnly);
    m_connection->setEditable(!m_readOnly);
}

void JobPropertiesDialog::pollTimeUsed()
{
    if (!m_jobs || m_gone || m_usedPollPending)
        return;
    m_usedPollPending = true;
    QPointer<JobPropertiesDialog> self(this);
    QObject *home = QCoreApplication::instance();
    QMetaObject::invokeMethod(m_jobs, [jobs = m_jobs, id = m_job.id, self, home] {
        const qint64 usedMs = jobs->job(id) ? jobs->snapshot(id).downloadTimeUsedMs : -1;
        QMetaObject::invokeMethod(home, [self, usedMs] {
            if (!self)
                return;
            self->m_usedPollPending = false;
            if (usedMs >= 0 && !self->m_gone) {
                self->m_job.downloadTimeUsedMs = usedMs;
                self->m_transfer->setJob(self->m_job);
                self->m_transfer->showTimeUsed();
            }
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

} // namespace ferry
