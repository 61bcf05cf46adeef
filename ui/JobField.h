// The parts of a job the properties dialog changes one at a time. Each change goes to the engine
// on its own; once the engine has answered, the tab that shows the part shows the engine's value
// again (JobPropertiesDialog::refreshField).
#pragma once

namespace ferry {

enum class JobField {
    Name, Description, Priority,                        // JobGeneralTab
    PeerClient, PeerServer, MaxTime, NoProgress, RetryDelay, // JobTransferTab
    Credentials, Proxy, Headers, Security,              // ConnectionPage
    RemoteName,                                         // JobFilesTab
    NotifyFlags,                                        // JobTransferTab: the notification checkboxes
};

} // namespace ferry
