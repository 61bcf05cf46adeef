#include "ImportGroupKeyDialog.h"

#include "MessageLabel.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace ferry {

ImportGroupKeyDialog::ImportGroupKeyDialog(QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("importKeyDialog"));
    setWindowTitle(tr("Import Group Key"));
    setAccessibleName(tr("Import a group key"));
    setAttribute(Qt::WA_DeleteOnClose);
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Paste the group key shown on the computer that created it. This computer then "
                                "shares files with the computers of that group; the key is kept in its keychain."),
                             this);
    intro->setWordWrap(true);
    intro->setTextFormat(Qt::PlainText);
    layout->addWidget(intro);
    auto *form = new QFormLayout;
    m_key = new QLineEdit(this);
    m_key->setObjectName(QStringLiteral("importKeyText"));
    m_key->setAccessibleName(tr("Group key to import"));
    m_key->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    form->addRow(tr("Group &key:"), m_key);
    layout->addLayout(form);
    m_message = new MessageLabel(this);
    m_message->setObjectName(QStringLiteral("importMessage"));
    layout->addWidget(m_message);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->setObjectName(QStringLiteral("importButtons"));
    buttons->setAccessibleName(tr("Dialog buttons"));
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(tr("&Import"));
    m_ok->setAccessibleName(tr("Import the group key"));
    buttons->button(QDialogButtonBox::Cancel)->setAccessibleName(tr("Cancel"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(this, &QDialog::finished, m_key, &QLineEdit::clear); // the key is not kept
    connect(buttons, &QDialogButtonBox::accepted, this, &ImportGroupKeyDialog::tryImport);
}

void ImportGroupKeyDialog::tryImport()
{
    const QString text = m_key->text().trimmed();
    if (text.isEmpty()) {
        m_message->setText(tr("Paste the group key first."));
        m_message->show();
        m_key->setFocus();
        return;
    }
    m_message->hide();
    m_ok->setEnabled(false);
    emit importRequested(text);
}

void ImportGroupKeyDialog::refused(const Status &status)
{
    const QString reason = status.message.isEmpty() ? tr("the engine refused it") : status.message;
    m_message->setText(tr("Could not import the group key: %1 (%2).").arg(reason, errorName(status.code)));
    m_message->show();
    m_ok->setEnabled(true);
}

} // namespace ferry
