// framed_stream with C++20 coroutines (built with -std=c++20): use_awaitable,
// as_tuple(use_awaitable), a default token, and per-operation cancellation
// through awaitable operators. The coroutines only record; the test thread
// asserts after run().
#include <asynchat/framed_stream.hpp>

#include "support/loopback.hpp"
#include "kv_session.hpp"

#include "support/asio.hpp"
#if defined(ASYNCHAT_TEST_HAS_CANCELLATION_SLOT) && defined(ASYNCHAT_TEST_HAS_EXPERIMENTAL_TOKENS)
#define ASYNCHAT_TEST_HAS_AWAITABLE_OPERATORS 1
#if defined(ASYNCHAT_USE_BOOST_ASIO)
#include <boost/asio/experimental/awaitable_operators.hpp>
#else
#include <asio/experimental/awaitable_operators.hpp>
#endif
#endif

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <exception>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <tuple>
#include <variant>
#include <vector>

#if !defined(ASYNCHAT_TEST_HAS_CO_AWAIT)
#error "built only where Asio supports co_await (see examples/kv_coro/coroutines.cmake)"
#endif

namespace {

using unix_socket = asio::local::stream_protocol::socket;
using framed = asynchat::framed_stream<unix_socket>;

struct pair {
    explicit pair(asio::io_context& ctx) : peer(ctx) {
        unix_socket a(ctx);
        asio::local::connect_pair(a, peer);
        s.emplace(std::move(a));
    }
    unix_socket peer;
    std::optional<framed> s;
};

void run(asio::io_context& ctx, asio::awaitable<void> body) {
    std::exception_ptr failure;
    bool done = false;
    asio::co_spawn(ctx, std::move(body), [&](std::exception_ptr e) {
        failure = e;
        done = true;
    });
    REQUIRE(test::run_until(ctx, [&] { return done; }));
    if (failure) std::rethrow_exception(failure);
}

} // namespace

TEST_CASE("a coroutine reads lines and counted bodies with use_awaitable", "[framed_stream][coroutine]") {
    asio::io_context ctx;
    pair p(ctx);
    // Pipelined, in one write: the count applies to bytes already buffered.
    asio::write(p.peer, asio::buffer(std::string("set a 3\r\nxyz\r\nset b 0\r\n\r\nget a\r\nquit\r\n")));
    std::vector<std::string> seen;
    run(ctx, [&]() -> asio::awaitable<void> {
        framed& s = *p.s;
        s.set_terminator("\r\n");
        for (;;) {
            std::string line = co_await s.async_read_record(asio::use_awaitable);
            seen.push_back(line);
            std::istringstream in(line);
            std::string verb, key;
            std::size_t n = 0;
            in >> verb >> key >> n;
            if (verb == "set") {
                s.set_terminator(n + 2);
                seen.push_back(co_await s.async_read_record(asio::use_awaitable));
                s.set_terminator("\r\n");
                co_await asio::async_write(s.next_layer(), asio::buffer("STORED\r\n", 8), asio::use_awaitable);
            } else if (verb == "quit") {
                break;
            }
        }
    }());
    CHECK(seen == std::vector<std::string>{"set a 3", "xyz\r\n", "set b 0", "\r\n", "get a", "quit"});
    std::string replies(16, '\0');
    asio::read(p.peer, asio::buffer(replies));
    CHECK(replies == "STORED\r\nSTORED\r\n");
}

TEST_CASE("with use_awaitable, end of stream throws; as_tuple hands over the unfinished record",
          "[framed_stream][coroutine][eof]") {
    asio::io_context ctx;
    pair p(ctx);
    asio::write(p.peer, asio::buffer(std::string("one\npart")));
    p.peer.shutdown(unix_socket::shutdown_send);
    std::string first;
    asynchat::error_code ec;
    std::string unfinished;
    asynchat::error_code thrown;
    run(ctx, [&]() -> asio::awaitable<void> {
        framed& s = *p.s;
        s.set_terminator("\n");
        first = co_await s.async_read_record(asio::use_awaitable);
#if defined(ASYNCHAT_TEST_HAS_EXPERIMENTAL_TOKENS)
        std::tie(ec, unfinished) =
            co_await s.async_read_record(asio::experimental::as_tuple(asio::use_awaitable));
#else
        // No as_tuple in this Asio: redirect_error hands over the error instead.
        unfinished = co_await s.async_read_record(asio::redirect_error(asio::use_awaitable, ec));
#endif
        try {
            co_await s.async_read_record(asio::use_awaitable);
        } catch (const test::system_error& e) {
            thrown = e.code();
        }
    }());
    CHECK(first == "one");
    CHECK(ec == asio::error::eof);
    CHECK(unfinished == "part");
    CHECK(thrown == asio::error::eof);
}

TEST_CASE("a stream whose default token is use_awaitable: co_await s.async_read_record()",
          "[framed_stream][coroutine]") {
    asio::io_context ctx;
    using awaitable_socket = asio::use_awaitable_t<>::as_default_on_t<unix_socket>;
    awaitable_socket a(ctx);
    unix_socket peer(ctx);
    asio::local::connect_pair(a, peer);
    asynchat::framed_stream<awaitable_socket> s(std::move(a), "\n");
    asio::write(peer, asio::buffer(std::string("alpha\nbeta\n")));
    std::vector<std::string> seen;
    std::string appended;
    run(ctx, [&]() -> asio::awaitable<void> {
        seen.push_back(co_await s.async_read_record());
        const std::size_t n = co_await s.async_read_record(appended);
        seen.push_back(std::to_string(n));
    }());
    CHECK(seen == std::vector<std::string>{"alpha", "4"});
    CHECK(appended == "beta");
}

#if defined(ASYNCHAT_TEST_HAS_AWAITABLE_OPERATORS)
TEST_CASE("a read that loses a race to a timer is cancelled and loses no bytes",
          "[framed_stream][coroutine][cancel]") {
    using namespace asio::experimental::awaitable_operators;
    asio::io_context ctx;
    pair p(ctx);
    asio::write(p.peer, asio::buffer(std::string("hel")));
    std::size_t winner = 99;
    std::string buffered;
    std::string record;
    run(ctx, [&]() -> asio::awaitable<void> {
        framed& s = *p.s;
        s.set_terminator("\r\n");
        asio::steady_timer timer(ctx);
        timer.expires_at(asio::steady_timer::time_point::min());  // already expired
        // The read cannot finish (no terminator yet): the timer wins, and
        // the group cancels the read through its cancellation slot.
        auto result = co_await (s.async_read_record(asio::use_awaitable) || timer.async_wait(asio::use_awaitable));
        winner = result.index();
        buffered = std::string(s.buffered_input());
        co_await asio::async_write(p.peer, asio::buffer("lo\r\n", 4), asio::use_awaitable);
        record = co_await s.async_read_record(asio::use_awaitable);
    }());
    CHECK(winner == 1);
    CHECK(buffered == "hel");
    CHECK(record == "hello");
}
#endif // ASYNCHAT_TEST_HAS_AWAITABLE_OPERATORS

// ---------------------------------------------------------------- examples/kv_coro, without sockets

namespace {

// Scripted reads (then end of stream) and recorded writes; completions posted.
class duplex_script {
public:
    using executor_type = asio::io_context::executor_type;
    duplex_script(asio::io_context& ctx, std::vector<std::string> reads)
        : ex_(ctx.get_executor()), reads_(reads.rbegin(), reads.rend()) {}
    executor_type get_executor() const noexcept { return ex_; }

    std::string written;

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(asynchat::error_code, std::size_t)>(
            [this](auto handler, asio::mutable_buffer b) {
                asynchat::error_code ec = asio::error::eof;
                std::size_t n = 0;
                if (!reads_.empty()) {
                    ec = {};
                    n = std::min(reads_.back().size(), b.size());
                    std::memcpy(b.data(), reads_.back().data(), n);
                    reads_.back().erase(0, n);
                    if (reads_.back().empty()) reads_.pop_back();
                }
                asio::post(ex_, [h = std::move(handler), ec, n]() mutable { std::move(h)(ec, n); });
            },
            token, asio::mutable_buffer(*asio::buffer_sequence_begin(buffers)));
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(asynchat::error_code, std::size_t)>(
            [this](auto handler, const ConstBuffers& bs) {
                std::size_t n = 0;
                for (auto it = asio::buffer_sequence_begin(bs); it != asio::buffer_sequence_end(bs); ++it) {
                    asio::const_buffer b(*it);
                    written.append(static_cast<const char*>(b.data()), b.size());
                    n += b.size();
                }
                asio::post(ex_, [h = std::move(handler), n]() mutable { std::move(h)(asynchat::error_code(), n); });
            },
            token, buffers);
    }

private:
    executor_type ex_;
    std::vector<std::string> reads_;
};

std::string kv_conversation(const std::vector<std::string>& reads) {
    asio::io_context ctx;
    asynchat::framed_stream<duplex_script> s(duplex_script(ctx, reads));
    kv::store db;
    run(ctx, kv::session(s, db));
    return s.next_layer().written;
}

} // namespace

TEST_CASE("kv_coro's session answers the same however the requests are cut", "[framed_stream][coroutine][kv_coro]") {
    const std::string requests = "set a 3\r\nxyz\r\nget a\r\nset b 0\r\n\r\nget b\r\nget zz\r\nbogus\r\n" +
                                 std::string(2000, 'x') + "\r\nset e 4\r\n\r\n\r\n\r\nget e\r\n" +
                                 "set d 2\r\nabXYget a\r\n";
    const std::string replies = "STORED\r\nVALUE a\r\nxyz\r\nSTORED\r\nVALUE b\r\n\r\nERROR\r\nERROR\r\n"
                                "CLIENT_ERROR line too long\r\nSTORED\r\nVALUE e\r\n\r\n\r\n\r\n"
                                "CLIENT_ERROR bad data chunk\r\n";
    CHECK(kv_conversation({requests}) == replies);
    std::vector<std::string> bytes;
    for (char c : requests) bytes.emplace_back(1, c);
    CHECK(kv_conversation(bytes) == replies);
    for (std::size_t at = 1; at < requests.size(); ++at) {
        INFO("cut at " << at);
        CHECK(kv_conversation({requests.substr(0, at), requests.substr(at)}) == replies);
    }
}

TEST_CASE("kv_coro's session: quit ends it; end of stream mid-command or mid-value ends it quietly",
          "[framed_stream][coroutine][kv_coro]") {
    CHECK(kv_conversation({"set a 1\r\nz\r\nquit\r\nget a\r\n"}) == "STORED\r\n");
    CHECK(kv_conversation({"set a 5\r\nabc"}).empty());
    CHECK(kv_conversation({"get"}).empty());
    CHECK(kv_conversation({"set big 2000000\r\n"}) == "SERVER_ERROR object too large\r\n");
}
