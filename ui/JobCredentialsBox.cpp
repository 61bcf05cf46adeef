#include "JobCredentialsBox.h"

#include "PropertyWidgets.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <optional>

namespace ferry {

namespace {

constexpr int KeyRole = Qt::UserRole;      // a credentials row's target and scheme

QString targetText(AuthTarget t)
{
    switch (t) {
    case AuthTarget::Server: return JobCredentialsBox::tr("Server");
    case AuthTarget::Proxy: return JobCredentialsBox::tr("Proxy");
    }
    return authTargetName(t);
}

QString schemeText(AuthScheme s)
{
    switch (s) {
    case AuthScheme::Basic: return JobCredentialsBox::tr("Basic");
    case AuthScheme::Digest: return JobCredentialsBox::tr("Digest");
    case AuthScheme::Ntlm: return JobCredentialsBox::tr("NTLM");
    case AuthScheme::Negotiate: return JobCredentialsBox::tr("Negotiate");
    }
    return authSchemeName(s);
}

int keyData(const CredentialKey &key) { return int(key.target) << 8 | int(key.scheme); }
CredentialKey keyFromData(int data) { return {AuthTarget(data >> 8), AuthScheme(data & 0xff)}; }

// An empty user name means the session's own login, which only NTLM and Negotiate can use.
bool allowsEmptyUser(AuthScheme s) { return s == AuthScheme::Ntlm || s == AuthScheme::Negotiate; }

} // namespace

JobCredentialsBox::JobCredentialsBox(QWidget *parent)
    : QGroupBox(tr("Credentials"), parent)
{
    setObjectName(QStringLiteral("credentialsGroup"));
    setAccessibleName(tr("Credentials"));
    auto *layout = new QVBoxLayout(this);

    m_list = new QTreeWidget(this);
    m_list->setObjectName(QStringLiteral("credentials"));
    m_list->setAccessibleName(tr("Stored credentials"));
    m_list->setAccessibleDescription(tr("What the job holds credentials for: the server or the proxy, and "
                                                  "the authentication scheme. The passwords are not shown."));
    m_list->setColumnCount(1);
    m_list->setHeaderHidden(true);
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setMaximumHeight(m_list->fontMetrics().height() * 5);
    m_none = helpLabel(tr("No credentials"), QStringLiteral("noCredentials"), this);
    m_none->setText(tr("The job holds no credentials."));
    m_remove = new QPushButton(tr("&Remove"), this);
    m_remove->setObjectName(QStringLiteral("removeCredentials"));
    m_remove->setAccessibleName(tr("Remove the selected credentials"));
    m_remove->setAutoDefault(false);
    auto *listRow = new QHBoxLayout;
    auto *listColumn = new QVBoxLayout;
    listColumn->addWidget(m_list);
    listColumn->addWidget(m_none);
    listRow->addLayout(listColumn, 1);
    listRow->addWidget(m_remove, 0, Qt::AlignTop);
    layout->addLayout(listRow);

    auto *form = new QFormLayout;
    m_target = new QComboBox(this);
    m_target->setObjectName(QStringLiteral("credentialTarget"));
    m_target->setAccessibleName(tr("Credentials used for"));
    m_target->addItem(targetText(AuthTarget::Server), int(AuthTarget::Server));
    m_target->addItem(targetText(AuthTarget::Proxy), int(AuthTarget::Proxy));
    form->addRow(tr("Use&d for:"), m_target);
    m_scheme = new QComboBox(this);
    m_scheme->setObjectName(QStringLiteral("credentialScheme"));
    m_scheme->setAccessibleName(tr("Authentication scheme"));
    for (AuthScheme s : {AuthScheme::Basic, AuthScheme::Digest, AuthScheme::Ntlm, AuthScheme::Negotiate})
        m_scheme->addItem(schemeText(s), int(s));
    form->addRow(tr("Sche&me:"), m_scheme);
    m_user = new QLineEdit(this);
    m_user->setObjectName(QStringLiteral("userName"));
    m_user->setAccessibleName(tr("User name"));
    m_user->setMaxLength(limits::MaxUserName);
    m_user->setToolTip(tr("Leave it empty with NTLM or Negotiate to sign in as yourself."));
    form->addRow(tr("&User name:"), m_user);
    m_password = new QLineEdit(this);
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setAccessibleName(tr("Password"));
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setMaxLength(limits::MaxPassword);
    m_password->setInputMethodHints(Qt::ImhHiddenText | Qt::ImhSensitiveData | Qt::ImhNoPredictiveText);
    form->addRow(tr("&Password:"), m_password);
    layout->addLayout(form);

    m_save = new QPushButton(tr("&Save credentials"), this);
    m_save->setObjectName(QStringLiteral("saveCredentials"));
    m_save->setAccessibleName(tr("Save credentials"));
    m_save->setAutoDefault(false);
    QLabel *note = helpLabel(tr("Where the credentials are kept"), QStringLiteral("credentialsNote"), this);
    note->setText(tr("Stored in your keychain, never in Ferry's files. Saving again for the same use and scheme "
                     "replaces them; a saved password is never shown again."));
    layout->addWidget(note);
    layout->addLayout(buttonRow(m_save));

    connect(m_list, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        // Picking a row sets the form to its use and scheme, to replace those credentials.
        if (item) {
            const CredentialKey key = keyFromData(item->data(0, KeyRole).toInt());
            m_target->setCurrentIndex(m_target->findData(int(key.target)));
            m_scheme->setCurrentIndex(m_scheme->findData(int(key.scheme)));
        }
        updateButtons();
    });
    connect(m_remove, &QPushButton::clicked, this, &JobCredentialsBox::remove);
    connect(m_save, &QPushButton::clicked, this, &JobCredentialsBox::save);
    connect(m_password, &QLineEdit::returnPressed, this, &JobCredentialsBox::save);
    connect(m_user, &QLineEdit::textChanged, this, &JobCredentialsBox::updateButtons);
    connect(m_scheme, &QComboBox::currentIndexChanged, this, &JobCredentialsBox::updateButtons);
    updateButtons();
}

void JobCredentialsBox::setJob(const Job &job)
{
    m_job = job;
}

void JobCredentialsBox::setEditable(bool editable)
{
    m_editable = editable;
    if (!editable)
        m_password->clear(); // can no longer be saved: not kept
    for (QWidget *w : std::initializer_list<QWidget *>{m_target, m_scheme, m_user, m_password})
        w->setEnabled(editable);
    updateButtons();
}

void JobCredentialsBox::save()
{
    if (!m_save->isEnabled())
        return;
    const auto target = AuthTarget(m_target->currentData().toInt());
    const auto scheme = AuthScheme(m_scheme->currentData().toInt());
    const Credentials credentials{m_user->text(), m_password->text()};
    ++m_calls;
    updateButtons();
    emit saveRequested(target, scheme, credentials);
}

void JobCredentialsBox::saveAnswered(const Status &status)
{
    m_calls = qMax(0, m_calls - 1);
    if (status)
        m_password->clear(); // in the keychain now: not kept here any longer
    updateButtons();
}

void JobCredentialsBox::remove()
{
    QTreeWidgetItem *item = m_list->currentItem();
    if (!item || !m_remove->isEnabled())
        return;
    const CredentialKey key = keyFromData(item->data(0, KeyRole).toInt());
    ++m_calls;
    updateButtons();
    emit removeRequested(key.target, key.scheme);
}

void JobCredentialsBox::removeAnswered(const Status &)
{
    m_calls = qMax(0, m_calls - 1);
    updateButtons();
}

void JobCredentialsBox::refresh()
{
    std::optional<int> selected;
    if (QTreeWidgetItem *item = m_list->currentItem())
        selected = item->data(0, KeyRole).toInt();
    {
        const QSignalBlocker block(m_list); // no form changes from rebuilding the list
        m_list->clear();
        for (const CredentialKey &key : m_job.credentials) {
            auto *item = new QTreeWidgetItem(m_list);
            item->setText(0, tr("%1 — %2").arg(targetText(key.target), schemeText(key.scheme)));
            item->setData(0, KeyRole, keyData(key));
            if (selected && *selected == keyData(key))
                m_list->setCurrentItem(item);
        }
    }
    const bool none = m_job.credentials.isEmpty();
    m_list->setVisible(!none);
    m_none->setVisible(none);
    updateButtons();
}

void JobCredentialsBox::updateButtons()
{
    const bool idle = m_editable && m_calls == 0;
    const auto scheme = AuthScheme(m_scheme->currentData().toInt());
    m_save->setEnabled(idle && (!m_user->text().isEmpty() || allowsEmptyUser(scheme)));
    m_remove->setEnabled(idle && m_list->currentItem() != nullptr);
    m_remove->setVisible(!m_job.credentials.isEmpty());
}

} // namespace ferry
