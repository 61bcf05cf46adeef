// A duration as a number and a unit (seconds, minutes, hours, days), e.g. "2 hours". The number
// keeps its value when the unit changes (type 2, pick hours: two hours), and each unit's range
// is what quint32 seconds can hold, so nothing out of range can be entered. At the minimum of 0,
// zeroText (if any) is shown instead of the number ("No limit"). The job properties' time limits.
#pragma once

#include <QCoreApplication>
#include <QWidget>

#include <array>
#include <functional>

class QComboBox;
class QSpinBox;

namespace ferry {

class DurationSpin;

class DurationField : public QWidget
{
    Q_DECLARE_TR_FUNCTIONS(ferry::DurationField)
public:
    DurationField(const QString &name, const QString &accessibleName, quint32 minimumSeconds, const QString &zeroText,
                  QWidget *parent);

    QSpinBox *spin() const;
    QComboBox *unit() const { return m_unit; }
    bool isBeingEdited() const;   // a number typed and not yet taken (Enter, leaving the field)

    quint32 seconds() const;
    // Shows seconds in the largest unit that holds them exactly (7,776,000: 90 days).
    void setSeconds(quint32 seconds);

    std::function<void(quint32)> edited; // the user changed the number or the unit

private:
    static constexpr std::array<quint32, 4> kUnits{1, 60, 3600, 86400};
    static quint32 unitSeconds(int index) { return kUnits[std::size_t(qBound(0, index, int(kUnits.size()) - 1))]; }

    quint32 minimumFor(int index) const;
    static quint32 maximumFor(int index);
    void applyRange();
    void changed();

    quint32 m_minimumSeconds;
    DurationSpin *m_spin;
    QComboBox *m_unit;
};

} // namespace ferry
