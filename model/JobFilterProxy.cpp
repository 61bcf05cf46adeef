#include "JobFilterProxy.h"

#include "JobListModel.h"

namespace ferry {

JobFilterProxy::JobFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(JobListModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
    setSortLocaleAware(true);
    setDynamicSortFilter(true);
}

QString JobFilterProxy::stateFilterText(StateFilter filter)
{
    switch (filter) {
    case AllStates: return tr("All");
    case ActiveStates: return tr("Active");
    case SuspendedStates: return tr("Suspended");
    case ErrorStates: return tr("Errors");
    case TransferredStates: return tr("Transferred");
    case StateFilterCount: break;
    }
    return {};
}

QUuid JobFilterProxy::jobId(int proxyRow) const
{
    return index(proxyRow, JobListModel::Name).data(JobListModel::JobIdRole).toUuid();
}

void JobFilterProxy::setSearchText(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_search)
        return;
    m_search = trimmed;
    invalidateFilter();
}

void JobFilterProxy::setStateFilter(StateFilter filter)
{
    if (filter == m_stateFilter)
        return;
    m_stateFilter = filter;
    invalidateFilter();
}

bool JobFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QAbstractItemModel *source = sourceModel();
    if (!source)
        return false;
    const QModelIndex name = source->index(sourceRow, JobListModel::Name, sourceParent);
    if (m_stateFilter != AllStates) {
        const auto state = JobState(name.data(JobListModel::StateRole).toInt());
        bool accepted = false;
        switch (m_stateFilter) {
        case ActiveStates:
            accepted = state == JobState::Queued || state == JobState::Connecting || state == JobState::Transferring;
            break;
        case SuspendedStates: accepted = state == JobState::Suspended; break;
        case ErrorStates: accepted = state == JobState::Error || state == JobState::TransientError; break;
        case TransferredStates: accepted = state == JobState::Transferred; break;
        case AllStates:
        case StateFilterCount: accepted = true; break;
        }
        if (!accepted)
            return false;
    }
    if (m_search.isEmpty())
        return true;
    const auto matches = [this](const QVariant &value) { return value.toString().contains(m_search, Qt::CaseInsensitive); };
    return matches(name.data(Qt::DisplayRole)) || matches(name.data(JobListModel::DescriptionRole))
           || matches(source->index(sourceRow, JobListModel::Owner, sourceParent).data(Qt::DisplayRole));
}

} // namespace ferry
