// expect: Derived must define a public 'void found_terminator()'
#include <asynchat/async_chat.hpp>
#include "../support/asio.hpp"  // asio:: is boost::asio under ASYNCHAT_USE_BOOST_ASIO

class session : public asynchat::async_chat<session> {
public:
    explicit session(asio::ip::tcp::socket s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}

private:
    void found_terminator() {}  // hooks must be public
};

int main() {
    asio::io_context ctx;
    std::make_shared<session>(asio::ip::tcp::socket(ctx))->start();
}
