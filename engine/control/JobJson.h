// How a job reads from the outside: the JSON of `info --json` and the text of ferry-admin.
#pragma once

#include "core/Job.h"

#include <QJsonObject>

namespace ferry {

QJsonObject jobToJson(const Job &job);
QString jobSummaryLine(const Job &job);       // one line of `list`
QString jobInfoText(const Job &job);          // `info`
QString jobErrorText(const Job &job);         // `geterror`: name and code, context, description

} // namespace ferry
