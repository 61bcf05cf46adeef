// A second local user for the tests that play one against a root engine (the computer's system
// instance): uid and gid 65534 (nobody), reached from the root test process through setpriv. It
// gets a base folder every user can traverse (0755), a home it may write (0777) and copies of the
// client binaries it can run (the build tree may be private). It is what an attacker on the same
// computer has: its own uid, its own files, the engine's socket.
#pragma once

#include "AdminRunner.h"

#include <QFileDevice>
#include <QTemporaryDir>

#include <functional>
#include <memory>

struct OtherUserOptions
{
    QStringList setprivArgs;                // more for setpriv, e.g. --ambient-caps=+dac_override
    QStringList launcher;                   // run as LAUNCHER... PROGRAM ARGS (after setpriv), e.g. unshare -r
    std::function<void()> childModifier;    // between fork and exec, before setpriv runs
    int timeoutMs = 60000;
};

class OtherUser
{
public:
    static constexpr uint Uid = 65534;

    // Empty when usable; otherwise why not (not root, no setpriv, setpriv does not work here),
    // which the caller passes to QSKIP. binaries: programs to copy into bin().
    QString setUp(const QStringList &binaries);

    QString base() const;     // 0755
    QString bin() const;      // the copies, 0755
    QString home() const;     // 0777, the user's HOME
    // PATH created with MODE (mkdir applies the umask; the mode is set afterwards); empty on failure.
    static QString makeDir(const QString &path, QFileDevice::Permissions mode);

    using Options = OtherUserOptions;
    // Runs PROGRAM as the user with a small clean environment (PATH, its HOME, USER, LOGNAME,
    // LC_ALL) and stdin closed.
    AdminResult run(const QString &program, const QStringList &args, const Options &options = {}) const;
    // The copy of ferry-admin with --profile PROFILE ARGS.
    AdminResult admin(const QString &profile, const QStringList &args, const Options &options = {}) const;

private:
    QString m_setpriv;
    std::unique_ptr<QTemporaryDir> m_base;
};
