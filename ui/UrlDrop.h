// What a drop (or a pasted text) asks Ferry to download: http(s) links from text/uri-list, from
// plain text, and from local text files that list links one per line. Local files are read off
// the GUI thread; the answer comes back through the callback on the receiver's thread.
#pragma once

#include <QList>
#include <QStringList>
#include <QUrl>

#include <functional>

class QMimeData;
class QObject;

namespace ferry {

struct DroppedUrls
{
    QList<QUrl> urls;        // http(s) links, in order, without duplicates
    QStringList problems;    // what could not be used, in words for the user
};

// The links of a piece of text: every blank-separated http(s) URL.
QList<QUrl> urlsInText(const QString &text);

// True when the drop is something Ferry may take (links, text, local files): for dragEnterEvent.
bool mayHoldUrls(const QMimeData *data);

// Collects the links of a drop. Remote links and text are read at once; local files on a pool
// thread, then done(result) runs on receiver's thread (not at all if receiver is gone).
void collectDroppedUrls(const QMimeData *data, QObject *receiver, const std::function<void(const DroppedUrls &)> &done);

} // namespace ferry
