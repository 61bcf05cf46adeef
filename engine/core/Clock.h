// Time as the engine sees it: a monotonic clock that keeps counting through suspend-to-RAM
// (CLOCK_BOOTTIME) for delays and limits, and UTC wall time for the times a job reports.
// Tests substitute ManualClock to control time instead of sleeping.
#pragma once

#include <QDateTime>

namespace ferry {

class Clock
{
public:
    virtual ~Clock() = default;
    virtual qint64 monotonicMs() const;
    virtual QDateTime now() const;
};

class ManualClock : public Clock
{
public:
    qint64 monotonicMs() const override { return m_ms; }
    QDateTime now() const override { return m_base.addMSecs(m_ms); }
    void advance(qint64 ms) { m_ms += ms; }

private:
    qint64 m_ms = 1000000;
    QDateTime m_base = QDateTime::currentDateTimeUtc();
};

} // namespace ferry
