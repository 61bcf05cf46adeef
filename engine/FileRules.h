// What AddFile accepts (spec §2.8): http(s) URLs of sane length, and absolute local names in an
// existing, writable folder that do not name an existing file (Ferry never overwrites).
#pragma once

#include "BitsError.h"

#include <QString>
#include <QUrl>

class QNetworkRequest;

namespace ferry {

Status checkRemoteUrl(const QString &text, QUrl *url);
Status checkLocalName(const QString &text, QString *cleanPath);
Status checkHeaderLine(const QString &line);
// Puts a job's custom header lines on a request; lines with the same name are sent as one
// header with their values joined by ", " (RFC 9110 §5.3), not the last one alone.
void addCustomHeaders(QNetworkRequest &request, const QStringList &lines);

} // namespace ferry
