// The channel's timer component on its own: saturating arithmetic, the idle
// limit, the deadline and the one-off wait, over a real io_context.
#include <asynchat/detail/timer.hpp>

#include "support/asio.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>

namespace {
using clock_type = std::chrono::steady_clock;
using asynchat::detail::channel_timer;
using asynchat::detail::saturating_add;
using asynchat::detail::saturating_duration;
using timer_type = channel_timer<asio::io_context::executor_type>;

// Runs until no work is left; the bound is only a watchdog.
void drain(asio::io_context& ctx) {
    ctx.restart();
    ctx.run_for(std::chrono::seconds(10));
    REQUIRE(ctx.stopped());
}
} // namespace

TEST_CASE("saturating_add clamps at both ends of the clock", "[timer]") {
    const auto now = clock_type::now();
    CHECK(saturating_add(now, clock_type::duration::max()) == clock_type::time_point::max());
    CHECK(saturating_add(clock_type::time_point::min(), -std::chrono::seconds(1)) == clock_type::time_point::min());
    CHECK(saturating_add(clock_type::time_point::min(), clock_type::duration::min()) ==
          clock_type::time_point::min());
    CHECK(saturating_add(clock_type::time_point::max(), std::chrono::seconds(1)) == clock_type::time_point::max());
    CHECK(saturating_add(clock_type::time_point::max(), clock_type::duration::max()) ==
          clock_type::time_point::max());
    CHECK(saturating_add(now, std::chrono::seconds(5)) == now + std::chrono::seconds(5));
    CHECK(saturating_add(now, -std::chrono::seconds(5)) == now - std::chrono::seconds(5));
    CHECK(saturating_add(now, clock_type::duration::zero()) == now);
}

TEST_CASE("saturating_duration converts any chrono duration without overflow", "[timer]") {
    using std::chrono::duration;
    CHECK(saturating_duration(std::chrono::hours::max()) == clock_type::duration::max());
    CHECK(saturating_duration(std::chrono::hours::min()) == clock_type::duration::min());
    CHECK(saturating_duration(std::chrono::seconds::max()) == clock_type::duration::max());
    CHECK(saturating_duration(std::chrono::milliseconds::max()) == clock_type::duration::max());
    CHECK(saturating_duration(clock_type::duration::max()) == clock_type::duration::max());
    CHECK(saturating_duration(duration<double>::max()) == clock_type::duration::max());
    CHECK(saturating_duration(-duration<double>::max()) == clock_type::duration::min());
    CHECK(saturating_duration(duration<double>(1.5)) == std::chrono::milliseconds(1500));
    CHECK(saturating_duration(std::chrono::hours(2)) == std::chrono::minutes(120));
    CHECK(saturating_duration(duration<long long, std::pico>(2500)) == std::chrono::nanoseconds(2));
}

TEST_CASE("saturating_duration range-checks narrow, unsigned and floating reps in a wide type", "[timer]") {
    using std::chrono::duration;
    using ns = clock_type::duration;
    // Each of these went through a range check done in Rep and came out wrong.
    CHECK(saturating_duration(duration<unsigned, std::ratio<1>>(5)) == std::chrono::seconds(5));
    CHECK(saturating_duration(duration<std::uint64_t, std::milli>(5000)) == std::chrono::seconds(5));
    CHECK(saturating_duration(duration<std::uint64_t, std::nano>::max()) == ns::max());
    CHECK(saturating_duration(duration<int, std::micro>(100)) == std::chrono::microseconds(100));
    CHECK(saturating_duration(duration<std::int8_t, std::ratio<60>>(5)) == std::chrono::minutes(5));
    CHECK(saturating_duration(duration<std::int8_t, std::ratio<60>>(-5)) == -std::chrono::minutes(5));
    CHECK(saturating_duration(duration<unsigned, std::ratio<3600>>(5)) == std::chrono::hours(5));
    CHECK(saturating_duration(duration<std::uint16_t, std::micro>(65535)) == std::chrono::microseconds(65535));
    CHECK(saturating_duration(duration<std::uint64_t, std::pico>(2500)) == std::chrono::nanoseconds(2));
    // Floating reps, fine and coarse.
    CHECK(saturating_duration(duration<float, std::milli>(2.5F)) == std::chrono::microseconds(2500));
    CHECK(saturating_duration(duration<float, std::ratio<3600>>(1.0F)) == std::chrono::hours(1));
    CHECK(saturating_duration(duration<float>::max()) == ns::max());
    CHECK(saturating_duration(-duration<float>::max()) == ns::min());
    CHECK(saturating_duration(duration<double>(std::numeric_limits<double>::quiet_NaN())) == ns::zero());
    CHECK(saturating_duration(duration<long double, std::nano>(1e30L)) == ns::max());
    // max() and min() of several types: never wrap.
    CHECK(saturating_duration(duration<unsigned, std::nano>::max()) == ns(std::numeric_limits<unsigned>::max()));
    CHECK(saturating_duration(duration<unsigned, std::ratio<1>>::max()) ==
          std::chrono::seconds(std::numeric_limits<unsigned>::max()));
    CHECK(saturating_duration(duration<std::uint64_t, std::ratio<1>>::max()) == ns::max());
    CHECK(saturating_duration(duration<std::uint64_t, std::pico>::max()) ==
          ns(static_cast<ns::rep>(std::numeric_limits<std::uint64_t>::max() / 1000)));
    CHECK(saturating_duration(duration<int, std::micro>::max()) ==
          std::chrono::microseconds(std::numeric_limits<int>::max()));
    CHECK(saturating_duration(duration<int, std::micro>::min()) ==
          std::chrono::microseconds(std::numeric_limits<int>::min()));
    CHECK(saturating_duration(duration<std::int8_t, std::ratio<60>>::max()) == std::chrono::minutes(127));
    CHECK(saturating_duration(duration<std::int8_t, std::ratio<60>>::min()) == std::chrono::minutes(-128));
    CHECK(saturating_duration(std::chrono::nanoseconds::min()) == ns::min());
    CHECK(saturating_duration(std::chrono::microseconds::max()) == ns::max());
    CHECK(saturating_duration(std::chrono::microseconds::min()) == ns::min());
    CHECK(saturating_duration(duration<long long, std::ratio<86400>>::max()) == ns::max());
    CHECK(saturating_duration(duration<long long, std::ratio<86400>>::min()) == ns::min());
}

TEST_CASE("a timer with nothing set, or only huge limits, is never due and arms nothing", "[timer]") {
    asio::io_context ctx;
    timer_type t(ctx.get_executor());
    const auto now = clock_type::now();
    CHECK(t.next_due() == clock_type::time_point::max());
    t.set_idle_timeout(clock_type::duration::max(), now);
    t.expires_after(clock_type::duration::max(), now);
    CHECK(t.next_due() == clock_type::time_point::max());
    CHECK_FALSE(t.take_due(now + std::chrono::hours(24 * 365)));
    int fired = 0;
    t.arm(0, [&] { ++fired; });
    CHECK(ctx.poll() == 0);  // no wait pending: nothing to run
    CHECK(fired == 0);
}

TEST_CASE("zero and negative idle timeouts are off", "[timer]") {
    asio::io_context ctx;
    timer_type t(ctx.get_executor());
    const auto now = clock_type::now();
    t.set_idle_timeout(clock_type::duration::zero(), now);
    CHECK(t.next_due() == clock_type::time_point::max());
    t.set_idle_timeout(-std::chrono::seconds(1), now);
    CHECK(t.idle_timeout() == clock_type::duration::zero());
    CHECK(t.next_due() == clock_type::time_point::max());
}

TEST_CASE("the idle limit is due once per idle period; activity postpones it", "[timer]") {
    asio::io_context ctx;
    timer_type t(ctx.get_executor());
    const auto start = clock_type::now();
    t.set_idle_timeout(std::chrono::seconds(10), start);
    CHECK(t.next_due() == start + std::chrono::seconds(10));
    CHECK_FALSE(t.take_due(start + std::chrono::seconds(9)));
    t.note_activity(start + std::chrono::seconds(5));
    CHECK(t.next_due() == start + std::chrono::seconds(15));
    CHECK(t.take_due(start + std::chrono::seconds(15)));
    CHECK_FALSE(t.take_due(start + std::chrono::seconds(16)));  // a new period began at 15
    CHECK(t.take_due(start + std::chrono::seconds(25)));
}

TEST_CASE("the deadline is due once and then removed; the earlier of the two is next", "[timer]") {
    asio::io_context ctx;
    timer_type t(ctx.get_executor());
    const auto start = clock_type::now();
    t.set_idle_timeout(std::chrono::seconds(10), start);
    t.expires_after(std::chrono::seconds(3), start);
    CHECK(t.next_due() == start + std::chrono::seconds(3));
    CHECK(t.take_due(start + std::chrono::seconds(3)));
    CHECK(t.deadline() == clock_type::time_point::max());
    CHECK(t.next_due() == start + std::chrono::seconds(10));
    t.expires_after(std::chrono::seconds(1), start);
    t.expires_never();
    CHECK(t.next_due() == start + std::chrono::seconds(10));
}

TEST_CASE("an armed wait calls back once it is due, and a cancelled one never", "[timer]") {
    asio::io_context ctx;
    timer_type t(ctx.get_executor());
    auto keep = std::make_shared<int>(0);
    int fired = 0;
    t.expires_after(std::chrono::milliseconds(5), clock_type::now());
    t.arm(keep, [&] { fired += t.take_due(clock_type::now()) ? 1 : 0; });
    t.arm(keep, [&] { fired += 100; });  // already waiting early enough: no second wait
    drain(ctx);
    CHECK(fired == 1);
    CHECK(keep.use_count() == 1);  // the wait released what it held

    t.expires_after(std::chrono::milliseconds(5), clock_type::now());
    t.arm(keep, [&] { fired += 10; });
    t.cancel();
    drain(ctx);
    CHECK(fired == 1);
}

TEST_CASE("wait_once supersedes a timeout wait and can be cancelled", "[timer]") {
    asio::io_context ctx;
    timer_type t(ctx.get_executor());
    int timeouts = 0;
    int once = 0;
    t.expires_after(std::chrono::milliseconds(1), clock_type::now());
    t.arm(0, [&] { ++timeouts; });
    t.wait_once(std::chrono::milliseconds(1), 0, [&] { ++once; });
    drain(ctx);
    CHECK(timeouts == 0);
    CHECK(once == 1);

    t.wait_once(clock_type::duration::max(), 0, [&] { ++once; });  // forever: only cancel ends it
    t.cancel();
    drain(ctx);
    CHECK(once == 1);
}
