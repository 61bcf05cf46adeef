// The line a dialog uses to say what the engine refused or what went wrong: plain, selectable,
// framed text under the object name "message", hidden until there is something to say.
#pragma once

#include <QLabel>

namespace ferry {

class MessageLabel : public QLabel
{
    Q_OBJECT
public:
    explicit MessageLabel(QWidget *parent = nullptr);
};

} // namespace ferry
