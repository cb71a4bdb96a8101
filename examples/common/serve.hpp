// What the small examples' main() has in common: --port/--bind, a server
// making one Channel per connection, Ctrl-C to stop. Uses only asynchat.
#ifndef EXAMPLES_COMMON_SERVE_HPP
#define EXAMPLES_COMMON_SERVE_HPP

#include <asynchat/asynchat.hpp>

#include <asio/signal_set.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace examples {

// Parses [--port N] [--bind ADDR], listens, prints "NAME listening on
// ADDR:PORT", and runs until SIGINT or SIGTERM. Returns main()'s status.
template <class Channel, class... ChannelArgs>
int serve(const char* name, unsigned short port, int argc, char** argv, ChannelArgs... channel_args) {
    std::string bind = "127.0.0.1";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            port = static_cast<unsigned short>(std::atoi(argv[++i]));
        } else if (arg == "--bind" && i + 1 < argc) {
            bind = argv[++i];
        } else {
            std::cerr << "usage: " << name << " [--port N] [--bind ADDR]   (default 127.0.0.1:" << port << ")\n";
            return arg == "--help" ? 0 : 2;
        }
    }
    try {
        asio::io_context ctx;
        asynchat::server<Channel> server(ctx, {asio::ip::make_address(bind), port}, channel_args...);
        std::cout << name << " listening on " << server.local_endpoint() << std::endl;
        asio::signal_set stop(ctx, SIGINT, SIGTERM);
        stop.async_wait([&](const std::error_code&, int) { ctx.stop(); });
        ctx.run();
    } catch (const std::exception& e) {
        std::cerr << name << ": " << e.what() << '\n';
        return 1;
    }
    return 0;
}

} // namespace examples

#endif // EXAMPLES_COMMON_SERVE_HPP
