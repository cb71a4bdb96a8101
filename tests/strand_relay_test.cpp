// The strand relay on its own: calls from outside an object's strand are
// posted to it in order, calls from inside (or on a plain executor) run at
// once, and arguments travel safely.
#include <asynchat/detail/strand_relay.hpp>

#include "support/asio.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {
using io_strand = asio::strand<asio::io_context::executor_type>;

struct recorder : std::enable_shared_from_this<recorder> {
    std::vector<std::string> calls;
};
} // namespace

TEST_CASE("a call from outside the strand is posted and runs later, on the strand", "[strand_relay]") {
    asio::io_context ctx;
    io_strand strand = asio::make_strand(ctx);
    asynchat::detail::strand_relay<io_strand> relay(strand);
    auto owner = std::make_shared<recorder>();
    CHECK(relay.on_strand());
    CHECK(relay.must_post());
    bool ran_on_strand = false;
    std::string bytes = "moved";
    const bool posted = relay.relay(
        strand, std::weak_ptr<recorder>(owner),
        [&](recorder& r, std::string s) {
            ran_on_strand = strand.running_in_this_thread();
            r.calls.push_back(std::move(s));
        },
        std::move(bytes));
    CHECK(posted);
    CHECK(owner->calls.empty());  // not yet
    ctx.run();
    CHECK(owner->calls == std::vector<std::string>{"moved"});
    CHECK(ran_on_strand);
}

TEST_CASE("a call from inside the strand is not posted, and its arguments are untouched", "[strand_relay]") {
    asio::io_context ctx;
    io_strand strand = asio::make_strand(ctx);
    asynchat::detail::strand_relay<io_strand> relay(strand);
    auto owner = std::make_shared<recorder>();
    bool posted = true;
    std::string bytes = "kept";
    asio::post(strand, [&] {
        CHECK_FALSE(relay.must_post());
        posted = relay.relay(strand, std::weak_ptr<recorder>(owner), [](recorder&, std::string) {}, std::move(bytes));
    });
    ctx.run();
    CHECK_FALSE(posted);
    CHECK(bytes == "kept");  // the caller goes on with it
}

TEST_CASE("on a plain executor, or for an object nobody owns yet, nothing is posted", "[strand_relay]") {
    asio::io_context ctx;
    SECTION("plain executor") {
        using plain = asio::io_context::executor_type;
        asynchat::detail::strand_relay<plain> relay(ctx.get_executor());
        auto owner = std::make_shared<recorder>();
        CHECK_FALSE(relay.on_strand());
        CHECK_FALSE(relay.relay(ctx.get_executor(), std::weak_ptr<recorder>(owner), [](recorder&) {}));
    }
    SECTION("strand, but no owner") {
        io_strand strand = asio::make_strand(ctx);
        asynchat::detail::strand_relay<io_strand> relay(strand);
        recorder unowned;
        CHECK_FALSE(relay.relay(strand, unowned.weak_from_this(), [](recorder&) {}));
    }
    CHECK(ctx.poll() == 0);
}

TEST_CASE("a string_view argument is posted as a copy of its bytes", "[strand_relay]") {
    asio::io_context ctx;
    io_strand strand = asio::make_strand(ctx);
    asynchat::detail::strand_relay<io_strand> relay(strand);
    auto owner = std::make_shared<recorder>();
    {
        std::string temporary = "gone by the time the call runs";
        relay.relay(strand, std::weak_ptr<recorder>(owner),
                    [](recorder& r, std::string s) { r.calls.push_back(std::move(s)); },
                    std::string_view(temporary));
        temporary.assign(temporary.size(), 'X');
    }
    ctx.run();
    CHECK(owner->calls == std::vector<std::string>{"gone by the time the call runs"});
}

TEST_CASE("calls posted from several threads keep each thread's order and keep the owner alive",
          "[strand_relay][threads]") {
    asio::io_context ctx;
    io_strand strand = asio::make_strand(ctx);
    asynchat::detail::strand_relay<io_strand> relay(strand);
    auto owner = std::make_shared<recorder>();
    std::weak_ptr<recorder> weak = owner;
    std::vector<std::string> seen;  // outlives the owner
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 100; ++i)
                relay.relay(strand, weak, [&seen](recorder&, std::string s) { seen.push_back(std::move(s)); },
                            std::to_string(t) + ":" + std::to_string(i));
        });
    for (auto& t : threads) t.join();
    owner.reset();
    CHECK_FALSE(weak.expired());  // the posted calls hold it
    ctx.run();
    CHECK(weak.expired());
    REQUIRE(seen.size() == 400);
    std::vector<int> next(4, 0);
    bool ordered = true;
    for (const std::string& call : seen) {
        const int t = call[0] - '0';
        ordered = ordered && std::stoi(call.substr(2)) == next[static_cast<std::size_t>(t)]++;
    }
    CHECK(ordered);
}
