// The channel's timer component on its own: saturating arithmetic, the idle
// limit, the deadline and the one-off wait, over a real io_context.
#include <asynchat/detail/timer.hpp>

#include "support/asio.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

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

// ---- the deadline queue (detail/timer_queue.hpp): one Asio timer per context

namespace {
using asynchat::detail::timer_queue;

// What a test timer's callback records: which fired, in what order, when.
struct firing {
    int index = 0;
    clock_type::time_point due{};
    clock_type::time_point fired{};
    std::vector<int>* order = nullptr;
};
} // namespace

TEST_CASE("timers with different deadlines share one queue and fire in due order, never early", "[timer][timer_queue]") {
    asio::io_context ctx;
    constexpr int n = 40;
    std::vector<std::unique_ptr<timer_type>> timers;
    std::vector<firing> f(n);
    std::vector<int> order;
    const auto start = clock_type::now();
    for (int i = 0; i < n; ++i) {
        timers.push_back(std::make_unique<timer_type>(ctx.get_executor()));
        // Deadlines 0..39 ms from start, queued out of order (17 is coprime to 40).
        timers[i]->expires_after(std::chrono::milliseconds((i * 17) % n), start);
        f[i] = firing{i, timers[i]->deadline(), {}, &order};
        firing* mine = &f[i];
        timers[i]->arm(0, [mine] {
            mine->fired = clock_type::now();
            mine->order->push_back(mine->index);
        });
    }
    CHECK(timer_queue::of(ctx.get_executor()).size() == std::size_t(n));
    drain(ctx);
    REQUIRE(order.size() == std::size_t(n));
    for (int k = 1; k < n; ++k) CHECK(f[order[k - 1]].due <= f[order[k]].due);
    for (const firing& x : f) CHECK(x.fired >= x.due);
    CHECK(timer_queue::of(ctx.get_executor()).size() == 0);
}

TEST_CASE("a timer moved earlier or later keeps its single place in the queue", "[timer][timer_queue]") {
    asio::io_context ctx;
    timer_type a(ctx.get_executor()), b(ctx.get_executor());
    std::vector<int> order;
    const auto start = clock_type::now();
    b.expires_after(std::chrono::milliseconds(20), start);
    b.arm(0, [&order] { order.push_back(2); });
    a.expires_after(std::chrono::hours(1), start);
    a.arm(0, [&order] { order.push_back(1); });
    a.wait_once(std::chrono::milliseconds(1), 0, [&order] { order.push_back(1); });  // moved earlier
    CHECK(timer_queue::of(ctx.get_executor()).size() == 2);
    drain(ctx);
    CHECK(order == std::vector<int>{1, 2});
}

TEST_CASE("a cancelled or destroyed timer never fires and leaves the queue at once", "[timer][timer_queue]") {
    asio::io_context ctx;
    constexpr int n = 12;
    std::vector<std::unique_ptr<timer_type>> timers;
    std::vector<int> fired;
    for (int i = 0; i < n; ++i) {
        timers.push_back(std::make_unique<timer_type>(ctx.get_executor()));
        timers[i]->expires_after(std::chrono::milliseconds(1 + i % 3), clock_type::now());
        std::vector<int>* out = &fired;
        timers[i]->arm(0, [out, i] { out->push_back(i); });
    }
    auto& queue = timer_queue::of(ctx.get_executor());
    CHECK(queue.size() == std::size_t(n));
    for (int i = 0; i < n; i += 3) timers[i]->cancel();  // 0, 3, 6, 9
    for (int i = 1; i < n; i += 3) timers[i].reset();    // 1, 4, 7, 10: destroyed while queued
    CHECK(queue.size() == std::size_t(n) / 3);
    drain(ctx);  // under ASan: no destroyed timer is touched
    std::sort(fired.begin(), fired.end());
    CHECK(fired == std::vector<int>{2, 5, 8, 11});
    CHECK(queue.size() == 0);

    // The last queued timer destroyed: the queue's wait ends, run() returns.
    auto last = std::make_unique<timer_type>(ctx.get_executor());
    last->expires_after(std::chrono::hours(1), clock_type::now());
    last->arm(0, [] {});
    last.reset();
    drain(ctx);  // REQUIREs that the context ran out of work
}

namespace {
// An owner with its own strand, as a channel on a multi-threaded io_context.
struct stranded_owner {
    explicit stranded_owner(asio::io_context& ctx) : strand(asio::make_strand(ctx)), timer(strand) {}
    using strand_type = asio::strand<asio::io_context::executor_type>;
    strand_type strand;
    asynchat::detail::channel_timer<strand_type> timer;
    bool on_strand = false;
    int calls = 0;
    strand_type get_executor() const { return strand; }
};
} // namespace

TEST_CASE("a timer owned through a shared_ptr runs its callback on the owner's strand", "[timer][timer_queue]") {
    // Two threads run the context; the queue's timer completes on either,
    // and each callback is handed to its owner's strand (TSan preset).
    asio::io_context ctx;
    constexpr int n = 32;
    std::vector<std::shared_ptr<stranded_owner>> owners;
    std::atomic<int> done{0};
    for (int i = 0; i < n; ++i) {
        owners.push_back(std::make_shared<stranded_owner>(ctx));
        stranded_owner* o = owners.back().get();
        asio::post(o->strand, [o, keep = owners.back(), i, &done] {
            o->timer.expires_after(std::chrono::milliseconds(i % 5), clock_type::now());
            std::atomic<int>* d = &done;
            o->timer.arm(keep, [o, d] {
                o->on_strand = o->strand.running_in_this_thread();
                ++o->calls;
                ++*d;
            });
        });
    }
    std::thread other([&ctx] { ctx.run_for(std::chrono::seconds(10)); });
    ctx.run_for(std::chrono::seconds(10));  // a watchdog only: returns when all have fired
    other.join();
    REQUIRE(done.load() == n);
    for (auto& o : owners) {
        CHECK(o->on_strand);
        CHECK(o->calls == 1);
        CHECK(o.use_count() == 1);  // the queue let go of what it held
    }
}

TEST_CASE("the queue's timer tracks no work even when first asked with a tracking executor", "[timer][timer_queue]") {
    // The first channel of a context may hold an executor that tracks work
    // (asio::require(ex, outstanding_work.tracked)); the queue's own timer
    // must not keep run() from returning once nothing is queued.
    asio::io_context ctx;
    using tracked_type = std::decay_t<decltype(
        asio::require(ctx.get_executor(), asio::execution::outstanding_work.tracked))>;
    std::unique_ptr<asynchat::detail::channel_timer<tracked_type>> t;
    {
        const auto tracked = asio::require(ctx.get_executor(), asio::execution::outstanding_work.tracked);
        t = std::make_unique<asynchat::detail::channel_timer<tracked_type>>(tracked);
    }  // the only tracking executor is gone; the queue may not have kept one
    int calls = 0;
    t->expires_after(std::chrono::milliseconds(1), clock_type::now());
    int* out = &calls;
    t->arm(0, [out] { ++*out; });
    drain(ctx);  // REQUIREs that the context ran out of work
    CHECK(calls == 1);
}

namespace {
// A channel-like owner: it holds its timer, and its timer's wait holds it.
struct timed_owner : std::enable_shared_from_this<timed_owner> {
    explicit timed_owner(asio::io_context& ctx) : timer(ctx.get_executor()) {}
    timer_type timer;
};
// Arms a new owner's timer from its destructor: a handler destroyed at the
// context's shutdown, after the queue has shut down.
struct arms_when_destroyed {
    asio::io_context* ctx;
    std::weak_ptr<timed_owner>* made;
    arms_when_destroyed(asio::io_context& c, std::weak_ptr<timed_owner>& m) : ctx(&c), made(&m) {}
    arms_when_destroyed(arms_when_destroyed&& o) noexcept : ctx(std::exchange(o.ctx, nullptr)), made(o.made) {}
    ~arms_when_destroyed() {
        if (ctx == nullptr) return;
        auto owner = std::make_shared<timed_owner>(*ctx);
        owner->timer.expires_after(std::chrono::milliseconds(1), clock_type::now());
        owner->timer.arm(owner, [] {});
        *made = owner;
        ++armed;
    }
    static inline int armed = 0;
    void operator()() {}
};
} // namespace

TEST_CASE("a timer armed after its context's shutdown holds nothing and never fires", "[timer][timer_queue]") {
    // The owner would hold itself through the queue (channel -> timer ->
    // queued wait -> channel) with nothing left to fire or let go: a leak.
    std::weak_ptr<timed_owner> made;
    {
        asio::io_context ctx;
        { timed_owner warm(ctx); }  // the queue exists before the handler below
        asio::post(ctx, arms_when_destroyed(ctx, made));
    }  // shutdown: the queue first, then the handler is destroyed and arms
    CHECK(arms_when_destroyed::armed == 1);  // the handler was destroyed at shutdown and armed
    CHECK(made.expired());
}
