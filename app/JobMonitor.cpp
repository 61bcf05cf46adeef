#include "JobMonitor.h"

#include "AdminClient.h"
#include "TerminalText.h"
#include "control/JobJson.h"

#include <QDateTime>
#include <QJsonObject>
#include <QSet>

#include <cstdio>

namespace ferry {

namespace {

const QSet<QString> &jobEventNames()
{
    static const QSet<QString> names{QStringLiteral("transferred"), QStringLiteral("error"), QStringLiteral("modification"),
                                     QStringLiteral("fileTransferred")};
    return names;
}

void printLine(const QString &line)
{
    std::printf("%s\n", forTerminal(line, false).constData());
    std::fflush(stdout); // a pipe reader sees each event as it comes
}

} // namespace

int monitorJobs(AdminClient &client, const QString &job)
{
    QString id;
    if (!job.isEmpty()) {
        // The engine finds the job among those the caller sees (NOT_FOUND otherwise).
        const AdminReply r = client.request(QStringLiteral("info"), {job}, true);
        if (!r.ok) {
            std::fprintf(stderr, "ferry-admin: %s (%s): %s\n", qPrintable(errorName(r.code)), qPrintable(errorHex(r.code)),
                         forTerminal(r.message, false).constData());
            return 1;
        }
        id = r.json.toObject().value(QLatin1String("id")).toString();
    }
    if (!client.subscribe()) {
        std::fputs("ferry-admin: the engine closed the connection\n", stderr);
        return 1;
    }
    bool started = false;
    for (;;) {
        const QJsonObject event = client.nextEvent();
        if (event.isEmpty()) {
            std::fputs("ferry-admin: the engine went away\n", stderr);
            return 1;
        }
        const QString name = event.value(QLatin1String("event")).toString();
        const QString eventId = event.value(QLatin1String("id")).toString();
        if (name == QLatin1String("jobs") && !started) {
            started = true; // from here on every event is seen
            printLine(QStringLiteral("monitoring %1 (Ctrl+C stops)").arg(id.isEmpty() ? QStringLiteral("all your jobs") : id));
        } else if (name == QLatin1String("removed") && (id.isEmpty() || eventId == id)) {
            printLine(QStringLiteral("%1 removed %2").arg(QDateTime::currentDateTime().toString(Qt::ISODateWithMs), eventId));
            if (!id.isEmpty())
                return 0;
        } else if (jobEventNames().contains(name) && (id.isEmpty() || eventId == id)) {
            const std::optional<Job> j = jobFromJson(event.value(QLatin1String("job")).toObject());
            if (!j)
                continue;
            const QString file = name == QLatin1String("fileTransferred")
                                     ? QStringLiteral(" file %1").arg(event.value(QLatin1String("file")).toInt())
                                     : QString();
            printLine(QStringLiteral("%1 %2%3 %4").arg(QDateTime::currentDateTime().toString(Qt::ISODateWithMs), name, file,
                                                       jobSummaryLine(*j)));
        }
    }
}

} // namespace ferry
