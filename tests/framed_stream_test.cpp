// framed_stream: the pull-style API on the framer. The CPython golden traces
// and cut-invariance streams replayed through it over a scripted stream; every
// C++17 completion token; cancellation; end of stream; the record limit;
// release(); misuse; and the same conversation over TCP, Unix sockets and TLS.
#include <asynchat/framed_stream.hpp>

#include "support/framing.hpp"
#include "support/loopback.hpp"

#include "support/asio.hpp"
#ifdef ASYNCHAT_TLS_DIR
#include <asynchat/tls.hpp>
#endif

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#ifndef ASYNCHAT_GOLDEN_DIR
#error "ASYNCHAT_GOLDEN_DIR must name tests/golden"
#endif

namespace {

// A stream that replays scripted reads, then ends with `end` (EOF by
// default). Each read_some takes at most one scripted piece (less if the
// buffer is smaller) and completes through a post, never inline.
class script_stream {
public:
    using executor_type = asio::io_context::executor_type;

    script_stream(asio::io_context& ctx, std::vector<std::string> reads,
                  asynchat::error_code end = asio::error::eof)
        : ex_(ctx.get_executor()), reads_(reads.rbegin(), reads.rend()), end_(end) {}

    executor_type get_executor() const noexcept { return ex_; }

    std::size_t reads_started = 0;
    std::function<void()> on_read_some;  // called as each read_some starts

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(asynchat::error_code, std::size_t)>(
            [this](auto handler, asio::mutable_buffer b) {
                ++reads_started;
                if (on_read_some) on_read_some();
                asynchat::error_code ec;
                std::size_t n = 0;
                if (reads_.empty()) {
                    ec = end_;
                } else {
                    std::string& next = reads_.back();
                    n = std::min(next.size(), b.size());
                    std::memcpy(b.data(), next.data(), n);
                    next.erase(0, n);
                    if (next.empty()) reads_.pop_back();
                }
                auto ex = asio::get_associated_executor(handler, ex_);
                asio::post(ex, [h = std::move(handler), ec, n]() mutable { std::move(h)(ec, n); });
            },
            token, asio::mutable_buffer(*asio::buffer_sequence_begin(buffers)));
    }

private:
    executor_type ex_;
    std::vector<std::string> reads_;  // reversed: the next read at the back
    asynchat::error_code end_;
};

using scripted = asynchat::framed_stream<script_stream>;
using unix_socket = asio::local::stream_protocol::socket;

struct read_result {
    asynchat::error_code ec;
    std::string record;
};

// One read with a callback, run to completion on the test thread.
template <class Framed>
read_result read_one(asio::io_context& ctx, Framed& s) {
    std::optional<read_result> r;
    s.async_read_record([&](asynchat::error_code ec, std::string record) { r = read_result{ec, std::move(record)}; });
    REQUIRE(test::run_until(ctx, [&] { return r.has_value(); }));
    return *r;
}

// Replays `reads` through a framed_stream following a terminator schedule as
// the golden generator does: after the i-th record the terminator becomes
// schedule[i % size]. A read started with a falsy terminator returns a chunk,
// not a record: chunks are the collected data of the record in progress.
test::framing_result replay(asio::io_context& ctx, std::vector<std::string> reads,
                            const test::schedule& terminators) {
    scripted s(script_stream(ctx, std::move(reads)), terminators.at(0));
    test::framing_result out;
    std::size_t found = 0;
    for (;;) {
        const bool chunk = !s.get_terminator();
        auto r = read_one(ctx, s);
        if (r.ec == asio::error::eof) {
            out.tail += r.record;
            break;
        }
        REQUIRE(!r.ec);
        if (chunk) {
            REQUIRE(!r.record.empty());  // at least one byte
            out.tail += r.record;
            continue;
        }
        out.records.push_back(out.tail + r.record);
        out.tail.clear();
        ++found;
        s.set_terminator(terminators[found % terminators.size()]);
    }
    CHECK(s.buffered_input().empty());
    out.final_terminator = s.get_terminator();
    return out;
}

struct golden_case {
    std::string id;
    test::schedule terminators;
    std::vector<std::string> reads;
    test::framing_result expected;  // records and tail from CPython's trace
};

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::vector<golden_case> load_golden() {
    std::ifstream in(ASYNCHAT_GOLDEN_DIR "/framing.golden");
    REQUIRE(in);
    std::vector<golden_case> cases;
    auto rest = [](const std::string& line, const std::string& key) {
        REQUIRE(line.rfind(key, 0) == 0);
        return line.size() > key.size() ? line.substr(key.size() + 1) : std::string();
    };
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        golden_case c;
        c.id = rest(line, "case");
        std::getline(in, line);
        for (const auto& w : words(rest(line, "schedule"))) c.terminators.push_back(test::parse_terminator(w));
        std::getline(in, line);
        for (const auto& w : words(rest(line, "reads"))) c.reads.push_back(test::from_hex(w));
        std::getline(in, line);
        // The trace: "C:<hex>" collects, "F" ends a record, "R" ends a read.
        for (const auto& w : words(rest(line, "trace"))) {
            if (w == "F") {
                c.expected.records.push_back(std::move(c.expected.tail));
                c.expected.tail.clear();
            } else if (w.rfind("C:", 0) == 0) {
                c.expected.tail += test::from_hex(w.substr(2));
            }
        }
        std::getline(in, line);
        const auto fin = words(rest(line, "final"));
        REQUIRE(fin.size() == 2);
        c.expected.final_terminator = test::parse_terminator(fin[0]);
        // At end of stream the unfinished record includes what CPython still buffers.
        if (fin[1] != "-") c.expected.tail += test::from_hex(fin[1]);
        cases.push_back(std::move(c));
    }
    return cases;
}

std::vector<std::string> cut(const std::string& stream, const std::vector<std::size_t>& sizes) {
    std::vector<std::string> out;
    for (std::size_t at = 0, k = 0; at < stream.size(); ++k) {
        const std::size_t n = sizes.empty() ? stream.size() : sizes[k % sizes.size()];
        out.push_back(stream.substr(at, n));
        at += n;
    }
    return out;
}

} // namespace

// ---------------------------------------------------------------- framing

TEST_CASE("framed_stream gives CPython's records for the golden traces, read for read",
          "[framed_stream][golden]") {
    asio::io_context ctx;
    const auto cases = load_golden();
    REQUIRE(cases.size() > 1000);
    for (const auto& c : cases) {
        INFO("golden case " << c.id);
        CHECK(replay(ctx, c.reads, c.terminators) == c.expected);
    }
}

TEST_CASE("framed_stream's records do not depend on how the golden streams are cut",
          "[framed_stream][golden][invariance]") {
    asio::io_context ctx;
    for (const auto& c : load_golden()) {
        INFO("golden case " << c.id);
        std::string stream;
        for (const auto& r : c.reads) stream += r;
        CHECK(replay(ctx, {stream}, c.terminators) == c.expected);
        CHECK(replay(ctx, cut(stream, {1}), c.terminators) == c.expected);
        if (stream.size() > 48) continue;  // every cut of the short ones
        for (std::size_t at = 1; at < stream.size(); ++at) {
            INFO("cut at " << at);
            CHECK(replay(ctx, {stream.substr(0, at), stream.substr(at)}, c.terminators) == c.expected);
        }
    }
}

TEST_CASE("framed_stream gives the reference model's records for random streams cut at random",
          "[framed_stream][invariance]") {
    asio::io_context ctx;
    std::mt19937 rng(4242);
    const std::vector<asynchat::terminator> choices{
        "\n", "\r\n", "aab", "abab", "\r\n.\r\n", std::string(1, '\0'), "a", "",
        std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{17}, asynchat::none};
    const std::string alphabet("ab\r\n.\0", 6);
    for (int round = 0; round < 400; ++round) {
        test::schedule terminators;
        for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) terminators.push_back(choices[rng() % choices.size()]);
        std::string stream;
        for (std::size_t n = 1 + rng() % 120; n > 0; --n) stream += alphabet[rng() % alphabet.size()];
        INFO("round " << round << " stream " << test::to_hex(stream));
        const test::framing_result expected = test::reference_frame(stream, terminators);
        CHECK(replay(ctx, {stream}, terminators) == expected);
        std::vector<std::size_t> sizes;
        for (int k = 0; k < 5; ++k) sizes.push_back(1 + rng() % 9);
        CHECK(replay(ctx, cut(stream, sizes), terminators) == expected);
    }
}

TEST_CASE("a terminator set between two reads frames the bytes already buffered", "[framed_stream]") {
    asio::io_context ctx;
    // One read brings a command line, a counted body and the next line.
    scripted s(script_stream(ctx, {"set k 5\r\nhello\r\nget k\r\n"}), "\r\n");
    CHECK(read_one(ctx, s).record == "set k 5");
    CHECK(s.buffered_input() == "hello\r\nget k\r\n");
    s.set_terminator(5 + 2);
    CHECK(read_one(ctx, s).record == "hello\r\n");
    CHECK(s.get_terminator() == asynchat::terminator(0));  // as CPython: the count is spent
    s.set_terminator("\r\n");
    CHECK(read_one(ctx, s).record == "get k");
    CHECK(s.get_executor() == ctx.get_executor());
    CHECK(s.next_layer().reads_started == 1);
}

TEST_CASE("a read with a falsy terminator returns the bytes available, at least one",
          "[framed_stream]") {
    asio::io_context ctx;
    for (const asynchat::terminator& falsy : {asynchat::terminator(asynchat::none), asynchat::terminator(""),
                                             asynchat::terminator(0)}) {
        INFO("terminator " << falsy);
        scripted s(script_stream(ctx, {"line\r\nraw bytes", "more"}), "\r\n");
        CHECK(read_one(ctx, s).record == "line");
        s.set_terminator(falsy);
        CHECK(read_one(ctx, s).record == "raw bytes");  // buffered: no read needed
        CHECK(s.next_layer().reads_started == 1);
        CHECK(read_one(ctx, s).record == "more");       // one read's worth
        const auto end = read_one(ctx, s);
        CHECK(end.ec == asio::error::eof);
        CHECK(end.record.empty());
    }
}

TEST_CASE("a record longer than one read_some is read whole", "[framed_stream]") {
    asio::io_context ctx;
    const std::string big(3 * scripted::read_size + 123, 'x');
    scripted s(script_stream(ctx, {big + "\n" + big, "\nend\n"}), "\n");
    CHECK(read_one(ctx, s).record == big);
    CHECK(read_one(ctx, s).record == big);
    CHECK(read_one(ctx, s).record == "end");
    scripted t(script_stream(ctx, {big}), 2 * scripted::read_size + 1);
    CHECK(read_one(ctx, t).record == big.substr(0, 2 * scripted::read_size + 1));
}

// ---------------------------------------------------------------- end of stream

TEST_CASE("at end of stream the read fails with eof and hands over the unfinished record",
          "[framed_stream][eof]") {
    asio::io_context ctx;
    SECTION("string terminator, record in progress") {
        scripted s(script_stream(ctx, {"abc\r\nde", "f"}), "\r\n");
        CHECK(read_one(ctx, s).record == "abc");
        auto r = read_one(ctx, s);
        CHECK(r.ec == asio::error::eof);
        CHECK(r.record == "def");
        CHECK(s.buffered_input().empty());
    }
    SECTION("a partial terminator is part of the unfinished record") {
        scripted s(script_stream(ctx, {"abc\r"}), "\r\n");
        auto r = read_one(ctx, s);
        CHECK(r.ec == asio::error::eof);
        CHECK(r.record == "abc\r");
    }
    SECTION("count terminator, fewer bytes than counted") {
        scripted s(script_stream(ctx, {"ab", "c"}), 5);
        auto r = read_one(ctx, s);
        CHECK(r.ec == asio::error::eof);
        CHECK(r.record == "abc");
        CHECK(s.get_terminator() == asynchat::terminator(2));  // as async_chat leaves it
    }
    SECTION("nothing after the last record: empty, and eof again on the next read") {
        scripted s(script_stream(ctx, {"abc\n"}), "\n");
        CHECK(read_one(ctx, s).record == "abc");
        for (int k = 0; k < 2; ++k) {
            auto r = read_one(ctx, s);
            CHECK(r.ec == asio::error::eof);
            CHECK(r.record.empty());
        }
    }
    SECTION("the record completed by the last bytes comes first, then eof") {
        scripted s(script_stream(ctx, {"abc\n"}), "\n");
        auto r = read_one(ctx, s);
        CHECK(!r.ec);
        CHECK(r.record == "abc");
    }
}

TEST_CASE("another stream error keeps the unfinished record buffered", "[framed_stream][eof]") {
    asio::io_context ctx;
    scripted s(script_stream(ctx, {"abc\r\nde", "f\r"}, asio::error::connection_reset), "\r\n");
    CHECK(read_one(ctx, s).record == "abc");
    auto r = read_one(ctx, s);
    CHECK(r.ec == asio::error::connection_reset);
    CHECK(r.record.empty());
    CHECK(s.buffered_input() == "def\r");
    // The error is final: later reads fail with it without reading again,
    // after what the buffered bytes still hold.
    const std::size_t reads = s.next_layer().reads_started;
    r = read_one(ctx, s);
    CHECK(r.ec == asio::error::connection_reset);
    s.set_terminator("e");
    CHECK(read_one(ctx, s).record == "d");
    CHECK(read_one(ctx, s).ec == asio::error::connection_reset);
    CHECK(s.next_layer().reads_started == reads);
    CHECK(s.release() == "f\r");
}

namespace {
// A stream whose each read_some completes with scripted bytes AND an error
// together, as a real stream may (bytes, then eof, in one completion).
struct piece {
    std::string bytes;
    asynchat::error_code ec;
};
class piece_stream {
public:
    using executor_type = asio::io_context::executor_type;
    piece_stream(asio::io_context& ctx, std::vector<piece> pieces)
        : ex_(ctx.get_executor()), pieces_(pieces.rbegin(), pieces.rend()) {}
    executor_type get_executor() const noexcept { return ex_; }
    std::size_t reads_started = 0;

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(asynchat::error_code, std::size_t)>(
            [this](auto handler, asio::mutable_buffer b) {
                ++reads_started;
                piece p{"", asio::error::eof};
                if (!pieces_.empty()) {
                    p = std::move(pieces_.back());
                    pieces_.pop_back();
                }
                REQUIRE(p.bytes.size() <= b.size());
                std::memcpy(b.data(), p.bytes.data(), p.bytes.size());
                asio::post(ex_, [h = std::move(handler), ec = p.ec, n = p.bytes.size()]() mutable {
                    std::move(h)(ec, n);
                });
            },
            token, asio::mutable_buffer(*asio::buffer_sequence_begin(buffers)));
    }

private:
    executor_type ex_;
    std::vector<piece> pieces_;  // reversed: the next read at the back
};
} // namespace

TEST_CASE("bytes and an error in one read_some completion", "[framed_stream][eof]") {
    asio::io_context ctx;
    using framed = asynchat::framed_stream<piece_stream>;
    SECTION("end of stream with the bytes: the records, then eof, without reading again") {
        framed s(piece_stream(ctx, {{"a\nb", asio::error::eof}, {"c\n", {}}}), "\n");
        CHECK(read_one(ctx, s).record == "a");
        auto r = read_one(ctx, s);
        CHECK(r.ec == asio::error::eof);
        CHECK(r.record == "b");
        CHECK(s.next_layer().reads_started == 1);
    }
    SECTION("a stream error with the bytes: the records, then the error, without reading again") {
        framed s(piece_stream(ctx, {{"a\nb", asio::error::connection_reset}, {"c\n", {}}}), "\n");
        CHECK(read_one(ctx, s).record == "a");
        auto r = read_one(ctx, s);
        CHECK(r.ec == asio::error::connection_reset);
        CHECK(r.record.empty());
        CHECK(s.buffered_input() == "b");
        CHECK(s.next_layer().reads_started == 1);
    }
    SECTION("would_block or try_again with the bytes is not an error") {
        const asynchat::error_code transient =
            GENERATE(asynchat::error_code(asio::error::would_block), asynchat::error_code(asio::error::try_again));
        framed s(piece_stream(ctx, {{"a\nb\n", transient}, {"c\n", {}}}), "\n");
        CHECK(read_one(ctx, s).record == "a");
        CHECK(read_one(ctx, s).record == "b");
        CHECK(read_one(ctx, s).record == "c");
        CHECK(read_one(ctx, s).ec == asio::error::eof);
    }
    SECTION("operation_aborted with a whole record: the record; the next read is not cancelled") {
        framed s(piece_stream(ctx, {{"a\nb\n", asio::error::operation_aborted}, {"c\n", {}}}), "\n");
        CHECK(read_one(ctx, s).record == "a");
        CHECK(read_one(ctx, s).record == "b");
        CHECK(read_one(ctx, s).record == "c");
    }
    SECTION("operation_aborted with part of a record: aborted, the bytes kept") {
        framed s(piece_stream(ctx, {{"ab", asio::error::operation_aborted}, {"c\n", {}}}), "\n");
        CHECK(read_one(ctx, s).ec == asio::error::operation_aborted);
        CHECK(s.buffered_input() == "ab");
        CHECK(read_one(ctx, s).record == "abc");
    }
}

// ---------------------------------------------------------------- record limit

TEST_CASE("set_record_limit fails the read with record_too_long", "[framed_stream][limit]") {
    asio::io_context ctx;
    const std::vector<std::vector<std::string>> cuts{
        {"12345\n123456\nok\n"}, {"12345\n1234", "56\nok\n"}, cut("12345\n123456\nok\n", {1})};
    for (const auto& reads : cuts) {
        SECTION("overflow::close (default): every later read fails") {
            scripted s(script_stream(ctx, reads), "\n");
            s.set_record_limit(5);
            CHECK(s.record_limit() == 5);
            CHECK(read_one(ctx, s).record == "12345");  // exactly the limit: accepted
            for (int k = 0; k < 2; ++k) {
                auto r = read_one(ctx, s);
                CHECK(r.ec == asynchat::error::record_too_long);
                CHECK(r.record.empty());
            }
            CHECK(s.buffered_input().empty());
        }
        SECTION("overflow::skip: the next read returns the record after it") {
            scripted s(script_stream(ctx, reads), "\n");
            s.set_record_limit(5, asynchat::overflow::skip);
            CHECK(read_one(ctx, s).record == "12345");
            auto r = read_one(ctx, s);
            CHECK(r.ec == asynchat::error::record_too_long);
            CHECK(r.record.empty());
            CHECK(read_one(ctx, s).record == "ok");
            CHECK(read_one(ctx, s).ec == asio::error::eof);
        }
    }
}

TEST_CASE("record limit with a count or no terminator, and at end of stream while skipping",
          "[framed_stream][limit]") {
    asio::io_context ctx;
    SECTION("a declared count over the limit fails, and cannot be skipped") {
        scripted s(script_stream(ctx, {"0123456789abc"}), 10);
        s.set_record_limit(9, asynchat::overflow::skip);
        CHECK(read_one(ctx, s).ec == asynchat::error::record_too_long);
        CHECK(read_one(ctx, s).ec == asynchat::error::record_too_long);
    }
    SECTION("a falsy terminator: the limit bounds each read, not their sum") {
        scripted s(script_stream(ctx, {"abcd", "efgh", "ijklm"}), asynchat::none);
        s.set_record_limit(4);
        CHECK(read_one(ctx, s).record == "abcd");
        CHECK(read_one(ctx, s).record == "efgh");
        CHECK(read_one(ctx, s).record == "ijkl");  // at most the limit; the rest stays buffered
        CHECK(s.buffered_input() == "m");
        CHECK(read_one(ctx, s).record == "m");
    }
    SECTION("eof while skipping: no unfinished record is made of the skipped bytes") {
        scripted s(script_stream(ctx, {"toolong\r"}), "\r\n");
        s.set_record_limit(3, asynchat::overflow::skip);
        CHECK(read_one(ctx, s).ec == asynchat::error::record_too_long);
        auto r = read_one(ctx, s);
        CHECK(r.ec == asio::error::eof);
        CHECK(r.record.empty());
    }
}

TEST_CASE("a falsy terminator with a record limit: reads do not depend on how the stream is cut",
          "[framed_stream][limit]") {
    asio::io_context ctx;
    const std::string stream = "abcdefghijklmnopq";
    const asynchat::terminator falsy = GENERATE(asynchat::terminator(asynchat::none),
                                                asynchat::terminator(""), asynchat::terminator(0));
    const auto policy = GENERATE(asynchat::overflow::close, asynchat::overflow::skip);
    for (std::size_t limit : {1, 3, 4, 5, 16, 17, 40}) {
        for (const auto& sizes : std::vector<std::vector<std::size_t>>{{}, {1}, {2, 3}, {4}, {8}, {5, 7}}) {
            INFO("limit " << limit << " cut " << sizes.size());
            scripted s(script_stream(ctx, cut(stream, sizes)), falsy);
            s.set_record_limit(limit, policy);
            std::string got;
            read_result r;
            while (!(r = read_one(ctx, s)).ec) {
                CHECK(!r.record.empty());
                CHECK(r.record.size() <= limit);
                got += r.record;
            }
            CHECK(r.ec == asio::error::eof);
            CHECK(r.record.empty());
            CHECK(got == stream);
        }
    }
    SECTION("limit 0: every read fails, however the stream is cut") {
        for (const auto& sizes : std::vector<std::vector<std::size_t>>{{}, {1}, {4}}) {
            scripted s(script_stream(ctx, cut(stream, sizes)), falsy);
            s.set_record_limit(0, policy);
            CHECK(read_one(ctx, s).ec == asynchat::error::record_too_long);
            CHECK(read_one(ctx, s).ec == asynchat::error::record_too_long);
        }
    }
    SECTION("after a line, the bytes buffered behind it are returned limit by limit") {
        scripted s(script_stream(ctx, {"cmd\nabcdefghij"}), "\n");
        s.set_record_limit(4, policy);
        CHECK(read_one(ctx, s).record == "cmd");
        s.set_terminator(falsy);
        CHECK(read_one(ctx, s).record == "abcd");
        CHECK(read_one(ctx, s).record == "efgh");
        CHECK(read_one(ctx, s).record == "ij");
        s.set_terminator("\n");
        CHECK(read_one(ctx, s).ec == asio::error::eof);
    }
}

TEST_CASE("framed_stream with skip matches the reference model's overflows", "[framed_stream][limit]") {
    asio::io_context ctx;
    std::mt19937 rng(99);
    const std::string alphabet("ab\n\r", 4);
    for (int round = 0; round < 300; ++round) {
        std::string stream;
        for (std::size_t n = 1 + rng() % 80; n > 0; --n) stream += alphabet[rng() % alphabet.size()];
        const std::size_t limit = rng() % 8;
        const test::schedule terminators{rng() % 2 ? "\n" : "\r\n"};
        INFO("round " << round << " limit " << limit << " stream " << test::to_hex(stream));
        const auto expected = test::reference_frame(stream, terminators, limit);
        for (const auto& reads : {std::vector<std::string>{stream}, cut(stream, {1}), cut(stream, {2, 3})}) {
            scripted s(script_stream(ctx, reads), terminators[0]);
            s.set_record_limit(limit, asynchat::overflow::skip);
            std::vector<std::string> records;
            std::size_t overflows = 0;
            read_result r;
            while (!(r = read_one(ctx, s)).ec || r.ec == asynchat::error::record_too_long) {
                if (r.ec) ++overflows;
                else records.push_back(r.record);
            }
            CHECK(r.ec == asio::error::eof);
            CHECK(records == expected.records);
            CHECK(overflows == expected.overflows);
            if (!expected.stopped) CHECK(r.record == expected.tail);
        }
    }
}

// ---------------------------------------------------------------- release

TEST_CASE("release() hands over the bytes past the last record, after a terminator switch",
          "[framed_stream][release]") {
    asio::io_context ctx;
    SECTION("after a line, then a count") {
        scripted s(script_stream(ctx, {"HEAD\r\n\r\nBODY12345rest", "later"}), "\r\n\r\n");
        CHECK(read_one(ctx, s).record == "HEAD");
        s.set_terminator(4);
        CHECK(read_one(ctx, s).record == "BODY");
        CHECK(s.buffered_input() == "12345rest");
        CHECK(s.release() == "12345rest");
        CHECK(s.buffered_input().empty());
        CHECK(s.release().empty());
        s.set_terminator(asynchat::none);
        CHECK(read_one(ctx, s).record == "later");  // the stream goes on after the released bytes
    }
    SECTION("a partial terminator is handed over too") {
        scripted s(script_stream(ctx, {"STARTTLS\r\n\x16\x03\x01\r"}), "\r\n");
        CHECK(read_one(ctx, s).record == "STARTTLS");
        s.set_terminator("\r\n");
        CHECK(s.release() == "\x16\x03\x01\r");
    }
}

TEST_CASE("release() after an overflow::skip overflow drops the rejected record's bytes",
          "[framed_stream][release][limit]") {
    asio::io_context ctx;
    SECTION("its terminator buffered: what follows it is handed over") {
        scripted s(script_stream(ctx, {"toolong\r\nnext\r\nrest"}), "\r\n");
        s.set_record_limit(3, asynchat::overflow::skip);
        CHECK(read_one(ctx, s).ec == asynchat::error::record_too_long);
        CHECK(s.release() == "next\r\nrest");
        CHECK(s.buffered_input().empty());
    }
    SECTION("its terminator not yet read: nothing is handed over") {
        scripted s(script_stream(ctx, {"toolong"}), "\r\n");
        s.set_record_limit(3, asynchat::overflow::skip);
        CHECK(read_one(ctx, s).ec == asynchat::error::record_too_long);
        CHECK(s.release().empty());
    }
    SECTION("a partial terminator of the rejected record is dropped too") {
        scripted s(script_stream(ctx, {"toolong\r"}), "\r\n");
        s.set_record_limit(3, asynchat::overflow::skip);
        CHECK(read_one(ctx, s).ec == asynchat::error::record_too_long);
        CHECK(s.release().empty());
    }
    SECTION("the overflowing record ends in the buffered bytes of a later read") {
        scripted s(script_stream(ctx, {"ok\r\ntoolong", "er\r\nnext"}), "\r\n");
        s.set_record_limit(3, asynchat::overflow::skip);
        CHECK(read_one(ctx, s).record == "ok");
        CHECK(read_one(ctx, s).ec == asynchat::error::record_too_long);
        CHECK(s.release().empty());  // "toolong" was all that had come
    }
}

TEST_CASE("a moved framed_stream takes the buffered input; the moved-from one is empty and safe",
          "[framed_stream][move]") {
    asio::io_context ctx;
    const bool assign = GENERATE(false, true);
    INFO((assign ? "move assignment" : "move construction"));
    scripted s(script_stream(ctx, {"a\nb\nc", "d\n"}), "\n");
    CHECK(read_one(ctx, s).record == "a");
    REQUIRE(s.buffered_input() == "b\nc");
    std::optional<scripted> t;
    if (assign) {
        t.emplace(script_stream(ctx, {}), "x");
        *t = std::move(s);
    } else {
        t.emplace(std::move(s));
    }
    CHECK(t->buffered_input() == "b\nc");
    CHECK(read_one(ctx, *t).record == "b");
    CHECK(read_one(ctx, *t).record == "cd");
    // The moved-from object: nothing buffered, nothing to release, and a
    // read fails cleanly (its script_stream was moved from too: end of stream).
    CHECK(s.buffered_input().empty());
    CHECK(s.release().empty());
    auto r = read_one(ctx, s);
    CHECK(r.ec == asio::error::eof);
    CHECK(r.record.empty());
}

// ---------------------------------------------------------------- completion tokens

TEST_CASE("every C++17 completion token reads records", "[framed_stream][tokens]") {
    asio::io_context ctx;
    scripted s(script_stream(ctx, {"one\ntwo\nthree\nfour\nfive\nsix\nseven"}), "\n");

    SECTION("callback, use_future, deferred, as_tuple, detached, bind_executor, appending overload") {
        std::vector<std::string> got;
        s.async_read_record([&](asynchat::error_code ec, std::string r) {
            CHECK(!ec);
            got.push_back(std::move(r));
        });
        ctx.run();
        ctx.restart();

        std::future<std::string> f = s.async_read_record(asio::use_future);
        ctx.run();
        ctx.restart();
        got.push_back(f.get());

#if defined(ASYNCHAT_TEST_HAS_EXPERIMENTAL_TOKENS)
        auto op = s.async_read_record(asio::experimental::deferred);
        CHECK(s.buffered_input() == "three\nfour\nfive\nsix\nseven");  // deferred: not started yet
        std::move(op)([&](asynchat::error_code ec, std::string r) {
            CHECK(!ec);
            got.push_back(std::move(r));
        });
        ctx.run();
        ctx.restart();

        s.async_read_record(asio::experimental::as_tuple([&](std::tuple<asynchat::error_code, std::string> t) {
            CHECK(!std::get<0>(t));
            got.push_back(std::get<1>(t));
        }));
        ctx.run();
        ctx.restart();
#else
        // This Asio has neither deferred nor as_tuple: two callbacks instead.
        for (int i = 0; i < 2; ++i) {
            s.async_read_record([&](asynchat::error_code ec, std::string r) {
                CHECK(!ec);
                got.push_back(std::move(r));
            });
            ctx.run();
            ctx.restart();
        }
#endif

        s.async_read_record(asio::detached);  // "five" is consumed, unseen
        ctx.run();
        ctx.restart();

        auto strand = asio::make_strand(ctx);
        bool on_strand = false;
        s.async_read_record(asio::bind_executor(strand, [&](asynchat::error_code, std::string r) {
            on_strand = strand.running_in_this_thread();
            got.push_back(std::move(r));
        }));
        ctx.run();
        ctx.restart();
        CHECK(on_strand);

        std::string buffer = "kept:";
        std::size_t appended = 0;
        s.async_read_record(buffer, [&](asynchat::error_code ec, std::size_t n) {
            CHECK(ec == asio::error::eof);  // "seven" is unfinished
            appended = n;
        });
        ctx.run();
        CHECK(buffer == "kept:seven");
        CHECK(appended == 5);
        CHECK(got == std::vector<std::string>{"one", "two", "three", "four", "six"});
    }
}

TEST_CASE("a handler never runs inside async_read_record", "[framed_stream][tokens]") {
    asio::io_context ctx;
    scripted s(script_stream(ctx, {"a\nb\n"}), "\n");
    CHECK(read_one(ctx, s).record == "a");  // "b\n" is now buffered: no I/O needed
    bool ran = false;
    s.async_read_record([&](asynchat::error_code, std::string) { ran = true; });
    CHECK(!ran);
    ctx.restart();
    ctx.run();
    CHECK(ran);
}

TEST_CASE("the handler runs on its associated executor after a real async_read_some",
          "[framed_stream][tokens]") {
    asio::io_context ctx, other;
    unix_socket a(ctx), peer(ctx);
    asio::local::connect_pair(a, peer);
    asynchat::framed_stream<unix_socket> s(std::move(a), "\n");
    auto work = asio::make_work_guard(other);
    std::optional<read_result> r;
    bool on_other = false;
    s.async_read_record(asio::bind_executor(other, [&](asynchat::error_code ec, std::string rec) {
        on_other = other.get_executor().running_in_this_thread();
        r = read_result{ec, std::move(rec)};
    }));
    ctx.poll();  // nothing has arrived: the read waits in async_read_some
    ctx.restart();
    REQUIRE(!r);
    asio::write(peer, asio::buffer(std::string("line\n")));
    // The read completes on ctx; its handler must wait for `other`.
    REQUIRE(test::run_until(ctx, [&] {
        other.poll();
        return r.has_value();
    }));
    CHECK(on_other);
    CHECK(!r->ec);
    CHECK(r->record == "line");
}

namespace {
// A stream with get_executor() but no nested executor_type.
class bare_stream {
public:
    explicit bare_stream(script_stream s) : s_(std::move(s)) {}
    auto get_executor() const noexcept { return s_.get_executor(); }
    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return s_.async_read_some(buffers, std::forward<Token>(token));
    }

private:
    script_stream s_;
};
} // namespace

TEST_CASE("a stream without a nested executor_type", "[framed_stream][tokens]") {
    asio::io_context ctx;
    asynchat::framed_stream<bare_stream> s(bare_stream(script_stream(ctx, {"a\nb"})), "\n");
    static_assert(std::is_same_v<decltype(s)::executor_type, asio::io_context::executor_type>);
    CHECK(read_one(ctx, s).record == "a");
    CHECK(s.get_executor() == ctx.get_executor());
}

TEST_CASE("the appending overload reuses the caller's buffer", "[framed_stream][tokens]") {
    asio::io_context ctx;
    scripted s(script_stream(ctx, {"alpha\nbeta\ngam", "ma\n"}), "\n");
    std::string buffer;
    buffer.reserve(64);
    const char* const storage = buffer.data();
    std::vector<std::string> got;
    for (int k = 0; k < 3; ++k) {
        buffer.clear();
        asynchat::error_code ec;
        s.async_read_record(buffer, [&](asynchat::error_code e, std::size_t n) {
            ec = e;
            CHECK(n == buffer.size());
        });
        ctx.run();
        ctx.restart();
        CHECK(!ec);
        got.push_back(buffer);
    }
    CHECK(got == std::vector<std::string>{"alpha", "beta", "gamma"});
    CHECK(buffer.data() == storage);
}

// ---------------------------------------------------------------- misuse

TEST_CASE("a second read started while one is pending fails with already_started",
          "[framed_stream][misuse]") {
    asio::io_context ctx;
    unix_socket a(ctx), b(ctx);
    asio::local::connect_pair(a, b);
    asynchat::framed_stream<unix_socket> s(std::move(a), "\n");
    std::optional<read_result> first, second;
    s.async_read_record([&](asynchat::error_code ec, std::string r) { first = read_result{ec, r}; });
    s.async_read_record([&](asynchat::error_code ec, std::string r) { second = read_result{ec, r}; });
    CHECK(!second);  // never inside the initiating call, even for misuse
    CHECK_THROWS_AS(s.release(), std::logic_error);
    REQUIRE(test::run_until(ctx, [&] { return second.has_value(); }));
    CHECK(second->ec == asio::error::already_started);
    CHECK(second->record.empty());
    CHECK(!first);
    asio::write(b, asio::buffer(std::string("hello\nworld\n")));
    REQUIRE(test::run_until(ctx, [&] { return first.has_value(); }));
    CHECK(!first->ec);
    CHECK(first->record == "hello");
    CHECK(s.buffered_input() == "world\n");
}

// ---------------------------------------------------------------- cancellation

namespace {
struct unix_pair {
    explicit unix_pair(asio::io_context& ctx) : peer(ctx) {
        unix_socket a(ctx);
        asio::local::connect_pair(a, peer);
        s.emplace(std::move(a));
    }
    unix_socket peer;
    std::optional<asynchat::framed_stream<unix_socket>> s;
};

#if defined(ASYNCHAT_TEST_HAS_CANCELLATION_SLOT)
using cancel_kind = asio::cancellation_type;
#define ASYNCHAT_TEST_CANCEL_KINDS                                                                 \
    asio::cancellation_type::terminal, asio::cancellation_type::partial, asio::cancellation_type::total
#else
// Asio before 1.19 (Boost before 1.77) has no per-operation cancellation; the
// stream's cancel() aborts the pending read_some the same way.
enum class cancel_kind { stream_cancel };
#define ASYNCHAT_TEST_CANCEL_KINDS cancel_kind::stream_cancel
#endif

// Starts a read bound to a cancellation signal (or, without per-operation
// cancellation, a plain read), lets it block in read_some, cancels it.
read_result cancelled_read(asio::io_context& ctx, asynchat::framed_stream<unix_socket>& s,
                           cancel_kind type,
                           const std::function<void()>& before_cancel = nullptr) {
    std::optional<read_result> r;
    auto handler = [&](asynchat::error_code ec, std::string rec) { r = read_result{ec, std::move(rec)}; };
#if defined(ASYNCHAT_TEST_HAS_CANCELLATION_SLOT)
    asio::cancellation_signal signal;
    s.async_read_record(asio::bind_cancellation_slot(signal.slot(), handler));
#else
    s.async_read_record(handler);
#endif
    ctx.poll();  // take what has arrived; then the read waits for more
    ctx.restart();
    REQUIRE(!r);
    if (before_cancel) before_cancel();
#if defined(ASYNCHAT_TEST_HAS_CANCELLATION_SLOT)
    signal.emit(type);
#else
    (void)type;
    s.next_layer().cancel();
#endif
    REQUIRE(test::run_until(ctx, [&] { return r.has_value(); }));
    return *r;
}
} // namespace

TEST_CASE("cancelling a pending read loses no bytes", "[framed_stream][cancel]") {
    asio::io_context ctx;
    const auto type = GENERATE(ASYNCHAT_TEST_CANCEL_KINDS);
    INFO("cancellation type " << static_cast<int>(type));
    unix_pair p(ctx);
    auto& s = *p.s;

    SECTION("string terminator, record and partial terminator in progress") {
        s.set_terminator("\r\n");
        asio::write(p.peer, asio::buffer(std::string("first\r\nhel\r")));
        CHECK(read_one(ctx, s).record == "first");
        auto r = cancelled_read(ctx, s, type);
        CHECK(r.ec == asio::error::operation_aborted);
        CHECK(r.record.empty());
        CHECK(s.buffered_input() == "hel\r");
        CHECK(s.get_terminator() == asynchat::terminator("\r\n"));
        asio::write(p.peer, asio::buffer(std::string("lo\r\n")));
        CHECK(read_one(ctx, s).record == "hel\rlo");
    }
    SECTION("count terminator: the count is restored") {
        s.set_terminator(10);
        asio::write(p.peer, asio::buffer(std::string("abcd")));
        auto r = cancelled_read(ctx, s, type);
        CHECK(r.ec == asio::error::operation_aborted);
        CHECK(s.get_terminator() == asynchat::terminator(10));
        CHECK(s.buffered_input() == "abcd");
        asio::write(p.peer, asio::buffer(std::string("efghijKLM")));
        CHECK(read_one(ctx, s).record == "abcdefghij");
        s.set_terminator(asynchat::none);
        CHECK(read_one(ctx, s).record == "KLM");
    }
    SECTION("a terminator set while the read is pending is kept, a string replaced by a count") {
        s.set_terminator("\r\n");
        asio::write(p.peer, asio::buffer(std::string("abc")));
        auto r = cancelled_read(ctx, s, type, [&] { s.set_terminator(10); });
        CHECK(r.ec == asio::error::operation_aborted);
        CHECK(s.get_terminator() == asynchat::terminator(10));
        CHECK(s.buffered_input() == "abc");
        asio::write(p.peer, asio::buffer(std::string("defghijXYZ")));
        CHECK(read_one(ctx, s).record == "abcdefghij");
    }
    SECTION("a terminator set while the read is pending is kept, a count replaced by a count") {
        s.set_terminator(10);
        asio::write(p.peer, asio::buffer(std::string("abcd")));
        auto r = cancelled_read(ctx, s, type, [&] { s.set_terminator(3); });
        CHECK(r.ec == asio::error::operation_aborted);
        CHECK(s.get_terminator() == asynchat::terminator(3));
        CHECK(read_one(ctx, s).record == "abc");
        CHECK(s.buffered_input() == "d");
    }
    SECTION("a terminator set while the read is pending is kept, a count replaced by a string") {
        s.set_terminator(10);
        asio::write(p.peer, asio::buffer(std::string("abcd")));
        auto r = cancelled_read(ctx, s, type, [&] { s.set_terminator("\n"); });
        CHECK(r.ec == asio::error::operation_aborted);
        CHECK(s.get_terminator() == asynchat::terminator("\n"));
        asio::write(p.peer, asio::buffer(std::string("ef\n")));
        CHECK(read_one(ctx, s).record == "abcdef");
    }
    SECTION("nothing received yet; the stream stays usable") {
        s.set_terminator("\n");
        auto r = cancelled_read(ctx, s, type);
        CHECK(r.ec == asio::error::operation_aborted);
        asio::write(p.peer, asio::buffer(std::string("x\n")));
        CHECK(read_one(ctx, s).record == "x");
    }
    SECTION("with a record limit, the cancelled bytes count once") {
        s.set_terminator("\n");
        s.set_record_limit(6);
        asio::write(p.peer, asio::buffer(std::string("abcd")));
        CHECK(cancelled_read(ctx, s, type).ec == asio::error::operation_aborted);
        asio::write(p.peer, asio::buffer(std::string("ef\n")));
        CHECK(read_one(ctx, s).record == "abcdef");
    }
}

TEST_CASE("closing the stream aborts a pending read and keeps its bytes", "[framed_stream][cancel]") {
    asio::io_context ctx;
    unix_pair p(ctx);
    auto& s = *p.s;
    s.set_terminator("\n");
    asio::write(p.peer, asio::buffer(std::string("partial")));
    std::optional<read_result> r;
    s.async_read_record([&](asynchat::error_code ec, std::string rec) { r = read_result{ec, rec}; });
    ctx.poll();
    ctx.restart();
    REQUIRE(!r);
    s.next_layer().close();
    REQUIRE(test::run_until(ctx, [&] { return r.has_value(); }));
    CHECK(r->ec == asio::error::operation_aborted);
    CHECK(s.release() == "partial");
}

#if defined(ASYNCHAT_TEST_HAS_CANCELLATION_SLOT)
TEST_CASE("a cancellation requested after the record was framed delivers the record",
          "[framed_stream][cancel]") {
    asio::io_context ctx;
    scripted s(script_stream(ctx, {"a\nb\n"}), "\n");
    CHECK(read_one(ctx, s).record == "a");
    asio::cancellation_signal signal;
    std::optional<read_result> r;
    s.async_read_record(asio::bind_cancellation_slot(
        signal.slot(), [&](asynchat::error_code ec, std::string rec) { r = read_result{ec, rec}; }));
    signal.emit(asio::cancellation_type::terminal);
    ctx.restart();
    ctx.run();
    REQUIRE(r);
    CHECK(!r->ec);
    CHECK(r->record == "b");
}

TEST_CASE("a cancellation requested while read_some brought part of a record stops the read",
          "[framed_stream][cancel]") {
    asio::io_context ctx;
    scripted s(script_stream(ctx, {"ab", "c\n"}), "\n");
    asio::cancellation_signal signal;
    // The stream ignores the slot: the request is seen when read_some completes.
    s.next_layer().on_read_some = [&] { signal.emit(asio::cancellation_type::terminal); };
    std::optional<read_result> r;
    s.async_read_record(asio::bind_cancellation_slot(
        signal.slot(), [&](asynchat::error_code ec, std::string rec) { r = read_result{ec, rec}; }));
    ctx.run();
    REQUIRE(r);
    CHECK(r->ec == asio::error::operation_aborted);
    CHECK(s.buffered_input() == "ab");
    s.next_layer().on_read_some = nullptr;
    CHECK(read_one(ctx, s).record == "abc");
}
#endif // ASYNCHAT_TEST_HAS_CANCELLATION_SLOT

// ---------------------------------------------------------------- stream kinds

namespace {

using test::tcp_pair;

// The peer writes a line, a counted body and more lines in one write; the
// framed side reads them switching terminators, and answers on next_layer().
template <class Stream, class Peer>
void conversation(asio::io_context& ctx, asynchat::framed_stream<Stream>& s, Peer& peer) {
    std::string to_read = "set k 5\r\nhello\r\nget k\r\n";
    to_read += std::string(10000, 'z') + "\r\nlast";
    bool written = false;
    asio::async_write(peer, asio::buffer(to_read), [&](asynchat::error_code ec, std::size_t) {
        CHECK(!ec);
        written = true;
    });
    CHECK(read_one(ctx, s).record == "set k 5");
    s.set_terminator(5 + 2);
    CHECK(read_one(ctx, s).record == "hello\r\n");
    s.set_terminator("\r\n");
    CHECK(read_one(ctx, s).record == "get k");
    CHECK(read_one(ctx, s).record == std::string(10000, 'z'));
    REQUIRE(test::run_until(ctx, [&] { return written; }));

    std::string reply;
    bool replied = false;
    asio::async_write(s.next_layer(), asio::buffer("STORED\r\n", 8),
                      [&](asynchat::error_code ec, std::size_t) { CHECK(!ec); });
    asio::async_read(peer, asio::dynamic_buffer(reply), asio::transfer_exactly(8),
                     [&](asynchat::error_code ec, std::size_t) {
                         CHECK(!ec);
                         replied = true;
                     });
    REQUIRE(test::run_until(ctx, [&] { return replied; }));
    CHECK(reply == "STORED\r\n");
}

} // namespace

TEST_CASE("framed_stream over TCP and a borrowed TCP socket", "[framed_stream][streams]") {
    asio::io_context ctx;
    auto [server, client] = tcp_pair(ctx);
    SECTION("owned") {
        asynchat::framed_stream<asio::ip::tcp::socket> s(std::move(server), "\r\n");
        conversation(ctx, s, client);
        client.shutdown(asio::ip::tcp::socket::shutdown_send);
        auto r = read_one(ctx, s);
        CHECK(r.ec == asio::error::eof);
        CHECK(r.record == "last");
    }
    SECTION("a reference") {
        asynchat::framed_stream<asio::ip::tcp::socket&> s(server, "\r\n");
        conversation(ctx, s, client);
        CHECK(&s.next_layer() == &server);
    }
}

TEST_CASE("framed_stream over a Unix domain socket", "[framed_stream][streams]") {
    asio::io_context ctx;
    unix_pair p(ctx);
    p.s->set_terminator("\r\n");
    conversation(ctx, *p.s, p.peer);
    p.peer.close();
    auto r = read_one(ctx, *p.s);
    CHECK(r.ec == asio::error::eof);
    CHECK(r.record == "last");
    for (int k = 0; k < 3; ++k) {  // end of stream is final (a socket read after EOF may never complete)
        r = read_one(ctx, *p.s);
        CHECK(r.ec == asio::error::eof);
        CHECK(r.record.empty());
    }
}

#ifdef ASYNCHAT_TLS_DIR
TEST_CASE("framed_stream over TLS", "[framed_stream][streams][tls]") {
    using tls_socket = asio::ssl::stream<asio::ip::tcp::socket>;
    asio::io_context ctx;
    asio::ssl::context server_ctx(asio::ssl::context::tls_server);
    server_ctx.use_certificate_chain_file(ASYNCHAT_TLS_DIR "/cert.pem");
    server_ctx.use_private_key_file(ASYNCHAT_TLS_DIR "/key.pem", asio::ssl::context::pem);
    asio::ssl::context client_ctx(asio::ssl::context::tls_client);
    client_ctx.load_verify_file(ASYNCHAT_TLS_DIR "/cert.pem");
    client_ctx.set_verify_mode(asio::ssl::verify_peer);

    auto [server, client] = tcp_pair(ctx);
    asynchat::framed_stream<tls_socket> s(tls_socket(std::move(server), server_ctx), "\r\n");
    tls_socket peer(std::move(client), client_ctx);
    int handshakes = 0;
    s.next_layer().async_handshake(asio::ssl::stream_base::server, [&](asynchat::error_code ec) {
        CHECK(!ec);
        ++handshakes;
    });
    peer.async_handshake(asio::ssl::stream_base::client, [&](asynchat::error_code ec) {
        CHECK(!ec);
        ++handshakes;
    });
    REQUIRE(test::run_until(ctx, [&] { return handshakes == 2; }));
    conversation(ctx, s, peer);

    // A cancelled read over TLS loses nothing either. The held "\r" shows
    // that the pending read has taken the bytes.
    asio::async_write(peer, asio::buffer("pa\r", 3), [&](asynchat::error_code ec, std::size_t) { CHECK(!ec); });
    std::optional<read_result> cancelled;
    auto on_cancelled = [&](asynchat::error_code ec, std::string rec) { cancelled = read_result{ec, rec}; };
#if defined(ASYNCHAT_TEST_HAS_CANCELLATION_SLOT)
    asio::cancellation_signal signal;
    s.async_read_record(asio::bind_cancellation_slot(signal.slot(), on_cancelled));
#else
    s.async_read_record(on_cancelled);
#endif
    REQUIRE(test::run_until(ctx, [&] { return s.buffered_input() == "\r"; }));
    REQUIRE(!cancelled);
#if defined(ASYNCHAT_TEST_HAS_CANCELLATION_SLOT)
    signal.emit(asio::cancellation_type::terminal);
#else
    s.next_layer().next_layer().cancel();  // no per-operation cancellation in this Asio
#endif
    REQUIRE(test::run_until(ctx, [&] { return cancelled.has_value(); }));
    CHECK(cancelled->ec == asio::error::operation_aborted);
    CHECK(s.buffered_input() == "lastpa\r");  // "last": the conversation's unfinished record
    asio::async_write(peer, asio::buffer("t\r\n", 3), [&](asynchat::error_code ec, std::size_t) { CHECK(!ec); });
    CHECK(read_one(ctx, s).record == "lastpa\rt");

    bool written = false;
    asio::async_write(peer, asio::buffer("end", 3), [&](asynchat::error_code ec, std::size_t) {
        CHECK(!ec);
        written = true;
    });
    REQUIRE(test::run_until(ctx, [&] { return written; }));
    bool shut = false;
    peer.async_shutdown([&](asynchat::error_code) { shut = true; });  // close_notify
    auto r = read_one(ctx, s);
    CHECK(r.ec == asio::error::eof);
    CHECK(r.record == "end");
    s.next_layer().next_layer().close();
    REQUIRE(test::run_until(ctx, [&] { return shut; }));
}

TEST_CASE("STARTTLS: framed_stream<starttls_stream>, release(), then the TLS handshake",
          "[framed_stream][streams][tls][release]") {
    using starttls = asynchat::starttls_stream<asio::ip::tcp::socket>;
    using tls_socket = asio::ssl::stream<asio::ip::tcp::socket>;
    asio::io_context ctx;
    asio::ssl::context server_ctx(asio::ssl::context::tls_server);
    server_ctx.use_certificate_chain_file(ASYNCHAT_TLS_DIR "/cert.pem");
    server_ctx.use_private_key_file(ASYNCHAT_TLS_DIR "/key.pem", asio::ssl::context::pem);
    asio::ssl::context client_ctx(asio::ssl::context::tls_client);
    client_ctx.load_verify_file(ASYNCHAT_TLS_DIR "/cert.pem");
    client_ctx.set_verify_mode(asio::ssl::verify_peer);

    auto [server, client] = tcp_pair(ctx);
    asynchat::framed_stream<starttls> s(starttls(std::move(server), server_ctx), "\r\n");
    tls_socket peer(std::move(client), client_ctx);
    // The client pipelines: the command, then at once its ClientHello.
    asio::write(peer.next_layer(), asio::buffer(std::string("STARTTLS\r\n")));
    int handshakes = 0;
    peer.async_handshake(asio::ssl::stream_base::client, [&](asynchat::error_code ec) {
        CHECK(!ec);
        ++handshakes;
    });
    REQUIRE(test::run_until(ctx, [&] { return s.next_layer().next_layer().available() > 10; }));
    CHECK(read_one(ctx, s).record == "STARTTLS");
    std::string early = s.release();  // the ClientHello, read with the command
    REQUIRE(!early.empty());
    CHECK(early[0] == '\x16');  // a TLS handshake record
    CHECK(s.buffered_input().empty());
    s.next_layer().begin_tls(std::move(early));
    s.next_layer().tls().async_handshake(asio::ssl::stream_base::server, [&](asynchat::error_code ec) {
        CHECK(!ec);
        ++handshakes;
    });
    REQUIRE(test::run_until(ctx, [&] { return handshakes == 2; }));
    asio::async_write(peer, asio::buffer("secret\r\nmore\r\n", 14),
                      [&](asynchat::error_code ec, std::size_t) { CHECK(!ec); });
    CHECK(read_one(ctx, s).record == "secret");
    CHECK(read_one(ctx, s).record == "more");
}
#endif
