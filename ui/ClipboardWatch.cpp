#include "ClipboardWatch.h"

#include "DesktopSettings.h"
#include "UrlDrop.h"

#include <QClipboard>
#include <QGuiApplication>

namespace ferry {

ClipboardWatch::ClipboardWatch(DesktopSettings *settings, QObject *parent)
    : QObject(parent)
    , m_settings(settings)
{
    connect(QGuiApplication::clipboard(), &QClipboard::dataChanged, this, &ClipboardWatch::onClipboardChanged);
}

void ClipboardWatch::onClipboardChanged()
{
    if (!m_settings->watchClipboard())
        return;
    const QString text = QGuiApplication::clipboard()->text().trimmed();
    const QList<QUrl> urls = urlsInText(text);
    // A copied link, not a page of text that happens to hold some.
    if (urls.size() != 1 || text.size() > urls.constFirst().toString().size() + 2)
        return;
    const QUrl &url = urls.constFirst();
    if (m_offered.contains(url))
        return;
    m_offered.insert(url);
    emit linkOffered(url);
}

} // namespace ferry
