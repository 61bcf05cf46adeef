#include "NewGroupKeyDialog.h"

#include <QClipboard>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace ferry {

NewGroupKeyDialog::NewGroupKeyDialog(const QString &base32, const QString &groupId, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("newKeyDialog"));
    setWindowTitle(tr("New Group Key"));
    setAccessibleName(tr("The new group key"));
    setAttribute(Qt::WA_DeleteOnClose);
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(!groupId.isEmpty() ? tr("This computer now belongs to group %1. To add another computer to the group, "
                                                     "import this key there:").arg(groupId)
                                                : tr("To add another computer to the group, import this key there:"),
                             this);
    intro->setTextFormat(Qt::PlainText);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto *row = new QHBoxLayout;
    m_key = new QLineEdit(base32, this);
    m_key->setObjectName(QStringLiteral("newKey"));
    m_key->setAccessibleName(tr("The new group key"));
    m_key->setReadOnly(true);
    m_key->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_key->setMinimumWidth(m_key->fontMetrics().horizontalAdvance(base32) + 2 * m_key->fontMetrics().averageCharWidth() + 12);
    auto *copy = new QPushButton(tr("&Copy"), this);
    copy->setObjectName(QStringLiteral("copyKey"));
    copy->setAccessibleName(tr("Copy the new group key"));
    copy->setAutoDefault(false);
    row->addWidget(m_key, 1);
    row->addWidget(copy);
    layout->addLayout(row);

    auto *note = new QLabel(tr("This key is shown only now. Copy it and keep it safe until it is imported on the "
                               "other computers: Ferry keeps it only in this computer's keychain and does not show it "
                               "again."),
                            this);
    note->setObjectName(QStringLiteral("newKeyNote"));
    note->setAccessibleName(tr("About the new group key"));
    note->setTextFormat(Qt::PlainText);
    note->setWordWrap(true);
    QFont bold = note->font();
    bold.setBold(true);
    note->setFont(bold);
    layout->addWidget(note);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->setObjectName(QStringLiteral("newKeyButtons"));
    buttons->setAccessibleName(tr("Dialog buttons"));
    buttons->button(QDialogButtonBox::Close)->setAccessibleName(tr("Close"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(copy, &QPushButton::clicked, m_key, [edit = m_key] { QGuiApplication::clipboard()->setText(edit->text()); });
    connect(this, &QDialog::finished, m_key, &QLineEdit::clear);
}

void NewGroupKeyDialog::showKey()
{
    open();
    m_key->setFocus();
    m_key->selectAll();
}

void NewGroupKeyDialog::forget()
{
    m_key->clear();
    close();
}

} // namespace ferry
