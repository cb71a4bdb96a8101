// The ceiling: the bench protocol hand-written on raw Asio as carefully as we
// can. One reusable 64 KiB buffer per connection; memchr scanning that never
// rescans; echoed lines written straight from the input buffer (zero-copy),
// adjacent lines merged into one slice, everything a read produced gathered
// into one write; the next read only after that write, so the buffer can be
// reused.
#include "../examples/common/asio.hpp"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

using asio::ip::tcp;

namespace {

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket s) : socket_(std::move(s)), buf_(new char[capacity]) {
        socket_.set_option(tcp::no_delay(true));
        replies_.reserve(4096);
    }
    void start() { read(); }

private:
    static constexpr std::size_t capacity = 64 * 1024;

    // A piece of output: a slice of the input buffer, or of replies_.
    struct piece {
        bool reply;
        std::size_t offset, size;
    };

    void read() {
        if (end_ == capacity) {  // compact: keep the unconsumed tail
            std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
            scanned_ -= begin_;
            end_ -= begin_;
            begin_ = 0;
            if (end_ == capacity) return;  // a line longer than the buffer: give up
        }
        socket_.async_read_some(asio::buffer(buf_.get() + end_, capacity - end_),
                                [self = shared_from_this()](const asynchat::error_code& ec, std::size_t n) {
                                    if (ec) return;
                                    self->end_ += n;
                                    self->parse();
                                });
    }

    void parse() {
        pieces_.clear();
        replies_.clear();
        std::size_t p = begin_;
        while (p < end_) {
            if (bulk_left_ != 0) {
                const std::size_t take = std::min<std::uint64_t>(bulk_left_, end_ - p);
                p += take;
                bulk_left_ -= take;
                if (bulk_left_ == 0) reply(bulk_size_);
                continue;
            }
            const std::size_t from = std::max(p, scanned_);
            const void* nl = std::memchr(buf_.get() + from, '\n', end_ - from);
            if (!nl) {
                scanned_ = end_;
                break;
            }
            const std::size_t e = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.get()) + 1;
            if (e - p > 5 && std::memcmp(buf_.get() + p, "SIZE ", 5) == 0) {
                bulk_size_ = std::strtoull(std::string(buf_.get() + p + 5, e - p - 5).c_str(), nullptr, 10);
                bulk_left_ = bulk_size_;
                if (bulk_size_ == 0) reply(0);
            } else if (!pieces_.empty() && !pieces_.back().reply &&
                       pieces_.back().offset + pieces_.back().size == p) {
                pieces_.back().size += e - p;  // adjacent lines: one slice
            } else {
                pieces_.push_back({false, p, e - p});
            }
            p = e;
            scanned_ = p;
        }
        begin_ = p;
        if (begin_ == end_) begin_ = end_ = scanned_ = 0;
        if (pieces_.empty()) return read();
        buffers_.clear();
        for (const piece& x : pieces_)
            buffers_.emplace_back((x.reply ? replies_.data() : buf_.get()) + x.offset, x.size);
        asio::async_write(socket_, buffers_, [self = shared_from_this()](const asynchat::error_code& ec, std::size_t) {
            if (!ec) self->read();
        });
    }

    void reply(std::uint64_t n) {
        const std::string text = "OK " + std::to_string(n) + "\r\n";
        pieces_.push_back({true, replies_.size(), text.size()});
        replies_ += text;
    }

    tcp::socket socket_;
    std::unique_ptr<char[]> buf_;
    std::size_t begin_ = 0, end_ = 0, scanned_ = 0;
    std::uint64_t bulk_left_ = 0, bulk_size_ = 0;
    std::vector<piece> pieces_;
    std::string replies_;
    std::vector<asio::const_buffer> buffers_;
};

void accept(tcp::acceptor& a) {
    a.async_accept([&a](const asynchat::error_code& ec, tcp::socket s) {
        if (!ec) std::make_shared<session>(std::move(s))->start();
        accept(a);
    });
}

} // namespace

int main(int argc, char** argv) {
    const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 0;
    asio::io_context ctx(1);
    tcp::acceptor acceptor(ctx, {asio::ip::make_address("127.0.0.1"), port});
    std::cout << "raw_asio_server listening on " << acceptor.local_endpoint() << std::endl;
    accept(acceptor);
    asio::signal_set stop(ctx, SIGINT, SIGTERM);
    stop.async_wait([&](const asynchat::error_code&, int) { ctx.stop(); });
    ctx.run();
}
