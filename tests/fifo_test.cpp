#include <asynchat/fifo.hpp>
#include <asynchat/find_prefix_at_end.hpp>
#include <asynchat/producer.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <string_view>

TEST_CASE("find_prefix_at_end matches CPython's examples", "[find_prefix_at_end]") {
    // test_asynchat.TestHelperFunctions.test_find_prefix_at_end
    CHECK(asynchat::find_prefix_at_end("qwerty\r", "\r\n") == 1);
    CHECK(asynchat::find_prefix_at_end("qwertydkjf", "\r\n") == 0);
}

TEST_CASE("find_prefix_at_end returns the longest proper prefix", "[find_prefix_at_end]") {
    using asynchat::find_prefix_at_end;
    CHECK(find_prefix_at_end("xx\r\n.\r", "\r\n.\r\n") == 4);
    CHECK(find_prefix_at_end("xx\r\n", "\r\n.\r\n") == 2);
    CHECK(find_prefix_at_end("aa", "aab") == 2);
    CHECK(find_prefix_at_end("aaa", "aab") == 2);
    CHECK(find_prefix_at_end("ab", "aab") == 0);
    CHECK(find_prefix_at_end("aba", "abab") == 3);
    CHECK(find_prefix_at_end("\r", "\r\n") == 1);
    CHECK(find_prefix_at_end("", "\r\n") == 0);
    CHECK(find_prefix_at_end("\r\n", "\r\n") == 0);  // only proper prefixes
    CHECK(find_prefix_at_end("abc", "") == 0);       // CPython: -1
    CHECK(find_prefix_at_end("abc", "c") == 0);      // a 1-byte needle has no proper prefix
    CHECK(find_prefix_at_end(std::string_view("x\0", 2), std::string_view("\0y", 2)) == 1);
}

TEST_CASE("find_prefix_at_end agrees with CPython's loop on every short input", "[find_prefix_at_end]") {
    // CPython: l = len(needle) - 1; while l and not haystack.endswith(needle[:l]): l -= 1
    auto python = [](std::string_view h, std::string_view n) -> std::size_t {
        std::size_t l = n.size() - 1;
        while (l && !(h.size() >= l && h.substr(h.size() - l) == n.substr(0, l))) --l;
        return l;
    };
    const std::string alphabet = "ab";
    std::vector<std::string> words{""};
    for (int len = 1; len <= 5; ++len)
        for (std::size_t i = 0, n = words.size(); i < n; ++i)
            for (char c : alphabet)
                if (words[i].size() == static_cast<std::size_t>(len - 1)) words.push_back(words[i] + c);
    for (const auto& h : words)
        for (const auto& n : words)
            if (!n.empty()) {
                INFO("haystack=" << h << " needle=" << n);
                CHECK(asynchat::find_prefix_at_end(h, n) == python(h, n));
            }
}

TEST_CASE("fifo follows Python 2's asynchat.fifo", "[fifo]") {
    asynchat::fifo<> f;
    CHECK(f.is_empty());
    CHECK(f.size() == 0);
    CHECK_THROWS_AS(f.first(), std::out_of_range);
    CHECK_FALSE(f.pop().has_value());  // Python: (0, None)

    f.push("a");
    f.push("b");
    CHECK_FALSE(f.is_empty());
    CHECK(f.size() == 2);
    CHECK(f.first() == "a");
    auto x = f.pop();  // Python: (1, "a")
    REQUIRE(x.has_value());
    CHECK(*x == "a");
    CHECK(f.first() == "b");
    f.push_front("z");
    CHECK(f.first() == "z");
    f.clear();
    CHECK(f.is_empty());
}

TEST_CASE("fifo::pop unpacks like Python's (flag, item)", "[fifo]") {
    asynchat::fifo<> f{"x"};
    auto [ok, item] = f.pop();
    CHECK(ok);
    CHECK(item == "x");
    auto [ok2, item2] = f.pop();
    CHECK_FALSE(ok2);
    CHECK(item2.empty());
    asynchat::fifo g;  // class template argument deduction: fifo<std::string>
    g.push("y");
    CHECK(*g.pop() == "y");
}

TEST_CASE("fifo holds any type, and references stay valid across pushes", "[fifo]") {
    asynchat::fifo<std::unique_ptr<int>> f;
    f.push(std::make_unique<int>(1));
    int* first = f.first().get();
    std::unique_ptr<int>& slot = f.first();
    for (int i = 0; i < 1000; ++i) f.push(std::make_unique<int>(i));
    CHECK(slot.get() == first);
    f.truncate(3);
    CHECK(f.size() == 3);
    CHECK(*f.pop().value() == 1);
}

TEST_CASE("simple_producer hands out buffer_size pieces, then empty", "[producer]") {
    asynchat::simple_producer p{"hello world", 4};
    CHECK(p.more() == "hell");
    CHECK(p.more() == "o wo");
    CHECK(p.more() == "rld");
    CHECK(p.more().empty());
    CHECK(p.more().empty());
}

TEST_CASE("simple_producer defaults to 512-byte pieces", "[producer]") {
    asynchat::simple_producer p{std::string(1300, 'x')};
    CHECK(p.more().size() == 512);
    CHECK(p.more().size() == 512);
    CHECK(p.more().size() == 276);
    CHECK(p.more().empty());
}

TEST_CASE("simple_producer of a short string returns it whole", "[producer]") {
    asynchat::simple_producer p{"abc"};
    CHECK(p.more() == "abc");
    CHECK(p.more().empty());
    asynchat::simple_producer empty{""};
    CHECK(empty.more().empty());
}

TEST_CASE("simple_producer refuses a zero buffer_size", "[producer]") {
    CHECK_THROWS_AS(asynchat::simple_producer("abc", 0), std::invalid_argument);
}

namespace {
struct view_producer {
    std::string_view more() { return std::exchange(left, {}); }
    std::string_view left;
};
struct not_a_producer {
    int more() { return 1; }
};
} // namespace

static_assert(asynchat::is_producer_v<asynchat::simple_producer>);
static_assert(asynchat::is_producer_v<view_producer>);
static_assert(asynchat::is_producer_v<std::shared_ptr<asynchat::simple_producer>>);
static_assert(asynchat::is_producer_v<std::unique_ptr<view_producer>>);
static_assert(!asynchat::is_producer_v<not_a_producer>);
static_assert(!asynchat::is_producer_v<int>);
static_assert(!asynchat::is_producer_v<std::string>);
