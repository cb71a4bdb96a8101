// The examples' one argument parser (examples/common/args.hpp), alone and
// through every example binary: a bad argument is a usage error that names
// it, with exit status 2; nothing starts listening.
#include "../examples/common/args.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#ifndef ASYNCHAT_EXAMPLES_DIR
#error "ASYNCHAT_EXAMPLES_DIR must name the directory of the example binaries"
#endif

namespace {

struct parsed_args {
    std::optional<int> status;
    unsigned short port = 1;
    std::string root;
    std::chrono::milliseconds timeout{5};
    bool quiet = false;
};

parsed_args parse(std::vector<std::string> words) {
    parsed_args p;
    examples::args a("prog", "[options]");
    a.number("--port", p.port, 0, 65535, "port");
    a.text("--root", p.root, "DIR", "root");
    a.seconds("--timeout", p.timeout, "timeout");
    a.flag("--quiet", p.quiet, "quiet");
    words.insert(words.begin(), "prog");
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    p.status = a.parse(static_cast<int>(argv.size()), argv.data());
    return p;
}

// Runs `command` with stdout and stderr to a file; returns the exit status and
// what it printed. coreutils' timeout is only a watchdog: a program that
// starts listening instead of refusing fails (status 124) instead of hanging.
std::pair<int, std::string> run(const std::string& command) {
    char path[] = "/tmp/asynchat-args-XXXXXX";
    const int fd = ::mkstemp(path);
    ::close(fd);
    const int rc = std::system(("timeout 20 " + command + " >" + path + " 2>&1 </dev/null").c_str());
    std::ifstream in(path);
    std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ::unlink(path);
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

} // namespace

TEST_CASE("args: good values are taken, in both spellings", "[http][args][row11]") {
    auto p = parse({"--port", "8081", "--root=/srv", "--timeout", "0.25", "--quiet"});
    CHECK_FALSE(p.status);
    CHECK(p.port == 8081);
    CHECK(p.root == "/srv");
    CHECK(p.timeout == std::chrono::milliseconds(250));
    CHECK(p.quiet);
    CHECK(parse({"--port", "0"}).port == 0);
    CHECK(parse({"--port", "65535"}).port == 65535);
    CHECK(parse({"--timeout", "86400"}).timeout == std::chrono::hours(24));
    CHECK(parse({"--help"}).status == 0);
}

TEST_CASE("args: every bad argument is a usage error (status 2)", "[http][args][row11]") {
    for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
             {"--port", "abc"}, {"--port", "70000"}, {"--port", "-1"}, {"--port", ""}, {"--port", " 80"},
             {"--port", "80x"}, {"--port", "99999999999999999999999"}, {"--port"}, {"--bogus"},
             {"--bogus", "1"}, {"stray"}, {"-p", "80"}, {"--quiet=yes"}, {"--root"}, {"--root", ""},
             {"--timeout", "0"}, {"--timeout", "-1"}, {"--timeout", "1e3"}, {"--timeout", "0.0001"},
             {"--timeout", "86401"}, {"--timeout", "."}, {"--timeout", "1."}, {"--port=abc"}}) {
        std::string joined;
        for (const auto& w : bad) joined += "[" + w + "]";
        INFO(joined);
        CHECK(parse(bad).status == 2);
    }
}

TEST_CASE("args: every example refuses bad arguments, naming them, with status 2", "[http][args][row11]") {
    std::vector<std::string> programs{"http_server", "echo_server", "chat_server"};
    for (const char* optional : {"smtp_server", "kv_coro"})  // built with OpenSSL / coroutines only
        if (::access((std::string(ASYNCHAT_EXAMPLES_DIR "/") + optional).c_str(), X_OK) == 0) programs.push_back(optional);
    const std::pair<const char*, const char*> cases[] = {
        {"--port abc", "--port"}, {"--port 70000", "--port"}, {"--port -1", "--port"},
        {"--bogus", "--bogus"},   {"--port", "--port"},       {"--bind", "--bind"},
        {"--bind not-an-address", "--bind"},                  {"extra", "extra"},
    };
    for (const auto& program : programs) {
        for (const auto& [arguments, named] : cases) {
            INFO(program << " " << arguments);
            const auto [status, output] = run(std::string(ASYNCHAT_EXAMPLES_DIR "/") + program + " " + arguments);
            CHECK(status == 2);
            CHECK(output.find(named) != std::string::npos);
            CHECK(output.find("usage: " + program) != std::string::npos);
            CHECK(output.find("listening") == std::string::npos);
        }
        const auto [status, output] = run(std::string(ASYNCHAT_EXAMPLES_DIR "/") + program + " --help");
        CHECK(status == 0);
        CHECK(output.find("--port") != std::string::npos);
    }
    for (const char* arguments : {"--timeout 0", "--timeout abc", "--header-timeout -2", "--max-body 1k",
                                  "--threads 0", "--threads 1000", "--root /nonexistent/dir", "--quiet=1"}) {
        INFO(arguments);
        const auto [status, output] = run(std::string(ASYNCHAT_EXAMPLES_DIR "/http_server ") + arguments);
        CHECK(status == 2);
        CHECK(output.find(std::string(arguments).substr(0, std::string(arguments).find_first_of(" ="))) != std::string::npos);
    }
}
