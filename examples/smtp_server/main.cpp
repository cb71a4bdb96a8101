// smtp_server: receives mail and writes each message to a directory.
//
//   ./smtp_server [--port N] [--bind ADDR] [--dir DIR] [--max-size BYTES]
//                 [--hostname NAME] [--cert CERT.pem --key KEY.pem]
//
// With --cert and --key, STARTTLS is offered. Try it with Python:
//   python3 -c 'import smtplib; s = smtplib.SMTP("127.0.0.1", 8025);
//               s.sendmail("a@example.org", ["b@example.org"], "Subject: hi\r\n\r\nhello\r\n")'
#include "../common/args.hpp"
#include "smtp_channel.hpp"

#include "../common/asio.hpp"

#include <cstdint>
#include <iostream>

int main(int argc, char** argv) {
    smtp::settings settings;
    std::string bind = "127.0.0.1", cert, key;
    unsigned short port = 8025;
    std::string maildir = settings.maildir.string();
    examples::args a("smtp_server", "[--port N] [--bind ADDR] [--dir DIR] [--max-size BYTES]\n"
                                    "                   [--hostname NAME] [--cert CERT.pem --key KEY.pem]");
    a.number("--port", port, 0, 65535, "port to listen on (default 8025; 0 picks a free one)");
    a.text("--bind", bind, "ADDR", "address to listen on (default 127.0.0.1)");
    a.text("--dir", maildir, "DIR", "where each message is written");
    a.number("--max-size", settings.max_message, 1, UINT64_MAX, "largest message accepted", "BYTES");
    a.text("--hostname", settings.hostname, "NAME", "the name in the greeting");
    a.text("--cert", cert, "CERT.pem", "certificate chain: offer STARTTLS (with --key)");
    a.text("--key", key, "KEY.pem", "private key (with --cert)");
    if (const auto status = a.parse(argc, argv)) return *status;
    settings.maildir = maildir;
    asynchat::error_code bad;
    const auto address = asio::ip::make_address(bind, bad);
    if (bad) return a.fail("--bind: not an IP address: '" + bind + "'");
    if (cert.empty() != key.empty()) {
        return a.fail("--cert and --key go together");
    }
    try {
        asio::ssl::context tls(asio::ssl::context::tls_server);
        if (!cert.empty()) {
            tls.use_certificate_chain_file(cert);
            tls.use_private_key_file(key, asio::ssl::context::pem);
            settings.tls = &tls;
        }
        asio::io_context ctx;
        asynchat::server<smtp::channel> server(ctx, {address, port}, std::cref(settings));
        std::cout << "smtp_server listening on " << server.local_endpoint() << " (mail to "
                  << settings.maildir.string() << (settings.tls ? ", STARTTLS offered" : "") << ")" << std::endl;
        asio::signal_set stop(ctx, SIGINT, SIGTERM);
        stop.async_wait([&](const asynchat::error_code&, int) { ctx.stop(); });
        ctx.run();
    } catch (const std::exception& e) {
        std::cerr << "smtp_server: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
