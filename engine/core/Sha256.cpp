#include "core/Sha256.h"

#include <QFile>
#include <openssl/evp.h>

namespace ferry {

Sha256::Sha256()
    : m_ctx(EVP_MD_CTX_new())
{
    EVP_DigestInit_ex(static_cast<EVP_MD_CTX *>(m_ctx), EVP_sha256(), nullptr);
}

Sha256::~Sha256()
{
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(m_ctx));
}

void Sha256::add(const char *data, qint64 size)
{
    EVP_DigestUpdate(static_cast<EVP_MD_CTX *>(m_ctx), data, size_t(size));
}

QByteArray Sha256::result()
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX *>(m_ctx), md, &len);
    return QByteArray(reinterpret_cast<const char *>(md), int(len));
}

QByteArray Sha256::ofFile(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = f.errorString();
        return {};
    }
    Sha256 h;
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    qint64 n;
    while ((n = f.read(buffer.data(), buffer.size())) > 0)
        h.add(buffer.constData(), n);
    if (n < 0) {
        if (error)
            *error = f.errorString();
        return {};
    }
    return h.result().toHex();
}

} // namespace ferry
