// expect: names no policy to drive it
// A user's TLS stream whose stream_traits says tls = true but names no
// policy would be driven as a plain stream: no handshake, no close_notify.
// A compile error instead.
#include <asynchat/async_chat.hpp>

#include "../support/asio.hpp"

struct my_tls_socket : asio::ip::tcp::socket {
    using asio::ip::tcp::socket::socket;
};

template <>
struct asynchat::stream_traits<my_tls_socket> {
    static constexpr bool tls = true;
    static constexpr bool upgradable = false;
};

class session : public asynchat::async_chat<session, my_tls_socket> {
public:
    explicit session(my_tls_socket s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

int main() {
    asio::io_context ctx;
    std::make_shared<session>(my_tls_socket(ctx))->start();
}
