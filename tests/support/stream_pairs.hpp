// Connected (server, client) pairs of every stream kind the library runs
// on, for tests that run one conversation over each: TCP, Unix domain
// sockets and TLS (with the committed test certificate, ASYNCHAT_TLS_DIR).
#ifndef ASYNCHAT_TESTS_SUPPORT_STREAM_PAIRS_HPP
#define ASYNCHAT_TESTS_SUPPORT_STREAM_PAIRS_HPP

#include <asynchat/tls.hpp>

#include "asio.hpp"
#include "loopback.hpp"

#include <utility>

namespace test {

using tcp_socket = asio::ip::tcp::socket;
using unix_socket = asio::local::stream_protocol::socket;
using tls_socket = asio::ssl::stream<tcp_socket>;

// The server's TLS context: the test certificate and its key.
inline asio::ssl::context& server_tls() {
    static asio::ssl::context ctx = [] {
        asio::ssl::context c(asio::ssl::context::tls_server);
        c.use_certificate_chain_file(ASYNCHAT_TLS_DIR "/cert.pem");
        c.use_private_key_file(ASYNCHAT_TLS_DIR "/key.pem", asio::ssl::context::pem);
        return c;
    }();
    return ctx;
}

// The client's TLS context: verifies the peer, trusting the test certificate.
inline asio::ssl::context& client_tls() {
    static asio::ssl::context ctx = [] {
        asio::ssl::context c(asio::ssl::context::tls_client);
        c.load_verify_file(ASYNCHAT_TLS_DIR "/cert.pem");
        c.set_verify_mode(asio::ssl::verify_peer);
        return c;
    }();
    return ctx;
}

// stream_pair<S>::make(ctx): connected (server, client) streams of kind S.
// A test may specialize it for a stream of its own.
template <class Stream>
struct stream_pair;

template <>
struct stream_pair<tcp_socket> {
    static std::pair<tcp_socket, tcp_socket> make(asio::io_context& ctx) { return tcp_pair(ctx); }
};
template <>
struct stream_pair<unix_socket> {
    static std::pair<unix_socket, unix_socket> make(asio::io_context& ctx) {
        unix_socket a(ctx), b(ctx);
        asio::local::connect_pair(a, b);
        return {std::move(a), std::move(b)};
    }
};
template <>
struct stream_pair<tls_socket> {
    static std::pair<tls_socket, tls_socket> make(asio::io_context& ctx) {
        auto [s, c] = tcp_pair(ctx);
        return {tls_socket(std::move(s), server_tls()), tls_socket(std::move(c), client_tls())};
    }
};

} // namespace test

#endif // ASYNCHAT_TESTS_SUPPORT_STREAM_PAIRS_HPP
