#include "PeerCacheWindow.h"

#include "ConfirmBox.h"
#include "EngineClient.h"
#include "MessageLabel.h"
#include "ModelText.h"
#include "PeerListModel.h"
#include "PeerRecordsModel.h"

#include <QCoreApplication>
#include <QDialogButtonBox>
#include <algorithm>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QSet>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <memory>

namespace ferry {

namespace {

QPushButton *pushButton(const QString &text, const QString &accessibleName, const QString &objectName, QWidget *parent)
{
    auto *button = new QPushButton(text, parent);
    button->setObjectName(objectName);
    button->setAccessibleName(accessibleName);
    button->setAutoDefault(false);
    return button;
}

QTableView *tableView(QAbstractItemModel *model, const QString &accessibleName, const QString &objectName, QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setObjectName(objectName);
    view->setAccessibleName(accessibleName);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view->setSortingEnabled(true);
    view->setWordWrap(false);
    view->setShowGrid(false);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    return view;
}

QSortFilterProxyModel *sortProxy(QAbstractItemModel *source, int sortRole, QObject *parent)
{
    auto *proxy = new QSortFilterProxyModel(parent);
    proxy->setSourceModel(source);
    proxy->setSortRole(sortRole);
    proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    return proxy;
}

// The source rows selected in a view over a sort proxy.
QList<int> selectedSourceRows(const QTableView *view, const QSortFilterProxyModel *proxy)
{
    QList<int> rows;
    const QModelIndexList selected = view->selectionModel()->selectedRows();
    for (const QModelIndex &index : selected)
        rows << proxy->mapToSource(index).row();
    std::sort(rows.begin(), rows.end());
    return rows;
}

// Selects again, after a rebuild, the rows whose id (in role) was selected before.
void reselect(QTableView *view, QSortFilterProxyModel *proxy, int role, const QSet<QString> &ids)
{
    if (ids.isEmpty())
        return;
    QItemSelection selection;
    for (int row = 0; row < proxy->rowCount(); ++row) {
        const QModelIndex index = proxy->index(row, 0);
        if (ids.contains(index.data(role).toString()))
            selection.select(index, index);
    }
    view->selectionModel()->select(selection, QItemSelectionModel::Select | QItemSelectionModel::Rows);
}

QSet<QString> selectedIds(const QTableView *view, int role)
{
    QSet<QString> ids;
    const QModelIndexList selected = view->selectionModel()->selectedRows();
    for (const QModelIndex &index : selected)
        ids.insert(index.data(role).toString());
    return ids;
}

} // namespace

PeerCacheWindow::PeerCacheWindow(EngineClient *client, QWidget *parent)
    : QWidget(parent, Qt::Window)
    , m_client(client)
{
    Q_ASSERT(client);
    setObjectName(QStringLiteral("peerCacheWindow"));
    setWindowTitle(tr("Peer Cache"));
    setAccessibleName(tr("Peer cache"));
    resize(860, 600);

    m_state = new QLabel(this);
    m_state->setObjectName(QStringLiteral("state"));
    m_state->setAccessibleName(tr("Peer caching state"));
    m_state->setTextFormat(Qt::PlainText);
    m_state->setWordWrap(true);
    m_state->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    QFont bold = m_state->font();
    bold.setBold(true);
    m_state->setFont(bold);
    m_state->setText(tr("Reading the state of peer caching…"));
    m_details = new QLabel(this);
    m_details->setObjectName(QStringLiteral("details"));
    m_details->setAccessibleName(tr("Peer cache details"));
    m_details->setTextFormat(Qt::PlainText);
    m_details->setWordWrap(true);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName(QStringLiteral("splitter"));
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(buildRecords());
    splitter->addWidget(buildPeers());
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    m_message = new MessageLabel(this);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->setObjectName(QStringLiteral("buttons"));
    buttons->setAccessibleName(tr("Window buttons"));
    buttons->button(QDialogButtonBox::Close)->setAccessibleName(tr("Close"));
    m_refresh = buttons->addButton(tr("Re&fresh"), QDialogButtonBox::ActionRole);
    m_refresh->setObjectName(QStringLiteral("refresh"));
    m_refresh->setAccessibleName(tr("Refresh the peer cache view"));
    connect(m_refresh, &QPushButton::clicked, this, &PeerCacheWindow::refresh);
    connect(buttons, &QDialogButtonBox::rejected, this, &QWidget::close);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_state);
    layout->addWidget(m_details);
    layout->addWidget(splitter, 1);
    layout->addWidget(m_message);
    layout->addWidget(buttons);

    // Coalesced by refresh().
    connect(client, &EngineClient::peerCacheChanged, this, &PeerCacheWindow::refresh);
    updateButtons();
}

PeerCacheWindow::~PeerCacheWindow() = default;

QWidget *PeerCacheWindow::buildRecords()
{
    auto *group = new QGroupBox(tr("Cached files"), this);
    group->setAccessibleName(tr("Cached files"));
    auto *layout = new QVBoxLayout(group);
    m_records = new PeerRecordsModel(this);
    m_recordsProxy = sortProxy(m_records, PeerRecordsModel::SortRole, this);
    m_recordsView = tableView(m_recordsProxy, tr("Cached files"), QStringLiteral("records"), group);
    QHeaderView *header = m_recordsView->horizontalHeader();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(PeerRecordsModel::Url, QHeaderView::Stretch);
    for (int c : {PeerRecordsModel::Size, PeerRecordsModel::LastAccess, PeerRecordsModel::Validated})
        header->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_recordsView->sortByColumn(PeerRecordsModel::LastAccess, Qt::DescendingOrder);
    layout->addWidget(m_recordsView, 1);

    auto *row = new QHBoxLayout;
    m_deleteSelected = pushButton(tr("&Delete selected"), tr("Delete the selected cached files"),
                                  QStringLiteral("deleteRecords"), group);
    m_deleteSelected->setToolTip(tr("Remove the selected files from the cache; the jobs' own files stay."));
    m_deleteUrl = pushButton(tr("Delete by &URL"), tr("Delete every cached file with the selected file's URL"),
                             QStringLiteral("deleteUrl"), group);
    m_deleteUrl->setToolTip(tr("Remove every cached copy downloaded from the selected file's URL."));
    m_clearRecords = pushButton(tr("C&lear cache…"), tr("Delete all cached files"), QStringLiteral("clearRecords"), group);
    row->addWidget(m_deleteSelected);
    row->addWidget(m_deleteUrl);
    row->addStretch(1);
    row->addWidget(m_clearRecords);
    layout->addLayout(row);

    connect(m_deleteSelected, &QPushButton::clicked, this, &PeerCacheWindow::deleteSelected);
    connect(m_deleteUrl, &QPushButton::clicked, this, &PeerCacheWindow::deleteByUrl);
    connect(m_clearRecords, &QPushButton::clicked, this, &PeerCacheWindow::confirmClearRecords);
    connect(m_recordsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &PeerCacheWindow::updateButtons);
    return group;
}

QWidget *PeerCacheWindow::buildPeers()
{
    auto *group = new QGroupBox(tr("Peers"), this);
    group->setAccessibleName(tr("Peers"));
    auto *layout = new QVBoxLayout(group);
    m_peers = new PeerListModel(this);
    m_peersProxy = sortProxy(m_peers, PeerListModel::SortRole, this);
    m_peersView = tableView(m_peersProxy, tr("Peers"), QStringLiteral("peers"), group);
    for (int c = 0; c < PeerListModel::ColumnCount - 1; ++c)
        m_peersView->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    m_peersView->sortByColumn(PeerListModel::LastSeen, Qt::DescendingOrder);
    layout->addWidget(m_peersView, 1);

    auto *row = new QHBoxLayout;
    m_clearPeers = pushButton(tr("Clear &peers"), tr("Forget all known peers"), QStringLiteral("clearPeers"), group);
    m_clearPeers->setToolTip(tr("Forget the peers, their strikes and bans; they are found again as they announce "
                                "themselves."));
    m_rediscover = pushButton(tr("&Rediscover"), tr("Look for peers now"), QStringLiteral("rediscover"), group);
    m_rediscover->setToolTip(tr("Ask the local network and the static peers who is there."));
    row->addWidget(m_clearPeers);
    row->addWidget(m_rediscover);
    row->addStretch(1);
    layout->addLayout(row);

    connect(m_clearPeers, &QPushButton::clicked, this, &PeerCacheWindow::clearPeers);
    connect(m_rediscover, &QPushButton::clicked, this, &PeerCacheWindow::rediscover);
    return group;
}

void PeerCacheWindow::cache(const QStringList &args, std::function<void(const AdminReply &)> then)
{
    QPointer<PeerCacheWindow> self(this);
    m_client->request(QStringLiteral("cache"), args, [self, then = std::move(then)](const AdminReply &r) {
        if (self)
            then(r);
    });
}

void PeerCacheWindow::refresh()
{
    if (m_readQueued)
        return;
    m_readQueued = true;
    QTimer::singleShot(0, this, &PeerCacheWindow::read);
}

void PeerCacheWindow::read()
{
    m_readQueued = false;
    // Three verbs, answered in order; shown together.
    auto snapshot = std::make_shared<Snapshot>();
    cache({QStringLiteral("info")}, [snapshot](const AdminReply &r) { snapshot->info = r.json.toObject(); });
    cache({QStringLiteral("records")}, [this, snapshot](const AdminReply &r) {
        snapshot->records = r.json.toArray();
        if (!r.ok)
            showMessage(tr("The cached files cannot be listed: %1").arg(r.message));
    });
    cache({QStringLiteral("peers")}, [this, snapshot](const AdminReply &r) {
        snapshot->peers = r.json.toArray();
        showSnapshot(*snapshot);
    });
}

void PeerCacheWindow::showSnapshot(const Snapshot &snapshot)
{
    m_info = snapshot.info;
    const QSet<QString> records = selectedIds(m_recordsView, PeerRecordsModel::IdRole);
    const QSet<QString> peers = selectedIds(m_peersView, PeerListModel::PeerIdRole);
    m_records->setRecords(snapshot.records);
    m_peers->setPeers(snapshot.peers);
    reselect(m_recordsView, m_recordsProxy, PeerRecordsModel::IdRole, records);
    reselect(m_peersView, m_peersProxy, PeerListModel::PeerIdRole, peers);
    showState();
    updateButtons();
    emit refreshed();
}

void PeerCacheWindow::showState()
{
    const QJsonObject &o = m_info;
    const bool active = o.value(QLatin1String("active")).toBool();
    m_state->setText(active ? tr("Peer caching is on.")
                            : tr("Peer caching is off: %1").arg(o.value(QLatin1String("reason")).toString()));

    QStringList parts;
    const QString groupId = o.value(QLatin1String("groupId")).toString();
    parts << (groupId.isEmpty() ? tr("no group key") : tr("group %1").arg(groupId));
    const int tls = o.value(QLatin1String("listeningTlsPort")).toInt();
    const int discovery = o.value(QLatin1String("listeningDiscoveryPort")).toInt();
    if (tls > 0 || discovery > 0) {
        parts << tr("TLS port %1, discovery port %2").arg(tls).arg(discovery);
    } else {
        const int setTls = o.value(QLatin1String("tlsPort")).toInt();
        parts << tr("not listening (TLS port %1, discovery port %2)")
                     .arg(setTls == 0 ? tr("any") : QString::number(setTls))
                     .arg(o.value(QLatin1String("discoveryPort")).toInt());
    }
    parts << (o.value(QLatin1String("multicast")).toBool() ? tr("multicast on") : tr("static peers only"));
    const int records = o.value(QLatin1String("records")).toInt();
    parts << tr("cached files: %1, %2 used of %3")
                 .arg(QString::number(records),
                      ModelText::dataSize(qint64(o.value(QLatin1String("cacheBytes")).toDouble())),
                      ModelText::dataSize(qint64(o.value(QLatin1String("cacheCapBytes")).toDouble())));
    m_details->setText(parts.join(tr(" · ", "separator of the peer cache details")));
}

void PeerCacheWindow::updateButtons()
{
    const bool selected = m_recordsView->selectionModel()->hasSelection();
    m_deleteSelected->setEnabled(selected);
    m_deleteUrl->setEnabled(selected);
    m_clearRecords->setEnabled(m_records->rowCount() > 0);
    m_clearPeers->setEnabled(m_peers->rowCount() > 0);
    m_rediscover->setEnabled(m_info.value(QLatin1String("active")).toBool());
}

QStringList PeerCacheWindow::selectedRecordIds() const
{
    QStringList ids;
    for (int row : selectedSourceRows(m_recordsView, m_recordsProxy))
        ids << m_records->recordId(row);
    return ids;
}

void PeerCacheWindow::deleteSelected()
{
    const QStringList ids = selectedRecordIds();
    if (ids.isEmpty())
        return;
    m_message->hide();
    auto failures = std::make_shared<QStringList>();
    for (qsizetype i = 0; i < ids.size(); ++i) {
        const bool last = i == ids.size() - 1;
        cache({QStringLiteral("delete"), ids[i]}, [this, failures, id = ids[i], last](const AdminReply &r) {
            if (!r.ok)
                *failures << QStringLiteral("%1 (%2)").arg(r.message.isEmpty() ? id : r.message, errorName(r.code));
            if (!last)
                return;
            if (!failures->isEmpty())
                showMessage(tr("Could not delete every selected file: %1").arg(failures->join(QLatin1String("; "))));
            refresh();
        });
    }
}

void PeerCacheWindow::deleteByUrl()
{
    QStringList urls;
    for (int row : selectedSourceRows(m_recordsView, m_recordsProxy))
        if (const QString url = m_records->url(row); !url.isEmpty() && !urls.contains(url))
            urls << url;
    if (urls.isEmpty())
        return;
    m_message->hide();
    auto removed = std::make_shared<int>(0);
    for (qsizetype i = 0; i < urls.size(); ++i) {
        const bool last = i == urls.size() - 1;
        cache({QStringLiteral("deleteurl"), urls[i]}, [this, urls, removed, last](const AdminReply &r) {
            *removed += r.json.toInt();
            if (!last)
                return;
            showMessage(tr("Cached files deleted for %1: %2.").arg(urls.join(QLatin1String(", "))).arg(*removed));
            refresh();
        });
    }
}

void PeerCacheWindow::confirmClearRecords()
{
    ConfirmBox{.title = tr("Clear Peer Cache"),
               .text = tr("Delete every cached file? Other computers can then no longer fetch them from this one; "
                          "the jobs' own files stay."),
               .accessibleName = tr("Clear the peer cache?"),
               .objectName = QStringLiteral("clearRecordsConfirm"),
               .confirmText = tr("Clear Cache"),
               .confirmAccessibleName = tr("Delete all cached files"),
               .confirmObjectName = QStringLiteral("confirmClearRecords"),
               .confirmRole = QMessageBox::DestructiveRole}
        .open(this, [this] { clearRecords(); });
}

void PeerCacheWindow::clearRecords()
{
    m_message->hide();
    cache({QStringLiteral("clear")}, [this](const AdminReply &r) {
        if (!r.ok)
            showMessage(tr("Could not clear the cache: %1 (%2).").arg(r.message, errorName(r.code)));
        refresh();
    });
}

void PeerCacheWindow::clearPeers()
{
    m_message->hide();
    cache({QStringLiteral("peers"), QStringLiteral("clear")}, [this](const AdminReply &r) {
        if (!r.ok)
            showMessage(tr("Could not clear the peers: %1 (%2).").arg(r.message, errorName(r.code)));
        refresh();
    });
}

void PeerCacheWindow::rediscover()
{
    m_message->hide();
    cache({QStringLiteral("peers"), QStringLiteral("discover")}, [this](const AdminReply &r) {
        if (!r.ok)
            showMessage(tr("Could not look for peers: %1 (%2).").arg(r.message, errorName(r.code)));
    });
    cache({QStringLiteral("info")}, [this](const AdminReply &r) {
        showMessage(r.json.toObject().value(QLatin1String("active")).toBool()
                        ? tr("Looking for peers; those that answer appear in the list.")
                        : tr("Peer caching is off: there is nobody to ask."));
        refresh();
    });
}

void PeerCacheWindow::showMessage(const QString &text)
{
    m_message->setText(text);
    m_message->show();
}

void PeerCacheWindow::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

} // namespace ferry
