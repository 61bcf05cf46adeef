// The job-properties tab "Credentials and connection": the credentials the job holds (which
// target/scheme pairs; the secrets live in the OS keychain and are never shown back), its proxy,
// its custom headers and its security flags (redirect policy, TLS checks).
//
// The page holds no engine pointer of its own: every change goes out through the Sender the
// dialog gives it, which runs the change on the engine thread under the dialog's owner rules and
// shows a refusal; afterwards the dialog calls refresh(), so what the page shows is always the
// engine's job (setJob) apart from an edit not yet applied.
#pragma once

#include "BitsError.h"
#include "Job.h"

#include <QWidget>

#include <functional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

namespace ferry {

class JobManager;

class ConnectionPage : public QWidget
{
    Q_OBJECT
public:
    enum class Part { Credentials, Proxy, Headers, Security };

    using Done = std::function<void(const Status &)>;
    // One change to the job, run on the engine thread once the viewer may make it; it reports the
    // engine's answer through done, at once or later (the keychain), on that thread.
    using Change = std::function<void(JobManager *jobs, const Job &job, Done done)>;
    // Sends a change; answered (optional) gets the engine's answer on this thread, before the
    // dialog calls refresh(part).
    using Sender = std::function<void(Part part, Change change, Done answered)>;

    explicit ConnectionPage(Sender sender, QWidget *parent = nullptr);

    void setJob(const Job &job);            // the engine's job as last heard; shown by refresh()
    // Shows the job's value of one part; without force an edit of the proxy or the headers not
    // yet applied stays.
    void refresh(Part part, bool force);
    void setEditable(bool editable);
    bool isEditable() const { return m_editable; }

private:
    QWidget *buildCredentials();
    QWidget *buildProxy();
    QWidget *buildHeaders();
    QWidget *buildSecurity();

    void send(Part part, std::function<Status(JobManager *, const Job &)> change);
    void saveCredentials();
    void removeCredentials();
    void applyProxy();
    void applyHeaders();
    void changeSecurity(quint32 mask, quint32 value);

    void refreshCredentials();
    void refreshProxy(bool force);
    void refreshHeaders(bool force);
    void refreshSecurity();
    void updateCredentialButtons();
    void updateProxyState();
    void updateHeadersState();
    void updateSecurityState();

    ProxyUsage chosenProxyUsage() const;
    Status checkProxy() const;               // the OVERRIDE lists as ProxyRules reads them
    // The header lines as they would be sent (trimmed, blank lines left out); the first bad line
    // as a message.
    QStringList headerLines(QString *error) const;

    Sender m_send;
    Job m_job;
    bool m_editable = true;

    // Credentials
    QTreeWidget *m_credentialList = nullptr;
    QLabel *m_noCredentials = nullptr;
    QPushButton *m_remove = nullptr;
    QComboBox *m_target = nullptr;
    QComboBox *m_scheme = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_password = nullptr;
    QPushButton *m_save = nullptr;
    int m_credentialCalls = 0;               // keychain calls on their way

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
