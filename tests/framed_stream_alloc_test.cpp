// framed_stream's steady-state allocations, over a real Unix socket: none
// per record with the appending overload, one (the returned string) with the
// other. Replaces the global operator new with one that counts calls made on
// this thread while counting is on (as alloc_test.cpp does); built without
// sanitizers only.
#include <asynchat/framed_stream.hpp>

#include "support/asio.hpp"

#include "support/counting_new.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>
#include <string>

using counting_new::allocation_counter;

namespace {

using unix_socket = asio::local::stream_protocol::socket;
using framed = asynchat::framed_stream<unix_socket>;

constexpr std::size_t lines_per_batch = 100;

// What Asio itself allocates per batch (one restart() and run() of the
// io_context, the first read started outside run()), whatever the number of
// records: none from Asio 1.22 (standalone, Debian 12); two from Asio 1.18
// (Boost 1.74, Debian 12), measured. A per-record allocation would add 5,000.
#if ASYNCHAT_TEST_ASIO_VERSION >= 102200
constexpr std::size_t asio_per_batch = 0;
#else
constexpr std::size_t asio_per_batch = 2;
#endif

// 100 lines of 62 bytes and "\r\n" (too long for the small-string buffer).
std::string batch() {
    std::string out;
    for (std::size_t i = 0; i < lines_per_batch; ++i) out += std::string(62, char('a' + i % 26)) + "\r\n";
    return out;
}

// Reads `want` records into the caller's string, one after the other.
struct appending_reader {
    framed* s;
    std::string* record;
    std::size_t* got;
    std::size_t want;
    bool* failed;
    void operator()(asynchat::error_code ec, std::size_t n) {
        if (ec || n != 62) *failed = true;
        if (++*got == want || *failed) return;
        record->clear();  // keeps the capacity
        s->async_read_record(*record, *this);
    }
};

struct string_reader {
    framed* s;
    std::size_t* got;
    std::size_t want;
    bool* failed;
    void operator()(asynchat::error_code ec, std::string r) {
        if (ec || r.size() != 62) *failed = true;
        if (++*got == want || *failed) return;
        s->async_read_record(*this);
    }
};

} // namespace

TEST_CASE("framed_stream reads records without allocating, in the steady state",
          "[alloc][framed_stream]") {
    asio::io_context ctx;
    unix_socket a(ctx), peer(ctx);
    asio::local::connect_pair(a, peer);
    framed s(std::move(a), "\r\n");
    const std::string lines = batch();
    std::string record;
    record.reserve(128);
    bool failed = false;

    auto read_batch_appending = [&] {
        asio::write(peer, asio::buffer(lines));
        std::size_t got = 0;
        record.clear();
        s.async_read_record(record, appending_reader{&s, &record, &got, lines_per_batch, &failed});
        ctx.restart();
        ctx.run();
        return got;
    };
    auto read_batch_strings = [&] {
        asio::write(peer, asio::buffer(lines));
        std::size_t got = 0;
        s.async_read_record(string_reader{&s, &got, lines_per_batch, &failed});
        ctx.restart();
        ctx.run();
        return got;
    };

    // Warm up: the input buffer, Asio's per-thread handler memory, and (last)
    // the record buffer that the appending overload reuses (the other one
    // hands it over with the record).
    REQUIRE(read_batch_strings() == lines_per_batch);
    REQUIRE(read_batch_appending() == lines_per_batch);

    SECTION("appending into the caller's string: none") {
        allocation_counter counter;
        std::size_t records = 0;
        for (int k = 0; k < 50; ++k) records += read_batch_appending();
        const std::size_t n = counter.count();
        CHECK(records == 50 * lines_per_batch);
        CHECK(n == 50 * asio_per_batch);
    }
    SECTION("returning a string: that string only") {
        // The first record would take the buffer the appending warm-up left.
        REQUIRE(read_batch_strings() == lines_per_batch);
        allocation_counter counter;
        std::size_t records = 0;
        for (int k = 0; k < 50; ++k) records += read_batch_strings();
        const std::size_t n = counter.count();
        CHECK(records == 50 * lines_per_batch);
        // Exactly one per record: 64-byte lines fill the 4096-byte reads
        // exactly, so no record is split across two reads (one split could
        // grow its string once more).
        CHECK(n == records + 50 * asio_per_batch);
    }
    CHECK(!failed);
}
