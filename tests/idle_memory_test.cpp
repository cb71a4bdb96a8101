// Heap bytes per idle connection (issue 12, goal 4): what a channel that
// connected and never sent costs once its read and its timeouts are armed.
// This executable replaces the global operator new and aligned_alloc (where
// Asio's operations come from) with versions that add up the bytes asked
// for on the test thread while counting; one-time costs (services, the first
// channel) are paid before counting starts.
#include <asynchat/asynchat.hpp>
#include <asynchat/detail/timer_queue.hpp>

#include "http_channel.hpp"
#include "support/asio.hpp"
#include "support/loopback.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <string_view>
#include <vector>

namespace {
thread_local bool counting = false;
thread_local std::size_t bytes = 0;
thread_local std::size_t allocations = 0;

void* counted(std::size_t n) {
    if (counting) {
        bytes += n;
        ++allocations;
    }
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
} // namespace

extern "C" void* aligned_alloc(std::size_t align, std::size_t size) noexcept {
    if (counting) {
        bytes += size;
        ++allocations;
    }
    void* p = nullptr;
    if (posix_memalign(&p, align < sizeof(void*) ? sizeof(void*) : align, size == 0 ? 1 : size) != 0) return nullptr;
    return p;
}
void* operator new(std::size_t n) { return counted(n); }
void* operator new[](std::size_t n) { return counted(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {
using clock_type = std::chrono::steady_clock;
constexpr std::size_t connections = 256;

// A connected pair per connection, made before counting.
struct pairs {
    std::vector<asio::ip::tcp::socket> accepted, clients;
    pairs(asio::io_context& ctx, std::size_t n) {
        asio::ip::tcp::acceptor acceptor(ctx, test::any_loopback_port());
        accepted.reserve(n);
        clients.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            clients.emplace_back(ctx);
            clients.back().connect(acceptor.local_endpoint());
            accepted.push_back(acceptor.accept());
        }
    }
};

class idle_channel : public asynchat::async_chat<idle_channel> {
public:
    idle_channel(asio::ip::tcp::socket s, bool timeouts) : async_chat(std::move(s)) {
        set_terminator("\r\n");
        if (timeouts) {
            set_idle_timeout(std::chrono::seconds(60));
            expires_after(std::chrono::seconds(30));
        }
    }
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

// Bytes per channel for `n` channels made by `make(socket)`, started, with
// their first read pending. Channels are kept in `keep` (reserved before).
template <class Channel, class Make>
double bytes_per_channel(asio::io_context& ctx, std::vector<asio::ip::tcp::socket>& sockets,
                         std::vector<std::shared_ptr<Channel>>& keep, Make make) {
    bytes = 0;
    allocations = 0;
    counting = true;
    for (auto& s : sockets) {
        keep.push_back(make(std::move(s)));
        keep.back()->start();
    }
    ctx.poll();
    counting = false;
    return double(bytes) / double(sockets.size());
}
} // namespace

TEST_CASE("the byte counter sees a channel and Asio's operations", "[alloc][idle]") {
    // The bounds below mean something only if the counter sees this much.
    asio::io_context ctx;
    pairs p(ctx, 8);
    std::vector<std::shared_ptr<idle_channel>> keep;
    keep.reserve(8);
    const double per = bytes_per_channel(ctx, p.accepted, keep, [](asio::ip::tcp::socket s) {
        return std::make_shared<idle_channel>(std::move(s), false);
    });
    CHECK(per >= double(sizeof(idle_channel)));
    for (auto& c : keep) c->close();
    ctx.poll();
}

TEST_CASE("arming an idle channel's timeouts costs at most 160 heap bytes", "[alloc][idle][timer]") {
    // No Asio timer and no pending wait per channel: an entry in the
    // context's deadline queue (detail/timer_queue.hpp): 112 bytes, plus
    // the growth of the queue's heap of pointers (counted here, though the
    // old buffers are freed). One Asio timer, its pending wait and its heap
    // entry per channel cost about 330 bytes.
    asio::io_context ctx;
    pairs warm(ctx, 4), plain(ctx, connections), timed(ctx, connections);
    std::vector<std::shared_ptr<idle_channel>> keep;
    keep.reserve(4 + 2 * connections);
    for (auto& s : warm.accepted) {  // services, the queue, Asio's caches
        keep.push_back(std::make_shared<idle_channel>(std::move(s), true));
        keep.back()->start();
    }
    ctx.poll();
    const double without = bytes_per_channel(ctx, plain.accepted, keep, [](asio::ip::tcp::socket s) {
        return std::make_shared<idle_channel>(std::move(s), false);
    });
    const double with = bytes_per_channel(ctx, timed.accepted, keep, [](asio::ip::tcp::socket s) {
        return std::make_shared<idle_channel>(std::move(s), true);
    });
    INFO("without timeouts " << without << " B, with " << with << " B per channel");
    CHECK(with - without <= 160.0);
    CHECK(asynchat::detail::timer_queue::of(ctx.get_executor()).size() == 4 + connections);
    for (auto& c : keep) c->close();
    ctx.poll();
    CHECK(asynchat::detail::timer_queue::of(ctx.get_executor()).size() == 0);  // closed: out of the queue
}

TEST_CASE("an idle HTTP connection costs at most 896 heap bytes, its timeouts armed", "[alloc][idle][http]") {
    // The server's share of bench/idle_rss.sh's figure (goal: <= 1 KiB of
    // RSS per idle connection, malloc's own overhead and the kernel-facing
    // reactor state included).
    asio::io_context ctx;
    auto cfg = std::make_shared<http::config>();
    pairs warm(ctx, 4), idle(ctx, connections);
    std::vector<std::shared_ptr<http::channel>> keep;
    keep.reserve(4 + connections);
    for (auto& s : warm.accepted) {
        keep.push_back(std::make_shared<http::channel>(std::move(s), cfg));
        keep.back()->start();
    }
    ctx.poll();
    const double per = bytes_per_channel(ctx, idle.accepted, keep, [&](asio::ip::tcp::socket s) {
        return std::make_shared<http::channel>(std::move(s), cfg);
    });
    INFO(per << " B per idle HTTP channel");
    CHECK(per <= 896.0);
    CHECK(asynchat::detail::timer_queue::of(ctx.get_executor()).size() == 4 + connections);  // the idle timeout is armed
    for (auto& c : keep) c->close();
    ctx.poll();
}
