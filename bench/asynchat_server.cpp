// The bench protocol on asynchat: "LINE\r\n" is echoed; "SIZE n\r\n" followed
// by n bytes is answered "OK n\r\n". Written as a performance-minded user
// would: 64 KiB buffers, pieces pushed as they arrive, bulk bytes counted from
// the views without being copied.
#include <asynchat/asynchat.hpp>

#include "../examples/common/asio.hpp"

#include <cstdlib>
#include <iostream>
#include <string>

// Buffers: 64 KiB by default here; `asynchat_server PORT default` keeps the
// library's defaults (4 KiB), for the memory benchmark.
template <std::size_t Buffers>
class bench_channel : public asynchat::async_chat<bench_channel<Buffers>> {
    using base = asynchat::async_chat<bench_channel<Buffers>>;

public:
    static constexpr std::size_t ac_in_buffer_size = Buffers;
    static constexpr std::size_t ac_out_buffer_size = Buffers;

    explicit bench_channel(asio::ip::tcp::socket s) : base(std::move(s)) { this->set_terminator("\r\n"); }

    using base::push;

    // A line is echoed piece by piece as it arrives (one copy, into the
    // output queue's shared buffer) unless it is a SIZE command, which is
    // recognised by its first piece. Bulk bytes are only counted.
    void collect_incoming_data(std::string_view data) {
        if (bulk_) return;
        if (at_line_start_) {
            at_line_start_ = false;
            command_ = data.substr(0, 5) == "SIZE ";
        }
        if (command_) line_.append(data);
        else this->push(data);
    }

    void found_terminator() {
        at_line_start_ = true;
        if (bulk_) {
            bulk_ = false;
            this->set_terminator("\r\n");
            this->push("OK " + std::to_string(size_) + "\r\n");
        } else if (command_) {
            command_ = false;
            size_ = std::strtoull(line_.c_str() + 5, nullptr, 10);
            line_.clear();
            if (size_ == 0) return this->push("OK 0\r\n");
            bulk_ = true;
            this->set_terminator(size_);
        } else {
            this->push(std::string_view("\r\n", 2));
        }
    }

private:
    std::string line_;
    bool at_line_start_ = true;
    bool command_ = false;
    std::size_t size_ = 0;
    bool bulk_ = false;
};

template <class Channel>
int serve(unsigned short port) {
    asio::io_context ctx(1);
    asynchat::server<Channel> server(ctx, {asio::ip::make_address("127.0.0.1"), port});
    std::cout << "asynchat_server listening on " << server.local_endpoint() << std::endl;
    asio::signal_set stop(ctx, SIGINT, SIGTERM);
    stop.async_wait([&](const asynchat::error_code&, int) { ctx.stop(); });
    ctx.run();
    return 0;
}

int main(int argc, char** argv) {
    const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 0;
    if (argc > 2 && std::string(argv[2]) == "default") return serve<bench_channel<4096>>(port);
    return serve<bench_channel<64 * 1024>>(port);
}
