// The read and write loops' synchronous path (plain sockets: the policy's
// transfers_at_once): a read or write is tried at once, without a trip
// through the reactor, and the loops go asynchronous when the socket has
// nothing (would_block), after a partial write, or after
// detail::at_once_rounds transfers in a row. Over real loopback sockets,
// everything on the test thread's io_context.
#include <asynchat/async_chat.hpp>

#include "support/loopback.hpp"

#include "support/asio.hpp"
#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace {

using tcp = asio::ip::tcp;
using test::tcp_pair;

// Answers each "\r\n"-terminated line: "BIG <n>" -> n bytes 'a'..'z' then
// "END\r\n"; "QUIT" -> "BYE\r\n" and close_when_done(); "DROP" -> "GONE\r\n"
// and close() at once (queued output dropped); anything else echoed.
class line_channel : public asynchat::async_chat<line_channel, tcp::socket> {
public:
    explicit line_channel(tcp::socket s) : async_chat(std::move(s)) { set_terminator("\r\n"); }
    void collect_incoming_data(std::string_view d) {
        record.append(d);
        collected += d.size();
    }
    void found_terminator() {
        std::string line;
        line.swap(record);
        if (line.compare(0, 4, "BIG ") == 0) {
            const std::size_t n = std::stoul(line.substr(4));
            std::string big(n, '\0');
            for (std::size_t i = 0; i < n; ++i) big[i] = static_cast<char>('a' + i % 26);
            push(std::move(big));
            push("END\r\n");
        } else if (line == "QUIT") {
            push("BYE\r\n");
            close_when_done();
        } else if (line == "DROP") {
            push("GONE\r\n");
            close();
        } else {
            push(line + "\r\n");
        }
    }
    void handle_close() {
        ++closes;
        close();
    }
    std::string record;
    std::size_t collected = 0;
    int closes = 0;
};

struct connection {
    std::shared_ptr<line_channel> channel;
    tcp::socket peer;
};

connection connect(asio::io_context& ctx) {
    auto [server, client] = tcp_pair(ctx);
    auto ch = std::make_shared<line_channel>(std::move(server));
    ch->start();
    client.non_blocking(true);
    return {std::move(ch), std::move(client)};
}

// Runs ready handlers until none is left (the channel waits for its peer).
void settle(asio::io_context& ctx) {
    while (ctx.poll() != 0) {
    }
}

void write_all(tcp::socket& s, const std::string& data) {
    s.non_blocking(false);
    asio::write(s, asio::buffer(data));
    s.non_blocking(true);
}

// Reads what the peer has now (non-blocking); true at EOF.
bool drain(tcp::socket& s, std::string& into) {
    char buf[65536];
    for (;;) {
        asynchat::error_code ec;
        const std::size_t n = s.read_some(asio::buffer(buf), ec);
        into.append(buf, n);
        if (ec == asio::error::eof) return true;
        if (ec) return false;  // would_block
    }
}

// Runs the channel's handlers and reads its peer until `done(received)`.
template <class Done>
bool run_reading(asio::io_context& ctx, tcp::socket& peer, std::string& received, bool& eof, Done done) {
    return test::run_until(ctx, [&] {
        if (drain(peer, received)) eof = true;
        return done();
    });
}

}  // namespace

TEST_CASE("sync path: a request is read and answered in the one handler its readability runs",
          "[sync_path]") {
    asio::io_context ctx;
    auto c = connect(ctx);
    settle(ctx);  // the channel now waits for readability
    for (int round = 0; round < 3; ++round) {
        write_all(c.peer, "hello\r\n");
        // Before the synchronous path: the wait, then the read's posted
        // completion, then the write's (3 handlers before the answer left).
        std::size_t handlers = 0;
        std::string received;
        while (received.size() < 7 && handlers < 10) {
            handlers += ctx.run_one_for(std::chrono::seconds(5));
            drain(c.peer, received);
        }
        CHECK(received == "hello\r\n");
        CHECK(handlers == 1);
        CHECK(ctx.poll() == 0);  // nothing left over: waiting again
    }
}

TEST_CASE("sync path: transfers at once leave the socket's mode alone (non_blocking() stays false)",
          "[sync_path]") {
    // The channel reads and writes at once with MSG_DONTWAIT; the mode
    // set on socket() stays the user's (Asio's default: blocking), so a
    // synchronous read_some or write_some of theirs waits instead of
    // failing with would_block. (Seen failing when the policy set
    // non_blocking(true) on the first transfer.)
    asio::io_context ctx;
    auto c = connect(ctx);
    settle(ctx);
    write_all(c.peer, "hello\r\n");
    std::string received;
    for (int i = 0; i < 10 && received.size() < 7; ++i) {
        ctx.run_one_for(std::chrono::seconds(5));
        drain(c.peer, received);
    }
    REQUIRE(received == "hello\r\n");  // answered at once (see the test above)
    CHECK_FALSE(c.channel->socket().non_blocking());
    // And it is still the channel's to read: the next request is answered.
    write_all(c.peer, "again\r\n");
    received.clear();
    for (int i = 0; i < 10 && received.size() < 7; ++i) {
        ctx.run_one_for(std::chrono::seconds(5));
        drain(c.peer, received);
    }
    CHECK(received == "again\r\n");
    CHECK_FALSE(c.channel->socket().non_blocking());
}

TEST_CASE("sync path: pipelined requests are answered in order, then close_when_done closes",
          "[sync_path]") {
    asio::io_context ctx;
    auto c = connect(ctx);
    std::string req, expected;
    for (int i = 0; i < 200; ++i) {
        req += "line " + std::to_string(i) + "\r\n";
        expected += "line " + std::to_string(i) + "\r\n";
    }
    req += "QUIT\r\nnot answered\r\n";
    expected += "BYE\r\n";
    write_all(c.peer, req);
    std::string received;
    bool eof = false;
    REQUIRE(run_reading(ctx, c.peer, received, eof, [&] { return eof; }));
    CHECK(received == expected);
    CHECK(c.channel->closes == 1);
}

TEST_CASE("sync path: a hook that closes inside a read completed at once drops the queued answer",
          "[sync_path]") {
    asio::io_context ctx;
    auto c = connect(ctx);
    write_all(c.peer, "one\r\nDROP\r\nthree\r\n");
    std::string received;
    bool eof = false;
    REQUIRE(run_reading(ctx, c.peer, received, eof, [&] { return eof; }));
    // "one" may have left before DROP was framed (one gathered write per
    // read: not before); "GONE" and "three" never do.
    CHECK((received.empty() || received == "one\r\n"));
    CHECK(c.channel->collected == 3 + 4 + 0);
    CHECK(c.channel->closes == 0);  // close() is not handle_close()
}

TEST_CASE("sync path: a write completed partly at once finishes asynchronously, in FIFO order",
          "[sync_path]") {
    asio::io_context ctx;
    auto c = connect(ctx);
    // More than the socket buffers hold (Linux: tcp_wmem's 4 MiB at most,
    // and the receive buffer set here): the answer cannot leave at once.
    // (Not smaller: a window under one loopback segment waits for delayed
    // ACKs.)
    c.peer.set_option(asio::socket_base::receive_buffer_size(256 * 1024));
    const std::size_t n = 12 * 1024 * 1024;
    write_all(c.peer, "BIG " + std::to_string(n) + "\r\nafter\r\nQUIT\r\n");
    // The handler that reads the request writes at once at most
    // at_once_rounds times, then goes asynchronous (Asio's own first try
    // included): a channel with much to send lets the others run.
    REQUIRE(ctx.run_one_for(std::chrono::seconds(5)) == 1);
    const std::size_t first = c.peer.available();
    CHECK(first > 0);
    CHECK(first <= (asynchat::detail::at_once_rounds + 1) * line_channel::ac_out_buffer_size);
    // The peer does not read yet: the channel's writes stop on a full socket.
    settle(ctx);
    std::string received;
    bool eof = false;
    const bool finished = run_reading(ctx, c.peer, received, eof, [&] { return eof; });
    INFO("received " << received.size());
    REQUIRE(finished);
    REQUIRE(received.size() == n + 5 + 7 + 5);
    bool pattern = true;
    for (std::size_t i = 0; i < n && pattern; ++i) pattern = received[i] == static_cast<char>('a' + i % 26);
    CHECK(pattern);
    CHECK(received.substr(n) == "END\r\nafter\r\nBYE\r\n");
}

TEST_CASE("sync path: a peer that keeps its socket readable does not starve another channel",
          "[sync_path]") {
    asio::io_context ctx;
    auto flooded = connect(ctx);
    auto other = connect(ctx);
    flooded.peer.set_option(asio::socket_base::send_buffer_size(1 << 20));
    settle(ctx);
    // Fill the flooded channel's socket with one endless record: more than
    // at_once_rounds reads of ac_in_buffer_size bytes can take.
    const std::size_t per_handler = asynchat::detail::at_once_rounds * line_channel::ac_in_buffer_size;
    std::size_t sent = 0;
    const std::string chunk(4096, 'x');
    for (;;) {
        asynchat::error_code ec;
        const std::size_t k = flooded.peer.write_some(asio::buffer(chunk), ec);
        sent += k;
        if (ec) break;  // would_block: the socket buffers are full
    }
    REQUIRE(sent > 4 * per_handler);
    // One handler reads at most at_once_rounds times, then goes asynchronous.
    REQUIRE(ctx.run_one_for(std::chrono::seconds(5)) == 1);
    CHECK(flooded.channel->collected > 0);
    CHECK(flooded.channel->collected <= per_handler);
    // The other channel is answered while the flooded one still has bytes
    // waiting.
    write_all(other.peer, "ping\r\n");
    std::string received;
    bool eof = false;
    REQUIRE(run_reading(ctx, other.peer, received, eof, [&] { return received.size() >= 6; }));
    CHECK(received == "ping\r\n");
    CHECK(flooded.channel->collected < sent);
    // And the flooded one gets all of it in the end.
    REQUIRE(test::run_until(ctx, [&] {
        std::string ignored;
        drain(flooded.peer, ignored);
        return flooded.channel->collected == sent;
    }));
}

TEST_CASE("sync path: a peer that reset the connection ends in handle_close, not an error", "[sync_path]") {
    asio::io_context ctx;
    auto c = connect(ctx);
    settle(ctx);
    write_all(c.peer, "BIG 1000000\r\n");
    // Linger 0: the close sends a reset; the channel's write or read fails.
    c.peer.set_option(asio::socket_base::linger(true, 0));
    c.peer.close();
    REQUIRE(test::run_until(ctx, [&] { return c.channel->closes == 1; }));
}

// ---- at once only inside the channel's own completions ---------------------
//
// push(), close_when_done() and initiate_send() called from outside the
// channel's handlers (a broadcast loop, a timer, another channel's hook)
// start an asynchronous write, as CPython's push -> initiate_send, which
// never reads and never runs handle_close: an error and the read that follows
// arrive later through the write's completion, which holds the channel.

namespace {

// Resets the connection (SO_LINGER 0): the channel's next write fails with
// ECONNRESET or EPIPE.
void reset(tcp::socket& peer) {
    peer.set_option(asio::socket_base::linger(true, 0));
    peer.close();
}

// A session in a registry: "hello" pauses input (readable() false) and
// answers; "DROP" removes the session from the registry (its last
// shared_ptr outside the channel's own handlers) and closes it.
class session : public asynchat::async_chat<session, tcp::socket> {
public:
    session(tcp::socket s, std::vector<std::shared_ptr<session>>& registry, const bool& in_push)
        : async_chat(std::move(s)), registry_(registry), in_push_(in_push) {
        set_terminator("\r\n");
    }
    bool readable() const { return accepting; }
    void collect_incoming_data(std::string_view d) { record.append(d); }
    void found_terminator() {
        if (in_push_) ++hooks_in_push;
        std::string line;
        line.swap(record);
        if (line == "hello") {
            accepting = false;
            push("hi\r\n");
        } else if (line == "DROP") {
            push("GONE\r\n");
            close_when_done();
            // Keeps the channel alive only through its own handlers.
            for (auto it = registry_.begin(); it != registry_.end(); ++it)
                if (it->get() == this) {
                    registry_.erase(it);
                    break;
                }
            ++dropped;
        }
    }
    void handle_close() {
        if (in_push_) ++hooks_in_push;
        close();
    }
    bool accepting = true;
    std::string record;
    static inline int hooks_in_push = 0;
    static inline int dropped = 0;

private:
    std::vector<std::shared_ptr<session>>& registry_;
    const bool& in_push_;
};

// handle_close() pushes a goodbye and leaves the channel open: records how
// deep its calls nest and how often it is called (once: a failed transfer
// ends the channel after its hook).
class stubborn_channel : public asynchat::async_chat<stubborn_channel, tcp::socket> {
public:
    explicit stubborn_channel(tcp::socket s) : async_chat(std::move(s)) { set_terminator("\r\n"); }
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
    void handle_close() {
        ++depth;
        if (depth > max_depth) max_depth = depth;
        ++closes;
        push("bye\r\n");
        --depth;
    }
    int depth = 0;
    int max_depth = 0;
    int closes = 0;
};

}  // namespace

TEST_CASE("sync path: push() from a broadcast loop to a reset peer runs no hook inside push()", "[sync_path]") {
    asio::io_context ctx;
    std::vector<connection> conns;
    for (int i = 0; i < 3; ++i) conns.push_back(connect(ctx));
    settle(ctx);  // every channel waits for readability
    reset(conns[1].peer);
    for (auto& c : conns) {
        c.channel->push("news\r\n");
        // The failed write is reported later, through its completion.
        CHECK(c.channel->closes == 0);
    }
    REQUIRE(test::run_until(ctx, [&] { return conns[1].channel->closes == 1; }));
    CHECK(conns[0].channel->closes == 0);
    CHECK(conns[2].channel->closes == 0);
    for (int i : {0, 2}) {
        std::string got;
        bool eof = false;
        REQUIRE(run_reading(ctx, conns[i].peer, got, eof, [&] { return got == "news\r\n"; }));
    }
}

TEST_CASE("sync path: push() from outside reads nothing: held input is framed in the write's completion",
          "[sync_path]") {
    asio::io_context ctx;
    auto [server, client] = tcp_pair(ctx);
    bool in_push = false;
    session::hooks_in_push = 0;
    session::dropped = 0;
    std::vector<std::shared_ptr<session>> registry;
    registry.push_back(std::make_shared<session>(std::move(server), registry, in_push));
    registry.back()->start();
    client.non_blocking(true);
    write_all(client, "hello\r\nDROP\r\n");
    std::string got;
    bool eof = false;
    // "hello" pauses input: "DROP" is held back.
    REQUIRE(run_reading(ctx, client, got, eof, [&] { return got == "hi\r\n"; }));
    settle(ctx);
    REQUIRE(registry.size() == 1);
    // A broadcast, from outside the channel's handlers, after input resumed.
    registry[0]->accepting = true;
    in_push = true;
    for (std::size_t i = 0; i < registry.size(); ++i) registry[i]->push("news\r\n");
    in_push = false;
    CHECK(session::hooks_in_push == 0);  // no found_terminator/handle_close inside push()
    REQUIRE(registry.size() == 1);       // the held "DROP" is framed later
    // The write's completion resumes reading: "DROP" drops the session from
    // the registry while its own handler keeps it alive (ASan: no use after free).
    REQUIRE(run_reading(ctx, client, got, eof, [&] { return eof; }));
    CHECK(session::dropped == 1);
    CHECK(registry.empty());
    CHECK(got == "hi\r\nnews\r\nGONE\r\n");
}

TEST_CASE("sync path: a handle_close() that pushes does not nest (reset peer)", "[sync_path]") {
    asio::io_context ctx;
    auto [server, client] = tcp_pair(ctx);
    auto ch = std::make_shared<stubborn_channel>(std::move(server));
    ch->start();
    settle(ctx);
    SECTION("the reset is found by a read") {
        reset(client);
    }
    SECTION("the reset is found by a push from outside") {
        reset(client);
        ch->push("one\r\n");
        CHECK(ch->closes == 0);
    }
    // A failed transfer ends the channel: handle_close() runs once, its push
    // starts no write, and the channel is closed after it though it asked to
    // stay open (tests/async_chat_reset_test.cpp has the kind).
    REQUIRE(test::run_until(ctx, [&] { return !ch->connected(); }));
    settle(ctx);
    CHECK(ch->max_depth == 1);
    CHECK(ch->closes == 1);
}

TEST_CASE("sync path: a transfer interrupted by a signal (EINTR) is retried later, not an error", "[sync_path]") {
    CHECK(asynchat::detail::would_block(asio::error::would_block));
    CHECK(asynchat::detail::would_block(asio::error::try_again));
    CHECK(asynchat::detail::would_block(asio::error::interrupted));
    CHECK_FALSE(asynchat::detail::would_block(asio::error::connection_reset));
    CHECK_FALSE(asynchat::detail::would_block(asio::error::eof));
    CHECK_FALSE(asynchat::detail::would_block(asynchat::error_code()));
}
