#include "core/HttpDate.h"

#include <QLocale>
#include <QTimeZone>

namespace ferry {

QDateTime parseHttpDate(const QString &text)
{
    const QString t = text.trimmed();
    QDateTime d = QLocale::c().toDateTime(t, QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
    if (d.isValid()) {
        d.setTimeZone(QTimeZone::utc());
        return d;
    }
    return QDateTime::fromString(t, Qt::RFC2822Date);
}

} // namespace ferry
