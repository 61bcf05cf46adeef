#include "JobGeneralTab.h"

#include "PriorityBox.h"
#include "PropertyWidgets.h"

#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSignalBlocker>
#include <QVBoxLayout>

namespace ferry {

namespace {

QString timeText(const QDateTime &t)
{
    if (!t.isValid())
        return JobGeneralTab::tr("Not yet");
    return QLocale().toString(t.toLocalTime(), QLocale::LongFormat);
}

QString sizeText(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes);
}

} // namespace

JobGeneralTab::JobGeneralTab(const Job &job, QWidget *parent)
    : QWidget(parent)
    , m_job(job)
{
    setObjectName(QStringLiteral("generalTab"));
    auto *outer = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    outer->addLayout(form);
    outer->addStretch(1);
    m_form = form;

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("name"));
    m_name->setAccessibleName(tr("Name"));
    m_name->setMaxLength(defaults::MaxDisplayName);
    form->addRow(tr("&Name:"), m_name);
    connect(m_name, &QLineEdit::editingFinished, this, [this] {
        if (!m_name->isModified())
            return;
        m_name->setModified(false);
        const QString text = m_name->text();
        if (text != m_job.displayName)
            emit nameEdited(text);
    });

    m_description = new QLineEdit(this);
    m_description->setObjectName(QStringLiteral("description"));
    m_description->setAccessibleName(tr("Description"));
    m_description->setMaxLength(defaults::MaxDescription);
    form->addRow(tr("&Description:"), m_description);
    connect(m_description, &QLineEdit::editingFinished, this, [this] {
        if (!m_description->isModified())
            return;
        m_description->setModified(false);
        const QString text = m_description->text();
        if (text != m_job.description)
            emit descriptionEdited(text);
    });

    m_priority = new PriorityBox(this);
    form->addRow(tr("&Priority:"), m_priority);
    connect(m_priority, &QComboBox::currentIndexChanged, this, [this] {
        const auto p = JobPriority(m_priority->currentData().toInt());
        if (p != m_job.priority)
            emit priorityChosen(p);
    });

    m_state = valueLabel(tr("State"), QStringLiteral("state"), this);
    form->addRow(tr("State:"), m_state);
    m_progress = valueLabel(tr("Progress"), QStringLiteral("progress"), this);
    form->addRow(tr("Progress:"), m_progress);
    m_error = valueLabel(tr("Error"), QStringLiteral("error"), this);
    form->addRow(tr("Error:"), m_error);
    m_errorContext = valueLabel(tr("Error context"), QStringLiteral("errorContext"), this);
    form->addRow(tr("Error context:"), m_errorContext);
    m_errorDescription = valueLabel(tr("Error description"), QStringLiteral("errorDescription"), this);
    form->addRow(tr("Error description:"), m_errorDescription);
    m_created = valueLabel(tr("Created"), QStringLiteral("created"), this);
    form->addRow(tr("Created:"), m_created);
    m_modified = valueLabel(tr("Modified"), QStringLiteral("modified"), this);
    form->addRow(tr("Modified:"), m_modified);
    m_completed = valueLabel(tr("Transfer completed"), QStringLiteral("transferCompleted"), this);
    form->addRow(tr("Transfer completed:"), m_completed);
    QLabel *id = valueLabel(tr("Job ID"), QStringLiteral("jobId"), this);
    id->setText(m_job.id.toString(QUuid::WithoutBraces));
    form->addRow(tr("Job ID:"), id);
}

void JobGeneralTab::setJob(const Job &job)
{
    m_job = job;
}

void JobGeneralTab::refresh(JobField field, bool force)
{
    switch (field) {
    case JobField::Name:
        if (force || !(m_name->hasFocus() && m_name->isModified()))
            m_name->setText(m_job.displayName);
        break;
    case JobField::Description:
        if (force || !(m_description->hasFocus() && m_description->isModified()))
            m_description->setText(m_job.description);
        break;
    case JobField::Priority: {
        const QSignalBlocker block(m_priority);
        m_priority->setCurrentIndex(m_priority->findData(int(m_job.priority)));
        break;
    }
    default:
        break; // on another tab
    }
}

void JobGeneralTab::showStatus()
{
    m_state->setText(stateText(m_job.state));
    const JobProgress p = m_job.progress();
    const QString total = p.bytesTotal == SizeUnknown ? tr("an unknown size") : sizeText(qint64(p.bytesTotal));
    m_progress->setText(tr("%1 of %2; %3 of %n file(s)", nullptr, p.filesTotal)
                            .arg(sizeText(qint64(p.bytesTransferred)), total)
                            .arg(p.filesTransferred));

    const JobError &e = m_job.error;
    if (e.isSet()) {
        m_error->setText(tr("%1 (%2)").arg(errorName(e.code), errorHex(e.code)));
        QString context = contextName(e.context);
        if (e.fileIndex >= 0 && e.fileIndex < m_job.files.size())
            context = tr("%1, file %2: %3")
                          .arg(context)
                          .arg(e.fileIndex + 1)
                          .arg(m_job.files[e.fileIndex].remoteUrl.toDisplayString());
        m_errorContext->setText(context);
        m_errorDescription->setText(e.description.isEmpty() ? tr("None given") : e.description);
    } else {
        m_error->setText(tr("None"));
        m_errorContext->clear();
        m_errorDescription->clear();
    }
    m_form->setRowVisible(m_errorContext, e.isSet());
    m_form->setRowVisible(m_errorDescription, e.isSet());

    m_created->setText(timeText(m_job.creationTime));
    m_modified->setText(timeText(m_job.modificationTime));
    m_completed->setText(timeText(m_job.transferCompletionTime));
}

void JobGeneralTab::setEditable(bool editable)
{
    for (QWidget *w : std::initializer_list<QWidget *>{m_name, m_description, m_priority})
        w->setEnabled(editable);
}

QString JobGeneralTab::stateText(JobState s)
{
    switch (s) {
    case JobState::Queued: return tr("Queued");
    case JobState::Connecting: return tr("Connecting");
    case JobState::Transferring: return tr("Transferring");
    case JobState::Suspended: return tr("Suspended");
    case JobState::Error: return tr("Error");
    case JobState::TransientError: return tr("Transient error (will retry)");
    case JobState::Transferred: return tr("Transferred (waiting to be completed)");
    case JobState::Acknowledged: return tr("Completed");
    case JobState::Cancelled: return tr("Cancelled");
    }
    return stateName(s);
}

} // namespace ferry
