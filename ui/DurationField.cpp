#include "DurationField.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QSpinBox>

#include <limits>

namespace ferry {

// A spinner that can tell typed text not yet taken (Enter, leaving the field) from its value.
class DurationSpin : public QSpinBox
{
public:
    using QSpinBox::QSpinBox;
    bool hasUncommittedText() const
    {
        const QString shown = !specialValueText().isEmpty() && value() == minimum() ? specialValueText() : textFromValue(value());
        return lineEdit()->displayText() != shown;
    }
};

DurationField::DurationField(const QString &name, const QString &accessibleName, quint32 minimumSeconds,
                             const QString &zeroText, QWidget *parent)
    : QWidget(parent)
    , m_minimumSeconds(minimumSeconds)
    , m_spin(new DurationSpin(this))
    , m_unit(new QComboBox(this))
{
    setObjectName(name + QLatin1String("Field"));
    m_spin->setObjectName(name);
    m_unit->setObjectName(name + QLatin1String("Unit"));
    m_spin->setAccessibleName(accessibleName);
    m_unit->setAccessibleName(tr("%1, unit").arg(accessibleName));
    m_spin->setKeyboardTracking(false); // typed numbers count on Enter or leaving the field
    m_spin->setAccelerated(true);
    m_spin->setCorrectionMode(QAbstractSpinBox::CorrectToNearestValue);
    if (minimumSeconds == 0 && !zeroText.isEmpty())
        m_spin->setSpecialValueText(zeroText);
    m_unit->addItem(tr("seconds"), 1u);
    m_unit->addItem(tr("minutes"), 60u);
    m_unit->addItem(tr("hours"), 3600u);
    m_unit->addItem(tr("days"), 86400u);
    m_unit->setCurrentIndex(0);
    applyRange();

    auto *row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_spin, 1);
    row->addWidget(m_unit);
    setFocusProxy(m_spin);

    connect(m_spin, &QSpinBox::valueChanged, this, [this] { changed(); });
    connect(m_unit, &QComboBox::currentIndexChanged, this, [this] {
        const QSignalBlocker block(m_spin);
        applyRange(); // keeps the number, clamped to what the new unit can hold
        changed();
    });
}

QSpinBox *DurationField::spin() const
{
    return m_spin;
}

bool DurationField::isBeingEdited() const
{
    return m_spin->hasFocus() && m_spin->hasUncommittedText();
}

quint32 DurationField::seconds() const
{
    return quint32(quint64(m_spin->value()) * unitSeconds(m_unit->currentIndex()));
}

void DurationField::setSeconds(quint32 seconds)
{
    int index = -1;
    qint64 value = 0;
    if (seconds == 0 && m_minimumSeconds == 0) {
        index = m_unit->currentIndex();
    } else {
        for (int i = int(kUnits.size()) - 1; i >= 0; --i) {
            const quint32 f = unitSeconds(i);
            if (seconds % f == 0 && seconds / f <= maximumFor(i) && seconds / f >= minimumFor(i)) {
                index = i;
                value = seconds / f;
                break;
            }
        }
    }
    if (index < 0) {
        // Beyond the seconds spinner (over 68 years) and not whole minutes: the nearest minute;
        // below the minimum: the minimum (the engine raises such values itself).
        index = seconds > maximumFor(0) ? 1 : 0;
        value = qBound<qint64>(minimumFor(index), (seconds + unitSeconds(index) / 2) / unitSeconds(index),
                               maximumFor(index));
    }
    const QSignalBlocker blockSpin(m_spin);
    const QSignalBlocker blockUnit(m_unit);
    m_unit->setCurrentIndex(index);
    applyRange();
    m_spin->setValue(int(value));
}

quint32 DurationField::minimumFor(int index) const
{
    const quint32 f = unitSeconds(index);
    return (m_minimumSeconds + f - 1) / f; // at least the minimum in any unit: 5 s is 1 minute
}

quint32 DurationField::maximumFor(int index)
{
    return quint32(qMin<quint64>(quint64(std::numeric_limits<int>::max()),
                                 std::numeric_limits<quint32>::max() / unitSeconds(index)));
}

void DurationField::applyRange()
{
    m_spin->setRange(int(minimumFor(m_unit->currentIndex())), int(maximumFor(m_unit->currentIndex())));
}

void DurationField::changed()
{
    if (edited)
        edited(seconds());
}

} // namespace ferry
