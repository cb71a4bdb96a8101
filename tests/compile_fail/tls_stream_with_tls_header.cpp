// expect: success
// The sibling: with <asynchat/tls.hpp>, both TLS streams build.
#include <asynchat/async_chat.hpp>
#include <asynchat/tls.hpp>
#include "../support/asio.hpp"  // asio:: is boost::asio under ASYNCHAT_USE_BOOST_ASIO

template <class Stream>
class session : public asynchat::async_chat<session<Stream>, Stream> {
public:
    explicit session(Stream s) : asynchat::async_chat<session<Stream>, Stream>(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

int main() {
    asio::io_context ctx;
    asio::ssl::context tls(asio::ssl::context::tls_server);
    using tls_stream = asio::ssl::stream<asio::ip::tcp::socket>;
    std::make_shared<session<tls_stream>>(tls_stream(ctx, tls))->start();
    std::make_shared<session<asynchat::starttls_stream<>>>(asynchat::starttls_stream<>(ctx, tls))->start();
}
