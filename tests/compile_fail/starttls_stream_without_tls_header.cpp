// expect: include <asynchat/tls.hpp>
// The same for a STARTTLS stream: its header alone is not enough.
#include <asynchat/async_chat.hpp>
#include <asynchat/starttls_stream.hpp>
#include "../support/asio.hpp"  // asio:: is boost::asio under ASYNCHAT_USE_BOOST_ASIO

class session : public asynchat::async_chat<session, asynchat::starttls_stream<>> {
public:
    explicit session(asynchat::starttls_stream<> s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

int main() {
    asio::io_context ctx;
    asio::ssl::context tls(asio::ssl::context::tls_server);
    std::make_shared<session>(asynchat::starttls_stream<>(ctx, tls))->start();
}
