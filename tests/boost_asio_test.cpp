// User code written against Boost.Asio compiles and runs unchanged with the
// library built for it (ASYNCHAT_ASIO=boost): boost::asio sockets and TLS
// streams, boost::system::error_code in handle_error and in completion
// handlers, boost::asio::use_future, and (built again with -std=c++20)
// boost::asio::use_awaitable. Nothing here uses the tests' `asio` alias:
// every name is spelled as a Boost.Asio program spells it.
#include <asynchat/async_chat.hpp>
#include <asynchat/error.hpp>
#include <asynchat/framed_stream.hpp>
#include <asynchat/tls.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#if defined(BOOST_ASIO_HAS_CO_AWAIT)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#endif

#include <catch2/catch.hpp>

#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#if !defined(ASYNCHAT_USE_BOOST_ASIO)
#error "built only with ASYNCHAT_ASIO=boost"
#endif

namespace net = boost::asio;
using tcp = net::ip::tcp;

static_assert(std::is_same_v<asynchat::error_code, boost::system::error_code>);
static_assert(std::is_same_v<asynchat::asio::io_context, boost::asio::io_context>);
static_assert(std::is_same_v<asynchat::asio::ssl::context, boost::asio::ssl::context>);

namespace {

template <class Predicate>
bool run_until(net::io_context& ctx, Predicate done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);  // watchdog
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        if (ctx.stopped()) ctx.restart();
        ctx.run_one_for(std::chrono::milliseconds(50));
    }
    return true;
}

std::pair<tcp::socket, tcp::socket> tcp_pair(net::io_context& ctx) {
    tcp::acceptor acceptor(ctx, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    tcp::socket client(ctx);
    client.connect(acceptor.local_endpoint());
    return {acceptor.accept(), std::move(client)};
}

// Echoes each line; a line past 8 bytes is an error: handle_error receives
// asynchat::error::record_too_long as a boost::system::error_code.
template <class ErrorCode, class Stream = tcp::socket>
class echo : public asynchat::async_chat<echo<ErrorCode, Stream>, Stream> {
    using base = asynchat::async_chat<echo<ErrorCode, Stream>, Stream>;

public:
    explicit echo(Stream s) : base(std::move(s)) {
        this->set_terminator("\n");
        this->set_record_limit(8);
    }
    void collect_incoming_data(std::string_view data) { line_ += data; }
    void found_terminator() {
        this->push(line_ + "\n");
        line_.clear();
    }
    void handle_error(const ErrorCode& ec) {
        error = ec;
        this->close();
    }
    std::optional<ErrorCode> error;

private:
    std::string line_;
};

template <class ErrorCode>
void echo_then_record_too_long() {
    net::io_context ctx;
    auto [server, client] = tcp_pair(ctx);
    auto channel = std::make_shared<echo<ErrorCode>>(std::move(server));
    channel->start();
    net::write(client, net::buffer(std::string("hi\n")));
    std::string got(3, '\0');
    bool read = false;
    net::async_read(client, net::buffer(got), [&](const boost::system::error_code& ec, std::size_t) {
        CHECK(!ec);
        read = true;
    });
    REQUIRE(run_until(ctx, [&] { return read; }));
    CHECK(got == "hi\n");
    net::write(client, net::buffer(std::string("far too long\n")));
    REQUIRE(run_until(ctx, [&] { return channel->error.has_value(); }));
    CHECK(*channel->error == asynchat::error::record_too_long);
    CHECK(channel->error->category().name() == std::string("asynchat"));
}

} // namespace

TEST_CASE("asynchat::error is a boost::system::error_code and converts to std::error_code", "[boost]") {
    boost::system::error_code ec = asynchat::error::timed_out;
    CHECK(ec == asynchat::error::timed_out);
    CHECK(ec != asynchat::error::record_too_long);
    CHECK(ec.message() == "timed out");
    CHECK(ec.category() == asynchat::error_category());
    CHECK(std::string(ec.category().name()) == "asynchat");
    const std::error_code as_std = ec;  // Boost's conversion
    CHECK(as_std == asynchat::error::timed_out);
    CHECK(as_std.message() == "timed out");
    const std::error_code direct = asynchat::error::output_limit_exceeded;
    CHECK(direct == asynchat::error::output_limit_exceeded);
    CHECK(boost::system::error_code(net::error::eof) != asynchat::error::timed_out);
}

TEST_CASE("a channel on boost::asio::ip::tcp::socket; handle_error(const boost::system::error_code&)",
          "[boost]") {
    echo_then_record_too_long<boost::system::error_code>();
}

TEST_CASE("handle_error(const std::error_code&) still works under Boost.Asio", "[boost]") {
    echo_then_record_too_long<std::error_code>();
}

TEST_CASE("a TLS channel on boost::asio::ssl::stream", "[boost][tls]") {
    using tls_socket = net::ssl::stream<tcp::socket>;
    net::ssl::context server_tls(net::ssl::context::tls_server);
    server_tls.use_certificate_chain_file(ASYNCHAT_TLS_DIR "/cert.pem");
    server_tls.use_private_key_file(ASYNCHAT_TLS_DIR "/key.pem", net::ssl::context::pem);
    net::ssl::context client_tls(net::ssl::context::tls_client);
    client_tls.load_verify_file(ASYNCHAT_TLS_DIR "/cert.pem");
    client_tls.set_verify_mode(net::ssl::verify_peer);

    net::io_context ctx;
    auto [server, client] = tcp_pair(ctx);
    auto channel =
        std::make_shared<echo<boost::system::error_code, tls_socket>>(tls_socket(std::move(server), server_tls));
    channel->start();  // the server side of the handshake
    tls_socket peer(std::move(client), client_tls);
    bool shaken = false;
    peer.async_handshake(net::ssl::stream_base::client, [&](const boost::system::error_code& ec) {
        CHECK(!ec);
        shaken = true;
    });
    REQUIRE(run_until(ctx, [&] { return shaken; }));
    std::string got(6, '\0');
    bool read = false;
    net::async_write(peer, net::buffer(std::string("hello\n")), [](const boost::system::error_code&, std::size_t) {});
    net::async_read(peer, net::buffer(got), [&](const boost::system::error_code& ec, std::size_t) {
        CHECK(!ec);
        read = true;
    });
    REQUIRE(run_until(ctx, [&] { return read; }));
    CHECK(got == "hello\n");
    net::async_write(peer, net::buffer(std::string("much too long\n")),
                     [](const boost::system::error_code&, std::size_t) {});
    REQUIRE(run_until(ctx, [&] { return channel->error.has_value(); }));
    CHECK(*channel->error == asynchat::error::record_too_long);
}

TEST_CASE("framed_stream<boost::asio::ip::tcp::socket> with a callback and boost::asio::use_future",
          "[boost][framed_stream]") {
    net::io_context ctx;
    auto [server, client] = tcp_pair(ctx);
    asynchat::framed_stream<tcp::socket> s(std::move(server), "\r\n");
    net::write(client, net::buffer(std::string("set k 5\r\nhello\r\npart")));
    client.shutdown(tcp::socket::shutdown_send);

    std::optional<std::string> line;
    s.async_read_record([&](boost::system::error_code ec, std::string r) {
        CHECK(!ec);
        line = std::move(r);
    });
    REQUIRE(run_until(ctx, [&] { return line.has_value(); }));
    CHECK(*line == "set k 5");

    s.set_terminator(5 + 2);  // applies at once to the bytes already read
    std::future<std::string> body = s.async_read_record(net::use_future);
    REQUIRE(run_until(ctx, [&] { return body.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
    CHECK(body.get() == "hello\r\n");

    s.set_terminator("\r\n");
    std::future<std::string> last = s.async_read_record(net::use_future);
    REQUIRE(run_until(ctx, [&] { return last.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
    try {
        last.get();
        FAIL("end of stream must fail the read");
    } catch (const boost::system::system_error& e) {
        CHECK(e.code() == net::error::eof);
    }
}

#if defined(BOOST_ASIO_HAS_CO_AWAIT)
TEST_CASE("framed_stream with boost::asio::use_awaitable in a C++20 coroutine", "[boost][framed_stream][coroutine]") {
    net::io_context ctx;
    auto [server, client] = tcp_pair(ctx);
    asynchat::framed_stream<tcp::socket> s(std::move(server), "\n");
    net::write(client, net::buffer(std::string("one\n3\nabcpart")));
    client.shutdown(tcp::socket::shutdown_send);
    std::string first, counted, unfinished;
    boost::system::error_code end;
    std::exception_ptr failure;
    bool done = false;
    net::co_spawn(
        ctx,
        [&]() -> net::awaitable<void> {
            first = co_await s.async_read_record(net::use_awaitable);
            const std::string n = co_await s.async_read_record(net::use_awaitable);
            s.set_terminator(std::stoul(n));
            counted = co_await s.async_read_record(net::use_awaitable);
            s.set_terminator("\n");
            unfinished = co_await s.async_read_record(net::redirect_error(net::use_awaitable, end));
        },
        [&](std::exception_ptr e) {
            failure = e;
            done = true;
        });
    REQUIRE(run_until(ctx, [&] { return done; }));
    if (failure) std::rethrow_exception(failure);
    CHECK(first == "one");
    CHECK(counted == "abc");
    CHECK(end == net::error::eof);
    CHECK(unfinished == "part");
}
#endif
