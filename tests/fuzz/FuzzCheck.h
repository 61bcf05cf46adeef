// What the fuzz targets share: FUZZ_CHECK, which stops the run (a crash libFuzzer saves the input
// of) when a decoder breaks one of its own promises, and a reader that splits the input.
#pragma once

#include <QByteArray>
#include <QtGlobal>

#include <cstdint>
#include <cstdio>

#define FUZZ_CHECK(condition)                                                                    \
    do {                                                                                         \
        if (!(condition)) {                                                                      \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
            __builtin_trap();                                                                    \
        }                                                                                        \
    } while (false)

namespace ferry::fuzz {

// Takes the input apart front to back; past the end it yields zeros and empty arrays.
class FuzzInput
{
public:
    FuzzInput(const uint8_t *data, size_t size) : m_data(reinterpret_cast<const char *>(data)), m_size(qsizetype(size)) {}

    quint8 byte() { return m_pos < m_size ? quint8(m_data[m_pos++]) : 0; }

    QByteArray bytes(qsizetype count)
    {
        const qsizetype n = qMin(count, m_size - m_pos);
        const QByteArray out(m_data + m_pos, n);
        m_pos += n;
        return out;
    }

    // Up to the next separator (consumed, not returned), or the rest.
    QByteArray until(char separator)
    {
        qsizetype end = m_pos;
        while (end < m_size && m_data[end] != separator)
            ++end;
        const QByteArray out(m_data + m_pos, end - m_pos);
        m_pos = qMin(end + 1, m_size);
        return out;
    }

    QByteArray rest() { return bytes(m_size - m_pos); }

private:
    const char *m_data;
    qsizetype m_size;
    qsizetype m_pos = 0;
};

// Qt's warnings would drown libFuzzer's output; the targets check results, not messages.
inline void silenceQt()
{
    qInstallMessageHandler([](QtMsgType, const QMessageLogContext &, const QString &) {});
}

} // namespace ferry::fuzz
