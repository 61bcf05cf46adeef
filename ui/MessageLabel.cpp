#include "MessageLabel.h"

namespace ferry {

MessageLabel::MessageLabel(QWidget *parent)
    : QLabel(parent)
{
    setObjectName(QStringLiteral("message"));
    setAccessibleName(tr("Message"));
    setWordWrap(true);
    setTextFormat(Qt::PlainText);
    setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    setFrameShape(QFrame::StyledPanel);
    setMargin(6);
    hide();
}

} // namespace ferry
