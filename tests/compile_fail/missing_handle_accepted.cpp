// expect: Derived must define a public 'void handle_accepted(socket_type socket, const endpoint_type& peer)'
#include <asynchat/dispatcher.hpp>
#include "../support/asio.hpp"  // asio:: is boost::asio under ASYNCHAT_USE_BOOST_ASIO

class acceptor : public asynchat::dispatcher<acceptor> {
public:
    explicit acceptor(asio::io_context& ctx) : dispatcher(ctx) {}
};

int main() {
    asio::io_context ctx;
    acceptor a(ctx);
}
