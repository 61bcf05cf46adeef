#include "owner/JobAccess.h"

namespace ferry {

bool canSee(const Owner &caller, const Owner &owner)
{
    return caller.isRoot() || caller.uid == owner.uid;
}

Status checkCanChange(const Owner &caller, const Owner &owner)
{
    if (owner.elevated && !caller.elevated)
        return {hr::E_ACCESSDENIED, QStringLiteral("the job was created by an elevated process; only an elevated "
                                                   "caller may change it (you may still read it)")};
    if (int(caller.integrity) < int(owner.integrity))
        return {hr::E_ACCESSDENIED, QStringLiteral("the job's owner runs at integrity level %1, above yours (%2)")
                                        .arg(integrityName(owner.integrity), integrityName(caller.integrity))};
    return {};
}

Status checkCanTakeOwnership(const Owner &caller, const Owner &owner)
{
    if (!caller.elevated)
        return {hr::E_ACCESSDENIED, QStringLiteral("taking ownership of a job needs an elevated caller (root, sudo or an "
                                                   "administrator capability)")};
    return checkCanChange(caller, owner);
}

} // namespace ferry
