// SHA-256 through OpenSSL's libcrypto (about 12x faster here than QCryptographicHash).
#pragma once

#include <QByteArray>
#include <QString>

namespace ferry {

class Sha256
{
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void add(const char *data, qint64 size);
    QByteArray result();                     // raw 32 bytes; ends the computation

    static QByteArray ofFile(const QString &path, QString *error = nullptr);   // hex, empty on error

private:
    void *m_ctx;
};

} // namespace ferry
