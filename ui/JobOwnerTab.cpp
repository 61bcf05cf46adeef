#include "JobOwnerTab.h"

#include "PropertyWidgets.h"

#include <QGridLayout>
#include <QLabel>

namespace ferry {

namespace {

QString integrityHelp(IntegrityLevel level)
{
    switch (level) {
    case IntegrityLevel::Untrusted:
        return JobOwnerTab::tr("Who created the job could not be established (the process was gone or its "
                               "details could not be read), so it is trusted least.");
    case IntegrityLevel::Low:
        return JobOwnerTab::tr("Created from a sandbox: a Flatpak or Snap application, or a process running "
                               "with no_new_privs and a seccomp filter.");
    case IntegrityLevel::Medium:
        return JobOwnerTab::tr("Created by an ordinary process of the user, without administrative rights.");
    case IntegrityLevel::MediumPlus:
        return JobOwnerTab::tr("Created by a process running with no_new_privs outside any sandbox.");
    case IntegrityLevel::High:
        return JobOwnerTab::tr("Created by an elevated process in a login session: through sudo or pkexec, "
                               "or holding CAP_SYS_ADMIN or CAP_DAC_OVERRIDE.");
    case IntegrityLevel::System:
        return JobOwnerTab::tr("Created by a system service running as root outside any login session.");
    }
    return {};
}

QString ownerText(const Owner &o)
{
    const QString name = o.userName.isEmpty() ? Owner::nameOf(o.uid) : o.userName;
    return JobOwnerTab::tr("%1 (uid %2)").arg(name).arg(o.uid);
}

QString elevationText(bool elevated)
{
    return elevated ? JobOwnerTab::tr("Elevated") : JobOwnerTab::tr("Not elevated");
}

} // namespace

JobOwnerTab::JobOwnerTab(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("ownerTab"));
    auto *grid = new QGridLayout(this);
    grid->setColumnStretch(1, 1);
    int row = 0;
    // A caption in the first column, the value (and its explanation under it) in the second.
    const auto addRow = [&](const QString &caption, QLabel *value, QLabel *help) {
        auto *label = new QLabel(caption, this);
        label->setBuddy(value);
        grid->addWidget(label, row, 0, Qt::AlignLeft | Qt::AlignTop);
        grid->addWidget(value, row++, 1, Qt::AlignTop);
        if (help)
            grid->addWidget(help, row++, 1, Qt::AlignTop);
    };
    m_ownerName = valueLabel(tr("Owner"), QStringLiteral("ownerName"), this);
    addRow(tr("User:"), m_ownerName, nullptr);
    m_elevation = valueLabel(tr("Elevation"), QStringLiteral("elevation"), this);
    m_elevationHelp = helpLabel(tr("What the elevation means"), QStringLiteral("elevationHelp"), this);
    addRow(tr("Elevation:"), m_elevation, m_elevationHelp);
    m_integrity = valueLabel(tr("Integrity level"), QStringLiteral("integrity"), this);
    m_integrityHelp = helpLabel(tr("What the integrity level means"), QStringLiteral("integrityHelp"), this);
    addRow(tr("Integrity level:"), m_integrity, m_integrityHelp);
    QLabel *rules = helpLabel(tr("Who may change the job"), QStringLiteral("ownerRules"), this);
    rules->setText(tr("A job created elevated can be changed only by an elevated user, and nobody can change a job "
                      "whose owner runs at a higher integrity level than their own. Both are recorded when the job "
                      "is created or someone takes ownership of it."));
    addRow(tr("Rules:"), rules, nullptr);
    m_viewer = valueLabel(tr("You"), QStringLiteral("viewer"), this);
    addRow(tr("You:"), m_viewer, nullptr);
    grid->setRowStretch(row, 1); // spare height below, not between the rows
}

void JobOwnerTab::showOwner(const Owner &o, const Owner &viewer)
{
    m_ownerName->setText(ownerText(o));
    m_elevation->setText(elevationText(o.elevated));
    m_elevationHelp->setText(o.elevated ? tr("The process that created this job (or last took ownership of it) ran as "
                                             "root or held CAP_SYS_ADMIN or CAP_DAC_OVERRIDE; only an elevated user "
                                             "can change the job.")
                                        : tr("The process that created this job (or last took ownership of it) ran "
                                             "without root rights or administrative capabilities."));
    m_integrity->setText(integrityName(o.integrity));
    m_integrityHelp->setText(integrityHelp(o.integrity));
    m_viewer->setText(tr("%1; %2; integrity level %3")
                          .arg(ownerText(viewer), elevationText(viewer.elevated), integrityName(viewer.integrity)));
}

} // namespace ferry
