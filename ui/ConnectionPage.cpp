#include "ConnectionPage.h"

#include "core/FileRules.h"
#include "core/ProxyRules.h"
#include "JobCredentialsBox.h"
#include "PropertyWidgets.h"

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
#include <QVBoxLayout>

namespace ferry {

namespace {

constexpr int MaxProxyListLength = defaults::MaxProxyList;   // what the engine accepts

} // namespace

ConnectionPage::ConnectionPage(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("connectionPage"));
    auto *layout = new QVBoxLayout(this);
    m_credentials = new JobCredentialsBox(this);
    layout->addWidget(m_credentials);
    layout->addWidget(buildProxy());
    layout->addWidget(buildHeaders());
    layout->addWidget(buildSecurity());
    layout->addStretch(1);
    updateProxyState();
    updateHeadersState();
    updateSecurityState();
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
    m_proxyStatus = helpLabel(tr("Proxy list problem"), QStringLiteral("proxyStatus"), box);
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
    m_headersStatus = helpLabel(tr("Header problem"), QStringLiteral("headersStatus"), box);
    m_headersStatus->hide();
    layout->addWidget(m_headersStatus);

    QLabel *note = helpLabel(tr("About custom headers"), QStringLiteral("headersNote"), box);
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
            emit securityFlagsChangeRequested(security::RedirectMask, policy);
    });
    const auto flagBox = [this](QCheckBox *check, quint32 bit) {
        connect(check, &QCheckBox::toggled, this, [this, bit](bool on) {
            updateSecurityState();
            emit securityFlagsChangeRequested(bit, on ? bit : 0u);
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
    m_credentials->setJob(job);
}

void ConnectionPage::refresh(JobField field, bool force)
{
    switch (field) {
    case JobField::Credentials: m_credentials->refresh(); break;
    case JobField::Proxy: refreshProxy(force); break;
    case JobField::Headers: refreshHeaders(force); break;
    case JobField::Security: refreshSecurity(); break;
    default: break; // on another tab
    }
}

void ConnectionPage::setEditable(bool editable)
{
    m_editable = editable;
    m_credentials->setEditable(editable);
    for (QWidget *w : std::initializer_list<QWidget *>{m_proxyUsage, m_headers, m_redirect, m_ignoreName, m_ignoreDate,
                                                       m_ignoreCa, m_ignoreUsage})
        w->setEnabled(editable);
    updateProxyState();
    updateHeadersState();
    updateSecurityState();
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
    emit proxyChangeRequested(usage, list, bypass);
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
        emit headersChangeRequested(lines);
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
