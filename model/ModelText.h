// Texts the models share: percentages, data sizes and times, the same way in every column.
#pragma once

#include "core/Job.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QString>

namespace ferry {

class ModelText
{
    Q_DECLARE_TR_FUNCTIONS(ferry::ModelText)
public:
    // Whole percent, rounded down (99.9% is not done). With the total unknown: 100 once done,
    // 0 before.
    static int percent(quint64 transferred, quint64 total, bool done);
    static int percent(const JobProgress &p);
    static QString percentText(int percent);            // "42%"
    static QString dataSize(qint64 bytes);              // "1.2 MB" (1024-based), "512 bytes"
    static QString dateTime(const QDateTime &time);     // local time, the locale's short format
    // "42 percent, 3.0 MB of 7.0 MB", or "42 percent, 3.0 MB transferred" with the total unknown.
    static QString progressSentence(int percent, qint64 transferred, qint64 total);
    static QString progressSentence(const JobProgress &p);
};

} // namespace ferry
