// expect: success
// The sibling of the failing cases: a channel and a dispatcher with every
// required hook build cleanly.
#include <asynchat/asynchat.hpp>
#include "../support/asio.hpp"  // asio:: is boost::asio under ASYNCHAT_USE_BOOST_ASIO

class session : public asynchat::async_chat<session> {
public:
    explicit session(asio::ip::tcp::socket s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

class acceptor : public asynchat::dispatcher<acceptor> {
public:
    explicit acceptor(asio::io_context& ctx) : dispatcher(ctx) {}
    void handle_accepted(socket_type s, const endpoint_type&) {
        std::make_shared<session>(std::move(s))->start();
    }
};

int main() {
    asio::io_context ctx;
    acceptor a(ctx);
    auto s = std::make_shared<session>(asio::ip::tcp::socket(ctx));
    s->push("bytes");
    s->push(std::string("moved"));
    s->push_with_producer(asynchat::simple_producer("produced"));
}
