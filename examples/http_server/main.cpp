// http_server: a small HTTP/1.1 server on asynchat. Keep-alive, pipelining,
// chunked request bodies, HEAD, files under a root directory (streamed piece
// by piece), directory indexes, POST /echo, strict request parsing, and
// timeouts against slow clients. See README.md here for a walkthrough.
//
// Try it:
//   ./http_server --port 8080 &
//   curl -i http://127.0.0.1:8080/
//   curl -d 'hello, asynchat' http://127.0.0.1:8080/echo
//   printf 'GET / HTTP/1.0\r\n\r\n' | nc 127.0.0.1 8080
#include "http_channel.hpp"

#include <asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

const char* const usage =
    "usage: http_server [--port N] [--bind ADDR] [--root DIR] [--threads N]\n"
    "                   [--max-body BYTES] [--timeout SECONDS] [--quiet]\n"
    "\n"
    "  --port N           port to listen on (default 8080; 0 picks a free one)\n"
    "  --bind ADDR        address to listen on (default 127.0.0.1)\n"
    "  --root DIR         serve the files under DIR (default: a built-in page at /)\n"
    "  --threads N        event loops, one per thread, sharing the port (default 1)\n"
    "  --max-body BYTES   largest request body accepted (default 1048576)\n"
    "  --timeout SECONDS  idle limit, and time allowed for a whole request (default 10)\n"
    "  --quiet            no log line per request\n"
    "\n"
    "POST /echo answers with the request body. Logs: METHOD TARGET STATUS BYTES TIME.\n";

struct options {
    std::string bind = "127.0.0.1";
    unsigned short port = 8080;
    std::string root;
    unsigned threads = 1;
    std::uint64_t max_body = 1 << 20;
    unsigned timeout = 10;
    bool quiet = false;
};

bool parse_number(const char* text, std::uint64_t max, std::uint64_t& out) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v > max) return false;
    out = v;
    return true;
}

// Returns 0 to go on, or the exit status.
int parse(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << usage;
            return -1;
        }
        if (arg == "--quiet") {
            o.quiet = true;
            continue;
        }
        if (i + 1 == argc) {
            std::cerr << "http_server: " << arg << " needs a value\n" << usage;
            return 2;
        }
        const char* value = argv[++i];
        std::uint64_t n = 0;
        bool ok = true;
        if (arg == "--port") ok = parse_number(value, 65535, n), o.port = static_cast<unsigned short>(n);
        else if (arg == "--bind") o.bind = value;
        else if (arg == "--root") o.root = value;
        else if (arg == "--threads") ok = parse_number(value, 256, n) && n > 0, o.threads = static_cast<unsigned>(n);
        else if (arg == "--max-body") ok = parse_number(value, UINT64_MAX, n), o.max_body = n;
        else if (arg == "--timeout") ok = parse_number(value, 86400, n) && n > 0, o.timeout = static_cast<unsigned>(n);
        else {
            std::cerr << "http_server: unknown option " << arg << "\n" << usage;
            return 2;
        }
        if (!ok) {
            std::cerr << "http_server: bad value for " << arg << ": " << value << "\n" << usage;
            return 2;
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    options opt;
    if (const int rc = parse(argc, argv, opt)) return rc < 0 ? 0 : rc;

    auto cfg = std::make_shared<http::config>();
    if (!opt.root.empty()) {
        const auto real = http::real_path(opt.root);
        struct stat st {};
        if (!real || ::stat(real->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            std::cerr << "http_server: --root " << opt.root << " is not a directory\n";
            return 1;
        }
        cfg->root = *real;
    }
    cfg->max_body = opt.max_body;
    cfg->timeout = std::chrono::seconds(opt.timeout);
    auto log_mutex = std::make_shared<std::mutex>();
    if (!opt.quiet) {
        cfg->log = [log_mutex](const std::string& line) {
            std::lock_guard<std::mutex> lock(*log_mutex);
            std::fwrite(line.data(), 1, line.size(), stdout);
            std::fputc('\n', stdout);
            std::fflush(stdout);
        };
    }

    try {
        // One event loop per thread, each with its own listener on the same
        // port (SO_REUSEPORT): nothing is shared, nothing needs a lock.
        std::vector<std::unique_ptr<asio::io_context>> loops;
        std::vector<std::unique_ptr<asynchat::server<http::channel>>> listeners;
        asynchat::server_options so;
        so.reuse_port = opt.threads > 1;
        asio::ip::tcp::endpoint where(asio::ip::make_address(opt.bind), opt.port);
        for (unsigned i = 0; i < opt.threads; ++i) {
            loops.push_back(std::make_unique<asio::io_context>(1));
            listeners.push_back(std::make_unique<asynchat::server<http::channel>>(so, *loops.back(), where, cfg));
            where = listeners.front()->local_endpoint();  // port 0: the others join the first
        }
        const std::string host = where.address().is_v6() ? "[" + where.address().to_string() + "]"
                                                         : where.address().to_string();
        std::cout << "http_server listening on " << where << " (http://" << host << ":" << where.port()
                  << "/), " << opt.threads << (opt.threads == 1 ? " thread" : " threads")
                  << (cfg->root.empty() ? "" : ", serving " + cfg->root) << std::endl;

        asio::signal_set signals(*loops.front(), SIGINT, SIGTERM);
        signals.async_wait([&](const std::error_code& ec, int) {
            if (ec) return;
            for (auto& loop : loops) loop->stop();
        });

        std::vector<std::thread> threads;
        for (unsigned i = 1; i < opt.threads; ++i) threads.emplace_back([&loops, i] { loops[i]->run(); });
        loops.front()->run();
        for (auto& loop : loops) loop->stop();
        for (auto& t : threads) t.join();
    } catch (const std::exception& e) {
        std::cerr << "http_server: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
