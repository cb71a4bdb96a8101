// async_chat over a scripted stream: the read loop, the write loop, errors,
// flow control and hooks, deterministically (no sockets, no timing).
#include "support/fake_stream.hpp"

#include <asynchat/async_chat.hpp>

#include "support/asio.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using test::fake_state;

// A channel that records what happens to it; tests inject behaviour.
class probe : public asynchat::async_chat<probe, test::fake_stream> {
public:
    explicit probe(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {
        set_terminator("\n");
    }

    void collect_incoming_data(std::string_view data) { current.append(data); }
    void found_terminator() {
        records.push_back(std::exchange(current, {}));
        if (on_record) on_record(*this, records.back());
    }
    void handle_close() {
        ++closes;
        close();
    }
    void handle_error(const asynchat::error_code& ec) {
        io_errors.push_back(ec);
        close();
    }
    void handle_error(std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            exceptions.push_back(x.what());
        }
        close();
    }
    bool readable() { return can_read; }
    bool writable() { return can_write; }

    std::vector<std::string> records;
    std::string current;
    int closes = 0;
    std::vector<asynchat::error_code> io_errors;
    std::vector<std::string> exceptions;
    std::function<void(probe&, const std::string&)> on_record;
    bool can_read = true;
    bool can_write = true;
};

// Echoes every line back.
class echo : public asynchat::async_chat<echo, test::fake_stream> {
public:
    explicit echo(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {
        set_terminator("\n");
    }
    void collect_incoming_data(std::string_view data) { _collect_incoming_data(data); }
    void found_terminator() { push(_get_data() + "\n"); }
};

struct fixture {
    asio::io_context ctx;
    std::shared_ptr<fake_state> st = std::make_shared<fake_state>(ctx.get_executor());

    // Runs until no work is left; the bound is only a watchdog.
    void run() {
        ctx.restart();
        ctx.run_for(std::chrono::seconds(10));
        REQUIRE(ctx.stopped());
    }
    ~fixture() {
        // Break the channel <-> pending-handler cycle of the fake stream.
        st->read_handler = nullptr;
        st->held_write = nullptr;
    }
};

} // namespace

TEST_CASE("records arrive through the hooks", "[async_chat]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    f.st->feed("hello\nwor");
    f.st->feed("ld\n");
    f.run();
    CHECK(ch->records == std::vector<std::string>{"hello", "world"});
    CHECK(ch->connected());
}

TEST_CASE("responses to one read leave in one gathered write", "[async_chat][write]") {
    fixture f;
    auto ch = std::make_shared<echo>(f.st);
    ch->start();
    f.st->feed("a\nb\nc\nd\n");
    f.run();
    CHECK(f.st->written == "a\nb\nc\nd\n");
    CHECK(f.st->writes_started == 1);
}

namespace {
struct small_reads : asynchat::async_chat<small_reads, test::fake_stream> {
    static constexpr std::size_t ac_in_buffer_size = 3;
    explicit small_reads(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {
        set_terminator("\r\n");
    }
    void collect_incoming_data(std::string_view d) { current += d; }
    void found_terminator() { records.push_back(std::exchange(current, {})); }
    std::string current;
    std::vector<std::string> records;
};
struct small_writes : asynchat::async_chat<small_writes, test::fake_stream> {
    static constexpr std::size_t ac_out_buffer_size = 10;
    explicit small_writes(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};
} // namespace

TEST_CASE("each read asks for ac_in_buffer_size bytes", "[async_chat]") {
    fixture f;
    auto ch = std::make_shared<small_reads>(f.st);
    ch->start();
    f.st->feed("hello world\r\nI'm not dead yet!\r\n");
    f.run();
    CHECK(ch->records == std::vector<std::string>{"hello world", "I'm not dead yet!"});
    REQUIRE_FALSE(f.st->read_sizes_asked.empty());
    for (auto n : f.st->read_sizes_asked) CHECK(n == 3);
}

TEST_CASE("no write hands the socket more than ac_out_buffer_size bytes", "[async_chat][write]") {
    fixture f;
    auto ch = std::make_shared<small_writes>(f.st);
    ch->start();
    ch->push("0123456789abcdefghij");
    ch->push(std::string("KLMNOPQRSTUVWXYZ"));
    f.run();
    CHECK(f.st->written == "0123456789abcdefghijKLMNOPQRSTUVWXYZ");
    CHECK(f.st->writes_started == 4);
}

TEST_CASE("partial writes are resumed: megabytes arrive once, in order", "[async_chat][write]") {
    fixture f;
    f.st->max_write = 1000;  // a slow peer: every write is partial
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    std::string expected;
    for (int i = 0; i < 40000; ++i) {
        std::string chunk = std::to_string(i) + (i % 7 == 0 ? std::string(300, 'x') : "") + ";";
        expected += chunk;
        if (i % 3 == 0) ch->push(std::move(chunk));
        else if (i % 3 == 1) ch->push(std::string_view(chunk));
        else ch->push_with_producer(asynchat::simple_producer(chunk, 5));
    }
    REQUIRE(expected.size() > 1'000'000);
    f.run();
    CHECK(f.st->written.size() == expected.size());
    CHECK(f.st->written == expected);
}

TEST_CASE("data pushed before start() is sent once started", "[async_chat][write]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->push("greeting\r\n");
    f.run();
    CHECK(f.st->written.empty());
    CHECK_FALSE(ch->connected());
    ch->start();
    f.run();
    CHECK(f.st->written == "greeting\r\n");
}

TEST_CASE("push accepts every kind of bytes; lvalues are copied, rvalues moved", "[async_chat][write]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    const std::string lvalue = "lvalue;";
    const char* cstr = "cstr;";
    std::string big(5000, 'M');
    const void* big_address = big.data();
    ch->push("literal;");
    ch->push(cstr);
    ch->push(lvalue);
    ch->push(std::string_view("view;"));
    ch->push(std::string("rvalue;"));
    ch->push(std::move(big));
    f.run();
    CHECK(lvalue == "lvalue;");
    CHECK(f.st->written == "literal;cstr;lvalue;view;rvalue;" + std::string(5000, 'M'));
    bool sent_in_place = false;
    for (const void* p : f.st->piece_addresses) sent_in_place |= (p == big_address);
    CHECK(sent_in_place);  // the moved string was never copied
}

TEST_CASE("push of a null C string throws invalid_argument", "[async_chat][write]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    const char* null = nullptr;
    CHECK_THROWS_AS(ch->push(null), std::invalid_argument);
}

namespace {
template <class T, class = void>
struct can_push : std::false_type {};
template <class T>
struct can_push<T, std::void_t<decltype(std::declval<probe&>().push(std::declval<T>()))>> : std::true_type {};
} // namespace

// push(10) must not compile (test_asynchat.test_push: TypeError for 10).
static_assert(!can_push<int>::value);
static_assert(!can_push<double>::value);
static_assert(!can_push<char>::value);
static_assert(!can_push<std::nullptr_t>::value);
static_assert(can_push<const char*>::value);
static_assert(can_push<const char (&)[4]>::value);
static_assert(can_push<std::string&>::value);
static_assert(can_push<std::string&&>::value);
static_assert(can_push<std::string_view>::value);

TEST_CASE("push_with_producer takes producers, shared producers and plain strings", "[async_chat][write]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    ch->push_with_producer(asynchat::simple_producer("simple;", 2));
    ch->push_with_producer(std::make_shared<asynchat::simple_producer>("shared;", 3));
    ch->push_with_producer(std::string("string;"));
    ch->push_with_producer("literal;");
    f.run();
    CHECK(f.st->written == "simple;shared;string;literal;");
}

TEST_CASE("close_when_done closes after pending data; later pushes are never sent", "[async_chat][close]") {
    fixture f;
    f.st->hold_writes = true;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    ch->push("A");
    ch->close_when_done();
    ch->push("B");
    f.run();
    CHECK(ch->closes == 0);  // A is still in flight
    f.st->release_write();
    f.run();
    CHECK(f.st->written == "A");
    CHECK(ch->closes == 1);
    CHECK_FALSE(ch->connected());
}

TEST_CASE("close_when_done with nothing queued closes at once", "[async_chat][close]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    ch->close_when_done();
    CHECK(ch->closes == 1);
    CHECK_FALSE(f.st->open);
}

TEST_CASE("push after close is a no-op", "[async_chat][close]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    ch->close();
    ch->push("x");
    ch->push(std::string("y"));
    ch->push_with_producer(asynchat::simple_producer("z"));
    CHECK(ch->queued_bytes() == 0);
    ch->close_when_done();
    ch->close();  // idempotent
    CHECK(ch->queued_bytes() == 0);  // nothing retained
    f.run();
    CHECK(f.st->written.empty());
    CHECK(ch->closes == 0);  // close() is the action; handle_close() reacts to events
}

TEST_CASE("discard_buffers drops the FIFO, keeping the write in flight alive", "[async_chat][close]") {
    fixture f;
    f.st->hold_writes = true;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    ch->push(std::string(100, 'x'));
    ch->push("dropped");
    ch->close_when_done();  // dropped too, as in Python: the channel stays open
    ch->discard_buffers();
    ch->push("after");
    f.st->release_write();
    f.run();
    f.st->release_write();
    f.run();
    CHECK(f.st->written == std::string(100, 'x') + "after");
    CHECK(ch->connected());
    CHECK(ch->closes == 0);
}

TEST_CASE("discard_buffers inside found_terminator drops the rest of the read", "[async_chat]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->on_record = [](probe& c, const std::string&) { c.discard_buffers(); };
    ch->start();
    f.st->feed("a\nb\nc\n");
    f.run();
    CHECK(ch->records == std::vector<std::string>{"a"});
    f.st->feed("d\n");
    f.run();
    CHECK(ch->records == std::vector<std::string>{"a", "d"});
}

TEST_CASE("close inside found_terminator stops delivery of the rest of the read", "[async_chat][close]") {
    // A deliberate difference from CPython, which frames the rest of the read
    // after close(): a closed channel calls no more hooks.
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->on_record = [](probe& c, const std::string&) { c.close(); };
    ch->start();
    f.st->feed("a\nb\nc\n");
    f.run();
    CHECK(ch->records == std::vector<std::string>{"a"});
}

TEST_CASE("terminator switched inside found_terminator frames the same read", "[async_chat]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->set_terminator("\r\n\r\n");
    ch->on_record = [](probe& c, const std::string& r) {
        if (r.rfind("POST", 0) == 0) c.set_terminator(5);
        else c.set_terminator("\r\n\r\n");
    };
    ch->start();
    f.st->feed("POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.0\r\n\r\n");
    f.run();
    CHECK(ch->records == std::vector<std::string>{"POST / HTTP/1.0\r\nContent-Length: 5", "hello",
                                                  "GET / HTTP/1.0"});
}

TEST_CASE("EOF calls handle_close once; a partial record is dropped as in CPython", "[async_chat][close]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    f.st->feed("complete\npartial\r");
    f.st->eof();
    f.run();
    CHECK(ch->records == std::vector<std::string>{"complete"});
    CHECK(ch->current == "partial\r");
    CHECK(ch->closes == 1);
    CHECK(ch->io_errors.empty());
    CHECK_FALSE(ch->connected());
}

TEST_CASE("a reset peer is a close, other I/O errors reach handle_error", "[async_chat][errors]") {
    SECTION("connection reset -> handle_close") {
        fixture f;
        auto ch = std::make_shared<probe>(f.st);
        ch->start();
        f.st->feed_error(asio::error::connection_reset);
        f.run();
        CHECK(ch->closes == 1);
        CHECK(ch->io_errors.empty());
    }
    SECTION("network down -> handle_error") {
        fixture f;
        auto ch = std::make_shared<probe>(f.st);
        ch->start();
        f.st->feed_error(asio::error::network_down);
        f.run();
        CHECK(ch->closes == 0);
        REQUIRE(ch->io_errors.size() == 1);
        CHECK(ch->io_errors[0] == asio::error::network_down);
    }
    SECTION("a failed write -> handle_close for EPIPE") {
        fixture f;
        f.st->write_error = asio::error::broken_pipe;
        auto ch = std::make_shared<probe>(f.st);
        ch->start();
        ch->push("x");
        f.run();
        CHECK(ch->closes == 1);
    }
}

TEST_CASE("would_block from a read is ignored and reading goes on (bpo-16133)", "[async_chat][errors]") {
    // test_asynchat.TestAsynchatMocked.test_blockingioerror
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    f.st->feed_error(asio::error::would_block);
    f.st->feed("after\n");
    f.run();
    CHECK(ch->io_errors.empty());
    CHECK(ch->closes == 0);
    CHECK(ch->records == std::vector<std::string>{"after"});
}

TEST_CASE("an exception from a hook closes only that channel and reaches handle_error", "[async_chat][errors]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->on_record = [](probe&, const std::string& r) {
        if (r == "bad") throw std::runtime_error("hook failed");
    };
    ch->start();
    f.st->feed("good\nbad\nnever\n");
    REQUIRE_NOTHROW(f.run());
    CHECK(ch->records == std::vector<std::string>{"good", "bad"});
    CHECK(ch->exceptions == std::vector<std::string>{"hook failed"});
    CHECK_FALSE(ch->connected());
}

TEST_CASE("an exception from a producer reaches handle_error", "[async_chat][errors]") {
    struct failing {
        std::string more() { throw std::runtime_error("producer failed"); }
    };
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    ch->push("before;");
    f.run();
    ch->push_with_producer(failing{});
    REQUIRE_NOTHROW(f.run());
    CHECK(ch->exceptions == std::vector<std::string>{"producer failed"});
    CHECK(f.st->written == "before;");
    CHECK_FALSE(ch->connected());
}

namespace {
// Declares only the I/O overload: exceptions must still be handled.
class io_only : public asynchat::async_chat<io_only, test::fake_stream> {
public:
    explicit io_only(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {
        set_terminator("\n");
    }
    void collect_incoming_data(std::string_view) {}
    void found_terminator() { throw std::logic_error("expected by the test"); }
    void handle_error(const asynchat::error_code&) { ++io_errors; }
    void handle_close() {
        ++closes;
        close();
    }
    int io_errors = 0;
    int closes = 0;
};

// Python style: one handle_error() for everything.
class python_style : public asynchat::async_chat<python_style, test::fake_stream> {
public:
    explicit python_style(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {
        set_terminator("\n");
    }
    void collect_incoming_data(std::string_view) {}
    void found_terminator() { throw std::runtime_error("from found_terminator"); }
    void handle_error() {
        try {
            throw;  // called inside the catch block: the exception is current
        } catch (const std::exception& e) {
            what = e.what();
        }
        close();
    }
    std::string what;
};

// A handler that throws too: the channel must still close.
class throwing_handlers : public asynchat::async_chat<throwing_handlers, test::fake_stream> {
public:
    explicit throwing_handlers(std::shared_ptr<fake_state> st)
        : async_chat(test::fake_stream(std::move(st))) {}
    void collect_incoming_data(std::string_view) { throw std::runtime_error("collect"); }
    void found_terminator() {}
    void handle_error(std::exception_ptr) { throw std::runtime_error("handle_error"); }
    void handle_close() { throw std::runtime_error("handle_close"); }
};
} // namespace

TEST_CASE("a Derived that hides one handle_error overload still gets the default for the other",
          "[async_chat][errors]") {
    fixture f;
    auto ch = std::make_shared<io_only>(f.st);
    ch->start();
    f.st->feed("x\n");
    REQUIRE_NOTHROW(f.run());
    CHECK(ch->io_errors == 0);
    CHECK(ch->closes == 1);  // default exception handler -> handle_close
}

TEST_CASE("a Python-style handle_error() sees the current exception", "[async_chat][errors]") {
    fixture f;
    auto ch = std::make_shared<python_style>(f.st);
    ch->start();
    f.st->feed("x\n");
    f.run();
    CHECK(ch->what == "from found_terminator");
    CHECK_FALSE(ch->connected());
}

TEST_CASE("exceptions from the error hooks themselves are contained", "[async_chat][errors]") {
    fixture f;
    auto ch = std::make_shared<throwing_handlers>(f.st);
    ch->start();
    f.st->feed("anything");
    REQUIRE_NOTHROW(f.run());
    CHECK_FALSE(ch->connected());
    CHECK_FALSE(f.st->open);
}

TEST_CASE("readable() false holds records back; resume_reading delivers them", "[async_chat][flow]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->on_record = [](probe& c, const std::string&) { c.can_read = false; };
    ch->start();
    f.st->feed("1\n2\n3\n");
    f.run();
    CHECK(ch->records == std::vector<std::string>{"1"});
    CHECK_FALSE(f.st->read_pending());  // a pause really pauses
    ch->can_read = true;
    ch->resume_reading();
    f.run();
    CHECK(ch->records == std::vector<std::string>{"1", "2"});
    ch->can_read = true;
    ch->resume_reading();
    ch->can_read = true;
    ch->resume_reading();
    f.run();
    CHECK(ch->records == std::vector<std::string>{"1", "2", "3"});
    CHECK(f.st->read_pending());
}

TEST_CASE("readable() is re-checked after each completed write", "[async_chat][flow]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->can_read = false;
    ch->start();
    f.run();
    CHECK_FALSE(f.st->read_pending());
    ch->push("x");  // the write completes; readable() is asked again
    ch->can_read = true;
    f.run();
    CHECK(f.st->read_pending());
}

TEST_CASE("writable() false holds writes until initiate_send", "[async_chat][flow]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->can_write = false;
    ch->start();
    ch->push("held");
    f.run();
    CHECK(f.st->written.empty());
    ch->can_write = true;
    ch->initiate_send();
    f.run();
    CHECK(f.st->written == "held");
}

TEST_CASE("the ready-made collector gathers and clears", "[async_chat]") {
    fixture f;
    auto ch = std::make_shared<echo>(f.st);
    ch->start();
    f.st->feed("par");
    f.st->feed("tial\nnext\n");
    f.run();
    CHECK(f.st->written == "partial\nnext\n");
}

TEST_CASE("start() refuses a channel that is not owned by a shared_ptr, and a second start",
          "[async_chat][misuse]") {
    fixture f;
    probe on_stack(f.st);
    CHECK_THROWS_WITH(on_stack.start(), Catch::Contains("std::make_shared"));
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    CHECK_THROWS_WITH(ch->start(), Catch::Contains("already started"));
    ch->close();
    f.run();
}

TEST_CASE("a closed channel is freed once its pending operations end", "[async_chat][lifetime]") {
    fixture f;
    std::weak_ptr<probe> weak;
    {
        auto ch = std::make_shared<probe>(f.st);
        weak = ch;
        ch->start();
        ch->push("x");
        f.st->feed("a\n");
        f.run();
        ch->close();
    }
    f.run();
    CHECK(weak.expired());
}

TEST_CASE("set_terminator rejects a negative count and keeps the old one", "[async_chat][misuse]") {
    // test_asynchat.TestNotConnected.test_disallow_negative_terminator
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    CHECK_THROWS_AS(ch->set_terminator(-1), std::invalid_argument);
    CHECK(ch->get_terminator() == "\n");
}

TEST_CASE("a record over the limit reaches handle_error as record_too_long by default", "[async_chat][limit]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->set_record_limit(5);
    ch->start();
    f.st->feed("12345\n123456\nnever\n");
    f.run();
    CHECK(ch->records == std::vector<std::string>{"12345"});
    REQUIRE(ch->io_errors.size() == 1);
    CHECK(ch->io_errors[0] == asynchat::error::record_too_long);
    CHECK(ch->io_errors[0].category().name() == std::string("asynchat"));
    CHECK_FALSE(ch->connected());
}

namespace {
class line_limited : public asynchat::async_chat<line_limited, test::fake_stream> {
public:
    explicit line_limited(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {
        set_terminator("\r\n");
        set_record_limit(8);
    }
    void collect_incoming_data(std::string_view d) { line_ += d; }
    void found_terminator() { push("ok " + std::exchange(line_, {}) + "\r\n"); }
    asynchat::overflow handle_record_too_long(std::size_t) {
        line_.clear();
        push("500 line too long\r\n");
        return asynchat::overflow::skip;  // SMTP style: answer and go on
    }

private:
    std::string line_;
};
} // namespace

TEST_CASE("handle_record_too_long may answer and skip to the next line", "[async_chat][limit]") {
    fixture f;
    auto ch = std::make_shared<line_limited>(f.st);
    ch->start();
    f.st->feed("short\r\nway too long a line\r\nnext\r\n");
    f.run();
    CHECK(f.st->written == "ok short\r\n500 line too long\r\nok next\r\n");
    CHECK(ch->connected());
}

namespace {
class timed : public asynchat::async_chat<timed, test::fake_stream> {
public:
    explicit timed(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {
        set_terminator("\n");
    }
    void collect_incoming_data(std::string_view) {}
    void found_terminator() { ++records; }
    void handle_timeout() {
        ++timeouts;
        if (close_on_timeout) close();
    }
    int records = 0;
    int timeouts = 0;
    bool close_on_timeout = true;
};
} // namespace

TEST_CASE("the idle timeout fires when nothing happens, and the channel can be freed", "[async_chat][timeout]") {
    fixture f;
    std::weak_ptr<timed> weak;
    {
        auto ch = std::make_shared<timed>(f.st);
        weak = ch;
        ch->set_idle_timeout(std::chrono::milliseconds(30));  // before start: armed by start()
        ch->start();
        f.ctx.restart();
        f.ctx.run_for(std::chrono::seconds(10));  // the timer is the only work: run ends when it fires
        CHECK(ch->timeouts == 1);
        CHECK_FALSE(ch->connected());
    }
    f.st->read_handler = nullptr;
    CHECK(weak.expired());
}

TEST_CASE("the default handle_timeout reports timed_out to handle_error", "[async_chat][timeout]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    ch->expires_after(std::chrono::milliseconds(10));
    f.run();
    REQUIRE(ch->io_errors.size() == 1);
    CHECK(ch->io_errors[0] == asynchat::error::timed_out);
}

TEST_CASE("a deadline fires once even while data keeps arriving", "[async_chat][timeout]") {
    fixture f;
    auto ch = std::make_shared<timed>(f.st);
    ch->close_on_timeout = false;
    ch->start();
    ch->expires_after(std::chrono::milliseconds(50));
    asio::steady_timer drip(f.ctx);
    std::function<void()> feed = [&] {
        f.st->feed("x\n");
        if (ch->timeouts == 0) {
            drip.expires_after(std::chrono::milliseconds(5));
            drip.async_wait([&](const asynchat::error_code&) { feed(); });
        }
    };
    feed();
    f.ctx.restart();
    f.ctx.run_for(std::chrono::seconds(10));
    CHECK(ch->timeouts == 1);
    CHECK(ch->records > 1);
    CHECK(ch->connected());
    ch->close();
    f.run();
}

TEST_CASE("expires_never removes the deadline", "[async_chat][timeout]") {
    fixture f;
    auto ch = std::make_shared<timed>(f.st);
    ch->start();
    ch->expires_after(std::chrono::milliseconds(20));
    ch->expires_never();
    f.ctx.restart();
    f.ctx.run_for(std::chrono::milliseconds(200));  // observation window, not synchronisation
    CHECK(ch->timeouts == 0);
    CHECK(ch->connected());
    ch->close();
    f.run();
}

TEST_CASE("traffic postpones the idle timeout; silence then ends it", "[async_chat][timeout]") {
    fixture f;
    auto ch = std::make_shared<timed>(f.st);
    ch->set_idle_timeout(std::chrono::milliseconds(400));
    ch->start();
    asio::steady_timer drip(f.ctx);
    int fed = 0;
    std::function<void()> feed = [&] {
        f.st->feed("x\n");
        if (++fed < 20) {  // 20 x 50 ms = 1 s of traffic, 2.5 idle periods
            drip.expires_after(std::chrono::milliseconds(50));
            drip.async_wait([&](const asynchat::error_code&) { feed(); });
        }
    };
    feed();
    f.ctx.restart();
    f.ctx.run_for(std::chrono::seconds(10));
    CHECK(ch->records == 20);  // the whole drip arrived before the timeout...
    CHECK(ch->timeouts == 1);  // ...which then fired once
}

namespace {
// Records what handle_eof() sees.
class eof_probe : public asynchat::async_chat<eof_probe, test::fake_stream> {
public:
    explicit eof_probe(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {
        set_terminator("\r\n");
    }
    void collect_incoming_data(std::string_view d) { current += d; }
    void found_terminator() { records.push_back(std::exchange(current, {})); }
    void handle_eof() {
        ++eofs;
        held = std::string(buffered_input());
        in_record = record_in_progress();
        if (graceful) close_when_done();  // finish sending, then close
        else close();
    }
    void handle_close() {
        ++closes;
        close();
    }
    std::vector<std::string> records;
    std::string current, held;
    bool in_record = false, graceful = false;
    int eofs = 0, closes = 0;
};
} // namespace

TEST_CASE("handle_eof sees the unterminated tail and whether a record was cut off", "[async_chat][eof]") {
    SECTION("EOF after a partial terminator") {
        fixture f;
        auto ch = std::make_shared<eof_probe>(f.st);
        ch->start();
        f.st->feed("done\r\npartial\r");
        f.st->eof();
        f.run();
        CHECK(ch->eofs == 1);
        CHECK(ch->records == std::vector<std::string>{"done"});
        CHECK(ch->current == "partial");  // collected
        CHECK(ch->held == "\r");          // held back: never passed on
        CHECK(ch->in_record);
    }
    SECTION("EOF between records") {
        fixture f;
        auto ch = std::make_shared<eof_probe>(f.st);
        ch->start();
        f.st->feed("a\r\nb\r\n");
        f.st->eof();
        f.run();
        CHECK(ch->eofs == 1);
        CHECK(ch->held.empty());
        CHECK_FALSE(ch->in_record);
    }
    SECTION("EOF in the middle of a byte count") {
        fixture f;
        auto ch = std::make_shared<eof_probe>(f.st);
        ch->set_terminator(10);
        ch->start();
        f.st->feed("abcde");
        f.st->eof();
        f.run();
        CHECK(ch->in_record);
        CHECK(ch->get_terminator() == asynchat::terminator(5));  // 5 bytes never came
    }
}

TEST_CASE("after the peer half-closes, close_when_done finishes sending first", "[async_chat][eof]") {
    fixture f;
    f.st->hold_writes = true;
    auto ch = std::make_shared<eof_probe>(f.st);
    ch->graceful = true;
    ch->start();
    ch->push(std::string(1000, 'r'));
    f.st->eof();
    f.run();
    CHECK(ch->eofs == 1);
    CHECK(ch->connected());  // still sending
    f.st->release_write();
    f.run();
    CHECK(f.st->written == std::string(1000, 'r'));
    CHECK(ch->closes == 1);
    CHECK_FALSE(ch->connected());
}

TEST_CASE("the default handle_eof closes at once, dropping queued output, as Python does", "[async_chat][eof]") {
    fixture f;
    f.st->hold_writes = true;
    auto ch = std::make_shared<probe>(f.st);
    ch->start();
    ch->push("queued");
    f.st->eof();
    f.run();
    CHECK(ch->closes == 1);
    f.st->release_write();
    f.run();
    CHECK(f.st->written.empty());
}

TEST_CASE("the output high water pauses reading until the queue drains", "[async_chat][flow]") {
    fixture f;
    f.st->hold_writes = true;
    auto ch = std::make_shared<echo>(f.st);
    ch->set_output_high_water(100);
    ch->start();
    std::string input, expected;
    for (int i = 0; i < 1000; ++i) {
        const std::string line = "line " + std::to_string(i) + " " + std::string(40, 'x') + "\n";
        input += line;
        expected += line;
    }
    f.st->feed(input);
    f.run();
    std::size_t max_queued = ch->queued_bytes();
    CHECK(max_queued <= 100 + 64);  // one record over the mark at most
    CHECK_FALSE(f.st->read_pending());
    f.st->hold_writes = false;
    for (int guard = 0; guard < 10000 && f.st->written.size() < expected.size(); ++guard) {
        f.st->release_write();
        f.run();
        max_queued = std::max(max_queued, ch->queued_bytes());
    }
    CHECK(f.st->written == expected);
    CHECK(max_queued <= 100 + 64);
    CHECK(f.st->read_pending());  // reading resumed
}

namespace {
// An echo that pushes the pieces it is given: zero-copy in the library.
class view_echo : public asynchat::async_chat<view_echo, test::fake_stream> {
public:
    explicit view_echo(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {
        set_terminator("\r\n");
    }
    void collect_incoming_data(std::string_view d) { push(d); }
    void found_terminator() {
        if (mark) push("!");  // not the received CRLF: copied
        push("\r\n");
    }
    bool mark = false;
};
} // namespace

TEST_CASE("echoing received views sends them from the input buffer, in one piece", "[async_chat][borrow]") {
    fixture f;
    f.st->hold_writes = true;
    auto ch = std::make_shared<view_echo>(f.st);
    ch->start();
    std::string input;
    for (int i = 0; i < 50; ++i) input += "line " + std::to_string(i) + "\r\n";
    f.st->feed(input);
    f.run();
    REQUIRE(f.st->write_pieces.size() == 1);
    CHECK(f.st->write_pieces[0] == 1);   // 50 lines and their CRLFs: one slice, no copy
    CHECK_FALSE(f.st->read_pending());    // the input buffer is in use by the write
    f.st->hold_writes = false;
    f.st->release_write();
    f.run();
    CHECK(f.st->written == input);
    CHECK(f.st->read_pending());          // reading resumes once it is sent
}

TEST_CASE("borrowed echo survives partial writes, more input and a mix with copies", "[async_chat][borrow]") {
    fixture f;
    f.st->max_write = 7;
    auto ch = std::make_shared<view_echo>(f.st);
    ch->start();
    std::string expected;
    for (int round = 0; round < 20; ++round) {
        ch->mark = round % 3 == 0;
        std::string input;
        for (int i = 0; i < 30; ++i) {
            const std::string line = "r" + std::to_string(round) + "-" + std::to_string(i);
            input += line + "\r\n";
            expected += line + (ch->mark ? "!" : "") + "\r\n";
        }
        f.st->feed(input.substr(0, 100));
        f.st->feed(input.substr(100));
        f.run();
    }
    CHECK(f.st->written == expected);
}

TEST_CASE("close and discard_buffers with borrowed bytes in flight are safe", "[async_chat][borrow]") {
    fixture f;
    f.st->hold_writes = true;
    auto ch = std::make_shared<view_echo>(f.st);
    ch->start();
    f.st->feed("abc\r\ndef\r\n");
    f.run();
    ch->discard_buffers();
    ch->push("after\r\n");
    f.st->release_write();
    f.run();
    f.st->release_write();
    f.run();
    CHECK(f.st->written == "abc\r\ndef\r\nafter\r\n");
    f.st->feed("ghi\r\n");
    f.run();
    ch->close();
    f.st->release_write();
    f.run();
    CHECK_FALSE(ch->connected());
}

// ------------------------------------------------- issue 11: review defects

TEST_CASE("duration::max() for the idle timeout and the deadline means forever", "[async_chat][timeout]") {
    using clock_type = std::chrono::steady_clock;
    SECTION("steady_clock::duration::max()") {
        fixture f;
        auto ch = std::make_shared<timed>(f.st);
        ch->set_idle_timeout(clock_type::duration::max());
        ch->expires_after(clock_type::duration::max());
        ch->start();
        f.st->feed("x\n");
        f.run();  // nothing is due: no wait is armed, so run() ends at once
        CHECK(ch->timeouts == 0);
        CHECK(ch->connected());
        ch->close();
        f.run();
    }
    SECTION("coarser units whose max() overflows nanoseconds") {
        fixture f;
        auto ch = std::make_shared<timed>(f.st);
        ch->start();
        ch->set_idle_timeout(std::chrono::hours::max());
        ch->expires_after(std::chrono::seconds::max());
        f.run();
        CHECK(ch->timeouts == 0);
        CHECK(ch->connected());
        ch->close();
        f.run();
    }
    SECTION("a huge deadline leaves a short idle timeout working") {
        fixture f;
        auto ch = std::make_shared<timed>(f.st);
        ch->expires_after(clock_type::duration::max());
        ch->set_idle_timeout(std::chrono::milliseconds(20));
        ch->start();
        f.run();  // the idle timeout fires, closes, and the run ends
        CHECK(ch->timeouts == 1);
        CHECK_FALSE(ch->connected());
    }
}

namespace {
// A producer that, on destruction, looks at its channel (as a producer that
// unregisters itself would): the channel must still be whole.
struct watching_producer {
    std::shared_ptr<bool> channel_alive;
    std::shared_ptr<int> destroyed_while_alive;
    std::string piece;
    watching_producer(std::shared_ptr<bool> alive, std::shared_ptr<int> count, std::string p)
        : channel_alive(std::move(alive)), destroyed_while_alive(std::move(count)), piece(std::move(p)) {}
    watching_producer(watching_producer&&) = default;
    ~watching_producer() {
        if (destroyed_while_alive && *channel_alive) ++*destroyed_while_alive;
    }
    std::string more() { return std::exchange(piece, {}); }
};

class producer_owner : public asynchat::async_chat<producer_owner, test::fake_stream> {
public:
    explicit producer_owner(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {}
    ~producer_owner() { *alive = false; }
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};
} // namespace

TEST_CASE("close() and discard_buffers() release queued producers while Derived is alive",
          "[async_chat][lifetime]") {
    for (const bool use_close : {true, false}) {
        CAPTURE(use_close);
        auto destroyed = std::make_shared<int>(0);
        {
            fixture f;
            f.st->hold_writes = true;  // the producer's first piece stays in flight
            auto ch = std::make_shared<producer_owner>(f.st);
            ch->start();
            ch->push_with_producer(watching_producer(ch->alive, destroyed, std::string(100, 'p')));
            ch->push_with_producer(watching_producer(ch->alive, destroyed, "queued"));
            f.run();
            REQUIRE(f.st->writes_started == 1);
            if (use_close) ch->close();
            else ch->discard_buffers();
            CHECK(*destroyed == 2);  // both gone now, the one in flight too
            f.st->release_write();
            f.run();
        }
        CHECK(*destroyed == 2);
    }
}

TEST_CASE("close_when_done with only a producer queued sends all it produces, then closes",
          "[async_chat][close]") {
    // The producer has produced nothing yet (queued_bytes() is 0) when the
    // marker is queued: "nothing queued" must not mean "close now".
    std::string expected;
    for (int i = 0; i < 50; ++i) expected += "piece " + std::to_string(i) + ";";
    fixture f;
    f.st->max_write = 7;  // partial writes
    auto ch = std::make_shared<probe>(f.st);
    SECTION("inside a hook, where writes wait for the end of the read") {
        ch->on_record = [&](probe& c, const std::string&) {
            c.push_with_producer(asynchat::simple_producer(expected, 10));
            CHECK(c.queued_bytes() == 0);
            c.close_when_done();
        };
        ch->start();
        f.st->feed("go\n");
    }
    SECTION("before start()") {
        ch->push_with_producer(asynchat::simple_producer(expected, 10));
        ch->close_when_done();
        ch->start();
    }
    SECTION("while writable() is false") {
        ch->start();
        ch->can_write = false;
        ch->push_with_producer(asynchat::simple_producer(expected, 10));
        CHECK(ch->queued_bytes() == 0);
        ch->close_when_done();
        ch->can_write = true;
        ch->initiate_send();
    }
    f.run();
    CHECK(f.st->written == expected);
    CHECK(ch->closes == 1);
    CHECK_FALSE(ch->connected());
}

TEST_CASE("discard_buffers right after a push, with no write in flight, sends none of it",
          "[async_chat][close]") {
    fixture f;
    auto ch = std::make_shared<probe>(f.st);
    ch->on_record = [](probe& c, const std::string& r) {
        c.push("reply to " + r + "\n");                           // copied
        c.push(std::string(200, 'm'));                             // moved
        c.push_with_producer(asynchat::simple_producer("produced"));
        c.discard_buffers();                                       // same hook: nothing in flight
        CHECK(c.queued_bytes() == 0);
    };
    ch->start();
    f.st->feed("a\n");
    f.run();
    CHECK(ch->records == std::vector<std::string>{"a"});
    CHECK(f.st->written.empty());
    CHECK(f.st->writes_started == 0);
    CHECK(ch->queued_bytes() == 0);
    CHECK(ch->connected());
}

namespace {
// handle_close() that answers instead of closing: the close marker was only
// a signal, and the channel stays open.
class stays_open : public asynchat::async_chat<stays_open, test::fake_stream> {
public:
    explicit stays_open(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
    void handle_close() { ++closes; }
    int closes = 0;
};
} // namespace

TEST_CASE("after a close marker, pushes are sent only if handle_close() leaves the channel open",
          "[async_chat][close]") {
    fixture f;
    f.st->hold_writes = true;
    auto ch = std::make_shared<stays_open>(f.st);
    ch->start();
    ch->push("A");
    ch->close_when_done();
    ch->push("B");
    f.st->release_write();
    f.run();
    CHECK(ch->closes == 1);
    CHECK(ch->connected());
    f.st->release_write();
    f.run();
    CHECK(f.st->written == "AB");  // as in CPython: the marker is gone, B follows
}

// ------------------------------------------------ the hard output bound

namespace {
// Counts overflows and keeps the channel open (or calls the default).
class bounded : public asynchat::async_chat<bounded, test::fake_stream> {
public:
    explicit bounded(std::shared_ptr<fake_state> st) : async_chat(test::fake_stream(std::move(st))) {
        set_terminator("\n");
    }
    void collect_incoming_data(std::string_view d) {
        if (echo) push(d);  // borrowed from the input buffer
    }
    void found_terminator() {
        if (echo) push("\n");
    }
    void handle_output_overflow() {
        ++overflows;
        queued_at_overflow.push_back(queued_bytes());
        if (use_default) async_chat<bounded, test::fake_stream>::handle_output_overflow();
    }
    void handle_error(const asynchat::error_code& ec) {
        errors.push_back(ec);
        close();
    }
    int overflows = 0;
    std::vector<std::size_t> queued_at_overflow;
    std::vector<asynchat::error_code> errors;
    bool use_default = false;
    bool echo = false;
};
} // namespace

TEST_CASE("the output limit defaults to no_limit", "[async_chat][output_limit]") {
    fixture f;
    auto ch = std::make_shared<bounded>(f.st);
    CHECK(ch->output_limit() == asynchat::no_limit);
    f.st->hold_writes = true;
    ch->start();
    for (int i = 0; i < 100; ++i) ch->push(std::string(10000, 'x'));
    CHECK(ch->queued_bytes() == 1000000);
    CHECK(ch->overflows == 0);
    ch->close();
    f.run();
}

TEST_CASE("a push that would cross the output limit is not queued, and the hook is called once",
          "[async_chat][output_limit]") {
    fixture f;
    f.st->hold_writes = true;
    auto ch = std::make_shared<bounded>(f.st);
    ch->set_output_limit(100);
    ch->start();
    const std::string s60(60, 'a'), s50(50, 'b'), s40(40, 'c');
    SECTION("every kind of push counts the same") {
        ch->push(std::string_view(s60));
        CHECK(ch->queued_bytes() == 60);
        ch->push(std::string_view(s50));                    // view
        ch->push(std::string(s50));                         // moved string
        ch->push(std::string(100, 'x').c_str());            // C string
        ch->push_with_producer(std::string(s50));           // string as a producer
        CHECK(ch->overflows == 4);
        CHECK(ch->queued_bytes() == 60);
        ch->push(std::string_view(s40));                    // exactly at the limit: accepted
        CHECK(ch->queued_bytes() == 100);
        ch->push("!");
        CHECK(ch->overflows == 5);
        CHECK(ch->queued_at_overflow == std::vector<std::size_t>{60, 60, 60, 60, 100});
        CHECK(ch->connected());
        // Once sent, there is room again.
        f.st->hold_writes = false;
        f.st->release_write();
        f.run();
        ch->push(std::string_view(s50));
        f.run();
        CHECK(f.st->written == s60 + s40 + s50);
        CHECK(ch->overflows == 5);
    }
    SECTION("the default reports output_limit_exceeded to handle_error, which closes") {
        ch->use_default = true;
        ch->push(std::string_view(s60));
        ch->push(std::string_view(s50));
        CHECK(ch->overflows == 1);
        REQUIRE(ch->errors.size() == 1);
        CHECK(ch->errors[0] == asynchat::error::output_limit_exceeded);
        CHECK_FALSE(ch->connected());
        f.st->release_write();
        f.run();
        CHECK(f.st->written.size() <= 60);
    }
    SECTION("a limit lowered below what is queued refuses every new push") {
        ch->push(std::string_view(s60));
        ch->set_output_limit(10);
        ch->push("x");
        CHECK(ch->overflows == 1);
        CHECK(ch->queued_bytes() == 60);
    }
    ch->close();
    f.run();
}

TEST_CASE("an overflow before start() closes the channel, and start() then does nothing",
          "[async_chat][output_limit]") {
    // A greeting over the limit pushed in a constructor, before start(): the
    // default hook reports it and closes. The server's accept loop then calls
    // start() as usual; it must neither throw nor open a closed channel.
    fixture f;
    auto ch = std::make_shared<bounded>(f.st);
    ch->use_default = true;
    ch->set_output_limit(10);
    ch->push(std::string(20, 'g'));
    REQUIRE(ch->errors.size() == 1);
    CHECK(ch->errors[0] == asynchat::error::output_limit_exceeded);
    CHECK_FALSE(ch->connected());
    CHECK_NOTHROW(ch->start());
    f.st->feed("hello\n");
    f.run();
    CHECK_FALSE(ch->connected());
    CHECK(f.st->written.empty());
    CHECK(ch->errors.size() == 1);
    // A channel that did start and then closed is still refused a second start.
    fixture g;
    auto started = std::make_shared<bounded>(g.st);
    started->start();
    started->close();
    g.run();
    CHECK_THROWS_WITH(started->start(), Catch::Contains("already started"));
}

TEST_CASE("received bytes echoed without a copy count against the output limit", "[async_chat][output_limit]") {
    fixture f;
    f.st->hold_writes = true;
    auto ch = std::make_shared<bounded>(f.st);
    ch->echo = true;
    ch->set_output_limit(25);
    ch->start();
    f.st->feed("0123456789\n0123456789\n0123456789\n");  // 33 bytes to echo
    f.run();
    CHECK(ch->overflows >= 1);
    CHECK(ch->queued_bytes() <= 25);
    ch->close();
    f.run();
}

TEST_CASE("a producer piece that would cross the output limit is dropped with its producer",
          "[async_chat][output_limit]") {
    fixture f;
    f.st->hold_writes = true;
    auto ch = std::make_shared<bounded>(f.st);
    ch->set_output_limit(100);
    ch->start();
    ch->push(std::string(30, 'a'));
    ch->push_with_producer(asynchat::simple_producer(std::string(300, 'p'), 80));  // 80 fits after 'a's are sent
    ch->push_with_producer(asynchat::simple_producer(std::string(300, 'q'), 200)); // never fits
    ch->push("end");
    for (int i = 0; i < 50 && f.st->held_write; ++i) {
        f.st->release_write();
        f.run();
    }
    CHECK(ch->overflows == 1);
    CHECK(f.st->written == std::string(30, 'a') + std::string(300, 'p') + "end");
    CHECK(ch->connected());
    ch->close();
    f.run();
}

TEST_CASE("pushes from other threads count against the output limit on the channel's strand",
          "[async_chat][output_limit][threads]") {
    asio::io_context ctx;
    auto st = std::make_shared<fake_state>(asio::make_strand(ctx));
    st->hold_writes = true;
    auto ch = std::make_shared<bounded>(st);
    ch->set_output_limit(1000);
    ch->start();
    ctx.run();
    ctx.restart();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&ch, t] {
            const std::string piece(10, char('a' + t));
            for (int i = 0; i < 100; ++i) {
                if (i % 2) ch->push(std::string_view(piece));
                else ch->push(std::string(piece));
            }
        });
    for (auto& t : threads) t.join();
    ctx.run();  // the posted pushes run here, on the strand
    CHECK(ch->queued_bytes() == 1000);
    CHECK(ch->overflows == 300);
    st->read_handler = nullptr;
    ch->close();
    ctx.restart();
    ctx.run();
    st->held_write = nullptr;
}

namespace {
// The smallest channel over a TCP socket: what every idle connection pays.
class minimal_tcp : public asynchat::async_chat<minimal_tcp> {
public:
    using async_chat::async_chat;
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};
class minimal_io_context_tcp
    : public asynchat::async_chat<minimal_io_context_tcp,
                                  asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>> {
public:
    using async_chat::async_chat;
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

// The base's own fixed state: its size less the parts it is built from (the
// stream, the framer, the output queue), which have sizes of their own.
template <class Channel>
constexpr std::size_t own_state() {
    return sizeof(Channel) - sizeof(typename Channel::stream_type) - sizeof(asynchat::framer) -
           sizeof(asynchat::output_queue);
}
} // namespace

TEST_CASE("an idle channel's fixed state stays small", "[async_chat][footprint]") {
    // Issue 12, goal 4: an idle connection costs at most 1 KiB, all told.
    // What the base holds beyond its stream, framer and output queue:
    // enable_shared_from_this (16 B), the strand check (at most 32 B: an
    // any_io_executor strand is held behind a pointer), one pointer to the
    // timeouts (made when one is first set), one to the
    // _collect_incoming_data buffer, the output high water, and a few bytes
    // of flags. Not the pieces of a gathered write: they travel with the
    // write in flight, as does the state of a pending wait.
    CAPTURE(sizeof(minimal_tcp), sizeof(asio::ip::tcp::socket), sizeof(asynchat::framer),
            sizeof(asynchat::output_queue));
    CHECK(own_state<minimal_tcp>() <= 96);
    CHECK(own_state<minimal_io_context_tcp>() <= 96);
    // A channel on a plain io_context executor carries no strand check.
    CHECK(own_state<minimal_io_context_tcp>() <= own_state<minimal_tcp>() - 24);
}
