#include "SettingsGeneralPage.h"

#include "DesktopSettings.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ferry {

namespace {

constexpr int MaxBackgroundJobsMin = 1;   // setconfig's range
constexpr int MaxBackgroundJobsMax = 64;
constexpr int InactivityDaysMin = 1;      // setconfig jobInactivityDays
constexpr int InactivityDaysMax = 999;

QCheckBox *checkBox(const QString &text, const QString &accessibleName, const QString &objectName, QWidget *parent)
{
    auto *box = new QCheckBox(text, parent);
    box->setObjectName(objectName);
    box->setAccessibleName(accessibleName);
    return box;
}

} // namespace

SettingsGeneralPage::SettingsGeneralPage(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("generalPage"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buildDownloads());
    layout->addWidget(buildEngine());
    layout->addWidget(buildDesktop());
    layout->addStretch(1);
}

QWidget *SettingsGeneralPage::buildDownloads()
{
    auto *group = new QGroupBox(tr("Downloads"), this);
    group->setAccessibleName(tr("Downloads"));
    auto *form = new QFormLayout(group);

    auto *folderRow = new QWidget(group);
    auto *row = new QHBoxLayout(folderRow);
    row->setContentsMargins(0, 0, 0, 0);
    m_folder = new QLineEdit(folderRow);
    m_folder->setObjectName(QStringLiteral("folder"));
    m_folder->setAccessibleName(tr("Default download folder"));
    m_folder->setToolTip(tr("Where new jobs put their files unless you choose another folder for them."));
    m_browse = new QPushButton(tr("&Browse…"), folderRow);
    m_browse->setObjectName(QStringLiteral("browse"));
    m_browse->setAccessibleName(tr("Browse for the default download folder"));
    m_browse->setAutoDefault(false);
    row->addWidget(m_folder, 1);
    row->addWidget(m_browse);
    auto *folderLabel = new QLabel(tr("Default download &folder:"), group);
    folderLabel->setBuddy(m_folder);
    form->addRow(folderLabel, folderRow);
    connect(m_browse, &QPushButton::clicked, this, &SettingsGeneralPage::browse);

    auto *dropBox = new QWidget(group);
    dropBox->setAccessibleName(tr("When links are dropped on the window"));
    auto *dropLayout = new QVBoxLayout(dropBox);
    dropLayout->setContentsMargins(0, 0, 0, 0);
    m_dropAsk = new QRadioButton(tr("&Ask with the New Job dialog"), dropBox);
    m_dropAsk->setObjectName(QStringLiteral("dropAsk"));
    m_dropAsk->setAccessibleName(tr("Dropped links: ask with the New Job dialog"));
    m_dropAsk->setToolTip(tr("Open the New Job dialog with the dropped links, to check the names and the folder first."));
    m_dropDirect = new QRadioButton(tr("&Queue them at once"), dropBox);
    m_dropDirect->setObjectName(QStringLiteral("dropDirect"));
    m_dropDirect->setAccessibleName(tr("Dropped links: queue them at once"));
    m_dropDirect->setToolTip(tr("Every dropped link becomes a job in the default download folder straight away."));
    m_dropGroup = new QButtonGroup(this);
    m_dropGroup->addButton(m_dropAsk);
    m_dropGroup->addButton(m_dropDirect);
    dropLayout->addWidget(m_dropAsk);
    dropLayout->addWidget(m_dropDirect);
    form->addRow(tr("Dropped links:"), dropBox);
    return group;
}

QWidget *SettingsGeneralPage::buildEngine()
{
    auto *group = new QGroupBox(tr("Transfers"), this);
    group->setAccessibleName(tr("Transfers"));
    auto *form = new QFormLayout(group);
    m_maxBackgroundJobs = new QSpinBox(group);
    m_maxBackgroundJobs->setObjectName(QStringLiteral("maxBackgroundJobs"));
    m_maxBackgroundJobs->setAccessibleName(tr("Maximum concurrent background jobs"));
    m_maxBackgroundJobs->setRange(MaxBackgroundJobsMin, MaxBackgroundJobsMax);
    m_maxBackgroundJobs->setToolTip(tr("How many jobs of high, normal or low priority may transfer at the same time. "
                                       "Foreground jobs always start at once and are not counted."));
    form->addRow(tr("&Concurrent background jobs:"), m_maxBackgroundJobs);
    m_inactivityDays = new QSpinBox(group);
    m_inactivityDays->setObjectName(QStringLiteral("jobInactivityDays"));
    m_inactivityDays->setAccessibleName(tr("Cancel inactive jobs after this many days"));
    m_inactivityDays->setRange(InactivityDaysMin, InactivityDaysMax);
    m_inactivityDays->setSuffix(tr(" days"));
    m_inactivityDays->setToolTip(tr("A job that is neither completed nor cancelled and has had no progress and no change "
                                    "for this long is cancelled, and its partly downloaded files are deleted."));
    form->addRow(tr("Cancel &inactive jobs after:"), m_inactivityDays);
    return group;
}

QWidget *SettingsGeneralPage::buildDesktop()
{
    auto *group = new QGroupBox(tr("Desktop"), this);
    group->setAccessibleName(tr("Desktop"));
    auto *layout = new QVBoxLayout(group);
    m_startMinimized = checkBox(tr("Start &minimized to the tray"), tr("Start minimized to the tray"),
                                QStringLiteral("startMinimized"), group);
    m_startMinimized->setToolTip(tr("Start without showing the window, where there is a tray to keep Ferry in."));
    m_startAtLogin = checkBox(tr("Start when I &log in"), tr("Start when I log in"), QStringLiteral("startAtLogin"), group);
    m_startAtLogin->setToolTip(tr("Start Ferry in the tray at login, so that background jobs go on."));
    m_watchClipboard = checkBox(tr("&Watch the clipboard for links"), tr("Watch the clipboard for links"),
                                QStringLiteral("watchClipboard"), group);
    m_watchClipboard->setToolTip(tr("Offer to download a link when one is copied."));
    layout->addWidget(m_startMinimized);
    layout->addWidget(m_startAtLogin);
    layout->addWidget(m_watchClipboard);
    return group;
}

void SettingsGeneralPage::showDesktop(const DesktopSettings &settings)
{
    setFolderText(settings.downloadFolder());
    const bool direct = settings.dropBehaviour() == DesktopSettings::DropBehaviour::QueueDirectly;
    m_dropDirect->setChecked(direct);
    m_dropAsk->setChecked(!direct);
    m_startMinimized->setChecked(settings.startMinimized());
    m_startAtLogin->setChecked(settings.startAtLogin());
    m_watchClipboard->setChecked(settings.watchClipboard());
}

QString SettingsGeneralPage::folderText() const
{
    return m_folder->text();
}

void SettingsGeneralPage::setFolderText(const QString &folder)
{
    m_folder->setText(QDir::toNativeSeparators(folder));
}

void SettingsGeneralPage::focusFolder()
{
    m_folder->setFocus();
}

bool SettingsGeneralPage::queueDropsDirectly() const
{
    return m_dropDirect->isChecked();
}

bool SettingsGeneralPage::startMinimized() const
{
    return m_startMinimized->isChecked();
}

bool SettingsGeneralPage::startAtLogin() const
{
    return m_startAtLogin->isChecked();
}

bool SettingsGeneralPage::watchClipboard() const
{
    return m_watchClipboard->isChecked();
}

void SettingsGeneralPage::showMaxBackgroundJobs(int shown, int previous, bool force)
{
    if (force || m_maxBackgroundJobs->value() == previous)
        m_maxBackgroundJobs->setValue(shown);
}

int SettingsGeneralPage::maxBackgroundJobs() const
{
    return m_maxBackgroundJobs->value();
}

void SettingsGeneralPage::showInactivityDays(int shown, int previous, bool force)
{
    if (force || m_inactivityDays->value() == previous)
        m_inactivityDays->setValue(shown);
}

int SettingsGeneralPage::inactivityDays() const
{
    return m_inactivityDays->value();
}

void SettingsGeneralPage::commitTypedNumbers()
{
    m_maxBackgroundJobs->interpretText();
    m_inactivityDays->interpretText();
}

void SettingsGeneralPage::setEngineEditable(bool editable)
{
    m_maxBackgroundJobs->setEnabled(editable);
    m_inactivityDays->setEnabled(editable);
}

void SettingsGeneralPage::browse()
{
    // Not exec(): the event loop (and the engine's answers) go on while the user picks.
    auto *picker = new QFileDialog(this, tr("Default Download Folder"), QDir::fromNativeSeparators(m_folder->text()));
    picker->setObjectName(QStringLiteral("folderPicker"));
    picker->setAccessibleName(tr("Choose the default download folder"));
    picker->setFileMode(QFileDialog::Directory);
    picker->setOption(QFileDialog::ShowDirsOnly);
    picker->setAttribute(Qt::WA_DeleteOnClose);
    connect(picker, &QFileDialog::fileSelected, this, [this](const QString &folder) {
        if (!folder.isEmpty())
            m_folder->setText(QDir::toNativeSeparators(folder));
    });
    picker->open();
}

} // namespace ferry
