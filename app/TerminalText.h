// What ferry-admin prints comes partly from other people: a system instance shows root the names,
// URLs and messages of every user's jobs. Control characters in them must not reach the terminal
// (an ESC sequence can rewrite the screen, a NUL cuts a printf short and hides what follows), so
// every string is made visible first (docs/security.md).
#pragma once

#include <QByteArray>
#include <QString>

namespace ferry {

// TEXT as UTF-8 with C0 and C1 controls, DEL and the bidirectional overrides written as \xNN or
// \uNNNN escapes (a backslash itself is left alone). Newlines stay when keepNewlines (a multi-line
// reply), else they are escaped too (a one-line error).
QByteArray forTerminal(const QString &text, bool keepNewlines = true);

} // namespace ferry
