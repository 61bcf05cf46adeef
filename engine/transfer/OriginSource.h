// The origin leg of a Transfer: one GET of the file's URL at a time through the job's
// QNetworkAccessManager, from an offset with Range and If-Range, redirects judged against the
// job's security flags (docs/jobs.md §9.1), certificate problems excused only by its flags
// (§9.2), and a server's or proxy's challenge answered once from its credentials (§10). The
// Transfer that owns it reads the answer (reply()) and decides what the bytes mean: the status,
// the validators, the range, the restarts. Lives on the transfer thread.
//
// Where this is going (docs/engine.md, "The engine's pieces"): Transfer is to drive "a source"
// through one interface, so that several connections per file or several peers at once can
// plug in later. The shape, after KGet's TransferDataSource:
//
//     class DataSource : public QObject {
//         virtual void start(qint64 offset) = 0;   // bytes from here on, in order
//         virtual void stop() = 0;                 // abandon; no signal after this
//     signals:
//         void answered(const OriginFacts &facts); // size and validators of what follows
//         void data(const QByteArray &bytes);      // the next bytes, in order
//         void finished();                         // everything from offset was delivered
//         void failed(const TransferFailure &why);
//     };
//
// peercache::PeerSource already has that shape (start(offset), stop(), block, finished with
// its outcome). This class is the origin leg cut out of Transfer with its wire handling only;
// the response's meaning (acceptResponse: 200/206/416, restarts, the validators) still lives in
// Transfer, and becomes OriginSource's answered()/data() when the interface above is adopted.
#pragma once

#include "store/CredentialStore.h"
#include "transfer/TransferPolicy.h"

#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QUrl>

class QAuthenticator;
class QNetworkAccessManager;
class QNetworkReply;
class QSslError;

namespace ferry {

class OriginSource : public QObject
{
    Q_OBJECT
public:
    static constexpr qint64 ReadBufferSize = 1 << 20;   // unread reply data Qt may hold (docs/engine.md, "HTTP/2")
    static constexpr int MaxRedirects = 10;

    // nam: the job's manager (ConnectionPool, by connectionKey). A manager with credentials is
    // this job's own and runs one transfer at a time, so its challenges are this transfer's.
    OriginSource(QUrl url, QStringList headers, QList<StoredCredential> credentials, quint32 securityFlags, bool http2,
                 int fileIndex, QNetworkAccessManager *nam, QObject *parent = nullptr);

    // A GET of currentUrl() from offset: with a Range from a non-zero offset, and If-Range with
    // the strong ETag, else the Last-Modified date, the bytes there belong to.
    void get(qint64 offset, const QString &etag, const QString &lastModified);
    // Abandons the current reply without hearing from it again.
    void drop();
    QNetworkReply *reply() const { return m_reply; }
    QUrl currentUrl() const { return m_currentUrl; }   // after the redirects followed

    // The current reply ended with a 3xx answer. Follow: currentUrl() is now its target, to be
    // asked with get(); Refuse: the job's flags or the redirect limit forbid it (refusal says
    // why); AnswerAsError: no target, or redirects disallowed: the 3xx is the answer.
    enum class Redirect { Follow, Refuse, AnswerAsError };
    Redirect judgeRedirect(TransferFailure *refusal);

    bool holdsCredentials(AuthTarget target) const;
    // Why the TLS handshake was not accepted (empty when it was, or no problem came up).
    QString certificateProblem() const { return m_certificateProblem; }

signals:
    // The current reply's own signals, relayed in order.
    void metaDataChanged();
    void readyRead();
    void finished();
    void warned(const QString &message);     // certificate problems excused by the job's flags

private:
    void onSslErrors(const QList<QSslError> &errors);
    void answerChallenge(AuthTarget target, const QString &where, QAuthenticator *authenticator);

    QStringList m_headers;
    QList<StoredCredential> m_credentials;   // read from the keychain for this attempt
    quint32 m_securityFlags;
    bool m_http2;
    int m_fileIndex;
    QNetworkAccessManager *m_nam;
    QPointer<QNetworkReply> m_reply;
    QUrl m_currentUrl;
    int m_redirects = 0;
    QStringList m_answered;                  // challenges answered once: asked again means refused
    QString m_certificateProblem;
};

} // namespace ferry
