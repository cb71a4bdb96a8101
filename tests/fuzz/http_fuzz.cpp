// Fuzz target for the HTTP example: the request-head parser and the body
// framing (Content-Length and chunked) of examples/http_server, driven
// through the real channel over the in-memory test stream.
//
// The first input byte seeds how the rest is cut into reads. The stream is
// fed whole and cut; both runs must end (no hang: the channel closes once the
// input ends), write the same bytes, and those bytes must read as
// well-formed responses, one per logged answer, with nothing after a
// response that says "Connection: close" (every refusal closes). The pure
// parsers (head, chunk size, Range, dates, paths) also run on the raw input.
#include "../support/http_channel_driver.hpp"

#include "conditional.hpp"
#include "request.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

const std::string* current_input = nullptr;

// Reports the failure and the input (escaped, for a CI log), then aborts.
[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
    std::string shown;
    if (current_input) {
        for (unsigned char c : current_input->substr(0, 2000)) {
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                shown += static_cast<char>(c);
            } else {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", c);
                shown += buf;
            }
        }
    }
    std::fprintf(stderr, "http_fuzz: %s %s\ninput: %s\n", what, detail.c_str(), shown.c_str());
    std::abort();
}

// A small site for the file paths, made once per process.
const http::config& fuzz_config() {
    static const http::config cfg = [] {
        char tmpl[] = "/tmp/asynchat-http-fuzz-XXXXXX";
        const std::string dir = ::mkdtemp(tmpl);
        std::ofstream(dir + "/a.txt") << "hello file\n";
        ::mkdir((dir + "/sub").c_str(), 0755);
        std::ofstream(dir + "/sub/index.html") << "<h1>sub</h1>\n";
        std::ofstream one(dir + "/one.bin", std::ios::binary);
        for (int i = 0; i < 300; ++i) one.put(static_cast<char>(i));
        one.close();
        http::config c;
        c.root = *http::real_path(dir);
        c.max_head = 512;  // small limits: the fuzzer reaches 414, 431 and 413
        c.max_body = 256;
        return c;
    }();
    return cfg;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::uint32_t seed = data[0] * 2654435761u + 1;
    const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
    current_input = &input;

    // The pure parsers on the raw bytes: no crash, no UB, bounded results.
    (void)http::parse_head(input);
    (void)http::parse_chunk_size(input);
    const auto range = http::parse_range(input, 1000);
    for (const auto& r : range.ranges)
        if (r.first > r.last || r.last >= 1000) fail("a range outside the representation");
    (void)http::parse_http_date(input);
    if (!input.empty() && input[0] == '/') {
        if (const auto p = http::normalize_path(input)) {
            if (p->find("/../") != std::string::npos || p->find("//") != std::string::npos || (*p)[0] != '/')
                fail("a normalised path with dot-segments or empty segments", *p);
        }
    }

    // The channel: whole, then cut where the seed says.
    const http::config& cfg = fuzz_config();
    const test::http_run whole = test::drive_http({input}, cfg);
    if (!whole.finished) fail("the channel did not finish");
    if (const std::string why = test::check_responses(whole); !why.empty()) fail("bad responses:", why);
    std::vector<std::string> pieces;
    for (std::size_t at = 0; at < input.size();) {
        seed = seed * 1103515245u + 12345u;
        const std::size_t n = 1 + (seed >> 16) % (seed & 1 ? 3 : 64);
        pieces.push_back(input.substr(at, n));
        at += n;
    }
    const test::http_run cut = test::drive_http(pieces, cfg);
    if (cut.output != whole.output || cut.log != whole.log) fail("the answer depends on how the input was cut");
    return 0;
}
