// The settings dialog's General page: where downloads go and what a drop of links does
// (DesktopSettings), how many background jobs the engine runs at once, and how the window starts
// (DesktopSettings). A view only: SettingsDialog reads the values back and saves or sends them.
#pragma once

#include <QWidget>

class QButtonGroup;
class QCheckBox;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace ferry {

class DesktopSettings;

class SettingsGeneralPage : public QWidget
{
    Q_OBJECT
public:
    explicit SettingsGeneralPage(QWidget *parent = nullptr);

    void showDesktop(const DesktopSettings &settings);
    QString folderText() const;                       // as typed
    void setFolderText(const QString &folder);        // a path with '/' separators
    void focusFolder();
    bool queueDropsDirectly() const;
    bool startMinimized() const;
    bool startAtLogin() const;
    bool watchClipboard() const;

    // The engine's number of concurrent background jobs; a value the user changed (it no longer
    // shows previous) stays unless force.
    void showMaxBackgroundJobs(int shown, int previous, bool force);
    int maxBackgroundJobs() const;
    // The engine's jobInactivityDays, the same way.
    void showInactivityDays(int shown, int previous, bool force);
    int inactivityDays() const;
    void commitTypedNumbers();                        // a number typed and not yet taken
    void setEngineEditable(bool editable);

private:
    QWidget *buildDownloads();
    QWidget *buildEngine();
    QWidget *buildDesktop();
    void browse();

    QLineEdit *m_folder = nullptr;
    QPushButton *m_browse = nullptr;
    QButtonGroup *m_dropGroup = nullptr;
    QRadioButton *m_dropDirect = nullptr;
    QRadioButton *m_dropAsk = nullptr;

    QSpinBox *m_maxBackgroundJobs = nullptr;
    QSpinBox *m_inactivityDays = nullptr;

    QCheckBox *m_startMinimized = nullptr;
    QCheckBox *m_startAtLogin = nullptr;
    QCheckBox *m_watchClipboard = nullptr;
};

} // namespace ferry
