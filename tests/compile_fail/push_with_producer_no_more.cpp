// expect: push_with_producer: the argument must be bytes or have a 'more()' member
#include <asynchat/async_chat.hpp>
#include "../support/asio.hpp"  // asio:: is boost::asio under ASYNCHAT_USE_BOOST_ASIO

class session : public asynchat::async_chat<session> {
public:
    explicit session(asio::ip::tcp::socket s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

struct not_a_producer {
    int next() { return 1; }
};

int main() {
    asio::io_context ctx;
    auto s = std::make_shared<session>(asio::ip::tcp::socket(ctx));
    s->push_with_producer(not_a_producer{});
}
