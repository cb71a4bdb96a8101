// The HTTP example as users run it: the real binary, real sockets, raw bytes.
#include "support/process.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <catch2/catch.hpp>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef ASYNCHAT_EXAMPLES_DIR
#error "ASYNCHAT_EXAMPLES_DIR must name the directory of the example binaries"
#endif

namespace {

constexpr std::size_t big_size = 50u << 20;

char pattern_byte(std::size_t i) { return static_cast<char>('A' + (i * 31 + i / 4093) % 57); }

// A directory to serve, made once for the whole test run and removed at exit.
struct temp_www {
    std::string dir;
    temp_www() {
        char tmpl[] = "/tmp/asynchat-www-XXXXXX";
        dir = ::mkdtemp(tmpl);
        std::ofstream(dir + "/a.txt") << "hello file\n";
        std::ofstream(dir + "/page.html") << "<p>page</p>\n";
        ::mkdir((dir + "/sub").c_str(), 0755);
        std::ofstream(dir + "/sub/index.html") << "<h1>sub index</h1>\n";
        ::mkdir((dir + "/list").c_str(), 0755);
        std::ofstream(dir + "/list/one.txt") << "1";
        std::ofstream(dir + "/list/<two>.txt") << "2";
        std::ofstream big(dir + "/big.bin", std::ios::binary);
        std::string block(1 << 20, '\0');
        for (std::size_t at = 0; at < big_size; at += block.size()) {
            for (std::size_t i = 0; i < block.size(); ++i) block[i] = pattern_byte(at + i);
            big.write(block.data(), static_cast<std::streamsize>(block.size()));
        }
        (void)::symlink("/etc/hostname", (dir + "/escape").c_str());
    }
    ~temp_www() { std::system(("rm -rf '" + dir + "'").c_str()); }
};

const std::string& www() {
    static const temp_www w;
    return w.dir;
}

struct server {
    explicit server(std::vector<std::string> extra = {}) : proc(args(std::move(extra))), where(proc.listening_endpoint()) {}
    static std::vector<std::string> args(std::vector<std::string> extra) {
        std::vector<std::string> a{ASYNCHAT_EXAMPLES_DIR "/http_server", "--port", "0", "--timeout", "2"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    test::child_process proc;
    asio::ip::tcp::endpoint where;
};

struct response {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// A blocking client that speaks raw bytes; every read has a 10 s watchdog.
class conn {
public:
    explicit conn(const asio::ip::tcp::endpoint& where) : socket_(ctx_) {
        socket_.connect(where);
        socket_.set_option(asio::ip::tcp::no_delay(true));
        timeval tv{10, 0};
        ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
    void send_bytewise(const std::string& bytes) {
        for (char c : bytes) asio::write(socket_, asio::buffer(&c, 1));
    }
    void shutdown_send() { socket_.shutdown(asio::socket_base::shutdown_send); }
    void reset() {
        socket_.set_option(asio::socket_base::linger(true, 0));
        socket_.close();
    }

    response read(bool head_request = false) {
        response r;
        std::size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos) REQUIRE(fill());
        const std::string head = buf_.substr(0, end);
        buf_.erase(0, end + 4);
        REQUIRE(head.rfind("HTTP/1.1 ", 0) == 0);
        r.status = std::stoi(head.substr(9, 3));
        for (std::size_t at = head.find("\r\n"); at != std::string::npos;) {
            const std::size_t next = head.find("\r\n", at + 2);
            const std::string line = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
            const auto colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
            at = next;
        }
        if (r.status == 100) return r;
        const std::size_t length = head_request ? 0 : std::stoull(r.header("content-length"));
        while (buf_.size() < length) REQUIRE(fill());
        r.body = buf_.substr(0, length);
        buf_.erase(0, length);
        return r;
    }

    // True once the server has closed the connection (after what was read).
    bool closed() {
        while (buf_.empty()) {
            if (!fill()) return eof_;
        }
        return false;
    }

    std::string& pending() { return buf_; }
    int native() { return socket_.native_handle(); }

    bool fill(std::size_t max = 65536) {
        char tmp[65536];
        std::error_code ec;
        const std::size_t n = socket_.read_some(asio::buffer(tmp, std::min(max, sizeof tmp)), ec);
        if (ec) {
            eof_ = ec == asio::error::eof || ec == asio::error::connection_reset;
            return false;
        }
        buf_.append(tmp, n);
        return true;
    }

private:
    asio::io_context ctx_;
    asio::ip::tcp::socket socket_;
    std::string buf_;
    bool eof_ = false;
};

const std::string host = "Host: test\r\n";

response get(const asio::ip::tcp::endpoint& where, const std::string& path) {
    conn c(where);
    c.send("GET " + path + " HTTP/1.1\r\n" + host + "\r\n");
    return c.read();
}

// Sends `request`; the answer must be `status`, then the connection must close.
void expect_refusal(const asio::ip::tcp::endpoint& where, const std::string& request, int status) {
    INFO("request: " << request.substr(0, 200));
    conn c(where);
    c.send(request);
    const response r = c.read();
    CHECK(r.status == status);
    CHECK(r.header("connection") == "close");
    CHECK(c.closed());
}

} // namespace

TEST_CASE("http_server: the built-in page without --root", "[http][e2e]") {
    server s;
    const response r = get(s.where, "/");
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "text/html; charset=utf-8");
    CHECK(r.body.find("Hello from asynchat") != std::string::npos);
    CHECK(get(s.where, "/nothing").status == 404);
    CHECK(s.proc.wait_for_output("GET / 200"));  // one log line per request
    CHECK(s.proc.terminate() == 0);               // clean shutdown on SIGTERM
}

TEST_CASE("http_server: files, types, Last-Modified, HEAD, directories", "[http][e2e]") {
    server s({"--root", www()});
    conn c(s.where);
    c.send("GET /a.txt HTTP/1.1\r\n" + host + "\r\n");
    response r = c.read();
    CHECK(r.status == 200);
    CHECK(r.body == "hello file\n");
    CHECK(r.header("content-type") == "text/plain; charset=utf-8");
    CHECK(r.header("last-modified").find(" GMT") != std::string::npos);
    c.send("HEAD /page.html HTTP/1.1\r\n" + host + "\r\n");
    r = c.read(true);
    CHECK(r.status == 200);
    CHECK(r.header("content-length") == "12");
    CHECK(r.header("content-type") == "text/html; charset=utf-8");
    c.send("GET /sub HTTP/1.1\r\n" + host + "\r\n");
    r = c.read();
    CHECK(r.status == 301);
    CHECK(r.header("location") == "/sub/");
    c.send("GET /sub/ HTTP/1.1\r\n" + host + "\r\n");
    CHECK(c.read().body == "<h1>sub index</h1>\n");
    c.send("GET /list/ HTTP/1.1\r\n" + host + "\r\n");
    r = c.read();
    CHECK(r.body.find("<a href=\"one.txt\">one.txt</a>") != std::string::npos);
    CHECK(r.body.find("&lt;two&gt;.txt") != std::string::npos);  // escaped
    c.send("GET /missing HTTP/1.1\r\n" + host + "\r\n");
    CHECK(c.read().status == 404);
    c.send("GET /a.txt HTTP/1.1\r\n" + host + "\r\n");
    CHECK(c.read().status == 200);  // still open after a 404
}

TEST_CASE("http_server: path traversal is refused", "[http][e2e]") {
    server s({"--root", www()});
    for (const char* path : {"/../etc/passwd", "/%2e%2e/etc/passwd", "/sub/%2E%2E/%2e%2e/etc/passwd",
                             "/escape", "/..%2f..%2fetc/passwd"}) {
        INFO(path);
        const int status = get(s.where, path).status;
        CHECK((status == 403 || status == 404));
    }
    CHECK(get(s.where, "/escape").status == 403);  // a symlink out of the root
}

TEST_CASE("http_server: keep-alive and pipelining answer in order", "[http][e2e]") {
    server s({"--root", www()});
    conn c(s.where);
    std::string burst;
    for (int i = 0; i < 100; ++i)
        burst += (i % 3 == 0 ? "GET /a.txt" : i % 3 == 1 ? "GET /page.html" : "HEAD /a.txt") + std::string(" HTTP/1.1\r\n") + host + "\r\n";
    c.send(burst);
    for (int i = 0; i < 100; ++i) {
        const response r = c.read(i % 3 == 2);
        CHECK(r.status == 200);
        if (i % 3 == 0) CHECK(r.body == "hello file\n");
        if (i % 3 == 1) CHECK(r.body == "<p>page</p>\n");
    }
}

TEST_CASE("http_server: a request sent one byte at a time", "[http][e2e]") {
    server s;
    conn c(s.where);
    c.send_bytewise("POST /echo HTTP/1.1\r\n" + host + "Content-Length: 11\r\n\r\nhello world");
    const response r = c.read();
    CHECK(r.status == 200);
    CHECK(r.body == "hello world");
}

TEST_CASE("http_server: POST bodies, pipelined, and an empty body", "[http][e2e]") {
    server s;
    conn c(s.where);
    c.send("POST /echo HTTP/1.1\r\n" + host + "Content-Length: 3\r\nContent-Type: text/x-a\r\n\r\nabc" +
           "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n" +
           "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nde\r\nf" +
           "GET / HTTP/1.1\r\n" + host + "\r\n");
    response r = c.read();
    CHECK(r.body == "abc");
    CHECK(r.header("content-type") == "text/x-a");
    CHECK(c.read().body.empty());  // Content-Length: 0 must not stall the next request
    CHECK(c.read().body == "de\r\nf");
    CHECK(c.read().status == 200);
}

TEST_CASE("http_server: chunked bodies, cut at every position", "[http][e2e]") {
    server s;
    const std::string chunked = "POST /echo HTTP/1.1\r\n" + host +
                                "Transfer-Encoding: chunked\r\n\r\n"
                                "5;ext=1\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: ignored\r\n"
                                "Content-Length: 999\r\n\r\n";
    conn c(s.where);
    for (std::size_t cut = 1; cut < chunked.size(); cut += 7) {
        c.send(chunked.substr(0, cut));
        c.send(chunked.substr(cut));
        const response r = c.read();
        REQUIRE(r.status == 200);
        CHECK(r.body == "hello world!");
    }
    c.send_bytewise(chunked);
    CHECK(c.read().body == "hello world!");
}

TEST_CASE("http_server: refusals answer, then close", "[http][e2e]") {
    server s({"--max-body", "1000"});
    const std::string post = "POST /echo HTTP/1.1\r\n" + host;
    SECTION("head too large: 431, request line too long: 414") {
        expect_refusal(s.where, "GET / HTTP/1.1\r\n" + host + "X: " + std::string(9000, 'a') + "\r\n\r\n", 431);
        expect_refusal(s.where, "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n", 414);
    }
    SECTION("a body over the limit: 413 before the body is read") {
        expect_refusal(s.where, post + "Content-Length: 1001\r\n\r\n", 413);
        expect_refusal(s.where, post + "Transfer-Encoding: chunked\r\n\r\n3e9\r\n", 413);
        expect_refusal(s.where, post + "Transfer-Encoding: chunked\r\n\r\n1f4\r\n" + std::string(500, 'x') +
                                    "\r\n1f5\r\n", 413);
    }
    SECTION("smuggling shapes: 400") {
        expect_refusal(s.where, "GET  / HTTP/1.1\r\n" + host + "\r\n", 400);
        expect_refusal(s.where, "GET / HTTP/1.1\r\n" + host + "Bad Name: x\r\n\r\n", 400);
        expect_refusal(s.where, "GET / HTTP/1.1\r\n" + host + "X: a\r\n b\r\n\r\n", 400);
        expect_refusal(s.where, "GET / HTTP/1.1\n" + host + "\r\n\r\n", 400);
        expect_refusal(s.where, post + "Content-Length: abc\r\n\r\n", 400);
        expect_refusal(s.where, post + "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400);
        expect_refusal(s.where, post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
        expect_refusal(s.where, post + "Transfer-Encoding: chunked, identity\r\n\r\n", 400);
        expect_refusal(s.where, "GET / HTTP/1.1\r\n\r\n", 400);  // no Host
        expect_refusal(s.where, post + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400);
        expect_refusal(s.where, post + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcXY", 400);
    }
    SECTION("unsupported: 501, 405, 505") {
        expect_refusal(s.where, post + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501);
        expect_refusal(s.where, "BREW / HTTP/1.1\r\n" + host + "\r\n", 501);
        expect_refusal(s.where, "DELETE / HTTP/1.1\r\n" + host + "\r\n", 405);
        expect_refusal(s.where, "GET / HTTP/2.0\r\n" + host + "\r\n", 505);
    }
    SECTION("nothing after a refused request is processed (CL.TE hiding a request)") {
        conn c(s.where);
        c.send(post + "Content-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n" + host +
               "\r\n");
        CHECK(c.read().status == 400);
        CHECK(c.closed());  // and no second response
    }
}

TEST_CASE("http_server: Connection: close, HTTP/1.0, half-close", "[http][e2e]") {
    server s;
    SECTION("Connection: close answers the first request only") {
        conn c(s.where);
        c.send("GET / HTTP/1.1\r\n" + host + "Connection: close\r\n\r\nGET / HTTP/1.1\r\n" + host + "\r\n");
        const response r = c.read();
        CHECK(r.status == 200);
        CHECK(r.header("connection") == "close");
        CHECK(c.closed());
    }
    SECTION("HTTP/1.0 closes unless keep-alive is asked") {
        conn c(s.where);
        c.send("GET / HTTP/1.0\r\n\r\n");
        CHECK(c.read().status == 200);
        CHECK(c.closed());
        conn k(s.where);
        k.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        CHECK(k.read().header("connection") == "keep-alive");
        k.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        CHECK(k.read().status == 200);
    }
    SECTION("a client that half-closes after its request still gets the whole answer") {
        conn c(s.where);
        c.send("POST /echo HTTP/1.1\r\n" + host + "Content-Length: 4\r\n\r\nbody");
        c.shutdown_send();
        CHECK(c.read().body == "body");
        CHECK(c.closed());
    }
    SECTION("Expect: 100-continue") {
        conn c(s.where);
        c.send("POST /echo HTTP/1.1\r\n" + host + "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n");
        CHECK(c.read().status == 100);
        c.send("ok");
        CHECK(c.read().body == "ok");
    }
}

TEST_CASE("http_server: a 50 MiB download arrives byte for byte", "[http][e2e][big]") {
    server s({"--root", www()});
    conn c(s.where);
    c.send("GET /big.bin HTTP/1.1\r\n" + host + "\r\n");
    const response r = c.read();
    REQUIRE(r.status == 200);
    REQUIRE(r.body.size() == big_size);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < big_size; ++i) wrong += r.body[i] != pattern_byte(i);
    CHECK(wrong == 0);
    CHECK(r.header("content-type") == "application/octet-stream");
}

TEST_CASE("http_server: a client leaving mid-download does not disturb the others", "[http][e2e][big]") {
    server s({"--root", www()});
    for (int i = 0; i < 3; ++i) {
        conn c(s.where);
        c.send("GET /big.bin HTTP/1.1\r\n" + host + "\r\n");
        while (c.pending().size() < (1u << 20)) REQUIRE(c.fill());
        if (i % 2) c.reset();
    }
    CHECK(get(s.where, "/a.txt").body == "hello file\n");
}

TEST_CASE("http_server: 200 concurrent keep-alive clients", "[http][e2e]") {
    server s({"--root", www(), "--quiet"});
    std::vector<std::unique_ptr<conn>> clients;
    for (int i = 0; i < 200; ++i) clients.push_back(std::make_unique<conn>(s.where));
    for (int round = 0; round < 3; ++round) {
        for (auto& c : clients) c->send("GET /a.txt HTTP/1.1\r\n" + host + "\r\n");
        int ok = 0;
        for (auto& c : clients) ok += c->read().body == "hello file\n";
        CHECK(ok == 200);
    }
}

TEST_CASE("http_server: slow clients are cut off by the request deadline", "[http][e2e][timeout]") {
    server s;  // --timeout 2
    SECTION("slowloris: a byte every 300 ms never finishes a head") {
        conn c(s.where);
        const auto start = std::chrono::steady_clock::now();
        const std::string head = "GET / HTTP/1.1\r\n" + host + "X-Slow: " + std::string(100, 'z');
        std::size_t sent = 0;
        while (sent < head.size()) {
            c.send(head.substr(sent++, 1));  // the slow client under test: each byte is activity
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            if (std::chrono::steady_clock::now() - start > std::chrono::seconds(5)) break;
            char peek;
            if (::recv(c.native(), &peek, 1, MSG_PEEK | MSG_DONTWAIT) > 0) break;  // answered
        }
        const response r = c.read();
        CHECK(r.status == 408);
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
        CHECK(c.closed());
    }
    SECTION("an idle keep-alive connection is closed without a word") {
        conn c(s.where);
        c.send("GET / HTTP/1.1\r\n" + host + "\r\n");
        CHECK(c.read().status == 200);
        CHECK(c.closed());  // after --timeout seconds
        CHECK(c.pending().empty());
    }
}
