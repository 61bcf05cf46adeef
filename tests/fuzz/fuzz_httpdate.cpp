// The HTTP date parser (engine/core/HttpDate), which reads origin servers' Last-Modified and Date.
// Input: the header value, as Latin-1 (how the engine reads header bytes).
// Promises checked: a date it accepts, written back as an IMF-fixdate, parses to the same instant,
// and so does that date's RFC 2822 form.
#include "FuzzCheck.h"

#include "core/HttpDate.h"

#include <QLocale>
#include <QTimeZone>

using namespace ferry;
using namespace ferry::fuzz;

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    silenceQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256)
        return 0;   // header values this long are not dates; keep the runs fast
    FuzzInput in(data, size);
    const QDateTime date = parseHttpDate(QString::fromLatin1(in.rest()));
    if (!date.isValid())
        return 0;
    const QDateTime utc = date.toUTC();
    if (utc.date().year() < 1000 || utc.date().year() > 9999)
        return 0;   // IMF-fixdate has four-digit years
    const QString fixdate = QLocale::c().toString(utc, QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
    const QDateTime reparsed = parseHttpDate(fixdate);
    FUZZ_CHECK(reparsed.isValid());
    FUZZ_CHECK(reparsed.toMSecsSinceEpoch() == date.toMSecsSinceEpoch());
    const QDateTime rfc2822 = parseHttpDate(utc.toString(Qt::RFC2822Date));
    FUZZ_CHECK(rfc2822.isValid());
    FUZZ_CHECK(rfc2822.toMSecsSinceEpoch() == date.toMSecsSinceEpoch());
    return 0;
}
