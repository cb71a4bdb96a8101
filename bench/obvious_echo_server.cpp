// The bench protocol's echo ("LINE\r\n" comes back) written the obvious way,
// as issue 12 describes it: library defaults, collect_incoming_data appends
// to a std::string, found_terminator pushes the line plus "\r\n". Measured
// beside asynchat_server (written for speed) and raw_asio_server (the
// ceiling) to show what the library costs code that is not tuned.
//   obvious_echo_server [PORT]
#include <asynchat/asynchat.hpp>

#include <asio/signal_set.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

class obvious_echo : public asynchat::async_chat<obvious_echo> {
public:
    explicit obvious_echo(asio::ip::tcp::socket s) : async_chat(std::move(s)) { set_terminator("\r\n"); }
    void collect_incoming_data(std::string_view data) { line_.append(data); }
    void found_terminator() {
        push(line_ + "\r\n");
        line_.clear();
    }

private:
    std::string line_;
};

int main(int argc, char** argv) {
    const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 0;
    asio::io_context ctx(1);
    asynchat::server<obvious_echo> server(ctx, {asio::ip::make_address("127.0.0.1"), port});
    std::cout << "obvious_echo_server listening on " << server.local_endpoint() << std::endl;
    asio::signal_set stop(ctx, SIGINT, SIGTERM);
    stop.async_wait([&](const std::error_code&, int) { ctx.stop(); });
    ctx.run();
    return 0;
}
