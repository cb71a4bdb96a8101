// Test helpers for the framing core: hex, terminator schedules, a trace sink
// and an independent reference model of the framing rules (SPEC.md).
#ifndef ASYNCHAT_TESTS_SUPPORT_FRAMING_HPP
#define ASYNCHAT_TESTS_SUPPORT_FRAMING_HPP

#include <asynchat/framer.hpp>
#include <asynchat/terminator.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace test {

inline std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

inline std::string from_hex(std::string_view hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        throw std::invalid_argument("bad hex digit");
    };
    if (hex.size() % 2 != 0) throw std::invalid_argument("odd hex length");
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2)
        out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
    return out;
}

// "n", "c:<count>", "s:<hex>" as written by tests/golden/make_framing_golden.py.
inline asynchat::terminator parse_terminator(std::string_view text) {
    if (text == "n") return asynchat::none;
    if (text.substr(0, 2) == "c:") return std::stoull(std::string(text.substr(2)));
    if (text.substr(0, 2) == "s:") return from_hex(text.substr(2));
    throw std::invalid_argument("bad terminator: " + std::string(text));
}

inline std::string encode_terminator(const asynchat::terminator& t) {
    if (t.is_none()) return "n";
    if (t.is_count()) return "c:" + std::to_string(t.count());
    return "s:" + to_hex(t.string());
}

using schedule = std::vector<asynchat::terminator>;

// What a framer run produced: the complete records, and the bytes of the
// unfinished record (collected ones, then what the framer still buffers).
struct framing_result {
    std::vector<std::string> records;
    std::string tail;
    asynchat::terminator final_terminator;
    bool operator==(const framing_result& o) const {
        return records == o.records && tail == o.tail && final_terminator == o.final_terminator;
    }
};

// A sink that follows a terminator schedule: the i-th found_terminator()
// switches to schedule[i % size], as the golden generator does. It records
// the CPython-style trace and the records.
struct schedule_sink {
    schedule_sink(asynchat::framer& f, schedule t) : framer(f), terminators(std::move(t)) {}

    asynchat::framer& framer;
    schedule terminators;
    std::size_t found = 0;
    std::string trace;
    std::vector<std::string> records;
    std::string current;

    void collect_incoming_data(std::string_view data) {
        event("C:" + to_hex(data));
        current.append(data);
    }
    void found_terminator() {
        event("F");
        records.push_back(std::move(current));
        current.clear();
        ++found;
        framer.set_terminator(terminators[found % terminators.size()]);
    }
    void end_of_read() { event("R"); }

    void event(const std::string& e) {
        if (!trace.empty()) trace += ' ';
        trace += e;
    }
};

// Feeds `stream` to a fresh framer in reads of the given sizes (cycling).
inline framing_result frame(std::string_view stream, const schedule& terminators,
                            const std::vector<std::size_t>& read_sizes) {
    asynchat::framer f(terminators.at(0));
    schedule_sink sink{f, terminators};
    std::size_t at = 0;
    for (std::size_t k = 0; at < stream.size(); ++k) {
        const std::size_t n = read_sizes.empty() ? stream.size() : read_sizes[k % read_sizes.size()];
        const std::string_view piece = stream.substr(at, n);
        f.feed(piece, sink);
        at += piece.size();
    }
    return {sink.records, sink.current + std::string(f.buffered()), f.get_terminator()};
}

// The framing rules of SPEC.md applied to the whole stream at once, written
// independently of asynchat::framer (a straight scan, no buffering). With a
// record limit, an overlong record is counted in `overflows` and skipped to
// the next string terminator; for a count or no terminator, framing stops
// (the channel would close).
struct reference_result : framing_result {
    std::size_t overflows = 0;
    bool stopped = false;
};

inline reference_result reference_frame(std::string_view stream, const schedule& terminators,
                                        std::size_t limit = asynchat::no_limit) {
    reference_result r;
    asynchat::terminator t = terminators.at(0);
    std::size_t found = 0;
    std::size_t pos = 0;
    std::string current;
    auto next_record = [&] {
        ++found;
        t = terminators[found % terminators.size()];
    };
    while (pos < stream.size()) {
        if (!t) {
            if (stream.size() - pos > limit - current.size()) {
                ++r.overflows;
                r.stopped = true;
                break;
            }
            current.append(stream.substr(pos));
            pos = stream.size();
        } else if (t.is_count()) {
            if (t.count() > limit - current.size()) {
                ++r.overflows;
                r.stopped = true;
                break;
            }
            const std::size_t take = std::min(t.count(), stream.size() - pos);
            current.append(stream.substr(pos, take));
            pos += take;
            if (take < t.count()) {
                t = t.count() - take;
                break;
            }
            r.records.push_back(std::move(current));
            current.clear();
            next_record();
        } else {
            const std::string needle(t.string());
            const std::size_t at = std::string_view(stream).find(needle, pos);
            // At the end of the stream, a tail that may begin the terminator
            // is not payload yet (the framer waits for the next read).
            std::size_t held = 0;
            if (at == std::string_view::npos) {
                for (std::size_t k = std::min(needle.size() - 1, stream.size() - pos); k > 0 && !held; --k)
                    if (stream.substr(stream.size() - k) == std::string_view(needle).substr(0, k)) held = k;
            }
            const std::size_t payload = (at == std::string_view::npos ? stream.size() - held : at) - pos;
            if (payload > limit - current.size()) {
                // Overlong: drop it through the terminator; the record is not delivered.
                ++r.overflows;
                current.clear();
                if (at == std::string_view::npos) {
                    pos = stream.size();
                    r.stopped = true;  // still skipping at the end of the stream
                    break;
                }
                pos = at + needle.size();
                continue;
            }
            if (at == std::string_view::npos) {
                current.append(stream.substr(pos));
                pos = stream.size();
            } else {
                current.append(stream.substr(pos, at - pos));
                r.records.push_back(std::move(current));
                current.clear();
                pos = at + needle.size();
                next_record();
            }
        }
    }
    r.tail = current;
    r.final_terminator = t;
    return r;
}

} // namespace test

#endif // ASYNCHAT_TESTS_SUPPORT_FRAMING_HPP
