// The smallest real use: a line echo server and one client, over loopback.
#include <asynchat/asynchat.hpp>

#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <iostream>
#include <thread>

class echo : public asynchat::async_chat<echo> {
public:
    explicit echo(asio::ip::tcp::socket s) : async_chat(std::move(s)) { set_terminator("\r\n"); }
    void collect_incoming_data(std::string_view data) { _collect_incoming_data(data); }
    void found_terminator() { push(_get_data() + "\r\n"); }
};

int main() {
    asio::io_context ctx;
    asynchat::server<echo> srv(ctx, {asio::ip::make_address("127.0.0.1"), 0});
    std::thread loop([&] { ctx.run_for(std::chrono::seconds(10)); });
    asio::io_context client_ctx;
    asio::ip::tcp::socket s(client_ctx);
    s.connect(srv.local_endpoint());
    asio::write(s, asio::buffer(std::string("consumer works\r\n")));
    asio::streambuf reply;
    asio::read_until(s, reply, "\r\n");
    ctx.stop();
    loop.join();
    std::cout << &reply;
    return 0;
}
