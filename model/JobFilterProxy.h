// The job list as the window filters and sorts it: the search box's text (matched, ignoring case,
// against the name, the description and the owner) and a state filter, sorted by the raw values
// of JobListModel::SortRole. The source is a JobListModel (or any model with its columns and roles).
#pragma once

#include <QSortFilterProxyModel>
#include <QUuid>

namespace ferry {

class JobFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    enum StateFilter {
        AllStates,
        ActiveStates,      // QUEUED, CONNECTING, TRANSFERRING
        SuspendedStates,   // SUSPENDED
        ErrorStates,       // ERROR, TRANSIENT_ERROR
        TransferredStates, // TRANSFERRED
        StateFilterCount
    };
    Q_ENUM(StateFilter)

    explicit JobFilterProxy(QObject *parent = nullptr);

    QString searchText() const { return m_search; }
    StateFilter stateFilter() const { return m_stateFilter; }
    static QString stateFilterText(StateFilter filter); // for the filter's combo box

    QUuid jobId(int proxyRow) const;                      // the job shown at this row of the proxy

public slots:
    void setSearchText(const QString &text);
    void setStateFilter(ferry::JobFilterProxy::StateFilter filter);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_search;
    StateFilter m_stateFilter = AllStates;
};

} // namespace ferry
