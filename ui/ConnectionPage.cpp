#include "ConnectionPage.h"

#include "CredentialStore.h"
#include "FileRules.h"
#include "JobManager.h"
#include "ProxyRules.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QFrame>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <optional>

namespace ferry {

namespace {

constexpr int MaxProxyListLength = defaults::MaxProxyList;   // what the engine accepts
constexpr int KeyRole = Qt::UserRole;      // a credentials row's target and scheme

QString targetText(AuthTarget t)
{
    switch (t) {
    case AuthTarget::Server: return ConnectionPage::tr("Server");
    case AuthTarget::Proxy: return ConnectionPage::tr("Proxy");
    }
    return authTargetName(t);
}

QString schemeText(AuthScheme s)
{
    switch (s) {
    case AuthScheme::Basic: return ConnectionPage::tr("Basic");
    case AuthScheme::Digest: return ConnectionPage::tr("Digest");
    case AuthScheme::Ntlm: return ConnectionPage::tr("NTLM");
    case AuthScheme::Negotiate: return ConnectionPage::tr("Negotiate");
    }
    return authSchemeName(s);
}

int keyData(const CredentialKey &key) { return int(key.target) << 8 | int(key.scheme); }
CredentialKey keyFromData(int data) { return {AuthTarget(data >> 8), AuthScheme(data & 0xff)}; }

// An empty user name means the session's own login, which only NTLM and Negotiate can use.
bool allowsEmptyUser(AuthScheme s) { return s == AuthScheme::Ntlm || s == AuthScheme::Negotiate; }

QLabel *noteLabel(const QString &accessibleName, const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setAccessibleName(accessibleName);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    QFont small = label->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    label->setFont(small);
    return label;
}

QHBoxLayout *buttonRow(QPushButton *button)
{
    auto *row = new QHBoxLayout;
    row->addStretch(1);
    row->addWidget(button);
    return row;
}

} // namespace

ConnectionPage::ConnectionPage(Sender sender, QWidget *parent)
    : QWidget(parent)
    , m_send(std::move(sender))
{
    setObjectName(QStringLiteral("connectionPage"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buildCredentials());
    layout->addWidget(buildProxy());
    layout->addWidget(buildHeaders());
    layout->addWidget(buildSecurity());
    layout->addStretch(1);
    updateCredentialButtons();
    updateProxyState();
    updateHeadersState();
    updateSecurityState();
}

QWidget *ConnectionPage::buildCredentials()
{
    auto *box = new QGroupBox(tr("Credentials"), this);
    box->setObjectName(QStringLiteral("credentialsGroup"));
    box->setAccessibleName(tr("Credentials"));
    auto *layout = new QVBoxLayout(box);

    m_credentialList = new QTreeWidget(box);
    m_credentialList->setObjectName(QStringLiteral("credentials"));
    m_credentialList->setAccessibleName(tr("Stored credentials"));
    m_credentialList->setAccessibleDescription(tr("What the job holds credentials for: the server or the proxy, and "
                                                  "the authentication scheme. The passwords are not shown."));
    m_credentialList->setColumnCount(1);
    m_credentialList->setHeaderHidden(true);
    m_credentialList->setRootIsDecorated(false);
    m_credentialList->setUniformRowHeights(true);
    m_credentialList->setSelectionMode(QAbstractItemView::SingleSelection);
    m_credentialList->setMaximumHeight(m_credentialList->fontMetrics().height() * 5);
    m_noCredentials = noteLabel(tr("No credentials"), QStringLiteral("noCredentials"), box);
    m_noCredentials->setText(tr("The job holds no credentials."));
    m_remove = new QPushButton(tr("&Remove"), box);
    m_remove->setObjectName(QStringLiteral("removeCredentials"));
    m_remove->setAccessibleName(tr("Remove the selected credentials"));
    m_remove->setAutoDefault(false);
    auto *listRow = new QHBoxLayout;
    auto *listColumn = new QVBoxLayout;
    listColumn->addWidget(m_credentialList);
    listColumn->addWidget(m_noCredentials);
    listRow->addLayout(listColumn, 1);
    listRow->addWidget(m_remove, 0, Qt::AlignTop);
    layout->addLayout(listRow);

    auto *form = new QFormLayout;
    m_target = new QComboBox(box);
    m_target->setObjectName(QStringLiteral("credentialTarget"));
    m_target->setAccessibleName(tr("Credentials used for"));
    m_target->addItem(targetText(AuthTarget::Server), int(AuthTarget::Server));
    m_target->addItem(targetText(AuthTarget::Proxy), int(AuthTarget::Proxy));
    form->addRow(tr("Use&d for:"), m_target);
    m_scheme = new QComboBox(box);
    m_scheme->setObjectName(QStringLiteral("credentialScheme"));
    m_scheme->setAccessibleName(tr("Authentication scheme"));
    for (AuthScheme s : {AuthScheme::Basic, AuthScheme::Digest, AuthScheme::Ntlm, AuthScheme::Negotiate})
        m_scheme->addItem(schemeText(s), int(s));
    form->addRow(tr("Sche&me:"), m_scheme);
    m_user = new QLineEdit(box);
    m_user->setObjectName(QStringLiteral("userName"));
    m_user->setAccessibleName(tr("User name"));
    m_user->setMaxLength(limits::MaxUserName);
    m_user->setToolTip(tr("Leave it empty with NTLM or Negotiate to sign in as yourself."));
    form->addRow(tr("&User name:"), m_user);
    m_password = new QLineEdit(box);
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setAccessibleName(tr("Password"));
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setMaxLength(limits::MaxPassword);
    m_password->setInputMethodHints(Qt::ImhHiddenText | Qt::ImhSensitiveData | Qt::ImhNoPredictiveText);
    form->addRow(tr("&Password:"), m_password);
    layout->addLayout(form);

    m_save = new QPushButton(tr("&Save credentials"), box);
    m_save->setObjectName(QStringLiteral("saveCredentials"));
    m_save->setAccessibleName(tr("Save credentials"));
    m_save->setAutoDefault(false);
    QLabel *note = noteLabel(tr("Where the credentials are kept"), QStringLiteral("credentialsNote"), box);
    note->setText(tr("Stored in your keychain, never in Ferry's files. Saving again for the same use and scheme "
                     "replaces them; a saved password is never shown again."));
    layout->addWidget(note);
    layout->addLayout(buttonRow(m_save));

    connect(m_credentialList, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        // Picking a row sets the form to its use and scheme, to replace those credentials.
        if (item) {
            const CredentialKey key = keyFromData(item->data(0, KeyRole).toInt());
            m_target->setCurrentIndex(m_target->findData(int(key.target)));
            m_scheme->setCurrentIndex(m_scheme->findData(int(key.scheme)));
        }
        updateCredentialButtons();
    });
    connect(m_remove, &QPushButton::clicked, this, &ConnectionPage::removeCredentials);
    connect(m_save, &QPushButton::clicked, this, &ConnectionPage::saveCredentials);
    connect(m_password, &QLineEdit::returnPressed, this, &ConnectionPage::saveCredentials);
    connect(m_user, &QLineEdit::textChanged, this, &ConnectionPage::updateCredentialButtons);
    connect(m_scheme, &QComboBox::currentIndexChanged, this, &ConnectionPage::updateCredentialButtons);
    return box;
}

QWidget *ConnectionPage::buildProxy()
{
    auto *box = new QGroupBox(tr("Proxy"), this);
    box->setObjectName(QStringLiteral("proxyGroup"));
    box->setAccessibleName(tr("Proxy"));
    auto *form = new QFormLayout(box);

    m_proxyUsage = new QComboBox(box);
    m_proxyUsage->setObjectName(QStringLiteral("proxyUsage"));
    m_proxyUsage->setAccessibleName(tr("Proxy usage"));
    m_proxyUsage->addItem(tr("Use system settings"), int(ProxyUsage::Preconfig));
    m_proxyUsage->addItem(tr("No proxy"), int(ProxyUsage::NoProxy));
    m_proxyUsage->addItem(tr("These proxies"), int(ProxyUsage::Override));
    m_proxyUsage->addItem(tr("Detect automatically"), int(ProxyUsage::AutoDetect));
    form->addRow(tr("Pro&xy:"), m_proxyUsage);

    m_proxyList = new QLineEdit(box);
    m_proxyList->setObjectName(QStringLiteral("proxyList"));
    m_proxyList->setAccessibleName(tr("Proxy list"));
    m_proxyList->setMaxLength(MaxProxyListLength);
    m_proxyList->setPlaceholderText(tr("proxy.example:3128 socks5://10.0.0.1:1080"));
    m_proxyList->setToolTip(tr("Proxies to try in order, separated by spaces or semicolons: host:port, "
                               "http://host:port or socks5://host:port; “https=host:port” uses a proxy for "
                               "https addresses only."));
    form->addRow(tr("Proxy &list:"), m_proxyList);
    m_proxyBypass = new QLineEdit(box);
    m_proxyBypass->setObjectName(QStringLiteral("proxyBypass"));
    m_proxyBypass->setAccessibleName(tr("Proxy bypass list"));
    m_proxyBypass->setMaxLength(MaxProxyListLength);
    m_proxyBypass->setPlaceholderText(tr("<local> *.example.org 10.*"));
    m_proxyBypass->setToolTip(tr("Hosts reached directly, separated by spaces or semicolons: names with * "
                                 "wildcards, optionally with :port, and <local> for names without a dot."));
    form->addRow(tr("&Bypass list:"), m_proxyBypass);
    m_proxyStatus = noteLabel(tr("Proxy list problem"), QStringLiteral("proxyStatus"), box);
    m_proxyStatus->hide();
    form->addRow(m_proxyStatus);

    m_applyProxy = new QPushButton(tr("&Apply proxy settings"), box);
    m_applyProxy->setObjectName(QStringLiteral("applyProxy"));
    m_applyProxy->setAccessibleName(tr("Apply proxy settings"));
    m_applyProxy->setAutoDefault(false);
    form->addRow(buttonRow(m_applyProxy));

    connect(m_proxyUsage, &QComboBox::currentIndexChanged, this, [this] {
        m_proxyEdited = true;
        updateProxyState();
    });
    for (QLineEdit *edit : {m_proxyList, m_proxyBypass}) {
        connect(edit, &QLineEdit::textEdited, this, [this] {
            m_proxyEdited = true;
            updateProxyState();
        });
        connect(edit, &QLineEdit::returnPressed, this, &ConnectionPage::applyProxy);
    }
    connect(m_applyProxy, &QPushButton::clicked, this, &ConnectionPage::applyProxy);
    return box;
}

QWidget *ConnectionPage::buildHeaders()
{
    auto *box = new QGroupBox(tr("Custom headers"), this);
    box->setObjectName(QStringLiteral("headersGroup"));
    box->setAccessibleName(tr("Custom headers"));
    auto *layout = new QVBoxLayout(box);

    auto *label = new QLabel(tr("Header l&ines sent with every request, one “Name: value” per line:"), box);
    label->setWordWrap(true);
    m_headers = new QPlainTextEdit(box);
    m_headers->setObjectName(QStringLiteral("customHeaders"));
    m_headers->setAccessibleName(tr("Custom headers"));
    m_headers->setAccessibleDescription(tr("One header per line, as Name: value."));
    m_headers->setTabChangesFocus(true);
    m_headers->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_headers->setPlaceholderText(tr("X-Client: nightly-builds"));
    m_headers->setFixedHeight(m_headers->fontMetrics().lineSpacing() * 4 + 2 * m_headers->frameWidth() + 8);
    label->setBuddy(m_headers);
    layout->addWidget(label);
    layout->addWidget(m_headers);
    m_headersStatus = noteLabel(tr("Header problem"), QStringLiteral("headersStatus"), box);
    m_headersStatus->hide();
    layout->addWidget(m_headersStatus);

    QLabel *note = noteLabel(tr("About custom headers"), QStringLiteral("headersNote"), box);
    note->setText(tr("Custom headers are kept in Ferry's files with the job: put passwords in the credentials "
                     "above, not here."));
    m_applyHeaders = new QPushButton(tr("Apply &headers"), box);
    m_applyHeaders->setObjectName(QStringLiteral("applyHeaders"));
    m_applyHeaders->setAccessibleName(tr("Apply custom headers"));
    m_applyHeaders->setAutoDefault(false);
    layout->addWidget(note);
    layout->addLayout(buttonRow(m_applyHeaders));

    connect(m_headers, &QPlainTextEdit::textChanged, this, [this] {
        m_headersEdited = true;
        updateHeadersState();
    });
    connect(m_applyHeaders, &QPushButton::clicked, this, &ConnectionPage::applyHeaders);
    return box;
}

QWidget *ConnectionPage::buildSecurity()
{
    auto *box = new QGroupBox(tr("Security"), this);
    box->setObjectName(QStringLiteral("securityGroup"));
    box->setAccessibleName(tr("Security"));
    auto *layout = new QVBoxLayout(box);

    auto *form = new QFormLayout;
    m_redirect = new QComboBox(box);
    m_redirect->setObjectName(QStringLiteral("redirectPolicy"));
    m_redirect->setAccessibleName(tr("Redirect policy"));
    m_redirect->addItem(tr("Follow silently"), security::RedirectAllowSilent);
    m_redirect->addItem(tr("Follow and update the file's address"), security::RedirectAllowReport);
    m_redirect->addItem(tr("Refuse redirects"), security::RedirectDisallow);
    m_redirect->setToolTip(tr("What the job does when a server sends it elsewhere: follow quietly, follow and "
                              "record the final address as the file's remote name, or stop with an error."));
    form->addRow(tr("Redirect polic&y:"), m_redirect);
    layout->addLayout(form);

    m_httpsToHttp = new QCheckBox(tr("Allo&w redirects from HTTPS to plain HTTP"), box);
    m_httpsToHttp->setObjectName(QStringLiteral("allowHttpsToHttp"));
    m_httpsToHttp->setAccessibleName(tr("Allow redirects from HTTPS to plain HTTP"));
    m_httpsToHttp->setToolTip(tr("Off: a secure address that redirects to an unencrypted one is an error."));
    layout->addWidget(m_httpsToHttp);

    auto *ignoreLabel = new QLabel(tr("Ignore certificate problems:"), box);
    layout->addWidget(ignoreLabel);
    const auto ignoreBox = [box, layout](const QString &text, const QString &accessible, const char *name) {
        auto *check = new QCheckBox(text, box);
        check->setObjectName(QLatin1String(name));
        check->setAccessibleName(accessible);
        layout->addWidget(check);
        return check;
    };
    m_ignoreName = ignoreBox(tr("&Name does not match the server"), tr("Ignore a certificate name mismatch"),
                             "ignoreCertName");
    m_ignoreDate = ignoreBox(tr("&Expired or not yet valid"), tr("Ignore an expired or not yet valid certificate"),
                             "ignoreCertDate");
    m_ignoreCa = ignoreBox(tr("Un&known certificate authority"), tr("Ignore an unknown certificate authority"),
                           "ignoreUnknownCa");
    m_ignoreUsage = ignoreBox(tr("Not meant for ser&vers (wrong usage)"), tr("Ignore a certificate's wrong usage"),
                              "ignoreCertUsage");

    auto *warningFrame = new QFrame(box);
    warningFrame->setObjectName(QStringLiteral("certWarningBox"));
    warningFrame->setFrameShape(QFrame::StyledPanel);
    m_certWarning = warningFrame;
    auto *warningRow = new QHBoxLayout(m_certWarning);
    auto *icon = new QLabel(m_certWarning);
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxWarning, nullptr, this).pixmap(iconSize, iconSize));
    auto *warning = new QLabel(tr("Certificate checks are weakened for this job: a server pretending to be the "
                                  "origin could feed it files."),
                               m_certWarning);
    warning->setObjectName(QStringLiteral("certWarning"));
    warning->setAccessibleName(tr("Warning"));
    warning->setTextFormat(Qt::PlainText);
    warning->setWordWrap(true);
    warningRow->addWidget(icon, 0, Qt::AlignTop);
    warningRow->addWidget(warning, 1);
    m_certWarning->hide();
    layout->addWidget(m_certWarning);

    connect(m_redirect, &QComboBox::currentIndexChanged, this, [this] {
        const quint32 policy = m_redirect->currentData().toUInt();
        updateSecurityState();
        if (policy != (m_job.securityFlags & security::RedirectMask))
            changeSecurity(security::RedirectMask, policy);
    });
    const auto flagBox = [this](QCheckBox *check, quint32 bit) {
        connect(check, &QCheckBox::toggled, this, [this, bit](bool on) {
            updateSecurityState();
            changeSecurity(bit, on ? bit : 0u);
        });
    };
    flagBox(m_httpsToHttp, security::AllowHttpsToHttp);
    flagBox(m_ignoreName, security::IgnoreCertCnInvalid);
    flagBox(m_ignoreDate, security::IgnoreCertDateInvalid);
    flagBox(m_ignoreCa, security::IgnoreUnknownCa);
    flagBox(m_ignoreUsage, security::IgnoreCertWrongUsage);
    return box;
}

void ConnectionPage::setJob(const Job &job)
{
    m_job = job;
}

void ConnectionPage::refresh(Part part, bool force)
{
    switch (part) {
    case Part::Credentials: refreshCredentials(); break;
    case Part::Proxy: refreshProxy(force); break;
    case Part::Headers: refreshHeaders(force); break;
    case Part::Security: refreshSecurity(); break;
    }
}

void ConnectionPage::setEditable(bool editable)
{
    m_editable = editable;
    if (!editable)
        m_password->clear(); // can no longer be saved: not kept
    for (QWidget *w : std::initializer_list<QWidget *>{m_target, m_scheme, m_user, m_password, m_proxyUsage, m_headers,
                                                       m_redirect, m_ignoreName, m_ignoreDate, m_ignoreCa, m_ignoreUsage})
        w->setEnabled(editable);
    updateCredentialButtons();
    updateProxyState();
    updateHeadersState();
    updateSecurityState();
}

void ConnectionPage::send(Part part, std::function<Status(JobManager *, const Job &)> change)
{
    m_send(part, [change = std::move(change)](JobManager *jobs, const Job &job, const Done &done) { done(change(jobs, job)); }, {});
}

// Credentials

void ConnectionPage::saveCredentials()
{
    if (!m_save->isEnabled())
        return;
    const auto target = AuthTarget(m_target->currentData().toInt());
    const auto scheme = AuthScheme(m_scheme->currentData().toInt());
    const Credentials credentials{m_user->text(), m_password->text()};
    ++m_credentialCalls;
    updateCredentialButtons();
    m_send(
        Part::Credentials,
        [target, scheme, credentials](JobManager *jobs, const Job &job, Done done) {
            jobs->setCredentials(job.id, target, scheme, credentials, std::move(done));
        },
        [this](const Status &s) {
            m_credentialCalls = qMax(0, m_credentialCalls - 1);
            if (s)
                m_password->clear(); // in the keychain now: not kept here any longer
            updateCredentialButtons();
        });
}

void ConnectionPage::removeCredentials()
{
    QTreeWidgetItem *item = m_credentialList->currentItem();
    if (!item || !m_remove->isEnabled())
        return;
    const CredentialKey key = keyFromData(item->data(0, KeyRole).toInt());
    ++m_credentialCalls;
    updateCredentialButtons();
    m_send(
        Part::Credentials,
        [key](JobManager *jobs, const Job &job, Done done) { jobs->removeCredentials(job.id, key.target, key.scheme, std::move(done)); },
        [this](const Status &) {
            m_credentialCalls = qMax(0, m_credentialCalls - 1);
            updateCredentialButtons();
        });
}

void ConnectionPage::refreshCredentials()
{
    std::optional<int> selected;
    if (QTreeWidgetItem *item = m_credentialList->currentItem())
        selected = item->data(0, KeyRole).toInt();
    {
        const QSignalBlocker block(m_credentialList); // no form changes from rebuilding the list
        m_credentialList->clear();
        for (const CredentialKey &key : m_job.credentials) {
            auto *item = new QTreeWidgetItem(m_credentialList);
            item->setText(0, tr("%1 — %2").arg(targetText(key.target), schemeText(key.scheme)));
            item->setData(0, KeyRole, keyData(key));
            if (selected && *selected == keyData(key))
                m_credentialList->setCurrentItem(item);
        }
    }
    const bool none = m_job.credentials.isEmpty();
    m_credentialList->setVisible(!none);
    m_noCredentials->setVisible(none);
    updateCredentialButtons();
}

void ConnectionPage::updateCredentialButtons()
{
    const bool idle = m_editable && m_credentialCalls == 0;
    const auto scheme = AuthScheme(m_scheme->currentData().toInt());
    m_save->setEnabled(idle && (!m_user->text().isEmpty() || allowsEmptyUser(scheme)));
    m_remove->setEnabled(idle && m_credentialList->currentItem() != nullptr);
    m_remove->setVisible(!m_job.credentials.isEmpty());
}

// Proxy

ProxyUsage ConnectionPage::chosenProxyUsage() const
{
    return ProxyUsage(m_proxyUsage->currentData().toInt());
}

Status ConnectionPage::checkProxy() const
{
    if (chosenProxyUsage() != ProxyUsage::Override)
        return {};
    if (m_proxyList->text().trimmed().isEmpty())
        return {hr::BG_E_INVALID_PROXY_INFO, tr("Enter at least one proxy.")};
    ProxyRules rules;
    return ProxyRules::parse(m_proxyList->text(), m_proxyBypass->text(), &rules);
}

void ConnectionPage::applyProxy()
{
    const ProxyUsage usage = chosenProxyUsage();
    if (!m_editable || !checkProxy().ok())
        return; // an invalid OVERRIDE never goes to the engine
    const bool lists = usage == ProxyUsage::Override;
    const QString list = lists ? m_proxyList->text().trimmed() : QString();
    const QString bypass = lists ? m_proxyBypass->text().trimmed() : QString();
    if (usage == m_job.proxyUsage && list == m_job.proxyList && bypass == m_job.proxyBypassList) {
        m_proxyEdited = false;
        updateProxyState();
        return;
    }
    m_proxyEdited = false; // what the engine answers is shown next, unless edited again meanwhile
    send(Part::Proxy, [usage, list, bypass](JobManager *jobs, const Job &job) {
        return jobs->setProxyUsage(job.id, usage, list, bypass);
    });
    updateProxyState();
}

void ConnectionPage::refreshProxy(bool force)
{
    if (m_proxyEdited && !force) {
        updateProxyState();
        return;
    }
    {
        const QSignalBlocker blockUsage(m_proxyUsage);
        m_proxyUsage->setCurrentIndex(m_proxyUsage->findData(int(m_job.proxyUsage)));
    }
    m_proxyList->setText(m_job.proxyList);
    m_proxyBypass->setText(m_job.proxyBypassList);
    m_proxyEdited = false;
    updateProxyState();
}

void ConnectionPage::updateProxyState()
{
    const bool lists = chosenProxyUsage() == ProxyUsage::Override;
    m_proxyList->setEnabled(m_editable && lists);
    m_proxyBypass->setEnabled(m_editable && lists);
    const Status valid = checkProxy();
    m_proxyStatus->setText(valid.message);
    m_proxyStatus->setVisible(!valid.ok());
    m_applyProxy->setEnabled(m_editable && m_proxyEdited && valid.ok());
}

// Custom headers

QStringList ConnectionPage::headerLines(QString *error) const
{
    QStringList lines;
    const QStringList raw = m_headers->toPlainText().split(QLatin1Char('\n'));
    for (int i = 0; i < raw.size(); ++i) {
        const QString line = raw[i].trimmed();
        if (line.isEmpty())
            continue;
        if (const Status s = checkHeaderLine(line); !s) {
            if (error)
                *error = tr("Line %1: %2").arg(i + 1).arg(s.message);
            return {};
        }
        lines << line;
    }
    return lines;
}

void ConnectionPage::applyHeaders()
{
    QString error;
    const QStringList lines = headerLines(&error);
    if (!m_editable || !error.isEmpty())
        return;
    m_headersEdited = false;
    if (lines != m_job.customHeaders)
        send(Part::Headers, [lines](JobManager *jobs, const Job &job) { return jobs->setCustomHeaders(job.id, lines); });
    updateHeadersState();
}

void ConnectionPage::refreshHeaders(bool force)
{
    if (m_headersEdited && !force) {
        updateHeadersState();
        return;
    }
    const QString text = m_job.customHeaders.join(QLatin1Char('\n'));
    if (m_headers->toPlainText() != text) {
        const QSignalBlocker block(m_headers);
        m_headers->setPlainText(text);
    }
    m_headersEdited = false;
    updateHeadersState();
}

void ConnectionPage::updateHeadersState()
{
    QString error;
    headerLines(&error);
    m_headersStatus->setText(error);
    m_headersStatus->setVisible(!error.isEmpty());
    m_applyHeaders->setEnabled(m_editable && m_headersEdited && error.isEmpty());
}

// Security

void ConnectionPage::changeSecurity(quint32 mask, quint32 value)
{
    // Only what the user touched: another flag changed elsewhere meanwhile stays.
    send(Part::Security, [mask, value](JobManager *jobs, const Job &job) {
        return jobs->setSecurityFlags(job.id, (job.securityFlags & ~mask) | value);
    });
}

void ConnectionPage::refreshSecurity()
{
    const quint32 flags = m_job.securityFlags;
    {
        const QSignalBlocker block(m_redirect);
        m_redirect->setCurrentIndex(m_redirect->findData(flags & security::RedirectMask));
    }
    const auto set = [](QCheckBox *check, bool on) {
        const QSignalBlocker block(check);
        check->setChecked(on);
    };
    set(m_httpsToHttp, flags & security::AllowHttpsToHttp);
    set(m_ignoreName, flags & security::IgnoreCertCnInvalid);
    set(m_ignoreDate, flags & security::IgnoreCertDateInvalid);
    set(m_ignoreCa, flags & security::IgnoreUnknownCa);
    set(m_ignoreUsage, flags & security::IgnoreCertWrongUsage);
    updateSecurityState();
}

void ConnectionPage::updateSecurityState()
{
    // HTTPS to HTTP is a kind of redirect: moot while redirects are refused.
    m_httpsToHttp->setEnabled(m_editable && m_redirect->currentData().toUInt() != security::RedirectDisallow);
    const bool weakened = m_ignoreName->isChecked() || m_ignoreDate->isChecked() || m_ignoreCa->isChecked()
                          || m_ignoreUsage->isChecked();
    m_certWarning->setVisible(weakened);
}

} // namespace ferry
