#include "JobFilesTab.h"

#include "JobDelegate.h"
#include "JobFilesModel.h"

#include <QHeaderView>
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
}

void JobFilesTab::showJob(const Job &job)
{
    // The job the model shows since the constructor: progress-only changes arrive coalesced.
    m_model->upsertJob(job);
}

} // namespace ferry
