// smtp_server: receives mail and writes each message to a directory.
//
//   ./smtp_server [--port N] [--bind ADDR] [--dir DIR] [--max-size BYTES]
//                 [--hostname NAME] [--cert CERT.pem --key KEY.pem]
//
// With --cert and --key, STARTTLS is offered. Try it with Python:
//   python3 -c 'import smtplib; s = smtplib.SMTP("127.0.0.1", 8025);
//               s.sendmail("a@example.org", ["b@example.org"], "Subject: hi\r\n\r\nhello\r\n")'
#include "smtp_channel.hpp"

#include <asio/signal_set.hpp>

#include <cstdlib>
#include <iostream>

int main(int argc, char** argv) {
    smtp::settings settings;
    std::string bind = "127.0.0.1", cert, key;
    unsigned short port = 8025;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--port" && has_value) port = static_cast<unsigned short>(std::atoi(argv[++i]));
        else if (arg == "--bind" && has_value) bind = argv[++i];
        else if (arg == "--dir" && has_value) settings.maildir = argv[++i];
        else if (arg == "--max-size" && has_value) settings.max_message = std::strtoull(argv[++i], nullptr, 10);
        else if (arg == "--hostname" && has_value) settings.hostname = argv[++i];
        else if (arg == "--cert" && has_value) cert = argv[++i];
        else if (arg == "--key" && has_value) key = argv[++i];
        else {
            std::cerr << "usage: smtp_server [--port N] [--bind ADDR] [--dir DIR] [--max-size BYTES]\n"
                         "                   [--hostname NAME] [--cert CERT.pem --key KEY.pem]\n";
            return arg == "--help" ? 0 : 2;
        }
    }
    if (cert.empty() != key.empty()) {
        std::cerr << "smtp_server: --cert and --key go together\n";
        return 2;
    }
    try {
        asio::ssl::context tls(asio::ssl::context::tls_server);
        if (!cert.empty()) {
            tls.use_certificate_chain_file(cert);
            tls.use_private_key_file(key, asio::ssl::context::pem);
            settings.tls = &tls;
        }
        asio::io_context ctx;
        asynchat::server<smtp::channel> server(ctx, {asio::ip::make_address(bind), port}, std::cref(settings));
        std::cout << "smtp_server listening on " << server.local_endpoint() << " (mail to "
                  << settings.maildir.string() << (settings.tls ? ", STARTTLS offered" : "") << ")" << std::endl;
        asio::signal_set stop(ctx, SIGINT, SIGTERM);
        stop.async_wait([&](const std::error_code&, int) { ctx.stop(); });
        ctx.run();
    } catch (const std::exception& e) {
        std::cerr << "smtp_server: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
