// dispatcher and server: accepting, errors, lifetime, connection churn.
#include "support/loopback.hpp"

#include <asynchat/async_chat.hpp>
#include <asynchat/dispatcher.hpp>
#include <asynchat/server.hpp>

#include "support/asio.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace {

std::atomic<int> live_channels{0};
std::atomic<int> channels_made{0};

class echo : public asynchat::async_chat<echo> {
public:
    explicit echo(asio::ip::tcp::socket s, std::string prefix = "")
        : async_chat(std::move(s)), prefix_(std::move(prefix)) {
        ++live_channels;
        ++channels_made;
        set_terminator("\n");
    }
    ~echo() { --live_channels; }
    void collect_incoming_data(std::string_view d) { _collect_incoming_data(d); }
    void found_terminator() {
        const std::string line = _get_data();
        if (line == "bye") {
            push("bye\n");
            close_when_done();
        } else {
            push(prefix_ + line + "\n");
        }
    }

private:
    std::string prefix_;
};

// True if nothing listens at `where` any more.
bool refused(asio::io_context& ctx, const asio::ip::tcp::endpoint& where) {
    asio::ip::tcp::socket s(ctx);
    asynchat::error_code ec;
    s.connect(where, ec);
    return ec == asio::error::connection_refused;
}

std::string ask(asio::io_context& ctx, asio::ip::tcp::socket& s, const std::string& line) {
    asio::write(s, asio::buffer(line + "\n"));
    asio::streambuf buf;
    bool done = false;
    std::string reply;
    asio::async_read_until(s, buf, '\n', [&](const asynchat::error_code&, std::size_t n) {
        reply.assign(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + static_cast<std::ptrdiff_t>(n));
        done = true;
    });
    REQUIRE(test::run_until(ctx, [&] { return done; }));
    return reply;
}

} // namespace

TEST_CASE("server makes one channel per connection, with extra constructor arguments", "[server]") {
    asio::io_context ctx;
    asynchat::server<echo> srv(ctx, test::any_loopback_port(), std::string("> "));
    CHECK(srv.listening());
    std::vector<asio::ip::tcp::socket> clients;
    for (int i = 0; i < 5; ++i) {
        clients.emplace_back(ctx);
        clients.back().connect(srv.local_endpoint());
    }
    for (int round = 0; round < 3; ++round)
        for (std::size_t i = 0; i < clients.size(); ++i) {
            const std::string msg = "client " + std::to_string(i) + " round " + std::to_string(round);
            CHECK(ask(ctx, clients[i], msg) == "> " + msg + "\n");
        }
    CHECK(live_channels == 5);
    CHECK(ask(ctx, clients[0], "bye") == "bye\n");
    clients.clear();  // the others just disconnect
    REQUIRE(test::run_until(ctx, [] { return live_channels == 0; }));
}

TEST_CASE("listening on an address in use throws system_error", "[server]") {
    asio::io_context ctx;
    asynchat::server<echo> first(ctx, test::any_loopback_port());
    CHECK_THROWS_AS(asynchat::server<echo>(ctx, first.local_endpoint()), test::system_error);
}

namespace {
class recording_dispatcher : public asynchat::dispatcher<recording_dispatcher> {
public:
    explicit recording_dispatcher(asio::io_context& ctx) : dispatcher(ctx) {}
    void handle_accepted(socket_type socket, const endpoint_type& peer) {
        peers.push_back(peer);
        if (peers.size() == 1) throw std::runtime_error("first one fails");
        sockets.push_back(std::move(socket));
    }
    void handle_error(std::exception_ptr) { ++exceptions; }
    std::vector<endpoint_type> peers;
    std::vector<socket_type> sockets;
    int exceptions = 0;
};
} // namespace

TEST_CASE("dispatcher hands over socket and peer; a throwing hook does not stop accepting",
          "[dispatcher]") {
    asio::io_context ctx;
    recording_dispatcher d(ctx);
    d.listen(test::any_loopback_port());
    asio::ip::tcp::socket a(ctx), b(ctx);
    a.connect(d.local_endpoint());
    b.connect(d.local_endpoint());
    REQUIRE(test::run_until(ctx, [&] { return d.peers.size() == 2; }));
    CHECK(d.exceptions == 1);
    REQUIRE(d.sockets.size() == 1);
    CHECK(d.peers[0] == a.local_endpoint());
    CHECK(d.peers[1] == b.local_endpoint());
    CHECK(d.sockets[0].remote_endpoint() == b.local_endpoint());
}

TEST_CASE("destroying a dispatcher with an accept pending is safe", "[dispatcher][lifetime]") {
    asio::io_context ctx;
    asio::ip::tcp::endpoint where;
    {
        recording_dispatcher d(ctx);
        d.listen(test::any_loopback_port());
        where = d.local_endpoint();
        ctx.poll();
    }
    ctx.restart();
    ctx.run();  // the aborted accept completes with nobody to call
    CHECK(refused(ctx, where));
}

TEST_CASE("close() stops accepting and leaves live channels alone", "[server]") {
    asio::io_context ctx;
    asynchat::server<echo> srv(ctx, test::any_loopback_port());
    asio::ip::tcp::socket c(ctx);
    c.connect(srv.local_endpoint());
    CHECK(ask(ctx, c, "before") == "before\n");
    const auto where = srv.local_endpoint();
    srv.close();
    CHECK_FALSE(srv.listening());
    CHECK(ask(ctx, c, "after") == "after\n");
    CHECK(refused(ctx, where));
}

TEST_CASE("10,000 connect/disconnect cycles leave no channel behind", "[server][lifetime]") {
    asio::io_context ctx;
    asynchat::server<echo> srv(ctx, test::any_loopback_port());
    const int made_before = channels_made;
    for (int i = 0; i < 10000; ++i) {
        asio::ip::tcp::socket c(ctx);
        c.connect(srv.local_endpoint());
        if (i % 2) {
            c.set_option(asio::socket_base::linger(true, 0));  // half of them reset
        } else {
            asio::write(c, asio::buffer(std::string("hi\n")));
        }
        c.close();
        ctx.poll();
    }
    REQUIRE(test::run_until(ctx, [] { return live_channels == 0; }));
    CHECK(channels_made - made_before >= 5000);  // every graceful one at least was served
}

TEST_CASE("strand_per_connection puts each channel on its own strand", "[server][threads]") {
    asio::io_context ctx;
    asynchat::server_options options;
    options.connections = asynchat::threading::strand_per_connection;
    asynchat::server<echo> srv(options, ctx, test::any_loopback_port());
    auto ex = srv.executor_for_connection();
    CHECK(ex.target_type() == typeid(asio::strand<asio::any_io_executor>));
    asio::ip::tcp::socket c(ctx);
    c.connect(srv.local_endpoint());
    CHECK(ask(ctx, c, "on a strand") == "on a strand\n");
}

TEST_CASE("reuse_port lets two servers share one port", "[server]") {
    asio::io_context ctx;
    asynchat::server_options options;
    options.reuse_port = true;
    asynchat::server<echo> first(options, ctx, test::any_loopback_port(), std::string("1:"));
    asynchat::server<echo> second(options, ctx, first.local_endpoint(), std::string("2:"));
    CHECK(second.local_endpoint() == first.local_endpoint());
    std::vector<asio::ip::tcp::socket> clients;
    bool saw_first = false, saw_second = false;
    for (int i = 0; i < 64 && !(saw_first && saw_second); ++i) {
        clients.emplace_back(ctx);
        clients.back().connect(first.local_endpoint());
        const std::string reply = ask(ctx, clients.back(), "x");
        saw_first |= reply == "1:x\n";
        saw_second |= reply == "2:x\n";
    }
    CHECK(saw_first);
    CHECK(saw_second);  // the kernel spread the connections
}

namespace {
// Holds what it accepts, and counts accept errors.
class hoarding_dispatcher : public asynchat::dispatcher<hoarding_dispatcher> {
public:
    explicit hoarding_dispatcher(asio::io_context& ctx) : dispatcher(ctx) {}
    void handle_accepted(socket_type socket, const endpoint_type&) { held.push_back(std::move(socket)); }
    void handle_error(const asynchat::error_code& ec) { errors.push_back(ec); }
    std::vector<socket_type> held;
    std::vector<asynchat::error_code> errors;
};

// Lowers the descriptor limit for the scope of a test.
struct descriptor_limit {
    rlimit saved{};
    explicit descriptor_limit(rlim_t soft) {
        ::getrlimit(RLIMIT_NOFILE, &saved);
        rlimit lowered = saved;
        lowered.rlim_cur = soft;
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    }
    ~descriptor_limit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
};

// Takes every free descriptor but `spare`, and gives them back at the end.
// It asserts nothing itself: while descriptors are exhausted even the test
// framework may fail (UBSan's vptr check opens a pipe), so the test records
// what it saw and asserts only once descriptors are back.
struct descriptor_filler {
    std::vector<int> fds;
    bool exhausted = false;
    explicit descriptor_filler(std::size_t spare) {
        for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fds.push_back(fd);
        exhausted = errno == EMFILE && fds.size() >= spare;
        for (; spare > 0 && !fds.empty(); --spare) {
            ::close(fds.back());
            fds.pop_back();
        }
    }
    ~descriptor_filler() { release(); }
    void release() {
        for (int fd : fds) ::close(fd);
        fds.clear();
    }
};
} // namespace

TEST_CASE("out of descriptors, accepting backs off and resumes", "[dispatcher][emfile]") {
    asio::io_context ctx;
    hoarding_dispatcher d(ctx);
    d.listen(test::any_loopback_port());
    // Client sockets are made first: connecting needs no new descriptor.
    std::vector<asio::ip::tcp::socket> clients;
    for (int i = 0; i < 12; ++i) {
        clients.emplace_back(ctx);
        clients.back().open(asio::ip::tcp::v4());
    }
    // UBSan's vptr check (clang's runtime) validates a type it has not seen
    // through a pipe: with no descriptor left, it cannot, and reports a false
    // "invalid vptr" on Asio's timer queue when the acceptor's retry delay is
    // first scheduled. One timer wait beforehand puts that type in the
    // check's cache, so the exhausted phase needs no pipe.
    {
        asio::steady_timer warm(ctx, std::chrono::milliseconds(0));
        bool waited = false;
        warm.async_wait([&](const asynchat::error_code&) { waited = true; });
        REQUIRE(test::run_until(ctx, [&] { return waited; }));
    }
    // What the test saw while descriptors were exhausted; asserted afterwards.
    bool filled = false, backed_off = false, resumed = false;
    std::size_t held_while_exhausted = 0, errors_while_exhausted = 0;
    asynchat::error_code first_error;
    {
        descriptor_limit limit(1024);
        descriptor_filler filler(4);  // room for exactly 4 accepts
        filled = filler.exhausted;
        for (auto& c : clients) c.connect(d.local_endpoint());
        const auto start = std::chrono::steady_clock::now();
        backed_off = test::run_until(ctx, [&] { return d.held.size() == 4 && !d.errors.empty(); });
        // Exhausted: the acceptor waits between attempts instead of spinning.
        test::run_until(ctx, [&] { return std::chrono::steady_clock::now() - start > std::chrono::milliseconds(500); });
        held_while_exhausted = d.held.size();
        errors_while_exhausted = d.errors.size();
        if (!d.errors.empty()) first_error = d.errors.front();
        d.held.clear();  // descriptors come back
        resumed = test::run_until(ctx, [&] { return d.held.size() >= 4; });
        filler.release();
    }
    REQUIRE(filled);
    REQUIRE(backed_off);
    CHECK(held_while_exhausted == 4);
    CHECK(errors_while_exhausted <= 10);  // about one per accept_retry_delay, not thousands
    CHECK(first_error == asio::error::no_descriptors);
    REQUIRE(resumed);
    REQUIRE(test::run_until(ctx, [&] { return d.held.size() == 8; }));  // the limit lifted: the rest
}
