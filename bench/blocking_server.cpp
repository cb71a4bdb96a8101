// The simplest server: a thread per connection, blocking read() and write()
// on a 64 KiB buffer. The yardstick for bulk transfer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

bool write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w <= 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

void serve(int fd) {
    static constexpr std::size_t capacity = 64 * 1024;
    std::string buf(capacity, '\0');
    std::size_t end = 0;
    std::uint64_t bulk_left = 0, bulk_size = 0;
    for (;;) {
        const ssize_t r = ::read(fd, buf.data() + end, capacity - end);
        if (r <= 0) break;
        end += static_cast<std::size_t>(r);
        std::size_t p = 0, echo_from = 0, echo_to = 0;
        std::string out;
        while (p < end) {
            if (bulk_left) {
                const std::size_t take = std::min<std::uint64_t>(bulk_left, end - p);
                p += take;
                bulk_left -= take;
                if (!bulk_left) out += "OK " + std::to_string(bulk_size) + "\r\n";
                echo_from = echo_to = p;
                continue;
            }
            const char* nl = static_cast<const char*>(std::memchr(buf.data() + p, '\n', end - p));
            if (!nl) break;
            const std::size_t e = static_cast<std::size_t>(nl - buf.data()) + 1;
            if (e - p > 5 && buf.compare(p, 5, "SIZE ") == 0) {
                out.append(buf, echo_from, echo_to - echo_from);
                bulk_size = bulk_left = std::strtoull(buf.c_str() + p + 5, nullptr, 10);
                if (!bulk_left) out += "OK 0\r\n";
                echo_from = echo_to = e;
            } else {
                echo_to = e;
            }
            p = e;
        }
        if (out.empty()) {
            if (!write_all(fd, buf.data() + echo_from, echo_to - echo_from)) break;
        } else {
            out.append(buf, echo_from, echo_to - echo_from);
            if (!write_all(fd, out.data(), out.size())) break;
        }
        std::memmove(buf.data(), buf.data() + p, end - p);
        end -= p;
    }
    ::close(fd);
}

} // namespace

int main(int argc, char** argv) {
    const int port = argc > 1 ? std::atoi(argv[1]) : 0;
    const int ls = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(ls, 1024) != 0) {
        std::perror("blocking_server");
        return 1;
    }
    socklen_t len = sizeof addr;
    ::getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
    std::printf("blocking_server listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
    std::fflush(stdout);
    for (;;) {
        const int fd = ::accept(ls, nullptr, nullptr);
        if (fd < 0) continue;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::thread(serve, fd).detach();
    }
}
