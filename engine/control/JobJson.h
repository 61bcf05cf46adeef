// How a job reads from the outside: the JSON of `info --json` and the text of ferry-admin.
#pragma once

#include "core/Job.h"

#include <QJsonObject>

#include <optional>

namespace ferry {

QJsonObject jobToJson(const Job &job);
// A job read back from jobToJson's form, as a window over the control socket shows it (the
// owner's facts, states, progress, options, errors and each file's progress and peer facts).
// Null when the object is not a job.
std::optional<Job> jobFromJson(const QJsonObject &object);
QString jobSummaryLine(const Job &job);       // one line of `list`
QString jobInfoText(const Job &job);          // `info`
QString jobErrorText(const Job &job);         // `geterror`: name and code, context, description

} // namespace ferry
