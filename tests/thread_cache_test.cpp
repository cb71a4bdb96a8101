// detail::thread_cache, the per-thread slot cache under buffer_cache and
// op_memory: take's newest-first search, give's limits (slots, bytes), the
// two full-cache rules, and its lifetime at thread exit (a block given back
// after the cache was emptied is freed at once, never kept or leaked).
#include <asynchat/detail/thread_cache.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace {

using asynchat::detail::thread_cache;
using asynchat::detail::when_full;

// Blocks are ints on the heap; frees are counted (from every thread).
std::atomic<int> freed{0};

template <when_full Full, std::size_t Slots = 3, std::size_t MaxBytes = 1000>
struct test_traits {
    using block_type = int*;
    static constexpr std::size_t slots = Slots;
    static constexpr std::size_t max_bytes = MaxBytes;
    static constexpr when_full full = Full;
    static void free(int* b, std::size_t /*size*/) noexcept {
        delete b;
        ++freed;
    }
};

template <class Cache>
int* take_exact(std::size_t size) {
    int* b = nullptr;
    std::size_t got = 0;
    if (!Cache::take([size](std::size_t s) { return s == size; }, b, got)) return nullptr;
    CHECK(got == size);
    return b;
}

} // namespace

TEST_CASE("thread_cache: take finds the newest block that fits, and removes it", "[thread_cache]") {
    using cache = thread_cache<test_traits<when_full::refuse>>;
    cache::release();
    int* a = new int(1);
    int* b = new int(2);
    int* c = new int(3);
    cache::give(a, 100);
    cache::give(b, 200);
    cache::give(c, 100);
    CHECK(cache::count() == 3);
    CHECK(cache::bytes() == 400);
    CHECK(take_exact<cache>(100) == c);  // the newest of its size
    CHECK(take_exact<cache>(100) == a);
    CHECK(take_exact<cache>(100) == nullptr);
    int* any = nullptr;
    std::size_t size = 0;
    CHECK(cache::take([](std::size_t s) { return s >= 150; }, any, size));
    CHECK(any == b);
    CHECK(size == 200);
    CHECK(cache::count() == 0);
    CHECK(cache::bytes() == 0);
    delete a;
    delete b;
    delete c;
}

TEST_CASE("thread_cache: a full refusing cache and one over its bytes free the new block", "[thread_cache]") {
    using cache = thread_cache<test_traits<when_full::refuse>>;
    cache::release();
    const int before = freed.load();
    int* kept[3] = {new int(0), new int(1), new int(2)};
    for (int* k : kept) cache::give(k, 10);
    cache::give(new int(3), 10);  // full
    CHECK(freed.load() == before + 1);
    CHECK(cache::count() == 3);
    cache::release();
    CHECK(freed.load() == before + 4);
    cache::give(new int(4), 600);
    cache::give(new int(5), 401);  // 1001 bytes would pass max_bytes
    CHECK(freed.load() == before + 5);
    cache::give(new int(6), 400);  // exactly 1000: kept
    CHECK(cache::count() == 2);
    CHECK(cache::bytes() == 1000);
    cache::release();
    CHECK(freed.load() == before + 7);
}

TEST_CASE("thread_cache: a full replacing cache gives up its blocks in turn", "[thread_cache]") {
    using cache = thread_cache<test_traits<when_full::replace_in_turn>>;
    cache::release();
    const int before = freed.load();
    for (int i = 0; i < 3; ++i) cache::give(new int(i), 16);
    // Each new block replaces a different old one: after three more, every
    // old block is gone (a cache keeping its first blocks for good fails).
    int* fresh[3] = {new int(10), new int(11), new int(12)};
    for (int* f : fresh) cache::give(f, 32);
    CHECK(freed.load() == before + 3);
    CHECK(cache::count() == 3);
    CHECK(cache::bytes() == 96);
    CHECK(take_exact<cache>(16) == nullptr);
    for (int i = 0; i < 3; ++i) {
        int* b = take_exact<cache>(32);
        REQUIRE(b != nullptr);
        CHECK(*b >= 10);
        delete b;
    }
}

namespace {
using exit_cache = thread_cache<test_traits<when_full::refuse, 4, 1000>>;

// Gives a block back from its destructor, during thread exit.
struct gives_at_exit {
    bool armed = false;
    ~gives_at_exit() {
        if (armed) exit_cache::give(new int(7), 10);
    }
};
} // namespace

TEST_CASE("thread_cache: blocks given back during thread exit are freed, before or after the cache empties",
          "[thread_cache]") {
    // Made before the cache's emptying destructor: destroyed after it, it
    // finds the cache closed and its block is freed at once.
    const int before = freed.load();
    std::thread late([] {
        thread_local gives_at_exit g;
        g.armed = true;
        exit_cache::give(new int(1), 10);  // arms the cache's cleanup after g
    });
    late.join();
    CHECK(freed.load() == before + 2);

    // Made after it: destroyed first, it gives back into the open cache,
    // which is then emptied.
    std::thread early([] {
        exit_cache::give(new int(1), 10);
        thread_local gives_at_exit g;
        g.armed = true;
    });
    early.join();
    CHECK(freed.load() == before + 4);
}
