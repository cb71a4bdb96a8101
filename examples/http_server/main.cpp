// http_server: a small HTTP/1.1 server on asynchat. Keep-alive, pipelining,
// chunked request bodies, HEAD, files under a root directory (streamed piece
// by piece), directory indexes, POST /echo, strict request parsing,
// conditional requests (ETag, Last-Modified), range requests, and timeouts
// against slow clients. See README.md here for a walkthrough.
// POST /echo answers with the request body. Logs: CLIENT METHOD TARGET STATUS BYTES TIME.
//
// Try it:
//   ./http_server --port 8080 &
//   curl -i http://127.0.0.1:8080/
//   curl -d 'hello, asynchat' http://127.0.0.1:8080/echo
//   printf 'GET / HTTP/1.0\r\n\r\n' | nc 127.0.0.1 8080
#include "../common/args.hpp"
#include "http_channel.hpp"

#include "../common/asio.hpp"

#include <chrono>
#include <cstdio>
#include <cstdint>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct options {
    std::string bind = "127.0.0.1";
    unsigned short port = 8080;
    std::string root;
    unsigned threads = 1;
    std::uint64_t max_body = 1 << 20;
    std::chrono::milliseconds timeout{10000};
    std::chrono::milliseconds header_timeout{10000};
    bool quiet = false;
    bool proxy_protocol = false;
};

} // namespace

int main(int argc, char** argv) {
    options opt;
    examples::args a("http_server", "[--port N] [--bind ADDR] [--root DIR] [--threads N]\n"
                                    "                   [--max-body BYTES] [--timeout SECONDS]\n"
                                    "                   [--header-timeout SECONDS] [--proxy-protocol] [--quiet]");
    a.number("--port", opt.port, 0, 65535, "port to listen on (default 8080; 0 picks a free one)");
    a.text("--bind", opt.bind, "ADDR", "address to listen on (default 127.0.0.1)");
    a.text("--root", opt.root, "DIR", "serve the files under DIR (default: a built-in page at /)");
    a.number("--threads", opt.threads, 1, 256, "event loops, one per thread, sharing the port (default 1)");
    a.number("--max-body", opt.max_body, 0, UINT64_MAX, "largest request body accepted (default 1048576)", "BYTES");
    a.seconds("--timeout", opt.timeout,
              "longest a client may make no progress: no byte read or written (default 10)");
    a.seconds("--header-timeout", opt.header_timeout,
              "longest a whole request head may take (default: --timeout)");
    a.flag("--proxy-protocol", opt.proxy_protocol,
           "expect a PROXY protocol v1/v2 header first on every connection (behind HAProxy)");
    a.flag("--quiet", opt.quiet, "no log line per request");
    if (const auto status = a.parse(argc, argv)) return *status;
    if (!a.given("--header-timeout")) opt.header_timeout = opt.timeout;
    asynchat::error_code bad_address;
    const auto address = asio::ip::make_address(opt.bind, bad_address);
    if (bad_address) return a.fail("--bind: not an IP address: '" + opt.bind + "'");

    auto cfg = std::make_shared<http::config>();
    if (!opt.root.empty()) {
        const auto root = http::root_path(opt.root);
        if (!root) return a.fail("--root: not a directory: '" + opt.root + "'");
        cfg->root = *root;
    }
    cfg->max_body = opt.max_body;
    cfg->timeout = opt.timeout;
    cfg->header_timeout = opt.header_timeout;
    cfg->proxy_protocol = opt.proxy_protocol;
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
        asio::ip::tcp::endpoint where(address, opt.port);
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
        signals.async_wait([&](const asynchat::error_code& ec, int) {
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
