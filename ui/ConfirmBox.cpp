#include "ConfirmBox.h"

#include <QPushButton>

namespace ferry {

void ConfirmBox::open(QWidget *parent, const std::function<void()> &confirmed) const
{
    auto *box = new QMessageBox(QMessageBox::Question, title, text, QMessageBox::NoButton, parent);
    box->setObjectName(objectName);
    box->setAccessibleName(accessibleName);
    QPushButton *confirm = box->addButton(confirmText, confirmRole);
    confirm->setObjectName(confirmObjectName);
    confirm->setAccessibleName(confirmAccessibleName);
    QPushButton *cancel = box->addButton(QMessageBox::Cancel);
    cancel->setAccessibleName(tr("Cancel"));
    box->setDefaultButton(cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QObject::connect(box, &QMessageBox::buttonClicked, parent, [confirm, confirmed](QAbstractButton *clicked) {
        if (clicked == confirm)
            confirmed();
    });
    box->open();
}

} // namespace ferry
