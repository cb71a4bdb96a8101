// expect: include <asynchat/tls.hpp>
// A channel on a TLS stream built without <asynchat/tls.hpp> would compile,
// then fail at run time, and break the ODR against a translation unit that
// includes it: a compile error naming the header instead.
#include <asynchat/async_chat.hpp>

#include "../support/asio.hpp"
#include <asynchat/detail/asio_ssl.hpp>  // Asio's TLS, not <asynchat/tls.hpp>

class session : public asynchat::async_chat<session, asio::ssl::stream<asio::ip::tcp::socket>> {
public:
    explicit session(asio::ssl::stream<asio::ip::tcp::socket> s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

int main() {
    asio::io_context ctx;
    asio::ssl::context tls(asio::ssl::context::tls_server);
    std::make_shared<session>(asio::ssl::stream<asio::ip::tcp::socket>(ctx, tls))->start();
}
