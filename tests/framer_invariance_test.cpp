// Chunk invariance: thousands of random streams, each cut into reads at random,
// give the records of the uncut stream and of the reference model.
#include "support/framing.hpp"

#include <asynchat/framer.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

namespace {

asynchat::terminator random_terminator(std::mt19937& rng) {
    static const std::vector<std::string> strings{
        "\n", "\r\n", "qqq", "aab", "abab", "\r\n.\r\n", "\r\n\r\n", std::string(1, '\0'),
        std::string("\0\xff", 2), "aaaaaaaaab", "a", "abababababab", "ba"};
    const int roll = std::uniform_int_distribution<int>(0, 99)(rng);
    if (roll < 60) return strings[rng() % strings.size()];
    if (roll < 92) return static_cast<std::size_t>(rng() % 41);
    if (roll < 97) return asynchat::none;
    return "";
}

std::string random_stream(std::mt19937& rng, const test::schedule& terminators, std::size_t length) {
    static const std::string alphabet("ab\r\n.q\0\xff", 8);
    std::string out;
    while (out.size() < length) {
        const auto& t = terminators[rng() % terminators.size()];
        if (t.is_string() && !t.string().empty() && rng() % 6 == 0) {
            const auto s = t.string();
            out.append(s.substr(0, rng() % 4 == 0 ? 1 + rng() % s.size() : s.size()));
        } else {
            out += alphabet[rng() % alphabet.size()];
        }
    }
    out.resize(length);
    return out;
}

} // namespace

TEST_CASE("random streams cut at random give the records of the uncut stream", "[framer][invariance]") {
    std::mt19937 rng(12345);
    std::size_t comparisons = 0;
    for (int round = 0; round < 3000; ++round) {
        test::schedule terminators;
        for (int k = 1 + static_cast<int>(rng() % 4); k > 0; --k) terminators.push_back(random_terminator(rng));
        const std::string stream = random_stream(rng, terminators, 1 + rng() % 300);
        const auto expected = test::reference_frame(stream, terminators);
        INFO("round " << round << " stream " << test::to_hex(stream));

        CHECK(test::frame(stream, terminators, {}) == expected);
        CHECK(test::frame(stream, terminators, {1}) == expected);
        std::vector<std::size_t> cuts;
        for (std::size_t left = stream.size(); left > 0;) {
            const std::size_t n = 1 + rng() % std::min<std::size_t>(left, 64);
            cuts.push_back(n);
            left -= n;
        }
        CHECK(test::frame(stream, terminators, cuts) == expected);
        comparisons += 3;
    }
    CHECK(comparisons == 9000);
}
