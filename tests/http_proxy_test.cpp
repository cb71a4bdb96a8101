// The HTTP channel behind a load balancer (config::proxy_protocol): PROXY
// protocol v1 and v2 headers (HAProxy's doc/proxy-protocol.txt), valid and
// hostile, each fed whole, at every cut and byte by byte over the fake
// stream. A valid header puts its client in the log; a missing or malformed
// one is refused: no byte is answered, one "PROXY" log line, and whatever
// followed it is never processed.
#include "support/http_channel_driver.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

struct proxy_site {
    std::string dir;
    http::config cfg;
    proxy_site() {
        char tmpl[] = "/tmp/asynchat-proxy-XXXXXX";
        dir = ::mkdtemp(tmpl);
        std::ofstream(dir + "/a.txt") << "hello file\n";
        cfg.root = *http::real_path(dir);
        cfg.timeout = std::chrono::seconds(30);  // never reached: the input always ends
        cfg.header_timeout = std::chrono::seconds(30);
        cfg.proxy_protocol = true;
    }
    ~proxy_site() { std::system(("rm -rf '" + dir + "'").c_str()); }
};

const http::config& proxy_cfg() {
    static const proxy_site s;
    return s.cfg;
}

const std::string get = "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string sig("\r\n\r\n\0\r\nQUIT\n", 12);

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b) s += static_cast<char>(c);
    return s;
}

// A v2 header: the signature, version/command, family/transport, the length
// of `block`, then `block`.
std::string v2(int ver_cmd, int family, const std::string& block) {
    return sig + bytes({ver_cmd, family, static_cast<int>(block.size() >> 8), static_cast<int>(block.size() & 255)}) +
           block;
}

const std::string inet4 = bytes({192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0, 80});
std::string inet6() {
    std::string b = bytes({0x20, 0x01, 0x0d, 0xb8}) + std::string(11, '\0') + bytes({1});  // 2001:db8::1
    b += bytes({0x20, 0x01, 0x0d, 0xb8}) + std::string(11, '\0') + bytes({2});             // 2001:db8::2
    return b + bytes({0xdc, 0x04, 0, 80});
}

// Runs `input` whole, at every cut and byte by byte; all runs must agree.
test::http_run every_cut(const std::string& input) {
    const http::config& cfg = proxy_cfg();
    const test::http_run whole = test::drive_http({input}, cfg);
    REQUIRE(whole.finished);
    for (std::size_t cut = 1; cut < input.size(); ++cut) {
        const test::http_run r = test::drive_http({input.substr(0, cut), input.substr(cut)}, cfg);
        if (r.output != whole.output || r.log != whole.log || r.clients != whole.clients || !r.finished) {
            INFO("cut at " << cut);
            REQUIRE(r.finished);
            REQUIRE(r.output == whole.output);
            REQUIRE(r.log == whole.log);
            REQUIRE(r.clients == whole.clients);
        }
    }
    std::vector<std::string> pieces;
    for (char c : input) pieces.emplace_back(1, c);
    const test::http_run one = test::drive_http(pieces, cfg);
    CHECK(one.finished);
    CHECK(one.output == whole.output);
    CHECK(one.log == whole.log);
    CHECK(one.clients == whole.clients);
    return whole;
}

// A valid header, then two pipelined requests: both answered, both logged
// with `client`.
void accepted(const std::string& header, const std::string& client) {
    INFO("header: " << header);
    const test::http_run r = every_cut(header + get + get);
    CHECK(test::check_responses(r) == "");
    CHECK(test::statuses(r) == std::vector<int>{200, 200});
    CHECK(r.clients == std::vector<std::string>{client, client});
    CHECK(r.output.find("hello file\n") != std::string::npos);
}

// A hostile or missing header, then a request: nothing answered, one
// "PROXY - 400" log line.
void refused(const std::string& input) {
    INFO("input: " << input);
    const test::http_run r = every_cut(input + get);
    CHECK(r.output.empty());
    CHECK(r.log == std::vector<std::string>{"PROXY - 400 0"});
}

} // namespace

TEST_CASE("proxy protocol: valid v1 headers, at every cut", "[http][proxy][cuts]") {
    accepted("PROXY TCP4 192.0.2.1 198.51.100.2 56324 80\r\n", "192.0.2.1");
    accepted("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", "0.0.0.0");
    accepted("PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\n", "2001:db8::1");
    accepted("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
             "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");  // the spec's longest TCP6 line, 104 bytes
    // UNKNOWN: the rest of the line is ignored, the connection's own address is used.
    accepted("PROXY UNKNOWN\r\n", "-");
    accepted("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", "-");
    accepted("PROXY UNKNOWN " + std::string(107 - 16, 'x') + "\r\n", "-");  // exactly 107 bytes
}

TEST_CASE("proxy protocol: valid v2 headers, at every cut", "[http][proxy][cuts]") {
    accepted(v2(0x21, 0x11, inet4), "192.0.2.1");                              // PROXY, TCP over IPv4
    accepted(v2(0x21, 0x12, inet4), "192.0.2.1");                              // UDP over IPv4
    accepted(v2(0x21, 0x11, inet4 + bytes({0x04, 0, 3, 'a', 'b', 'c'})), "192.0.2.1");  // a TLV is skipped
    accepted(v2(0x21, 0x21, inet6()), "2001:db8::1");                          // TCP over IPv6
    accepted(v2(0x20, 0x00, ""), "-");              // LOCAL: the balancer's own health check
    accepted(v2(0x20, 0x11, inet4), "-");           // LOCAL with a block: the block is ignored
    accepted(v2(0x21, 0x00, ""), "-");              // AF_UNSPEC: the connection's own address
    accepted(v2(0x21, 0x00, std::string(20, 'x')), "-");
    accepted(v2(0x21, 0x31, std::string(216, '\0')), "-");                    // AF_UNIX
    accepted(v2(0x21, 0x00, std::string(http::proxy::max_v2_block, 'x')), "-");  // the longest block
}

TEST_CASE("proxy protocol: a missing header is refused, at every cut", "[http][proxy][cuts]") {
    refused("");                                   // a plain request
    refused("\r\n");                               // the empty line allowed between requests
    refused("PROXY");                              // a prefix of v1, then a request
    refused(sig.substr(0, 11) + "X" + bytes({0x21, 0x11, 0, 12}) + inet4);  // a bad v2 signature
    refused("proxy TCP4 192.0.2.1 198.51.100.2 1 2\r\n");   // the keyword is case-sensitive
}

TEST_CASE("proxy protocol: hostile v1 lines are refused, at every cut", "[http][proxy][cuts]") {
    refused("PROXY UNKNOWN " + std::string(107 - 15, 'x') + "\r\n");     // 108 bytes
    refused("PROXY UNKNOWN " + std::string(5000, 'x') + "\r\n");         // far too long
    refused("PROXY " + std::string(5000, 'x'));                          // too long, no line end at all
    refused("PROXY \r\n");                         // a line end in the first 12 bytes
    refused("PROXY TCP4\r\n");
    refused("PROXY TCP5 192.0.2.1 198.51.100.2 1 2\r\n");
    refused("PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n");            // fields missing
    refused("PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n");        // a field too many
    refused("PROXY TCP4 192.0.2.1  198.51.100.2 1 2\r\n");         // two spaces
    refused("PROXY TCP4 192.0.2.1 198.51.100.2 1 2 \r\n");         // a trailing space
    refused("PROXY TCP4 2001:db8::1 2001:db8::2 1 2\r\n");         // family and address disagree
    refused("PROXY TCP6 192.0.2.1 198.51.100.2 1 2\r\n");
    refused("PROXY TCP6 fe80::1%eth0 fe80::2 1 2\r\n");            // a scope is no address
    refused("PROXY TCP4 192.0.2.256 198.51.100.2 1 2\r\n");
    refused("PROXY TCP4 192.0.2.1 198.51.100.2 65536 2\r\n");      // port out of range
    refused("PROXY TCP4 192.0.2.1 198.51.100.2 01 2\r\n");         // a leading zero
    refused("PROXY TCP4 192.0.2.1 198.51.100.2 -1 2\r\n");
    refused("PROXY TCP4 192.0.2.1 198.51.100.2 1 2\n");            // a bare LF: the line runs into the request
    refused("PROXY TCP4 192.0.2.1 198.51.100.2 1 2" + std::string(1, '\0') + "\r\n");
}

TEST_CASE("proxy protocol: hostile v2 headers are refused, at every cut", "[http][proxy][cuts]") {
    refused(v2(0x11, 0x11, inet4));                        // version 1 in a v2 header
    refused(v2(0x31, 0x11, inet4));                        // version 3
    refused(v2(0x22, 0x11, inet4));                        // command 2
    refused(v2(0x21, 0x41, inet4));                        // family 4
    refused(v2(0x21, 0xf1, inet4));                        // family 15
    refused(v2(0x21, 0x13, inet4));                        // transport 3
    refused(v2(0x21, 0x11, inet4.substr(0, 11)));          // a block shorter than an IPv4 pair
    refused(v2(0x21, 0x21, inet6().substr(0, 35)));        // shorter than an IPv6 pair
    refused(v2(0x21, 0x31, std::string(215, '\0')));       // shorter than a UNIX pair
}

TEST_CASE("proxy protocol: a v2 length over the limit is refused before its block arrives",
          "[http][proxy][cuts]") {
    // Refused on the 16th byte: the server never waits for (or buffers) the
    // 1025 or 65535 bytes announced.
    for (int high : {0x04, 0xff}) {
        const std::string header = sig + bytes({0x21, 0x00, high, high == 0x04 ? 0x01 : 0xff});
        const test::http_run r = every_cut(header);
        CHECK(r.output.empty());
        CHECK(r.log == std::vector<std::string>{"PROXY - 400 0"});
    }
}

TEST_CASE("proxy protocol: a truncated header ends quietly, at every cut", "[http][proxy][cuts]") {
    for (const std::string& input : {std::string("PROXY TCP4 192.0.2.1"), sig.substr(0, 7), sig,
                                     v2(0x21, 0x11, inet4).substr(0, 20)}) {
        INFO("input: " << input);
        const test::http_run r = every_cut(input);
        CHECK(r.output.empty());
        CHECK(r.log.empty());
    }
}
