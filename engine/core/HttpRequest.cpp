#include "core/HttpRequest.h"

#include <QNetworkReply>
#include <QNetworkRequest>

namespace ferry {

void addCustomHeaders(QNetworkRequest &request, const QStringList &lines)
{
    for (const QString &line : lines) {
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLatin1();
        const QByteArray value = line.mid(colon + 1).trimmed().toLatin1();
        request.setRawHeader(name, request.hasRawHeader(name) ? request.rawHeader(name) + ", " + value : value);
    }
}

void abandonReply(QPointer<QNetworkReply> &reply, QObject *receiver)
{
    if (!reply)
        return;
    reply->disconnect(receiver);
    reply->abort();
    reply->deleteLater();
    reply = nullptr;
}

} // namespace ferry
