#include "TestContent.h"

#include <QCryptographicHash>
#include <QFile>

namespace ferry::test {

namespace {

constexpr qint64 kChunk = 1 << 20;

quint64 splitmix64(quint64 z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

} // namespace

QByteArray TestContent::bytes(quint32 seed, qint64 offset, qint64 length)
{
    if (offset < 0 || length <= 0)
        return {};
    QByteArray out(length, Qt::Uninitialized);
    char *p = out.data();
    const quint64 key = quint64(seed) << 40;
    qint64 i = offset;
    const qint64 end = offset + length;
    while (i < end) {
        const quint64 word = splitmix64(key ^ quint64(i / 8));
        for (int b = int(i % 8); b < 8 && i < end; ++b, ++i)
            *p++ = char((word >> (8 * b)) & 0xff);
    }
    return out;
}

QByteArray TestContent::sha256Hex(quint32 seed, qint64 size)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (qint64 pos = 0; pos < size; pos += kChunk)
        hash.addData(bytes(seed, pos, qMin(kChunk, size - pos)));
    return hash.result().toHex();
}

bool TestContent::writeFile(const QString &path, quint32 seed, qint64 size)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    for (qint64 pos = 0; pos < size; pos += kChunk) {
        const QByteArray chunk = bytes(seed, pos, qMin(kChunk, size - pos));
        if (file.write(chunk) != chunk.size())
            return false;
    }
    return file.flush();
}

} // namespace ferry::test
