// The record limit: independent of how the stream is cut, one report per
// record, recovery by skipping, counts refused before any byte.
#include "support/framing.hpp"

#include <asynchat/framer.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using asynchat::framer;
using asynchat::overflow;

namespace {

struct limited_sink {
    overflow policy = overflow::skip;
    std::vector<std::string> records;
    std::vector<std::size_t> overflows;
    std::string current;
    void collect_incoming_data(std::string_view d) { current.append(d); }
    void found_terminator() { records.push_back(std::exchange(current, {})); }
    overflow record_too_long(std::size_t size) {
        overflows.push_back(size);
        current.clear();  // drop what was collected of the overlong record
        return policy;
    }
};

limited_sink run(const std::string& stream, asynchat::terminator t, std::size_t limit,
                 std::size_t read_size, overflow policy = overflow::skip) {
    framer f(std::move(t));
    f.set_record_limit(limit);
    limited_sink s;
    s.policy = policy;
    for (std::size_t at = 0; at < stream.size(); at += read_size) f.feed(std::string_view(stream).substr(at, read_size), s);
    return s;
}

} // namespace

TEST_CASE("a record of exactly the limit is accepted however the stream is cut", "[framer][limit]") {
    const std::string stream = "12345678\r\nabcdefgh\r\n";
    for (std::size_t read = 1; read <= stream.size(); ++read) {
        INFO("reads of " << read << " bytes");
        const auto s = run(stream, "\r\n", 8, read);
        CHECK(s.overflows.empty());
        CHECK(s.records == std::vector<std::string>{"12345678", "abcdefgh"});
    }
}

TEST_CASE("one byte over the limit is refused however the stream is cut", "[framer][limit]") {
    const std::string stream = "123456789\r\nok\r\n";
    for (std::size_t read = 1; read <= stream.size(); ++read) {
        INFO("reads of " << read << " bytes");
        const auto s = run(stream, "\r\n", 8, read);
        REQUIRE(s.overflows.size() == 1);  // once per record, not once per read
        CHECK(s.overflows[0] > 8);
        CHECK(s.records == std::vector<std::string>{"ok"});  // skipped, then recovered
    }
}

TEST_CASE("overflow is reported before the offending bytes are passed on", "[framer][limit]") {
    framer f("\n");
    f.set_record_limit(4);
    struct sink {
        std::string collected;
        std::size_t seen = 0;
        void collect_incoming_data(std::string_view d) { collected.append(d); }
        void found_terminator() {}
        overflow record_too_long(std::size_t size) {
            seen = size;
            return overflow::close;
        }
    } s;
    f.feed("abc", s);
    f.feed("defgh", s);
    CHECK(s.collected == "abc");  // never more than the limit
    CHECK(s.seen == 8);
    CHECK(f.buffered().empty());  // close: the input is dropped
}

TEST_CASE("skipping recovers, twice in a row, and never loops", "[framer][limit]") {
    const std::string stream = std::string(100, 'x') + "\n" + "ok1\n" + std::string(50, 'y') + "\n" +
                               std::string(20, 'z') + "\nok2\n";
    for (std::size_t read : {1, 3, 7, 200}) {
        const auto s = run(stream, "\n", 10, read);
        CHECK(s.overflows.size() == 3);
        CHECK(s.records == std::vector<std::string>{"ok1", "ok2"});
    }
}

TEST_CASE("skipping keeps a partial terminator across reads", "[framer][limit]") {
    const std::string stream = std::string(30, 'a') + "\r\n.\r\nnext\r\n.\r\n";
    for (std::size_t read = 1; read <= 8; ++read) {
        const auto s = run(stream, "\r\n.\r\n", 5, read);
        CHECK(s.records == std::vector<std::string>{"next"});
    }
}

TEST_CASE("a byte count above the limit fails before any of its bytes", "[framer][limit]") {
    framer f(1000);
    f.set_record_limit(100);
    limited_sink s;
    f.feed("x", s);
    CHECK(s.current.empty());
    REQUIRE(s.overflows == std::vector<std::size_t>{1000});
    CHECK(f.buffered().empty());  // a count cannot be skipped: closed
}

TEST_CASE("the limit applies to data collected without a terminator", "[framer][limit]") {
    const auto s = run(std::string(50, 'n'), asynchat::none, 20, 50, overflow::close);
    CHECK(s.overflows == std::vector<std::size_t>{50});
    CHECK(s.current.empty());
    // Fed in pieces, the limit holds for every piece passed on.
    const auto pieces = run(std::string(50, 'n'), asynchat::none, 20, 7, overflow::close);
    REQUIRE_FALSE(pieces.overflows.empty());
    CHECK(pieces.overflows[0] == 21);
}

TEST_CASE("a record ends the count of the previous one", "[framer][limit]") {
    std::string stream;
    for (int i = 0; i < 1000; ++i) stream += "12345\n";  // 6000 bytes, records of 5
    const auto s = run(stream, "\n", 5, 4096);
    CHECK(s.overflows.empty());
    CHECK(s.records.size() == 1000);
}

TEST_CASE("without a record_too_long hook an overflow throws length_error", "[framer][limit]") {
    framer f("\n");
    f.set_record_limit(2);
    struct bare {
        void collect_incoming_data(std::string_view) {}
        void found_terminator() {}
    } s;
    CHECK_THROWS_AS(f.feed("abc\n", s), std::length_error);
}
