// Load generator for the bench protocol, on one thread. Every echoed byte is
// checked. Prints one line of key=value results.
//
//   load lines PORT [--conns C] [--lines N] [--size L] [--window W]
//       C connections each send N lines of L bytes (CRLF included), at most W
//       in flight; lines/s, MB/s, and round-trip percentiles (meaningful at W=1).
//   load bulk PORT [--conns C] [--size BYTES] [--count K]
//       C connections each send K times "SIZE n\r\n" + n bytes and wait for
//       "OK n\r\n"; GB/s.
#include "../examples/common/asio.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
    std::string mode;
    unsigned short port = 0;
    int conns = 1;
    std::uint64_t lines = 1'000'000;
    std::size_t size = 64;
    std::uint64_t window = 1024;
    std::uint64_t bulk_size = 1 << 20;
    int count = 100;
};

bool failed = false;

void fail(const char* what) {
    if (!failed) std::fprintf(stderr, "load: %s\n", what);
    failed = true;
}

// One connection of the lines mode.
class line_client : public std::enable_shared_from_this<line_client> {
public:
    line_client(asio::io_context& ctx, const options& o, const std::string& pattern, std::vector<double>& rtts)
        : socket_(ctx), o_(o), pattern_(pattern), rtts_(rtts), in_(64 * 1024) {}

    void start(const tcp::endpoint& where) {
        socket_.connect(where);
        socket_.set_option(tcp::no_delay(true));
        send_more();
        read_more();
    }
    bool done() const { return received_lines_ == o_.lines; }

private:
    void send_more() {
        if (writing_ || sent_ == o_.lines) return;
        const std::uint64_t in_flight = sent_ - received_lines_;
        if (in_flight >= o_.window) return;
        const std::uint64_t max_batch = std::max<std::uint64_t>(1, 64 * 1024 / o_.size);
        const std::uint64_t n = std::min({o_.window - in_flight, o_.lines - sent_, max_batch});
        if (o_.window == 1) sent_at_ = clock_type::now();
        sent_ += n;
        writing_ = true;
        asio::async_write(socket_, asio::buffer(pattern_.data(), n * o_.size),
                          [self = shared_from_this()](const asynchat::error_code& ec, std::size_t) {
                              self->writing_ = false;
                              if (ec) return fail("write failed");
                              self->send_more();
                          });
    }

    void read_more() {
        socket_.async_read_some(asio::buffer(in_), [self = shared_from_this()](const asynchat::error_code& ec, std::size_t n) {
            if (ec) return fail("read failed (server closed?)");
            self->check(n);
            if (!self->done()) self->read_more();
        });
    }

    void check(std::size_t n) {
        // The echo of line-aligned data is the pattern again, from where we are.
        const std::size_t at = static_cast<std::size_t>(received_bytes_ % o_.size);
        if (std::memcmp(in_.data(), pattern_.data() + at, n) != 0) fail("echo differs from what was sent");
        received_bytes_ += n;
        const std::uint64_t lines = received_bytes_ / o_.size;
        if (lines != received_lines_ && o_.window == 1)
            rtts_.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - sent_at_).count());
        received_lines_ = lines;
        send_more();
    }

    tcp::socket socket_;
    const options& o_;
    const std::string& pattern_;
    std::vector<double>& rtts_;
    std::vector<char> in_;
    std::uint64_t sent_ = 0, received_bytes_ = 0, received_lines_ = 0;
    bool writing_ = false;
    clock_type::time_point sent_at_;
};

// One connection of the bulk mode.
class bulk_client : public std::enable_shared_from_this<bulk_client> {
public:
    bulk_client(asio::io_context& ctx, const options& o, const std::string& body)
        : socket_(ctx), o_(o), body_(body), expected_("OK " + std::to_string(o.bulk_size) + "\r\n") {}

    void start(const tcp::endpoint& where) {
        socket_.connect(where);
        socket_.set_option(tcp::no_delay(true));
        next();
    }
    bool done() const { return finished_ == o_.count; }

private:
    void next() {
        header_ = "SIZE " + std::to_string(o_.bulk_size) + "\r\n";
        const std::array<asio::const_buffer, 2> out{asio::buffer(header_), asio::buffer(body_)};
        asio::async_write(socket_, out, [self = shared_from_this()](const asynchat::error_code& ec, std::size_t) {
            if (ec) fail("write failed");
        });
        asio::async_read_until(socket_, reply_, "\r\n", [self = shared_from_this()](const asynchat::error_code& ec, std::size_t n) {
            if (ec) return fail("read failed");
            std::string line(asio::buffers_begin(self->reply_.data()),
                             asio::buffers_begin(self->reply_.data()) + static_cast<std::ptrdiff_t>(n));
            self->reply_.consume(n);
            if (line != self->expected_) return fail("wrong reply");
            if (++self->finished_ < self->o_.count) self->next();
        });
    }

    tcp::socket socket_;
    const options& o_;
    const std::string& body_;
    const std::string expected_;
    std::string header_;
    asio::streambuf reply_;
    int finished_ = 0;
};

options parse(int argc, char** argv) {
    options o;
    if (argc < 3) {
        std::fprintf(stderr, "usage: load lines|bulk PORT [--conns C] [--lines N] [--size L] [--window W] [--count K]\n");
        std::exit(2);
    }
    o.mode = argv[1];
    o.port = static_cast<unsigned short>(std::atoi(argv[2]));
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        const unsigned long long v = std::strtoull(argv[i + 1], nullptr, 10);
        if (k == "--conns") o.conns = static_cast<int>(v);
        else if (k == "--lines") o.lines = v;
        else if (k == "--size") o.size = o.bulk_size = v;
        else if (k == "--window") o.window = v;
        else if (k == "--count") o.count = static_cast<int>(v);
    }
    return o;
}

} // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    asio::io_context ctx(1);
    const tcp::endpoint where(asio::ip::make_address("127.0.0.1"), o.port);
    const auto start = clock_type::now();
    double seconds = 0;
    if (o.mode == "lines") {
        if (o.size < 3) return 2;
        std::string line(o.size - 2, 'x');
        for (std::size_t i = 0; i < line.size(); ++i) line[i] = static_cast<char>('a' + i % 26);
        line += "\r\n";
        // 64 KiB of whole lines to send from, and as much again to compare a
        // 64 KiB read against whatever line offset it starts at.
        std::string pattern;
        while (pattern.size() < 2 * 64 * 1024 + o.size) pattern += line;
        std::vector<double> rtts;
        std::vector<std::shared_ptr<line_client>> clients;
        for (int i = 0; i < o.conns; ++i) clients.push_back(std::make_shared<line_client>(ctx, o, pattern, rtts));
        for (auto& c : clients) c->start(where);
        ctx.run();
        seconds = std::chrono::duration<double>(clock_type::now() - start).count();
        for (auto& c : clients) if (!c->done()) fail("not all lines came back");
        const double total = static_cast<double>(o.lines) * o.conns;
        std::sort(rtts.begin(), rtts.end());
        auto pct = [&](double q) { return rtts.empty() ? 0.0 : rtts[static_cast<std::size_t>(q * (rtts.size() - 1))]; };
        std::printf("mode=lines conns=%d lines=%.0f size=%zu window=%llu seconds=%.3f lines_per_sec=%.0f mb_per_sec=%.1f p50_us=%.1f p99_us=%.1f ok=%d\n",
                    o.conns, total, o.size, static_cast<unsigned long long>(o.window), seconds, total / seconds,
                    total * o.size / seconds / 1e6, pct(0.5), pct(0.99), failed ? 0 : 1);
    } else {
        const std::string body(o.bulk_size, 'B');
        std::vector<std::shared_ptr<bulk_client>> clients;
        for (int i = 0; i < o.conns; ++i) clients.push_back(std::make_shared<bulk_client>(ctx, o, body));
        for (auto& c : clients) c->start(where);
        ctx.run();
        seconds = std::chrono::duration<double>(clock_type::now() - start).count();
        for (auto& c : clients) if (!c->done()) fail("not all transfers completed");
        const double bytes = static_cast<double>(o.bulk_size) * o.count * o.conns;
        std::printf("mode=bulk conns=%d size=%llu count=%d seconds=%.3f gb_per_sec=%.3f ok=%d\n", o.conns,
                    static_cast<unsigned long long>(o.bulk_size), o.count, seconds, bytes / seconds / 1e9, failed ? 0 : 1);
    }
    return failed ? 1 : 0;
}
