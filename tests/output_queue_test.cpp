#include <asynchat/output_queue.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using asynchat::output_queue;

namespace {

struct gathered {
    std::vector<std::string> pieces;
    std::size_t bytes = 0;
    std::string joined() const {
        std::string s;
        for (const auto& p : pieces) s += p;
        return s;
    }
};

gathered gather(output_queue& q, std::size_t max_bytes = 4096, std::size_t max_pieces = 16) {
    gathered g;
    g.bytes = q.gather(max_bytes, max_pieces, [&](const char* p, std::size_t n) { g.pieces.emplace_back(p, n); });
    return g;
}

// Sends everything queued, `per_write` bytes at most per write.
std::string drain(output_queue& q, std::size_t per_write = 4096, std::size_t max_bytes = 4096) {
    std::string out;
    for (int guard = 0; guard < 100000; ++guard) {
        const auto g = gather(q, max_bytes);
        if (g.bytes == 0) return out;
        const std::string data = g.joined();
        const std::size_t n = std::min(per_write, data.size());
        out += data.substr(0, n);
        q.consume(n);
    }
    FAIL("drain did not terminate");
    return out;
}

struct counted_producer {
    std::vector<std::string> pieces;
    std::size_t next = 0;
    std::shared_ptr<int> calls = std::make_shared<int>(0);
    std::string more() {
        ++*calls;
        return next < pieces.size() ? pieces[next++] : std::string();
    }
};

} // namespace

TEST_CASE("bytes go out in FIFO order across pushes and producers", "[output_queue]") {
    output_queue q;
    q.push(std::string_view("a"));
    q.push(std::string("bc"));
    q.push_producer(counted_producer{{"de", "f"}});
    q.push(std::string_view("g"));
    q.push_producer(asynchat::simple_producer("hijkl", 2));
    q.push(std::string("m"));
    CHECK(drain(q) == "abcdefghijklm");
    CHECK(q.empty());
    CHECK(q.queued_bytes() == 0);
}

TEST_CASE("partial writes resume at the right byte", "[output_queue]") {
    output_queue q;
    std::string expected;
    for (int i = 0; i < 300; ++i) {
        const std::string s = std::to_string(i) + ",";
        expected += s;
        if (i % 3 == 0) q.push(std::string(s));
        else if (i % 3 == 1) q.push(std::string_view(s));
        else q.push_producer(asynchat::simple_producer(s, 1));
    }
    CHECK(drain(q, 7) == expected);
}

TEST_CASE("no write exceeds max_bytes", "[output_queue]") {
    output_queue q;
    q.push(std::string(10000, 'x'));
    q.push(std::string_view("yy"));
    std::size_t writes = 0;
    for (auto g = gather(q, 4096); g.bytes != 0; g = gather(q, 4096)) {
        CHECK(g.bytes <= 4096);
        q.consume(g.bytes);
        ++writes;
    }
    CHECK(writes == 3);
}

TEST_CASE("small copies share one buffer; moved strings are sent in place", "[output_queue]") {
    output_queue q;
    for (int i = 0; i < 64; ++i) q.push(std::string_view("0123456789abcdef"));  // 1 KiB of copies
    std::string big(1000, 'B');
    const char* where = big.data();
    q.push(std::move(big));
    const auto g = gather(q);
    REQUIRE(g.pieces.size() == 2);
    CHECK(g.pieces[0].size() == 1024);
    std::vector<const char*> addresses;
    q.consume(0);
    q.gather(4096, 16, [&](const char* p, std::size_t) { addresses.push_back(p); });
    REQUIRE(addresses.size() == 2);
    CHECK(addresses[1] == where);  // never copied
}

TEST_CASE("pushes during a write in flight never touch its bytes", "[output_queue]") {
    output_queue q;
    q.push(std::string_view("abc"));
    const char* first = nullptr;
    q.gather(4096, 16, [&](const char* p, std::size_t) { first = p; });
    REQUIRE(q.in_flight());
    for (int i = 0; i < 1000; ++i) q.push(std::string_view("more"));  // must not append to "abc"
    CHECK(std::string(first, 3) == "abc");
    q.consume(3);
    CHECK(drain(q).size() == 4000);
}

TEST_CASE("a producer is asked again only after its piece was sent", "[output_queue]") {
    output_queue q;
    counted_producer p{{"one", "two"}};
    auto calls = p.calls;
    q.push_producer(std::move(p));
    auto g = gather(q);
    CHECK(g.joined() == "one");
    CHECK(*calls == 1);
    q.consume(1);  // partial
    g = gather(q);
    CHECK(g.joined() == "ne");
    CHECK(*calls == 1);
    q.consume(2);
    g = gather(q);
    CHECK(g.joined() == "two");
    q.consume(3);
    CHECK(gather(q).bytes == 0);  // exhausted: removed
    CHECK(q.empty());
}

TEST_CASE("a producer of string views and a shared_ptr producer work", "[output_queue]") {
    struct views {
        std::vector<std::string_view> v;
        std::size_t i = 0;
        std::string_view more() { return i < v.size() ? v[i++] : std::string_view(); }
    };
    output_queue q;
    q.push_producer(views{{"ab", "cd"}});
    auto shared = std::make_shared<asynchat::simple_producer>("efg", 1);
    q.push_producer(shared);
    CHECK(drain(q) == "abcdefg");
}

TEST_CASE("gathering stops at a close marker", "[output_queue]") {
    output_queue q;
    q.push(std::string_view("A"));
    q.push_close_marker();
    q.push(std::string_view("B"));
    CHECK_FALSE(q.close_marker_first());
    auto g = gather(q);
    CHECK(g.joined() == "A");
    CHECK_FALSE(q.close_marker_first());  // in flight
    q.consume(1);
    CHECK(q.close_marker_first());
    CHECK(gather(q).bytes == 0);
    q.pop_close_marker();
    CHECK(drain(q) == "B");
}

TEST_CASE("clear() during a write keeps the in-flight bytes alive, then drops them", "[output_queue]") {
    output_queue q;
    q.push(std::string(100, 'x'));
    q.push(std::string_view("after"));
    const char* p = nullptr;
    q.gather(4096, 16, [&](const char* d, std::size_t) { if (!p) p = d; });
    q.clear();
    CHECK(std::string(p, 100) == std::string(100, 'x'));  // still valid
    q.push(std::string_view("new"));
    q.consume(40);  // partial: the rest of the discarded entry is dropped
    CHECK(drain(q) == "new");
}

TEST_CASE("a producer that throws leaves the queue as it was", "[output_queue]") {
    struct thrower {
        int calls = 0;
        std::string more() {
            if (calls++ == 0) throw std::runtime_error("producer failed");
            return calls == 2 ? "ok" : "";
        }
    };
    output_queue q;
    q.push(std::string_view("a"));
    q.push_producer(thrower{});
    CHECK_THROWS_AS(gather(q), std::runtime_error);
    CHECK_FALSE(q.in_flight());
    CHECK(drain(q) == "aok");
}

TEST_CASE("a producer may push and clear the queue it is in", "[output_queue]") {
    output_queue q;
    struct pusher {
        output_queue* q;
        int n = 0;
        std::string more() {
            if (n++ == 0) {
                q->push(std::string_view("pushed"));
                return "first";
            }
            return "";
        }
    };
    q.push_producer(pusher{&q});
    CHECK(drain(q) == "firstpushed");

    struct clearer {
        output_queue* q;
        std::string more() {
            q->clear();
            return "ignored";
        }
    };
    q.push(std::string_view("a"));
    q.push_producer(clearer{&q});
    q.push(std::string_view("b"));
    CHECK(gather(q).bytes == 0);
    CHECK(q.empty());
}

TEST_CASE("empty pushes are ignored", "[output_queue]") {
    output_queue q;
    q.push(std::string_view());
    q.push(std::string());
    CHECK(q.empty());
}

TEST_CASE("queued_bytes counts pushed bytes and fetched producer pieces", "[output_queue]") {
    output_queue q;
    q.push(std::string_view("abc"));
    q.push(std::string("de"));
    CHECK(q.queued_bytes() == 5);
    q.push_producer(asynchat::simple_producer("xyz", 2));
    auto g = gather(q);
    CHECK(q.queued_bytes() == 7);
    q.consume(g.bytes);
    CHECK(q.queued_bytes() == 0);
}

TEST_CASE("borrowed views are sent in place; adjacent ones merge", "[output_queue][borrow]") {
    const std::string input = "one\r\ntwo\r\nthree\r\n";
    output_queue q;
    q.push_borrowed(std::string_view(input).substr(0, 3));    // "one"
    CHECK(q.extend_borrowed("\r\n", input));                 // the CRLF that followed it
    q.push_borrowed(std::string_view(input).substr(5, 3));    // "two": continues the slice
    CHECK(q.extend_borrowed("\r\n", input));
    CHECK_FALSE(q.extend_borrowed("!", input));              // not what follows: no
    CHECK(q.borrowing());
    const auto g = gather(q);
    REQUIRE(g.pieces.size() == 1);                           // one slice, zero copies
    CHECK(g.pieces[0] == "one\r\ntwo\r\n");
    q.consume(4);
    CHECK(q.borrowing());                                    // partly sent: still borrowed
    CHECK(drain(q) == "\ntwo\r\n");
    CHECK_FALSE(q.borrowing());
}

TEST_CASE("borrowed and copied bytes keep their order", "[output_queue][borrow]") {
    const std::string input = "abcdef";
    output_queue q;
    q.push_borrowed(std::string_view(input).substr(0, 2));
    q.push(std::string_view("-"));
    q.push_borrowed(std::string_view(input).substr(2, 2));  // not merged across the copy
    CHECK_FALSE(q.extend_borrowed("x", input));
    q.push(std::string_view("x"));
    CHECK(drain(q) == "ab-cdx");
}

TEST_CASE("clear() forgets borrowed bytes not in flight", "[output_queue][borrow]") {
    const std::string input = "abcdef";
    output_queue q;
    q.push_borrowed(std::string_view(input).substr(0, 3));
    (void)gather(q);                                         // in flight
    q.push_borrowed(std::string_view(input).substr(3, 3));
    q.clear();
    CHECK(q.borrowing());                                    // the flight still uses them
    q.consume(3);
    CHECK_FALSE(q.borrowing());
    CHECK(q.empty());
}

TEST_CASE("pieces in flight stay put while later pushes grow the queue", "[output_queue]") {
    // Entries move when the queue grows; the bytes of a write in flight must not.
    struct tiny_pieces {
        int left = 3;
        std::string more() { return left-- > 0 ? std::string("p") : std::string(); }
    };
    output_queue q;
    q.push(std::string("short"));         // small enough for a string's inline buffer
    q.push(std::string(100, 'm'));        // moved in, sent from where it is
    q.push_producer(tiny_pieces{});       // a one-byte piece
    std::vector<std::pair<const char*, std::size_t>> flight;
    const std::size_t n = q.gather(4096, 16, [&](const char* p, std::size_t size) { flight.emplace_back(p, size); });
    REQUIRE(n == 5 + 100 + 1);
    std::string before;
    for (auto [p, size] : flight) before.append(p, size);
    for (int i = 0; i < 1000; ++i) {  // many entries: the queue grows several times
        q.push(std::string(200, char('a' + i % 26)));
        q.push_producer(asynchat::simple_producer(std::string(10, 'x'), 3));
    }
    std::string after;
    for (auto [p, size] : flight) after.append(p, size);
    CHECK(after == before);
    CHECK(after == "short" + std::string(100, 'm') + "p");
    q.consume(n);
    CHECK(drain(q).substr(0, 3) == "ppa");
}

TEST_CASE("a drained queue holds no copy buffer: it goes to the thread's cache for the next push",
          "[output_queue][memory]") {
    using cache = asynchat::detail::buffer_cache;
    cache::release();
    asynchat::output_queue q;
    q.push(std::string_view("hello\r\n"), 4096);
    q.push(std::string_view("world\r\n"), 4096);
    CHECK(cache::cached_buffers() == 0);
    std::string sent;
    const std::size_t n = q.gather(1 << 16, 16, [&](const char* p, std::size_t k) { sent.append(p, k); });
    CHECK(sent == "hello\r\nworld\r\n");
    q.consume(n);
    CHECK(q.empty());
    // Given back, not kept by the queue: the copy buffer and the entry array.
    CHECK(cache::cached_buffers() == 2);
    CHECK(cache::cached_bytes() >= 4096);
    // A partial write keeps the buffer until its last byte is sent.
    q.push(std::string_view("again\r\n"), 4096);
    CHECK(cache::cached_buffers() == 0);  // the same two, taken back
    const std::size_t m = q.gather(1 << 16, 16, [](const char*, std::size_t) {});
    q.consume(m - 1);
    CHECK(cache::cached_buffers() == 0);
    CHECK(q.gather(1 << 16, 16, [](const char*, std::size_t) {}) == 1);
    q.consume(1);
    CHECK(cache::cached_buffers() == 2);
    cache::release();
    CHECK(cache::cached_bytes() == 0);
}

TEST_CASE("copy buffers too large for the cache are freed, and the cache is bounded", "[output_queue][memory]") {
    using cache = asynchat::detail::buffer_cache;
    cache::release();
    {
        asynchat::output_queue q;
        q.push(std::string(200 * 1024, 'x'));  // moved in, not a copy buffer
        q.push(std::string_view(std::string(100 * 1024, 'y')));  // a copy over 64 KiB: freed when sent
        for (std::size_t n; (n = q.gather(1 << 20, 16, [](const char*, std::size_t) {})) != 0;) q.consume(n);
    }
    CHECK(cache::cached_buffers() == 1);  // the entry array only
    CHECK(cache::cached_bytes() < 64 * 1024);
    for (int i = 0; i < 100; ++i) cache::give(std::unique_ptr<char[]>(new char[16384]), 16384);
    CHECK(cache::cached_buffers() <= cache::slots);
    CHECK(cache::cached_bytes() <= cache::max_bytes);
    cache::release();
}
