// On demand (docs/engine.md, "HTTP/2"): how much memory a reply that nobody reads holds, over
// HTTP/1.1 and over HTTP/2, with the read buffer Transfer uses (1 MiB). Prints RSS every 2 s for
// 10 s. Usage: ferry-bench-unread-reply HTTPS-URL (a large file; certificate errors ignored).
#include <QCoreApplication>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

#include <cstdio>

namespace {

long rssKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLong();
    return -1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: ferry-bench-unread-reply HTTPS-URL\n");
        return 2;
    }
    QNetworkAccessManager nam;
    int round = 0;
    const auto run = [&](bool http2) {
        QNetworkRequest request(QUrl(QString::fromLocal8Bit(argv[1])));
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, http2);
        QNetworkReply *reply = nam.get(request);
        reply->ignoreSslErrors();
        reply->setReadBufferSize(1 << 20);   // as Transfer does; nothing is ever read
        const long start = rssKiB();
        auto *timer = new QTimer(reply);
        int ticks = 0;
        QObject::connect(timer, &QTimer::timeout, reply, [&, reply, start, ticks]() mutable {
            ++ticks;
            std::printf("%s  %2d s  RSS %7ld KiB (+%ld)  buffered %lld bytes\n",
                        reply->attribute(QNetworkRequest::Http2WasUsedAttribute).toBool() ? "HTTP/2  " : "HTTP/1.1",
                        ticks * 2, rssKiB(), rssKiB() - start, reply->bytesAvailable());
            if (ticks == 5) {
                reply->abort();
                reply->deleteLater();
                if (++round == 2)
                    app.quit();
            }
        });
        timer->start(2000);
    };
    run(false);
    QTimer::singleShot(11000, &app, [&] { run(true); });
    return app.exec();
}
