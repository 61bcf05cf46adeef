#include "core/ProxyRules.h"

#include <QUrl>

namespace ferry {
namespace {

constexpr int MaxListLength = defaults::MaxProxyList;

QStringList tokens(const QString &text)
{
    static const QRegularExpression separators(QStringLiteral("[\\s;]+"));
    return text.split(separators, Qt::SkipEmptyParts);
}

Status invalid(const QString &why) { return {hr::BG_E_INVALID_PROXY_INFO, why}; }

int defaultPort(const QString &urlScheme) { return urlScheme == QLatin1String("https") ? 443 : 80; }

} // namespace

Status ProxyRules::parse(const QString &list, const QString &bypass, ProxyRules *out)
{
    if (list.size() > MaxListLength || bypass.size() > MaxListLength)
        return invalid(QStringLiteral("proxy lists hold at most %1 characters").arg(MaxListLength));
    ProxyRules rules;
    static const QRegularExpression entryRe(QStringLiteral("^(?:([A-Za-z][A-Za-z0-9+.-]*)=)?(?:([A-Za-z][A-Za-z0-9+.-]*)://)?"
                                                           "(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+)(?::(\\d{1,5}))?/?$"));
    for (const QString &token : tokens(list)) {
        const auto m = entryRe.match(token);
        if (!m.hasMatch())
            return invalid(QStringLiteral("'%1' is not a proxy ([scheme=][http|socks5://]host[:port])").arg(token));
        Entry entry;
        entry.forScheme = m.captured(1).toLower();
        if (!entry.forScheme.isEmpty() && entry.forScheme != QLatin1String("http") && entry.forScheme != QLatin1String("https"))
            return invalid(QStringLiteral("'%1': a proxy can be limited to http or https URLs only").arg(token));
        const QString kind = m.captured(2).toLower();
        QNetworkProxy::ProxyType type = QNetworkProxy::HttpProxy;
        int port = 80;
        if (kind == QLatin1String("socks5") || kind == QLatin1String("socks")) {
            type = QNetworkProxy::Socks5Proxy;
            port = 1080;
        } else if (!kind.isEmpty() && kind != QLatin1String("http")) {
            return invalid(QStringLiteral("'%1': proxies are spoken to over http:// or socks5:// (not %2://)").arg(token, kind));
        }
        if (m.hasCaptured(4)) {
            port = m.captured(4).toInt();
            if (port < 1 || port > 65535)
                return invalid(QStringLiteral("'%1': the port must be 1 to 65535").arg(token));
        }
        QString host = m.captured(3);
        if (host.startsWith(QLatin1Char('[')))
            host = host.mid(1, host.size() - 2);
        entry.proxy = QNetworkProxy(type, host, quint16(port));
        rules.m_entries << entry;
    }
    if (rules.m_entries.isEmpty())
        return invalid(QStringLiteral("OVERRIDE needs at least one proxy"));

    static const QRegularExpression bypassRe(QStringLiteral("^(?:([A-Za-z][A-Za-z0-9+.-]*)://)?"
                                                            "(\\[[0-9A-Fa-f:.*]+\\]|[A-Za-z0-9._*-]+)(?::(\\d{1,5}))?/?$"));
    for (const QString &token : tokens(bypass)) {
        Bypass rule;
        if (token.compare(QLatin1String("<local>"), Qt::CaseInsensitive) == 0) {
            rule.local = true;
            rules.m_bypass << rule;
            continue;
        }
        const auto m = bypassRe.match(token);
        if (!m.hasMatch())
            return invalid(QStringLiteral("'%1' is not a bypass entry (host, *.domain, 10.*, <local>, optional :port)").arg(token));
        rule.scheme = m.captured(1).toLower();
        if (m.hasCaptured(3))
            rule.port = m.captured(3).toInt();
        QString host = m.captured(2);
        if (host.startsWith(QLatin1Char('[')))
            host = host.mid(1, host.size() - 2);
        rule.host = QRegularExpression(QRegularExpression::wildcardToRegularExpression(host),
                                       QRegularExpression::CaseInsensitiveOption);
        rules.m_bypass << rule;
    }
    *out = std::move(rules);
    return {};
}

QList<QNetworkProxy> ProxyRules::proxiesFor(const QUrl &url) const
{
    const QString scheme = url.scheme().toLower();
    const QString host = url.host();
    const int port = url.port(defaultPort(scheme));
    for (const Bypass &b : m_bypass) {
        if (b.local) {
            if (!host.contains(QLatin1Char('.')) && !host.contains(QLatin1Char(':')))
                return {QNetworkProxy::NoProxy};
            continue;
        }
        if ((b.scheme.isEmpty() || b.scheme == scheme) && (b.port < 0 || b.port == port) && b.host.match(host).hasMatch())
            return {QNetworkProxy::NoProxy};
    }
    QList<QNetworkProxy> proxies;
    for (const Entry &e : m_entries)
        if (e.forScheme.isEmpty() || e.forScheme == scheme)
            proxies << e.proxy;
    if (proxies.isEmpty())
        proxies << QNetworkProxy::NoProxy;
    return proxies;
}

QList<QNetworkProxy> JobProxyFactory::queryProxy(const QNetworkProxyQuery &query)
{
    switch (m_usage) {
    case ProxyUsage::NoProxy:
        return {QNetworkProxy::NoProxy};
    case ProxyUsage::Override:
        return m_rules.proxiesFor(query.url());
    case ProxyUsage::Preconfig:
    case ProxyUsage::AutoDetect:
        break;
    }
    return systemProxyForQuery(query);
}

} // namespace ferry
