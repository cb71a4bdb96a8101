// The one command-line parser of the examples: strict, so that a typo never
// starts a server on some other port than the one asked for.
//
//   examples::args a("http_server", "[--port N] [--root DIR] ...");
//   a.number("--port", port, 0, 65535, "port to listen on (0 picks a free one)");
//   a.text("--root", root, "DIR", "serve the files under DIR");
//   a.seconds("--timeout", timeout, "longest a client may make no progress");
//   a.flag("--quiet", quiet, "no log line per request");
//   if (const auto status = a.parse(argc, argv)) return *status;
//
// Each option is `--name VALUE` or `--name=VALUE`. An unknown option, a
// missing value, a value that is not a number, a number out of range or a
// stray argument is a usage error: one line naming the argument and the
// reason on stderr, then the usage, and exit status 2 (as getopt-based tools
// do). `--help` / `-h` print the usage on stdout and exit with status 0.
// No I/O besides those messages; std only.
#ifndef EXAMPLES_COMMON_ARGS_HPP
#define EXAMPLES_COMMON_ARGS_HPP

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace examples {

class args {
public:
    // `program` names the binary in messages; `synopsis` follows "usage: program ".
    args(std::string program, std::string synopsis) : program_(std::move(program)), synopsis_(std::move(synopsis)) {}

    // `--name`: sets `out` to true.
    args& flag(std::string name, bool& out, std::string help) {
        opts_.push_back({std::move(name), "", std::move(help), [&out](std::string_view) -> std::string {
                             out = true;
                             return "";
                         }});
        opts_.back().takes_value = false;
        return *this;
    }

    // `--name TEXT`: any non-empty text.
    args& text(std::string name, std::string& out, std::string metavar, std::string help) {
        opts_.push_back({std::move(name), std::move(metavar), std::move(help), [&out](std::string_view v) -> std::string {
                             if (v.empty()) return "needs a non-empty value";
                             out = std::string(v);
                             return "";
                         }});
        return *this;
    }

    // `--name N`: a decimal integer in [min, max], digits only.
    template <class Int>
    args& number(std::string name, Int& out, std::uint64_t min, std::uint64_t max, std::string help,
                 std::string metavar = "N") {
        opts_.push_back({std::move(name), std::move(metavar), std::move(help),
                         [&out, min, max](std::string_view v) -> std::string {
                             const auto n = parse_unsigned(v);
                             if (!n) return "not a number: '" + std::string(v) + "'";
                             if (*n < min || *n > max)
                                 return std::string(v) + " is out of range (" + std::to_string(min) + ".." +
                                        std::to_string(max) + ")";
                             out = static_cast<Int>(*n);
                             return "";
                         }});
        return *this;
    }

    // `--name SECONDS`: a positive decimal number of seconds ("10", "0.5"),
    // at most a day; stored with millisecond resolution.
    args& seconds(std::string name, std::chrono::milliseconds& out, std::string help) {
        opts_.push_back({std::move(name), "SECONDS", std::move(help), [&out](std::string_view v) -> std::string {
                             const auto ms = parse_millis(v);
                             if (!ms) return "not a number of seconds: '" + std::string(v) + "'";
                             if (*ms == 0 || *ms > 86400000) return std::string(v) + " is out of range (0.001..86400)";
                             out = std::chrono::milliseconds(*ms);
                             return "";
                         }});
        return *this;
    }

    // True if the option was given on the command line (after parse()).
    bool given(std::string_view name) const {
        for (const auto& g : given_)
            if (g == name) return true;
        return false;
    }

    // The usage text: synopsis and one line per option.
    std::string usage() const {
        std::string u = "usage: " + program_ + " " + synopsis_ + "\n\n";
        for (const auto& o : opts_) {
            std::string left = "  " + o.name + (o.takes_value ? " " + o.metavar : "");
            if (left.size() < 22) left.resize(22, ' ');
            else left += "  ";
            u += left + o.help + "\n";
        }
        u += "  --help              print this and exit\n";
        return u;
    }

    // Parses argv. Returns nothing to go on, or main()'s exit status: 0
    // after --help, 2 after a usage error (both already printed).
    std::optional<int> parse(int argc, char** argv) {
        for (int i = 1; i < argc; ++i) {
            std::string_view arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                std::cout << usage();
                return 0;
            }
            std::optional<std::string_view> inline_value;
            if (const auto eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
                inline_value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
            }
            const option* o = find(arg);
            if (o == nullptr) {
                return fail(arg.substr(0, 1) == "-" ? "unknown option " + std::string(arg)
                                                    : "unexpected argument '" + std::string(arg) + "'");
            }
            std::string_view value;
            if (!o->takes_value) {
                if (inline_value) return fail(o->name + " takes no value");
            } else if (inline_value) {
                value = *inline_value;
            } else {
                if (i + 1 == argc) return fail(o->name + " needs a value (" + o->metavar + ")");
                value = argv[++i];
            }
            if (const std::string why = o->apply(value); !why.empty()) return fail(o->name + ": " + why);
            given_.push_back(o->name);
        }
        return std::nullopt;
    }

    // Reports a usage error found after parse() (two options that conflict,
    // an address that does not parse): prints it and the usage; returns 2.
    int fail(const std::string& message) const {
        std::cerr << program_ << ": " << message << "\n" << usage();
        return 2;
    }

    // Digits only, no sign, no spaces, no overflow.
    static std::optional<std::uint64_t> parse_unsigned(std::string_view s) {
        if (s.empty() || s.size() > 20) return std::nullopt;
        std::uint64_t v = 0;
        for (char c : s) {
            if (c < '0' || c > '9') return std::nullopt;
            const auto d = static_cast<std::uint64_t>(c - '0');
            if (v > (UINT64_MAX - d) / 10) return std::nullopt;
            v = v * 10 + d;
        }
        return v;
    }

    // "12", "0.5", "1.250": at most three decimals.
    static std::optional<std::uint64_t> parse_millis(std::string_view s) {
        const auto dot = s.find('.');
        const auto whole = parse_unsigned(s.substr(0, dot));
        if (!whole || *whole > 1000000000) return std::nullopt;
        std::uint64_t frac = 0;
        if (dot != std::string_view::npos) {
            std::string_view f = s.substr(dot + 1);
            if (f.empty() || f.size() > 3) return std::nullopt;
            const auto digits = parse_unsigned(f);
            if (!digits) return std::nullopt;
            frac = *digits;
            for (std::size_t k = f.size(); k < 3; ++k) frac *= 10;
        }
        return *whole * 1000 + frac;
    }

private:
    struct option {
        std::string name;
        std::string metavar;
        std::string help;
        std::function<std::string(std::string_view)> apply;  // "" or why the value is bad
        bool takes_value = true;
    };

    const option* find(std::string_view name) const {
        for (const auto& o : opts_)
            if (o.name == name) return &o;
        return nullptr;
    }

    std::string program_;
    std::string synopsis_;
    std::vector<option> opts_;
    std::vector<std::string> given_;
};

} // namespace examples

#endif // EXAMPLES_COMMON_ARGS_HPP
