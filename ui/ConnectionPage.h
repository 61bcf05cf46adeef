// The job-properties tab "Credentials and connection": the credentials the job holds
// (JobCredentialsBox), its proxy, its custom headers and its security flags (redirect policy,
// TLS checks).
//
// A view only: it holds no engine pointer and emits what the user asked for; JobPropertiesDialog
// runs the change on the engine thread under its owner rules, shows a refusal and then calls
// refresh(), so what the page shows is always the engine's job (setJob) apart from an edit not
// yet applied.
#pragma once

#include "core/Job.h"
#include "JobField.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace ferry {

class JobCredentialsBox;

class ConnectionPage : public QWidget
{
    Q_OBJECT
public:
    explicit ConnectionPage(QWidget *parent = nullptr);

    void setJob(const Job &job);            // the engine's job as last heard; shown by refresh()
    // Shows the job's value of one part (Credentials, Proxy, Headers, Security; other fields are
    // not on this page); without force an edit of the proxy or the headers not yet applied stays.
    void refresh(JobField field, bool force);
    void setEditable(bool editable);
    bool isEditable() const { return m_editable; }
    JobCredentialsBox *credentials() const { return m_credentials; }

signals:
    void proxyChangeRequested(ferry::ProxyUsage usage, const QString &list, const QString &bypass);
    void headersChangeRequested(const QStringList &lines);
    // Only the bits in mask, set to value: a flag changed elsewhere meanwhile stays.
    void securityFlagsChangeRequested(quint32 mask, quint32 value);

private:
    QWidget *buildProxy();
    QWidget *buildHeaders();
    QWidget *buildSecurity();

    void applyProxy();
    void applyHeaders();

    void refreshProxy(bool force);
    void refreshHeaders(bool force);
    void refreshSecurity();
    void updateProxyState();
    void updateHeadersState();
    void updateSecurityState();

    ProxyUsage chosenProxyUsage() const;
    Status checkProxy() const;               // the OVERRIDE lists as ProxyRules reads them
    // The header lines as they would be sent (trimmed, blank lines left out); the first bad line
    // as a message.
    QStringList headerLines(QString *error) const;

    Job m_job;
    bool m_editable = true;

    JobCredentialsBox *m_credentials = nullptr;

    // Proxy
    QComboBox *m_proxyUsage = nullptr;
    QLineEdit *m_proxyList = nullptr;
    QLineEdit *m_proxyBypass = nullptr;
    QLabel *m_proxyStatus = nullptr;
    QPushButton *m_applyProxy = nullptr;
    bool m_proxyEdited = false;              // changed by the user, not yet applied

    // Custom headers
    QPlainTextEdit *m_headers = nullptr;
    QLabel *m_headersStatus = nullptr;
    QPushButton *m_applyHeaders = nullptr;
    bool m_headersEdited = false;

    // Security
    QComboBox *m_redirect = nullptr;
    QCheckBox *m_httpsToHttp = nullptr;
    QCheckBox *m_ignoreName = nullptr;
    QCheckBox *m_ignoreDate = nullptr;
    QCheckBox *m_ignoreCa = nullptr;
    QCheckBox *m_ignoreUsage = nullptr;
    QWidget *m_certWarning = nullptr;
};

} // namespace ferry
