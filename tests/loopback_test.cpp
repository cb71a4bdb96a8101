// async_chat over real sockets: slow peers, connecting, disconnects, SIGPIPE,
// Unix domain sockets and threads.
#include "support/loopback.hpp"

#include <asynchat/async_chat.hpp>
#include <asynchat/server.hpp>

#include "support/asio.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

// Sends `payload` as soon as it starts, then closes when done.
class sender : public asynchat::async_chat<sender> {
public:
    sender(asio::ip::tcp::socket s, std::string payload) : async_chat(std::move(s)) {
        asynchat::error_code ignored;  // small kernel buffers: every write is partial
        socket().set_option(asio::socket_base::send_buffer_size(4096), ignored);
        push(std::move(payload));
        close_when_done();
    }
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

// A client that records records and how it ended.
class client : public asynchat::async_chat<client> {
public:
    explicit client(asio::io_context& ctx) : async_chat(ctx) { set_terminator("\n"); }
    void handle_connect() { connected_called = true; }
    void collect_incoming_data(std::string_view d) { current += d; }
    void found_terminator() { records.push_back(std::exchange(current, {})); }
    void handle_error(const asynchat::error_code& ec) {
        error = ec;
        close();
    }
    void handle_close() {
        ++closes;
        close();
    }
    bool connected_called = false;
    asynchat::error_code error;
    int closes = 0;
    std::string current;
    std::vector<std::string> records;
};

} // namespace

TEST_CASE("a slow reader gets megabytes through partial writes, every byte once", "[loopback][write]") {
    asio::io_context ctx;
    const std::string payload = pattern(8 << 20);
    asynchat::server<sender> srv(ctx, test::any_loopback_port(), payload);
    asio::ip::tcp::socket reader(ctx);
    reader.open(asio::ip::tcp::v4());
    reader.set_option(asio::socket_base::receive_buffer_size(4096));
    reader.connect(srv.local_endpoint());

    std::string received;
    std::array<char, 1000> buf{};
    bool eof = false;
    std::function<void()> read_more = [&] {
        reader.async_read_some(asio::buffer(buf), [&](const asynchat::error_code& ec, std::size_t n) {
            received.append(buf.data(), n);
            if (ec) {
                eof = true;
                return;
            }
            read_more();
        });
    };
    read_more();
    REQUIRE(test::run_until(ctx, [&] { return eof; }, std::chrono::seconds(60)));
    CHECK(received.size() == payload.size());
    CHECK(received == payload);
}

TEST_CASE("data pushed before connect() completes is sent once connected", "[loopback][connect]") {
    asio::io_context ctx;
    asio::ip::tcp::acceptor acceptor(ctx, test::any_loopback_port());
    auto c = std::make_shared<client>(ctx);
    c->push("early\n");
    c->connect(acceptor.local_endpoint());
    c->push("later\n");
    asio::ip::tcp::socket peer(ctx);
    acceptor.accept(peer);
    std::string got(12, '\0');
    asio::async_read(peer, asio::buffer(got), [](const asynchat::error_code&, std::size_t) {});
    REQUIRE(test::run_until(ctx, [&] { return c->connected_called && got.back() != '\0'; }));
    CHECK(got == "early\nlater\n");
    CHECK(c->connected());
    // And the other way: the peer's lines arrive, then its EOF closes the channel.
    asio::write(peer, asio::buffer(std::string("one\ntwo\n")));
    peer.close();
    REQUIRE(test::run_until(ctx, [&] { return !c->connected(); }));
    CHECK(c->records == std::vector<std::string>{"one", "two"});
    CHECK(c->closes == 1);
}

TEST_CASE("a refused connection reaches handle_error and closes", "[loopback][connect]") {
    asio::io_context ctx;
    asio::ip::tcp::endpoint closed_port;
    {
        asio::ip::tcp::acceptor a(ctx, test::any_loopback_port());
        closed_port = a.local_endpoint();
    }
    auto c = std::make_shared<client>(ctx);
    c->push("never sent");
    c->connect(closed_port);
    REQUIRE(test::run_until(ctx, [&] { return static_cast<bool>(c->error); }));
    CHECK(c->error == asio::error::connection_refused);
    CHECK_FALSE(c->connected_called);
    CHECK_FALSE(c->connected());
}

TEST_CASE("connect() on a channel that is not shared, or twice, throws", "[loopback][connect][misuse]") {
    asio::io_context ctx;
    client on_stack(ctx);
    CHECK_THROWS_WITH(on_stack.connect(test::any_loopback_port()), Catch::Contains("std::make_shared"));
    auto c = std::make_shared<client>(ctx);
    c->connect({asio::ip::make_address("127.0.0.1"), 9});
    CHECK_THROWS_WITH(c->connect({asio::ip::make_address("127.0.0.1"), 9}), Catch::Contains("already started"));
    c->close();
    ctx.run();
}

TEST_CASE("writing to a peer that reset never raises SIGPIPE", "[loopback][errors]") {
    // SIGPIPE's default action kills the process: make sure that is in force.
    auto previous = std::signal(SIGPIPE, SIG_DFL);
    {
        asio::io_context ctx;
        asio::ip::tcp::acceptor acceptor(ctx, test::any_loopback_port());
        auto c = std::make_shared<client>(ctx);
        c->connect(acceptor.local_endpoint());
        asio::ip::tcp::socket peer(ctx);
        acceptor.accept(peer);
        REQUIRE(test::run_until(ctx, [&] { return c->connected(); }));
        peer.set_option(asio::socket_base::linger(true, 0));
        peer.close();  // RST
        for (int i = 0; i < 64; ++i) c->push(std::string(1 << 16, 'x'));
        REQUIRE(test::run_until(ctx, [&] { return !c->connected(); }));
        CHECK((c->closes == 1 || c->error));  // reset -> handle_close (or EPIPE)
    }
    std::signal(SIGPIPE, previous);
}

namespace {
class unix_echo : public asynchat::async_chat<unix_echo, asio::local::stream_protocol::socket> {
public:
    explicit unix_echo(asio::local::stream_protocol::socket s) : async_chat(std::move(s)) {
        set_terminator("\r\n");
    }
    void collect_incoming_data(std::string_view d) { _collect_incoming_data(d); }
    void found_terminator() { push("echo:" + _get_data() + "\r\n"); }
};
} // namespace

TEST_CASE("a channel works unchanged over a Unix domain socket", "[loopback][unix]") {
    asio::io_context ctx;
    asio::local::stream_protocol::socket a(ctx), b(ctx);
    asio::local::connect_pair(a, b);
    auto ch = std::make_shared<unix_echo>(std::move(a));
    ch->start();
    asio::write(b, asio::buffer(std::string("one\r\ntw")));
    asio::write(b, asio::buffer(std::string("o\r\n")));
    std::string got(20, '\0');
    bool done = false;
    asio::async_read(b, asio::buffer(got), [&](const asynchat::error_code&, std::size_t) { done = true; });
    REQUIRE(test::run_until(ctx, [&] { return done; }));
    CHECK(got == "echo:one\r\necho:two\r\n");
    ch->close();
}

namespace {
// Counts lines per writer thread: "<thread> <seq>\n".
class line_sink : public asynchat::async_chat<line_sink> {
public:
    explicit line_sink(asio::ip::tcp::socket s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};
} // namespace

TEST_CASE("push() from several threads into a channel on a strand keeps per-thread order",
          "[loopback][threads]") {
    asio::io_context ctx;
    asio::ip::tcp::acceptor acceptor(ctx, test::any_loopback_port());
    asio::ip::tcp::socket server_side(asio::make_strand(ctx));
    asio::ip::tcp::socket reader(ctx);
    reader.connect(acceptor.local_endpoint());
    acceptor.accept(server_side);
    auto ch = std::make_shared<line_sink>(std::move(server_side));
    ch->start();

    constexpr int threads = 8;
    constexpr int per_thread = 5000;
    auto guard = asio::make_work_guard(ctx);
    std::vector<std::thread> runners;
    for (int i = 0; i < 2; ++i) runners.emplace_back([&] { ctx.run(); });
    std::vector<std::thread> writers;
    for (int t = 0; t < threads; ++t)
        writers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                if (i % 2) ch->push(std::to_string(t) + " " + std::to_string(i) + "\n");
                else ch->push(std::string_view(std::to_string(t) + " " + std::to_string(i) + "\n"));
            }
        });
    for (auto& w : writers) w.join();
    ch->close_when_done();

    std::string received;
    asynchat::error_code ec;
    std::array<char, 65536> buf{};
    for (;;) {
        const std::size_t n = reader.read_some(asio::buffer(buf), ec);
        received.append(buf.data(), n);
        if (ec) break;
    }
    guard.reset();
    for (auto& r : runners) r.join();

    std::vector<int> next(threads, 0);
    std::size_t lines = 0;
    bool ordered = true;
    for (std::size_t at = 0; at < received.size();) {
        const std::size_t end = received.find('\n', at);
        REQUIRE(end != std::string::npos);
        const std::string line = received.substr(at, end - at);
        const int t = std::stoi(line.substr(0, line.find(' ')));
        const int seq = std::stoi(line.substr(line.find(' ') + 1));
        ordered = ordered && t >= 0 && t < threads && seq == next[t];
        if (t >= 0 && t < threads) ++next[t];
        ++lines;
        at = end + 1;
    }
    CHECK(ordered);
    CHECK(lines == threads * per_thread);
}

namespace {
// Echoes lines, watching how much output it ever had queued.
class watched_echo : public asynchat::async_chat<watched_echo> {
public:
    explicit watched_echo(asio::ip::tcp::socket s) : async_chat(std::move(s)) {
        set_terminator("\n");
        set_output_high_water(1 << 20);
    }
    void collect_incoming_data(std::string_view d) { _collect_incoming_data(d); }
    void found_terminator() {
        push(_get_data() + "\n");
        if (queued_bytes() > max_queued) max_queued = queued_bytes();
    }
    std::size_t max_queued = 0;
};
} // namespace

TEST_CASE("a client that never reads cannot grow the server's queue past the high water",
          "[loopback][flow]") {
    asio::io_context ctx;
    asio::ip::tcp::acceptor acceptor(ctx, test::any_loopback_port());
    asio::ip::tcp::socket client(ctx), server_side(ctx);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server_side);
    auto ch = std::make_shared<watched_echo>(std::move(server_side));
    ch->start();

    // 100 MiB of lines, written as fast as the server lets us.
    std::string request;
    const std::string line = std::string(99, 'x') + "\n";
    while (request.size() < (100u << 20)) request += line;
    bool written = false;
    asio::async_write(client, asio::buffer(request), [&](const asynchat::error_code& ec, std::size_t) {
        REQUIRE_FALSE(ec);
        written = true;
    });
    // Until the server stops reading, the queue grows; then it must stay put.
    REQUIRE(test::run_until(ctx, [&] { return ch->queued_bytes() >= (1u << 20); }));
    for (int i = 0; i < 200; ++i) ctx.poll();
    CHECK_FALSE(written);  // the server stopped reading: TCP holds the client back
    CHECK(ch->max_queued <= (1u << 20) + 4096);

    // Now read everything: it all comes back, once.
    std::size_t received = 0;
    std::array<char, 65536> buf{};
    bool failed = false;
    std::function<void()> read_more = [&] {
        client.async_read_some(asio::buffer(buf), [&](const asynchat::error_code& ec, std::size_t n) {
            failed |= std::string_view(buf.data(), n).find_first_not_of("x\n") != std::string_view::npos;
            received += n;
            if (!ec && received < request.size()) read_more();
        });
    };
    read_more();
    REQUIRE(test::run_until(ctx, [&] { return written && received == request.size(); }, std::chrono::seconds(60)));
    CHECK_FALSE(failed);
    CHECK(ch->max_queued <= (1u << 20) + 4096);
}

namespace {
// The sibling of the default: a channel that turns Nagle's algorithm back on.
class nagle_channel : public asynchat::async_chat<nagle_channel> {
public:
    static constexpr bool tcp_nodelay = false;
    explicit nagle_channel(asio::ip::tcp::socket s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};
class nodelay_channel : public asynchat::async_chat<nodelay_channel> {
public:
    explicit nodelay_channel(asio::ip::tcp::socket s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

template <class Channel>
bool nodelay_after_start() {
    asio::io_context ctx;
    asio::ip::tcp::acceptor acceptor(ctx, test::any_loopback_port());
    asio::ip::tcp::socket client(ctx);
    client.connect(acceptor.local_endpoint());
    auto ch = std::make_shared<Channel>(acceptor.accept());
    asio::ip::tcp::no_delay before;
    ch->socket().get_option(before);
    REQUIRE_FALSE(before.value());  // the kernel's default: the channel must change it
    ch->start();
    asio::ip::tcp::no_delay option;
    ch->socket().get_option(option);
    ch->close();
    return option.value();
}
} // namespace

TEST_CASE("TCP_NODELAY is on for a started TCP channel, off if Derived says tcp_nodelay = false",
          "[loopback][options]") {
    CHECK(nodelay_after_start<nodelay_channel>());
    CHECK_FALSE(nodelay_after_start<nagle_channel>());
}

namespace {
// Echoes each "\r\n" line; records what it was given.
template <class Socket>
class idle_echo : public asynchat::async_chat<idle_echo<Socket>, Socket> {
    using base = asynchat::async_chat<idle_echo<Socket>, Socket>;

public:
    explicit idle_echo(Socket s) : base(std::move(s)) { this->set_terminator("\r\n"); }
    void collect_incoming_data(std::string_view d) { this->_collect_incoming_data(d); }
    void found_terminator() {
        ++records;
        this->push(this->_get_data() + "\r\n");
    }
    std::size_t records = 0;
};

// Sends `bytes` from the raw peer and reads `reply_size` bytes back.
template <class Socket>
std::string exchange(asio::io_context& ctx, Socket& peer, const std::string& bytes, std::size_t reply_size) {
    asio::write(peer, asio::buffer(bytes));
    std::string got(reply_size, '\0');
    bool done = reply_size == 0;
    if (!done)
        asio::async_read(peer, asio::buffer(got), [&](const asynchat::error_code&, std::size_t) { done = true; });
    REQUIRE(test::run_until(ctx, [&] { return done; }));
    return got;
}

template <class Socket>
void check_idle_holds_no_input_buffer(asio::io_context& ctx, Socket a, Socket& peer) {
    auto ch = std::make_shared<idle_echo<Socket>>(std::move(a));
    ch->start();
    // Idle from the start: waiting for readability, no buffer.
    REQUIRE(test::run_until(ctx, [&] { return ch->input_buffer_capacity() == 0; }, std::chrono::seconds(5)));

    CHECK(exchange(ctx, peer, "one\r\n", 5) == "one\r\n");
    // The line was framed and answered: idle again, the buffer given back.
    REQUIRE(test::run_until(ctx, [&] { return ch->input_buffer_capacity() == 0; }, std::chrono::seconds(5)));

    // Bytes passed on to collect_incoming_data need no buffer either.
    exchange(ctx, peer, "partial", 0);
    REQUIRE(test::run_until(ctx, [&] { return ch->record_in_progress(); }, std::chrono::seconds(5)));
    REQUIRE(test::run_until(ctx, [&] { return ch->input_buffer_capacity() == 0; }, std::chrono::seconds(5)));

    // A partial terminator must be kept: the buffer stays while it waits.
    exchange(ctx, peer, "-two\r", 0);
    REQUIRE(test::run_until(ctx, [&] { return ch->buffered_input() == "\r"; }, std::chrono::seconds(5)));
    CHECK(ch->input_buffer_capacity() >= asynchat::async_chat<idle_echo<Socket>, Socket>::ac_in_buffer_size);
    CHECK(exchange(ctx, peer, "\n", 13) == "partial-two\r\n");
    REQUIRE(test::run_until(ctx, [&] { return ch->input_buffer_capacity() == 0; }, std::chrono::seconds(5)));

    // A burst larger than many reads (full reads skip the wait): every line
    // comes back once, in order.
    std::string burst;
    for (int i = 0; i < 20000; ++i) burst += "line " + std::to_string(i) + "\r\n";
    CHECK(exchange(ctx, peer, burst, burst.size()) == burst);
    REQUIRE(test::run_until(ctx, [&] { return ch->input_buffer_capacity() == 0; }, std::chrono::seconds(5)));
    CHECK(ch->records == 20002);
    ch->close();
}
} // namespace

TEST_CASE("an idle channel on a TCP socket holds no input buffer", "[loopback][memory]") {
    asio::io_context ctx;
    asio::ip::tcp::acceptor acceptor(ctx, test::any_loopback_port());
    asio::ip::tcp::socket peer(ctx);
    peer.connect(acceptor.local_endpoint());
    check_idle_holds_no_input_buffer(ctx, acceptor.accept(), peer);
}

TEST_CASE("an idle channel on a Unix domain socket holds no input buffer", "[loopback][memory][unix]") {
    asio::io_context ctx;
    asio::local::stream_protocol::socket a(ctx), b(ctx);
    asio::local::connect_pair(a, b);
    check_idle_holds_no_input_buffer(ctx, std::move(a), b);
}
