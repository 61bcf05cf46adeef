// The question before a step that cannot be undone (clear the peer cache, create a new group
// key), asked without exec(): the event loop, and so the engine's answers, go on while the user
// decides. Cancel is the default button, so Enter does not confirm; the box deletes itself once
// closed. The names are what tests and screen readers find the box and its button by.
#pragma once

#include <QCoreApplication>
#include <QMessageBox>
#include <QString>

#include <functional>

namespace ferry {

struct ConfirmBox
{
    QString title;
    QString text;
    QString accessibleName;
    QString objectName;
    QString confirmText;             // the confirming button's
    QString confirmAccessibleName;
    QString confirmObjectName;
    QMessageBox::ButtonRole confirmRole = QMessageBox::AcceptRole;

    // Opens the box over parent; confirmed runs (parent its context) when the user confirms.
    void open(QWidget *parent, const std::function<void()> &confirmed) const;

    Q_DECLARE_TR_FUNCTIONS(ferry::ConfirmBox)
};

} // namespace ferry
