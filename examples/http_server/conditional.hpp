// Conditional and range requests on static files (RFC 9110 sections 13 and
// 14): validators (ETag, Last-Modified), the preconditions evaluated in the
// order of section 13.2.2, HTTP dates in their three formats, and Range /
// If-Range. No I/O: the channel passes the request and the file's stat.
#ifndef HTTP_SERVER_CONDITIONAL_HPP
#define HTTP_SERVER_CONDITIONAL_HPP

#include "request.hpp"
#include "response.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace http {

// A strong entity tag from the modification time and the size, as nginx
// makes it: "<mtime hex>-<size hex>", quotes included.
inline std::string make_etag(std::time_t mtime, std::uint64_t size) {
    // "%llx-%llx" by hand: snprintf cost more than the rest of the head.
    char buf[40];
    std::size_t at = sizeof buf;
    buf[--at] = '"';
    auto hex = [&](unsigned long long v) {
        do buf[--at] = "0123456789abcdef"[v & 15];
        while ((v >>= 4) != 0);
    };
    hex(size);
    buf[--at] = '-';
    hex(static_cast<unsigned long long>(mtime));
    buf[--at] = '"';
    return std::string(buf + at, sizeof buf - at);
}

// The boundary of a multipart/byteranges body for the representation whose
// ETag is `etag`. It must not occur in the parts (RFC 2046 section 5.1.1),
// and the file's bytes are whatever a user put there, so it cannot be made
// of what a client can know (the ETag alone can be written into the file):
// it is 16 hex digits hashed from the ETag with a key drawn once per process
// from std::random_device. A file then holds it only by guessing 64 random
// bits; within one process the same representation gets the same boundary.
inline std::string multipart_boundary(std::string_view etag) {
    static const std::uint64_t key = [] {
        std::random_device rd;
        return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    }();
    std::uint64_t h = key ^ 0xcbf29ce484222325ULL;  // FNV-1a over the ETag, keyed
    for (unsigned char c : etag) h = (h ^ c) * 0x100000001b3ULL;
    h ^= h >> 30, h *= 0xbf58476d1ce4e5b9ULL, h ^= h >> 27, h *= 0x94d049bb133111ebULL, h ^= h >> 31;  // splitmix64
    char buf[32];
    const int n = std::snprintf(buf, sizeof buf, "asynchat-%016llx", static_cast<unsigned long long>(h));
    return std::string(buf, static_cast<std::size_t>(n));
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil); month 1..12.
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Parses an HTTP-date (RFC 9110 section 5.6.7) in any of its three formats:
//   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
//   rfc850-date  "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit year: a date
//                more than 50 years after `now` is the most recent past year
//                with those two digits, RFC 9110's rule)
//   asctime      "Sun Nov  6 08:49:37 1994"
// Returns seconds since the epoch, or nothing if the text is not exactly one
// of them (such a date is ignored, as section 13.1.3 says).
inline std::optional<std::time_t> parse_http_date(std::string_view s, std::time_t now = std::time(nullptr)) {
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static constexpr const char* days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static constexpr const char* long_days[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                                "Friday", "Saturday", "Sunday"};
    auto digits = [&](std::string_view t, std::size_t n) -> std::optional<int> {
        if (t.size() < n) return std::nullopt;
        int v = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (t[i] < '0' || t[i] > '9') return std::nullopt;
            v = v * 10 + (t[i] - '0');
        }
        return v;
    };
    auto month_of = [&](std::string_view t) -> int {
        for (int i = 0; i < 12; ++i)
            if (t.substr(0, 3) == months[i]) return i + 1;
        return 0;
    };
    auto time_of = [&](std::string_view t, int& h, int& m, int& sec) {  // "08:49:37"
        const auto hh = digits(t, 2), mm = digits(t.substr(3), 2), ss = digits(t.substr(6), 2);
        if (t.size() < 8 || t[2] != ':' || t[5] != ':' || !hh || !mm || !ss) return false;
        h = *hh, m = *mm, sec = *ss;
        return h < 24 && m < 60 && sec < 61;
    };
    int year = 0, month = 0, day = 0, h = 0, m = 0, sec = 0;
    const auto comma = s.find(',');
    if (comma == 3) {  // IMF-fixdate
        bool day_ok = false;
        for (const char* d : days) day_ok |= s.substr(0, 3) == d;
        if (!day_ok || s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
            s[25] != ' ' || s.substr(26) != "GMT")
            return std::nullopt;
        const auto dd = digits(s.substr(5), 2), yy = digits(s.substr(12), 4);
        month = month_of(s.substr(8, 3));
        if (!dd || !yy || !time_of(s.substr(17, 8), h, m, sec)) return std::nullopt;
        day = *dd, year = *yy;
    } else if (comma != std::string_view::npos) {  // rfc850-date
        bool day_ok = false;
        for (const char* d : long_days) day_ok |= s.substr(0, comma) == d;
        const std::string_view r = s.substr(comma + 1);  // " 06-Nov-94 08:49:37 GMT"
        if (!day_ok || r.size() != 23 || r[0] != ' ' || r[3] != '-' || r[7] != '-' || r[10] != ' ' ||
            r[19] != ' ' || r.substr(20) != "GMT")
            return std::nullopt;
        const auto dd = digits(r.substr(1), 2), yy = digits(r.substr(8), 2);
        month = month_of(r.substr(4, 3));
        if (!dd || !yy || !time_of(r.substr(11, 8), h, m, sec)) return std::nullopt;
        day = *dd;
        // The year with these digits in now's century, then moved into the
        // hundred years that end 50 years from now.
        std::tm today{};
        gmtime_r(&now, &today);
        const int this_year = today.tm_year + 1900;
        year = this_year - this_year % 100 + *yy;
        if (year <= this_year - 50) year += 100;
        if (month != 0) {
            const std::int64_t date = days_from_civil(year, static_cast<unsigned>(month), 1) + (day - 1);
            const std::int64_t limit = days_from_civil(this_year + 50, static_cast<unsigned>(today.tm_mon + 1), 1) +
                                       (today.tm_mday - 1);
            if (date * 86400 + h * 3600 + m * 60 + sec > limit * 86400 + now % 86400) year -= 100;
        }
    } else {  // asctime: "Sun Nov  6 08:49:37 1994"
        bool day_ok = false;
        for (const char* d : days) day_ok |= s.substr(0, 3) == d;
        if (!day_ok || s.size() != 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
            return std::nullopt;
        month = month_of(s.substr(4, 3));
        const auto dd = s[8] == ' ' ? digits(s.substr(9), 1) : digits(s.substr(8), 2);
        const auto yy = digits(s.substr(20), 4);
        if (!dd || !yy || !time_of(s.substr(11, 8), h, m, sec)) return std::nullopt;
        day = *dd, year = *yy;
    }
    static constexpr int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 0 || day < 1 || day > month_days[month - 1]) return std::nullopt;
    const std::int64_t t = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                           h * 3600 + m * 60 + std::min(sec, 59);
    return static_cast<std::time_t>(t);
}

// One entity-tag of a list: W/"x" or "x". Returns false if `s` is not one.
inline bool parse_entity_tag(std::string_view s, bool& weak, std::string_view& opaque) {
    weak = s.substr(0, 2) == "W/";
    if (weak) s.remove_prefix(2);
    if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
    for (unsigned char c : s.substr(1, s.size() - 2))
        if (c == '"' || c < 0x21 || c == 0x7f) return false;  // etagc = %x21 / %x23-7E / obs-text
    opaque = s;  // quotes included: ETag values compare quoted
    return true;
}

// Does the If-Match / If-None-Match list `value` match `etag` (a strong tag
// of ours, quoted)? "*" matches any current representation. `weak`: weak
// comparison (If-None-Match), else strong (If-Match): a W/ tag never matches.
// A malformed member is skipped.
inline bool etag_list_matches(std::string_view value, std::string_view etag, bool weak_comparison) {
    value = trim_ows(value);
    if (value == "*") return true;
    for (auto member : split_list(value)) {
        bool weak = false;
        std::string_view opaque;
        if (!parse_entity_tag(member, weak, opaque)) continue;
        if (weak && !weak_comparison) continue;
        if (opaque == etag) return true;
    }
    return false;
}

// A byte range, both ends inclusive, inside the representation.
struct byte_range {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint64_t length() const { return last - first + 1; }
};

// The outcome of a Range field for a representation of `size` bytes.
struct range_result {
    enum class kind { ignore, satisfiable, unsatisfiable } what = kind::ignore;
    std::vector<byte_range> ranges;  // sorted, overlapping and adjacent ones merged
};

// More ranges than this in one field: the field is ignored (a full 200), as
// RFC 9110 section 14.2 allows; it keeps a crafted field from costing more
// than the file.
constexpr std::size_t max_ranges = 64;

// Parses `Range: bytes=...` (RFC 9110 section 14.1.2) against `size`. A
// malformed field, another unit or too many ranges: ignore (200). No range
// satisfiable: unsatisfiable (416). Else the satisfiable ranges, clipped to
// the size, sorted and coalesced when they overlap or touch (section 14.3
// allows it; it also defeats overlapping-range amplification).
inline range_result parse_range(std::string_view value, std::uint64_t size) {
    range_result out;
    value = trim_ows(value);
    const auto eq = value.find('=');
    if (eq == std::string_view::npos || !iequals(value.substr(0, eq), "bytes")) return out;
    std::vector<byte_range> found;
    std::size_t count = 0;
    for (auto spec : split_list(value.substr(eq + 1))) {
        if (spec.empty()) continue;  // "bytes=0-1,,2-3": empty list elements are allowed
        if (++count > max_ranges) return out;
        const auto dash = spec.find('-');
        if (dash == std::string_view::npos) return out;
        const auto first = spec.substr(0, dash), last = spec.substr(dash + 1);
        if (first.empty()) {  // suffix: the last N bytes
            const auto n = parse_decimal(last);
            if (!n) return out;
            if (*n == 0) continue;
            // A non-zero suffix of an empty representation is all of it
            // (RFC 9110 section 14.1.3): satisfiable, but no 206 can carry
            // zero bytes, so the answer is the whole, a 200.
            if (size == 0) return out;
            found.push_back({size - std::min(*n, size), size - 1});
            continue;
        }
        const auto a = parse_decimal(first);
        if (!a) return out;
        std::uint64_t b = UINT64_MAX;
        if (!last.empty()) {
            const auto l = parse_decimal(last);
            if (!l || *l < *a) return out;  // last < first: the field is invalid
            b = *l;
        }
        if (*a >= size) continue;
        found.push_back({*a, std::min(b, size - 1)});
    }
    if (count == 0) return out;  // "bytes=" alone
    if (found.empty()) {
        out.what = range_result::kind::unsatisfiable;
        return out;
    }
    std::sort(found.begin(), found.end(), [](const byte_range& x, const byte_range& y) { return x.first < y.first; });
    for (const auto& r : found) {
        if (!out.ranges.empty() && r.first <= out.ranges.back().last + 1)
            out.ranges.back().last = std::max(out.ranges.back().last, r.last);
        else
            out.ranges.push_back(r);
    }
    out.what = range_result::kind::satisfiable;
    return out;
}

// The preconditions of a resource that has a current representation but no
// validator (a directory index, the built-in page, POST /echo), which would
// answer 200: "If-Match: *" is true and a list of entity-tags false, as no
// ETag can match (RFC 9110 section 13.1.1); "If-None-Match: *" is false
// (304 to GET and HEAD, else 412) and a list true (section 13.1.2). The
// date fields are ignored without a Last-Modified (sections 13.1.3,
// 13.1.4). Returns 0 (answer as usual), 304 or 412.
inline int evaluate_without_validators(const request& req) {
    if (const auto im = req.field_list("if-match"); im && trim_ows(*im) != "*") return 412;
    if (const auto inm = req.field_list("if-none-match"); inm && trim_ows(*inm) == "*")
        return std::string_view(req.method) == "GET" || std::string_view(req.method) == "HEAD" ? 304 : 412;
    return 0;
}

// What a GET or HEAD of a file answers once its preconditions are evaluated.
struct file_decision {
    int status = 200;         // 200, 206, 304, 412 or 416
    std::vector<byte_range> ranges;  // for 206
};

// Evaluates the preconditions in the order of RFC 9110 section 13.2.2, then
// Range and If-Range (section 13.1.5, 14.2), for a GET or HEAD of a file
// whose validators are `etag` and `mtime`. The entity-tag fields are lists:
// their lines are combined (section 5.3). The date fields, Range and
// If-Range hold one value: sent on more than one line, a date field or Range
// is ignored, and If-Range is false (the whole file is sent). Range applies
// to GET only (section 14.2): HEAD gives the fields of GET without Range.
inline file_decision evaluate(const request& req, std::string_view etag, std::time_t mtime, std::uint64_t size) {
    file_decision d;
    // 1. If-Match (strong), else 2. If-Unmodified-Since.
    if (const auto im = req.field_list("if-match")) {
        if (!etag_list_matches(*im, etag, false)) return {412, {}};
    } else if (const auto ius = req.field_once("if-unmodified-since")) {
        if (const auto t = parse_http_date(trim_ows(*ius)); t && mtime > *t) return {412, {}};
    }
    // 3. If-None-Match (weak), else 4. If-Modified-Since (GET and HEAD only).
    if (const auto inm = req.field_list("if-none-match")) {
        if (etag_list_matches(*inm, etag, true)) return {304, {}};
    } else if (const auto ims = req.field_once("if-modified-since")) {
        if (const auto t = parse_http_date(trim_ows(*ims)); t && mtime <= *t) return {304, {}};
    }
    // 5. Range (GET only), unless If-Range says the client's copy is not this one.
    if (std::string_view(req.method) != "GET") return d;
    const auto range = req.field_once("range");
    if (!range) return d;
    if (req.field("if-range")) {
        const auto if_range = req.field_once("if-range");
        if (!if_range) return d;  // two validators: no single copy to compare
        const std::string_view v = trim_ows(*if_range);
        bool weak = false;
        std::string_view opaque;
        if (parse_entity_tag(v, weak, opaque)) {
            if (weak || opaque != etag) return d;  // strong comparison
        } else {
            const auto t = parse_http_date(v);
            if (!t || *t != mtime) return d;  // a date must match Last-Modified exactly
        }
    }
    range_result r = parse_range(*range, size);
    if (r.what == range_result::kind::ignore) return d;
    if (r.what == range_result::kind::unsatisfiable) return {416, {}};
    return {206, std::move(r.ranges)};
}

} // namespace http

#endif // HTTP_SERVER_CONDITIONAL_HPP
