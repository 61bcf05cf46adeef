// Asks for the peer-caching group key created on another computer, to join its group. A view
// only: OK with a key emits importRequested and waits; the caller imports it through the engine
// and then accepts the dialog or shows the refusal (refused). The key is cleared on close.
#pragma once

#include "core/BitsError.h"

#include <QDialog>

class QLabel;
class QLineEdit;
class QPushButton;

namespace ferry {

class ImportGroupKeyDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ImportGroupKeyDialog(QWidget *parent);

    void refused(const Status &status);   // shows why and lets the user try again

signals:
    void importRequested(const QString &key);

private:
    void tryImport();

    QLineEdit *m_key = nullptr;
    QLabel *m_message = nullptr;
    QPushButton *m_ok = nullptr;
};

} // namespace ferry
