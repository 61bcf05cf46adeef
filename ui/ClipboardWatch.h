// Watching the clipboard for links (off by default: DesktopSettings::watchClipboard). A copied
// http(s) link is offered once (linkOffered), never twice for the same link, and nothing takes
// the focus: the window shows a button in its status bar, the tray a notification.
#pragma once

#include <QObject>
#include <QSet>
#include <QUrl>

namespace ferry {

class DesktopSettings;

class ClipboardWatch : public QObject
{
    Q_OBJECT
public:
    explicit ClipboardWatch(DesktopSettings *settings, QObject *parent = nullptr);

signals:
    void linkOffered(const QUrl &url);

private:
    void onClipboardChanged();

    DesktopSettings *m_settings;
    QSet<QUrl> m_offered;
};

} // namespace ferry
