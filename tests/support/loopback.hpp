// Helpers for tests over real loopback sockets, all on the test thread's
// io_context. A time bound is only a watchdog that fails the test.
#ifndef ASYNCHAT_TESTS_SUPPORT_LOOPBACK_HPP
#define ASYNCHAT_TESTS_SUPPORT_LOOPBACK_HPP

#include "asio.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

namespace test {

inline asio::ip::tcp::endpoint any_loopback_port() {
    return {asio::ip::make_address("127.0.0.1"), 0};
}

// A connected pair of TCP sockets on loopback: (accepted, connecting).
inline std::pair<asio::ip::tcp::socket, asio::ip::tcp::socket> tcp_pair(asio::io_context& ctx) {
    asio::ip::tcp::acceptor acceptor(ctx, any_loopback_port());
    asio::ip::tcp::socket client(ctx);
    client.connect(acceptor.local_endpoint());
    return {acceptor.accept(), std::move(client)};
}

// Runs handlers until `done()` holds; false if the watchdog expired first.
template <class Predicate>
bool run_until(asio::io_context& ctx, Predicate done,
               std::chrono::steady_clock::duration limit = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        if (ctx.stopped()) ctx.restart();
        ctx.run_one_for(std::chrono::milliseconds(50));
    }
    return true;
}

// A raw-Asio echo server for one connection, as in CPython's test_asynchat:
// reads one byte at a time until "QUIT\n", removes it, then (optionally after
// release()) sends everything back in `chunk_size` pieces and closes.
class python_echo_server {
public:
    static constexpr const char* quit = "QUIT\n";

    python_echo_server(asio::io_context& ctx, std::size_t chunk_size)
        : acceptor_(ctx, any_loopback_port()), socket_(ctx), chunk_size_(chunk_size) {
        acceptor_.async_accept(socket_, [this](const asynchat::error_code& ec) {
            if (ec) return finish();
            read_byte();
        });
    }

    asio::ip::tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }

    // CPython's start_resend_event: wait before echoing.
    void hold() { held_ = true; }
    void release() {
        held_ = false;
        if (got_quit) send_next();
    }

    std::string buffer;   // what was received, QUIT removed
    bool got_quit = false;
    bool done = false;

private:
    void read_byte() {
        socket_.async_read_some(asio::buffer(&byte_, 1), [this](const asynchat::error_code& ec, std::size_t n) {
            if (ec || n == 0) return quit_seen();  // EOF: echo what we have, as CPython does
            buffer += byte_;
            if (buffer.find(quit) != std::string::npos) return quit_seen();
            read_byte();
        });
    }

    void quit_seen() {
        for (std::size_t at; (at = buffer.find(quit)) != std::string::npos;) buffer.erase(at, 5);
        got_quit = true;
        to_send_ = buffer;
        if (!held_) send_next();
    }

    void send_next() {
        if (to_send_.empty()) return finish();
        const std::size_t n = std::min(chunk_size_, to_send_.size());
        chunk_ = to_send_.substr(0, n);
        to_send_.erase(0, n);
        asio::async_write(socket_, asio::buffer(chunk_), [this](const asynchat::error_code& ec, std::size_t) {
            if (ec) return finish();  // the client may have gone (test_close_when_done)
            send_next();
        });
    }

    void finish() {
        asynchat::error_code ignored;
        socket_.close(ignored);
        acceptor_.close(ignored);
        done = true;
    }

    asio::ip::tcp::acceptor acceptor_;
    asio::ip::tcp::socket socket_;
    std::size_t chunk_size_;
    char byte_ = 0;
    bool held_ = false;
    std::string to_send_;
    std::string chunk_;
};

} // namespace test

#endif // ASYNCHAT_TESTS_SUPPORT_LOOPBACK_HPP
