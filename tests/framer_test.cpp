#include "support/framing.hpp"

#include <asynchat/framer.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using asynchat::framer;
using asynchat::terminator;
using test::framing_result;
using test::schedule;

namespace {

// Records every callback, CPython-trace style, with no terminator changes.
struct recorder {
    std::vector<std::string> events;
    std::vector<std::string> records;
    std::string current;
    void collect_incoming_data(std::string_view data) {
        CHECK_FALSE(data.empty());  // CPython never passes an empty string
        events.push_back("C:" + std::string(data));
        current.append(data);
    }
    void found_terminator() {
        events.push_back("F");
        records.push_back(std::exchange(current, {}));
    }
};

std::vector<std::string> events_of(const terminator& t, std::initializer_list<std::string_view> reads) {
    framer f(t);
    recorder r;
    for (auto piece : reads) f.feed(piece, r);
    return r.events;
}

using events = std::vector<std::string>;

// Every way of cutting `stream` into two reads, plus 1-byte reads, must give
// the records of the uncut stream (the split-all check of Beast's parsegrind).
void check_split_all(std::string_view stream, const schedule& terminators) {
    const framing_result whole = test::frame(stream, terminators, {});
    CHECK(whole == test::reference_frame(stream, terminators));
    CHECK(test::frame(stream, terminators, {1}) == whole);
    for (std::size_t cut = 1; cut < stream.size(); ++cut) {
        INFO("cut at " << cut);
        CHECK(test::frame(stream, terminators, {cut, stream.size()}) == whole);
    }
    if (stream.size() <= 64) {
        for (std::size_t a = 1; a < stream.size(); ++a)
            for (std::size_t b = 1; a + b < stream.size(); ++b) {
                INFO("cuts at " << a << " and " << a + b);
                CHECK(test::frame(stream, terminators, {a, b, stream.size()}) == whole);
            }
    }
}

} // namespace

TEST_CASE("falsy terminator: everything is collected, never found", "[framer]") {
    CHECK(events_of(asynchat::none, {"abc", "\r\n"}) == events{"C:abc", "C:\r\n"});
    CHECK(events_of("", {"abc", "\r\n"}) == events{"C:abc", "C:\r\n"});
    CHECK(events_of(0, {"abc"}) == events{"C:abc"});
}

TEST_CASE("string terminator found in one read", "[framer]") {
    CHECK(events_of("\r\n", {"hello\r\nworld\r\n"}) ==
          events{"C:hello", "F", "C:world", "F"});
}

TEST_CASE("terminator at offset 0 gives an empty record without an empty collect", "[framer]") {
    CHECK(events_of("\r\n", {"\r\n\r\nx\r\n"}) == events{"F", "F", "C:x", "F"});
}

TEST_CASE("a partial terminator at the end of a read is kept for the next read", "[framer]") {
    framer f("\r\n");
    recorder r;
    f.feed("abc\r", r);
    CHECK(r.events == events{"C:abc"});
    CHECK(f.buffered() == "\r");
    f.feed("\ndef", r);
    CHECK(r.events == events{"C:abc", "F", "C:def"});
    CHECK(f.buffered().empty());
}

TEST_CASE("a read that is only a terminator prefix collects nothing", "[framer]") {
    framer f("\r\n.\r\n");
    recorder r;
    f.feed("\r\n.", r);
    CHECK(r.events.empty());
    CHECK(f.buffered() == "\r\n.");
    f.feed("\r\n", r);
    CHECK(r.events == events{"F"});
}

TEST_CASE("string terminator split across reads at every position", "[framer]") {
    for (const char* t : {"\n", "\r\n", "qqq", "\r\n.\r\n", "0123456789abcdef"}) {
        const std::string term = t;
        const std::string stream = "first" + term + "second" + term + term + "third";
        INFO("terminator " << terminator(term));
        check_split_all(stream, {term});
    }
}

TEST_CASE("self-overlapping terminators are found at the right place", "[framer]") {
    CHECK(events_of("aab", {"aaab"}) == events{"C:a", "F"});
    CHECK(events_of("abab", {"ababab"}) == events{"F"});  // "ab" is held: a prefix of "abab"
    CHECK(events_of("abab", {"ababab", "x"}) == events{"F", "C:abx"});
    CHECK(test::frame("x\r\n\r\r\n\r\ny", {"\r\n\r\n"}, {}).records == std::vector<std::string>{"x\r\n\r"});
    check_split_all("aaabaabaaaab", {"aab"});
    check_split_all("ababababxabab", {"abab"});
    check_split_all("x\r\n\r\r\n\r\ny\r\n\r\n", {"\r\n\r\n"});
    check_split_all("a\r\n.\r\r\n.\r\n.\r\nb", {"\r\n.\r\n"});
}

TEST_CASE("a long run of terminator prefixes loses and duplicates nothing", "[framer]") {
    const std::string stream = std::string(1 << 20, '\r') + "\r\n\r\n" + "rest";
    const schedule t{"\r\n\r\n"};
    const framing_result expected = test::reference_frame(stream, t);
    REQUIRE(expected.records.size() == 1);
    CHECK(test::frame(stream, t, {4096}) == expected);
    CHECK(test::frame(stream, t, {3}) == expected);
}

TEST_CASE("count terminator reached in one read", "[framer]") {
    framer f(6);
    recorder r;
    f.feed("hello world", r);
    CHECK(r.events == events{"C:hello ", "F", "C:world"});  // count 0 then collects all
    CHECK(f.get_terminator() == terminator(0));
}

TEST_CASE("count terminator spanning reads counts down", "[framer]") {
    framer f(10);
    recorder r;
    f.feed("0123", r);
    CHECK(f.get_terminator() == terminator(6));
    f.feed("45678", r);
    CHECK(f.get_terminator() == terminator(1));
    f.feed("9tail", r);
    CHECK(r.events == events{"C:0123", "C:45678", "C:9", "F", "C:tail"});
}

TEST_CASE("the count is 0 inside found_terminator", "[framer]") {
    framer f(3);
    struct sink {
        framer& f;
        std::vector<terminator> seen;
        void collect_incoming_data(std::string_view) {}
        void found_terminator() { seen.push_back(f.get_terminator()); }
    } s{f, {}};
    f.feed("abc", s);
    REQUIRE(s.seen.size() == 1);
    CHECK(s.seen[0] == terminator(0));
}

TEST_CASE("count terminator split at every position", "[framer]") {
    check_split_all("abcdefghijklmnop", {5});
    check_split_all("abcdefghijklmnop", {1});
    check_split_all("SIZE 5\r\nhelloSIZE 3\r\nabc", {"\r\n", 5, "\r\n", 3});
}

TEST_CASE("terminator switched inside found_terminator applies to bytes already read", "[framer]") {
    // Measured with CPython 3.11: H, xyz, H2, uvw.
    const std::string stream = "H\r\nxyzH2\r\nuvw";
    const schedule t{"\r\n", 3};
    CHECK(test::frame(stream, t, {}).records == std::vector<std::string>{"H", "xyz", "H2", "uvw"});
    check_split_all(stream, t);
}

TEST_CASE("terminator switched inside collect_incoming_data applies at once", "[framer]") {
    // A sink that reads a one-line header, then switches to a count from
    // inside collect_incoming_data: the rest of the same read is counted.
    framer f(asynchat::none);
    struct sink {
        framer& f;
        std::vector<std::string> events;
        void collect_incoming_data(std::string_view d) {
            events.push_back("C:" + std::string(d));
            if (f.get_terminator().is_none()) f.set_terminator(2);
        }
        void found_terminator() { events.push_back("F"); f.set_terminator("\n"); }
    } s{f, {}};
    f.feed("ab", s);  // none: collects "ab", then the count 2 is set
    f.feed("cdef\nxy", s);
    CHECK(s.events == events{"C:ab", "C:cd", "F", "C:ef", "F", "C:xy"});
}

TEST_CASE("count 0 and empty string behave exactly as none", "[framer]") {
    const std::string stream = "abc\r\ndef";
    const auto none = test::frame(stream, {asynchat::none}, {2});
    CHECK(none.records.empty());
    CHECK(none.tail == stream);
    CHECK(test::frame(stream, {0}, {2}).tail == stream);
    CHECK(test::frame(stream, {""}, {2}).tail == stream);
}

TEST_CASE("a terminator longer than the read size is found across many reads", "[framer]") {
    const std::string term = "0123456789";
    check_split_all("xx01234567yy0123456789zz", {term});
    CHECK(test::frame("xx01234567yy0123456789zz", {term}, {4}).records ==
          std::vector<std::string>{"xx01234567yy"});
}

TEST_CASE("binary data and NUL terminators", "[framer]") {
    const std::string stream("a\0b\0\0c", 6);
    const auto r = test::frame(stream, {std::string_view("\0", 1)}, {1});
    CHECK(r.records == std::vector<std::string>{"a", "b", ""});
    CHECK(r.tail == "c");
    check_split_all(std::string("\0\0\xff\xff\0\xffz", 7), {std::string_view("\0\xff", 2)});
}

TEST_CASE("100,000 records in one read need no recursion", "[framer]") {
    std::string stream;
    for (int i = 0; i < 100000; ++i) stream += "x\n";
    const auto r = test::frame(stream, {"\n"}, {});
    CHECK(r.records.size() == 100000);
}

TEST_CASE("a huge count streams the data without buffering it", "[framer]") {
    framer f(std::numeric_limits<std::size_t>::max());
    recorder r;
    const std::string chunk(4096, 'z');
    for (int i = 0; i < 256; ++i) f.feed(chunk, r);  // 1 MiB
    CHECK(r.records.empty());
    CHECK(r.current.size() == 256 * chunk.size());
    CHECK(f.capacity() < 2 * chunk.size());
    CHECK(f.get_terminator().count() == std::numeric_limits<std::size_t>::max() - 256 * chunk.size());
}

TEST_CASE("the input buffer stays within one read plus the terminator", "[framer]") {
    framer f("\r\n.\r\n");
    recorder r;
    for (int i = 0; i < 1000; ++i) {
        f.feed(std::string(4096, 'a') + "\r\n.", r);  // ends with a partial terminator
        CHECK(f.buffered().size() <= 4);
    }
    CHECK(f.capacity() <= 2 * (4096 + 3) + 64);
}

TEST_CASE("discard() inside found_terminator drops the rest of the read", "[framer]") {
    // Measured with CPython 3.11: only "a".
    framer f("\r\n");
    struct sink {
        framer& f;
        std::vector<std::string> records;
        std::string current;
        void collect_incoming_data(std::string_view d) { current.append(d); }
        void found_terminator() {
            records.push_back(std::exchange(current, {}));
            f.discard();
        }
    } s{f, {}, {}};
    f.feed("a\r\nb\r\nc\r\n", s);
    CHECK(s.records == std::vector<std::string>{"a"});
    f.feed("d\r\n", s);  // the next read is framed afresh
    CHECK(s.records == std::vector<std::string>{"a", "d"});
}

TEST_CASE("an exception from a callback leaves the framer consistent", "[framer]") {
    framer f("\n");
    struct sink {
        int calls = 0;
        std::vector<std::string> records;
        std::string current;
        void collect_incoming_data(std::string_view d) { current.append(d); }
        void found_terminator() {
            records.push_back(std::exchange(current, {}));
            if (++calls == 1) throw std::runtime_error("boom");
        }
    } s;
    CHECK_THROWS_AS(f.feed("a\nb\nc", s), std::runtime_error);
    CHECK(s.records == std::vector<std::string>{"a"});
    CHECK(f.buffered() == "b\nc");  // nothing lost, nothing delivered twice
    f.process(s);
    CHECK(s.records == std::vector<std::string>{"a", "b"});
    CHECK(s.current == "c");
}

TEST_CASE("framing_paused() holds records back until processing resumes", "[framer]") {
    framer f("\n");
    struct sink {
        bool paused = false;
        std::vector<std::string> records;
        std::string current;
        void collect_incoming_data(std::string_view d) { current.append(d); }
        void found_terminator() {
            records.push_back(std::exchange(current, {}));
            paused = true;  // one record at a time
        }
        bool framing_paused() const { return paused; }
    } s;
    f.feed("a\nb\nc\n", s);
    CHECK(s.records == std::vector<std::string>{"a"});
    CHECK(f.buffered() == "b\nc\n");
    s.paused = false;
    f.process(s);
    CHECK(s.records == std::vector<std::string>{"a", "b"});
    s.paused = false;
    f.feed("d\n", s);  // appending while paused keeps the order
    s.paused = false;
    f.process(s);
    s.paused = false;
    f.process(s);
    CHECK(s.records == std::vector<std::string>{"a", "b", "c", "d"});
}

TEST_CASE("feeding from inside a callback is refused", "[framer]") {
    framer f("\n");
    struct sink {
        framer& f;
        void collect_incoming_data(std::string_view) {}
        void found_terminator() { f.feed("again\n", *this); }
    } s{f};
    CHECK_THROWS_WITH(f.feed("x\n", s), Catch::Contains("inside a callback"));
}

TEST_CASE("commit refuses more bytes than prepared", "[framer]") {
    framer f;
    (void)f.prepare(8);
    CHECK_THROWS_AS(f.commit(1 << 20), std::logic_error);
}

TEST_CASE("shrink_to_fit frees an idle framer's buffer", "[framer]") {
    framer f("\n");
    recorder r;
    f.feed("abc\n", r);
    CHECK(f.capacity() > 0);
    f.shrink_to_fit();
    CHECK(f.capacity() == 0);
    f.feed("de\n", r);
    CHECK(r.records == std::vector<std::string>{"abc", "de"});
}

namespace {
// A recorder that skips overflowing records.
struct skipping_recorder : recorder {
    asynchat::overflow record_too_long(std::size_t) { return asynchat::overflow::skip; }
};

// A moved-from framer is empty and usable: nothing buffered, no memory, no
// record in progress, not skipping; it frames new input from scratch.
void check_moved_from(framer& from) {
    CHECK(from.buffered().empty());
    CHECK(from.received().empty());
    CHECK(from.capacity() == 0);
    CHECK(!from.record_in_progress());
    CHECK(!from.skipping());
    from.set_terminator("\n");
    recorder r;
    from.feed("x\ny", r);
    CHECK(r.records == std::vector<std::string>{"x"});
    CHECK(from.buffered().empty());
    CHECK(from.record_in_progress());
}
} // namespace

TEST_CASE("a moved framer takes the buffered input and leaves the source empty and usable",
          "[framer][move]") {
    const bool assign = GENERATE(false, true);
    INFO((assign ? "move assignment" : "move construction"));
    auto moved = [assign](framer& f) {
        std::optional<framer> g;
        if (assign) {
            g.emplace("x");
            *g = std::move(f);
        } else {
            g.emplace(std::move(f));
        }
        return g;
    };
    {
        SECTION("a partial terminator and a record in progress") {
            framer f("\r\n");
            recorder r;
            f.feed("abc\r\nde\r", r);
            CHECK(f.buffered() == "\r");
            auto g = moved(f);
            CHECK(g->buffered() == "\r");
            CHECK(g->record_in_progress());
            recorder r2;
            g->feed("\nf\r\n", r2);
            CHECK(r2.records == std::vector<std::string>{"", "f"});
            check_moved_from(f);
        }
        SECTION("skipping an overflowing record") {
            framer f("\n");
            f.set_record_limit(2);
            skipping_recorder r;
            f.feed("toolong", r);
            REQUIRE(f.skipping());
            auto g = moved(f);
            CHECK(g->skipping());
            check_moved_from(f);
        }
    }
}

TEST_CASE("shrink_to_fit gives the input buffer to the thread's cache; prepare takes it back",
          "[framer][memory]") {
    using cache = asynchat::detail::buffer_cache;
    cache::release();
    asynchat::framer f("\r\n");
    recorder r;
    char* room = f.prepare(4096);
    const std::size_t capacity = f.capacity();
    CHECK(capacity >= 4096);
    std::memcpy(room, "ab\r", 3);
    f.commit(3);
    f.process(r);
    f.shrink_to_fit();  // "\r" is held: the buffer stays
    CHECK(f.capacity() == capacity);
    CHECK(cache::cached_buffers() == 0);
    f.feed("\n", r);
    f.shrink_to_fit();
    CHECK(f.capacity() == 0);
    CHECK(cache::cached_buffers() == 1);
    CHECK(cache::cached_bytes() == capacity);
    CHECK(f.prepare(4096) == room);  // the same buffer, no allocation
    CHECK(cache::cached_buffers() == 0);
    CHECK(f.capacity() == capacity);
    cache::release();
}

TEST_CASE("the terminator search agrees with string_view::find at every offset and length", "[framer][search]") {
    // Two-byte needles take a vectorised path 32 bytes a step (x86-64): a
    // match at every position, in the last lane of a step and across steps,
    // decoy first bytes ("\r" not followed by "\n"), a needle whose bytes are
    // equal, and haystacks too short for a step.
    for (const std::string needle : {"\r\n", "\n\n", "ab"}) {
        for (std::size_t size = 0; size <= 100; ++size) {
            for (std::size_t at = 0; at + 2 <= size || (at == 0 && size < 2); ++at) {
                for (int decoys : {0, 1, 2}) {
                    std::string hay(size, 'x');
                    if (decoys >= 1)
                        for (std::size_t i = 0; i < size; i += 3) hay[i] = needle[0];
                    if (decoys == 2)
                        for (std::size_t i = 1; i < size; i += 2) hay[i] = needle[0];
                    if (at + 2 <= size) hay.replace(at, 2, needle);
                    CAPTURE(needle, size, at, decoys);
                    REQUIRE(asynchat::detail::find(hay, needle) == std::string_view(hay).find(needle));
                }
                if (size < 2) break;
            }
        }
    }
    // A match in the very last two bytes of a long haystack, none anywhere else.
    std::string hay(4096, '\r');
    CHECK(asynchat::detail::find(hay, "\r\n") == std::string_view::npos);
    hay.back() = '\n';
    CHECK(asynchat::detail::find(hay, "\r\n") == 4094);
}
