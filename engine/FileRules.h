// What AddFile accepts (spec §2.8): http(s) URLs of sane length, and absolute local names in an
// existing, writable folder that do not name an existing file (Ferry never overwrites).
#pragma once

#include "BitsError.h"

#include <QString>
#include <QUrl>

namespace ferry {

Status checkRemoteUrl(const QString &text, QUrl *url);
Status checkLocalName(const QString &text, QString *cleanPath);
Status checkHeaderLine(const QString &line);

} // namespace ferry
