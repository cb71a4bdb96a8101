// The HTTP example's request parsing and path resolution, without sockets.
#include "conditional.hpp"
#include "files.hpp"
#include "request.hpp"
#include "response.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace {

int status_of(const std::string& head) {
    const http::parsed p = http::parse_head(head);
    return p.req ? 0 : p.error.status;
}

} // namespace

TEST_CASE("a well-formed request is parsed", "[http][parse]") {
    const auto p = http::parse_head("GET /a%20b/c?x=1 HTTP/1.1\r\nHost: example\r\nX-Thing:  value with spaces \t");
    REQUIRE(p.req);
    CHECK(p.req->method == "GET");
    CHECK(p.req->target == "/a%20b/c?x=1");
    CHECK(p.req->path == "/a b/c");
    CHECK(p.req->minor_version == 1);
    CHECK(p.req->keep_alive);
    CHECK(p.req->field("host") == std::string_view("example"));
    CHECK(p.req->field("x-thing") == std::string_view("value with spaces"));
}

TEST_CASE("empty lines before a request are allowed; an empty head is nothing", "[http][parse]") {
    CHECK(http::parse_head("\r\n\r\nGET / HTTP/1.0").req);
    CHECK(http::parse_head("").empty);
    CHECK(http::parse_head("\r\n").empty);
}

TEST_CASE("connection semantics of HTTP/1.0 and HTTP/1.1", "[http][parse]") {
    CHECK_FALSE(http::parse_head("GET / HTTP/1.0").req->keep_alive);
    CHECK(http::parse_head("GET / HTTP/1.0\r\nConnection: Keep-Alive").req->keep_alive);
    CHECK_FALSE(http::parse_head("GET / HTTP/1.1\r\nHost: h\r\nConnection: close").req->keep_alive);
    CHECK_FALSE(http::parse_head("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, Close").req->keep_alive);
}

TEST_CASE("malformed request lines are refused", "[http][parse]") {
    CHECK(status_of("GET  / HTTP/1.1\r\nHost: h") == 400);     // double space
    CHECK(status_of("GET\t/ HTTP/1.1\r\nHost: h") == 400);     // tab
    CHECK(status_of("GET / HTTP/1.1 \r\nHost: h") == 400);     // trailing space
    CHECK(status_of("GET /") == 400);                           // HTTP/0.9
    CHECK(status_of("GET / http/1.1\r\nHost: h") == 400);      // lowercase
    CHECK(status_of("GET / HTTP/2.0\r\nHost: h") == 505);
    CHECK(status_of("GET / HTTP/3.45\r\nHost: h") == 400);     // not DIGIT.DIGIT
    CHECK(status_of("G(T / HTTP/1.1\r\nHost: h") == 400);      // not a token
    CHECK(status_of("GET x HTTP/1.1\r\nHost: h") == 400);      // not origin-form
    CHECK(status_of("GET /%zz HTTP/1.1\r\nHost: h") == 400);   // bad escape
    CHECK(status_of("GET /%00 HTTP/1.1\r\nHost: h") == 400);   // NUL
    CHECK(status_of("GET /a% HTTP/1.1\r\nHost: h") == 400);    // truncated escape
    CHECK(status_of("GET /\x7f HTTP/1.1\r\nHost: h") == 400);
}

TEST_CASE("absolute-form targets are reduced to their path", "[http][parse]") {
    const auto p = http::parse_head("GET http://example.com/x/y?q HTTP/1.1\r\nHost: example.com");
    REQUIRE(p.req);
    CHECK(p.req->path == "/x/y");
}

TEST_CASE("bare CR, bare LF and NUL in the head are refused", "[http][parse]") {
    CHECK(status_of("GET / HTTP/1.1\nHost: h") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: h\nX: y") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: h\rX: y") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: h\r\nX-Abc: \rxTransfer-Encoding: chunked") == 400);
    CHECK(status_of(std::string("GET / HTTP/1.1\r\nHost: h\0", 24)) == 400);
}

TEST_CASE("malformed field lines are refused", "[http][parse]") {
    CHECK(status_of("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked") == 400);  // space before colon
    CHECK(status_of("GET / HTTP/1.1\r\nHost: h\r\n: empty") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: h\r\nNo colon here") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: h\r\nFoo: bar\r\n Content-Length: 38") == 400);  // obs-fold
    CHECK(status_of("GET / HTTP/1.1\r\n Host: h") == 400);  // whitespace after the start line
    CHECK(status_of("GET / HTTP/1.1\r\nHost: h\r\nX\x01Y: 1") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f") == 400);
}

TEST_CASE("Host is required once in HTTP/1.1", "[http][parse]") {
    CHECK(status_of("GET / HTTP/1.1") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b") == 400);
    CHECK(status_of("GET / HTTP/1.0") == 0);
}

TEST_CASE("Content-Length is strict", "[http][parse]") {
    const std::string base = "POST /echo HTTP/1.1\r\nHost: h\r\n";
    CHECK(http::parse_head(base + "Content-Length: 42").req->content_length == 42u);
    CHECK(http::parse_head(base + "Content-Length: 007").req->content_length == 7u);
    CHECK(http::parse_head(base + "Content-Length: 5 ").req->content_length == 5u);  // OWS
    for (const char* bad : {"", "-1", "+5", "0x10", "5e1", "4 2", "1,1", "18446744073709551616",
                            "9999999999999999999999999", "\xd9\xa3"}) {
        INFO("Content-Length: " << bad);
        CHECK(status_of(base + "Content-Length: " + bad) == 400);
    }
    CHECK(status_of(base + "Content-Length: 5\r\nContent-Length: 5") == 400);  // every duplicate
    CHECK(status_of(base + "Content-Length: 5\r\nContent-Length: 6") == 400);
}

TEST_CASE("Transfer-Encoding: only a final chunked, never with Content-Length", "[http][parse]") {
    const std::string base = "POST /echo HTTP/1.1\r\nHost: h\r\n";
    CHECK(http::parse_head(base + "Transfer-Encoding: chunked").req->chunked);
    CHECK(http::parse_head(base + "Transfer-Encoding: Chunked").req->chunked);
    CHECK(status_of(base + "Transfer-Encoding: gzip, chunked") == 501);
    CHECK(status_of(base + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked") == 501);
    CHECK(status_of(base + "Transfer-Encoding: chunked, gzip") == 400);
    CHECK(status_of(base + "Transfer-Encoding: pigeons") == 400);
    CHECK(status_of(base + "Transfer-Encoding: chunkedchunked") == 400);
    CHECK(status_of(base + "Transfer-Encoding: chunked, chunked") == 400);
    CHECK(status_of(base + "Transfer-Encoding: ") == 400);
    CHECK(status_of(base + "Transfer-Encoding: chunked\r\nContent-Length: 5") == 400);
    CHECK(status_of(base + "Content-Length: 5\r\nTransfer-Encoding: gzip") == 400);
    CHECK(status_of("POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked") == 400);
}

TEST_CASE("Expect: only 100-continue", "[http][parse]") {
    CHECK(http::parse_head("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue").req->expect_continue);
    CHECK(status_of("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: something") == 417);
}

TEST_CASE("too many fields is 431", "[http][parse]") {
    std::string head = "GET / HTTP/1.1\r\nHost: h";
    for (int i = 0; i < 100; ++i) head += "\r\nX-" + std::to_string(i) + ": 1";
    CHECK(status_of(head) == 431);
}

TEST_CASE("chunk-size lines", "[http][parse]") {
    CHECK(http::parse_chunk_size("1a") == 26u);
    CHECK(http::parse_chunk_size("0") == 0u);
    CHECK(http::parse_chunk_size("A;name=value") == 10u);
    CHECK_FALSE(http::parse_chunk_size(""));
    CHECK_FALSE(http::parse_chunk_size("5 "));
    CHECK_FALSE(http::parse_chunk_size(" 5"));
    CHECK_FALSE(http::parse_chunk_size("-5"));
    CHECK_FALSE(http::parse_chunk_size("0x5"));
    CHECK_FALSE(http::parse_chunk_size("FFFFFFFFFFFFFFFFF"));  // overflow, no wraparound
    CHECK_FALSE(http::parse_chunk_size("5\r\r;ABCD"));
    CHECK_FALSE(http::parse_chunk_size("5;a\x01"));
}

namespace {
// A temporary directory tree: root/{a.txt, sub/, link-out -> outside/secret}.
struct tree {
    std::string base;
    tree() {
        char tmpl[] = "/tmp/asynchat-http-XXXXXX";
        base = ::mkdtemp(tmpl);
        ::mkdir((base + "/root").c_str(), 0755);
        ::mkdir((base + "/root/sub").c_str(), 0755);
        ::mkdir((base + "/outside").c_str(), 0755);
        std::ofstream(base + "/root/a.txt") << "a";
        std::ofstream(base + "/outside/secret") << "secret";
        REQUIRE(::symlink((base + "/outside/secret").c_str(), (base + "/root/link-out").c_str()) == 0);
        REQUIRE(::symlink("a.txt", (base + "/root/link-in").c_str()) == 0);
    }
    ~tree() { std::system(("rm -rf " + base).c_str()); }
    std::string root() const { return *http::real_path(base + "/root"); }
};
} // namespace

TEST_CASE("paths resolve under the root and never leave it", "[http][files]") {
    tree t;
    const std::string root = t.root();
    CHECK(http::resolve(root, "/a.txt").status == 0);
    CHECK(http::resolve(root, "/sub").status == 0);
    CHECK(http::resolve(root, "/").status == 0);
    CHECK(http::resolve(root, "/link-in").status == 0);      // a symlink inside: fine
    CHECK(http::resolve(root, "/link-out").status == 403);   // a symlink leaving the root
    CHECK(http::resolve(root, "/../outside/secret").status == 403);
    CHECK(http::resolve(root, "/sub/../../outside/secret").status == 403);
    CHECK(http::resolve(root, "/missing").status == 404);
    CHECK(http::resolve(root, "/a.txt/x").status == 404);
}

TEST_CASE("paths are normalised: slashes merged, dot-segments removed", "[http][parse][row1][row7]") {
    using http::normalize_path;
    CHECK(normalize_path("/") == "/");
    CHECK(normalize_path("//docs") == "/docs");
    CHECK(normalize_path("///docs//x/") == "/docs/x/");
    CHECK(normalize_path("/sub/../a.txt") == "/a.txt");
    CHECK(normalize_path("/sub/..") == "/");
    CHECK(normalize_path("/sub/.") == "/sub/");
    CHECK(normalize_path("/sub/./x") == "/sub/x");
    CHECK(normalize_path("/a/b/../../c") == "/c");
    CHECK(normalize_path("/...") == "/...");  // not a dot-segment
    CHECK(normalize_path("/..a") == "/..a");
    CHECK_FALSE(normalize_path("/.."));
    CHECK_FALSE(normalize_path("/../a"));
    CHECK_FALSE(normalize_path("/a/../../b"));
    const auto p = http::parse_head("GET //sub/..%2f..%2fx?q=1 HTTP/1.1\r\nHost: x");
    REQUIRE(p.req);
    CHECK(p.req->outside_root);
    const auto q = http::parse_head("GET //sub/%2e%2E/x?q=1 HTTP/1.1\r\nHost: x");
    REQUIRE(q.req);
    CHECK(q.req->path == "/x");
    CHECK(q.req->query == "?q=1");
}

TEST_CASE("target forms: authority for CONNECT, asterisk for OPTIONS, else refused", "[http][parse][row10]") {
    CHECK(status_of("CONNECT example.invalid:80 HTTP/1.1\r\nHost: x") == 0);
    CHECK(status_of("OPTIONS * HTTP/1.1\r\nHost: x") == 0);
    CHECK(status_of("GET example.invalid:80 HTTP/1.1\r\nHost: x") == 400);
    CHECK(status_of("GET * HTTP/1.1\r\nHost: x") == 400);
    CHECK(status_of("CONNECT / HTTP/1.1\r\nHost: x") == 400);
    CHECK(status_of("CONNECT example.invalid HTTP/1.1\r\nHost: x") == 400);
}

TEST_CASE("HTTP dates in the three formats; anything else is no date", "[http][conditional]") {
    using http::parse_http_date;
    const std::time_t t = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == t);
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == t);
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == t);
    CHECK(parse_http_date(http::http_date(1700000000)) == std::time_t(1700000000));
    CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == std::time_t(0));
    for (const char* bad : {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
                            "Sun, 06 Nov 1994 8:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                            "Sun, 06 Nov 1994 25:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
                            "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT extra"}) {
        INFO(bad);
        CHECK_FALSE(parse_http_date(bad));
    }
}

TEST_CASE("entity-tag lists: weak and strong comparison", "[http][conditional]") {
    using http::etag_list_matches;
    CHECK(etag_list_matches("\"a\"", "\"a\"", false));
    CHECK(etag_list_matches("*", "\"a\"", false));
    CHECK(etag_list_matches(" \"b\" , \"a\"", "\"a\"", false));
    CHECK(etag_list_matches("W/\"a\"", "\"a\"", true));
    CHECK_FALSE(etag_list_matches("W/\"a\"", "\"a\"", false));
    CHECK_FALSE(etag_list_matches("a", "\"a\"", true));  // unquoted: not an entity-tag
    CHECK_FALSE(etag_list_matches("\"b\"", "\"a\"", true));
    CHECK_FALSE(etag_list_matches("", "\"a\"", true));
}

TEST_CASE("Range fields: parsed, clipped, coalesced, or ignored", "[http][range]") {
    using http::parse_range;
    using kind = http::range_result::kind;
    auto one = [](const char* v, std::uint64_t first, std::uint64_t last) {
        INFO(v);
        const auto r = parse_range(v, 1000);
        REQUIRE(r.what == kind::satisfiable);
        REQUIRE(r.ranges.size() == 1);
        CHECK(r.ranges[0].first == first);
        CHECK(r.ranges[0].last == last);
    };
    one("bytes=0-0", 0, 0);
    one("bytes=0-", 0, 999);
    one("bytes=-1", 999, 999);
    one("bytes=-1000000", 0, 999);
    one("bytes=10-99999999999999", 10, 999);
    one("BYTES=1-2", 1, 2);  // the unit is case-insensitive
    one("bytes=1-2, 3-4", 1, 4);  // adjacent: merged
    one("bytes=5-9,0-7", 0, 9);   // overlapping and out of order
    one("bytes=1-2,2000-3000", 1, 2);  // the unsatisfiable one dropped
    const auto two = parse_range("bytes=0-1,5-6", 1000);
    CHECK(two.ranges.size() == 2);
    for (const char* v : {"bytes=1000-", "bytes=-0", "bytes=5000-6000,1000-"}) {
        INFO(v);
        CHECK(parse_range(v, 1000).what == kind::unsatisfiable);
    }
    CHECK(parse_range("bytes=0-", 0).what == kind::unsatisfiable);
    for (const char* v : {"bytes=2-1", "bytes=a-", "bytes=1-b", "bytes=-", "bytes", "bytes=", "items=0-1", "bytes=1-2-3",
                          "bytes= 1 -2", "bytes=+1-2", "bytes=0x1-2", "bytes=99999999999999999999-"}) {
        INFO(v);
        CHECK(parse_range(v, 1000).what == kind::ignore);
    }
    std::string many = "bytes=0-0";
    for (int i = 1; i <= 64; ++i) many += "," + std::to_string(i * 2) + "-" + std::to_string(i * 2);
    CHECK(parse_range(many, 1000).what == kind::ignore);  // 65 ranges: not worth it
}

TEST_CASE("Host is uri-host [\":\" port]", "[http][parse][followup]") {
    // RFC 9112 section 3.2: an invalid Host value is a 400; RFC 3986 section 3.2.2.
    for (const char* bad : {"a b", "x/y", "[::1", "x@y", "x:abc", "a%zz", "[::1]x", "[::1]:8a", "[zz::1]", "x:80:80",
                            "[v1]", "a\"b", "a<b", "x?y", "x#y", "::1"}) {
        INFO(bad);
        CHECK(status_of(std::string("GET / HTTP/1.1\r\nHost: ") + bad) == 400);
        CHECK(status_of(std::string("GET / HTTP/1.0\r\nHost: ") + bad) == 400);
    }
    for (const char* good : {"x", "example.com:8080", "x:", "127.0.0.1", "[::1]", "[::1]:80", "[2001:db8::7]",
                             "[v1.fe:x]", "%41bc", "a-b_c~d.e!$&'()*+,;=", ""}) {
        INFO(good);
        CHECK(status_of(std::string("GET / HTTP/1.1\r\nHost: ") + good) == 0);
    }
}

TEST_CASE("absolute-form: the scheme is case-insensitive, the host must not be empty", "[http][parse][followup]") {
    for (const char* target : {"HTTP://x/a.txt", "Http://x/a.txt", "hTtPs://x/a.txt", "http://x:80/a.txt",
                               "http://[::1]:8080/a.txt"}) {
        INFO(target);
        const auto p = http::parse_head(std::string("GET ") + target + " HTTP/1.1\r\nHost: x");
        REQUIRE(p.req);
        CHECK(p.req->path == "/a.txt");
    }
    // RFC 9110 section 4.2.1: an http URI with an empty host is invalid; and
    // userinfo is an error there (section 4.2.4).
    for (const char* target : {"http:///a.txt", "http://", "http://:80/a.txt", "HTTP:///", "http://u@x/a.txt",
                               "http://x y/", "http://x:abc/a.txt", "http://[::1/a.txt", "http://?q", "http://#f"}) {
        INFO(target);
        CHECK(status_of(std::string("GET ") + target + " HTTP/1.1\r\nHost: x") == 400);
    }
}

TEST_CASE("RFC 850 two-digit years: more than 50 years ahead is the past century", "[http][date][followup]") {
    // RFC 9110 section 5.6.7, evaluated at a fixed "now": 2026-11-30 12:00:00 UTC.
    const std::time_t now = http::days_from_civil(2026, 11, 30) * 86400 + 12 * 3600;
    auto year_of = [&](const std::string& date) -> std::int64_t {
        const auto t = http::parse_http_date(date, now);
        REQUIRE(t);
        std::tm tm{};
        gmtime_r(&*t, &tm);
        return tm.tm_year + 1900;
    };
    CHECK(year_of("Sunday, 06-Nov-94 08:49:37 GMT") == 1994);
    CHECK(year_of("Monday, 06-Nov-26 08:49:37 GMT") == 2026);
    CHECK(year_of("Monday, 06-Nov-70 08:49:37 GMT") == 2070);  // 44 years ahead: not more than 50
    CHECK(year_of("Monday, 06-Nov-76 08:49:37 GMT") == 2076);  // just under 50 years ahead
    CHECK(year_of("Monday, 06-Dec-76 08:49:37 GMT") == 1976);  // just over
    CHECK(year_of("Monday, 06-Nov-77 08:49:37 GMT") == 1977);
    CHECK(year_of("Monday, 01-Jan-00 00:00:00 GMT") == 2000);
    // Another "now": the window moves with it.
    const std::time_t later = http::days_from_civil(2081, 6, 1) * 86400;
    const auto t = http::parse_http_date("Monday, 06-Nov-30 08:49:37 GMT", later);
    REQUIRE(t);
    std::tm tm{};
    gmtime_r(&*t, &tm);
    CHECK(tm.tm_year + 1900 == 2130);
}

TEST_CASE("an empty file: a non-zero suffix range is the whole (empty) file", "[http][range][followup]") {
    // RFC 9110 section 14.1.3: a suffix range longer than the representation
    // is the whole of it; for a zero-length one it is the only satisfiable
    // form, and a 206 cannot say "no bytes", so the answer is the 200.
    using kind = http::range_result::kind;
    CHECK(http::parse_range("bytes=-1", 0).what == kind::ignore);
    CHECK(http::parse_range("bytes=-500", 0).what == kind::ignore);
    CHECK(http::parse_range("bytes=0-0,-1", 0).what == kind::ignore);
    CHECK(http::parse_range("bytes=-0", 0).what == kind::unsatisfiable);
    CHECK(http::parse_range("bytes=0-", 0).what == kind::unsatisfiable);
    CHECK(http::parse_range("bytes=0-0", 0).what == kind::unsatisfiable);
}

TEST_CASE("make_etag, last_modified and append_decimal format as the library functions do", "[http][unit]") {
    for (const std::uint64_t v : {std::uint64_t(0), std::uint64_t(1), std::uint64_t(9), std::uint64_t(10),
                                  std::uint64_t(0xfffffffff), std::uint64_t(18446744073709551615ull)}) {
        std::string s = "x";
        http::append_decimal(s, v);
        CHECK(s == "x" + std::to_string(v));
        char buf[64];
        std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(v & 0x7fffffff),
                      static_cast<unsigned long long>(v));
        CHECK(http::make_etag(static_cast<std::time_t>(v & 0x7fffffff), v) == buf);
    }
    // The memo of the last mtime never answers for another one.
    for (const std::time_t t : {std::time_t(0), std::time_t(1700000000), std::time_t(1700000000), std::time_t(0),
                                std::time_t(784111777)})
        CHECK(http::last_modified(t) == http::http_date(t));
}

TEST_CASE("request: a path with nothing to decode or normalise is taken as sent, others as before",
          "[http][request]") {
    // parse_head takes a path without '%', "//" or "/." as it is; every
    // other path is decoded, then normalised. Both must give the same path.
    const char* targets[] = {"/", "/a", "/a/", "/a/b.txt", "/a.b/c", "/.x", "/a/.x", "/a//b", "//a",
                             "/a/./b", "/a/.", "/a/b/..", "/a/../b", "/a%2Fb", "/%7euser/", "/a-b_c~d/e=f;g",
                             "/a..b/", "/a/..b", "/a/b.", "/index.html"};
    for (const char* t : targets) {
        INFO(t);
        const auto p = http::parse_head(std::string("GET ") + t + "?q=1 HTTP/1.1\r\nHost: h");
        REQUIRE(p.req);
        const auto decoded = http::percent_decode(t);
        REQUIRE(decoded);
        const auto normal = http::normalize_path(*decoded);
        REQUIRE(normal);
        CHECK(p.req->path == *normal);
        CHECK(p.req->query == "?q=1");
    }
    CHECK(http::parse_head("GET /a/../.. HTTP/1.1\r\nHost: h").req->outside_root);
    CHECK(http::parse_head("GET /%2e%2e/x HTTP/1.1\r\nHost: h").req->outside_root);
}
