// Path resolution under the root, both ways the server can do it: openat2(2)
// with RESOLVE_BENEATH, and the realpath(3) fallback for kernels without it.
// The same requests must get the same answers either way: symlinks that stay
// inside are followed, symlinks (files, directories, a directory's
// index.html) that lead out are 403, a FIFO is 403 without blocking, and a
// file replaced or deleted between two requests is never served stale.
#include "support/http_channel_driver.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

struct link_site {
    std::string dir;
    http::config cfg;
    link_site() {
        char tmpl[] = "/tmp/asynchat-files-XXXXXX";
        dir = ::mkdtemp(tmpl);
        std::ofstream(dir + "/a.txt") << "hello file\n";
        ::mkdir((dir + "/links").c_str(), 0755);
        (void)::symlink("/etc/hostname", (dir + "/links/out").c_str());
        (void)::symlink("/", (dir + "/links/out-dir").c_str());
        (void)::symlink("../a.txt", (dir + "/links/in").c_str());
        (void)::symlink("missing", (dir + "/links/dangling").c_str());
        (void)::symlink("loop", (dir + "/links/loop").c_str());
        ::mkdir((dir + "/trap").c_str(), 0755);  // a directory whose index leads out
        (void)::symlink("/etc/hostname", (dir + "/trap/index.html").c_str());
        ::mkdir((dir + "/inner").c_str(), 0755);  // a directory whose index stays inside
        (void)::symlink("../a.txt", (dir + "/inner/index.html").c_str());
        ::mkfifo((dir + "/fifo").c_str(), 0644);
        cfg.root = *http::real_path(dir);
        cfg.timeout = std::chrono::seconds(30);
        cfg.header_timeout = std::chrono::seconds(30);
    }
    ~link_site() { std::system(("rm -rf '" + dir + "'").c_str()); }
};

const link_site& site() {
    static const link_site s;
    return s;
}

int status_of(const std::string& path) {
    const test::http_run r = test::drive_http({"GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"}, site().cfg);
    REQUIRE(r.finished);
    REQUIRE(test::check_responses(r) == "");
    REQUIRE(test::statuses(r).size() == 1);
    return test::statuses(r)[0];
}

struct resolver_guard {
    http::resolver saved = http::path_resolver();
    explicit resolver_guard(http::resolver r) { http::path_resolver() = r; }
    ~resolver_guard() { http::path_resolver() = saved; }
};

} // namespace

TEST_CASE("http files: openat2 and realpath resolve every path alike", "[http][files]") {
    const std::vector<std::pair<std::string, int>> cases = {
        {"/a.txt", 200},         {"/links/in", 200},       {"/links/out", 403},  {"/links/out-dir/", 403},
        {"/links/out-dir/etc/hostname", 403},              {"/links/dangling", 404},
        {"/links/loop", 404},    {"/missing", 404},        {"/a.txt/x", 404},    {"/fifo", 403},
        {"/trap/", 200},         {"/inner/", 200},         {"/", 200},           {"/links", 301},
    };
    for (const auto which : {http::resolver::openat2, http::resolver::realpath}) {
        resolver_guard g(which);
        for (const auto& [path, status] : cases) {
            INFO((which == http::resolver::openat2 ? "openat2 " : "realpath ") << path);
            CHECK(status_of(path) == status);
        }
        // A directory's index.html that is a symlink out of the root is not
        // served: the directory is listed instead, without that entry.
        const test::http_run trap = test::drive_http({"GET /trap/ HTTP/1.1\r\nHost: x\r\n\r\n"}, site().cfg);
        CHECK(trap.output.find("Index of /trap/") != std::string::npos);
        CHECK(trap.output.find("index.html") == std::string::npos);
        const test::http_run inner = test::drive_http({"GET /inner/ HTTP/1.1\r\nHost: x\r\n\r\n"}, site().cfg);
        CHECK(inner.output.find("hello file\n") != std::string::npos);
    }
}

TEST_CASE("http files: a changed or deleted file is never served stale", "[http][files]") {
    // Nothing is cached: every request opens and fstat()s the file, so the
    // bound on staleness is zero (the next request sees the change).
    for (const auto which : {http::resolver::openat2, http::resolver::realpath}) {
        resolver_guard g(which);
        const std::string file = site().dir + "/changing.txt";
        const std::string get = "GET /changing.txt HTTP/1.1\r\nHost: x\r\n\r\n";
        std::ofstream(file) << "first\n";
        CHECK(test::drive_http({get}, site().cfg).output.find("first\n") != std::string::npos);
        std::ofstream(file + ".new") << "second, longer\n";
        ::rename((file + ".new").c_str(), file.c_str());
        const test::http_run second = test::drive_http({get + get}, site().cfg);
        CHECK(second.output.find("first\n") == std::string::npos);
        CHECK(second.output.find("second, longer\n") != std::string::npos);
        ::unlink(file.c_str());
        CHECK(test::statuses(test::drive_http({get}, site().cfg)) == std::vector<int>{404});
    }
}
