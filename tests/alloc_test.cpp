// Steady-state allocation counts. This executable replaces the global
// operator new (and aligned_alloc, where Asio's operations come from) with
// versions that count calls made on the current thread while counting is
// switched on, so the framing core and a live channel can be held to "no
// heap allocation per record" once warmed up.
#include <asynchat/asynchat.hpp>

#include "support/asio.hpp"

#define COUNTING_NEW_ALIGNED_ALLOC 1  // Asio's operations count too
#include "support/counting_new.hpp"
#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using counting_new::allocation_counter;
using counting_new::fail_in;

namespace {
// What an echo server does: queue every piece and the terminator.
struct echo_sink {
    asynchat::output_queue& out;
    std::size_t records = 0;
    void collect_incoming_data(std::string_view d) { out.push(d, 4096); }
    void found_terminator() {
        out.push(std::string_view("\r\n"), 4096);
        ++records;
    }
};

} // namespace

TEST_CASE("the counting allocator sees an allocation", "[alloc]") {
    // The check below is only meaningful if this one can fail.
    allocation_counter counter;
    std::string s(1000, 'x');
    CHECK(counter.count() >= 1);
}

TEST_CASE("the counting allocator sees an Asio operation", "[alloc]") {
    // Outside run() Asio has no per-thread cache: the posted operation is
    // allocated, through aligned_alloc, which the counter must see.
    asio::io_context ctx;
    std::size_t count = 0;
    {
        allocation_counter counter;
        asio::post(ctx, [] {});
        count = counter.count();
    }
    CHECK(count >= 1);
    ctx.run();
}

namespace {
// 10,000 64-byte lines, built before any counting starts.
std::string ten_thousand_lines() {
    std::string stream;
    for (int i = 0; i < 10'000; ++i) stream += std::string(62, char('a' + i % 26)) + "\r\n";
    return stream;
}

// Keeps the current record in a reused string, as a line protocol would.
struct line_sink {
    std::string line;
    std::size_t records = 0;
    void collect_incoming_data(std::string_view d) { line.append(d); }
    void found_terminator() {
        line.clear();
        ++records;
    }
};
} // namespace

TEST_CASE("framing 64-byte lines allocates nothing per record once warm", "[alloc][framer]") {
    const std::string stream = ten_thousand_lines();
    for (std::size_t read_size : {1, 7, 64, 100, 4096, 65536}) {
        CAPTURE(read_size);
        asynchat::framer f("\r\n");
        line_sink sink;
        auto feed_all = [&] {
            for (std::size_t at = 0; at < stream.size(); at += read_size)
                f.feed(std::string_view(stream).substr(at, read_size), sink);
        };
        feed_all();  // warm: the input buffer and the line reach their size
        allocation_counter counter;
        feed_all();
        CHECK(sink.records == 20'000);
        CHECK(counter.count() == 0);
    }
}

TEST_CASE("echoing 64-byte lines through the output queue allocates nothing once warm", "[alloc][framer]") {
    // Reads of at most ac_in_buffer_size (4096), as a channel makes them,
    // each drained by one write: the queue reuses its copy buffer.
    const std::string stream = ten_thousand_lines();
    for (std::size_t read_size : {1, 7, 64, 100, 4096}) {
        CAPTURE(read_size);
        asynchat::framer f("\r\n");
        asynchat::output_queue out;
        echo_sink sink{out};
        auto feed_all = [&] {
            for (std::size_t at = 0; at < stream.size(); at += read_size) {
                f.feed(std::string_view(stream).substr(at, read_size), sink);
                for (std::size_t n; (n = out.gather(64 * 1024, 16, [](const char*, std::size_t) {})) != 0;)
                    out.consume(n);
            }
        };
        feed_all();
        allocation_counter counter;
        feed_all();
        CHECK(sink.records == 20'000);
        CHECK(counter.count() == 0);
    }
}

TEST_CASE("a count terminator allocates nothing per record once warm", "[alloc][framer]") {
    // The bulk protocol: "SIZE n\r\n" then n bytes, as the benchmark does.
    struct bulk_sink {
        asynchat::framer* f;
        std::size_t records = 0;
        bool in_body = false;
        void collect_incoming_data(std::string_view) {}
        void found_terminator() {
            ++records;
            in_body = !in_body;
            if (in_body) f->set_terminator(std::size_t{1000});
            else f->set_terminator("\r\n");
        }
    };
    asynchat::framer f("\r\n");
    bulk_sink sink{&f};
    std::string stream;
    for (int i = 0; i < 1000; ++i) stream += "SIZE 1000\r\n" + std::string(1000, 'b');
    auto feed_all = [&] {
        for (std::size_t at = 0; at < stream.size(); at += 4096) f.feed(std::string_view(stream).substr(at, 4096), sink);
    };
    feed_all();
    allocation_counter counter;
    feed_all();
    CHECK(sink.records == 4000);
    CHECK(counter.count() == 0);
}

namespace {
class echo_channel : public asynchat::async_chat<echo_channel> {
public:
    explicit echo_channel(asio::ip::tcp::socket s) : async_chat(std::move(s)) { set_terminator("\r\n"); }
    void collect_incoming_data(std::string_view d) { push(d); }
    void found_terminator() {
        push("\r\n");
        if (++records == warm_after) counter.emplace();
        if (records == warm_after + measured) allocations_measured = counter->count(), counter.reset();
    }
    std::size_t records = 0;
    std::size_t warm_after = 0, measured = 0;
    std::optional<allocation_counter> counter;
    std::size_t allocations_measured = static_cast<std::size_t>(-1);
};

// Runs `ctx` while a peer on its own thread (blocking calls: its allocations
// are not counted) sends `window` `rounds` times, each time reading the echo
// back and comparing it with `expected` (so at most one window is in
// flight), then shuts down its sending side. `ran` says whether the run
// ended, `echoed_ok` whether every echo matched.
struct window_peer_result {
    bool ran = false;
    bool echoed_ok = false;
};
window_peer_result run_window_peer(asio::io_context& ctx, asio::ip::tcp::socket& client, const std::string& window,
                                   const std::string& expected, std::size_t rounds) {
    std::atomic<bool> peer_ok{false}, peer_done{false};
    std::thread peer([&] {
        std::string echoed(expected.size(), '\0');
        bool ok = true;
        for (std::size_t round = 0; round < rounds; ++round) {
            asio::write(client, asio::buffer(window));
            asio::read(client, asio::buffer(echoed));
            ok = ok && echoed == expected;
        }
        client.shutdown(asio::ip::tcp::socket::shutdown_send);
        peer_ok = ok;
        peer_done = true;
    });
    window_peer_result r;
    r.ran = test::run_until(ctx, [&] { return peer_done.load(); });
    peer.join();
    r.echoed_ok = peer_ok;
    return r;
}
} // namespace

TEST_CASE("a live echo channel allocates nothing per record once warm", "[alloc][async_chat]") {
    constexpr std::size_t lines = 320 * 64, warm = 5'000, measured = 10'000;
    asio::io_context ctx;
    asio::ip::tcp::acceptor acceptor(ctx, test::any_loopback_port());
    asio::ip::tcp::socket client(ctx);
    client.connect(acceptor.local_endpoint());
    auto ch = std::make_shared<echo_channel>(acceptor.accept());
    ch->warm_after = warm;
    ch->measured = measured;
    ch->start();

    // At most 64 lines in flight.
    std::string window;
    for (int i = 0; i < 64; ++i) window += std::string(62, 'x') + "\r\n";
    const window_peer_result peer = run_window_peer(ctx, client, window, window, lines / 64);
    REQUIRE(peer.ran);
    CHECK(peer.echoed_ok);
    CHECK(ch->records == lines);
    CHECK(ch->allocations_measured == 0);
}

namespace {
class quiet_channel : public asynchat::async_chat<quiet_channel> {
public:
    explicit quiet_channel(asio::ip::tcp::socket s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

// Heap allocations (operator new) made by building, starting and idling one
// channel on an accepted socket; `configure` runs on it before start().
template <class Configure>
std::size_t allocations_of_an_idle_channel(Configure configure) {
    asio::io_context ctx;
    auto [accepted, peer] = test::tcp_pair(ctx);
    std::size_t count = 0;
    asynchat::detail::op_memory::release();  // the wait's block is not one cached by an earlier test
    {
        allocation_counter counter;
        auto ch = std::make_shared<quiet_channel>(std::move(accepted));
        configure(*ch);
        ch->start();
        ctx.poll();  // the channel waits for its peer: nothing is ready
        count = counter.count();
        ch->close();
    }
    ctx.restart();
    ctx.run_for(std::chrono::seconds(10));  // watchdog: the closed channel's wait ends at once
    CHECK(ctx.stopped());
    return count;
}
} // namespace

TEST_CASE("an idle channel with no timeout allocates nothing beyond its own object", "[alloc][async_chat][footprint]") {
    // The object itself (make_shared: one block) and Asio's pending wait for
    // readability. No timer, no input or output buffer, no collector
    // string: each is made when first needed.
    CHECK(allocations_of_an_idle_channel([](quiet_channel&) {}) == 2);
    // Turning off what was never on makes nothing either.
    CHECK(allocations_of_an_idle_channel([](quiet_channel& c) {
              c.set_idle_timeout(std::chrono::seconds(0));
              c.set_idle_timeout(-std::chrono::seconds(1));
              c.expires_never();
              c.set_output_high_water(1024);
          }) == 2);
    // The counter sees the timer when one is asked for.
    CHECK(allocations_of_an_idle_channel([](quiet_channel& c) { c.set_idle_timeout(std::chrono::hours(1)); }) > 2);
    CHECK(allocations_of_an_idle_channel([](quiet_channel& c) { c.expires_after(std::chrono::hours(1)); }) > 2);
}

TEST_CASE("operation memory is reused only for requests of its own size class", "[alloc][footprint]") {
    // An idle wait must not sit in a block a large write left behind (as in
    // Asio's own cache, which serves any request from any bigger block).
    using asynchat::detail::op_memory;
    op_memory::release();
    void* big = op_memory::allocate(400);  // a write op carrying its gathered pieces
    op_memory::deallocate(big, 400);
    std::size_t small_new = 0, big_new = 0, near_new = 0, cycle_new = 0;
    void* small = nullptr;
    void* again = nullptr;
    void* near = nullptr;
    {
        allocation_counter counter;
        small = op_memory::allocate(136);  // a wait for readability: a block of its own
        small_new = counter.count();
        again = op_memory::allocate(400);  // the cached block, for its own size class
        big_new = counter.count() - small_new;
        op_memory::deallocate(small, 136);
        near = op_memory::allocate(130);  // the same 16-byte class: reused
        near_new = counter.count() - small_new - big_new;
        op_memory::deallocate(near, 130);
        // A read (168), a wait (136) and a write (416) in turn, as a busy
        // channel starts them: once each has a block, none allocates. (A
        // match of "big enough" let the wait take the read's block and give
        // it back labelled 136: every read then allocated.)
        op_memory::deallocate(op_memory::allocate(168), 168);
        const std::size_t before_cycles = counter.count();
        for (int i = 0; i < 100; ++i) {
            void* w = op_memory::allocate(136);
            void* r = op_memory::allocate(168);
            op_memory::deallocate(w, 136);
            op_memory::deallocate(r, 168);
            void* x = op_memory::allocate(416);
            op_memory::deallocate(x, 416);
        }
        cycle_new = counter.count() - before_cycles;
    }
    CHECK(small_new == 1);
    CHECK(again == big);
    CHECK(big_new == 0);
    CHECK(near == small);
    CHECK(near_new == 0);
    CHECK(cycle_new == 1);  // the write's class, once (`again` still holds the 400 block)
    op_memory::deallocate(again, 400);
    op_memory::release();
    CHECK(op_memory::cached_blocks() == 0);
}

namespace {
// What the queue holds, drained through gather/consume as a writer would.
std::string drain(asynchat::output_queue& q) {
    std::string out;
    for (;;) {
        std::string batch;
        const std::size_t n = q.gather(1000, 16, [&](const char* p, std::size_t k) { batch.append(p, k); });
        if (n == 0) break;
        q.consume(n);
        out += batch;
    }
    return out;
}
} // namespace

TEST_CASE("a push that fails to allocate leaves the queue's counters as they were", "[alloc][output_queue]") {
    // The failure is injected at every allocation of the sequence in turn:
    // each push either happens in full or not at all (strong guarantee), and
    // a drained queue then reports nothing queued.
    static const std::string borrowed(300, 'b');
    std::vector<std::string> smalls, bigs, moveds;
    for (int round = 0; round < 4; ++round) {
        smalls.push_back("small " + std::to_string(round) + ";");
        bigs.emplace_back(5000 + std::size_t(round), char('A' + round));
        moveds.emplace_back(200, char('m' + round));
    }
    for (std::size_t fail_at = 1; fail_at <= 24; ++fail_at) {
        CAPTURE(fail_at);
        asynchat::output_queue q;
        std::string expected;
        expected.reserve(64 * 1024);  // appending to it never allocates below
        std::size_t failures = 0;
        auto attempt = [&](const std::string& bytes, auto&& push) {
            const std::size_t before = q.queued_bytes();
            try {
                push();
                expected += bytes;
            } catch (const std::bad_alloc&) {
                ++failures;
                CHECK(q.queued_bytes() == before);
            }
        };
        fail_in = fail_at;
        for (std::size_t round = 0; round < smalls.size(); ++round) {
            attempt(smalls[round], [&] { q.push(std::string_view(smalls[round]), 16); });
            attempt(bigs[round], [&] { q.push(std::string_view(bigs[round]), 16); });
            attempt(moveds[round], [&] { q.push(std::string(moveds[round]), 16); });
            attempt(borrowed, [&] { q.push_borrowed(borrowed); });
        }
        const bool injected = fail_in == 0;
        fail_in = 0;
        CHECK(failures == (injected ? 1u : 0u));
        CHECK(q.queued_bytes() == expected.size());
        CHECK(drain(q) == expected);
        CHECK(q.queued_bytes() == 0);
        CHECK(q.empty());
    }
}

TEST_CASE("every push path keeps the strong guarantee when the queue's ring must grow", "[alloc][output_queue]") {
    // The entry ring holds 8 entries before its first growth: fill it to
    // exactly that, then make each allocation of the next push fail in turn
    // (the last one is the ring's growth). A failed push leaves every counter
    // as it was, and the queue then takes more and drains exactly.
    using push_fn = void (*)(asynchat::output_queue&);
    static const std::string borrowed(300, 'b');
    struct path {
        const char* name;
        push_fn push;
        std::size_t pushed_bytes;  // what a successful push adds to queued_bytes()
    };
    static const path paths[] = {
        {"string_view copy", [](asynchat::output_queue& q) { q.push(std::string_view("copied;"), 16); }, 7},
        {"string&& small",
         [](asynchat::output_queue& q) {
             std::string s("moved small;");
             q.push(std::move(s), 16);
         },
         12},
        {"string&& large", nullptr, 5000},  // its string is made outside the injection, below
        {"borrowed view", [](asynchat::output_queue& q) { q.push_borrowed(borrowed); }, 300},
        {"producer", [](asynchat::output_queue& q) { q.push_producer(asynchat::simple_producer("made;", 2)); }, 0},  // counted once gathered
        {"close marker", [](asynchat::output_queue& q) { q.push_close_marker(); }, 0},
        {"barrier", [](asynchat::output_queue& q) { q.push_barrier(); }, 0},
    };
    for (const path& p : paths) {
        CAPTURE(p.name);
        bool ring_growth_failed = false;
        for (std::size_t fail_at = 1; fail_at <= 4; ++fail_at) {
            CAPTURE(fail_at);
            // Freed buffers are cached per thread: start with none, so the
            // ring's growth allocates.
            asynchat::detail::buffer_cache::release();
            asynchat::output_queue q;
            std::string expected;
            expected.reserve(64 * 1024);
            for (int i = 0; i < 8; ++i) {  // 8 entries: the ring is full
                std::string piece(100, char('0' + i));
                expected += piece;
                q.push(std::move(piece), 16);
            }
            std::string large(5000, 'L');
            const std::size_t bytes_before = q.queued_bytes();
            const bool borrowing_before = q.borrowing();
            std::size_t made = 0;
            bool failed = false;
            {
                allocation_counter counter;
                fail_in = fail_at;
                try {
                    if (p.push != nullptr) p.push(q);
                    else q.push(std::move(large), 16);
                } catch (const std::bad_alloc&) {
                    failed = true;
                }
                made = counter.count();
                fail_in = 0;
            }
            if (!failed) {
                // Every allocation of this push was tried: the last one grew the ring.
                CHECK(made < fail_at);
                CHECK(q.queued_bytes() == bytes_before + (p.push == nullptr ? 5000 : p.pushed_bytes));
                break;
            }
            ring_growth_failed = true;
            CHECK(made == fail_at);
            CHECK(q.queued_bytes() == bytes_before);
            CHECK(q.borrowing() == borrowing_before);
            CHECK_FALSE(q.close_marker_first());
            CHECK_FALSE(q.barrier_first());
            // The queue goes on: a coalesced copy and a moved string after the failure.
            q.push(std::string_view("after;"), 16);
            q.push(std::string(200, 'z'), 16);
            expected += "after;";
            expected += std::string(200, 'z');
            CHECK(q.queued_bytes() == expected.size());
            CHECK(drain(q) == expected);
            CHECK(q.queued_bytes() == 0);
            CHECK(q.empty());
        }
        CHECK(ring_growth_failed);
    }
}

TEST_CASE("a producer piece that fails to allocate is not counted as queued", "[alloc][output_queue]") {
    for (std::size_t fail_at = 1; fail_at <= 6; ++fail_at) {
        CAPTURE(fail_at);
        asynchat::output_queue q;
        q.push_producer(asynchat::simple_producer("abc", 1));  // short pieces: the queue re-homes them
        std::string got;
        got.reserve(1024);
        bool failed = false;
        fail_in = fail_at;
        for (int i = 0; i < 8 && !q.empty(); ++i) {
            try {
                got += drain(q);
            } catch (const std::bad_alloc&) {
                failed = true;
                CHECK(q.queued_bytes() == 0);
            }
        }
        fail_in = 0;
        got += drain(q);
        CAPTURE(failed);
        CHECK(q.queued_bytes() == 0);
        CHECK(q.empty());
    }
}

namespace {
// The ready-made collector, used the obvious way: each line is collected by
// `_collect_incoming_data`, taken with `_get_data()`, extended by its
// terminator (and a prefix, for a sibling shape) and pushed by rvalue.
class collector_echo_channel : public asynchat::async_chat<collector_echo_channel> {
public:
    explicit collector_echo_channel(asio::ip::tcp::socket s, bool prefixed)
        : async_chat(std::move(s)), prefixed_(prefixed) {
        set_terminator("\r\n");
    }
    void collect_incoming_data(std::string_view d) { _collect_incoming_data(d); }
    void found_terminator() {
        if (prefixed_) push("> " + _get_data() + "\r\n");
        else push(_get_data() + "\r\n");
        if (++records == warm_after) counter.emplace();
        if (records == warm_after + measured) allocations_measured = counter->count(), counter.reset();
    }
    std::size_t records = 0;
    std::size_t warm_after = 0, measured = 0;
    std::optional<allocation_counter> counter;
    std::size_t allocations_measured = static_cast<std::size_t>(-1);

private:
    bool prefixed_;
};

// Runs `lines` lines of `line_size` bytes (terminator included) through a
// collector_echo_channel over loopback; the peer checks every echoed byte.
struct collector_run {
    bool peer_ok = false;
    std::size_t records = 0;
    std::size_t allocations = static_cast<std::size_t>(-1);
};
collector_run run_collector_echo(std::size_t line_size, bool prefixed) {
    constexpr std::size_t batch = 64, lines = 200 * batch, warm = 4'000, measured = 8'000;
    asio::io_context ctx;
    asio::ip::tcp::acceptor acceptor(ctx, test::any_loopback_port());
    asio::ip::tcp::socket client(ctx);
    client.connect(acceptor.local_endpoint());
    auto ch = std::make_shared<collector_echo_channel>(acceptor.accept(), prefixed);
    ch->warm_after = warm;
    ch->measured = measured;
    ch->start();

    // At most `batch` lines in flight.
    std::string window, expected;
    for (std::size_t i = 0; i < batch; ++i) {
        const std::string body(line_size - 2, char('a' + i % 26));
        window += body + "\r\n";
        expected += (prefixed ? "> " : "") + body + "\r\n";
    }
    const window_peer_result peer = run_window_peer(ctx, client, window, expected, lines / batch);
    collector_run r;
    r.peer_ok = peer.ran && peer.echoed_ok;
    r.records = ch->records;
    r.allocations = ch->allocations_measured;
    return r;
}
} // namespace

TEST_CASE("push(_get_data() + terminator) allocates nothing per record once warm", "[alloc][async_chat]") {
    // Line sizes around the small-string buffer (15) up to the 64
    // bytes: every pushed string short enough to be copied (at most 64 bytes,
    // prefix included). Longer ones are moved into the queue and sent in place.
    for (std::size_t line_size : {3, 16, 17, 40, 62, 64}) {
        for (bool prefixed : {false, true}) {
            if (prefixed && line_size > 62) continue;
            CAPTURE(line_size, prefixed);
            const collector_run r = run_collector_echo(line_size, prefixed);
            CHECK(r.peer_ok);
            CHECK(r.records == 200 * 64);
            CHECK(r.allocations == 0);
        }
    }
}

namespace {
// Empties this thread's spare string storage (an earlier test may have left
// one larger than the storage a test means to lend): an empty collection
// takes it.
void take_spare_string() {
    std::string taker;
    asynchat::detail::string_cache::append(taker, std::string_view("x"));
}

// A channel that is never started: pushes only queue.
class unstarted_channel : public asynchat::async_chat<unstarted_channel> {
public:
    explicit unstarted_channel(asio::ip::tcp::socket s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};
} // namespace

TEST_CASE("the output queue copies a short string pushed by rvalue and leaves its storage to the caller",
          "[alloc][output_queue]") {
    // The queue is a socket-free building block: it does not lend the
    // storage anywhere itself (async_chat::push does).
    take_spare_string();
    const std::size_t spare = asynchat::detail::string_cache::spare_capacity();  // no heap storage
    CHECK(spare < 64);
    for (std::size_t size : {1, 16, 40, 64}) {
        CAPTURE(size);
        asynchat::output_queue q;
        std::string line(size, 'y');
        line.reserve(100);
        const char* storage = line.data();
        CHECK_FALSE(q.push(std::move(line)));
        CHECK(line == std::string(size, 'y'));  // NOLINT(bugprone-use-after-move): copied, not taken
        CHECK(line.data() == storage);
        CHECK(asynchat::detail::string_cache::spare_capacity() == spare);
        CHECK(drain(q) == std::string(size, 'y'));
    }
    // Longer strings: the queue takes the storage and sends from it.
    for (std::size_t size : {65, 200, 5000}) {
        CAPTURE(size);
        asynchat::output_queue q;
        std::string line(size, 'z');
        CHECK(q.push(std::move(line)));
        CHECK(asynchat::detail::string_cache::spare_capacity() == spare);
        CHECK(drain(q) == std::string(size, 'z'));
    }
}

TEST_CASE("a short string pushed by rvalue to a channel lends its storage to the next collection",
          "[alloc][async_chat]") {
    asio::io_context ctx;
    auto ch = std::make_shared<unstarted_channel>(asio::ip::tcp::socket(ctx));
    take_spare_string();
    std::string collected;
    asynchat::detail::string_cache::append(collected, std::string(62, 'x'));
    CHECK(collected.capacity() >= 64);  // room for the terminator to come
    std::string line = std::move(collected) + "\r\n";
    const char* storage = line.data();
    ch->push(std::move(line));
    CHECK(ch->queued_bytes() == 64);
    CHECK(line.empty());  // NOLINT(bugprone-use-after-move): the cache took the storage
    std::string next;
    {
        allocation_counter counter;
        asynchat::detail::string_cache::append(next, std::string_view("0123456789012345678901234567890123456789"));
        CHECK(counter.count() == 0);
    }
    CHECK(next.data() == storage);
    CHECK(next == "0123456789012345678901234567890123456789");
}
