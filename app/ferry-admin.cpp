// ferry-admin: bitsadmin for Ferry. One verb per call, carried out by the profile's engine.
#include "AdminClient.h"
#include "JobMonitor.h"
#include "control/EngineService.h"
#include "core/JobSpec.h"
#include "core/JobTypes.h"
#include "TerminalText.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <iostream>
#include <string>
#include <termios.h>
#include <unistd.h>

using namespace ferry;

namespace {

void printUsage()
{
    std::fputs("usage: ferry-admin [--profile DIR] VERB [ARGS...] [--json]\n"
               "verbs (a leading / is accepted, as in bitsadmin):\n", stderr);
    // The engine's own table: what it accepts is what is listed.
    for (const Verb &v : EngineService::verbs())
        std::fprintf(stderr, "  %s %s\n", v.name, v.syntax);
    std::fputs(
        "  transfer NAME URL LOCALPATH [URL LOCALPATH ...]   (submit, wait, complete)\n"
        "  monitor [JOB | --all]   (one line per job event, as the notify flags ask, until Ctrl+C)\n"
        "JOB is a job id or a unique display name.\n"
        "setnotifycmdline: PROGRAM is an absolute path; PARAMETERS is one string whose first word is the\n"
        "  program's own name (as in bitsadmin), e.g. '/usr/bin/notify-send' 'notify-send \"Download done\"'.\n"
        "  It runs without a shell on TRANSFERRED or ERROR with FERRY_JOB_ID, FERRY_JOB_NAME and\n"
        "  FERRY_JOB_STATE set, and again after the retry delay while it exits non-zero.\n"
        "setcredentials: without PASSWORD, or with -, the password is read from standard input (asked for\n"
        "  without echo on a terminal), so it lands in no shell history or process list. It is kept in\n"
        "  the OS keychain only, and deleted when the job ends or changes owner.\n"
        "setnotifyflags: 0x1 JOB_TRANSFERRED, 0x2 JOB_ERROR (the default 0x3), 0x4 DISABLE (silences all),\n"
        "  0x8 JOB_MODIFICATION (at most one per 500 ms, the latest state), 0x10 FILE_TRANSFERRED. They choose\n"
        "  what `monitor` and subscribed programs hear and whether the notify command line runs.\n"
        "setsecurityflags: 0x100 report redirects (the file's URL becomes the final one), 0x200 refuse\n"
        "  redirects, 0x800 allow HTTPS to HTTP redirects, 0x2/0x4/0x8/0x10 ignore a certificate's name\n"
        "  mismatch / dates / unknown authority / wrong usage (weakens the origin's proof).\n"
        "A root engine serves every local user: pass its --profile; each user sees only their own jobs.\n",
        stderr);
}

int fail(const AdminReply &r)
{
    std::fprintf(stderr, "ferry-admin: %s (%s): %s\n", qPrintable(errorName(r.code)), qPrintable(errorHex(r.code)),
                 forTerminal(r.message, false).constData());
    return 1;
}

void print(const AdminReply &r, bool json)
{
    if (json && !r.json.isNull() && !r.json.isUndefined()) {
        QByteArray out;
        if (r.json.isObject())
            out = QJsonDocument(r.json.toObject()).toJson(QJsonDocument::Indented);
        else if (r.json.isArray())
            out = QJsonDocument(r.json.toArray()).toJson(QJsonDocument::Indented);
        else
            out = QJsonDocument(QJsonArray{r.json}).toJson(QJsonDocument::Compact).mid(1).chopped(1) + '\n';
        std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
    } else if (!r.text.isEmpty()) {
        std::printf("%s\n", forTerminal(r.text).constData());
    }
}

// submit (create, add the files, FOREGROUND as PowerShell's default, resume: all or nothing),
// wait, complete. A failed job stays for inspection; its error is printed.
int transfer(AdminClient &client, const QStringList &args)
{
    if (args.size() < 3 || args.size() % 2 != 1) {
        std::fputs("usage: ferry-admin transfer NAME URL LOCALPATH [URL LOCALPATH ...]\n", stderr);
        return 2;
    }
    JobSpec spec;
    spec.displayName = args[0];
    spec.priority = JobPriority::Foreground;
    for (int i = 1; i < args.size(); i += 2)
        spec.files << JobSpec::File{args[i], args[i + 1]};
    const QString specText = QString::fromUtf8(QJsonDocument(spec.toJson()).toJson(QJsonDocument::Compact));
    AdminReply r = client.request(QStringLiteral("submit"), {specText});
    if (!r.ok)
        return fail(r);
    const QString id = r.text;
    if (!(r = client.request(QStringLiteral("wait"), {id})).ok)
        return fail(r);
    if (r.text != stateName(JobState::Transferred)) {
        const AdminReply e = client.request(QStringLiteral("geterror"), {id});
        std::fprintf(stderr, "ferry-admin: job %s ended %s\n%s\n", forTerminal(id).constData(), forTerminal(r.text).constData(),
                     forTerminal(e.ok ? e.text : e.message).constData());
        return 1;
    }
    if (!(r = client.request(QStringLiteral("complete"), {id})).ok)
        return fail(r);
    std::printf("%s TRANSFERRED and completed\n", forTerminal(id).constData());
    return 0;
}

// One line from standard input, without echo when it is a terminal.
bool readPassword(QString *password)
{
    const bool terminal = ::isatty(STDIN_FILENO);
    termios saved{};
    if (terminal && ::tcgetattr(STDIN_FILENO, &saved) == 0) {
        termios quiet = saved;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        std::fputs("Password: ", stderr);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    const bool got = bool(std::getline(std::cin, line));
    if (terminal) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::fputs("\n", stderr);
    }
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    *password = QString::fromStdString(line);
    std::fill(line.begin(), line.end(), '\0');
    return got;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    QString profile;
    bool json = false;
    for (int i = 0; i < args.size();) {
        if (args[i] == QLatin1String("--profile") && i + 1 < args.size()) {
            profile = args[i + 1];
            args.remove(i, 2);
        } else if (args[i].startsWith(QLatin1String("--profile="))) {
            profile = args[i].mid(10);
            args.remove(i);
        } else if (args[i] == QLatin1String("--json") || args[i] == QLatin1String("/json")) {
            json = true;
            args.remove(i);
        } else {
            ++i;
        }
    }
    if (args.isEmpty() || args[0] == QLatin1String("--help") || args[0] == QLatin1String("-h")) {
        printUsage();
        return args.isEmpty() ? 2 : 0;
    }
    const QString verb = EngineService::normalizedVerb(args.takeFirst());

    AdminClient client{Profile(profile)};
    QString error;
    if (!client.connectOrStartEngine(&error)) {
        std::fprintf(stderr, "ferry-admin: %s\n", forTerminal(error, false).constData());
        return 2;
    }
    if (verb == QLatin1String("transfer"))
        return transfer(client, args);
    if (verb == QLatin1String("monitor")) {
        if (args.size() > 1) {
            std::fputs("usage: ferry-admin monitor [JOB | --all]\n", stderr);
            return 2;
        }
        return monitorJobs(client, args.value(0) == QLatin1String("--all") ? QString() : args.value(0));
    }
    if (verb == QLatin1String("setcredentials") && (args.size() == 4 || (args.size() == 5 && args[4] == QLatin1String("-")))) {
        QString password;
        if (!readPassword(&password)) {
            std::fputs("ferry-admin: no password on standard input\n", stderr);
            return 2;
        }
        args = args.mid(0, 4) << password;
    }
    const AdminReply r = client.request(verb, args, json);
    if (!r.ok)
        return fail(r);
    print(r, json);
    // `wait` succeeds only when the job's bytes are all there.
    if (verb == QLatin1String("wait") && r.text != stateName(JobState::Transferred))
        return 1;
    return 0;
}
