#include "JobPropertiesDialog.h"

#include "JobAccess.h"
#include "JobDelegate.h"
#include "JobFilesModel.h"
#include "MessageLabel.h"
#include "PriorityBox.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPainter>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStyleOptionProgressBar>
#include <QStyledItemDelegate>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <array>
#include <limits>

namespace ferry {

namespace {

// A spinner that can tell typed text not yet taken (Enter, leaving the field) from its value.
class DurationSpin : public QSpinBox
{
public:
    using QSpinBox::QSpinBox;
    bool hasUncommittedText() const
    {
        const QString shown = !specialValueText().isEmpty() && value() == minimum() ? specialValueText() : textFromValue(value());
        return lineEdit()->displayText() != shown;
    }
};

// The files table's Progress column as a progress bar: JobFilesModel's percent (SortRole) as its
// value, the model's text ("42% (3.0 MB of 7.0 MB)") on it; the other columns as usual.
class FileProgressDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        if (index.column() != JobFilesModel::Progress)
            return QStyledItemDelegate::paint(painter, option, index);
        JobDelegate::paintProgressBar(painter, option, index, index.data(JobFilesModel::SortRole).toInt());
    }
};

} // namespace

// A duration as a number and a unit (seconds, minutes, hours, days), e.g. "2 hours". The number
// keeps its value when the unit changes (type 2, pick hours: two hours), and each unit's range
// is what quint32 seconds can hold, so nothing out of range can be entered. At the minimum of 0,
// zeroText (if any) is shown instead of the number ("No limit").
class DurationField : public QWidget
{
    Q_DECLARE_TR_FUNCTIONS(ferry::DurationField)
public:
    DurationField(const QString &name, const QString &accessibleName, quint32 minimumSeconds, const QString &zeroText,
                  QWidget *parent)
        : QWidget(parent)
        , m_minimumSeconds(minimumSeconds)
        , m_spin(new DurationSpin(this))
        , m_unit(new QComboBox(this))
    {
        setObjectName(name + QLatin1String("Field"));
        m_spin->setObjectName(name);
        m_unit->setObjectName(name + QLatin1String("Unit"));
        m_spin->setAccessibleName(accessibleName);
        m_unit->setAccessibleName(tr("%1, unit").arg(accessibleName));
        m_spin->setKeyboardTracking(false); // typed numbers count on Enter or leaving the field
        m_spin->setAccelerated(true);
        m_spin->setCorrectionMode(QAbstractSpinBox::CorrectToNearestValue);
        if (minimumSeconds == 0 && !zeroText.isEmpty())
            m_spin->setSpecialValueText(zeroText);
        m_unit->addItem(tr("seconds"), 1u);
        m_unit->addItem(tr("minutes"), 60u);
        m_unit->addItem(tr("hours"), 3600u);
        m_unit->addItem(tr("days"), 86400u);
        m_unit->setCurrentIndex(0);
        applyRange();

        auto *row = new QHBoxLayout(this);
        row->setContentsMargins(0, 0, 0, 0);
        row->addWidget(m_spin, 1);
        row->addWidget(m_unit);
        setFocusProxy(m_spin);

        connect(m_spin, &QSpinBox::valueChanged, this, [this] { changed(); });
        connect(m_unit, &QComboBox::currentIndexChanged, this, [this] {
            const QSignalBlocker block(m_spin);
            applyRange(); // keeps the number, clamped to what the new unit can hold
            changed();
        });
    }

    QSpinBox *spin() const { return m_spin; }
    QComboBox *unit() const { return m_unit; }
    bool isBeingEdited() const { return m_spin->hasFocus() && m_spin->hasUncommittedText(); }

    quint32 seconds() const { return quint32(quint64(m_spin->value()) * unitSeconds(m_unit->currentIndex())); }

    // Shows seconds in the largest unit that holds them exactly (7,776,000: 90 days).
    void setSeconds(quint32 seconds)
    {
        int index = -1;
        qint64 value = 0;
        if (seconds == 0 && m_minimumSeconds == 0) {
            index = m_unit->currentIndex();
        } else {
            for (int i = int(kUnits.size()) - 1; i >= 0; --i) {
                const quint32 f = unitSeconds(i);
                if (seconds % f == 0 && seconds / f <= maximumFor(i) && seconds / f >= minimumFor(i)) {
                    index = i;
                    value = seconds / f;
                    break;
                }
            }
        }
        if (index < 0) {
            // Beyond the seconds spinner (over 68 years) and not whole minutes: the nearest minute;
            // below the minimum: the minimum (the engine raises such values itself).
            index = seconds > maximumFor(0) ? 1 : 0;
            value = qBound<qint64>(minimumFor(index), (seconds + unitSeconds(index) / 2) / unitSeconds(index),
                                   maximumFor(index));
        }
        const QSignalBlocker blockSpin(m_spin);
        const QSignalBlocker blockUnit(m_unit);
        m_unit->setCurrentIndex(index);
        applyRange();
        m_spin->setValue(int(value));
    }

    std::function<void(quint32)> edited; // the user changed the number or the unit

private:
    static constexpr std::array<quint32, 4> kUnits{1, 60, 3600, 86400};
    static quint32 unitSeconds(int index) { return kUnits[std::size_t(qBound(0, index, int(kUnits.size()) - 1))]; }

    quint32 minimumFor(int index) const
    {
        const quint32 f = unitSeconds(index);
        return (m_minimumSeconds + f - 1) / f; // at least the minimum in any unit: 5 s is 1 minute
    }
    static quint32 maximumFor(int index)
    {
        return quint32(qMin<quint64>(quint64(std::numeric_limits<int>::max()),
                                     std::numeric_limits<quint32>::max() / unitSeconds(index)));
    }
    void applyRange() { m_spin->setRange(int(minimumFor(m_unit->currentIndex())), int(maximumFor(m_unit->currentIndex()))); }
    void changed()
    {
        if (edited)
            edited(seconds());
    }

    quint32 m_minimumSeconds;
    DurationSpin *m_spin;
    QComboBox *m_unit;
};

namespace {

QString stateText(JobState s)
{
    switch (s) {
    case JobState::Queued: return JobPropertiesDialog::tr("Queued");
    case JobState::Connecting: return JobPropertiesDialog::tr("Connecting");
    case JobState::Transferring: return JobPropertiesDialog::tr("Transferring");
    case JobState::Suspended: return JobPropertiesDialog::tr("Suspended");
    case JobState::Error: return JobPropertiesDialog::tr("Error");
    case JobState::TransientError: return JobPropertiesDialog::tr("Transient error (will retry)");
    case JobState::Transferred: return JobPropertiesDialog::tr("Transferred (waiting to be completed)");
    case JobState::Acknowledged: return JobPropertiesDialog::tr("Completed");
    case JobState::Cancelled: return JobPropertiesDialog::tr("Cancelled");
    }
    return stateName(s);
}

QString durationText(qint64 totalSeconds)
{
    if (totalSeconds <= 0)
        return JobPropertiesDialog::tr("%n second(s)", nullptr, 0);
    const qint64 days = totalSeconds / 86400;
    const int hours = int(totalSeconds / 3600 % 24);
    const int minutes = int(totalSeconds / 60 % 60);
    const int seconds = int(totalSeconds % 60);
    QStringList parts;
    if (days)
        parts << JobPropertiesDialog::tr("%n day(s)", nullptr, int(days));
    if (hours)
        parts << JobPropertiesDialog::tr("%n hour(s)", nullptr, hours);
    if (minutes)
        parts << JobPropertiesDialog::tr("%n minute(s)", nullptr, minutes);
    if (seconds)
        parts << JobPropertiesDialog::tr("%n second(s)", nullptr, seconds);
    return QLocale().createSeparatedList(parts);
}

QString timeText(const QDateTime &t)
{
    if (!t.isValid())
        return JobPropertiesDialog::tr("Not yet");
    return QLocale().toString(t.toLocalTime(), QLocale::LongFormat);
}

QString sizeText(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes);
}

QString integrityHelp(IntegrityLevel level)
{
    switch (level) {
    case IntegrityLevel::Untrusted:
        return JobPropertiesDialog::tr("Who created the job could not be established (the process was gone or its "
                                       "details could not be read), so it is trusted least.");
    case IntegrityLevel::Low:
        return JobPropertiesDialog::tr("Created from a sandbox: a Flatpak or Snap application, or a process running "
                                       "with no_new_privs and a seccomp filter.");
    case IntegrityLevel::Medium:
        return JobPropertiesDialog::tr("Created by an ordinary process of the user, without administrative rights.");
    case IntegrityLevel::MediumPlus:
        return JobPropertiesDialog::tr("Created by a process running with no_new_privs outside any sandbox.");
    case IntegrityLevel::High:
        return JobPropertiesDialog::tr("Created by an elevated process in a login session: through sudo or pkexec, "
                                       "or holding CAP_SYS_ADMIN or CAP_DAC_OVERRIDE.");
    case IntegrityLevel::System:
        return JobPropertiesDialog::tr("Created by a system service running as root outside any login session.");
    }
    return {};
}

QString ownerText(const Owner &o)
{
    const QString name = o.userName.isEmpty() ? Owner::nameOf(o.uid) : o.userName;
    return JobPropertiesDialog::tr("%1 (uid %2)").arg(name).arg(o.uid);
}

QString elevationText(bool elevated)
{
    return elevated ? JobPropertiesDialog::tr("Elevated") : JobPropertiesDialog::tr("Not elevated");
}

QLabel *valueLabel(const QString &accessibleName, const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setAccessibleName(accessibleName);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    return label;
}

QLabel *helpLabel(const QString &accessibleName, const QString &objectName, QWidget *parent)
{
    QLabel *label = valueLabel(accessibleName, objectName, parent);
    QFont small = label->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    label->setFont(small);
    return label;
}

} // namespace

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
    m_tabs->addTab(buildGeneralTab(), tr("&General"));
    m_tabs->addTab(buildFilesTab(), tr("&Files"));
    m_tabs->addTab(buildTransferTab(), tr("&Transfer options"));
    m_tabs->addTab(buildConnectionTab(), tr("&Credentials and connection"));
    m_tabs->addTab(buildOwnerTab(), tr("&Owner"));

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

void JobPropertiesDialog::setViewer(const Owner &viewer)
{
    m_viewer = viewer;
    refreshOwner();
    updateEditable();
}

QWidget *JobPropertiesDialog::buildGeneralTab()
{
    auto *page = new QWidget;
    page->setObjectName(QStringLiteral("generalTab"));
    auto *outer = new QVBoxLayout(page);
    auto *form = new QFormLayout;
    outer->addLayout(form);
    outer->addStretch(1);
    m_generalForm = form;

    m_name = new QLineEdit(page);
    m_name->setObjectName(QStringLiteral("name"));
    m_name->setAccessibleName(tr("Name"));
    m_name->setMaxLength(defaults::MaxDisplayName);
    form->addRow(tr("&Name:"), m_name);
    connect(m_name, &QLineEdit::editingFinished, this, [this] {
        if (!m_name->isModified())
            return;
        m_name->setModified(false);
        const QString text = m_name->text();
        if (text == m_job.displayName)
            return;
        request(Field::Name, [text](JobManager *jobs, const Job &j) { return jobs->setDisplayName(j.id, text); });
    });

    m_description = new QLineEdit(page);
    m_description->setObjectName(QStringLiteral("description"));
    m_description->setAccessibleName(tr("Description"));
    m_description->setMaxLength(defaults::MaxDescription);
    form->addRow(tr("&Description:"), m_description);
    connect(m_description, &QLineEdit::editingFinished, this, [this] {
        if (!m_description->isModified())
            return;
        m_description->setModified(false);
        const QString text = m_description->text();
        if (text == m_job.description)
            return;
        request(Field::Description, [text](JobManager *jobs, const Job &j) { return jobs->setDescription(j.id, text); });
    });

    m_priority = new PriorityBox(page);
    form->addRow(tr("&Priority:"), m_priority);
    connect(m_priority, &QComboBox::currentIndexChanged, this, [this] {
        const auto p = JobPriority(m_priority->currentData().toInt());
        if (p == m_job.priority)
            return;
        request(Field::Priority, [p](JobManager *jobs, const Job &j) { return jobs->setPriority(j.id, p); });
    });

    m_state = valueLabel(tr("State"), QStringLiteral("state"), page);
    form->addRow(tr("State:"), m_state);
    m_progress = valueLabel(tr("Progress"), QStringLiteral("progress"), page);
    form->addRow(tr("Progress:"), m_progress);
    m_error = valueLabel(tr("Error"), QStringLiteral("error"), page);
    form->addRow(tr("Error:"), m_error);
    m_errorContext = valueLabel(tr("Error context"), QStringLiteral("errorContext"), page);
    form->addRow(tr("Error context:"), m_errorContext);
    m_errorDescription = valueLabel(tr("Error description"), QStringLiteral("errorDescription"), page);
    form->addRow(tr("Error description:"), m_errorDescription);
    m_created = valueLabel(tr("Created"), QStringLiteral("created"), page);
    form->addRow(tr("Created:"), m_created);
    m_modified = valueLabel(tr("Modified"), QStringLiteral("modified"), page);
    form->addRow(tr("Modified:"), m_modified);
    m_completed = valueLabel(tr("Transfer completed"), QStringLiteral("transferCompleted"), page);
    form->addRow(tr("Transfer completed:"), m_completed);
    QLabel *id = valueLabel(tr("Job ID"), QStringLiteral("jobId"), page);
    id->setText(m_job.id.toString(QUuid::WithoutBraces));
    form->addRow(tr("Job ID:"), id);
    return page;
}

QWidget *JobPropertiesDialog::buildFilesTab()
{
    auto *page = new QWidget;
    page->setObjectName(QStringLiteral("filesTab"));
    auto *layout = new QVBoxLayout(page);

    m_filesModel = new JobFilesModel(this);
    m_filesModel->setObjectName(QStringLiteral("filesModel"));
    m_filesModel->setJob(m_job);
    m_filesProxy = new QSortFilterProxyModel(this);
    m_filesProxy->setObjectName(QStringLiteral("filesProxy"));
    m_filesProxy->setSourceModel(m_filesModel);
    m_filesProxy->setSortRole(JobFilesModel::SortRole); // percent, bytes: numbers, not their text
    m_filesProxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_filesProxy->setSortLocaleAware(true);

    m_files = new QTableView(page);
    m_files->setObjectName(QStringLiteral("files"));
    m_files->setAccessibleName(tr("Files"));
    m_files->setAccessibleDescription(tr("The job's files: remote URL, local name, progress, size, temporary name and "
                                         "whether the file came from a peer."));
    m_files->setModel(m_filesProxy);
    m_files->setItemDelegate(new FileProgressDelegate(m_files));
    m_files->setShowGrid(false);
    m_files->setWordWrap(false);
    m_files->setTextElideMode(Qt::ElideMiddle); // paths: keep both ends
    m_files->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_files->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_files->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_files->verticalHeader()->hide();
    // Uniform row heights: every row as tall as one line of text, never measured row by row.
    m_files->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_files->verticalHeader()->setDefaultSectionSize(m_files->fontMetrics().height() + 8);
    QHeaderView *header = m_files->horizontalHeader();
    header->setHighlightSections(false);
    header->setStretchLastSection(true);
    header->setSortIndicatorClearable(true); // a third click: the job's own order again
    header->setSortIndicator(-1, Qt::AscendingOrder);
    m_files->setSortingEnabled(true);          // unsorted until a header is clicked
    m_files->setColumnWidth(JobFilesModel::RemoteUrl, 220);
    m_files->setColumnWidth(JobFilesModel::LocalName, 180);
    m_files->setColumnWidth(JobFilesModel::Progress, 160);
    m_files->setColumnWidth(JobFilesModel::Size, 80);
    m_files->setColumnWidth(JobFilesModel::TempName, 180);
    layout->addWidget(m_files);
    return page;
}

QWidget *JobPropertiesDialog::buildTransferTab()
{
    auto *page = new QWidget;
    page->setObjectName(QStringLiteral("transferTab"));
    auto *layout = new QVBoxLayout(page);

    auto *peers = new QGroupBox(tr("Peer caching"), page);
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

    const auto flagChange = [this](quint32 bit, Field field) {
        return [this, bit, field](bool on) {
            // Only the bit the user touched: a change of the other one by someone else stays.
            request(field, [bit, on](JobManager *jobs, const Job &j) {
                return jobs->setPeerCachingFlags(j.id, (j.peerCachingFlags & ~bit) | (on ? bit : 0u));
            });
        };
    };
    connect(m_peerClient, &QCheckBox::toggled, this, flagChange(peercaching::Client, Field::PeerClient));
    connect(m_peerServer, &QCheckBox::toggled, this, flagChange(peercaching::Server, Field::PeerServer));

    auto *limits = new QGroupBox(tr("Time limits"), page);
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
    layout->addStretch(1);

    m_maxTime->edited = [this](quint32 seconds) {
        if (seconds != m_job.maximumDownloadTime)
            request(Field::MaxTime, [seconds](JobManager *jobs, const Job &j) { return jobs->setMaximumDownloadTime(j.id, seconds); });
    };
    m_noProgress->edited = [this](quint32 seconds) {
        if (seconds != m_job.noProgressTimeout)
            request(Field::NoProgress, [seconds](JobManager *jobs, const Job &j) { return jobs->setNoProgressTimeout(j.id, seconds); });
    };
    m_retryDelay->edited = [this](quint32 seconds) {
        if (seconds != m_job.minimumRetryDelay)
            request(Field::RetryDelay, [seconds](JobManager *jobs, const Job &j) { return jobs->setMinimumRetryDelay(j.id, seconds); });
    };
    return page;
}

QWidget *JobPropertiesDialog::buildConnectionTab()
{
    const auto fieldOf = [](ConnectionPage::Part part) {
        switch (part) {
        case ConnectionPage::Part::Credentials: return Field::Credentials;
        case ConnectionPage::Part::Proxy: return Field::Proxy;
        case ConnectionPage::Part::Headers: return Field::Headers;
        case ConnectionPage::Part::Security: break;
        }
        return Field::Security;
    };
    m_connection = new ConnectionPage([this, fieldOf](ConnectionPage::Part part, AsyncChange change, Answer answered) {
        requestAsync(fieldOf(part), std::move(change), std::move(answered));
    });
    m_connection->setJob(m_job);
    // Four groups: taller than the dialog's other tabs, so they scroll rather than stretch it.
    auto *scroll = new QScrollArea;
    scroll->setObjectName(QStringLiteral("connectionTab"));
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    scroll->setWidget(m_connection);
    return scroll;
}

QWidget *JobPropertiesDialog::buildOwnerTab()
{
    auto *page = new QWidget;
    page->setObjectName(QStringLiteral("ownerTab"));
    auto *grid = new QGridLayout(page);
    grid->setColumnStretch(1, 1);
    int row = 0;
    // A caption in the first column, the value (and its explanation under it) in the second.
    const auto addRow = [&](const QString &caption, QLabel *value, QLabel *help) {
        auto *label = new QLabel(caption, page);
        label->setBuddy(value);
        grid->addWidget(label, row, 0, Qt::AlignLeft | Qt::AlignTop);
        grid->addWidget(value, row++, 1, Qt::AlignTop);
        if (help)
            grid->addWidget(help, row++, 1, Qt::AlignTop);
    };
    m_ownerName = valueLabel(tr("Owner"), QStringLiteral("ownerName"), page);
    addRow(tr("User:"), m_ownerName, nullptr);
    m_elevation = valueLabel(tr("Elevation"), QStringLiteral("elevation"), page);
    m_elevationHelp = helpLabel(tr("What the elevation means"), QStringLiteral("elevationHelp"), page);
    addRow(tr("Elevation:"), m_elevation, m_elevationHelp);
    m_integrity = valueLabel(tr("Integrity level"), QStringLiteral("integrity"), page);
    m_integrityHelp = helpLabel(tr("What the integrity level means"), QStringLiteral("integrityHelp"), page);
    addRow(tr("Integrity level:"), m_integrity, m_integrityHelp);
    QLabel *rules = helpLabel(tr("Who may change the job"), QStringLiteral("ownerRules"), page);
    rules->setText(tr("A job created elevated can be changed only by an elevated user, and nobody can change a job "
                      "whose owner runs at a higher integrity level than their own. Both are recorded when the job "
                      "is created or someone takes ownership of it."));
    addRow(tr("Rules:"), rules, nullptr);
    m_viewerLabel = valueLabel(tr("You"), QStringLiteral("viewer"), page);
    addRow(tr("You:"), m_viewerLabel, nullptr);
    grid->setRowStretch(row, 1); // spare height below, not between the rows
    return page;
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
    m_connection->setJob(m_job);
    for (Field f : {Field::Name, Field::Description, Field::Priority, Field::PeerClient, Field::PeerServer,
                    Field::MaxTime, Field::NoProgress, Field::RetryDelay, Field::Credentials, Field::Proxy,
                    Field::Headers, Field::Security})
        refreshField(f, false);
    refreshGeneral();
    refreshFiles();
    refreshTimeUsed();
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
    switch (field) {
    case Field::Name:
        if (force || !(m_name->hasFocus() && m_name->isModified()))
            m_name->setText(m_job.displayName);
        break;
    case Field::Description:
        if (force || !(m_description->hasFocus() && m_description->isModified()))
            m_description->setText(m_job.description);
        break;
    case Field::Priority: {
        const QSignalBlocker block(m_priority);
        m_priority->setCurrentIndex(m_priority->findData(int(m_job.priority)));
        break;
    }
    case Field::PeerClient: {
        const QSignalBlocker block(m_peerClient);
        m_peerClient->setChecked((m_job.peerCachingFlags & peercaching::Client) != 0);
        break;
    }
    case Field::PeerServer: {
        const QSignalBlocker block(m_peerServer);
        m_peerServer->setChecked((m_job.peerCachingFlags & peercaching::Server) != 0);
        break;
    }
    case Field::MaxTime:
        if (force || !m_maxTime->isBeingEdited())
            m_maxTime->setSeconds(m_job.maximumDownloadTime);
        refreshTimeUsed();
        break;
    case Field::NoProgress:
        if (force || !m_noProgress->isBeingEdited())
            m_noProgress->setSeconds(m_job.noProgressTimeout);
        break;
    case Field::RetryDelay:
        if (force || !m_retryDelay->isBeingEdited())
            m_retryDelay->setSeconds(m_job.minimumRetryDelay);
        break;
    case Field::Credentials:
        m_connection->refresh(ConnectionPage::Part::Credentials, force);
        break;
    case Field::Proxy:
        m_connection->refresh(ConnectionPage::Part::Proxy, force);
        break;
    case Field::Headers:
        m_connection->refresh(ConnectionPage::Part::Headers, force);
        break;
    case Field::Security:
        m_connection->refresh(ConnectionPage::Part::Security, force);
        break;
    }
}

void JobPropertiesDialog::refreshGeneral()
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
    m_generalForm->setRowVisible(m_errorContext, e.isSet());
    m_generalForm->setRowVisible(m_errorDescription, e.isSet());

    m_created->setText(timeText(m_job.creationTime));
    m_modified->setText(timeText(m_job.modificationTime));
    m_completed->setText(timeText(m_job.transferCompletionTime));
}

void JobPropertiesDialog::refreshFiles()
{
    // The job the model shows since buildFilesTab: rows added, removed or changed in place (the
    // selection and the scroll position stay); progress-only changes arrive coalesced.
    m_filesModel->upsertJob(m_job);
}

void JobPropertiesDialog::refreshTimeUsed()
{
    const qint64 used = m_job.downloadTimeUsedMs / 1000;
    if (m_job.maximumDownloadTime == 0)
        m_timeUsed->setText(tr("%1 (no limit)").arg(durationText(used)));
    else
        m_timeUsed->setText(tr("%1 of %2").arg(durationText(used), durationText(m_job.maximumDownloadTime)));
}

void JobPropertiesDialog::refreshOwner()
{
    const Owner &o = m_job.owner;
    m_ownerName->setText(ownerText(o));
    m_elevation->setText(elevationText(o.elevated));
    m_elevationHelp->setText(o.elevated ? tr("The process that created this job (or last took ownership of it) ran as "
                                             "root or held CAP_SYS_ADMIN or CAP_DAC_OVERRIDE; only an elevated user "
                                             "can change the job.")
                                        : tr("The process that created this job (or last took ownership of it) ran "
                                             "without root rights or administrative capabilities."));
    m_integrity->setText(integrityName(o.integrity));
    m_integrityHelp->setText(integrityHelp(o.integrity));
    m_viewerLabel->setText(tr("%1; %2; integrity level %3")
                               .arg(ownerText(m_viewer), elevationText(m_viewer.elevated),
                                    integrityName(m_viewer.integrity)));
}

void JobPropertiesDialog::refreshPeerNote()
{
    const EngineSettings &s = m_settings;
    QString note;
    if (!s.peerCachingEnabled)
        note = tr("Peer caching is off on this computer (Settings): these choices take effect when it is turned on.");
    else if (!s.peerCachingClient && !s.peerCachingServer)
        note = tr("Downloading from and serving to peers are both off on this computer (Settings): these choices take "
                  "effect when they are turned on.");
    else if (!s.peerCachingClient)
        note = tr("Downloading from peers is off on this computer (Settings): “Download from peers” takes effect "
                  "when it is turned on.");
    else if (!s.peerCachingServer)
        note = tr("Serving to peers is off on this computer (Settings): “Serve to peers” takes effect when it is "
                  "turned on.");
    m_peerNote->setText(note);
    m_peerNote->setVisible(!note.isEmpty());
}

void JobPropertiesDialog::updateEditable()
{
    QString why;
    if (m_gone) {
        why = tr("This job is gone: it was completed or cancelled. Its properties can no longer be changed.");
    } else if (isFinal(m_job.state)) {
        why = tr("This job can no longer change (%1).").arg(stateText(m_job.state));
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
    for (QWidget *w : std::initializer_list<QWidget *>{m_name, m_description, m_priority, m_peerClient, m_peerServer,
                                                       m_maxTime, m_noProgress, m_retryDelay})
        w->setEnabled(!m_readOnly);
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
                self->refreshTimeUsed();
            }
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

} // namespace ferry
