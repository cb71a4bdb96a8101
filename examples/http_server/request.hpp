// Parsing an HTTP/1.1 request head (RFC 9112), strictly: whatever a strict
// parser (llhttp, Beast) refuses is refused here too, because a lenient
// parser behind a proxy is how request smuggling happens. No I/O here: the
// channel hands over the head that the "\r\n\r\n" terminator cut out.
#ifndef HTTP_SERVER_REQUEST_HPP
#define HTTP_SERVER_REQUEST_HPP

#include <cstdint>
#include <optional>

#include <arpa/inet.h>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http {

// A refusal: the status to answer with and why (for the body and the log).
struct refusal {
    int status = 0;
    std::string reason;
};

struct request {
    std::string method;  // as sent: methods are case-sensitive
    std::string target;  // as sent
    std::string path;    // percent-decoded, dot-segments removed, slashes merged, no query;
                         // empty for the authority-form and asterisk-form, and when the
                         // path climbs above "/" (see `outside_root`)
    std::string query;   // "?..." as sent, or empty: kept in the redirects we build
    bool outside_root = false;  // "/../x": dot-segments lead above the root
    int minor_version = 1;  // HTTP/1.<minor>
    std::vector<std::pair<std::string, std::string>> fields;
    std::optional<std::uint64_t> content_length;
    bool chunked = false;
    bool keep_alive = true;
    bool expect_continue = false;

    // Empties every member, keeping the strings' and the field list's
    // capacity: a request object reused for the next head allocates only
    // for what outgrows it (see parse_head_into).
    void clear();

    // The value of the first field called `name` (case-insensitive), if any.
    std::optional<std::string_view> field(std::string_view name) const;
    // A list field (RFC 9110 section 5.3): its field lines combined in
    // order, separated by ", "; nothing if it was not sent.
    std::optional<std::string> field_list(std::string_view name) const;
    // A field whose value is a single item (a date, a Range): its value if
    // it was sent on exactly one line, else nothing: two values of a
    // singleton field cannot be combined, and such a field is ignored.
    std::optional<std::string_view> field_once(std::string_view name) const;
};

// The outcome of parse_head(): a request, a refusal, or nothing at all (the
// head held only the empty lines allowed between requests).
struct parsed {
    std::optional<request> req;
    refusal error;
    bool empty = false;
};

inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

// RFC 9110 token characters.
inline bool is_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

inline bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

inline std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

inline void request::clear() {
    method.clear();
    target.clear();
    path.clear();
    query.clear();
    outside_root = false;
    minor_version = 1;
    fields.clear();
    content_length.reset();
    chunked = false;
    keep_alive = true;
    expect_continue = false;
}

inline std::optional<std::string_view> request::field(std::string_view name) const {
    for (const auto& f : fields)
        if (iequals(f.first, name)) return std::string_view(f.second);
    return std::nullopt;
}

inline std::optional<std::string> request::field_list(std::string_view name) const {
    std::optional<std::string> out;
    for (const auto& f : fields) {
        if (!iequals(f.first, name)) continue;
        if (out) *out += std::string_view(", ");
        else out.emplace();
        *out += f.second;
    }
    return out;
}

inline std::optional<std::string_view> request::field_once(std::string_view name) const {
    std::optional<std::string_view> out;
    for (const auto& f : fields) {
        if (!iequals(f.first, name)) continue;
        if (out) return std::nullopt;
        out = f.second;
    }
    return out;
}

// Splits a comma-separated list; empty elements are kept (callers refuse them).
inline std::vector<std::string_view> split_list(std::string_view s) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto comma = s.find(',');
        out.push_back(trim_ows(s.substr(0, comma)));
        if (comma == std::string_view::npos) return out;
        s.remove_prefix(comma + 1);
    }
}

// Percent-decodes a path. Refuses bad escapes and NUL.
inline std::optional<std::string> percent_decode(std::string_view s) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;  // "%" needs two hex digits
        const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        const char c = static_cast<char>(hi * 16 + lo);
        if (c == '\0') return std::nullopt;
        out += c;
        i += 2;
    }
    return out;
}

// Is `s` uri-host [":" port] (RFC 3986 section 3.2.2, 3.2.3), the value of
// Host (RFC 9112 section 3.2) and the authority of an http URI? uri-host is
// an IP-literal in brackets (an IPv6 address, or "v" HEXDIG "." ...), or a
// reg-name: unreserved characters, sub-delims and percent-encodings (an IPv4
// address is one). No userinfo: "@" is refused (RFC 9110 section 4.2.4).
inline bool is_uri_host_port(std::string_view s) {
    auto is_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    auto is_unreserved_or_sub_delim = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos;
    };
    std::string_view port;
    if (!s.empty() && s.front() == '[') {
        const auto close = s.find(']');
        if (close == std::string_view::npos) return false;
        const std::string_view literal = s.substr(1, close - 1), after = s.substr(close + 1);
        if (!after.empty() && after.front() != ':') return false;
        if (!after.empty()) port = after.substr(1);
        if (!literal.empty() && (literal.front() == 'v' || literal.front() == 'V')) {
            // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            const auto dot = literal.find('.');
            if (dot == std::string_view::npos || dot < 2 || dot + 1 == literal.size()) return false;
            for (char c : literal.substr(1, dot - 1))
                if (!is_hex(c)) return false;
            for (char c : literal.substr(dot + 1))
                if (!is_unreserved_or_sub_delim(c) && c != ':') return false;
        } else {
            in6_addr addr{};
            if (::inet_pton(AF_INET6, std::string(literal).c_str(), &addr) != 1) return false;
        }
    } else {
        const auto colon = s.find(':');
        if (colon != std::string_view::npos) port = s.substr(colon + 1);
        const std::string_view name = s.substr(0, colon);
        for (std::size_t i = 0; i < name.size(); ++i) {
            if (is_unreserved_or_sub_delim(name[i])) continue;
            if (name[i] == '%' && i + 2 < name.size() && is_hex(name[i + 1]) && is_hex(name[i + 2])) {
                i += 2;
                continue;
            }
            return false;
        }
    }
    for (char c : port)
        if (c < '0' || c > '9') return false;
    return true;
}

// Reads an unsigned decimal with no sign, no spaces and no overflow.
inline std::optional<std::uint64_t> parse_decimal(std::string_view s) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

// A chunk-size line: hex digits, then optionally ";" and extensions. Refuses
// spaces, signs, empty sizes and anything over 2^60 (llhttp, Beast).
inline std::optional<std::uint64_t> parse_chunk_size(std::string_view line) {
    const auto semi = line.find(';');
    const std::string_view digits = line.substr(0, semi);
    if (digits.empty() || digits.size() > 15) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : digits) {
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return std::nullopt;
        v = v * 16 + static_cast<std::uint64_t>(d);
    }
    if (semi != std::string_view::npos) {
        for (unsigned char c : line.substr(semi + 1))
            if (c < 0x20 || c == 0x7f) return std::nullopt;  // no CTLs in extensions
    }
    return v;
}

// A field line "name: value" (in the head or a trailer). Returns the refusal
// reason, or "" if the line is well formed.
inline std::string check_field_line(std::string_view line, std::string_view& name, std::string_view& value) {
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
        return "obsolete line folding";
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return "field line without a colon";
    name = line.substr(0, colon);
    if (name.empty()) return "empty field name";
    if (!is_token(name)) return "invalid character in a field name";
    value = trim_ows(line.substr(colon + 1));
    for (unsigned char c : value)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return "control character in a field value";
    return "";
}

// Normalises a decoded absolute path the way nginx does before it looks for
// a file: empty segments merged ("//docs" is "/docs": a Location built from
// it can never become a network-path reference, RFC 3986 section 4.2), then
// dot-segments removed (RFC 3986 section 5.2.4: "/sub/../a" is "/a",
// "/sub/." is "/sub/"). Returns nothing if a ".." climbs above "/".
inline std::optional<std::string> normalize_path(std::string_view path) {
    std::vector<std::string_view> segments;
    bool trailing_slash = false;
    std::size_t at = 1;  // path[0] == '/'
    while (at <= path.size()) {
        const auto slash = path.find('/', at);
        const std::string_view seg = path.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at);
        const bool last = slash == std::string_view::npos;
        if (seg == "..") {
            if (segments.empty()) return std::nullopt;
            segments.pop_back();
            trailing_slash = true;
        } else if (seg == ".") {
            trailing_slash = true;
        } else if (seg.empty()) {
            trailing_slash = true;  // "//" merged; a final "/" kept
        } else {
            segments.push_back(seg);
            trailing_slash = false;
        }
        if (last) break;
        at = slash + 1;
    }
    std::string out;
    for (const auto& seg : segments) {
        out += '/';
        out += seg;
    }
    if (out.empty() || trailing_slash) out += '/';
    return out;
}

// The method of a request head that may be incomplete or refused: the first
// token of its request line (after the empty lines allowed before it), once
// the space after it has arrived; "" if there is none. An answer to a HEAD
// request has no content (RFC 9112 section 6.3), so the method decides the
// shape of every answer, refusals included, as soon as it can be read.
inline std::string_view leading_method(std::string_view head) {
    while (head.substr(0, 2) == "\r\n") head.remove_prefix(2);
    const auto sp = head.find(' ');
    if (sp == std::string_view::npos) return {};
    const std::string_view method = head.substr(0, sp);
    return is_token(method) ? method : std::string_view();
}

struct head_limits {
    std::size_t max_fields = 100;
};

// Parses a request head (the bytes before "\r\n\r\n") into `req`, which is
// cleared first and reused (its strings keep their capacity). Returns the
// refusal (status 0: none); `empty` says the head held only the empty lines
// allowed between requests. On a refusal `req` holds what was read so far.
inline refusal parse_head_into(std::string_view head, request& req, bool& empty, const head_limits& limits = {}) {
    req.clear();
    empty = false;
    auto refuse = [](int status, std::string reason) { return refusal{status, std::move(reason)}; };

    // Empty lines before a request line are allowed (RFC 9112 section 2.2).
    while (head.substr(0, 2) == "\r\n") head.remove_prefix(2);
    if (head.empty()) {
        empty = true;
        return {};
    }
    // Lines end with CRLF only: a bare CR or LF is how smuggling starts.
    for (std::size_t i = 0; i < head.size(); ++i) {
        if (head[i] == '\r' && (i + 1 == head.size() || head[i + 1] != '\n')) return refuse(400, "bare CR");
        if (head[i] == '\n' && (i == 0 || head[i - 1] != '\r')) return refuse(400, "bare LF");
        if (head[i] == '\0') return refuse(400, "NUL in the request head");
    }

    const auto eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);

    // request-line = method SP request-target SP HTTP-version, single spaces.
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return refuse(400, "malformed request line");
    req.method.assign(line.substr(0, sp1));
    req.target.assign(line.substr(sp1 + 1, sp2 - sp1 - 1));
    const std::string_view version = line.substr(sp2 + 1);
    if (!is_token(req.method)) return refuse(400, "invalid method");
    if (req.target.empty()) return refuse(400, "empty request target");
    for (unsigned char c : req.target)
        if (c <= 0x20 || c == 0x7f) return refuse(400, "invalid character in the request target");
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
        return refuse(400, "malformed HTTP version");
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
        return refuse(505, "only HTTP/1.0 and HTTP/1.1 are supported");
    req.minor_version = version[7] - '0';
    req.keep_alive = req.minor_version == 1;

    // The target (RFC 9112 section 3.2): origin-form; absolute-form reduced
    // to its path; authority-form for CONNECT only; asterisk-form for
    // OPTIONS only. The last two name no resource here: the channel answers
    // 405 (the method is not supported).
    std::string_view target = req.target;
    const bool connect = std::string_view(req.method) == "CONNECT", options = std::string_view(req.method) == "OPTIONS";
    if (connect) {
        if (target.front() == '/' || target.find('/') != std::string_view::npos || target.find(':') == std::string_view::npos)
            return refuse(400, "CONNECT needs an authority-form target (host:port)");
    } else if (options && target == "*") {
        // nothing more to check
    } else {
        // The scheme is case-insensitive (RFC 3986 section 3.1); the
        // authority must name a host (RFC 9110 section 4.2.1).
        if (iequals(target.substr(0, 7), "http://") || iequals(target.substr(0, 8), "https://")) {
            const auto start = target.find("//") + 2;
            const auto end = target.find_first_of("/?#", start);
            const std::string_view authority = target.substr(start, end == std::string_view::npos ? end : end - start);
            if (authority.empty() || authority.front() == ':' || !is_uri_host_port(authority))
                return refuse(400, "absolute-form target without a valid host");
            if (end == std::string_view::npos || target[end] != '/')
                target = "/";  // "http://host" and "http://host?q" ask for "/"
            else
                target = target.substr(end);
        } else if (target.front() != '/') {
            return refuse(400, "unsupported request target form");
        }
        const auto q = target.find('?');
        if (q != std::string_view::npos) req.query.assign(target.substr(q));
        const std::string_view raw = target.substr(0, q);
        if (raw.find('%') == std::string_view::npos && raw.find(std::string_view("//")) == std::string_view::npos &&
            raw.find(std::string_view("/.")) == std::string_view::npos) {
            req.path.assign(raw);  // nothing to decode, no empty or dot-segment: already normal
        } else {
            const auto decoded = percent_decode(raw);
            if (!decoded) return refuse(400, "bad percent-encoding in the path");
            auto normal = normalize_path(*decoded);
            if (normal) req.path = std::move(*normal);
            else req.outside_root = true;
        }
    }

    // Fields.
    std::size_t hosts = 0, lengths = 0;
    std::vector<std::string_view> codings;
    for (bool more = eol != std::string_view::npos; more;) {
        const auto end = rest.find("\r\n");
        const std::string_view field_line = rest.substr(0, end);
        std::string_view name, value;
        if (const std::string why = check_field_line(field_line, name, value); !why.empty())
            return refuse(400, why);
        if (req.fields.size() == limits.max_fields) return refuse(431, "too many header fields");
        req.fields.emplace_back(std::string(name), std::string(value));
        if (iequals(name, "host")) {
            ++hosts;
            if (!is_uri_host_port(value)) return refuse(400, "invalid Host");
        } else if (iequals(name, "content-length")) {
            if (++lengths > 1) return refuse(400, "more than one Content-Length");
            const auto n = parse_decimal(value);
            if (!n) return refuse(400, "invalid Content-Length");
            req.content_length = *n;
        } else if (iequals(name, "transfer-encoding")) {
            for (auto coding : split_list(value)) codings.push_back(coding);
        } else if (iequals(name, "connection")) {
            for (auto option : split_list(value)) {
                if (iequals(option, "close")) req.keep_alive = false;
                else if (iequals(option, "keep-alive") && req.minor_version == 0) req.keep_alive = true;
            }
        } else if (iequals(name, "expect")) {
            if (!iequals(value, "100-continue")) return refuse(417, "unsupported expectation");
            req.expect_continue = true;
        }
        more = end != std::string_view::npos;
        if (more) rest.remove_prefix(end + 2);
    }

    if (req.minor_version == 1 && hosts != 1) return refuse(400, "HTTP/1.1 needs exactly one Host");
    if (hosts > 1) return refuse(400, "more than one Host");
    if (!codings.empty()) {
        if (req.minor_version == 0) return refuse(400, "Transfer-Encoding in an HTTP/1.0 request");
        if (req.content_length) return refuse(400, "both Content-Length and Transfer-Encoding");
        std::size_t chunked = 0;
        for (auto coding : codings) {
            if (!is_token(coding)) return refuse(400, "malformed Transfer-Encoding");
            if (iequals(coding, "chunked")) ++chunked;
        }
        // Without a final "chunked" the body length is unknowable: refuse.
        if (chunked != 1 || !iequals(codings.back(), "chunked"))
            return refuse(400, "Transfer-Encoding must end with a single chunked");
        if (codings.size() > 1) return refuse(501, "unsupported transfer coding");
        req.chunked = true;
    }
    return {};
}

// Parses a request head: the bytes before "\r\n\r\n" (see parse_head_into).
inline parsed parse_head(std::string_view head, const head_limits& limits = {}) {
    parsed out;
    request req;
    out.error = parse_head_into(head, req, out.empty, limits);
    if (out.error.status == 0 && !out.empty) out.req = std::move(req);
    return out;
}

} // namespace http

#endif // HTTP_SERVER_REQUEST_HPP
