#pragma once

#include <QByteArray>
#include <QString>

namespace ferry::test {

// Deterministic, non-periodic test payloads. The byte at absolute position i
// depends only on (seed, i), so any slice can be generated independently.
struct TestContent
{
    static QByteArray bytes(quint32 seed, qint64 offset, qint64 length);
    static QByteArray sha256Hex(quint32 seed, qint64 size);  // lower-case hex
    static bool writeFile(const QString &path, quint32 seed, qint64 size);
};

} // namespace ferry::test
