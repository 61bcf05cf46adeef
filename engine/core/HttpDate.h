// HTTP dates (RFC 9110 IMF-fixdate, "Tue, 03 Nov 2020 10:00:00 GMT"), which Qt 6.4's
// Qt::RFC2822Date parser rejects because of the "GMT".
#pragma once

#include <QDateTime>

namespace ferry {
QDateTime parseHttpDate(const QString &text);   // invalid when it is not a date
}
