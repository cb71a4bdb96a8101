// push_file: file ranges in FIFO order with pushed bytes, over TCP, Unix
// domain sockets (zero-copy with sendfile(2) unless ASYNCHAT_NO_SENDFILE)
// and TLS (read through the output queue); the queue's file entries without
// a socket; offset/length edges, a file shrinking mid-send, a peer gone
// mid-file, the output limit.
#include <asynchat/asynchat.hpp>
#include <asynchat/output_queue.hpp>
#include <asynchat/tls.hpp>

#include "support/asio.hpp"
#include "support/loopback.hpp"
#include "support/stream_pairs.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

using tcp_socket = asio::ip::tcp::socket;
using unix_socket = asio::local::stream_protocol::socket;
using tls_socket = asio::ssl::stream<tcp_socket>;

using test::client_tls;
using test::server_tls;
using test::tcp_pair;

// Bytes no shift of a range can reproduce: a wrong offset shows.
std::string pattern(std::size_t n, unsigned seed = 1) {
    std::string s(n, '\0');
    std::uint32_t x = 2463534242u * seed;
    for (std::size_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s[i] = static_cast<char>(x);
    }
    return s;
}

// A temporary file holding `bytes`, removed at the end of the test.
class temp_file {
public:
    explicit temp_file(const std::string& bytes) {
        static std::atomic<int> serial{0};
        path_ = (std::filesystem::temp_directory_path() /
                 ("asynchat-file-" + std::to_string(::getpid()) + "-" + std::to_string(serial++)))
                    .string();
        write(bytes);
    }
    ~temp_file() { std::remove(path_.c_str()); }
    void write(const std::string& bytes) const {
        std::ofstream(path_, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
    }
    void truncate(std::uint64_t size) const { REQUIRE(::truncate(path_.c_str(), off_t(size)) == 0); }
    asynchat::file_handle open() const { return asynchat::file_handle::open(path_); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// The server: runs `script` once open (pushes, file ranges), records how it ended.
template <class Stream>
class sender : public asynchat::async_chat<sender<Stream>, Stream> {
    using base = asynchat::async_chat<sender<Stream>, Stream>;

public:
    explicit sender(Stream s) : base(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
    void handle_error(const asynchat::error_code& ec) {
        error = ec;
        if (!stay_open) this->close();
    }
    void handle_close() {
        ++closes;
        this->close();
    }
    void handle_output_overflow() { ++overflows; }
    bool stay_open = false;  // handle_error leaves the channel open
    asynchat::error_code error;
    int closes = 0;
    int overflows = 0;
};

// The peer: collects everything until the end.
template <class Stream>
class collector : public asynchat::async_chat<collector<Stream>, Stream> {
    using base = asynchat::async_chat<collector<Stream>, Stream>;

public:
    explicit collector(Stream s) : base(std::move(s)) { this->set_terminator(asynchat::none); }
    void collect_incoming_data(std::string_view d) { received.append(d); }
    void found_terminator() {}
    void handle_eof() {
        ended = true;
        this->close();
    }
    void handle_close() {
        ended = true;
        this->close();
    }
    void handle_error(const asynchat::error_code&) {
        ended = true;
        this->close();
    }
    std::string received;
    bool ended = false;
};

template <class Stream>
void small_send_buffer(Stream& s) {
    asynchat::error_code ignored;  // every send is partial: EAGAIN, then a wait for writability
    s.lowest_layer().set_option(asio::socket_base::send_buffer_size(4096), ignored);
}

template <class Stream>
struct pair_of_channels {
    asio::io_context& ctx;
    std::shared_ptr<sender<Stream>> server;
    std::shared_ptr<collector<Stream>> client;

    explicit pair_of_channels(asio::io_context& c) : ctx(c) {
        auto [s, k] = test::stream_pair<Stream>::make(ctx);
        small_send_buffer(s);
        server = std::make_shared<sender<Stream>>(std::move(s));
        client = std::make_shared<collector<Stream>>(std::move(k));
        server->start();
        client->start(asynchat::tls_role::client);
        REQUIRE(test::run_until(ctx, [&] { return server->connected() && client->connected(); }));
    }
    bool run_to_end() { return test::run_until(ctx, [&] { return client->ended; }); }
};

constexpr std::uint64_t threshold = asynchat::async_chat<sender<tcp_socket>, tcp_socket>::zero_copy_threshold;

} // namespace

TEMPLATE_TEST_CASE("file ranges interleaved with pushes arrive byte for byte, in order", "[file][tls][unix]",
                   tcp_socket, unix_socket, tls_socket) {
    asio::io_context ctx;
    pair_of_channels<TestType> p(ctx);
    const std::string content = pattern(3 << 20);
    temp_file f(content);
    const std::string small = "0123456789";

    std::string expected;
    std::uint64_t zero_copy = 0;
    auto push = [&](std::string s) {
        expected += s;
        p.server->push(std::move(s));
    };
    auto push_file = [&](std::uint64_t offset, std::uint64_t length) {
        expected += content.substr(offset, length);
        if (length >= threshold) zero_copy += length;
        p.server->push_file(f.open(), offset, length);
    };
    push("HEAD\r\n");
    push_file(0, content.size());           // the whole file
    push("a");
    push_file(1, 1);                        // one byte, read through the queue
    push_file(12345, threshold - 1);        // just under the zero-copy threshold
    push_file(777, threshold);              // at it
    push_file(content.size() - 5, 5);       // the last bytes
    push(small);
    push_file(3, 0);                        // empty: nothing
    push_file(1 << 20, (1 << 20) + 17);     // from the middle
    p.server->push_file(f.open());          // the whole file, its size asked
    expected += content;
    zero_copy += content.size();
    push("TAIL\r\n");
    CHECK(p.server->queued_files() == 7);
    p.server->close_when_done();
    REQUIRE(p.run_to_end());
    CHECK(p.client->received.size() == expected.size());
    CHECK((p.client->received == expected));
    CHECK(p.server->error == asynchat::error_code());
    CHECK(p.server->queued_files() == 0);
    const bool fast = asynchat::async_chat<sender<TestType>, TestType>::sends_files_zero_copy;
    CHECK(p.server->zero_copy_bytes() == (fast ? zero_copy : 0));
#if defined(__linux__) && !defined(ASYNCHAT_NO_SENDFILE) && !defined(ASYNCHAT_FILE_STDIO)
    // The fast path is used where it can be.
    CHECK(fast == !std::is_same_v<TestType, tls_socket>);
#else
    CHECK_FALSE(fast);
#endif
}

TEMPLATE_TEST_CASE("a range past the end of the file sends what there is, then file_truncated",
                   "[file][errors][tls][unix]", tcp_socket, unix_socket, tls_socket) {
    const std::string content = pattern(100000, 2);
    temp_file f(content);
    struct range { std::uint64_t offset, length; };
    // Ranges past the end, zero-copy sized and not, starting inside and outside.
    // Offsets no off_t can hold are past the end too (not EINVAL).
    const std::uint64_t huge = std::uint64_t(1) << 63, top = ~std::uint64_t(0) - 100;
    for (const range r : {range{0, content.size() + 1}, range{99990, 11}, range{content.size(), 1},
                          range{content.size() + 1000, threshold * 2}, range{50000, 60000}, range{huge, 11},
                          range{huge, threshold * 2}, range{top, 11}, range{top, 100}}) {
        CAPTURE(r.offset, r.length);
        asio::io_context ctx;
        pair_of_channels<TestType> p(ctx);
        p.server->push("HEAD");
        p.server->push_file(f.open(), r.offset, r.length);
        p.server->push("NEVER");  // handle_error closes first
        REQUIRE(p.run_to_end());
        const std::string sent = r.offset < content.size() ? content.substr(r.offset) : "";
        CHECK((p.client->received == "HEAD" + sent));
        CHECK(p.server->error == asynchat::error::file_truncated);
        CHECK_FALSE(p.server->connected());
    }
}

TEMPLATE_TEST_CASE("a handle_error that keeps the channel open after file_truncated: what follows the range goes",
                   "[file][errors][tls][unix]", tcp_socket, unix_socket, tls_socket) {
    // file_truncated is the library's own error, not the stream's: the hook
    // decides, whether the range was read into the queue (below
    // zero_copy_threshold, or TLS) or sent with sendfile(2).
    const std::string content = pattern(100000, 6);
    temp_file f(content);
    struct range { std::uint64_t offset, length; };
    for (const range r : {range{99990, 11}, range{content.size() + 1000, 100}, range{50000, 60000},
                          range{content.size() + 1000, threshold * 2}}) {
        CAPTURE(r.offset, r.length);
        asio::io_context ctx;
        pair_of_channels<TestType> p(ctx);
        p.server->stay_open = true;
        p.server->push("HEAD");
        p.server->push_file(f.open(), r.offset, r.length);
        p.server->push("TAIL");
        p.server->close_when_done();
        REQUIRE(p.run_to_end());
        const std::string sent = r.offset < content.size() ? content.substr(r.offset) : "";
        CHECK((p.client->received == "HEAD" + sent + "TAIL"));
        CHECK(p.server->error == asynchat::error::file_truncated);
        CHECK(p.server->closes == 1);  // by the close marker
    }
}

TEMPLATE_TEST_CASE("bytes gathered with a range that ends early are all sent before file_truncated",
                   "[file][errors][tls][unix]", tcp_socket, unix_socket, tls_socket) {
    // The range fails in the same gather as the bytes queued before it (they
    // waited behind a large write): those bytes are written before the error
    // is reported, whose default handler closes.
    const std::string content = pattern(100000, 4);
    const std::string before = pattern(1 << 20, 5);
    temp_file f(content);
    struct range { std::uint64_t offset, length; };
    for (const range r : {range{content.size(), 1}, range{content.size() + 1000, 100}, range{99990, 11},
                          range{content.size() + 1000, threshold * 2}}) {
        CAPTURE(r.offset, r.length);
        asio::io_context ctx;
        pair_of_channels<TestType> p(ctx);
        p.server->push(std::string(before));  // the socket takes a piece at a time
        p.server->push("HEAD");
        p.server->push_file(f.open(), r.offset, r.length);
        p.server->push("NEVER");  // handle_error closes first
        REQUIRE(p.run_to_end());
        const std::string sent = r.offset < content.size() ? content.substr(r.offset) : "";
        CHECK(p.client->received.size() == before.size() + 4 + sent.size());
        CHECK((p.client->received == before + "HEAD" + sent));
        CHECK(p.server->error == asynchat::error::file_truncated);
    }
}

TEMPLATE_TEST_CASE("discard_buffers stops a zero-copy range in flight: nothing more of it is sent",
                   "[file][unix]", tcp_socket, unix_socket) {
    const std::string content = pattern(32 << 20, 6);
    temp_file f(content);
    asio::io_context ctx;
    auto streams = test::stream_pair<TestType>::make(ctx);
    TestType& peer = streams.second;  // a plain name: lambdas cannot capture structured bindings in C++17
    small_send_buffer(streams.first);
    auto server = std::make_shared<sender<TestType>>(std::move(streams.first));
    if (!sender<TestType>::sends_files_zero_copy) return;  // the portable path has no range in flight
    server->start();
    server->push_file(f.open(), 0, content.size());
    // The peer reads nothing yet: the send stops when the socket is full and
    // waits for writability, with the rest of the range to go.
    REQUIRE(test::run_until(ctx, [&] { return server->zero_copy_bytes() > 0; }));
    ctx.poll();
    const std::uint64_t handed = server->zero_copy_bytes();
    REQUIRE(handed < content.size());
    server->discard_buffers();
    server->push("MARK");
    server->close_when_done();
    std::string received;
    bool done = false;
    std::array<char, 65536> buf{};
    std::function<void()> read = [&] {
        peer.async_read_some(asio::buffer(buf), [&](const asynchat::error_code& ec, std::size_t n) {
            received.append(buf.data(), n);
            if (ec) {
                done = true;
                return;
            }
            read();
        });
    };
    read();
    REQUIRE(test::run_until(ctx, [&] { return done; }));
    CHECK(received.size() == handed + 4);
    CHECK((received == content.substr(0, std::size_t(handed)) + "MARK"));
}

TEMPLATE_TEST_CASE("a file that shrinks while it is sent ends in file_truncated, not a hang",
                   "[file][errors][tls][unix]", tcp_socket, unix_socket, tls_socket) {
    const std::string content = pattern(4 << 20, 3);
    temp_file f(content);
    asio::io_context ctx;
    pair_of_channels<TestType> p(ctx);
    p.server->push_file(f.open(), 0, content.size());
    // The peer has read nothing yet: most of the file is still to go.
    f.truncate(1 << 20);
    REQUIRE(p.run_to_end());
    CHECK(p.server->error == asynchat::error::file_truncated);
    CHECK(p.client->received.size() <= std::size_t(1) << 20);
    CHECK((p.client->received == content.substr(0, p.client->received.size())));
}

TEMPLATE_TEST_CASE("a peer that resets mid-file is a disconnect, never SIGPIPE", "[file][errors][unix]",
                   tcp_socket, unix_socket) {
    // SIGPIPE's default action kills the process: make sure that is in force.
    auto previous = std::signal(SIGPIPE, SIG_DFL);
    {
        const std::string content = pattern(8 << 20, 4);
        temp_file f(content);
        asio::io_context ctx;
        auto [s, k] = test::stream_pair<TestType>::make(ctx);
        small_send_buffer(s);
        auto server = std::make_shared<sender<TestType>>(std::move(s));
        server->start();
        server->push_file(f.open(), 0, content.size());
        REQUIRE(test::run_until(ctx, [&] { return server->queued_files() == 1; }));
        if constexpr (std::is_same_v<TestType, tcp_socket>) k.set_option(asio::socket_base::linger(true, 0));
        k.close();
        REQUIRE(test::run_until(ctx, [&] { return !server->connected(); }));
        CHECK((server->closes == 1 || server->error));
        // The file closes once the send in flight has ended.
        REQUIRE(test::run_until(ctx, [&] { return server->queued_files() == 0; }));
    }
    std::signal(SIGPIPE, previous);
}

TEMPLATE_TEST_CASE("the output limit bounds file pieces read into the queue; zero-copy ranges hold none",
                   "[file][limit][tls]", tcp_socket, tls_socket) {
    const std::string content = pattern(1 << 20, 5);
    temp_file f(content);
    asio::io_context ctx;
    pair_of_channels<TestType> p(ctx);
    constexpr bool fast = asynchat::async_chat<sender<TestType>, TestType>::sends_files_zero_copy;
    // Pieces are ac_out_buffer_size (4096) bytes: a limit under one refuses
    // a read range, never a zero-copy one.
    p.server->set_output_limit(1000);
    p.server->push_file(f.open(), 0, content.size());
    p.server->push("END");
    p.server->close_when_done();
    REQUIRE(p.run_to_end());
    if (fast) {
        CHECK(p.server->overflows == 0);
        CHECK((p.client->received == content + "END"));
    } else {
        CHECK(p.server->overflows == 1);
        CHECK((p.client->received == "END"));
    }
    CHECK(p.server->queued_files() == 0);
}

TEST_CASE("push_file refuses a file that is not open", "[file][errors]") {
    asio::io_context ctx;
    pair_of_channels<tcp_socket> p(ctx);
    CHECK_THROWS_AS(p.server->push_file(asynchat::file_handle(), 0, 10), std::invalid_argument);
    CHECK_THROWS_AS(p.server->push_file(asynchat::file_handle()), std::invalid_argument);
    CHECK(p.server->queued_files() == 0);
}

TEST_CASE("discard_buffers and close drop queued file ranges and close their files", "[file]") {
    const std::string content = pattern(2 << 20, 6);
    temp_file f(content);
    asio::io_context ctx;
    pair_of_channels<tcp_socket> p(ctx);
    for (int i = 0; i < 3; ++i) p.server->push_file(f.open(), 0, content.size());
    CHECK(p.server->queued_files() == 3);  // the first one is in flight
    p.server->discard_buffers();
    // The range in flight goes once its write ends.
    REQUIRE(test::run_until(ctx, [&] { return p.server->queued_files() == 0; }));
    p.server->push_file(f.open(), 0, content.size());
    p.server->close();
    REQUIRE(test::run_until(ctx, [&] { return p.server->queued_files() == 0; }));
}

// ------------------------------------------------------------ output_queue

namespace {
std::string drain(asynchat::output_queue& q, std::size_t max_bytes = 1000, std::size_t write = 300) {
    std::string out;
    for (int guard = 0; guard < 100000; ++guard) {
        std::string got;
        const std::size_t n = q.gather(max_bytes, 8, [&](const char* p, std::size_t k) { got.append(p, k); });
        if (n == 0) break;
        REQUIRE(got.size() == n);
        const std::size_t sent = std::min(write, n);  // partial writes
        out.append(got, 0, sent);
        q.consume(sent);
    }
    return out;
}
} // namespace

TEST_CASE("output_queue reads a file range in pieces between pushes, one piece in memory", "[file][output_queue]") {
    const std::string content = pattern(10000, 7);
    temp_file f(content);
    asynchat::output_queue q;
    q.push(std::string_view("a"));
    q.push_file(f.open(), 10, 5000, false, 700);
    q.push(std::string_view("b"));
    q.push_file(f.open(), 9000, 1000, false, 700);
    CHECK(q.queued_files() == 2);
    CHECK(q.queued_bytes() == 2);  // file bytes count once read
    std::size_t most = 0;
    std::string out;
    for (;;) {
        std::string got;
        const std::size_t n = q.gather(100000, 8, [&](const char* p, std::size_t k) { got.append(p, k); });
        if (n == 0) break;
        most = std::max(most, q.queued_bytes());
        out += got;
        q.consume(n);
    }
    CHECK((out == "a" + content.substr(10, 5000) + "b" + content.substr(9000, 1000)));
    CHECK(most <= 700 + 2);
    CHECK(q.queued_files() == 0);
    CHECK(q.empty());
    CHECK_FALSE(q.take_file_error());
}

TEST_CASE("output_queue stops at a direct file range and hands it to the writer", "[file][output_queue]") {
    const std::string content = pattern(5000, 8);
    temp_file f(content);
    asynchat::output_queue q;
    q.push(std::string_view("head"));
    q.push_file(f.open(), 100, 4000, true);
    q.push(std::string_view("tail"));
    CHECK(q.file_first() == nullptr);
    CHECK((drain(q) == "head"));  // gathering stops before the range
    asynchat::detail::file_part* part = q.file_first();
    REQUIRE(part != nullptr);
    CHECK(part->offset == 100);
    CHECK(part->remaining == 4000);
    q.begin_file();
    CHECK(q.in_flight());
    CHECK(q.file_first() == nullptr);
    part->offset += 1500;  // the writer sent 1500 bytes
    part->remaining -= 1500;
    q.consume(1500);
    CHECK(q.direct_file_bytes() == 1500);
    REQUIRE(q.file_first() == part);
    q.begin_file();
    part->offset += 2500;
    part->remaining -= 2500;
    q.consume(2500);
    CHECK(q.queued_files() == 0);
    CHECK((drain(q) == "tail"));
    CHECK(q.empty());

    // clear() while a range is in flight: it stays alive until consume().
    q.push_file(f.open(), 0, 5000, true);
    q.push_file(f.open(), 0, 5000, true);
    part = q.file_first();
    REQUIRE(part != nullptr);
    q.begin_file();
    q.clear();
    CHECK(q.queued_files() == 1);
    // Still alive (read after clear(): ASan would see a freed part), and the
    // writer sends nothing more of it.
    CHECK(part->offset == 0);
    CHECK(part->remaining == 0);
    q.consume(0);
    CHECK(q.queued_files() == 0);
    CHECK(q.empty());
}

TEST_CASE("output_queue reports a file range that ends early and goes on after it", "[file][output_queue][errors]") {
    const std::string content = pattern(3000, 9);
    temp_file f(content);
    asynchat::output_queue q;
    q.push_file(f.open(), 1000, 5000, false, 512);
    q.push(std::string_view("after"));
    // Gathering stops at the end of what the file had: the writer reports
    // the error before anything that follows the range is sent.
    CHECK((drain(q) == content.substr(1000)));
    CHECK(q.take_file_error() == asynchat::error::file_truncated);
    CHECK_FALSE(q.take_file_error());
    CHECK((drain(q) == "after"));
    CHECK(q.queued_files() == 0);
    CHECK(q.queued_bytes() == 0);
}
