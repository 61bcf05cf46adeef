// `ferry-admin monitor [JOB | --all]`: bitsadmin's /monitor over the control socket's job feed.
// One line per job event (transferred, error, modification, fileTransferred) as the engine sends
// it, as each job's notify flags ask (docs/jobs.md §11), until interrupted, until the engine goes
// away or, for one JOB, until that job is gone.
#pragma once

#include <QString>

namespace ferry {

class AdminClient;

// job: an id or display name; empty for every job the caller sees. The process's exit status.
int monitorJobs(AdminClient &client, const QString &job);

} // namespace ferry
