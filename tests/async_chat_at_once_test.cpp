// The at-once path (reads and writes completed inside the channel's own
// completions) without sockets, at every cut of the input (STYLE.md §11):
// over tests/support/at_once_stream.hpp, an in-memory stream whose policy
// transfers at once as a TCP socket's does. The nesting rules of
// async_chat_sync_path_test.cpp, which needs real sockets, hold for every
// cut: push() from outside the handlers never writes at once and runs no
// hook; a write that fails at once is reported after the hook that pushed,
// never inside push(); a found_terminator() that closes and drops the last
// shared_ptr is safe (run under ASan); and the records and bytes written
// are the asynchronous path's.
#include <asynchat/async_chat.hpp>

#include "support/at_once_stream.hpp"
#include "support/fake_stream.hpp"

#include "support/asio.hpp"
#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

static_assert(asynchat::detail::stream_policy_of<test::at_once_stream>::type::transfers_at_once,
              "the test stream opts into transfers at once");
static_assert(!asynchat::detail::stream_policy_of<test::fake_stream>::type::transfers_at_once,
              "the asynchronous test stream does not");

namespace {

// Lines ending in "\r\n": "LEN n" makes the next record n bytes (a count
// terminator), then lines again; "hello" pauses input (readable() false);
// "QUIT" answers "BYE" and closes when done; "DROP" answers "GONE", closes
// (at once or when done) and removes the channel from its registry, the
// last shared_ptr outside its own handlers. Every other record is answered
// with itself and "\n". EOF: close when done.
template <class Stream, std::size_t InBuffer = 4096>
class line_channel : public asynchat::async_chat<line_channel<Stream, InBuffer>, Stream> {
    using base = asynchat::async_chat<line_channel<Stream, InBuffer>, Stream>;

public:
    static constexpr std::size_t ac_in_buffer_size = InBuffer;

    explicit line_channel(Stream s) : base(std::move(s)) { this->set_terminator("\r\n"); }

    bool readable() const { return accepting; }
    void collect_incoming_data(std::string_view d) {
        if (in_push) ++hooks_in_push;
        record.append(d);
    }
    void found_terminator() {
        if (in_push) ++hooks_in_push;
        std::string line;
        line.swap(record);
        records.push_back(line);
        in_push = true;  // a hook inside the pushes below would be counted
        if (this->get_terminator().is_count()) {
            this->set_terminator("\r\n");
            this->push(line + "\n");
        } else if (line.compare(0, 4, "LEN ") == 0) {
            this->set_terminator(std::stoul(line.substr(4)));
        } else if (line == "hello") {
            accepting = false;
            this->push("hi\n");
        } else if (line == "QUIT") {
            this->push("BYE\n");
            this->close_when_done();
        } else if (line == "DROP") {
            this->push("GONE\n");
            if (drop_at_once) this->close();
            else this->close_when_done();
            for (auto it = registry.begin(); it != registry.end(); ++it)
                if (it->get() == this) {
                    registry.erase(it);
                    break;
                }
        } else {
            this->push(line + "\n");
        }
        in_push = false;
    }
    void handle_eof() { this->close_when_done(); }
    void handle_close() {
        if (in_push) ++hooks_in_push;
        ++closes;
        this->close();
    }

    bool accepting = true;
    bool drop_at_once = false;
    bool in_push = false;  // set around push() calls: by found_terminator and by the tests
    int hooks_in_push = 0;
    int closes = 0;
    std::string record;
    std::vector<std::string> records;
    static inline std::vector<std::shared_ptr<line_channel>> registry;
};

// Every cut of `input` in two pieces, then a byte at a time.
std::vector<std::vector<std::string>> cuts(const std::string& input) {
    std::vector<std::vector<std::string>> all;
    for (std::size_t i = 0; i <= input.size(); ++i) all.push_back({input.substr(0, i), input.substr(i)});
    std::vector<std::string> bytes;
    for (char c : input) bytes.emplace_back(1, c);
    all.push_back(bytes);
    return all;
}

std::string describe(const std::vector<std::string>& pieces) {
    std::string s;
    for (const auto& p : pieces) s += "[" + p + "]";
    return s;
}

struct result {
    std::vector<std::string> records;
    std::string written;
    int closes = 0;
    int hooks_in_push = 0;
    bool finished = false;
    std::size_t reads_at_once = 0;
    std::size_t writes_at_once = 0;
};

// Feeds `pieces` (one read each), then EOF, to a new channel; runs until the
// loop has no work left (the run_for bound is a watchdog).
template <class Channel, class State, class Stream>
result drive(const std::vector<std::string>& pieces) {
    asio::io_context ctx;
    auto st = std::make_shared<State>(ctx.get_executor());
    auto ch = std::make_shared<Channel>(Stream(st));
    ch->start();
    for (const auto& p : pieces)
        if (!p.empty()) st->feed(p);
    st->eof();
    ctx.run_for(std::chrono::seconds(10));
    result r;
    r.records = ch->records;
    r.written = st->written;
    r.closes = ch->closes;
    r.hooks_in_push = ch->hooks_in_push;
    r.finished = ctx.stopped() && !st->open;
    if constexpr (std::is_same_v<State, test::at_once_state>) {
        r.reads_at_once = st->reads_at_once;
        r.writes_at_once = st->writes_at_once;
    }
    return r;
}

template <std::size_t InBuffer>
void check_framing_at_every_cut() {
    using at_once = line_channel<test::at_once_stream, InBuffer>;
    using async = line_channel<test::fake_stream, InBuffer>;
    const std::string input = "one\r\nLEN 8\r\nab\r\n\r\ncdtwo\r\n\r\nthree\r\r\n\r\nQUIT\r\n";
    const std::vector<std::string> records = {"one", "LEN 8", "ab\r\n\r\ncd", "two", "", "three\r", "", "QUIT"};
    const std::string written = "one\nab\r\n\r\ncd\ntwo\n\nthree\r\n\nBYE\n";
    for (const auto& pieces : cuts(input)) {
        INFO("ac_in_buffer_size " << InBuffer << ", pieces " << describe(pieces));
        const result a = drive<async, test::fake_state, test::fake_stream>(pieces);
        const result b = drive<at_once, test::at_once_state, test::at_once_stream>(pieces);
        CHECK(a.records == records);
        CHECK(a.written == written);
        CHECK(b.records == records);
        CHECK(b.written == written);
        CHECK(b.finished);
        CHECK(b.closes == 1);
        CHECK(b.hooks_in_push == 0);
        // The path under test was taken.
        CHECK(b.reads_at_once > 0);
        CHECK(b.writes_at_once > 0);
    }
}

}  // namespace

TEST_CASE("at once, no sockets: records and bytes written are the asynchronous path's at every cut",
          "[at_once]") {
    check_framing_at_every_cut<4096>();
    check_framing_at_every_cut<3>();  // full reads: the next read goes at once without a wait
}

TEST_CASE("at once, no sockets: push() from outside the handlers never writes at once and runs no hook",
          "[at_once]") {
    using channel = line_channel<test::at_once_stream>;
    for (bool failing : {false, true}) {
        for (const auto& pieces : cuts("hello\r\nDROP\r\n")) {
            INFO((failing ? "the write fails, " : "") << "pieces " << describe(pieces));
            asio::io_context ctx;
            auto st = std::make_shared<test::at_once_state>(ctx.get_executor());
            channel::registry.clear();
            channel::registry.push_back(std::make_shared<channel>(test::at_once_stream(st)));
            std::weak_ptr<channel> weak = channel::registry.back();
            channel::registry.back()->start();
            for (const auto& p : pieces)
                if (!p.empty()) st->feed(p);
            // "hello" is answered at once and pauses input: "DROP" is held.
            ctx.run_for(std::chrono::seconds(10));
            REQUIRE(st->written == "hi\n");
            REQUIRE(st->writes_at_once == 1);
            REQUIRE(channel::registry.size() == 1);
            auto& ch = *channel::registry[0];
            // A broadcast from outside the channel's handlers, input resumed.
            if (failing) st->write_error = asio::error::connection_reset;
            ch.accepting = true;
            const std::size_t writes = st->writes_started;
            ch.in_push = true;
            ch.push("news\n");
            ch.in_push = false;
            CHECK(st->writes_at_once == 1);        // not at once: an asynchronous write
            CHECK(st->writes_started == writes + 1);
            CHECK(ch.hooks_in_push == 0);          // no found_terminator, no handle_close inside push()
            CHECK(ch.closes == 0);
            REQUIRE(channel::registry.size() == 1);  // the held "DROP" is framed later
            // The write's completion reports its error, or resumes reading:
            // "DROP" then drops the channel from the registry while its own
            // handler holds it (ASan: no use after free).
            ctx.restart();
            ctx.run_for(std::chrono::seconds(10));
            CHECK(ctx.stopped());
            CHECK_FALSE(st->open);
            CHECK(weak.expired() == channel::registry.empty());
            if (failing) {
                CHECK(st->written == "hi\n");
                CHECK(channel::registry.size() == 1);  // closed by the reset before "DROP" was framed
                CHECK(channel::registry[0]->closes == 1);
                channel::registry.clear();
            } else {
                CHECK(st->written == "hi\nnews\nGONE\n");
                CHECK(channel::registry.empty());
            }
            CHECK(weak.expired());
        }
    }
}

TEST_CASE("at once, no sockets: a write that fails at once is reported after the hook that pushed, once",
          "[at_once]") {
    using channel = line_channel<test::at_once_stream>;
    for (const auto& pieces : cuts("ping\r\npong\r\nQUIT\r\n")) {
        INFO("pieces " << describe(pieces));
        asio::io_context ctx;
        auto st = std::make_shared<test::at_once_state>(ctx.get_executor());
        st->write_error = asio::error::connection_reset;
        auto ch = std::make_shared<channel>(test::at_once_stream(st));
        ch->start();
        for (const auto& p : pieces)
            if (!p.empty()) st->feed(p);
        ctx.run_for(std::chrono::seconds(10));
        CHECK(ctx.stopped());
        CHECK(st->writes_at_once == 1);      // the answer to "ping", written at once, failed
        CHECK(st->writes_started == 0);      // and nothing was tried after it
        CHECK(ch->hooks_in_push == 0);       // handle_close() ran after found_terminator(), not in push()
        CHECK(ch->closes == 1);
        REQUIRE_FALSE(ch->records.empty());
        CHECK(ch->records.front() == "ping");
        CHECK_FALSE(ch->connected());
        CHECK(st->written.empty());
    }
}

TEST_CASE("at once, no sockets: a found_terminator() that closes and drops the last shared_ptr is safe",
          "[at_once]") {
    using channel = line_channel<test::at_once_stream>;
    for (bool at_once_close : {true, false}) {
        for (const auto& pieces : cuts("a\r\nDROP\r\nb\r\n")) {
            INFO((at_once_close ? "close(), " : "close_when_done(), ") << "pieces " << describe(pieces));
            asio::io_context ctx;
            auto st = std::make_shared<test::at_once_state>(ctx.get_executor());
            channel::registry.clear();
            channel::registry.push_back(std::make_shared<channel>(test::at_once_stream(st)));
            std::weak_ptr<channel> weak = channel::registry.back();
            channel::registry.back()->drop_at_once = at_once_close;
            channel::registry.back()->start();
            for (const auto& p : pieces)
                if (!p.empty()) st->feed(p);
            ctx.run_for(std::chrono::seconds(10));
            CHECK(ctx.stopped());
            CHECK(channel::registry.empty());
            CHECK(weak.expired());
            CHECK_FALSE(st->open);
            CHECK(st->reads_at_once > 0);
            // "a" may leave before "DROP" is framed (one gathered write per
            // read); "GONE" only when closing when done; "b" never.
            if (at_once_close) CHECK((st->written.empty() || st->written == "a\n"));
            else CHECK(st->written == "a\nGONE\n");
        }
    }
}
