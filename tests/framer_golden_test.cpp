// The framing core against CPython 3.11's own asynchat: golden traces made by
// tests/golden/make_framing_golden.py (see there to regenerate them).
#include "support/framing.hpp"

#include <asynchat/framer.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef ASYNCHAT_GOLDEN_DIR
#error "ASYNCHAT_GOLDEN_DIR must name tests/golden"
#endif

namespace {

struct golden_case {
    std::string id;
    test::schedule terminators;
    std::vector<std::string> reads;
    std::string trace;
    asynchat::terminator final_terminator;
    std::string leftover;
};

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::string rest_of(const std::string& line, const char* key) {
    REQUIRE(line.rfind(key, 0) == 0);
    return line.size() > std::strlen(key) ? line.substr(std::strlen(key) + 1) : std::string();
}

std::vector<golden_case> load() {
    std::ifstream in(ASYNCHAT_GOLDEN_DIR "/framing.golden");
    REQUIRE(in);
    std::vector<golden_case> cases;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        golden_case c;
        c.id = rest_of(line, "case");
        std::getline(in, line);
        for (const auto& w : words(rest_of(line, "schedule"))) c.terminators.push_back(test::parse_terminator(w));
        std::getline(in, line);
        for (const auto& w : words(rest_of(line, "reads"))) c.reads.push_back(test::from_hex(w));
        std::getline(in, line);
        c.trace = rest_of(line, "trace");
        std::getline(in, line);
        const auto fin = words(rest_of(line, "final"));
        REQUIRE(fin.size() == 2);
        c.final_terminator = test::parse_terminator(fin[0]);
        c.leftover = fin[1] == "-" ? std::string() : test::from_hex(fin[1]);
        cases.push_back(std::move(c));
    }
    return cases;
}

} // namespace

TEST_CASE("framer trace equals CPython's, callback for callback, on the same reads", "[framer][golden]") {
    const auto cases = load();
    REQUIRE(cases.size() > 1000);
    for (const auto& c : cases) {
        INFO("golden case " << c.id);
        asynchat::framer f(c.terminators.at(0));
        test::schedule_sink sink{f, c.terminators};
        for (const auto& read : c.reads) {
            f.feed(read, sink);
            sink.end_of_read();
        }
        CHECK(sink.trace == c.trace);
        CHECK(f.get_terminator() == c.final_terminator);
        CHECK(f.buffered() == c.leftover);
    }
}

TEST_CASE("CPython's records do not depend on how the stream is cut", "[framer][golden]") {
    std::size_t checked = 0;
    for (const auto& c : load()) {
        INFO("golden case " << c.id);
        std::string stream;
        for (const auto& r : c.reads) stream += r;
        std::vector<std::size_t> sizes;
        for (const auto& r : c.reads) sizes.push_back(r.size());
        const auto as_cpython_cut = test::frame(stream, c.terminators, sizes);
        CHECK(test::frame(stream, c.terminators, {}) == as_cpython_cut);
        CHECK(test::frame(stream, c.terminators, {1}) == as_cpython_cut);
        CHECK(test::frame(stream, c.terminators, {3, 1, 4, 1, 5}) == as_cpython_cut);
        CHECK(test::reference_frame(stream, c.terminators) == as_cpython_cut);
        checked += 4;
    }
    CHECK(checked > 4000);
}
