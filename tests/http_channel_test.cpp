// The HTTP channel without sockets, the way Beast tests its parser: every
// request of the README's refusal table, every conditional and range case,
// the rows and a pipelined mix, each fed whole, then split at every
// byte offset, then one byte at a time. The bytes written back must be the
// same however the input was cut, and must read as well-formed responses.
#include "support/http_channel_driver.hpp"
#include "support/http_readme.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef ASYNCHAT_HTTP_README
#error "ASYNCHAT_HTTP_README must name examples/http_server/README.md"
#endif

namespace {

struct site {
    std::string dir;
    http::config cfg;
    std::string etag, modified;  // of one.bin
    site() {
        char tmpl[] = "/tmp/asynchat-chan-XXXXXX";
        dir = ::mkdtemp(tmpl);
        std::ofstream(dir + "/a.txt") << "hello file\n";
        std::ofstream(dir + "/empty.txt");
        std::ofstream(dir + "/echo") << "shadowed by the /echo resource\n";
        ::mkdir((dir + "/sub").c_str(), 0755);
        std::ofstream(dir + "/sub/index.html") << "<h1>sub</h1>\n";
        ::mkdir((dir + "/list").c_str(), 0755);
        std::ofstream(dir + "/list/x.txt") << "x";
        {
            std::ofstream one(dir + "/one.bin", std::ios::binary);
            for (int i = 0; i < 1000; ++i) one.put(static_cast<char>('a' + i % 26));
        }
        struct stat st {};
        ::stat((dir + "/one.bin").c_str(), &st);
        etag = http::make_etag(st.st_mtime, 1000);
        modified = http::http_date(st.st_mtime);
        cfg.root = *http::real_path(dir);
        cfg.timeout = std::chrono::seconds(30);  // never reached: the input always ends
        cfg.header_timeout = std::chrono::seconds(30);
    }
    ~site() { std::system(("rm -rf '" + dir + "'").c_str()); }
};

const site& the_site() {
    static const site s;
    return s;
}

const std::string host = "Host: x\r\n";

// Feeds `input` whole, at every cut (two pieces), and byte by byte; all
// outputs must be equal and well formed. Returns the whole-input run.
test::http_run every_cut(const std::string& input) {
    const http::config& cfg = the_site().cfg;
    const test::http_run whole = test::drive_http({input}, cfg);
    REQUIRE(whole.finished);
    REQUIRE(test::check_responses(whole) == "");
    for (std::size_t cut = 1; cut < input.size(); ++cut) {
        const test::http_run r = test::drive_http({input.substr(0, cut), input.substr(cut)}, cfg);
        if (r.output != whole.output || r.log != whole.log) {
            INFO("cut at " << cut);
            REQUIRE(r.output == whole.output);
            REQUIRE(r.log == whole.log);
        }
    }
    std::vector<std::string> bytes;
    for (char c : input) bytes.emplace_back(1, c);
    const test::http_run one = test::drive_http(bytes, cfg);
    CHECK(one.output == whole.output);
    CHECK(one.log == whole.log);
    return whole;
}

void expect(const std::string& input, const std::vector<int>& statuses, const std::string& body_part = "") {
    INFO("input: " << input.substr(0, 300));
    const test::http_run r = every_cut(input);
    CHECK(test::statuses(r) == statuses);
    if (!body_part.empty()) CHECK(r.output.find(body_part) != std::string::npos);
}

} // namespace

TEST_CASE("http channel: every refusal of the README, at every cut", "[http][channel][cuts]") {
    const auto rows = test::readme_refusals(ASYNCHAT_HTTP_README);
    for (const auto& row : rows) {
        INFO(row.what);
        const test::http_run r = every_cut(row.request);
        REQUIRE(test::statuses(r).size() == 1);
        CHECK(test::statuses(r)[0] == row.status);
        CHECK(r.output.find("\r\nConnection: close\r\n") != std::string::npos);
        // And whatever follows a refused request is never answered.
        const test::http_run then = test::drive_http({row.request + "GET /a.txt HTTP/1.1\r\n" + host + "\r\n"},
                                                     the_site().cfg);
        CHECK(test::statuses(then) == test::statuses(r));
    }
}

TEST_CASE("http channel: the issue's rows, at every cut", "[http][channel][cuts]") {
    expect("GET //sub HTTP/1.1\r\n" + host + "\r\n", {301}, "\r\nLocation: /sub/\r\n");
    expect("GET /sub?q=1 HTTP/1.1\r\n" + host + "\r\n", {301}, "\r\nLocation: /sub/?q=1\r\n");
    expect("POST /echo HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello", {200});
    CHECK(test::drive_http({"POST /echo HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello"},
                           the_site().cfg).output.find("100 Continue") == std::string::npos);
    expect("POST /echo HTTP/1.1\r\n" + host + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\nhello", {200},
           "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK");
    expect("GET /one.bin HTTP/1.0\n\n", {400});
    expect("HEAD / HTTP/1.1\r\n" + host + "\r\nGET / HTTP/1.1\r\n" + host + "X: " + std::string(9000, 'a') + "\r\n\r\n",
           {200, 431}, "431 Request Header Fields Too Large");
    expect("PUT /one.bin HTTP/1.1\r\n" + host + "\r\n", {405}, "\r\nAllow: GET, HEAD\r\n");
    expect("POST /one.bin HTTP/1.1\r\n" + host + "Content-Length: 1\r\n\r\nx", {405}, "\r\nAllow: GET, HEAD\r\n");
    expect("GET /echo HTTP/1.1\r\n" + host + "\r\n", {405}, "\r\nAllow: POST\r\n");
    expect("GET /sub/../a.txt HTTP/1.1\r\n" + host + "\r\n", {200}, "hello file\n");
    expect("GET /sub/../../a.txt HTTP/1.1\r\n" + host + "\r\n", {403});
    expect("GET /list/ HTTP/1.1\r\n" + host + "\r\n", {200}, "<a href=\"../\">");
    {
        // The root's index: no parent, and not the file that /echo shadows.
        const test::http_run index = every_cut("GET / HTTP/1.1\r\n" + host + "\r\n");
        CHECK(index.output.find("href=\"a.txt\"") != std::string::npos);
        CHECK(index.output.find("href=\"echo\"") == std::string::npos);
        CHECK(index.output.find("href=\"../\"") == std::string::npos);
    }
    expect("CONNECT example.invalid:80 HTTP/1.1\r\nHost: example.invalid:80\r\n\r\n", {405});
    // A bare LF (or NUL) early in a head that also outgrows the limit: the
    // error that comes first in the stream is the answer, however it was cut
    // (found by the fuzzer: one big read used to meet the limit first).
    expect("GET / HTTP/1.1\nX: " + std::string(9000, 'a'), {400}, "bare LF");
    expect("GET / HTTP/1.1\r\nX: " + std::string(1, '\0') + std::string(9000, 'a'), {400}, "NUL");
    expect("POST /echo HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n1\n" + std::string(2000, ';'),
           {400}, "bare LF");
}

TEST_CASE("http channel: conditional requests, at every cut", "[http][channel][cuts][conditional]") {
    const std::string& etag = the_site().etag;
    const std::string& modified = the_site().modified;
    for (const std::string method : {"GET", "HEAD"}) {
        const std::string get = method + " /one.bin HTTP/1.1\r\n" + host;
        expect(get + "If-None-Match: " + etag + "\r\n\r\n", {304}, "\r\nETag: " + etag + "\r\n");
        expect(get + "If-None-Match: \"no\", W/" + etag + "\r\n\r\n", {304});
        expect(get + "If-None-Match: \"no\"\r\nIf-Modified-Since: " + modified + "\r\n\r\n", {200});
        expect(get + "If-Modified-Since: " + modified + "\r\n\r\n", {304});
        expect(get + "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n", {200});
        expect(get + "If-Modified-Since: not a date\r\n\r\n", {200});
        expect(get + "If-Match: \"no\"\r\n\r\n", {412});
        expect(get + "If-Match: " + etag + "\r\nIf-Unmodified-Since: Sun Nov  6 08:49:37 1994\r\n\r\n", {200});
        expect(get + "If-Unmodified-Since: Sun Nov  6 08:49:37 1994\r\n\r\n", {412});
    }
}

TEST_CASE("http channel: range requests, at every cut", "[http][channel][cuts][range]") {
    const std::string& etag = the_site().etag;
    for (const std::string method : {"GET"}) {  // HEAD ignores Range: see below
        const std::string get = method + " /one.bin HTTP/1.1\r\n" + host;
        expect(get + "Range: bytes=0-9\r\n\r\n", {206}, "\r\nContent-Range: bytes 0-9/1000\r\n");
        expect(get + "Range: bytes=-10\r\n\r\n", {206}, "\r\nContent-Range: bytes 990-999/1000\r\n");
        expect(get + "Range: bytes=995-\r\n\r\n", {206}, "\r\nContent-Length: 5\r\n");
        expect(get + "Range: bytes=0-1,5-6,-1\r\n\r\n", {206}, "multipart/byteranges; boundary=");
        expect(get + "Range: bytes=1000-\r\n\r\n", {416}, "\r\nContent-Range: bytes */1000\r\n");
        expect(get + "Range: bytes=9-1\r\n\r\n", {200}, "\r\nContent-Length: 1000\r\n");
        expect(get + "Range: bytes=0-9\r\nIf-Range: \"old\"\r\n\r\n", {200});
        expect(get + "Range: bytes=0-9\r\nIf-Range: " + etag + "\r\n\r\n", {206});
    }
    const test::http_run r = every_cut("GET /one.bin HTTP/1.1\r\n" + host + "Range: bytes=0-1,5-6\r\n\r\n");
    CHECK(r.output.find("Content-Range: bytes 0-1/1000\r\n\r\nab\r\n--") != std::string::npos);
    CHECK(r.output.find("Content-Range: bytes 5-6/1000\r\n\r\nfg\r\n--") != std::string::npos);
}

TEST_CASE("http channel: a pipelined mix, at every cut", "[http][channel][cuts]") {
    const std::string mix = "GET /a.txt HTTP/1.1\r\n" + host + "\r\n" +
                            "\r\n"  // an empty line between requests is allowed
                            "HEAD /one.bin HTTP/1.1\r\n" + host + "\r\n" +
                            "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello" +
                            "POST /echo HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n"
                            "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n" +
                            "GET /one.bin HTTP/1.1\r\n" + host + "Range: bytes=2-4\r\n\r\n" +
                            "GET /one.bin HTTP/1.1\r\n" + host + "If-None-Match: *\r\n\r\n" +
                            "GET /sub HTTP/1.1\r\n" + host + "\r\n" +
                            "GET /missing HTTP/1.1\r\n" + host + "\r\n" +
                            "GET /a.txt HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n" +
                            "GET /never HTTP/1.1\r\n" + host + "\r\n";
    expect(mix, {200, 200, 200, 200, 206, 304, 301, 404, 200}, "abcde");
}

namespace {

// `input` is one HEAD request that is refused: the answer must be a head
// alone (RFC 9112 section 6.3, RFC 9110 section 9.3.2), logged as HEAD.
void expect_head_refusal(const std::string& input, int status) {
    INFO("input: " << input.substr(0, 300));
    const test::http_run r = every_cut(input);
    REQUIRE(test::statuses(r) == std::vector<int>{status});
    CHECK(r.output.size() == r.output.find("\r\n\r\n") + 4);  // no content after the head
    CHECK(r.output.find("\r\nContent-Length: ") != std::string::npos);
    CHECK(r.output.find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(r.log.front().rfind("HEAD ", 0) == 0);
}

} // namespace

TEST_CASE("http channel: no refusal of a HEAD request has content, at every cut", "[http][channel][cuts][head]") {
    const std::string head = "HEAD /a.txt HTTP/1.1\r\n";
    expect_head_refusal(head + host + "Expect: tea\r\n\r\n", 417);
    expect_head_refusal(head + host + "Host: y\r\n\r\n", 400);
    expect_head_refusal("HEAD /a.txt HTTP/1.2\r\n" + host + "\r\n", 505);
    expect_head_refusal(head + host + "Content-Length: +1\r\n\r\n", 400);
    expect_head_refusal(head + host + "Bad Name: x\r\n\r\n", 400);
    expect_head_refusal(head + "\r\n", 400);  // no Host
    expect_head_refusal(head + host + "X: y\nZ: w\r\n\r\n", 400);  // bare LF, seen as it arrives
    expect_head_refusal("\r\n" + head + host + "Expect: tea\r\n\r\n", 417);  // after an empty line
    expect_head_refusal(head + host + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400);
    expect_head_refusal("HEAD /a.txt HTTP/1.1\r\n" + host + "X: " + std::string(8200, 'a') + "\r\n\r\n", 431);
    expect_head_refusal("HEAD /" + std::string(8200, 'a') + " HTTP/1.1\r\n" + host + "\r\n", 414);
    // After an answered HEAD, the next request's refusal is built from it alone.
    const test::http_run r = every_cut(head + host + "\r\nGET /a.txt HTTP/1.2\r\n" + host + "\r\n");
    CHECK(test::statuses(r) == std::vector<int>{200, 505});
    CHECK(r.output.find("505 HTTP Version Not Supported: ") != std::string::npos);  // GET's 505 has its body
}

TEST_CASE("http channel: repeated conditional fields, at every cut", "[http][channel][cuts][conditional]") {
    const std::string& etag = the_site().etag;
    const std::string& modified = the_site().modified;
    for (const std::string method : {"GET", "HEAD"}) {
        const std::string get = method + " /one.bin HTTP/1.1\r\n" + host;
        // Lists (RFC 9110 section 5.3): the field lines are combined.
        expect(get + "If-None-Match: \"x\"\r\nIf-None-Match: " + etag + "\r\n\r\n", {304});
        expect(get + "If-None-Match: \"x\"\r\nIf-None-Match: \"y\"\r\n\r\n", {200});
        expect(get + "If-Match: \"x\"\r\nIf-Match: " + etag + "\r\n\r\n", {200});
        expect(get + "If-Match: \"x\"\r\nIf-Match: \"y\"\r\n\r\n", {412});
        // A date sent twice is no date: the field is ignored (sections 13.1.3, 13.1.4).
        expect(get + "If-Modified-Since: " + modified + "\r\nIf-Modified-Since: " + modified + "\r\n\r\n", {200});
        expect(get + "If-Unmodified-Since: Sun Nov  6 08:49:37 1994\r\nIf-Unmodified-Since: Sun Nov  6 08:49:37 1994\r\n\r\n",
               {200});
        expect(get + "If-Unmodified-Since: Sun Nov  6 08:49:37 1994\r\nIf-Unmodified-Since: " + modified + "\r\n\r\n",
               {200});
    }
    const std::string get = "GET /one.bin HTTP/1.1\r\n" + host;
    // Range and If-Range are single values: two lines are ignored (a 200 of the whole).
    expect(get + "Range: bytes=0-9\r\nRange: bytes=0-9\r\n\r\n", {200}, "\r\nContent-Length: 1000\r\n");
    expect(get + "Range: bytes=0-9\r\nRange: bytes=20-29\r\n\r\n", {200}, "\r\nContent-Length: 1000\r\n");
    expect(get + "Range: bytes=0-9\r\nIf-Range: " + etag + "\r\nIf-Range: " + etag + "\r\n\r\n", {200},
           "\r\nContent-Length: 1000\r\n");
}

TEST_CASE("http channel: HEAD ignores Range, at every cut", "[http][channel][cuts][range]") {
    // RFC 9110 section 14.2: Range applies to GET only; HEAD gives the fields
    // of GET without Range.
    const std::string& etag = the_site().etag;
    const std::string head = "HEAD /one.bin HTTP/1.1\r\n" + host;
    for (const std::string range : {"bytes=0-9", "bytes=-10", "bytes=0-1,5-6", "bytes=1000-", "bytes=9-1"}) {
        INFO(range);
        const test::http_run r = every_cut(head + "Range: " + range + "\r\n\r\n");
        CHECK(test::statuses(r) == std::vector<int>{200});
        CHECK(r.output.find("\r\nContent-Length: 1000\r\n") != std::string::npos);
        CHECK(r.output.find("Content-Range") == std::string::npos);
        CHECK(r.output.find("multipart") == std::string::npos);
    }
    expect(head + "Range: bytes=0-9\r\nIf-Range: " + etag + "\r\n\r\n", {200}, "\r\nContent-Length: 1000\r\n");
}

TEST_CASE("http channel: preconditions on 200s that are not files, at every cut", "[http][channel][cuts][conditional]") {
    // These resources have a current representation but no validator: "*"
    // matches it, a list of entity-tags never does (RFC 9110 sections
    // 13.1.1, 13.1.2); the date fields need a Last-Modified and are ignored.
    for (const std::string method : {"GET", "HEAD"}) {
        for (const std::string path : {"/list/", "/"}) {
            const std::string get = method + " " + path + " HTTP/1.1\r\n" + host;
            expect(get + "If-None-Match: *\r\n\r\n", {304});
            expect(get + "If-None-Match: \"x\"\r\n\r\n", {200});
            expect(get + "If-Match: \"x\"\r\n\r\n", {412});
            expect(get + "If-Match: \"x\"\r\nIf-Match: \"y\"\r\n\r\n", {412});
            expect(get + "If-Match: *\r\n\r\n", {200});
            expect(get + "If-Unmodified-Since: Sun Nov  6 08:49:37 1994\r\n\r\n", {200});
            expect(get + "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT\r\n\r\n", {200});
            expect(get + "If-Match: \"x\"\r\nIf-None-Match: *\r\n\r\n", {412});
        }
    }
    const std::string post = "POST /echo HTTP/1.1\r\n" + host + "Content-Length: 5\r\n";
    expect(post + "If-Match: \"x\"\r\n\r\nhello", {412});
    expect(post + "If-Match: *\r\n\r\nhello", {200}, "hello");
    expect(post + "If-None-Match: *\r\n\r\nhello", {412});  // not GET or HEAD: 412, never 304
    expect(post + "If-None-Match: \"x\"\r\n\r\nhello", {200}, "hello");
    // The precondition is evaluated after the body is read: the connection goes on.
    expect(post + "If-Match: \"x\"\r\n\r\nhello" + "GET /a.txt HTTP/1.1\r\n" + host + "\r\n", {412, 200});
    // Not on answers other than 2xx (section 13.2.1).
    expect("GET /missing HTTP/1.1\r\n" + host + "If-Match: \"x\"\r\n\r\n", {404});
    expect("GET /sub HTTP/1.1\r\n" + host + "If-Match: \"x\"\r\n\r\n", {301});
}

TEST_CASE("http channel: a path above the root is 403 for every method, at every cut", "[http][channel][cuts]") {
    for (const std::string method : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "BREW"}) {
        for (const std::string path : {"/../x", "/sub/../../a.txt", "/%2e%2e/a.txt"}) {
            const test::http_run r = every_cut(method + " " + path + " HTTP/1.1\r\n" + host + "Content-Length: 1\r\n\r\nx");
            INFO(method << " " << path);
            CHECK(test::statuses(r) == std::vector<int>{403});
            CHECK(r.output.find("Allow:") == std::string::npos);
        }
    }
}

TEST_CASE("http channel: ranges of an empty file, at every cut", "[http][channel][cuts][range]") {
    const std::string get = "GET /empty.txt HTTP/1.1\r\n" + host;
    expect(get + "Range: bytes=-1\r\n\r\n", {200}, "\r\nContent-Length: 0\r\n");
    expect(get + "Range: bytes=-10,0-5\r\n\r\n", {200}, "\r\nContent-Length: 0\r\n");
    expect(get + "Range: bytes=0-\r\n\r\n", {416}, "\r\nContent-Range: bytes */0\r\n");
    expect(get + "Range: bytes=-0\r\n\r\n", {416}, "\r\nContent-Range: bytes */0\r\n");
}

TEST_CASE("http channel: the multipart boundary is not in the parts", "[http][channel][range]") {
    // A file that holds the boundary an ETag-derived scheme would choose
    // ("asynchat-<mtime hex>-<size hex>"): the parts must not contain the
    // boundary in use (RFC 2046 section 5.1.1).
    const std::string file = the_site().dir + "/crafted.txt";
    const std::time_t t = 1700000000;
    const std::size_t n = 200;
    char old[64];
    std::snprintf(old, sizeof old, "asynchat-%llx-%llx", static_cast<unsigned long long>(t),
                  static_cast<unsigned long long>(n));
    std::string content = std::string(20, 'A') + "\r\n--" + old + "--\r\n";
    content.resize(n, 'B');
    std::ofstream(file, std::ios::binary) << content;
    const timeval times[2] = {{t, 0}, {t, 0}};
    REQUIRE(::utimes(file.c_str(), times) == 0);
    const test::http_run r =
        test::drive_http({"GET /crafted.txt HTTP/1.1\r\n" + host + "Range: bytes=0-60,150-160\r\n\r\n"}, the_site().cfg);
    REQUIRE(test::statuses(r) == std::vector<int>{206});
    const auto at = r.output.find("boundary=");
    REQUIRE(at != std::string::npos);
    const std::string boundary = r.output.substr(at + 9, r.output.find("\r\n", at) - at - 9);
    INFO(boundary);
    CHECK(content.find(boundary) == std::string::npos);
    // The body is exactly three delimiters and two parts.
    const std::string body = r.output.substr(r.output.find("\r\n\r\n") + 4);
    std::size_t delimiters = 0;
    for (auto p = body.find("--" + boundary); p != std::string::npos; p = body.find("--" + boundary, p + 1)) ++delimiters;
    CHECK(delimiters == 3);
    ::unlink(file.c_str());
}

// Issue 12, goal 4: an idle keep-alive connection costs little. What the
// channel adds to the library's base is small fixed state; a request in
// progress borrows its parsing state (head, body, fields) from a per-thread
// pool and gives it back once answered.
TEST_CASE("http channel: an idle connection holds no request state", "[http][channel][idle]") {
    using base = asynchat::async_chat<http::channel, asio::ip::tcp::socket>;
    STATIC_REQUIRE(sizeof(http::channel) - sizeof(base) <= 64);

    auto cfg = std::make_shared<http::config>(the_site().cfg);
    asio::io_context ctx;
    auto state = std::make_shared<test::fake_state>(ctx.get_executor());
    auto channel = std::make_shared<http::basic_channel<test::fake_stream>>(test::fake_stream(state), cfg);
    channel->start();
    ctx.poll();
    CHECK_FALSE(channel->holds_request_state());  // a new connection: nothing yet
    state->feed("GET /a.txt HTTP/1.1\r\nHo");
    ctx.poll();
    CHECK(channel->holds_request_state());  // a head in progress
    state->feed("st: x\r\n\r\n");
    ctx.poll();
    CHECK(state->written.find("HTTP/1.1 200 OK\r\n") == 0);
    CHECK_FALSE(channel->holds_request_state());  // answered, waiting: given back
    state->feed("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel");
    ctx.poll();
    CHECK(channel->holds_request_state());  // a body in progress
    state->feed("lo");
    ctx.poll();
    CHECK(state->written.find("\r\n\r\nhello") != std::string::npos);
    CHECK_FALSE(channel->holds_request_state());
    state->feed("GET / HTTP/1.1\r\nHost: x\r\n\n");  // refused (bare LF): closing, nothing held
    ctx.poll();
    CHECK_FALSE(channel->holds_request_state());
    channel->close();
    ctx.run_for(std::chrono::seconds(20));  // a watchdog only
}

// Issue 12, goal 1: the answers to a pipelined batch of small-file requests
// leave together. Each small body is read when its request is answered and
// queued with its head, so the queue gathers them into one write; a body
// sent with push_file would end each write at its file range.
TEST_CASE("http channel: pipelined small files leave in one write", "[http][channel][files]") {
    auto cfg = std::make_shared<http::config>(the_site().cfg);
    for (const std::string path : {"/a.txt", "/one.bin"}) {
        INFO(path);
        std::string batch;
        for (int i = 0; i < 16; ++i) batch += "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
        batch += "GET " + path + " HTTP/1.1\r\nHost: x\r\nRange: bytes=1-3\r\n\r\n";  // a range too
        asio::io_context ctx;
        auto state = std::make_shared<test::fake_state>(ctx.get_executor());
        state->hold_writes = true;  // the first write waits: everything after it queues behind
        auto channel = std::make_shared<http::basic_channel<test::fake_stream>>(test::fake_stream(state), cfg);
        channel->start();
        state->feed(batch);
        for (int i = 0; i < 1000 && !state->held_write; ++i) ctx.poll_one();  // bounded: a watchdog
        REQUIRE(state->held_write);
        ctx.poll();  // the rest of the batch is answered while the first write is held
        state->hold_writes = false;
        state->release_write();
        ctx.poll();
        CHECK(state->writes_started <= 2);
        std::size_t answers = 0;
        for (auto at = state->written.find("HTTP/1.1 20"); at != std::string::npos;
             at = state->written.find("HTTP/1.1 20", at + 1))
            ++answers;
        CHECK(answers == 17);
        channel->close();
        ctx.run_for(std::chrono::seconds(20));  // a watchdog only
    }
}
