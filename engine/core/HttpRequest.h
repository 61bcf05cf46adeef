// What every HTTP request Ferry makes shares, origin and peers alike: the job's custom headers
// and how a reply is abandoned.
#pragma once

#include <QPointer>
#include <QStringList>

class QNetworkReply;
class QNetworkRequest;
class QObject;

namespace ferry {

// Puts a job's custom header lines on a request; lines with the same name are sent as one
// header with their values joined by ", " (RFC 9110 §5.3), not the last one alone.
void addCustomHeaders(QNetworkRequest &request, const QStringList &lines);

// Stops a reply without hearing from it again (receiver's connections cut, aborted, deleted
// later) and clears the pointer. Nothing happens for a null reply.
void abandonReply(QPointer<QNetworkReply> &reply, QObject *receiver);

} // namespace ferry
