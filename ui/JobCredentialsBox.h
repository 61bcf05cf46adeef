// The credentials a job holds, in the job-properties tab "Credentials and connection": which
// target/scheme pairs (the secrets live in the OS keychain and are never shown back), and a form
// to save new ones or remove the selected ones. A view only: it emits what the user asked for;
// JobPropertiesDialog stores or removes the credentials through the engine and reports the
// answer back (saveAnswered, removeAnswered) before it calls refresh().
#pragma once

#include "core/Job.h"
#include "store/CredentialStore.h"

#include <QGroupBox>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTreeWidget;

namespace ferry {

class JobCredentialsBox : public QGroupBox
{
    Q_OBJECT
public:
    explicit JobCredentialsBox(QWidget *parent = nullptr);

    void setJob(const Job &job);            // the engine's job as last heard; shown by refresh()
    void refresh();
    void setEditable(bool editable);
    void saveAnswered(const Status &status);     // the password is cleared once stored
    void removeAnswered(const Status &status);

signals:
    void saveRequested(ferry::AuthTarget target, ferry::AuthScheme scheme, const ferry::Credentials &credentials);
    void removeRequested(ferry::AuthTarget target, ferry::AuthScheme scheme);

private:
    void save();
    void remove();
    void updateButtons();

    Job m_job;
    bool m_editable = true;
    QTreeWidget *m_list = nullptr;
    QLabel *m_none = nullptr;
    QPushButton *m_remove = nullptr;
    QComboBox *m_target = nullptr;
    QComboBox *m_scheme = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_password = nullptr;
    QPushButton *m_save = nullptr;
    int m_calls = 0;                        // keychain calls on their way
};

} // namespace ferry
