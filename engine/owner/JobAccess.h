// Who may see and who may change a job (docs/jobs.md §13), decided from the caller's and the
// owner's kernel facts alone.
#pragma once

#include "core/BitsError.h"
#include "owner/Owner.h"

namespace ferry {

// Only the owner's uid and root see a job at all; to anyone else it does not exist.
bool canSee(const Owner &caller, const Owner &owner);

// The two BITS rules: a job owned elevated is changed only by an elevated caller, and no caller
// changes a job owned at a higher integrity level. ACCESS_DENIED says which rule refused.
Status checkCanChange(const Owner &caller, const Owner &owner);

// TakeOwnership: an elevated caller only (even the owner is refused otherwise), within the rules above.
Status checkCanTakeOwnership(const Owner &caller, const Owner &owner);

} // namespace ferry
