// Drives the HTTP example's channel (examples/http_server/http_channel.hpp)
// over the in-memory stream of fake_stream.hpp: no sockets, no threads. The
// input is fed in the pieces given (one read each), then end of stream; the
// result is every byte written back (Date values blanked: they change with
// the second) and one log line per answer. check_responses() then reads the
// output as a client would and says what is wrong with it, if anything.
#ifndef ASYNCHAT_TESTS_SUPPORT_HTTP_CHANNEL_DRIVER_HPP
#define ASYNCHAT_TESTS_SUPPORT_HTTP_CHANNEL_DRIVER_HPP

#include "fake_stream.hpp"

#include "http_channel.hpp"

#include "asio.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace test {

struct http_run {
    std::string output;             // what the channel wrote, Date values blanked
    std::vector<std::string> log;   // "METHOD TARGET STATUS BYTES", one per answer
    std::vector<std::string> clients;  // the CLIENT of each log line ("-": the fake stream has no peer)
    bool finished = false;          // the channel closed and the loop ran out of work
};

inline std::string blank_dates(std::string s) {
    for (std::size_t at = s.find("\r\nDate: "); at != std::string::npos; at = s.find("\r\nDate: ", at + 1)) {
        const std::size_t end = s.find("\r\n", at + 2);
        if (end == std::string::npos) break;
        s.replace(at + 8, end - at - 8, "-");
    }
    return s;
}

// Feeds `pieces` to a new channel configured as `base` (its log replaced).
inline http_run drive_http(const std::vector<std::string>& pieces, const http::config& base) {
    http_run run;
    auto cfg = std::make_shared<http::config>(base);
    auto log = std::make_shared<std::vector<std::string>>();
    auto clients = std::make_shared<std::vector<std::string>>();
    cfg->log = [log, clients](const std::string& line) {  // "CLIENT METHOD TARGET STATUS BYTES TIME"
        const std::size_t client_end = line.find(' ');
        clients->push_back(line.substr(0, client_end));
        log->push_back(line.substr(client_end + 1, line.rfind(' ') - client_end - 1));  // no client, no time
    };
    asio::io_context ctx;
    auto state = std::make_shared<fake_state>(ctx.get_executor());
    {
        auto channel = std::make_shared<http::basic_channel<fake_stream>>(fake_stream(state), cfg);
        channel->start();
        for (const auto& p : pieces)
            if (!p.empty()) state->feed(p);
        state->eof();
    }
    // A watchdog only: the run ends when the channel has closed.
    ctx.run_for(std::chrono::seconds(20));
    run.finished = ctx.stopped() && !state->open;
    run.output = blank_dates(state->written);
    run.log = *log;
    run.clients = *clients;
    return run;
}

// Reads `run.output` as a strict client would: a sequence of responses,
// each "HTTP/1.1 NNN reason", fields, an empty line, then exactly the body its
// Content-Length promises (none for HEAD, 304 and 1xx), each final response
// matching one log line, in order; nothing after a response that says
// "Connection: close". Returns "" if all holds, else what did not.
inline std::string check_responses(const http_run& run) {
    const std::string& out = run.output;
    std::size_t at = 0, answered = 0;
    bool closed = false;
    while (at < out.size()) {
        if (closed) return "bytes after a Connection: close response";
        if (out.compare(at, 9, "HTTP/1.1 ") != 0) return "not a status line at byte " + std::to_string(at);
        const std::size_t end = out.find("\r\n\r\n", at);
        if (end == std::string::npos) return "a response head without its end";
        const std::string head = out.substr(at, end + 2 - at);
        const int status = std::stoi(head.substr(9, 3));
        at = end + 4;
        if (status >= 100 && status < 200) continue;  // interim: no body, no log line
        if (answered == run.log.size()) return "more responses than log lines";
        const std::string& line = run.log[answered++];
        const std::string method = line.substr(0, line.find(' '));
        if (line.find(' ' + std::to_string(status) + ' ') == std::string::npos)
            return "status " + std::to_string(status) + " but the log says " + line;
        std::size_t length = 0;
        const auto cl = head.find("\r\nContent-Length: ");
        if (status == 304) {
            if (cl != std::string::npos) return "a 304 with a Content-Length";
        } else {
            if (cl == std::string::npos) return "no Content-Length";
            if (method != "HEAD") length = std::stoull(head.substr(cl + 18));
        }
        if (out.size() - at < length) return "a body shorter than its Content-Length";
        at += length;
        closed = head.find("\r\nConnection: close\r\n") != std::string::npos;
    }
    if (answered != run.log.size()) return "fewer responses than log lines";
    return "";
}

// The statuses of the final responses, in order (from the log).
inline std::vector<int> statuses(const http_run& run) {
    std::vector<int> s;
    for (const auto& line : run.log) {
        const auto a = line.find(' '), b = line.find(' ', a + 1);
        s.push_back(std::stoi(line.substr(b + 1, 3)));
    }
    return s;
}

} // namespace test

#endif // ASYNCHAT_TESTS_SUPPORT_HTTP_CHANNEL_DRIVER_HPP
