// A new peer-caching group key, shown once right after it was created: to be copied and imported
// on the other computers of the group. The key is cleared when the dialog closes (or forget() is
// called) and written nowhere by the window: the engine keeps it in the OS keychain.
#pragma once

#include <QDialog>

class QLineEdit;

namespace ferry {

class NewGroupKeyDialog : public QDialog
{
    Q_OBJECT
public:
    // groupId: the group the key makes (empty if unknown).
    NewGroupKeyDialog(const QString &base32, const QString &groupId, QWidget *parent);

    void showKey();          // opens the dialog with the key selected
    void forget();           // clears the key and closes

private:
    QLineEdit *m_key = nullptr;
};

} // namespace ferry
