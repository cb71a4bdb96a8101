// What the small examples' main() has in common: --port/--bind, a server
// making one Channel per connection, Ctrl-C to stop. Uses only asynchat.
#ifndef EXAMPLES_COMMON_SERVE_HPP
#define EXAMPLES_COMMON_SERVE_HPP

#include "args.hpp"

#include <asynchat/asynchat.hpp>

#include "asio.hpp"

#include <iostream>
#include <string>
#include <variant>

namespace examples {

// Parses [--port N] [--bind ADDR] strictly (see args.hpp; `port` is the
// default). Returns the endpoint to listen on, or main()'s exit status: 0
// after --help, 2 after a usage error (both already printed).
inline std::variant<asio::ip::tcp::endpoint, int> listen_endpoint(const char* name, unsigned short port, int argc,
                                                                 char** argv) {
    std::string bind = "127.0.0.1";
    args a(name, "[--port N] [--bind ADDR]");
    a.number("--port", port, 0, 65535, "port to listen on (default " + std::to_string(port) + "; 0 picks a free one)");
    a.text("--bind", bind, "ADDR", "address to listen on (default 127.0.0.1)");
    if (const auto status = a.parse(argc, argv)) return *status;
    asynchat::error_code bad;
    const auto address = asio::ip::make_address(bind, bad);
    if (bad) return a.fail("--bind: not an IP address: '" + bind + "'");
    return asio::ip::tcp::endpoint(address, port);
}

// Takes [--port N] [--bind ADDR] (listen_endpoint), listens, prints "NAME
// listening on ADDR:PORT", and runs until SIGINT or SIGTERM. Returns main()'s
// status.
template <class Channel, class... ChannelArgs>
int serve(const char* name, unsigned short port, int argc, char** argv, ChannelArgs... channel_args) {
    const auto endpoint = listen_endpoint(name, port, argc, argv);
    if (const int* status = std::get_if<int>(&endpoint)) return *status;
    try {
        asio::io_context ctx;
        asynchat::server<Channel> server(ctx, std::get<asio::ip::tcp::endpoint>(endpoint), channel_args...);
        std::cout << name << " listening on " << server.local_endpoint() << std::endl;
        asio::signal_set stop(ctx, SIGINT, SIGTERM);
        stop.async_wait([&](const asynchat::error_code&, int) { ctx.stop(); });
        ctx.run();
    } catch (const std::exception& e) {
        std::cerr << name << ": " << e.what() << '\n';
        return 1;
    }
    return 0;
}

} // namespace examples

#endif // EXAMPLES_COMMON_SERVE_HPP
