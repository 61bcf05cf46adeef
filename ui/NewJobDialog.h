// A new download job: its links (one per line, checked as they are typed), the folder the files
// go to, and the job's name, priority, peer caching, maximum download time and whether it starts
// at once. OK makes ONE job holding every link, on the engine thread through a queued call; the
// answer comes back queued. A refusal is shown in the dialog (which stays open, with the half-made
// job cancelled); on success the dialog emits jobCreated and accepts.
#pragma once

#include "EngineClient.h"

#include <QDialog>
#include <QList>
#include <QUrl>
#include <QUuid>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace ferry {

class NewJobDialog : public QDialog
{
    Q_OBJECT
public:
    // jobs lives on the engine thread: it is reached only through queued calls.
    explicit NewJobDialog(EngineClient *client, QWidget *parent = nullptr);
    ~NewJobDialog() override;

    // Pre-fills the links (e.g. from a drop or a paste), one per line, replacing what is there.
    void setUrls(const QList<QUrl> &urls);
    // The folder the files go to unless the user picks another. If the files are to go to this
    // very folder and it does not exist yet, it is created (on the engine thread) as the job is
    // made, as the main window does for its links; any other folder must exist.
    void setDownloadFolder(const QString &folder);

    // What the dialog holds now: the valid links in order, the folder as typed (with ~ expanded),
    // the name the job gets (the typed one, or the default) and whether OK may be pressed.
    QList<QUrl> urls() const { return m_valid; }
    QString downloadFolder() const;
    QString jobName() const;
    bool isReady() const;
    bool isBusy() const { return m_busy; }          // the engine is making the job

signals:
    void jobCreated(const QUuid &id);                // then the dialog accepts

public slots:
    void accept() override;                          // makes the job; accepts when the engine has
    void reject() override;                          // not while the job is being made

private:
    struct Outcome
    {
        Status status;
        QUuid id;                                    // the job made (null unless status is ok)
        int failedLine = 0;                          // 1-based line of the link refused, 0: none
    };

    void validate();
    void updateReady();
    void chooseFolder();
    void finish(const Outcome &outcome);
    void setBusy(bool busy);
    void showMessage(const QString &text);
    quint32 maximumDownloadSeconds() const;
    void applyTimeRange();
    QString defaultName() const;

    EngineClient *m_client;
    QString m_defaultFolder;                         // from setDownloadFolder
    QList<QUrl> m_valid;                             // the links of the valid lines, in order
    QList<int> m_lines;                              // the 1-based line of each of them
    bool m_urlsOk = false;
    bool m_folderOk = false;
    bool m_busy = false;

    QPlainTextEdit *m_urls = nullptr;
    QLabel *m_urlStatus = nullptr;
    QLineEdit *m_folder = nullptr;
    QPushButton *m_chooseFolder = nullptr;
    QLabel *m_folderStatus = nullptr;
    QLineEdit *m_name = nullptr;
    QComboBox *m_priority = nullptr;
    QCheckBox *m_peerClient = nullptr;
    QCheckBox *m_peerServer = nullptr;
    QSpinBox *m_maxTime = nullptr;
    QComboBox *m_maxTimeUnit = nullptr;
    QRadioButton *m_startNow = nullptr;
    QRadioButton *m_addSuspended = nullptr;
    QButtonGroup *m_startGroup = nullptr;
    QLabel *m_message = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace ferry
