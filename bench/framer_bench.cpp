// The library's per-record work without sockets: 64-byte lines fed in 64 KiB
// reads to a framer whose sink does what the bench server does (queue each
// piece and the terminator); the queue is drained in 64 KiB writes.
//   framer_bench LINES [SIZE]
// Prints ns per line. Under `valgrind --tool=callgrind`, run it with N and 5N
// lines: (I(5N) - I(N)) / 4N is the instruction count per line, start-up
// cancelled out (bench/run.sh and tests/perf do this).
#include <asynchat/framer.hpp>
#include <asynchat/output_queue.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

// What an echo server does with each piece: queue it at once (one copy, into
// the output queue's shared buffer), and the terminator after it.
struct echo_sink {
    asynchat::output_queue& out;
    void collect_incoming_data(std::string_view d) { out.push(d, 4096); }
    void found_terminator() { out.push(std::string_view("\r\n"), 4096); }
};

} // namespace

int main(int argc, char** argv) {
    const std::size_t lines = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
    const std::size_t size = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 64;
    std::string line(size - 2, 'x');
    line += "\r\n";
    std::string read;
    while (read.size() + line.size() <= 64 * 1024) read += line;
    const std::size_t per_read = read.size() / line.size();

    asynchat::framer f("\r\n");
    asynchat::output_queue out;
    echo_sink sink{out};
    std::size_t sent = 0, written = 0;
    const auto start = std::chrono::steady_clock::now();
    while (sent < lines) {
        const std::size_t n = std::min(per_read, lines - sent);
        f.feed(std::string_view(read.data(), n * line.size()), sink);
        sent += n;
        for (std::size_t bytes; (bytes = out.gather(64 * 1024, 16, [](const char*, std::size_t) {})) != 0;) {
            out.consume(bytes);
            written += bytes;
        }
    }
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    if (written != lines * size) {
        std::fprintf(stderr, "framer_bench: wrote %zu bytes, expected %zu\n", written, lines * size);
        return 1;
    }
    std::printf("lines=%zu size=%zu ns_per_line=%.2f\n", lines, size, ns / static_cast<double>(lines));
    return 0;
}
