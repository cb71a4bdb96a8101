#include <asynchat/terminator.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

using asynchat::terminator;

TEST_CASE("string terminators are built from literals, strings and views", "[terminator]") {
    const std::string owned = "\r\n";
    const terminator from_literal = "\r\n";
    const terminator from_string = owned;
    const terminator from_view = std::string_view("\r\n");
    const terminator from_rvalue = std::string("\r\n");
    for (const terminator& t : {from_literal, from_string, from_view, from_rvalue}) {
        CHECK(t.is_string());
        CHECK_FALSE(t.is_count());
        CHECK_FALSE(t.is_none());
        CHECK(t.string() == "\r\n");
        CHECK(t == terminator("\r\n"));
    }
}

TEST_CASE("a string terminator may hold NUL bytes", "[terminator]") {
    const terminator t = std::string_view("a\0b", 3);
    CHECK(t.string().size() == 3);
    CHECK(t != terminator("a"));
}

TEST_CASE("a char is a one-byte string terminator", "[terminator]") {
    const terminator t = '\n';
    REQUIRE(t.is_string());
    CHECK(t.string() == "\n");
}

TEST_CASE("integers of every type are byte counts", "[terminator]") {
    CHECK(terminator(42).count() == 42);
    CHECK(terminator(42u).count() == 42);
    CHECK(terminator(std::int64_t{42}).count() == 42);
    CHECK(terminator(std::uint8_t{42}).count() == 42);
    CHECK(terminator(std::size_t{42}).is_count());
    CHECK(terminator(short{7}) == terminator(7ull));
}

TEST_CASE("set_terminator(0) is the count 0, never a null pointer", "[terminator]") {
    const terminator t = 0;
    REQUIRE(t.is_count());
    CHECK(t.count() == 0);
}

TEST_CASE("none is the default terminator", "[terminator]") {
    CHECK(terminator().is_none());
    CHECK(terminator(asynchat::none).is_none());
    CHECK(terminator() == asynchat::none);
}

TEST_CASE("terminator::kind keeps its public enumerators none, string and count", "[terminator]") {
    // Users' code names these; renaming one breaks it (public API unchanged).
    CHECK(terminator().type() == terminator::kind::none);
    CHECK(terminator(asynchat::none).type() == terminator::kind::none);
    CHECK(terminator("\r\n").type() == terminator::kind::string);
    CHECK(terminator(3).type() == terminator::kind::count);
    static_assert(static_cast<int>(terminator::kind::none) == 0, "none stays the first kind");
}

TEST_CASE("a negative count throws invalid_argument naming the value", "[terminator]") {
    CHECK_THROWS_AS(terminator(-1), std::invalid_argument);
    CHECK_THROWS_WITH(terminator(-3), Catch::Contains("negative byte count -3"));
    CHECK_THROWS_AS(terminator(std::int64_t{-1}), std::invalid_argument);
}

TEST_CASE("a null C string throws invalid_argument", "[terminator]") {
    const char* null = nullptr;
    CHECK_THROWS_AS(terminator(null), std::invalid_argument);
}

TEST_CASE("observers of the wrong kind throw logic_error", "[terminator]") {
    CHECK_THROWS_AS(terminator(5).string(), std::logic_error);
    CHECK_THROWS_WITH(terminator("ab").count(), Catch::Contains("\"ab\""));
    CHECK_THROWS_AS(terminator().count(), std::logic_error);
}

TEST_CASE("empty string, count 0 and none are falsy, as in Python", "[terminator]") {
    CHECK_FALSE(terminator());
    CHECK_FALSE(terminator(""));
    CHECK_FALSE(terminator(0));
    CHECK(terminator("x"));
    CHECK(terminator(1));
}

TEST_CASE("equality compares kind and value", "[terminator]") {
    CHECK(terminator("5") != terminator(5));
    CHECK(terminator(0) != terminator(""));
    CHECK(terminator(0) != terminator());
    CHECK(terminator("") != terminator());
    CHECK(terminator(3) == 3);
    CHECK(terminator("ab") == "ab");
}

TEST_CASE("terminators print readably", "[terminator]") {
    std::ostringstream os;
    os << terminator("\r\n") << ' ' << terminator(7) << ' ' << terminator() << ' '
       << terminator(std::string_view("\x00\xff", 2));
    CHECK(os.str() == "\"\\r\\n\" 7 none \"\\x00\\xff\"");
}

// Nonsense does not compile (checked here; error messages in tests/compile_fail).
static_assert(!std::is_convertible_v<bool, terminator>);
static_assert(!std::is_convertible_v<double, terminator>);
static_assert(!std::is_convertible_v<std::nullptr_t, terminator>);
static_assert(!std::is_convertible_v<char16_t, terminator>);
static_assert(std::is_convertible_v<int, terminator>);
static_assert(std::is_convertible_v<const char*, terminator>);
static_assert(std::is_nothrow_move_constructible_v<terminator>);
