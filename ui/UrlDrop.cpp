#include "UrlDrop.h"

#include <QCoreApplication>
#include <QFile>
#include <QMimeData>
#include <QPointer>
#include <QRegularExpression>
#include <QThreadPool>
#include <QTimer>

namespace ferry {
namespace {

constexpr qint64 MaxListFileBytes = 4 << 20; // a list of links, not a download

bool isWebUrl(const QUrl &url)
{
    return url.isValid() && !url.host().isEmpty()
           && (url.scheme() == QLatin1String("http") || url.scheme() == QLatin1String("https"));
}

void addUnique(QList<QUrl> &urls, const QUrl &url)
{
    if (!urls.contains(url))
        urls << url;
}

QString tr(const char *text)
{
    return QCoreApplication::translate("ferry::UrlDrop", text);
}

// A local file that lists links; runs on a pool thread.
void readListFile(const QString &path, DroppedUrls *out)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        out->problems << tr("%1 cannot be read: %2").arg(path, f.errorString());
        return;
    }
    if (f.size() > MaxListFileBytes) {
        out->problems << tr("%1 is not a list of links (it is larger than 4 MiB)").arg(path);
        return;
    }
    const QByteArray bytes = f.readAll();
    if (bytes.contains('\0')) {
        out->problems << tr("%1 is not a text file listing links").arg(path);
        return;
    }
    const QList<QUrl> found = urlsInText(QString::fromUtf8(bytes));
    if (found.isEmpty())
        out->problems << tr("%1 holds no http or https links").arg(path);
    for (const QUrl &u : found)
        addUnique(out->urls, u);
}

} // namespace

QList<QUrl> urlsInText(const QString &text)
{
    static const QRegularExpression blanks(QStringLiteral("\\s+"));
    QList<QUrl> urls;
    static const QString openers = QStringLiteral("(<[\"'");
    static const QString closers = QStringLiteral(")>]\"'.,;:!?");
    for (QString word : text.split(blanks, Qt::SkipEmptyParts)) {
        // Links in prose: "(see https://x/y)." -> https://x/y
        while (!word.isEmpty() && openers.contains(word.front()))
            word.remove(0, 1);
        while (!word.isEmpty() && closers.contains(word.back()))
            word.chop(1);
        const QUrl url(word, QUrl::StrictMode);
        if (isWebUrl(url))
            addUnique(urls, url);
    }
    return urls;
}

bool mayHoldUrls(const QMimeData *data)
{
    return data && (data->hasUrls() || data->hasText());
}

void collectDroppedUrls(const QMimeData *data, QObject *receiver, const std::function<void(const DroppedUrls &)> &done)
{
    auto result = std::make_shared<DroppedUrls>();
    QStringList localFiles;
    if (data && data->hasUrls()) {
        for (const QUrl &url : data->urls()) {
            if (url.isLocalFile())
                localFiles << url.toLocalFile();
            else if (isWebUrl(url))
                addUnique(result->urls, url);
            else
                result->problems << tr("%1: Ferry downloads http and https links only").arg(url.toDisplayString());
        }
    } else if (data && data->hasText()) {
        result->urls = urlsInText(data->text());
        if (result->urls.isEmpty())
            result->problems << tr("The dropped text holds no http or https links.");
    } else {
        result->problems << tr("Ferry takes links, text holding links, and text files listing links; this drop "
                               "holds none of them.");
    }
    QPointer<QObject> guard(receiver);
    const auto deliver = [guard, done, result] {
        if (guard)
            QTimer::singleShot(0, guard, [done, result] { done(*result); }); // on the receiver's thread
    };
    if (localFiles.isEmpty())
        return deliver();
    QThreadPool::globalInstance()->start([localFiles, result, deliver] {
        for (const QString &path : localFiles)
            readListFile(path, result.get());
        deliver();
    });
}

} // namespace ferry
