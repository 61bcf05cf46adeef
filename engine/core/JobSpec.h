// A whole job described at once, for submit (docs/jobs.md §15): the engine creates it, adds its
// files, sets its options and resumes it as one step that either all happens or leaves nothing.
#pragma once

#include "core/JobTypes.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace ferry {

struct JobSpec
{
    struct File
    {
        QString url;
        QString localName;      // absolute; empty: an unused name in folder, from the URL's file name
    };

    QString displayName;
    QString description;
    std::optional<JobPriority> priority;
    std::optional<quint32> peerCachingFlags;
    std::optional<quint32> maximumDownloadTime;   // seconds
    QString folder;             // where files without a localName go
    bool makeFolder = false;    // make folder when missing (a fresh account's Downloads folder)
    QList<File> files;
    bool resume = true;         // false: the job waits SUSPENDED

    QJsonObject toJson() const;
    // Null with the reason when the object is not a job description.
    static std::optional<JobSpec> fromJson(const QJsonObject &object, QString *error);
};

} // namespace ferry
