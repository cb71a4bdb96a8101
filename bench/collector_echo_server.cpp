// The bench protocol's echo ("LINE\r\n" comes back) written the obvious way
// with the library's ready-made collector: collect_incoming_data forwards to
// _collect_incoming_data, found_terminator pushes _get_data() plus "\r\n".
// Measured beside obvious_echo_server (the same echo with the user's own
// std::string) to show what the ready-made collector saves: once warm it
// allocates nothing per line (the pushed string's storage goes back to the
// collector).
//   collector_echo_server [PORT]
#include <asynchat/asynchat.hpp>

#include <asio/signal_set.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

class collector_echo : public asynchat::async_chat<collector_echo> {
public:
    explicit collector_echo(asio::ip::tcp::socket s) : async_chat(std::move(s)) { set_terminator("\r\n"); }
    void collect_incoming_data(std::string_view data) { _collect_incoming_data(data); }
    void found_terminator() { push(_get_data() + "\r\n"); }
};

int main(int argc, char** argv) {
    const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 0;
    asio::io_context ctx(1);
    asynchat::server<collector_echo> server(ctx, {asio::ip::make_address("127.0.0.1"), port});
    std::cout << "collector_echo_server listening on " << server.local_endpoint() << std::endl;
    asio::signal_set stop(ctx, SIGINT, SIGTERM);
    stop.async_wait([&](const std::error_code&, int) { ctx.stop(); });
    ctx.run();
    return 0;
}
