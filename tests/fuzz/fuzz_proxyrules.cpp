// The OVERRIDE proxy list and bypass list parser (engine/core/ProxyRules), which reads what a user or a
// client of the system instance types. Input: list NUL bypass NUL url, as UTF-8.
// Promises checked: a refusal is BG_E_INVALID_PROXY_INFO with a reason; accepted rules always
// give a request at least one proxy, and each is either no proxy or an http/socks5 proxy with a
// host and a port from 1 to 65535.
#include "FuzzCheck.h"

#include "core/ProxyRules.h"

#include <QUrl>

using namespace ferry;
using namespace ferry::fuzz;

namespace {

void checkProxies(const ProxyRules &rules, const QUrl &url)
{
    const QList<QNetworkProxy> proxies = rules.proxiesFor(url);
    FUZZ_CHECK(!proxies.isEmpty());
    for (const QNetworkProxy &proxy : proxies) {
        if (proxy.type() == QNetworkProxy::NoProxy)
            continue;
        FUZZ_CHECK(proxy.type() == QNetworkProxy::HttpProxy || proxy.type() == QNetworkProxy::Socks5Proxy);
        FUZZ_CHECK(!proxy.hostName().isEmpty());
        FUZZ_CHECK(proxy.port() >= 1);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    silenceQt();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzInput in(data, size);
    const QString list = QString::fromUtf8(in.until('\0'));
    const QString bypass = QString::fromUtf8(in.until('\0'));
    const QString url = QString::fromUtf8(in.rest());

    ProxyRules rules;
    const Status status = ProxyRules::parse(list, bypass, &rules);
    if (!status) {
        FUZZ_CHECK(status.code == hr::BG_E_INVALID_PROXY_INFO);
        FUZZ_CHECK(!status.message.isEmpty());
        return 0;
    }
    checkProxies(rules, QUrl(url));
    checkProxies(rules, QUrl(QStringLiteral("http://intranet/f")));
    checkProxies(rules, QUrl(QStringLiteral("https://a.example.com:8443/f")));
    checkProxies(rules, QUrl(QStringLiteral("http://[::1]:8080/f")));
    return 0;
}
