// A root engine serves every local user, so it must touch their files as them: while an
// OwnerIdentity is alive, the calling thread checks, creates, renames and removes files with the
// owner's uid, gid and groups (setfsuid, setfsgid and a per-thread setgroups). A user can never
// make the engine write where that user could not. In a per-user engine, or for root's own jobs,
// it changes nothing.
#pragma once

#include "owner/Owner.h"

#include <sys/types.h>
#include <vector>

namespace ferry {

class OwnerIdentity
{
public:
    explicit OwnerIdentity(const Owner &owner);
    ~OwnerIdentity();
    OwnerIdentity(const OwnerIdentity &) = delete;
    OwnerIdentity &operator=(const OwnerIdentity &) = delete;

    // False when the switch failed; the caller must then refuse the file operation.
    bool ok() const { return m_ok; }

    // The uid that files created for this owner carry: the owner's in a root engine, else the
    // engine's own (a user's engine cannot create files as anyone else).
    static uint fileUid(const Owner &owner);

private:
    bool m_switched = false;
    bool m_ok = true;
    std::vector<gid_t> m_savedGroups;
};

} // namespace ferry
