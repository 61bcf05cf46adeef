#include "core/FileRules.h"


#include "core/JobTypes.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#include <fcntl.h>
#include <unistd.h>

namespace ferry {

namespace {

// TEXT for a message, with anything between "scheme://" and an '@' masked: a URL that carries a
// password must not carry it into an error message either.
QString withoutUserInfo(const QString &text)
{
    static const QRegularExpression userInfo(QStringLiteral("^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@"));
    QString shown = text;
    shown.replace(userInfo, QStringLiteral("\\1***@"));
    return shown;
}

} // namespace

Status checkRemoteUrl(const QString &text, QUrl *url)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return {hr::E_INVALIDARG, QStringLiteral("the remote URL is empty")};
    if (trimmed.size() > defaults::MaxRemoteUrl)
        return {hr::E_INVALIDARG, QStringLiteral("the remote URL is longer than %1 characters").arg(defaults::MaxRemoteUrl)};
    const QString shown = withoutUserInfo(trimmed);
    const QUrl u(trimmed, QUrl::TolerantMode); // "a b.iso" is what people paste; it means a%20b.iso
    if (!u.isValid())
        return {hr::E_INVALIDARG, QStringLiteral("'%1' is not a valid URL").arg(shown)};
    const QString scheme = u.scheme().toLower();
    if (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        return {hr::E_INVALIDARG, scheme.isEmpty() ? QStringLiteral("'%1' has no scheme; use http:// or https://").arg(shown)
                                                   : QStringLiteral("the URL scheme '%1' is not supported; use http or https").arg(scheme)};
    if (u.host().isEmpty())
        return {hr::E_INVALIDARG, QStringLiteral("'%1' has no host").arg(shown)};
    // A user name or password in the URL would be stored with the job, printed and sent to peers:
    // secrets go to the keychain (docs/security.md).
    if (!u.userInfo().isEmpty())
        return {hr::E_INVALIDARG, QStringLiteral("'%1' carries a user name or password; give the URL without it and store "
                                                 "them with ferry-admin setcredentials JOB SERVER BASIC USER")
                                      .arg(u.adjusted(QUrl::RemoveUserInfo).toDisplayString())};
    *url = u;
    return {};
}

Status checkLocalName(const QString &text, QString *cleanPath)
{
    if (text.isEmpty())
        return {hr::E_INVALIDARG, QStringLiteral("the local file name is empty")};
    if (!QDir::isAbsolutePath(text))
        return {hr::E_INVALIDARG, QStringLiteral("the local file name '%1' is not an absolute path").arg(text)};
    const QString path = QDir::cleanPath(text);
    const QFileInfo info(path);
    const QString name = info.fileName();
    if (name.isEmpty() || name == QLatin1String(".") || name == QLatin1String("..") || text.endsWith(QLatin1Char('/')))
        return {hr::E_INVALIDARG, QStringLiteral("the local file name '%1' names a folder, not a file").arg(text)};
    if (name.toUtf8().size() > 200)
        return {hr::E_INVALIDARG, QStringLiteral("the local file name '%1' is too long").arg(name)};
    const QFileInfo folder(info.absolutePath());
    if (!folder.exists())
        return {hr::E_INVALIDARG, QStringLiteral("the folder '%1' does not exist").arg(folder.filePath())};
    if (!folder.isDir())
        return {hr::E_INVALIDARG, QStringLiteral("'%1' is not a folder").arg(folder.filePath())};
    if (::faccessat(AT_FDCWD, QFile::encodeName(folder.filePath()).constData(), W_OK | X_OK, AT_EACCESS) != 0)
        return {hr::E_ACCESSDENIED, QStringLiteral("the folder '%1' is not writable").arg(folder.filePath())};
    if (info.exists() || info.isSymLink())
        return {hr::E_FILE_EXISTS, QStringLiteral("'%1' already exists; Ferry never overwrites a file, choose another name")
                                       .arg(path)};
    *cleanPath = path;
    return {};
}

Status checkHeaderLine(const QString &line, bool writeOnly)
{
    static const QRegularExpression re(QStringLiteral("^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\\r\\n]*$"));
    if (!re.match(line).hasMatch())
        return {hr::E_INVALIDARG, QStringLiteral("'%1' is not a valid HTTP header line (Name: value)").arg(line)};
    // Readable custom headers are kept in the job's database row and shown by info; a header
    // that carries a secret would put it there in clear. Write-only ones live in the keychain.
    static const QStringList secretNames = {QStringLiteral("authorization"), QStringLiteral("proxy-authorization"),
                                            QStringLiteral("cookie")};
    const QString name = line.left(line.indexOf(QLatin1Char(':'))).trimmed();
    if (!writeOnly && secretNames.contains(name.toLower()))
        return {hr::E_INVALIDARG, QStringLiteral("a %1 header carries a secret: make the job's custom headers write-only first "
                                                 "(ferry-admin makecustomheaderswriteonly JOB), then they are kept in the "
                                                 "keychain only").arg(name)};
    return {};
}


Status checkPlainText(const QString &text, const QString &what)
{
    for (const QChar c : text) {
        const ushort u = c.unicode();
        if (u < 0x20 || (u >= 0x7f && u <= 0x9f))
            return {hr::E_INVALIDARG, QStringLiteral("%1 contains a control character (U+%2); use printable text")
                                          .arg(what, QStringLiteral("%1").arg(u, 4, 16, QLatin1Char('0')).toUpper())};
    }
    return {};
}

// The file name a link is saved under: its last path segment, made safe for a local name.
QString localFileNameFor(const QUrl &url)
{
    QString name = url.fileName(); // decoded; never holds a '/'
    for (QChar &c : name)
        if (c.category() == QChar::Other_Control)
            c = QLatin1Char('_');
    name = name.trimmed();
    if (name.isEmpty() || name == QLatin1String(".") || name == QLatin1String(".."))
        name = QStringLiteral("download");
    // checkLocalName takes names of up to 200 bytes; leave room for " (n)" and keep the suffix.
    constexpr int kMaxBytes = 180;
    if (name.toUtf8().size() > kMaxBytes) {
        const QFileInfo info(name);
        QString suffix = info.suffix().isEmpty() ? QString() : QLatin1Char('.') + info.suffix();
        if (suffix.toUtf8().size() > 20)
            suffix.clear();
        QString base = suffix.isEmpty() ? name : name.left(name.size() - suffix.size());
        while (!base.isEmpty() && (base + suffix).toUtf8().size() > kMaxBytes)
            base.chop(1);
        if (!base.isEmpty() && base.back().isHighSurrogate())
            base.chop(1);
        name = base + suffix;
    }
    return name;
}

// "name (n).ext": another name for a second link with the same file name in the same job.
QString numberedName(const QString &fileName, int n)
{
    const QFileInfo info(fileName);
    const QString base = info.completeBaseName();
    if (base.isEmpty() || info.suffix().isEmpty())
        return QStringLiteral("%1 (%2)").arg(fileName).arg(n);
    return QStringLiteral("%1 (%2).%3").arg(base).arg(n).arg(info.suffix());
}

} // namespace ferry
