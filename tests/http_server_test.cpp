// The HTTP example as users run it: the real binary, real sockets, raw bytes.
#include "support/http_readme.hpp"
#include "support/process.hpp"

#include "support/asio.hpp"

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
        // A directory whose index must list only what is served.
        ::mkdir((dir + "/links").c_str(), 0755);
        std::ofstream(dir + "/links/here.txt") << "here";
        (void)::symlink("/etc/hostname", (dir + "/links/out").c_str());
        (void)::symlink("/", (dir + "/links/out-dir").c_str());
        (void)::symlink("../a.txt", (dir + "/links/in").c_str());
        (void)::symlink("missing", (dir + "/links/dangling").c_str());
        (void)::mkfifo((dir + "/links/fifo").c_str(), 0644);
        // 1000 known bytes for ranges.
        std::ofstream one(dir + "/one.bin", std::ios::binary);
        for (std::size_t i = 0; i < 1000; ++i) one.put(pattern_byte(i));
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
        // A 304 has no body, whatever its fields (RFC 9112 section 6.3).
        const std::size_t length = head_request || r.status == 304 ? 0 : std::stoull(r.header("content-length"));
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
        asynchat::error_code ec;
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

TEST_CASE("http_server: file bodies and single ranges, pipelined between small answers, arrive in order",
          "[http][e2e][big][range]") {
    // Bodies over push_file's zero-copy threshold (sendfile on this socket)
    // and under it, whole and ranged, one request after another on one
    // connection, all sent before any answer is read.
    server s({"--root", www()});
    conn c(s.where);
    struct ask_for {
        std::string path, range;
        std::size_t first, length;  // the bytes of big.bin expected (path big.bin)
    };
    const std::vector<ask_for> asks{
        {"/big.bin", "bytes=1000000-3999999", 1000000, 3000000},
        {"/a.txt", "", 0, 0},
        {"/big.bin", "bytes=7-7", 7, 1},
        {"/big.bin", "bytes=-20000", big_size - 20000, 20000},
        {"/big.bin", "bytes=16383-32767", 16383, 16385},
        {"/a.txt", "", 0, 0},
        {"/big.bin", "bytes=" + std::to_string(big_size - 5) + "-", big_size - 5, 5},
    };
    std::string requests;
    for (const ask_for& a : asks)
        requests += "GET " + a.path + " HTTP/1.1\r\n" + host + (a.range.empty() ? "" : "Range: " + a.range + "\r\n") + "\r\n";
    c.send(requests);
    for (const ask_for& a : asks) {
        INFO(a.path << " " << a.range);
        const response r = c.read();
        if (a.path == "/a.txt") {
            CHECK(r.status == 200);
            CHECK(r.body == "hello file\n");
            continue;
        }
        CHECK(r.status == 206);
        CHECK(r.header("content-range") == "bytes " + std::to_string(a.first) + "-" +
                                               std::to_string(a.first + a.length - 1) + "/" + std::to_string(big_size));
        REQUIRE(r.body.size() == a.length);
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < a.length; ++i) wrong += r.body[i] != pattern_byte(a.first + i);
        CHECK(wrong == 0);
    }
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

// ---- Issue 9, row by row: each test is one input and its siblings (the kind).

namespace {
std::string one_bin(std::size_t first, std::size_t last) {
    std::string s;
    for (std::size_t i = first; i <= last; ++i) s += pattern_byte(i);
    return s;
}
} // namespace

TEST_CASE("http_server: every Location stays on the site and keeps the query", "[http][e2e][row1][row2]") {
    server s({"--root", www()});
    conn c(s.where);
    const std::pair<const char*, const char*> cases[] = {
        {"/sub", "/sub/"},
        {"//sub", "/sub/"},             // not "//sub/": a browser reads that as host "sub"
        {"///sub", "/sub/"},
        {"/%2Fsub", "/sub/"},           // decoded, then merged
        {"//%2fsub", "/sub/"},
        {"/list//..//sub", "/sub/"},
        {"/sub?q=1", "/sub/?q=1"},      // the query is kept
        {"//sub?a=b&c=%20d", "/sub/?a=b&c=%20d"},
        {"/sub?", "/sub/?"},
        {"/sub?x=\"<\\>", "/sub/?x=%22%3C%5C%3E"},  // never a raw quote or backslash
        {"http://test//sub?q", "/sub/?q"},          // absolute-form
    };
    for (const auto& [target, location] : cases) {
        INFO(target);
        c.send(std::string("GET ") + target + " HTTP/1.1\r\n" + host + "\r\n");
        const response r = c.read();
        CHECK(r.status == 301);
        CHECK(r.header("location") == location);
        const std::string l = r.header("location");
        CHECK(l.rfind("/", 0) == 0);
        CHECK(l.rfind("//", 0) != 0);
        CHECK(l.find('\\') == std::string::npos);
    }
}

TEST_CASE("http_server: no 1xx to an HTTP/1.0 client, and none without a body", "[http][e2e][row3]") {
    server s;
    SECTION("HTTP/1.0 with Expect: 100-continue: the expectation is ignored") {
        conn c(s.where);
        c.send("POST /echo HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        c.send("hello");
        const response r = c.read();
        CHECK(r.status == 200);  // not 100 first
        CHECK(r.body == "hello");
        CHECK(c.closed());
    }
    SECTION("HTTP/1.0 keep-alive, chunk-free, twice") {
        conn c(s.where);
        for (int i = 0; i < 2; ++i) {
            c.send("POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
            c.send("ok");
            const response r = c.read();
            CHECK(r.status == 200);
            CHECK(r.body == "ok");
        }
    }
    SECTION("HTTP/1.1 with no body to wait for: no 100") {
        conn c(s.where);
        c.send("POST /echo HTTP/1.1\r\n" + host + "Expect: 100-continue\r\nContent-Length: 0\r\n\r\n");
        const response r = c.read();
        CHECK(r.status == 200);
        c.send("GET / HTTP/1.1\r\n" + host + "Expect: 100-continue\r\n\r\n");
        CHECK(c.read().status == 200);
    }
}

TEST_CASE("http_server: bare LF or CR anywhere in a head or chunk line is answered at once", "[http][e2e][row4]") {
    server s({"--root", www(), "--timeout", "30"});  // a 408 would come far too late
    const std::string post = "POST /echo HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n";
    const std::string cases[] = {
        "GET /one.bin HTTP/1.0\n\n",
        "GET /one.bin HTTP/1.1\nHost: test\n\n",
        "GET / HTTP/1.1\r\nHost: test\n\n",
        "GET / HTTP/1.1\r\nHost: test\r\n\n",
        "GET / HTTP/1.1\r\nHost: test\n\r\n",
        "\nGET / HTTP/1.1\r\n" + host + "\r\n",
        "GET / HTTP/1.1\rHost: test\r\n\r\n",
        "GET / HTTP/1.1\r\r\n\r\n",
        post + "5\nhello\n0\n\n",
        post + "5\r\nhello\r\n0\nX: y\n\n",
        post + "5\r\nhello\r\n0\r\nX: y\n\n",
    };
    for (const auto& request : cases) {
        INFO(request);
        const auto start = std::chrono::steady_clock::now();
        expect_refusal(s.where, request, 400);
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    }
}

TEST_CASE("http_server: each refusal is built from the current request only", "[http][e2e][row5]") {
    server s({"--root", www()});
    SECTION("HEAD, then a head over the limit: the 431 has its body") {
        conn c(s.where);
        c.send("HEAD /a.txt HTTP/1.1\r\n" + host + "\r\n");
        CHECK(c.read(true).status == 200);
        c.send("GET /a.txt HTTP/1.1\r\n" + host + "X: " + std::string(9000, 'a') + "\r\n\r\n");
        const response r = c.read();  // reads Content-Length bytes of body
        CHECK(r.status == 431);
        CHECK(r.body.size() == std::stoull(r.header("content-length")));
        CHECK(r.body.find("431") == 0);
        CHECK(c.closed());
        CHECK(c.pending().empty());  // nothing beyond the promised body
        CHECK(s.proc.wait_for_output("GET - 431"));  // the log names no old target
    }
    SECTION("HEAD, then a stalled head: the 408 has its body") {
        server quick({"--root", www(), "--timeout", "1"});
        conn c(quick.where);
        c.send("HEAD /a.txt HTTP/1.1\r\n" + host + "\r\n");
        CHECK(c.read(true).status == 200);
        c.send("GET /a.txt HTTP/1.1\r\n");
        const response r = c.read();
        CHECK(r.status == 408);
        CHECK(r.body.size() == std::stoull(r.header("content-length")));
        CHECK(c.closed());
        CHECK(c.pending().empty());
    }
    SECTION("a refused HEAD request gets a head alone, whatever the refusal") {
        for (const std::string& request :
             {"HEAD /a.txt HTTP/1.1\r\n" + host + "Expect: tea\r\n\r\n",
              "HEAD /a.txt HTTP/1.1\r\n" + host + host + "\r\n",
              "HEAD /a.txt HTTP/1.2\r\n" + host + "\r\n",
              "HEAD /a.txt HTTP/1.1\r\n" + host + "Content-Length: +1\r\n\r\n",
              "HEAD /a.txt HTTP/1.1\r\n" + host + "X: " + std::string(9000, 'a') + "\r\n\r\n"}) {
            INFO(request.substr(0, 60));
            conn c(s.where);
            c.send(request);
            const response r = c.read(true);
            CHECK(r.status >= 400);
            CHECK(c.closed());
            CHECK(c.pending().empty());  // no content after the head
        }
    }
    SECTION("HTTP/1.0 keep-alive, then a bad request: the refusal says close") {
        conn c(s.where);
        c.send("HEAD /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        CHECK(c.read(true).header("connection") == "keep-alive");
        c.send("GET /a.txt HTTP/1.1\r\nBad Name: x\r\n\r\n");
        const response r = c.read();
        CHECK(r.status == 400);
        CHECK(r.header("connection") == "close");
        CHECK(c.closed());
    }
}

TEST_CASE("http_server: a 405's Allow lists what that resource accepts", "[http][e2e][row6]") {
    server s({"--root", www()});
    const std::pair<const char*, const char*> cases[] = {
        {"PUT /one.bin", "GET, HEAD"},   {"POST /one.bin", "GET, HEAD"}, {"DELETE /sub/", "GET, HEAD"},
        {"PATCH /missing", "GET, HEAD"}, {"GET /echo", "POST"},          {"HEAD /echo", "POST"},
        {"PUT /echo", "POST"},           {"OPTIONS /echo", "POST"},      {"TRACE /a.txt", "GET, HEAD"},
    };
    for (const auto& [line, allow] : cases) {
        INFO(line);
        conn c(s.where);
        c.send(std::string(line) + " HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n");
        const response r = c.read(std::string(line).rfind("HEAD", 0) == 0);
        CHECK(r.status == 405);
        CHECK(r.header("allow") == allow);
    }
}

TEST_CASE("http_server: dot-segments are removed first; refused only when they leave the root", "[http][e2e][row7]") {
    server s({"--root", www()});
    for (const char* path : {"/sub/../a.txt", "/sub/./../a.txt", "/sub/%2e%2e/a.txt", "/list/../sub/../a.txt",
                             "/./a.txt", "/sub/..%2fa.txt", "/x/../a.txt"}) {
        INFO(path);
        const response r = get(s.where, path);
        CHECK(r.status == 200);
        CHECK(r.body == "hello file\n");
    }
    CHECK(get(s.where, "/sub/../sub/").body == "<h1>sub index</h1>\n");
    for (const char* path : {"/../a.txt", "/sub/../../a.txt", "/%2e%2e/a.txt", "/sub/../../sub/"}) {
        INFO(path);
        CHECK(get(s.where, path).status == 403);
    }
}

TEST_CASE("http_server: a directory index lists only what is served, and its parent", "[http][e2e][row8]") {
    server s({"--root", www()});
    const response r = get(s.where, "/links/");
    REQUIRE(r.status == 200);
    CHECK(r.body.find("href=\"here.txt\"") != std::string::npos);
    CHECK(r.body.find("href=\"in\"") != std::string::npos);  // a link inside the root
    CHECK(r.body.find("href=\"../\"") != std::string::npos);
    for (const char* hidden : {"\"out\"", "\"out-dir/\"", "\"dangling\"", "\"fifo\""}) {
        INFO(hidden);
        CHECK(r.body.find(hidden) == std::string::npos);
    }
    // Every link the index shows answers 200 (or 301 to a directory).
    CHECK(get(s.where, "/links/here.txt").status == 200);
    CHECK(get(s.where, "/links/in").status == 200);
    const response top = get(s.where, "/");
    CHECK(top.body.find("\"escape\"") == std::string::npos);
    CHECK(top.body.find("href=\"../\"") == std::string::npos);  // no parent above the root
}

TEST_CASE("http_server: --timeout is the longest a client may make no progress", "[http][e2e][row9][timeout]") {
    SECTION("a body that keeps arriving for longer than --timeout is read whole") {
        server s({"--timeout", "1", "--max-body", "10485760"});
        conn c(s.where);
        const std::string body(300000, 'b');
        c.send("POST /echo HTTP/1.1\r\n" + host + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n");
        for (std::size_t at = 0; at < body.size(); at += 15000) {
            c.send(body.substr(at, 15000));
            // The slow client under test: 20 pieces 150 ms apart, 3 s in all.
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
        }
        const response r = c.read();
        CHECK(r.status == 200);
        CHECK(r.body == body);
    }
    SECTION("a body that stops arriving is cut after --timeout with 408") {
        server s({"--timeout", "1"});
        conn c(s.where);
        const auto start = std::chrono::steady_clock::now();
        c.send("POST /echo HTTP/1.1\r\n" + host + "Content-Length: 100\r\n\r\nonly part");
        const response r = c.read();
        CHECK(r.status == 408);
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
        CHECK(c.closed());
    }
    SECTION("--header-timeout bounds the whole head, however it trickles") {
        server s({"--timeout", "5", "--header-timeout", "1"});
        conn c(s.where);
        const auto start = std::chrono::steady_clock::now();
        const std::string head = "GET / HTTP/1.1\r\n" + host + "X-Slow: " + std::string(100, 'z');
        for (std::size_t sent = 0; sent < head.size(); ++sent) {
            c.send(head.substr(sent, 1));  // the slow client under test
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            char peek;
            if (::recv(c.native(), &peek, 1, MSG_PEEK | MSG_DONTWAIT) > 0) break;  // answered
            if (std::chrono::steady_clock::now() - start > std::chrono::seconds(8)) break;
        }
        const response r = c.read();
        CHECK(r.status == 408);
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
    }
}

TEST_CASE("http_server: CONNECT and other target forms", "[http][e2e][row10]") {
    server s({"--root", www()});
    SECTION("CONNECT host:port (curl -p -x) is a method not allowed") {
        conn c(s.where);
        c.send("CONNECT example.invalid:80 HTTP/1.1\r\nHost: example.invalid:80\r\n\r\n");
        const response r = c.read();
        CHECK(r.status == 405);
        CHECK(r.header("allow") == "GET, HEAD, POST");
        CHECK(c.closed());
    }
    SECTION("OPTIONS * too") {
        expect_refusal(s.where, "OPTIONS * HTTP/1.1\r\n" + host + "\r\n", 405);
    }
    SECTION("the authority form with another method, and the asterisk with GET, are malformed") {
        expect_refusal(s.where, "GET example.invalid:80 HTTP/1.1\r\n" + host + "\r\n", 400);
        expect_refusal(s.where, "GET * HTTP/1.1\r\n" + host + "\r\n", 400);
        expect_refusal(s.where, "CONNECT /a.txt HTTP/1.1\r\n" + host + "\r\n", 400);
    }
}

TEST_CASE("http_server: conditional GET and HEAD (RFC 9110 section 13)", "[http][e2e][conditional]") {
    server s({"--root", www()});
    conn c(s.where);
    c.send("GET /a.txt HTTP/1.1\r\n" + host + "\r\n");
    const response first = c.read();
    const std::string etag = first.header("etag"), modified = first.header("last-modified");
    REQUIRE(etag.size() > 2);
    CHECK(etag.front() == '"');
    CHECK(first.header("accept-ranges") == "bytes");
    auto ask = [&](const std::string& method, const std::string& fields) {
        c.send(method + " /a.txt HTTP/1.1\r\n" + host + fields + "\r\n");
        return c.read(method == "HEAD");
    };
    for (const std::string method : {"GET", "HEAD"}) {
        INFO(method);
        response r = ask(method, "If-None-Match: " + etag + "\r\n");
        CHECK(r.status == 304);
        CHECK(r.header("etag") == etag);
        CHECK(r.header("last-modified") == modified);
        CHECK(r.header("content-length").empty());
        CHECK(ask(method, "If-None-Match: \"x\", W/" + etag + "\r\n").status == 304);  // weak comparison
        CHECK(ask(method, "If-None-Match: *\r\n").status == 304);
        CHECK(ask(method, "If-None-Match: \"other\"\r\n").status == 200);
        CHECK(ask(method, "If-Modified-Since: " + modified + "\r\n").status == 304);
        CHECK(ask(method, "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").status == 200);
        CHECK(ask(method, "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n").status == 200);
        CHECK(ask(method, "If-Modified-Since: Sun Nov  6 08:49:37 1994\r\n").status == 200);
        CHECK(ask(method, "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT\r\n").status == 304);
        CHECK(ask(method, "If-Modified-Since: yesterday\r\n").status == 200);  // invalid: ignored
        // If-None-Match wins over If-Modified-Since.
        CHECK(ask(method, "If-None-Match: \"other\"\r\nIf-Modified-Since: " + modified + "\r\n").status == 200);
        CHECK(ask(method, "If-Match: \"other\"\r\n").status == 412);
        CHECK(ask(method, "If-Match: W/" + etag + "\r\n").status == 412);  // strong comparison
        CHECK(ask(method, "If-Match: \"x\", " + etag + "\r\n").status == 200);
        CHECK(ask(method, "If-Match: *\r\n").status == 200);
        CHECK(ask(method, "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").status == 412);
        CHECK(ask(method, "If-Unmodified-Since: " + modified + "\r\n").status == 200);
        // If-Match is evaluated first, and If-Unmodified-Since not at all then.
        CHECK(ask(method, "If-Match: " + etag + "\r\nIf-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").status == 200);
        CHECK(ask(method, "If-Match: \"other\"\r\nIf-None-Match: " + etag + "\r\n").status == 412);
    }
}

TEST_CASE("http_server: range requests (RFC 9110 section 14)", "[http][e2e][range]") {
    server s({"--root", www()});
    conn c(s.where);
    auto ask = [&](const std::string& method, const std::string& fields) {
        c.send(method + " /one.bin HTTP/1.1\r\n" + host + fields + "\r\n");
        return c.read(method == "HEAD");
    };
    const std::string etag = ask("HEAD", "").header("etag");
    response r = ask("GET", "Range: bytes=10-19\r\n");
    CHECK(r.status == 206);
    CHECK(r.header("content-range") == "bytes 10-19/1000");
    CHECK(r.body == one_bin(10, 19));
    r = ask("GET", "Range: bytes=990-\r\n");
    CHECK(r.header("content-range") == "bytes 990-999/1000");
    CHECK(r.body == one_bin(990, 999));
    r = ask("GET", "Range: bytes=-5\r\n");
    CHECK(r.header("content-range") == "bytes 995-999/1000");
    CHECK(r.body == one_bin(995, 999));
    r = ask("GET", "Range: bytes=-5000\r\n");  // more than the file: all of it
    CHECK(r.status == 206);
    CHECK(r.header("content-range") == "bytes 0-999/1000");
    r = ask("GET", "Range: bytes=500-99999\r\n");
    CHECK(r.header("content-range") == "bytes 500-999/1000");
    r = ask("GET", "Range: bytes=0-4,3-9\r\n");  // overlapping: coalesced
    CHECK(r.status == 206);
    CHECK(r.header("content-range") == "bytes 0-9/1000");
    r = ask("GET", "Range: bytes=1000-\r\n");
    CHECK(r.status == 416);
    CHECK(r.header("content-range") == "bytes */1000");
    CHECK(ask("GET", "Range: bytes=-0\r\n").status == 416);
    for (const char* bad : {"bytes=5-1", "bytes=x-", "bytes 0-1", "lines=0-1", "bytes=--1", "bytes=", "bytes=1-2-3"}) {
        INFO(bad);
        r = ask("GET", std::string("Range: ") + bad + "\r\n");
        CHECK(r.status == 200);
        CHECK(r.body.size() == 1000);
    }
    SECTION("several ranges: multipart/byteranges") {
        r = ask("GET", "Range: bytes=0-1,10-12,-2\r\n");
        REQUIRE(r.status == 206);
        const std::string type = r.header("content-type");
        REQUIRE(type.rfind("multipart/byteranges; boundary=", 0) == 0);
        const std::string boundary = type.substr(type.find('=') + 1);
        const std::string expected = "--" + boundary + "\r\nContent-Type: application/octet-stream\r\n"
                                     "Content-Range: bytes 0-1/1000\r\n\r\n" + one_bin(0, 1) +
                                     "\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\n"
                                     "Content-Range: bytes 10-12/1000\r\n\r\n" + one_bin(10, 12) +
                                     "\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\n"
                                     "Content-Range: bytes 998-999/1000\r\n\r\n" + one_bin(998, 999) +
                                     "\r\n--" + boundary + "--\r\n";
        CHECK(r.body == expected);
        const response h = ask("HEAD", "Range: bytes=0-1,10-12,-2\r\n");
        CHECK(h.status == 200);  // Range applies to GET only (RFC 9110 section 14.2)
        CHECK(h.header("content-length") == "1000");
        CHECK(h.header("content-type") == "application/octet-stream");
    }
    SECTION("If-Range: the range only if the validator still matches") {
        CHECK(ask("GET", "Range: bytes=0-1\r\nIf-Range: " + etag + "\r\n").status == 206);
        CHECK(ask("GET", "Range: bytes=0-1\r\nIf-Range: \"old\"\r\n").status == 200);
        CHECK(ask("GET", "Range: bytes=0-1\r\nIf-Range: W/" + etag + "\r\n").status == 200);
        const std::string modified = ask("HEAD", "").header("last-modified");
        CHECK(ask("GET", "Range: bytes=0-1\r\nIf-Range: " + modified + "\r\n").status == 206);
        CHECK(ask("GET", "Range: bytes=0-1\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n").status == 200);
    }
    SECTION("HEAD gives the fields of GET without Range: Range applies to GET only (RFC 9110 section 14.2)") {
        const response g = ask("GET", "");
        for (const std::string range : {"bytes=10-19", "bytes=-5", "bytes=0-1,5-6", "bytes=5000-"}) {
            INFO(range);
            const response h = ask("HEAD", "Range: " + range + "\r\n");
            CHECK(h.status == 200);
            CHECK(h.header("content-range") == "");
            for (const char* f : {"content-length", "etag", "last-modified", "accept-ranges", "content-type"})
                CHECK(h.header(f) == g.header(f));
        }
    }
}

TEST_CASE("http_server: the README's refusal table, row by row", "[http][e2e][row10][readme]") {
    server s({"--root", www()});
    const auto rows = test::readme_refusals(ASYNCHAT_HTTP_README);
    CHECK(rows.size() >= 30);
    for (const auto& row : rows) {
        INFO(row.what);
        const auto start = std::chrono::steady_clock::now();
        expect_refusal(s.where, row.request, row.status);
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));  // at once, never a timeout
    }
}

TEST_CASE("http_server: empty lines start the head deadline too", "[http][e2e][timeout][followup]") {
    // RFC 9112 section 2.2 lets a server ignore empty lines before a request
    // line; they are still the first bytes of a head, and --header-timeout
    // counts from there, however they are grouped.
    for (const std::string piece : {"\r\n", "\r\n\r\n", "\r\n\r\n\r\n"}) {
        INFO("piece " << piece.size() << " bytes");
        server s({"--timeout", "2", "--header-timeout", "1"});
        conn c(s.where);
        const auto start = std::chrono::steady_clock::now();
        for (;;) {
            c.send(piece);  // the client under test: activity every 300 ms, never a request line
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            char peek;
            if (::recv(c.native(), &peek, 1, MSG_PEEK | MSG_DONTWAIT) >= 0) break;  // answered or closed
            if (std::chrono::steady_clock::now() - start > std::chrono::seconds(6)) break;  // watchdog
        }
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
        const response r = c.read();
        CHECK(r.status == 408);
        CHECK(c.closed());
    }
}

TEST_CASE("http_server: a refusal's log time runs from its own head's first byte", "[http][e2e][followup]") {
    server s({"--root", www()});
    for (const std::string& second :
         {"GET /a.txt HTTP/1.1\r\n" + host + "X: " + std::string(9000, 'a') + "\r\n\r\n",  // 431
          "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n" + host + "\r\n"}) {        // 414
        conn c(s.where);
        c.send("GET /a.txt HTTP/1.1\r\n" + host + "\r\n");
        CHECK(c.read().status == 200);
        std::this_thread::sleep_for(std::chrono::milliseconds(700));  // the client's pause between requests
        c.send(second);
        const response r = c.read();
        CHECK((r.status == 431 || r.status == 414));
        CHECK(c.closed());
        const std::string status = std::to_string(r.status);
        REQUIRE(s.proc.wait_for_output("GET - " + status));
        const std::string out = s.proc.output();
        const auto at = out.find("GET - " + status);
        const auto end = out.find("us", at);
        const auto space = out.rfind(' ', end);
        const long us = std::stol(out.substr(space + 1, end - space - 1));
        INFO(out.substr(at, end + 2 - at));
        CHECK(us < 500000);  // not the 700 ms since the previous request
    }
}

TEST_CASE("http_server: preconditions on the built-in page", "[http][e2e][conditional][followup]") {
    server s;
    conn c(s.where);
    auto ask = [&](const std::string& method, const std::string& fields) {
        c.send(method + " / HTTP/1.1\r\n" + host + fields + "\r\n");
        return c.read(method == "HEAD");
    };
    for (const std::string method : {"GET", "HEAD"}) {
        CHECK(ask(method, "If-None-Match: *\r\n").status == 304);
        CHECK(ask(method, "If-Match: \"x\"\r\n").status == 412);
        CHECK(ask(method, "If-Match: *\r\n").status == 200);
        CHECK(ask(method, "If-None-Match: \"x\"\r\n").status == 200);
    }
    c.send("POST /echo HTTP/1.1\r\n" + host + "Content-Length: 2\r\nIf-Match: \"x\"\r\n\r\nhi");
    CHECK(c.read().status == 412);
}
