#include "JobPropertiesDialog.h"

#include "ConnectionPage.h"
#include "JobCredentialsBox.h"
#include "JobFilesTab.h"
#include "JobGeneralTab.h"
#include "JobOwnerTab.h"
#include "JobTransferTab.h"
#include "MessageLabel.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QDialogButtonBox>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace ferry {

JobPropertiesDialog::JobPropertiesDialog(EngineClient *client, const Job &job, const EngineSettings &settings, QWidget *parent)
    : QDialog(parent)
    , m_client(client)
    , m_job(job)
    , m_settings(settings)
    , m_viewer(client ? client->caller() : Owner::ofThisProcess())
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

    if (m_client) {
        connect(m_client->jobs(), &JobCache::jobChanged, this, &JobPropertiesDialog::onJobChanged);
        // The client's first view of the jobs (or a fresh one) holds this job, or it is gone.
        connect(m_client->jobs(), &JobCache::jobsReset, this, [this] {
            if (const Job *current = m_client->jobs()->job(m_job.id))
                onJobChanged(*current);
            else
                onJobRemoved(m_job.id);
        });
        connect(m_client->jobs(), &JobCache::jobRemoved, this, &JobPropertiesDialog::onJobRemoved);
        connect(m_client, &EngineClient::settingsChanged, this, &JobPropertiesDialog::onSettingsChanged);
    }

    refreshAll();
    updateEditable();
    resync();
    askAccess();
}

JobPropertiesDialog::~JobPropertiesDialog() = default;

void JobPropertiesDialog::resync()
{
    // The caller's copies may be older than the client's: read them once more (a change heard
    // since the connections carries the whole, newer state and wins).
    if (!m_client)
        return;
    QPointer<JobPropertiesDialog> self(this);
    QTimer::singleShot(0, this, [self] {
        if (!self)
            return;
        if (!self->m_heardSettings && self->m_client->hasSettings())
            self->applySettings(self->m_client->settings());
        const Job *job = self->m_client->jobs()->job(self->m_job.id);
        if (!job)
            self->m_client->access(self->m_job.id, [self](bool known, bool, const QString &) {
                if (self && !known)
                    self->onJobRemoved(self->m_job.id); // gone in the engine too
            });
        else if (!self->m_heardJob)
            self->applyJob(*job);
    });
}

// Whether the viewer may change this job is the engine's to say; asked on opening and again
// when the job changes owner.
void JobPropertiesDialog::askAccess()
{
    if (!m_client || m_gone)
        return;
    m_accessAskedFor = m_job.owner;
    QPointer<JobPropertiesDialog> self(this);
    m_client->access(m_job.id, [self](bool known, bool mayChange, const QString &refusedBy) {
        if (!self)
            return;
        self->m_accessKnown = true;
        self->m_mayChange = known && mayChange;
        self->m_refusedBy = refusedBy;
        self->updateEditable();
    });
}

// Each change a tab asks for, as the engine call that makes it.
void JobPropertiesDialog::connectTabs()
{
    connect(m_general, &JobGeneralTab::nameEdited, this, [this](const QString &text) {
        request(Field::Name, [text](EngineClient *c, const Job &j, EngineClient::Then done) { c->setDisplayName(j.id, text, done); });
    });
    connect(m_general, &JobGeneralTab::descriptionEdited, this, [this](const QString &text) {
        request(Field::Description, [text](EngineClient *c, const Job &j, EngineClient::Then done) { c->setDescription(j.id, text, done); });
    });
    connect(m_general, &JobGeneralTab::priorityChosen, this, [this](JobPriority p) {
        request(Field::Priority, [p](EngineClient *c, const Job &j, EngineClient::Then done) { c->setPriority(j.id, p, done); });
    });

    const auto flagChange = [this](quint32 bit, Field field) {
        return [this, bit, field](bool on) {
            // Only the bit the user touched: a change of the other one by someone else stays.
            request(field, [bit, on](EngineClient *c, const Job &j, EngineClient::Then done) {
                c->setNumber(QStringLiteral("setpeercachingflags"), j.id, (j.peerCachingFlags & ~bit) | (on ? bit : 0u), done);
            });
        };
    };
    connect(m_transfer, &JobTransferTab::peerClientToggled, this, flagChange(peercaching::Client, Field::PeerClient));
    connect(m_transfer, &JobTransferTab::peerServerToggled, this, flagChange(peercaching::Server, Field::PeerServer));
    connect(m_transfer, &JobTransferTab::notifyFlagToggled, this, [this](quint32 flag, bool on) {
        // Only the flag the user touched, as with the peer caching flags.
        request(Field::NotifyFlags, [flag, on](EngineClient *c, const Job &j, EngineClient::Then done) {
            c->setNumber(QStringLiteral("setnotifyflags"), j.id, (j.notifyFlags & ~flag) | (on ? flag : 0u), std::move(done));
        });
    });
    connect(m_transfer, &JobTransferTab::maxTimeEdited, this, [this](quint32 seconds) {
        request(Field::MaxTime, [seconds](EngineClient *c, const Job &j, EngineClient::Then done) {
            c->setNumber(QStringLiteral("setmaxdownloadtime"), j.id, seconds, done);
        });
    });
    connect(m_transfer, &JobTransferTab::noProgressEdited, this, [this](quint32 seconds) {
        request(Field::NoProgress, [seconds](EngineClient *c, const Job &j, EngineClient::Then done) {
            c->setNumber(QStringLiteral("setnoprogresstimeout"), j.id, seconds, done);
        });
    });
    connect(m_transfer, &JobTransferTab::retryDelayEdited, this, [this](quint32 seconds) {
        request(Field::RetryDelay, [seconds](EngineClient *c, const Job &j, EngineClient::Then done) {
            c->setNumber(QStringLiteral("setminretrydelay"), j.id, seconds, done);
        });
    });

    JobCredentialsBox *credentials = m_connection->credentials();
    connect(credentials, &JobCredentialsBox::saveRequested, this,
            [this, credentials](AuthTarget target, AuthScheme scheme, const Credentials &secret) {
        request(Field::Credentials, [target, scheme, secret](EngineClient *c, const Job &job, EngineClient::Then done) {
            c->setCredentials(job.id, target, scheme, secret, std::move(done));
        }, [credentials](const Status &s) { credentials->saveAnswered(s); });
    });
    connect(credentials, &JobCredentialsBox::removeRequested, this, [this, credentials](AuthTarget target, AuthScheme scheme) {
        request(Field::Credentials, [target, scheme](EngineClient *c, const Job &job, EngineClient::Then done) {
            c->removeCredentials(job.id, target, scheme, std::move(done));
        }, [credentials](const Status &s) { credentials->removeAnswered(s); });
    });
    connect(m_connection, &ConnectionPage::proxyChangeRequested, this,
            [this](ProxyUsage usage, const QString &list, const QString &bypass) {
        request(Field::Proxy, [usage, list, bypass](EngineClient *c, const Job &job, EngineClient::Then done) {
            c->setProxy(job.id, usage, list, bypass, done);
        });
    });
    connect(m_files, &JobFilesTab::remoteNameChangeRequested, this, [this](int fileIndex, const QString &url) {
        request(Field::RemoteName, [fileIndex, url](EngineClient *c, const Job &job, EngineClient::Then done) {
            c->setRemoteName(job.id, fileIndex, url, std::move(done));
        });
    });
    connect(m_connection, &ConnectionPage::headersChangeRequested, this, [this](const QStringList &lines) {
        request(Field::Headers, [lines](EngineClient *c, const Job &job, EngineClient::Then done) { c->setCustomHeaders(job.id, lines, done); });
    });
    connect(m_connection, &ConnectionPage::securityFlagsChangeRequested, this, [this](quint32 mask, quint32 value) {
        // Only what the user touched: another flag changed elsewhere meanwhile stays.
        request(Field::Security, [mask, value](EngineClient *c, const Job &job, EngineClient::Then done) {
            c->setNumber(QStringLiteral("setsecurityflags"), job.id, (job.securityFlags & ~mask) | value, done);
        });
    });
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
    const bool newOwner = job.owner.uid != m_accessAskedFor.uid || job.owner.elevated != m_accessAskedFor.elevated
                          || job.owner.integrity != m_accessAskedFor.integrity;
    m_job = job;
    refreshAll();
    updateEditable();
    if (newOwner)
        askAccess(); // taken over: what the viewer may do is the engine's to say again
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

void JobPropertiesDialog::request(Field field, Change change, Answer answered)
{
    if (!m_client || m_readOnly) {
        if (answered)
            answered(Status(hr::E_ACCESSDENIED, tr("the job cannot be changed")));
        refreshField(field, true);
        return;
    }
    ++m_pending[int(field)];
    QPointer<JobPropertiesDialog> self(this);
    change(m_client, m_job, [self, field, answered = std::move(answered)](const Status &s) {
        if (self)
            self->finish(field, s, answered);
    });
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
    case Field::RemoteName: return tr("the file's URL");
    case Field::NotifyFlags: return tr("the notifications");
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
                    Field::Headers, Field::Security, Field::NotifyFlags})
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
    if (field == Field::RemoteName)
        m_files->refreshUrl(force);
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
    } else if (!m_accessKnown) {
        why = tr("Asking the engine whether you may change this job…");
    } else if (!m_mayChange) {
        if (m_refusedBy == QLatin1String("elevation"))
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
    m_files->setEditable(!m_readOnly);
}

void JobPropertiesDialog::pollTimeUsed()
{
    if (!m_client || m_gone || m_usedPollPending)
        return;
    m_usedPollPending = true;
    // The time used grows while the job runs without a change being announced: read it.
    QPointer<JobPropertiesDialog> self(this);
    m_client->request(QStringLiteral("info"), {m_job.id.toString(QUuid::WithoutBraces)}, [self](const AdminReply &r) {
        if (!self)
            return;
        self->m_usedPollPending = false;
        const QJsonValue used = r.json.toObject().value(QLatin1String("downloadTimeUsed")); // seconds, ms precision
        if (r.ok && used.isDouble() && !self->m_gone) {
            self->m_job.downloadTimeUsedMs = qRound64(used.toDouble() * 1000.0);
            self->m_transfer->setJob(self->m_job);
            self->m_transfer->showTimeUsed();
        }
    });
}

} // namespace ferry
