// The control socket's request decoder (engine/control/ControlRequest), which reads what any local user
// sends to a system engine. Input: one request line as ControlConnection hands it over (the bytes
// before the newline, at most control::MaxRequestBytes).
// Promises checked: decode answers either a request or an error, never both; a request's verb is
// non-empty, lower case and has no leading '/' or '-'; a trailing CR or blanks change nothing;
// and a request encoded again as {"verb", "args", "json"} decodes to the same request.
#include "FuzzCheck.h"

#include "control/ControlLimits.h"
#include "control/ControlRequest.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace ferry;
using namespace ferry::fuzz;

namespace {

bool same(const ControlRequest &a, const ControlRequest &b)
{
    return a.verb == b.verb && a.args == b.args && a.json == b.json && a.error == b.error;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    silenceQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (qint64(size) > control::MaxRequestBytes)
        return 0;   // refused by the connection before decoding
    const QByteArray line(reinterpret_cast<const char *>(data), qsizetype(size));
    const ControlRequest r = ControlRequest::decode(line);
    FUZZ_CHECK(r.ok() == r.error.isEmpty());
    if (!r.ok()) {
        FUZZ_CHECK(r.verb.isEmpty() && r.args.isEmpty());
        return 0;
    }
    FUZZ_CHECK(!r.verb.isEmpty());
    FUZZ_CHECK(r.verb == r.verb.toLower());
    FUZZ_CHECK(!r.verb.startsWith(QLatin1Char('/')) && !r.verb.startsWith(QLatin1Char('-')));

    FUZZ_CHECK(same(ControlRequest::decode(line + "\r"), r));
    FUZZ_CHECK(same(ControlRequest::decode(line + " \t"), r));

    QJsonObject object{{QStringLiteral("verb"), r.verb}, {QStringLiteral("json"), r.json}};
    object.insert(QStringLiteral("args"), QJsonArray::fromStringList(r.args));
    const ControlRequest again = ControlRequest::decode(QJsonDocument(object).toJson(QJsonDocument::Compact));
    FUZZ_CHECK(same(again, r));
    return 0;
}
