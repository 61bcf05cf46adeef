// The origin leg of a Transfer (docs/engine.md, "Where bytes come from"): one GET of the file's
// URL at a time through the job's QNetworkAccessManager, from the held offset with Range and
// If-Range, redirects judged against the job's security flags (docs/jobs.md §9.1), certificate
// problems excused only by its flags (§9.2), a server's or proxy's challenge answered once from
// its credentials (§10), and what the answer means: a 206 from the asked offset, a 200 that
// starts the file again (changed, or ranges ignored), a 416 that says the file is complete or
// shrank, or an error with its BITS code and class. Lives on the transfer thread.
#pragma once

#include "core/DataSource.h"
#include "peercache/ContentKey.h"
#include "store/CredentialStore.h"
#include "transfer/TransferPolicy.h"

#include <QByteArray>
#include <QPointer>
#include <QStringList>
#include <QUrl>

#include <optional>

class QAuthenticator;
class QNetworkAccessManager;
class QNetworkReply;
class QSslError;

namespace ferry {

class OriginSource : public DataSource
{
    Q_OBJECT
public:
    static constexpr qint64 ReadBufferSize = 1 << 20;   // unread reply data Qt may hold (docs/engine.md, "HTTP/2")
    static constexpr int MaxRedirects = 10;

    // nam: the job's manager (ConnectionPool, by connectionKey). A manager with credentials is
    // this job's own and runs one transfer at a time, so its challenges are this transfer's.
    OriginSource(QUrl url, QStringList headers, QList<StoredCredential> credentials, quint32 securityFlags, bool http2,
                 int fileIndex, QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~OriginSource() override;

    void start(const HeldFile &held) override;
    void stop() override;

    // DYNAMIC_CONTENT (docs/jobs.md): no Range, no If-Range; every start asks for the whole file.
    void setDynamicContent(bool on) { m_dynamic = on; }
    static constexpr int MaxResponseHeaders = 16 * 1024;  // bytes of a response's headers kept

signals:
    // The raw headers of each response that decides something (not a redirect being followed):
    // "HTTP/1.1 206 Partial Content\r\nName: value\r\n...", at most MaxResponseHeaders bytes,
    // with the value of every Set-Cookie removed.
    void responseHeaders(const QByteArray &headers);

public:

    // The headers of the answer the bytes came with (its digests, validators, caching rules),
    // once answered(); nothing before.
    const std::optional<peercache::OriginFacts> &facts() const { return m_facts; }

private:
    // A GET of m_currentUrl from offset: with a Range from a non-zero offset, and If-Range with
    // the strong ETag, else the Last-Modified date, the bytes there belong to.
    void get(qint64 offset);
    void drop();
    void onMetaData();
    void onReadyRead();
    void onFinished();
    bool accept(int status);
    void answer(SourceAnswer answer);
    void fail(const TransferFailure &failure);
    TransferFailure statusFailure(int status) const;
    bool acceptRange(int status, const QString &etag, const QString &lastModified, qint64 length);
    QByteArray rawHeaders(int status) const;

    // The current reply ended with a 3xx answer. Follow: m_currentUrl is now its target, to be
    // asked with get(); Refuse: the job's flags or the redirect limit forbid it (refusal says
    // why); AnswerAsError: no target, or redirects disallowed: the 3xx is the answer.
    enum class Redirect { Follow, Refuse, AnswerAsError };
    Redirect judgeRedirect(TransferFailure *refusal);

    bool holdsCredentials(AuthTarget target) const;
    void onSslErrors(const QList<QSslError> &errors);
    void answerChallenge(AuthTarget target, const QString &where, QAuthenticator *authenticator);

    QUrl m_url;
    QStringList m_headers;
    QList<StoredCredential> m_credentials;   // read from the keychain for this attempt
    quint32 m_securityFlags;
    bool m_http2;
    int m_fileIndex;
    QNetworkAccessManager *m_nam;
    QPointer<QNetworkReply> m_reply;
    QUrl m_currentUrl;                       // after the redirects followed
    int m_redirects = 0;
    QStringList m_answered;                  // challenges answered once: asked again means refused
    QString m_certificateProblem;            // why the TLS handshake was not accepted
    HeldFile m_held;                         // what the transfer holds, as the request asks it
    qint64 m_asked = 0;                      // the offset the current request asks from
    QString m_restartWhy;                    // the request from 0 after a 416 said the file shrank
    bool m_accepted = false;
    bool m_stopped = true;
    bool m_dynamic = false;
    std::optional<peercache::OriginFacts> m_facts;
    QByteArray m_buffer;                     // ReadBufferSize, reused for every read
};

} // namespace ferry
