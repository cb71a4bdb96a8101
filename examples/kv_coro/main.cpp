// kv_coro: the README's memcached-style tutorial server, written with C++20
// coroutines on asynchat::framed_stream instead of async_chat callbacks.
// Lines, then a byte count, then lines again: the same framing rules.
//
// Try it:
//   ./kv_coro --port 11311 &
//   printf 'set greeting 5\r\nhello\r\nget greeting\r\nquit\r\n' | nc 127.0.0.1 11311
//
// What it shows: async_read_record with use_awaitable (through redirect_error, so
// that end of stream is a value, not an exception), set_terminator between
// two reads applying to bytes already read, a per-line limit with
// overflow::skip, and writing to next_layer(). One coroutine per connection,
// one for the acceptor, all on one io_context.
#include "../common/serve.hpp"
#include "kv_session.hpp"

#include <asynchat/framed_stream.hpp>

#include "../common/asio.hpp"

#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <variant>

namespace {

asio::awaitable<void> connection(asio::ip::tcp::socket socket, std::shared_ptr<kv::store> db) {
    asynchat::framed_stream<asio::ip::tcp::socket> s(std::move(socket));
    co_await kv::session(s, *db);
}

asio::awaitable<void> listen(asio::ip::tcp::acceptor acceptor, std::shared_ptr<kv::store> db) {
    for (;;) {
        auto socket = co_await acceptor.async_accept(asio::use_awaitable);
        // A failing session (a write error) ends that connection only.
        asio::co_spawn(acceptor.get_executor(), connection(std::move(socket), db), asio::detached);
    }
}

} // namespace

int main(int argc, char** argv) {
    // The examples' one strict parser: a bad argument is a usage error (status 2).
    const auto endpoint = examples::listen_endpoint("kv_coro", 11311, argc, argv);
    if (const int* status = std::get_if<int>(&endpoint)) return *status;
    try {
        asio::io_context ctx;
        asio::ip::tcp::acceptor acceptor(ctx, std::get<asio::ip::tcp::endpoint>(endpoint));
        std::cout << "kv_coro listening on " << acceptor.local_endpoint() << std::endl;
        asio::co_spawn(ctx, listen(std::move(acceptor), std::make_shared<kv::store>()),
                       [](std::exception_ptr e) {
                           if (e) std::rethrow_exception(e);  // accept failed: leave run()
                       });
        asio::signal_set stop(ctx, SIGINT, SIGTERM);
        stop.async_wait([&](const asynchat::error_code&, int) { ctx.stop(); });
        ctx.run();
    } catch (const std::exception& e) {
        std::cerr << "kv_coro: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
