// The channel over every kind of stream: TCP, Unix domain sockets and TLS
// (from the first byte, and switched on by STARTTLS). The same conversation
// runs over each: string and count terminators, a terminator changed in a
// hook, producers, close_when_done.
#include <asynchat/asynchat.hpp>
#include <asynchat/tls.hpp>

#include "support/loopback.hpp"
#include "support/stream_pairs.hpp"

#include "support/asio.hpp"
#include <catch2/catch.hpp>

#include <sys/ioctl.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

// Not in the anonymous namespace: clang would call the traits' members unused.
namespace user_stream_test {
struct user_socket;
}
template <>
struct asynchat::stream_traits<user_stream_test::user_socket> {
    static constexpr bool tls = false;
    static constexpr bool upgradable = false;
};

namespace {

using tcp_socket = asio::ip::tcp::socket;
using unix_socket = asio::local::stream_protocol::socket;
using tls_socket = asio::ssl::stream<tcp_socket>;

}  // namespace

// A stream of the user's own, with its own stream_traits specialization that
// names only what the README asks of one (no `policy`).
struct user_stream_test::user_socket : asio::ip::tcp::socket {
    explicit user_socket(asio::ip::tcp::socket s) : asio::ip::tcp::socket(std::move(s)) {}
};

namespace {
using user_stream_test::user_socket;

using test::client_tls;
using test::server_tls;
using test::tcp_pair;

}  // namespace

template <>
struct test::stream_pair<user_socket> {
    static std::pair<user_socket, user_socket> make(asio::io_context& ctx) {
        auto [s, c] = tcp_pair(ctx);
        return {user_socket(std::move(s)), user_socket(std::move(c))};
    }
};

namespace {

// The server side of the conversation:
//   "ECHO <text>\r\n"   -> "<text>\r\n"
//   "BLOB <n>\r\n" + n bytes -> "GOT <n> <first byte><last byte>\r\n"
//   "BIG <n>\r\n"      -> n bytes 'a'..'z' from a producer, then "\r\nEND\r\n"
//   "QUIT\r\n"         -> "BYE\r\n", close when done
template <class Stream>
class server_channel : public asynchat::async_chat<server_channel<Stream>, Stream> {
    using base = asynchat::async_chat<server_channel<Stream>, Stream>;

public:
    explicit server_channel(Stream s) : base(std::move(s)) { this->set_terminator("\r\n"); }
    void collect_incoming_data(std::string_view d) { record.append(d); }
    void found_terminator() {
        std::string r = std::move(record);
        record.clear();
        if (in_blob) {
            in_blob = false;
            this->set_terminator("\r\n");
            this->push("GOT " + std::to_string(r.size()) + " " + r.front() + r.back() + "\r\n");
        } else if (r.rfind("ECHO ", 0) == 0) {
            this->push(r.substr(5) + "\r\n");
        } else if (r.rfind("BLOB ", 0) == 0) {
            in_blob = true;
            this->set_terminator(std::stoul(r.substr(5)));
        } else if (r.rfind("BIG ", 0) == 0) {
            std::string data(std::stoul(r.substr(4)), '\0');
            for (std::size_t i = 0; i < data.size(); ++i) data[i] = char('a' + i % 26);
            this->push_with_producer(asynchat::simple_producer(std::move(data), 1000));
            this->push("\r\nEND\r\n");
        } else if (r == "QUIT") {
            this->push("BYE\r\n");
            this->close_when_done();
        } else {
            this->push("ERR\r\n");
        }
    }
    void handle_handshake() { ++handshakes; }
    void handle_close() {
        closed = true;
        this->close();
    }
    std::string record;
    bool in_blob = false;
    bool closed = false;
    int handshakes = 0;
};

// The client: sends a script, collects everything until the server closes.
template <class Stream>
class client_channel : public asynchat::async_chat<client_channel<Stream>, Stream> {
    using base = asynchat::async_chat<client_channel<Stream>, Stream>;

public:
    client_channel(Stream s, std::string script) : base(std::move(s)), script_(std::move(script)) {}
    void collect_incoming_data(std::string_view d) { received.append(d); }
    void found_terminator() {}
    void handle_connect() {}
    void handle_handshake() { ++handshakes; }
    void handle_eof() {
        eof = true;
        this->close();
    }
    void handle_error(const asynchat::error_code& ec) {
        error = ec;
        this->close();
    }
    void send_script() { this->push(script_); }
    std::string received;
    bool eof = false;
    asynchat::error_code error;
    int handshakes = 0;

private:
    std::string script_;
};

std::string expected_big(std::size_t n) {
    std::string data(n, '\0');
    for (std::size_t i = 0; i < n; ++i) data[i] = char('a' + i % 26);
    return data;
}

} // namespace

TEMPLATE_TEST_CASE("one conversation over TCP, Unix sockets, TLS and a user's stream", "[streams][tls][unix]",
                   tcp_socket, unix_socket, tls_socket, user_socket) {
    asio::io_context ctx;
    auto [s, c] = test::stream_pair<TestType>::make(ctx);
    const std::string blob = "<" + std::string(20000, 'b') + ">";
    const std::string script = "ECHO hello\r\nBLOB " + std::to_string(blob.size()) + "\r\n" + blob +
                               "ECHO after\r\nBIG 100000\r\nNOPE\r\nQUIT\r\nECHO never\r\n";
    auto server = std::make_shared<server_channel<TestType>>(std::move(s));
    auto client = std::make_shared<client_channel<TestType>>(std::move(c), script);
    server->start();
    client->start(asynchat::tls_role::client);
    client->send_script();  // pushed before the handshake: sent after it
    REQUIRE(test::run_until(ctx, [&] { return client->eof || client->error; }));
    CHECK(client->error == asynchat::error_code());
    CHECK(client->received == "hello\r\nGOT 20002 <>\r\nafter\r\n" + expected_big(100000) +
                                  "\r\nEND\r\nERR\r\nBYE\r\n");
    CHECK(server->closed);
    const int handshakes = std::is_same_v<TestType, tls_socket> ? 1 : 0;
    CHECK(server->handshakes == handshakes);
    CHECK(client->handshakes == handshakes);
}

TEST_CASE("a TLS channel closes with close_notify: the peer sees a clean end", "[tls]") {
    asio::io_context ctx;
    auto [s, c] = test::stream_pair<tls_socket>::make(ctx);
    auto server = std::make_shared<server_channel<tls_socket>>(std::move(s));
    server->start();
    // A raw TLS peer on its own thread, with blocking calls.
    asynchat::error_code read_end;
    std::string reply;
    std::atomic<bool> done{false};
    std::thread peer([&, c = std::move(c)]() mutable {
        c.handshake(asio::ssl::stream_base::client);
        asio::write(c, asio::buffer(std::string("QUIT\r\n")));
        char buf[64];
        for (;;) {
            asynchat::error_code ec;
            const std::size_t n = c.read_some(asio::buffer(buf), ec);
            reply.append(buf, n);
            if (ec) {
                read_end = ec;
                break;
            }
        }
        asynchat::error_code ignored;
        c.shutdown(ignored);  // answers the server's close_notify
        done = true;
    });
    REQUIRE(test::run_until(ctx, [&] { return done.load() && server->closed; }));
    test::run_until(ctx, [&] { return !server->socket().lowest_layer().is_open(); });
    peer.join();
    CHECK(reply == "BYE\r\n");
    CHECK(read_end == asio::error::eof);  // close_notify, not a cut connection
    CHECK_FALSE(server->socket().lowest_layer().is_open());
}

namespace {
// Says "BYE" to "QUIT" and closes when done, waiting for the peer's
// close_notify for as long as `tls_close_timeout` (here: "forever", the
// largest value of a type whose implicit conversion to nanoseconds overflows).
template <class Timeout>
class patient_closer : public asynchat::async_chat<patient_closer<Timeout>, tls_socket> {
    using base = asynchat::async_chat<patient_closer<Timeout>, tls_socket>;

public:
    static constexpr Timeout tls_close_timeout = Timeout::max();
    explicit patient_closer(tls_socket s) : base(std::move(s)) { this->set_terminator("\r\n"); }
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {
        this->push("BYE\r\n");
        this->close_when_done();
    }
    void handle_close() {
        closed = true;
        this->close();
    }
    bool closed = false;
};
} // namespace

TEMPLATE_TEST_CASE("a huge tls_close_timeout waits for close_notify instead of overflowing to 'now'",
                   "[tls][timeout]", std::chrono::milliseconds, std::chrono::hours, std::chrono::seconds) {
    asio::io_context ctx;
    auto [s, c] = test::stream_pair<tls_socket>::make(ctx);
    auto server = std::make_shared<patient_closer<TestType>>(std::move(s));
    server->start();
    std::atomic<bool> got_end{false};
    std::promise<void> release;
    std::thread peer([&, c = std::move(c), let_go = release.get_future()]() mutable {
        c.handshake(asio::ssl::stream_base::client);
        asio::write(c, asio::buffer(std::string("QUIT\r\n")));
        char buf[64];
        asynchat::error_code ec;
        while (!ec) c.read_some(asio::buffer(buf), ec);  // up to the server's close_notify
        got_end = true;
        let_go.wait();  // never answers close_notify: the server must keep waiting
        c.lowest_layer().close(ec);
    });
    struct joiner {  // on a failed REQUIRE too: free and join the peer
        std::function<void()> f;
        ~joiner() { f(); }
    } at_end{[&] {
        if (!peer.joinable()) return;
        asynchat::error_code ignored;
        server->socket().lowest_layer().close(ignored);
        try { release.set_value(); } catch (const std::future_error&) {}
        peer.join();
    }};
    REQUIRE(test::run_until(ctx, [&] { return got_end.load() && server->closed; }));
    // The close wait has begun; had its length overflowed it would end at once.
    CHECK_FALSE(test::run_until(ctx, [&] { return !server->socket().lowest_layer().is_open(); },
                                std::chrono::milliseconds(300)));
    CHECK(server->socket().lowest_layer().is_open());
    release.set_value();  // the peer cuts the connection: the goodbye fails, the socket closes
    CHECK(test::run_until(ctx, [&] { return !server->socket().lowest_layer().is_open(); }));
    peer.join();
}

namespace {
class handshake_watcher : public asynchat::async_chat<handshake_watcher, tls_socket> {
public:
    explicit handshake_watcher(tls_socket s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() { ++records; }
    void handle_handshake_error(const asynchat::error_code& ec) { failure = ec; }
    asynchat::error_code failure;
    int records = 0;
};
} // namespace

TEST_CASE("a failed TLS handshake reaches handle_handshake_error and closes", "[tls]") {
    asio::io_context ctx;
    auto [s, c] = tcp_pair(ctx);
    auto server = std::make_shared<handshake_watcher>(tls_socket(std::move(s), server_tls()));
    server->set_terminator("\r\n");
    server->start();
    asio::write(c, asio::buffer(std::string("HELO plaintext, not TLS\r\n")));
    REQUIRE(test::run_until(ctx, [&] { return bool(server->failure); }));
    CHECK(server->records == 0);  // nothing was read as a record
    CHECK_FALSE(server->connected());
    CHECK_FALSE(server->socket().lowest_layer().is_open());
}

TEST_CASE("the idle timeout bounds a stalled TLS handshake", "[tls][timeout]") {
    asio::io_context ctx;
    auto [s, c] = tcp_pair(ctx);
    auto server = std::make_shared<handshake_watcher>(tls_socket(std::move(s), server_tls()));
    server->set_idle_timeout(std::chrono::milliseconds(50));
    server->start();  // the client never says anything
    REQUIRE(test::run_until(ctx, [&] { return !server->socket().lowest_layer().is_open(); },
                            std::chrono::seconds(10)));
}

// ---------------------------------------------------------------- STARTTLS

namespace {
using starttls = asynchat::starttls_stream<>;

// A STARTTLS server: "STARTTLS" is answered "220 go ahead" (unless `quiet`)
// and switches to TLS; "ECHO x" is answered "x" and tells whether TLS is on.
class starttls_server : public asynchat::async_chat<starttls_server, starttls> {
public:
    starttls_server(tcp_socket s, asynchat::early_input early, bool quiet = false)
        : async_chat(starttls(std::move(s), server_tls())), early_(early), quiet_(quiet) {
        set_terminator("\r\n");
    }
    void collect_incoming_data(std::string_view d) { record.append(d); }
    void found_terminator() {
        std::string r = std::move(record);
        record.clear();
        records.push_back(r);
        if (r == "STARTTLS") {
            if (!quiet_) push("220 go ahead\r\n");
            start_tls(asynchat::tls_role::server, early_);
        } else if (r.rfind("ECHO ", 0) == 0) {
            push(r.substr(5) + (secure() ? " (tls)" : " (plain)") + "\r\n");
        }
    }
    void handle_handshake() { ++handshakes; }
    void handle_plaintext_after_starttls(std::string_view bytes) {
        discarded.append(bytes);
        async_chat::handle_plaintext_after_starttls(bytes);  // reports, then closes
    }
    void handle_error(const asynchat::error_code& ec) {
        errors.push_back(ec);
        close();
    }
    std::string record, discarded;
    std::vector<std::string> records;
    std::vector<asynchat::error_code> errors;
    int handshakes = 0;

private:
    asynchat::early_input early_;
    bool quiet_;
};

// A STARTTLS client channel: sends "ECHO one", "STARTTLS", and on "220"
// switches to TLS and sends "ECHO two" and "QUIT".
class starttls_client : public asynchat::async_chat<starttls_client, starttls> {
public:
    explicit starttls_client(tcp_socket s) : async_chat(starttls(std::move(s), client_tls())) {
        set_terminator("\r\n");
    }
    void collect_incoming_data(std::string_view d) { record.append(d); }
    void found_terminator() {
        lines.push_back(std::move(record));
        record.clear();
        if (lines.back().rfind("220", 0) == 0) {
            start_tls(asynchat::tls_role::client);
            push("ECHO two\r\n");  // after start_tls(): goes over TLS
        }
        if (lines.size() == 3) close();
    }
    void handle_handshake() { ++handshakes; }
    std::string record;
    std::vector<std::string> lines;
    int handshakes = 0;
};

// Waits until `n` bytes are readable on `socket` without reading them: the
// peer's bytes are all in the kernel before the channel's first read.
void await_readable(tcp_socket& socket, std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int available = 0;
    while (::ioctl(socket.native_handle(), FIONREAD, &available) == 0 && std::size_t(available) < n &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
}
} // namespace

TEST_CASE("STARTTLS: a plaintext conversation continues over TLS", "[tls][starttls]") {
    asio::io_context ctx;
    auto [s, c] = tcp_pair(ctx);
    auto server = std::make_shared<starttls_server>(std::move(s), asynchat::early_input::discard);
    auto client = std::make_shared<starttls_client>(std::move(c));
    server->start();
    client->start();
    client->push("ECHO one\r\nSTARTTLS\r\n");
    REQUIRE(test::run_until(ctx, [&] { return client->lines.size() == 3; }));
    CHECK(client->lines == std::vector<std::string>{"one (plain)", "220 go ahead", "two (tls)"});
    CHECK(server->handshakes == 1);
    CHECK(client->handshakes == 1);
    CHECK(server->errors.empty());
}

TEST_CASE("STARTTLS: plaintext sent after the command is discarded and reported, never executed",
          "[tls][starttls][hostile]") {
    asio::io_context ctx;
    auto [s, c] = tcp_pair(ctx);
    auto server = std::make_shared<starttls_server>(std::move(s), asynchat::early_input::discard);
    // The attack: the command and a command to run "inside" TLS in one packet.
    const std::string attack = "STARTTLS\r\nECHO injected\r\n";
    asio::write(c, asio::buffer(attack));
    await_readable(server->socket().next_layer(), attack.size());
    server->start();
    REQUIRE(test::run_until(ctx, [&] { return !server->errors.empty(); }));
    CHECK(server->records == std::vector<std::string>{"STARTTLS"});  // "ECHO injected" never ran
    CHECK(server->discarded == "ECHO injected\r\n");
    CHECK(server->errors.front() == asynchat::error::plaintext_after_starttls);
    CHECK_FALSE(server->connected());
}

TEST_CASE("STARTTLS: early_input::feed_to_tls takes a pipelined ClientHello", "[tls][starttls]") {
    asio::io_context ctx;
    auto [s, c] = tcp_pair(ctx);
    auto server = std::make_shared<starttls_server>(std::move(s), asynchat::early_input::feed_to_tls, true);
    // The peer sends STARTTLS and its ClientHello at once, then talks TLS.
    std::string reply;
    std::atomic<bool> done{false};
    tls_socket peer_stream(std::move(c), client_tls());
    std::thread peer([&] {
        asio::write(peer_stream.next_layer(), asio::buffer(std::string("STARTTLS\r\n")));
        asynchat::error_code ec;
        peer_stream.handshake(asio::ssl::stream_base::client, ec);
        if (!ec) {
            asio::write(peer_stream, asio::buffer(std::string("ECHO pipelined\r\n")), ec);
            char buf[64];
            while (!ec && reply.find("\r\n") == std::string::npos) {
                const std::size_t n = peer_stream.read_some(asio::buffer(buf), ec);
                reply.append(buf, n);
            }
        }
        done = true;
    });
    // Both the command and the ClientHello are in before the server reads.
    await_readable(server->socket().next_layer(), 10 + 100);
    server->start();
    const bool finished = test::run_until(ctx, [&] { return done.load(); }, std::chrono::seconds(5));
    if (!finished) peer_stream.next_layer().shutdown(asio::socket_base::shutdown_both);
    peer.join();
    REQUIRE(finished);
    CHECK(reply == "pipelined (tls)\r\n");
    CHECK(server->handshakes == 1);
    CHECK(server->discarded.empty());
}

TEST_CASE("STARTTLS: the same pipelined ClientHello is refused by default", "[tls][starttls][hostile]") {
    asio::io_context ctx;
    auto [s, c] = tcp_pair(ctx);
    auto server = std::make_shared<starttls_server>(std::move(s), asynchat::early_input::discard, true);
    asynchat::error_code handshake_result;
    std::atomic<bool> done{false};
    tls_socket peer_stream(std::move(c), client_tls());
    std::thread peer([&] {
        asio::write(peer_stream.next_layer(), asio::buffer(std::string("STARTTLS\r\n")));
        peer_stream.handshake(asio::ssl::stream_base::client, handshake_result);
        done = true;
    });
    await_readable(server->socket().next_layer(), 10 + 100);
    server->start();
    REQUIRE(test::run_until(ctx, [&] { return done.load(); }));
    peer.join();
    CHECK(handshake_result);  // the server never spoke TLS with those bytes
    CHECK(server->discarded.size() > 100);
    CHECK(server->handshakes == 0);
}

TEST_CASE("STARTTLS: the channel stays connected() during the handshake", "[tls][starttls]") {
    asio::io_context ctx;
    auto [s, c] = tcp_pair(ctx);
    auto server = std::make_shared<starttls_server>(std::move(s), asynchat::early_input::discard);
    server->start();
    asio::write(c, asio::buffer(std::string("STARTTLS\r\n")));
    // The reply is sent, the stream switched: the handshake waits for a
    // ClientHello that never comes.
    REQUIRE(test::run_until(ctx, [&] { return server->socket().secure(); }));
    CHECK(server->connected());
    CHECK_FALSE(server->secure());  // not secure until the handshake succeeds
    server->close();
    CHECK_FALSE(server->connected());
}
