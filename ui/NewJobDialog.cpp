#include "NewJobDialog.h"

#include "core/FileRules.h"
#include "core/JobTypes.h"
#include "MessageLabel.h"
#include "owner/Owner.h"
#include "PriorityBox.h"
#include "UrlDrop.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpression>
#include <QSet>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include <array>
#include <limits>

namespace ferry {

namespace {

constexpr std::array<quint32, 4> kUnitSeconds{1, 60, 3600, 86400};
constexpr int kDaysUnit = 3;
constexpr int kShownLineLength = 60; // longer lines are shortened in the status

// The link editor. A paste (or drop) of text that is not already one link per line, such as a
// message with links in it, brings in just its http(s) links, one per line; anything else (a
// list of links, a single word) goes in as it is, to be checked like typed text.
class UrlEdit : public QPlainTextEdit
{
public:
    using QPlainTextEdit::QPlainTextEdit;

protected:
    void insertFromMimeData(const QMimeData *source) override
    {
        if (source && source->hasText()) {
            const QString text = source->text();
            static const QRegularExpression blank(QStringLiteral("\\s"));
            bool oneTokenPerLine = true;
            for (const QString &line : text.split(QLatin1Char('\n'))) {
                if (line.trimmed().contains(blank)) {
                    oneTokenPerLine = false;
                    break;
                }
            }
            if (!oneTokenPerLine) {
                const QList<QUrl> urls = urlsInText(text);
                if (!urls.isEmpty()) {
                    QStringList lines;
                    for (const QUrl &url : urls)
                        lines << url.toString();
                    insertPlainText(lines.join(QLatin1Char('\n')));
                    return;
                }
            }
        }
        QPlainTextEdit::insertFromMimeData(source);
    }
};

// The numerus strings below are for translators; with no translation loaded, Qt shows the
// English source as it is ("2 link(s)"), so its "(s)" is settled here: "1 link", "2 links".
QString plural(QString text, int n)
{
    return text.replace(QLatin1String("(s)"), n == 1 ? QString() : QStringLiteral("s"));
}

QString shortened(const QString &line)
{
    if (line.size() <= kShownLineLength)
        return line;
    return line.left(kShownLineLength - 1) + QChar(0x2026); // …
}

// Why checkRemoteUrl refused a line, in words that can be translated (its own are English).
QString reasonFor(const QString &line, const Status &status)
{
    if (line.size() > defaults::MaxRemoteUrl)
        return NewJobDialog::tr("the link is longer than %1 characters").arg(defaults::MaxRemoteUrl);
    const QUrl url(line, QUrl::TolerantMode);
    if (!url.isValid())
        return NewJobDialog::tr("'%1' is not a valid link").arg(shortened(line));
    const QString scheme = url.scheme().toLower();
    if (scheme.isEmpty())
        return NewJobDialog::tr("'%1' has no scheme; use http:// or https://").arg(shortened(line));
    if (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        return NewJobDialog::tr("'%1' is not an http or https link").arg(shortened(line));
    if (url.host().isEmpty())
        return NewJobDialog::tr("'%1' has no host").arg(shortened(line));
    if (!url.userInfo().isEmpty())
        return NewJobDialog::tr("'%1' carries a user name or password; give the link without it and store them under "
                                "Credentials in the job's properties")
            .arg(shortened(url.adjusted(QUrl::RemoveUserInfo).toDisplayString()));
    return status.message;
}

QString expandedFolder(const QString &text)
{
    QString folder = text.trimmed();
    if (folder == QLatin1String("~"))
        folder = QDir::homePath();
    else if (folder.startsWith(QLatin1String("~/")))
        folder = QDir::homePath() + folder.mid(1);
    return folder;
}

} // namespace

NewJobDialog::NewJobDialog(EngineClient *client, QWidget *parent)
    : QDialog(parent)
    , m_client(client)
{
    setObjectName(QStringLiteral("newJob"));
    setWindowTitle(tr("New Download"));
    setAccessibleName(tr("New download"));
    resize(560, 560);

    auto *layout = new QVBoxLayout(this);

    // Links
    auto *urlsCaption = new QLabel(tr("&Links to download, one per line:"), this);
    layout->addWidget(urlsCaption);
    m_urls = new UrlEdit(this);
    m_urls->setObjectName(QStringLiteral("urls"));
    m_urls->setAccessibleName(tr("Links to download"));
    m_urls->setAccessibleDescription(tr("One http or https link per line"));
    m_urls->setPlaceholderText(tr("https://example.com/file.iso"));
    m_urls->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_urls->setTabChangesFocus(true);
    urlsCaption->setBuddy(m_urls);
    layout->addWidget(m_urls, 1);
    m_urlStatus = new QLabel(this);
    m_urlStatus->setObjectName(QStringLiteral("urlStatus"));
    m_urlStatus->setAccessibleName(tr("Links check"));
    m_urlStatus->setTextFormat(Qt::PlainText);
    m_urlStatus->setWordWrap(true);
    m_urlStatus->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    layout->addWidget(m_urlStatus);

    auto *form = new QFormLayout;
    layout->addLayout(form);

    // Destination
    auto *folderRow = new QHBoxLayout;
    m_folder = new QLineEdit(this);
    m_folder->setObjectName(QStringLiteral("folder"));
    m_folder->setAccessibleName(tr("Destination folder"));
    m_folder->setPlaceholderText(tr("/home/me/Downloads"));
    m_chooseFolder = new QPushButton(tr("&Browse…"), this);
    m_chooseFolder->setObjectName(QStringLiteral("chooseFolder"));
    m_chooseFolder->setAccessibleName(tr("Choose the destination folder"));
    m_chooseFolder->setAutoDefault(false);
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(m_chooseFolder);
    form->addRow(tr("Save &to:"), folderRow);
    if (auto *label = qobject_cast<QLabel *>(form->labelForField(folderRow)))
        label->setBuddy(m_folder);
    m_folderStatus = new QLabel(this);
    m_folderStatus->setObjectName(QStringLiteral("folderStatus"));
    m_folderStatus->setAccessibleName(tr("Destination folder check"));
    m_folderStatus->setTextFormat(Qt::PlainText);
    m_folderStatus->setWordWrap(true);
    m_folderStatus->hide();
    form->addRow(QString(), m_folderStatus);

    // Name and priority
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("name"));
    m_name->setAccessibleName(tr("Job name"));
    m_name->setAccessibleDescription(tr("Optional; left empty, the job is named after its links"));
    m_name->setMaxLength(defaults::MaxDisplayName);
    form->addRow(tr("&Name:"), m_name);

    m_priority = new PriorityBox(this);
    form->addRow(tr("&Priority:"), m_priority);

    // Peer caching
    auto *peers = new QGroupBox(tr("Peer caching"), this);
    peers->setAccessibleName(tr("Peer caching"));
    auto *peerLayout = new QVBoxLayout(peers);
    m_peerClient = new QCheckBox(tr("Download from p&eers"), peers);
    m_peerClient->setObjectName(QStringLiteral("peerClient"));
    m_peerClient->setAccessibleName(tr("Download from peers"));
    m_peerClient->setToolTip(tr("Let this job fetch its files from other computers on the local network that already "
                                "hold them; the origin server still vouches for the content. Takes effect when peer "
                                "caching is on for this computer."));
    m_peerServer = new QCheckBox(tr("&Serve to peers"), peers);
    m_peerServer->setObjectName(QStringLiteral("peerServer"));
    m_peerServer->setAccessibleName(tr("Serve to peers"));
    m_peerServer->setToolTip(tr("Let other computers on the local network fetch this job's files from this computer. "
                                "Takes effect when peer caching is on for this computer."));
    peerLayout->addWidget(m_peerClient);
    peerLayout->addWidget(m_peerServer);
    form->addRow(peers);

    // Maximum download time: a number and a unit; the number stays when the unit changes.
    auto *timeRow = new QHBoxLayout;
    m_maxTime = new QSpinBox(this);
    m_maxTime->setObjectName(QStringLiteral("maxTime"));
    m_maxTime->setAccessibleName(tr("Maximum download time"));
    m_maxTime->setSpecialValueText(tr("No limit"));
    m_maxTime->setAccelerated(true);
    m_maxTime->setCorrectionMode(QAbstractSpinBox::CorrectToNearestValue);
    m_maxTime->setToolTip(tr("The time the job may spend connecting and transferring before it stops with an "
                             "error; 0 means no limit."));
    m_maxTimeUnit = new QComboBox(this);
    m_maxTimeUnit->setObjectName(QStringLiteral("maxTimeUnit"));
    m_maxTimeUnit->setAccessibleName(tr("Maximum download time, unit"));
    m_maxTimeUnit->addItem(tr("seconds"), kUnitSeconds[0]);
    m_maxTimeUnit->addItem(tr("minutes"), kUnitSeconds[1]);
    m_maxTimeUnit->addItem(tr("hours"), kUnitSeconds[2]);
    m_maxTimeUnit->addItem(tr("days"), kUnitSeconds[3]);
    m_maxTimeUnit->setCurrentIndex(kDaysUnit);
    applyTimeRange();
    m_maxTime->setValue(int(defaults::MaximumDownloadTime / kUnitSeconds[kDaysUnit])); // 90 days
    timeRow->addWidget(m_maxTime, 1);
    timeRow->addWidget(m_maxTimeUnit);
    form->addRow(tr("&Maximum download time:"), timeRow);
    if (auto *label = qobject_cast<QLabel *>(form->labelForField(timeRow)))
        label->setBuddy(m_maxTime);
    connect(m_maxTimeUnit, &QComboBox::currentIndexChanged, this, [this] {
        const QSignalBlocker block(m_maxTime);
        applyTimeRange(); // keeps the number, clamped to what the new unit can hold
    });

    // Start
    auto *startRow = new QHBoxLayout;
    m_startNow = new QRadioButton(tr("Start &now"), this);
    m_startNow->setObjectName(QStringLiteral("startNow"));
    m_startNow->setAccessibleName(tr("Start now"));
    m_addSuspended = new QRadioButton(tr("Add s&uspended"), this);
    m_addSuspended->setObjectName(QStringLiteral("addSuspended"));
    m_addSuspended->setAccessibleName(tr("Add suspended"));
    m_addSuspended->setToolTip(tr("The job waits until you resume it."));
    m_startGroup = new QButtonGroup(this);
    m_startGroup->addButton(m_startNow);
    m_startGroup->addButton(m_addSuspended);
    m_startNow->setChecked(true);
    startRow->addWidget(m_startNow);
    startRow->addWidget(m_addSuspended);
    startRow->addStretch(1);
    form->addRow(tr("When:"), startRow);

    // The engine's refusal, if any
    m_message = new MessageLabel(this);
    layout->addWidget(m_message);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->setObjectName(QStringLiteral("buttons"));
    m_buttons->setAccessibleName(tr("Dialog buttons"));
    QPushButton *ok = m_buttons->button(QDialogButtonBox::Ok);
    ok->setText(tr("&Add"));
    ok->setAccessibleName(tr("Add the download"));
    m_buttons->button(QDialogButtonBox::Cancel)->setAccessibleName(tr("Cancel"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &NewJobDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &NewJobDialog::reject);

    connect(m_urls, &QPlainTextEdit::textChanged, this, &NewJobDialog::validate);
    connect(m_folder, &QLineEdit::textChanged, this, &NewJobDialog::updateReady);
    connect(m_chooseFolder, &QPushButton::clicked, this, &NewJobDialog::chooseFolder);

    validate();
    m_urls->setFocus();
}

NewJobDialog::~NewJobDialog() = default;

void NewJobDialog::setUrls(const QList<QUrl> &urls)
{
    QStringList lines;
    for (const QUrl &url : urls)
        lines << url.toString();
    m_urls->setPlainText(lines.join(QLatin1Char('\n'))); // textChanged: validated
}

void NewJobDialog::setDownloadFolder(const QString &folder)
{
    m_defaultFolder = folder;
    m_folder->setText(QDir::toNativeSeparators(folder));
}

QString NewJobDialog::downloadFolder() const
{
    const QString folder = expandedFolder(m_folder->text());
    return folder.isEmpty() ? QString() : QDir::cleanPath(folder);
}

QString NewJobDialog::defaultName() const
{
    if (m_valid.isEmpty())
        return {};
    if (m_valid.size() == 1)
        return localFileNameFor(m_valid.first());
    return plural(tr("%n download(s)", nullptr, int(m_valid.size())), int(m_valid.size()));
}

QString NewJobDialog::jobName() const
{
    const QString typed = m_name->text().trimmed();
    return typed.isEmpty() ? defaultName() : typed;
}

bool NewJobDialog::isReady() const
{
    return m_urlsOk && m_folderOk && !m_busy;
}

void NewJobDialog::validate()
{
    m_valid.clear();
    m_lines.clear();
    struct Bad
    {
        int line;
        QString reason;
    };
    QList<Bad> bad;
    const QStringList lines = m_urls->toPlainText().split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = lines[i].trimmed();
        if (line.isEmpty())
            continue;
        QUrl url;
        const Status s = checkRemoteUrl(line, &url); // pure: no I/O on this thread
        if (s) {
            m_valid << url;
            m_lines << i + 1;
        } else {
            bad.append({i + 1, reasonFor(line, s)});
        }
    }

    QString status;
    const int count = int(m_valid.size());
    const int maxFiles = m_client->settings().maxFilesPerJob; // the engine's maxFilesPerJob, as it last told
    if (count == 0 && bad.isEmpty()) {
        status = tr("Type or paste the links to download, one per line.");
    } else {
        status = plural(tr("%n link(s)", nullptr, count), count);
        if (!bad.isEmpty()) {
            status = tr("%1; line %2: %3").arg(status).arg(bad.first().line).arg(bad.first().reason);
            if (bad.size() > 1)
                status = plural(tr("%1 (and %n more line(s) with a problem)", nullptr, int(bad.size()) - 1), int(bad.size()) - 1)
                             .arg(status);
        } else if (count > maxFiles) {
            status = tr("%1; a job holds at most %2 files").arg(status).arg(maxFiles);
        }
    }
    m_urlsOk = bad.isEmpty() && count > 0 && count <= maxFiles;
    m_urlStatus->setText(status);
    m_name->setPlaceholderText(defaultName());
    updateReady();
}

void NewJobDialog::updateReady()
{
    // Only what can be told without the disk: whether the folder exists is for the engine.
    const QString folder = expandedFolder(m_folder->text());
    QString problem;
    if (folder.isEmpty())
        problem = tr("Choose the folder the files go to.");
    else if (!QDir::isAbsolutePath(folder))
        problem = tr("'%1' is not a full path; it must start with /.").arg(shortened(folder));
    m_folderOk = problem.isEmpty();
    // An empty folder field is told only once there are links to put somewhere.
    const bool showProblem = !problem.isEmpty() && (!folder.isEmpty() || !m_valid.isEmpty());
    m_folderStatus->setText(problem);
    m_folderStatus->setVisible(showProblem);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(isReady());
}

void NewJobDialog::applyTimeRange()
{
    const quint32 unit = kUnitSeconds[std::size_t(qBound(0, m_maxTimeUnit->currentIndex(), int(kUnitSeconds.size()) - 1))];
    const auto maximum = int(qMin<quint64>(quint64(std::numeric_limits<int>::max()), std::numeric_limits<quint32>::max() / unit));
    m_maxTime->setRange(0, maximum);
}

quint32 NewJobDialog::maximumDownloadSeconds() const
{
    const quint32 unit = m_maxTimeUnit->currentData().toUInt();
    return quint32(qMin<quint64>(quint64(m_maxTime->value()) * unit, std::numeric_limits<quint32>::max()));
}

void NewJobDialog::chooseFolder()
{
    // Not the static getExistingDirectory: open() does not start a nested event loop.
    auto *chooser = new QFileDialog(this, tr("Choose the destination folder"), downloadFolder());
    chooser->setObjectName(QStringLiteral("folderChooser"));
    chooser->setAccessibleName(tr("Choose the destination folder"));
    chooser->setAttribute(Qt::WA_DeleteOnClose);
    chooser->setFileMode(QFileDialog::Directory);
    chooser->setOption(QFileDialog::ShowDirsOnly);
    connect(chooser, &QFileDialog::fileSelected, this, [this](const QString &folder) {
        if (!folder.isEmpty())
            m_folder->setText(QDir::toNativeSeparators(folder));
    });
    chooser->open();
}

void NewJobDialog::accept()
{
    m_maxTime->interpretText(); // a number typed but not yet confirmed counts
    if (!isReady() || !m_client)
        return;

    JobSpec spec;
    spec.displayName = jobName();
    spec.priority = JobPriority(m_priority->currentData().toInt());
    spec.peerCachingFlags = (m_peerClient->isChecked() ? peercaching::Client : 0u)
                            | (m_peerServer->isChecked() ? peercaching::Server : 0u);
    spec.maximumDownloadTime = maximumDownloadSeconds();
    spec.resume = m_startNow->isChecked();
    // The engine picks each file an unused name in the folder.
    spec.folder = downloadFolder();
    // The default folder may not exist yet on a fresh account: made as the main window does.
    spec.makeFolder = !m_defaultFolder.isEmpty() && spec.folder == QDir::cleanPath(expandedFolder(m_defaultFolder));
    for (const QUrl &url : std::as_const(m_valid))
        spec.files << JobSpec::File{url.toString(QUrl::FullyEncoded), {}};
    const QList<int> lines = m_lines;

    setBusy(true);
    QPointer<NewJobDialog> self(this);
    m_client->submit(spec, [self, lines](const Status &s, const QUuid &id, int failedFile) {
        if (self)
            self->finish({s, id, failedFile >= 0 ? lines.value(failedFile) : 0});
    });
}

void NewJobDialog::reject()
{
    if (m_busy)
        return; // the job is being made: its answer decides
    QDialog::reject();
}

void NewJobDialog::finish(const Outcome &outcome)
{
    setBusy(false);
    if (outcome.status) {
        m_message->clear();
        m_message->hide();
        emit jobCreated(outcome.id);
        QDialog::accept();
        return;
    }
    const Status &s = outcome.status;
    const QString reason = s.message.isEmpty() ? tr("the engine refused it") : s.message;
    if (outcome.failedLine > 0)
        showMessage(tr("The link on line %1 could not be added: %2 (%3). No job was created.")
                        .arg(outcome.failedLine)
                        .arg(reason, errorName(s.code)));
    else
        showMessage(tr("The job could not be created: %1 (%2).").arg(reason, errorName(s.code)));
}

void NewJobDialog::setBusy(bool busy)
{
    m_busy = busy;
    for (QWidget *w : std::initializer_list<QWidget *>{m_urls, m_folder, m_chooseFolder, m_name, m_priority, m_peerClient,
                                                       m_peerServer, m_maxTime, m_maxTimeUnit, m_startNow, m_addSuspended})
        w->setEnabled(!busy);
    m_buttons->button(QDialogButtonBox::Cancel)->setEnabled(!busy);
    if (busy) {
        m_message->setText(tr("Adding the job…"));
        m_message->show();
    }
    updateReady();
}

void NewJobDialog::showMessage(const QString &text)
{
    m_message->setText(text);
    m_message->show();
}

} // namespace ferry
