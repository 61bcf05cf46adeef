// What AddFile accepts (docs/jobs.md §6.1): http(s) URLs of sane length, and absolute local names in an
// existing, writable folder that do not name an existing file (Ferry never overwrites).
#pragma once

#include "core/BitsError.h"

#include <QString>
#include <QUrl>

namespace ferry {

Status checkRemoteUrl(const QString &text, QUrl *url);
Status checkLocalName(const QString &text, QString *cleanPath);
// A custom header line "Name: value". Authorization, Proxy-Authorization and Cookie carry
// secrets and are accepted only for write-only headers, which live in the keychain
// (docs/security.md).
Status checkHeaderLine(const QString &line, bool writeOnly = false);
// Names and descriptions are shown in terminals and lists of other users (root's `list` in a
// system instance): no C0 or C1 control characters, no DEL (docs/security.md). WHAT names the
// field in the message ("the display name").
Status checkPlainText(const QString &text, const QString &what);

// The file name a link is saved under: its last path segment, decoded, control characters
// replaced, at most 180 bytes (room for " (n)"), "download" when it has none.
QString localFileNameFor(const QUrl &url);
// "name (n).ext": another name for a second link with the same file name in the same job.
QString numberedName(const QString &fileName, int n);

} // namespace ferry
