// A peer that pipelines requests to an example server and reads the answers
// late or never, on a connected TCP descriptor, for end-to-end tests of a
// server's bound on the output it queues (the "never reader"). The
// descriptor keeps its mode: every transfer is tried with MSG_DONTWAIT.
#ifndef ASYNCHAT_TESTS_SUPPORT_PIPELINING_PEER_HPP
#define ASYNCHAT_TESTS_SUPPORT_PIPELINING_PEER_HPP

#include <catch2/catch.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <string>

#include <poll.h>
#include <sys/socket.h>

namespace test {

struct unread_pipelining {
    std::size_t requests = 0;  // whole requests sent: the last one finished by finish_and_read
    std::size_t bytes = 0;     // bytes the server's side took, a request cut short counted
    bool stalled = false;      // the server stopped taking bytes for `stall`
};

// Sends `request` over and over without reading anything, as fast as the
// socket takes it, until the server stops taking bytes for `stall` (TCP flow
// control: it stopped reading), `most` bytes were taken (it did not stop), or
// the connection fails. `stall` is a bound on "no more progress", not a
// synchronisation: a server that reads on takes bytes within microseconds.
inline unread_pipelining pipeline_without_reading(int fd, const std::string& request, std::size_t most,
                                                  std::chrono::milliseconds stall = std::chrono::seconds(1)) {
    std::string batch;
    while (batch.size() < 64 * 1024) batch += request;
    unread_pipelining r;
    while (r.bytes < most) {
        const std::size_t at = r.bytes % batch.size();
        const ssize_t n = ::send(fd, batch.data() + at, batch.size() - at, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            r.bytes += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd, POLLOUT, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(stall.count()));
            if (ready == 0) {
                r.stalled = true;
                break;
            }
            if (ready > 0 || errno == EINTR) continue;
        }
        break;  // the connection failed
    }
    r.requests = (r.bytes + request.size() - 1) / request.size();
    return r;
}

// Sends `out` and reads until the server closes (or the connection fails),
// returning what was read. It writes first and reads only while a write
// would block (so the server's queue stays as full as it allows), then shuts
// down its sending side if `shut_down` and reads on.
inline std::string send_then_read_to_end(int fd, const std::string& out, bool shut_down = false) {
    std::string in;
    std::array<char, 64 * 1024> buf{};
    std::size_t sent = 0;
    bool writing = true;
    for (;;) {
        if (writing && sent == out.size()) {
            writing = false;
            if (shut_down) ::shutdown(fd, SHUT_WR);
        }
        if (writing) {
            const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) {
                sent += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) writing = false;
        }
        pollfd p{fd, static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0};
        if (::poll(&p, 1, -1) < 0 && errno != EINTR) break;
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n > 0) in.append(buf.data(), static_cast<std::size_t>(n));
        else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) break;
    }
    return in;
}

// After pipeline_without_reading: the rest of the request cut short, then
// `last` (a request that makes the server close), read to the end.
inline std::string finish_and_read(int fd, const unread_pipelining& r, const std::string& request,
                                   const std::string& last) {
    const std::size_t cut = r.bytes % request.size();
    return send_then_read_to_end(fd, (cut == 0 ? std::string() : request.substr(cut)) + last);
}

// `answer` `n` times.
inline std::string repeated(const std::string& answer, std::size_t n) {
    std::string s;
    s.reserve(answer.size() * n);
    for (std::size_t i = 0; i < n; ++i) s += answer;
    return s;
}

// One never-reader conversation, as the examples' tests have it.
struct never_reader {
    std::string request, answer;    // pipelined over and over; the answer to each
    std::string last, last_answer;  // then the request that ends the connection, and its answer
    std::size_t most;               // bytes a server that bounds its queue never takes unread
};

// On `fd` (any greeting already read): `c.request` pipelined without reading
// must stall short of `c.most` bytes; then `meanwhile()` (which checks that
// another client is served); then, reading at last, every answer must come,
// in order, then `c.last_answer`, then the end of the connection.
template <class Meanwhile>
void check_never_reader(int fd, const never_reader& c, Meanwhile meanwhile) {
    // This side's buffers fixed (no autotuning): what the kernel holds does
    // not depend on the host's tcp_wmem/tcp_rmem, so `c.most` keeps its margin.
    const int buffer = 256 * 1024;
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    const auto sent = pipeline_without_reading(fd, c.request, c.most);
    CHECK(sent.stalled);
    CHECK(sent.bytes < c.most);
    meanwhile();
    const std::string answers = finish_and_read(fd, sent, c.request, c.last);
    CHECK(answers.size() == sent.requests * c.answer.size() + c.last_answer.size());
    CHECK(answers == repeated(c.answer, sent.requests) + c.last_answer);
}

} // namespace test

#endif // ASYNCHAT_TESTS_SUPPORT_PIPELINING_PEER_HPP
