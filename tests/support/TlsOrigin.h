#pragma once

#include <QObject>
#include <QSslCertificate>
#include <QSslKey>
#include <QUrl>

class QSslServer;
class QSslSocket;

namespace ferry::test {

// A small HTTPS origin on 127.0.0.1 with a self-signed certificate made by the openssl CLI at
// start. Serves /file?size=&seed= (TestContent) and /to?url=<encoded URL> (302 to that URL).
// Lives on the thread that creates it; QTRY_ loops keep it serving.
class TlsOrigin : public QObject
{
    Q_OBJECT
public:
    explicit TlsOrigin(const QString &workDir, QObject *parent = nullptr);
    ~TlsOrigin() override;

    bool start(QString *error);
    QUrl url(const QString &pathAndQuery) const;
    QSslCertificate certificate() const { return m_certificate; }
    int requestCount() const { return m_requests; }

private:
    void serve(QSslSocket *socket);

    QString m_dir;
    QSslServer *m_server = nullptr;
    QSslCertificate m_certificate;
    QSslKey m_key;
    int m_requests = 0;
};

} // namespace ferry::test
