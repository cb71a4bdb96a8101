// The PROXY protocol, versions 1 and 2 (HAProxy's doc/proxy-protocol.txt):
// the header a load balancer (HAProxy `send-proxy` / `send-proxy-v2`, AWS
// NLB, nginx `proxy_protocol on`...) sends first on every connection it
// opens to a backend, so that the backend sees the real client's address.
//
// The channel frames the header with terminators, as it frames HTTP:
//
//   start     a count of 12 bytes (the v2 signature's length; the shortest v1
//             line, "PROXY UNKNOWN\r\n", is 15 bytes, so no request byte is
//             ever taken)
//     | "PROXY " + 6 bytes   -> v1 rest      terminator "\r\n", at most
//     |                                     107 bytes for the whole line
//     | the v2 signature     -> v2 fixed     a count of 4 bytes: version and
//     |                                     command, family, length (big endian)
//     | anything else        -> refused
//   v2 fixed                 -> v2 block     a count of `length` bytes (at
//                                            most max_v2_block), or straight
//                                            to HTTP when it is 0
//
// These functions only parse: each takes the bytes of one framed record.
#ifndef HTTP_SERVER_PROXY_PROTOCOL_HPP
#define HTTP_SERVER_PROXY_PROTOCOL_HPP

#include "../common/asio.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace http::proxy {

inline constexpr std::string_view v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};
inline constexpr std::size_t v1_max_line = 107;  // CRLF included (the spec's bound)
// The address block and TLVs of a v2 header. The spec allows up to 65535;
// an IPv6 block is 36 bytes and a UNIX one 216, so 1 KiB leaves room for
// the usual TLVs (ALPN, authority, unique id, SSL) and bounds the rest.
inline constexpr std::size_t max_v2_block = 1024;

// What a header said. `client` is the source address as text ("192.0.2.1",
// "2001:db8::1"); empty when the header says to use the connection's own
// endpoints (v1 UNKNOWN, v2 LOCAL, v2 AF_UNSPEC, v2 AF_UNIX). `error` is
// empty on success, else why the header is refused.
struct result {
    std::string client;
    std::string error;
};

// The first 12 bytes of a connection: 1 or 2 for a header of that version, 0
// for anything else.
inline int version(std::string_view first12) {
    if (first12 == v2_signature) return 2;
    if (first12.substr(0, 6) == "PROXY ") return 1;
    return 0;
}

namespace detail {
inline bool port(std::string_view s) {
    if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v <= 65535;
}
inline bool address(std::string_view s, bool v6) {
    if (s.empty() || s.size() > 45) return false;
    asynchat::error_code ec;
    const std::string text(s);
    if (v6) {
        const auto a = asio::ip::make_address_v6(text, ec);
        return !ec && a.scope_id() == 0;  // no "%eth0"
    }
    asio::ip::make_address_v4(text, ec);
    return !ec;
}
} // namespace detail

// A whole v1 line, "\r\n" excluded: "PROXY TCP4 SRC DST SPORT DPORT",
// "PROXY TCP6 ...", or "PROXY UNKNOWN" followed by anything (ignored, as the
// spec says). Single spaces, addresses of the named family, decimal ports
// 0-65535 without leading zeros.
inline result parse_v1(std::string_view line) {
    if (line.size() + 2 > v1_max_line) return {{}, "v1 line longer than 107 bytes"};
    if (line.substr(0, 6) != "PROXY ") return {{}, "not a PROXY line"};
    for (char c : line)
        if (c == '\r' || c == '\n' || c == '\0') return {{}, "v1 line with a CR, LF or NUL inside"};
    line.remove_prefix(6);
    if (line.substr(0, 7) == "UNKNOWN" && (line.size() == 7 || line[7] == ' ')) return {};
    std::string_view f[4];  // source address, destination address, source port, destination port
    const std::string_view proto = line.substr(0, 5);
    if (proto != "TCP4 " && proto != "TCP6 ") return {{}, "v1 protocol is not TCP4, TCP6 or UNKNOWN"};
    line.remove_prefix(5);
    for (int i = 0; i < 4; ++i) {
        const std::size_t sp = line.find(' ');
        if (i < 3 && sp == std::string_view::npos) return {{}, "v1 line with fewer than 6 fields"};
        if (i == 3 && sp != std::string_view::npos) return {{}, "v1 line with more than 6 fields"};
        f[i] = line.substr(0, sp);
        line.remove_prefix(sp == std::string_view::npos ? line.size() : sp + 1);
    }
    const bool v6 = proto[3] == '6';
    if (!detail::address(f[0], v6) || !detail::address(f[1], v6)) return {{}, "v1 address not of its family"};
    if (!detail::port(f[2]) || !detail::port(f[3])) return {{}, "v1 port not a number 0-65535"};
    return {std::string(f[0]), {}};
}

// The 4 bytes after the v2 signature: version 2, command LOCAL (0) or PROXY
// (1), family AF_UNSPEC/INET/INET6/UNIX (0-3) with transport UNSPEC/STREAM/
// DGRAM (0-2), and the length of the block that follows. Returns the length,
// or -1 with `error` set.
inline long parse_v2_fixed(std::string_view four, std::string& error) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(four[i]); };
    if (four.size() != 4) { error = "v2 header truncated"; return -1; }
    if ((b(0) >> 4) != 2) { error = "v2 version is not 2"; return -1; }
    if ((b(0) & 15) > 1) { error = "v2 command is not LOCAL or PROXY"; return -1; }
    if ((b(1) >> 4) > 3 || (b(1) & 15) > 2) { error = "v2 address family or transport unknown"; return -1; }
    const long length = (static_cast<long>(b(2)) << 8) | b(3);
    if (static_cast<std::size_t>(length) > max_v2_block) {
        error = "v2 address block longer than " + std::to_string(max_v2_block) + " bytes";
        return -1;
    }
    if ((b(0) & 15) == 1) {  // PROXY: the block must hold the family's addresses
        const long need = (b(1) >> 4) == 1 ? 12 : (b(1) >> 4) == 2 ? 36 : (b(1) >> 4) == 3 ? 216 : 0;
        if (length < need) { error = "v2 address block shorter than its family's addresses"; return -1; }
    }
    return length;
}

// The client named by a v2 header whose fixed part `four` was accepted by
// parse_v2_fixed(), and its address block (TLVs after the addresses are
// skipped). LOCAL, AF_UNSPEC and AF_UNIX: empty (use the connection's own).
inline result parse_v2_block(std::string_view four, std::string_view block) {
    const auto cmd = static_cast<unsigned char>(four[0]) & 15;
    const auto family = static_cast<unsigned char>(four[1]) >> 4;
    if (cmd == 0) return {};  // LOCAL: a health check of the balancer itself
    if (family == 1) {
        asio::ip::address_v4::bytes_type a;
        for (std::size_t i = 0; i < 4; ++i) a[i] = static_cast<unsigned char>(block[i]);
        return {asio::ip::address_v4(a).to_string(), {}};
    }
    if (family == 2) {
        asio::ip::address_v6::bytes_type a;
        for (std::size_t i = 0; i < 16; ++i) a[i] = static_cast<unsigned char>(block[i]);
        return {asio::ip::address_v6(a).to_string(), {}};
    }
    return {};
}

} // namespace http::proxy

#endif // HTTP_SERVER_PROXY_PROTOCOL_HPP
