// Which proxy a job's requests take (docs/jobs.md §8, BG_JOB_PROXY_USAGE): the parsed OVERRIDE lists,
// and the QNetworkProxyFactory a job's connection manager asks.
#pragma once

#include "core/BitsError.h"
#include "core/JobTypes.h"

#include <QList>
#include <QNetworkProxy>
#include <QRegularExpression>

namespace ferry {

class ProxyRules
{
public:
    // list: space- or ';'-separated `[scheme=][proxyscheme://]host[:port]` (proxy schemes http and
    // socks5; "http=" limits an entry to http URLs). bypass: host patterns with `*` wildcards,
    // optionally `scheme://` and `:port`, and `<local>` for names without a dot. Both at most
    // 4,000 characters. A bad entry is BG_E_INVALID_PROXY_INFO naming it.
    static Status parse(const QString &list, const QString &bypass, ProxyRules *out);

    // The proxies to try for url, in order; {NoProxy} when it is bypassed or no entry applies.
    QList<QNetworkProxy> proxiesFor(const QUrl &url) const;

private:
    struct Entry
    {
        QString forScheme;                   // empty: every URL scheme
        QNetworkProxy proxy;
    };
    struct Bypass
    {
        QString scheme;                      // empty: any
        QRegularExpression host;
        int port = -1;
        bool local = false;                  // <local>
    };

    QList<Entry> m_entries;
    QList<Bypass> m_bypass;
};

// The proxy factory of one job's QNetworkAccessManager. PRECONFIG asks the system (Qt's libproxy
// backend: the *_proxy environment, desktop settings, PAC); AUTODETECT asks the same backend,
// which does WPAD/PAC discovery where the system is set to automatic; NO_PROXY goes direct.
class JobProxyFactory : public QNetworkProxyFactory
{
public:
    JobProxyFactory(ProxyUsage usage, ProxyRules rules) : m_usage(usage), m_rules(std::move(rules)) {}
    QList<QNetworkProxy> queryProxy(const QNetworkProxyQuery &query) override;

private:
    ProxyUsage m_usage;
    ProxyRules m_rules;
};

} // namespace ferry
