#include "JobFilesTab.h"

#include "JobDelegate.h"
#include "JobFilesModel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>

namespace ferry {

namespace {

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

JobFilesTab::JobFilesTab(const Job &job, QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("filesTab"));
    auto *layout = new QVBoxLayout(this);

    m_model = new JobFilesModel(this);
    m_model->setObjectName(QStringLiteral("filesModel"));
    m_model->setJob(job);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setObjectName(QStringLiteral("filesProxy"));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(JobFilesModel::SortRole); // percent, bytes: numbers, not their text
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortLocaleAware(true);

    m_files = new QTableView(this);
    m_files->setObjectName(QStringLiteral("files"));
    m_files->setAccessibleName(tr("Files"));
    m_files->setAccessibleDescription(tr("The job's files: remote URL, local name, progress, size, temporary name and "
                                         "whether the file came from a peer."));
    m_files->setModel(m_proxy);
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

    auto *urlRow = new QHBoxLayout;
    auto *urlLabel = new QLabel(tr("&URL:"), this);
    m_url = new QLineEdit(this);
    m_url->setObjectName(QStringLiteral("remoteUrl"));
    m_url->setAccessibleName(tr("URL of the selected file"));
    m_url->setAccessibleDescription(tr("Correct it and press Change URL: the file starts again from the new URL"));
    m_url->setClearButtonEnabled(true);
    urlLabel->setBuddy(m_url);
    m_changeUrl = new QPushButton(tr("C&hange URL"), this);
    m_changeUrl->setObjectName(QStringLiteral("changeUrl"));
    urlRow->addWidget(urlLabel);
    urlRow->addWidget(m_url, 1);
    urlRow->addWidget(m_changeUrl);
    layout->addLayout(urlRow);
    connect(m_changeUrl, &QPushButton::clicked, this, &JobFilesTab::applyUrl);
    connect(m_url, &QLineEdit::returnPressed, this, &JobFilesTab::applyUrl);
    connect(m_url, &QLineEdit::textEdited, this, &JobFilesTab::updateUrlState);
    connect(m_files->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] { refreshUrl(true); });
    if (m_proxy->rowCount() > 0)
        m_files->setCurrentIndex(m_proxy->index(0, JobFilesModel::RemoteUrl));
    refreshUrl(true);
}

void JobFilesTab::showJob(const Job &job)
{
    // The job the model shows since the constructor: progress-only changes arrive coalesced.
    m_model->upsertJob(job);
    refreshUrl(false);
}

void JobFilesTab::setEditable(bool editable)
{
    m_editable = editable;
    updateUrlState();
}

int JobFilesTab::selectedFile() const
{
    const QModelIndex current = m_files->currentIndex();
    return current.isValid() ? m_proxy->mapToSource(current).row() : -1;
}

void JobFilesTab::refreshUrl(bool force)
{
    const int file = selectedFile();
    const JobFile *f = m_model->fileAt(file);
    const bool editing = m_url->hasFocus() && m_url->isModified() && file == m_urlFile;
    if (force || !editing) {
        m_urlFile = f ? file : -1;
        m_url->setText(f ? f->remoteUrl.toDisplayString() : QString()); // never a password
        m_url->setModified(false);
    }
    updateUrlState();
}

void JobFilesTab::updateUrlState()
{
    const JobFile *f = m_model->fileAt(m_urlFile);
    const bool changeable = m_editable && f && !f->completed;
    m_url->setReadOnly(!changeable);
    m_changeUrl->setEnabled(changeable && !m_url->text().trimmed().isEmpty()
                            && m_url->text().trimmed() != f->remoteUrl.toDisplayString());
}

void JobFilesTab::applyUrl()
{
    const JobFile *f = m_model->fileAt(m_urlFile);
    if (!m_changeUrl->isEnabled() || !f)
        return;
    m_url->setModified(false); // the engine's answer is shown next
    emit remoteNameChangeRequested(m_urlFile, m_url->text().trimmed());
}

} // namespace ferry
