// Where one engine keeps its state: the profile folder with the job database, the engine lock
// and the control socket. Chosen by --profile, else FERRY_PROFILE, else the user's data folder.
#pragma once

#include <QString>

namespace ferry {

class Profile
{
public:
    explicit Profile(const QString &requestedDir = {});

    QString dir() const { return m_dir; }
    QString databasePath() const;
    QString lockPath() const;
    QString socketPath() const;       // inside the profile, or a hashed name in the runtime folder
                                      // when the profile path is too long for a socket address
    bool ensureExists(QString *error) const;

private:
    QString m_dir;
};

} // namespace ferry
