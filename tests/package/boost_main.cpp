// The smallest real use on Boost.Asio: a line echo server and one client,
// over loopback, written as a Boost.Asio program writes it (boost::asio::,
// boost::system::error_code) against an asynchat installed for Boost.Asio.
#include <asynchat/asynchat.hpp>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <iostream>
#include <thread>

class echo : public asynchat::async_chat<echo> {
public:
    explicit echo(boost::asio::ip::tcp::socket s) : async_chat(std::move(s)) { set_terminator("\r\n"); }
    void collect_incoming_data(std::string_view data) { _collect_incoming_data(data); }
    void found_terminator() { push(_get_data() + "\r\n"); }
    void handle_error(const boost::system::error_code& ec) {
        std::cerr << "consumer failed: " << ec.message() << '\n';
        close();
    }
};

int main() {
    boost::asio::io_context ctx;
    asynchat::server<echo> srv(ctx, {boost::asio::ip::make_address("127.0.0.1"), 0});
    std::thread loop([&] { ctx.run_for(std::chrono::seconds(10)); });
    boost::asio::io_context client_ctx;
    boost::asio::ip::tcp::socket s(client_ctx);
    s.connect(srv.local_endpoint());
    boost::asio::write(s, boost::asio::buffer(std::string("consumer works\r\n")));
    boost::asio::streambuf reply;
    boost::asio::read_until(s, reply, "\r\n");
    ctx.stop();
    loop.join();
    std::cout << &reply;
    return 0;
}
