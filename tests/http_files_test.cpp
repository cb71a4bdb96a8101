// Path resolution under the root, both ways the server can do it: openat2(2)
// with RESOLVE_BENEATH, and the realpath(3) fallback for kernels without it.
// The same requests must get the same answers either way: symlinks that stay
// inside are followed, symlinks (files, directories, a directory's
// index.html) that lead out are 403, a FIFO is 403 without blocking, and a
// file replaced or deleted between two requests is never served stale.
#include "support/http_channel_driver.hpp"

#include <catch2/catch.hpp>

#include <climits>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <cerrno>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
        (void)::symlink("/nonexistent-asynchat-target", (dir + "/links/out-missing").c_str());
        ::mkdir((dir + "/trap").c_str(), 0755);  // a directory whose index leads out
        (void)::symlink("/etc/hostname", (dir + "/trap/index.html").c_str());
        ::mkdir((dir + "/inner").c_str(), 0755);  // a directory whose index stays inside
        (void)::symlink("../a.txt", (dir + "/inner/index.html").c_str());
        // Links that leave the root and come back: RESOLVE_BENEATH refuses
        // them (an absolute target, a ".." above the root), so every
        // resolver must. Their siblings that stay inside are followed.
        const std::string base = dir.substr(dir.find_last_of('/') + 1);
        (void)::symlink((dir + "/a.txt").c_str(), (dir + "/links/abs-in").c_str());
        (void)::symlink((dir + "/sub").c_str(), (dir + "/links/abs-dir").c_str());
        (void)::symlink(("../../" + base + "/a.txt").c_str(), (dir + "/links/back-in").c_str());
        (void)::symlink(("../" + base + "/a.txt").c_str(), (dir + "/back-top").c_str());
        (void)::symlink(("../../" + base + "/sub").c_str(), (dir + "/links/back-dir").c_str());
        (void)::symlink("back-in", (dir + "/links/chain-out").c_str());
        (void)::symlink((dir + "/no-such-file").c_str(), (dir + "/links/abs-in-missing").c_str());
        ::mkfifo((dir + "/fifo").c_str(), 0644);
        ::mkdir((dir + "/sub").c_str(), 0755);
        ::mkdir((dir + "/sub/deeper").c_str(), 0755);
        std::ofstream(dir + "/sub/deeper/b.txt") << "b\n";
        (void)::symlink("../../links/in", (dir + "/sub/deeper/up-in").c_str());
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
        // Siblings: a trailing slash after a file or a symlink to one, a
        // symlink followed by more path, a symlink named directly, names
        // over NAME_MAX, nested directories.
        {"/a.txt/", 404},        {"/links/in/", 404},      {"/inner/index.html", 200},
        {"/links/out-dir/etc/", 403},                      {"/links/out/", 403},
        {"/" + std::string(300, 'n'), 404},                {"/sub/deeper/b.txt", 200},
        {"/sub/deeper/", 200},   {"/sub/deeper/missing/x", 404},
        // A symlink out of the root is 403 whatever fails after it.
        {"/links/out-missing", 403},                       {"/links/out-dir/no-such-name", 403},
        {"/links/out-missing/x", 403},
        // Out and back in: an absolute link to a file or directory inside,
        // a "../<root>/..." link, from the top and from below, through a
        // chain, dangling; and what stays inside, through a chain too.
        {"/links/abs-in", 403},                            {"/links/abs-dir/deeper/b.txt", 403},
        {"/links/abs-dir/", 403},                          {"/links/back-in", 403},
        {"/back-top", 403},                                {"/links/back-dir/deeper/b.txt", 403},
        {"/links/chain-out", 403},                         {"/links/abs-in-missing", 403},
        {"/sub/deeper/up-in", 200},                        {"/sub/./deeper/b.txt", 200},
    };
    for (const auto which : {http::resolver::openat2, http::resolver::walk, http::resolver::realpath}) {
        resolver_guard g(which);
        for (const auto& [path, status] : cases) {
            INFO((which == http::resolver::openat2 ? "openat2 " : which == http::resolver::walk ? "walk " : "realpath ") << path);
            CHECK(status_of(path) == status);
        }
        // A directory's index.html that is a symlink out of the root is not
        // served: the directory is listed instead, without that entry.
        const test::http_run trap = test::drive_http({"GET /trap/ HTTP/1.1\r\nHost: x\r\n\r\n"}, site().cfg);
        CHECK(trap.output.find("Index of /trap/") != std::string::npos);
        CHECK(trap.output.find("index.html") == std::string::npos);
        // A listing shows only what would be served: no link out and back.
        const test::http_run links = test::drive_http({"GET /links/ HTTP/1.1\r\nHost: x\r\n\r\n"}, site().cfg);
        CHECK(links.output.find("Index of /links/") != std::string::npos);
        CHECK(links.output.find("\"in\"") != std::string::npos);
        for (const char* out : {"abs-in", "abs-dir", "back-in", "back-dir", "chain-out"}) {
            INFO(out);
            CHECK(links.output.find(out) == std::string::npos);
        }
        const test::http_run inner = test::drive_http({"GET /inner/ HTTP/1.1\r\nHost: x\r\n\r\n"}, site().cfg);
        CHECK(inner.output.find("hello file\n") != std::string::npos);
    }
}

TEST_CASE("http files: a changed or deleted file is never served stale", "[http][files]") {
    // A file served once stays open (open_file_cache), but every request
    // checks its path again and reads its bytes afresh: the bound on
    // staleness is zero (the next request sees the change).
    for (const auto which : {http::resolver::openat2, http::resolver::walk, http::resolver::realpath}) {
        resolver_guard g(which);
        const std::string file = site().dir + "/changing.txt";
        const std::string get = "GET /changing.txt HTTP/1.1\r\nHost: x\r\n\r\n";
        std::ofstream(file) << "first\n";
        CHECK(test::drive_http({get}, site().cfg).output.find("first\n") != std::string::npos);
        std::ofstream(file) << "FIRST\n";  // the same inode, the same size
        CHECK(test::drive_http({get}, site().cfg).output.find("FIRST\n") != std::string::npos);
        std::ofstream(file + ".new") << "second, longer\n";
        ::rename((file + ".new").c_str(), file.c_str());
        const test::http_run second = test::drive_http({get + get}, site().cfg);
        CHECK(second.output.find("first\n") == std::string::npos);
        CHECK(second.output.find("second, longer\n") != std::string::npos);
        ::unlink(file.c_str());
        CHECK(test::statuses(test::drive_http({get}, site().cfg)) == std::vector<int>{404});
    }
}

namespace {
// Serves `request` for a 200 KiB file (more than one 64 KiB piece), holding
// the first write: the file is cut to `keep` bytes while it is held, so the
// rest of the body cannot be read. Returns the log lines.
std::vector<std::string> serve_shrinking(const std::string& request, std::size_t keep) {
    const std::string name = "shrinking.bin", file = site().dir + "/" + name;
    std::ofstream(file) << std::string(200 * 1024, 'x');
    auto cfg = std::make_shared<http::config>(site().cfg);
    auto log = std::make_shared<std::vector<std::string>>();
    cfg->log = [log](const std::string& line) { log->push_back(line); };
    asio::io_context ctx;
    auto state = std::make_shared<test::fake_state>(ctx.get_executor());
    state->hold_writes = true;
    {
        auto channel = std::make_shared<http::basic_channel<test::fake_stream>>(test::fake_stream(state), cfg);
        channel->start();
        state->feed(request);
    }
    for (int i = 0; i < 1000 && !state->held_write; ++i) ctx.poll_one();  // bounded: a watchdog
    REQUIRE(state->held_write);
    REQUIRE(::truncate(file.c_str(), static_cast<off_t>(keep)) == 0);
    state->hold_writes = false;
    state->release_write();
    ctx.run_for(std::chrono::seconds(20));  // a watchdog only: ends when the channel closes
    CHECK(ctx.stopped());
    CHECK_FALSE(state->open);
    ::unlink(file.c_str());
    return *log;
}
} // namespace

TEST_CASE("http files: a file that shrinks while it is sent closes quietly with one log line",
          "[http][files][range]") {
    // Whatever the shape of the body (the whole file, one range sent by
    // push_file, several ranges in multipart/byteranges read by a producer),
    // a body that can no longer be sent whole ends the connection the same
    // way: the answer's own log line, then one line that names the cause.
    const std::string host = "Host: x\r\n";
    const std::vector<std::string> requests = {
        "GET /shrinking.bin HTTP/1.1\r\n" + host + "\r\n",
        "GET /shrinking.bin HTTP/1.1\r\n" + host + "Range: bytes=10-150000\r\n\r\n",
        "GET /shrinking.bin HTTP/1.1\r\n" + host + "Range: bytes=0-99,150000-150099\r\n\r\n",
        "GET /shrinking.bin HTTP/1.1\r\n" + host + "Range: bytes=0-70000,150000-150099\r\n\r\n",
    };
    for (const auto which : {http::resolver::openat2, http::resolver::walk, http::resolver::realpath}) {
        resolver_guard g(which);
        for (const auto& request : requests) {
            for (const std::size_t keep : {std::size_t{0}, std::size_t{100}, std::size_t{70000}}) {
                INFO(request << "cut to " << keep);
                const std::vector<std::string> log = serve_shrinking(request, keep);
                REQUIRE(log.size() == 2);
                CHECK(log[0].find(" GET /shrinking.bin 20") != std::string::npos);
                CHECK(log[1] == "- - - aborted: file shorter than the range being sent");
            }
        }
    }
}

TEST_CASE("http files: the realpath fallback opens what it checked, never a symlink swapped in since",
          "[http][files]") {
    // realpath(3) says where a path leads, then the file is opened. Between
    // the two, someone who can write under the root may replace a directory
    // on the way with a symlink out of the root. The open must not follow it.
    char tmpl[] = "/tmp/asynchat-swap-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    ::mkdir((dir + "/root").c_str(), 0755);
    ::mkdir((dir + "/root/pub").c_str(), 0755);
    std::ofstream(dir + "/root/pub/f.txt") << "inside\n";
    ::mkdir((dir + "/outside").c_str(), 0755);
    std::ofstream(dir + "/outside/f.txt") << "outside\n";
    const std::string root = *http::real_path(dir + "/root");
    const auto real = http::real_path(root + "/pub/f.txt");
    REQUIRE(real);
    {
        const int fd = http::detail::open_resolved(root, *real);  // nothing swapped: opened
        CHECK(fd >= 0);
        if (fd >= 0) ::close(fd);
    }
    // The swap, after realpath looked.
    REQUIRE(::rename((root + "/pub").c_str(), (dir + "/pub-old").c_str()) == 0);
    REQUIRE(::symlink((dir + "/outside").c_str(), (root + "/pub").c_str()) == 0);
    const int followed = ::open(real->c_str(), O_RDONLY | O_CLOEXEC);
    CHECK(followed >= 0);  // what open(2) of the checked path would do: leave the root
    if (followed >= 0) ::close(followed);
    errno = 0;
    const int fd = http::detail::open_resolved(root, *real);
    CHECK(fd < 0);
    CHECK((errno == ELOOP || errno == ENOTDIR));
    if (fd >= 0) ::close(fd);
    // The root itself, and a file directly in it, open too.
    std::ofstream(root + "/top.txt") << "top\n";
    for (const std::string& p : {root, root + "/top.txt"}) {
        const int ok = http::detail::open_resolved(root, p);
        CHECK(ok >= 0);
        if (ok >= 0) ::close(ok);
    }
    std::system(("rm -rf '" + dir + "'").c_str());
}

namespace {
// What a resolution says, to compare two of them: the status, and for a
// file its inode and its bytes now.
std::string answer(const http::resolved& r) {
    if (r.status) return "status " + std::to_string(r.status);
    std::string out = "ino " + std::to_string(r.info.st_ino) + " size " + std::to_string(r.info.st_size) + ": ";
    if (S_ISDIR(r.info.st_mode)) return out + "directory";
    char buf[256];
    const ssize_t n = ::pread(r.get(), buf, sizeof buf, 0);
    return out + (n < 0 ? std::string("unreadable") : std::string(buf, static_cast<std::size_t>(n)));
}
} // namespace

TEST_CASE("http files: the open file cache answers what resolve() answers now, after any change",
          "[http][files][cache]") {
    // A file served once is kept open (open_file_cache). Whatever happens
    // to the file or to a directory on its path afterwards, the next
    // request must get what resolve(), which opens afresh, says now: the
    // same status, the same file, the same bytes.
    char tmpl[] = "/tmp/asynchat-cache-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    // A new root for every change: the server opens its root once per
    // thread (detail::root_fd), and a root replaced under a running server
    // is not what this test is about.
    std::string root_path, out = dir + "/outside";
    int round = 0;
    struct change {
        const char* what;
        std::string path;                   // requested before and after
        std::function<void()> apply;        // between the two
        // Whether the kept descriptor may still be used: a change to the
        // inode, type, mode or owner of a component drops it. (An edit in
        // place moves only the times and the size: the bytes are read at
        // each request, so keeping it is right.)
        enum { dropped, either, kept } after = dropped;
    };
    auto write = [](const std::string& file, const std::string& text) { std::ofstream(file) << text; };
    std::string root;
    auto fresh = [&] {  // the same tree before every change
        std::system(("chmod -R u+rwx '" + dir + "'; rm -rf '" + dir + "'/*").c_str());
        root_path = dir + "/root" + std::to_string(++round);
        ::mkdir(root_path.c_str(), 0755);
        ::mkdir((root_path + "/pub").c_str(), 0755);
        ::mkdir((root_path + "/pub/deep").c_str(), 0755);
        ::mkdir((root_path + "/other").c_str(), 0755);
        ::mkdir(out.c_str(), 0755);
        write(root_path + "/top.txt", "top\n");
        write(root_path + "/pub/f.txt", "inside\n");
        write(root_path + "/pub/deep/g.txt", "deep\n");
        write(root_path + "/other/f.txt", "other\n");
        root = *http::real_path(root_path);
    };
    const std::vector<change> changes = {
        {"edited in place, same size", "/pub/f.txt", [&] { write(root + "/pub/f.txt", "INSIDE\n"); }, change::either},
        {"appended to", "/top.txt", [&] { std::ofstream(root + "/top.txt", std::ios::app) << "more\n"; }, change::either},
        {"truncated", "/top.txt", [&] { REQUIRE(::truncate((root + "/top.txt").c_str(), 0) == 0); }, change::either},
        {"replaced by rename", "/pub/f.txt",
         [&] {
             write(root + "/pub/f.new", "replaced\n");
             REQUIRE(::rename((root + "/pub/f.new").c_str(), (root + "/pub/f.txt").c_str()) == 0);
         }},
        {"deleted", "/pub/f.txt", [&] { REQUIRE(::unlink((root + "/pub/f.txt").c_str()) == 0); }},
        {"replaced by a directory", "/top.txt",
         [&] {
             REQUIRE(::unlink((root + "/top.txt").c_str()) == 0);
             REQUIRE(::mkdir((root + "/top.txt").c_str(), 0755) == 0);
         }},
        {"made unreadable", "/pub/f.txt", [&] { REQUIRE(::chmod((root + "/pub/f.txt").c_str(), 0) == 0); }},
        {"directory made unsearchable", "/pub/deep/g.txt",
         [&] { REQUIRE(::chmod((root + "/pub/deep").c_str(), 0) == 0); }},
        // Only root may give a file away (EPERM for any other user);
        // unprivileged, chown(2) to the same owner and group, which still
        // moves the status-change time, as any chown does.
        {"given to another owner", "/pub/f.txt",
         [&] {
             const bool root_user = ::geteuid() == 0;
             REQUIRE(::chown((root + "/pub/f.txt").c_str(), root_user ? 65534 : uid_t(-1),
                             root_user ? 65534 : gid_t(-1)) == 0);
         }},
        // The same inode, reached by a path that now leaves the root: moved
        // out, and a symlink to where it went put in its place.
        {"file moved out, symlink to it left", "/pub/f.txt",
         [&] {
             REQUIRE(::rename((root + "/pub/f.txt").c_str(), (out + "/f.txt").c_str()) == 0);
             REQUIRE(::symlink((out + "/f.txt").c_str(), (root + "/pub/f.txt").c_str()) == 0);
         }},
        {"directory on the way moved out, symlink to it left", "/pub/deep/g.txt",
         [&] {
             REQUIRE(::rename((root + "/pub").c_str(), (out + "/pub").c_str()) == 0);
             REQUIRE(::symlink((out + "/pub").c_str(), (root + "/pub").c_str()) == 0);
         }},
        {"deepest directory moved out, relative symlink to it left", "/pub/deep/g.txt",
         [&] {
             REQUIRE(::rename((root + "/pub/deep").c_str(), (out + "/deep").c_str()) == 0);
             REQUIRE(::symlink("../../outside/deep", (root + "/pub/deep").c_str()) == 0);
         }},
        // Symlinks that stay inside: followed, as resolve() follows them.
        {"file swapped for a symlink inside", "/pub/f.txt",
         [&] {
             REQUIRE(::unlink((root + "/pub/f.txt").c_str()) == 0);
             REQUIRE(::symlink("../top.txt", (root + "/pub/f.txt").c_str()) == 0);
         }},
        {"directory swapped for a symlink inside", "/pub/f.txt",
         [&] {
             REQUIRE(::rename((root + "/pub").c_str(), (root + "/pub-old").c_str()) == 0);
             REQUIRE(::symlink("other", (root + "/pub").c_str()) == 0);
         }},
        {"hard link replaced by another file's", "/top.txt",
         [&] {
             REQUIRE(::unlink((root + "/top.txt").c_str()) == 0);
             REQUIRE(::link((root + "/other/f.txt").c_str(), (root + "/top.txt").c_str()) == 0);
         }},
        {"directories swapped in one rename (RENAME_EXCHANGE)", "/pub/f.txt",
         [&] {
             REQUIRE(::syscall(SYS_renameat2, AT_FDCWD, (root + "/pub").c_str(), AT_FDCWD,
                               (root + "/other").c_str(), 2 /* RENAME_EXCHANGE */) == 0);
         }},
        {"directory on the way replaced by another one by rename", "/pub/f.txt",
         [&] {
             REQUIRE(::rename((root + "/pub").c_str(), (root + "/pub-old").c_str()) == 0);
             REQUIRE(::rename((root + "/other").c_str(), (root + "/pub").c_str()) == 0);
         }},
        {"directory moved out and back", "/pub/deep/g.txt",
         [&] {
             REQUIRE(::rename((root + "/pub/deep").c_str(), (out + "/deep").c_str()) == 0);
             REQUIRE(::rename((out + "/deep").c_str(), (root + "/pub/deep").c_str()) == 0);
         }},
        {"file replaced by a FIFO", "/top.txt",
         [&] {
             REQUIRE(::unlink((root + "/top.txt").c_str()) == 0);
             REQUIRE(::mkfifo((root + "/top.txt").c_str(), 0644) == 0);
         }},
        {"file swapped for a symlink to a device out of the root", "/top.txt",
         [&] {
             REQUIRE(::unlink((root + "/top.txt").c_str()) == 0);
             REQUIRE(::symlink("/dev/null", (root + "/top.txt").c_str()) == 0);
         }},
        {"chmod to the same mode", "/pub/f.txt", [&] { REQUIRE(::chmod((root + "/pub/f.txt").c_str(), 0644) == 0); },
         change::either},
        {"times set back", "/pub/f.txt",
         [&] {
             const struct timespec t[2] = {{0, 0}, {0, 0}};
             REQUIRE(::utimensat(AT_FDCWD, (root + "/pub/f.txt").c_str(), t, 0) == 0);
         },
         change::either},
        {"the file moved out and a hard link to it left", "/pub/f.txt",
         [&] {
             REQUIRE(::link((root + "/pub/f.txt").c_str(), (out + "/f.txt").c_str()) == 0);
             REQUIRE(::unlink((root + "/pub/f.txt").c_str()) == 0);
             REQUIRE(::link((out + "/f.txt").c_str(), (root + "/pub/f.txt").c_str()) == 0);
         }},
        {"nothing changed", "/pub/deep/g.txt", [] {}, change::kept},
    };
    for (const auto which : {http::resolver::openat2, http::resolver::walk, http::resolver::realpath}) {
        resolver_guard g(which);
        for (const change& c : changes) {
            INFO((which == http::resolver::openat2 ? "openat2: " : which == http::resolver::walk ? "walk: " : "realpath: ")
                 << c.what << ", " << c.path);
            fresh();
            const http::resolved before = http::resolve_cached(root, c.path);
            REQUIRE(before.status == 0);
            const http::resolved kept = http::resolve_cached(root, c.path);  // served from the cache
            CHECK(kept.fd.get() < 0);
            CHECK(kept.lent == before.get());
            c.apply();
            const http::resolved now = http::resolve(root, c.path);
            const std::uint64_t hits = http::thread_file_cache().hits();
            CHECK(answer(http::resolve_cached(root, c.path)) == answer(now));
            if (c.after != change::either)
                CHECK(http::thread_file_cache().hits() == hits + (c.after == change::kept ? 1 : 0));
            CHECK(answer(http::resolve_cached(root, c.path)) == answer(now));  // and once more, from what it kept then
        }
    }
    std::system(("chmod -R u+rwx '" + dir + "'; rm -rf '" + dir + "'").c_str());
}

TEST_CASE("http files: the open file cache keeps at most its capacity of descriptors, and no path with a symlink",
          "[http][files][cache]") {
    char tmpl[] = "/tmp/asynchat-cache-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const std::string root = *http::real_path(dir);
    http::open_file_cache& cache = http::thread_file_cache();
    const std::size_t n = http::open_file_cache::capacity + 10;
    for (std::size_t i = 0; i < n; ++i) {
        const std::string name = "/f" + std::to_string(i);
        std::ofstream(root + name) << i;
        CHECK(answer(http::resolve_cached(root, name)).find(": " + std::to_string(i)) != std::string::npos);
        CHECK(cache.size() <= http::open_file_cache::capacity);
    }
    CHECK(cache.size() == http::open_file_cache::capacity);
    // The most recent ones are kept, the first ones were dropped (a fresh
    // resolution is lent too, once kept: hits() tells the two apart).
    std::uint64_t hits = cache.hits();
    CHECK(http::resolve_cached(root, "/f" + std::to_string(n - 1)).lent >= 0);
    CHECK(cache.hits() == hits + 1);
    hits = cache.hits();
    CHECK(http::resolve_cached(root, "/f0").lent >= 0);  // opened afresh and kept again
    CHECK(cache.hits() == hits);
    CHECK(http::resolve_cached(root, "/f0").lent >= 0);
    CHECK(cache.hits() == hits + 1);
    CHECK(cache.size() == http::open_file_cache::capacity);
    // A symlink on the path: served, never kept.
    ::symlink("f1", (root + "/link").c_str());
    ::mkdir((root + "/d").c_str(), 0755);
    std::ofstream(root + "/d/x") << "x";
    ::symlink("d", (root + "/dlink").c_str());
    for (const char* p : {"/link", "/dlink/x"}) {
        INFO(p);
        CHECK(http::resolve_cached(root, p).status == 0);
        const http::resolved again = http::resolve_cached(root, p);
        CHECK(again.status == 0);
        CHECK(again.fd.get() >= 0);
        CHECK(again.lent < 0);
    }
    std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("http files: the open file cache keeps no path deeper than max_components", "[http][files][cache]") {
    // Each use lstat's every prefix from the root, so a path n components
    // deep costs about n*n/2 lookups: 2000 directories deep, 230 ms a
    // request where resolve() takes 0.3 ms. Such a path is served, never
    // kept; one of max_components is kept.
    char tmpl[] = "/tmp/asynchat-cache-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const std::string root = *http::real_path(dir);
    std::string path;
    for (std::size_t depth = 1; depth <= 2000; ++depth) {
        path += "/d";
        REQUIRE(::mkdir((root + path).c_str(), 0755) == 0);
        if (depth + 1 < http::open_file_cache::max_components || (depth > 4 && depth != 2000)) continue;
        const std::string file = path + "/f";
        std::ofstream(root + file) << depth;
        INFO(depth + 1 << " components");
        const http::resolved first = http::resolve_cached(root, file);
        REQUIRE(first.status == 0);
        const std::uint64_t stats = http::thread_file_cache().stats();
        const http::resolved again = http::resolve_cached(root, file);
        CHECK(again.status == 0);
        CHECK(answer(again) == answer(http::resolve(root, file)));
        if (depth + 1 <= http::open_file_cache::max_components) {
            CHECK(again.lent >= 0);
        } else {
            CHECK(again.fd.get() >= 0);
            CHECK(again.lent < 0);
            // Too deep to keep: no fstatat spent finding that out, on every
            // request, on top of resolve()'s own system calls.
            CHECK(http::thread_file_cache().stats() == stats);
        }
    }
    std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("http files: out of descriptors, a file that exists is 503, not 404 or 403", "[http][files][cache]") {
    // The open file cache holds up to 64 descriptors a thread, so running
    // out is likelier than before; the answer must say "try again", not
    // "no such file" (a 404 is cached by clients and proxies) nor
    // "forbidden", and a directory must not be listed in place of an
    // index.html that could not be opened.
    char tmpl[] = "/tmp/asynchat-cache-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const std::string root = *http::real_path(dir);
    std::ofstream(root + "/a.txt") << "a\n";
    ::mkdir((root + "/d").c_str(), 0755);
    std::ofstream(root + "/d/index.html") << "index\n";
    for (const auto which : {http::resolver::openat2, http::resolver::walk, http::resolver::realpath}) {
        resolver_guard g(which);
        INFO((which == http::resolver::openat2 ? "openat2" : which == http::resolver::walk ? "walk" : "realpath"));
        REQUIRE(http::resolve(root, "/a.txt").status == 0);  // the root's descriptor is open
        // Every free descriptor taken, under a soft limit lowered to 512 for
        // the while (a container's limit may be a million); nothing
        // asserted until they are back.
        rlimit saved{};
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
        rlimit low = saved;
        if (low.rlim_cur > 512) low.rlim_cur = 512;
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
        std::vector<int> fds;
        for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fds.push_back(fd);
        const bool exhausted = errno == EMFILE || errno == ENFILE;
        const int file = http::resolve(root, "/a.txt").status;
        const int index = http::resolve(root, "/d/index.html").status;
        for (int fd : fds) ::close(fd);
        ::setrlimit(RLIMIT_NOFILE, &saved);
        REQUIRE(exhausted);
        CHECK(file == 503);
        CHECK(index == 503);
        CHECK(http::resolve(root, "/a.txt").status == 0);
    }
    std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("http files: --root is kept as given, made absolute, so a symlink on it is followed later",
          "[http][files][root]") {
    char tmpl[] = "/tmp/asynchat-rootpath-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    ::mkdir((dir + "/release").c_str(), 0755);
    (void)::symlink("release", (dir + "/current").c_str());
    std::ofstream(dir + "/file") << "x";
    CHECK(http::root_path(dir + "/current") == dir + "/current");        // not resolved to .../release
    CHECK(http::root_path(dir + "//current///") == dir + "/current");    // repeated, trailing '/'
    CHECK(http::root_path(dir + "/./current/.") == dir + "/current");  // "." removed, nothing resolved
    // ".." climbs from what the prefix resolves to (here `release`'s parent),
    // and only that prefix is resolved: the rest stays a path to follow.
    CHECK(http::root_path(dir + "/current/../current") == http::real_path(dir).value() + "/current");
    CHECK(http::root_path(dir + "/release/../current/") == http::real_path(dir).value() + "/current");
    ::mkdir((dir + "/release/sub").c_str(), 0755);
    (void)::symlink("release/sub", (dir + "/deep").c_str());
    CHECK(http::root_path(dir + "/deep/..") == http::real_path(dir + "/release"));  // the link's parent, not dir
    CHECK(http::root_path("/") == "/");
    CHECK(http::root_path("//") == "/");
    CHECK_FALSE(http::root_path(dir + "/file"));     // not a directory
    CHECK_FALSE(http::root_path(dir + "/missing"));
    CHECK_FALSE(http::root_path(""));
    char cwd[PATH_MAX];
    REQUIRE(::getcwd(cwd, sizeof cwd) != nullptr);
    REQUIRE(::chdir(dir.c_str()) == 0);
    const auto relative = http::root_path("current/");
    const auto dotted = http::root_path("./current");
    REQUIRE(::chdir(cwd) == 0);
    CHECK(relative == http::real_path(dir).value() + "/current");
    CHECK(dotted == http::real_path(dir).value() + "/current");
    std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("http files: a root replaced or re-pointed under a running server is served within root_check_interval",
          "[http][files][root]") {
    // The root's descriptor is opened once per thread (detail::root_fd) and
    // checked against the root's path at most once per root_check_interval.
    // Passing a later `now` stands for that interval having gone by; then
    // what the path names now must be served, through the open file cache
    // too (its entries hang from the old root's descriptor).
    for (const auto which : {http::resolver::openat2, http::resolver::walk, http::resolver::realpath}) {
        resolver_guard use(which);
        INFO("resolver " << static_cast<int>(which));
        char tmpl[] = "/tmp/asynchat-rootswap-XXXXXX";
        const std::string dir = ::mkdtemp(tmpl);
        for (const char* release : {"/one", "/two"}) {
            ::mkdir((dir + release).c_str(), 0755);
            std::ofstream(dir + release + "/a.txt") << release + 1;
        }
        std::time_t later = std::time(nullptr) + 1000;  // past any check made so far
        auto after_interval = [&](const std::string& root) {
            later += http::detail::root_check_interval;
            http::detail::root_fd(root, later);
        };
        auto served = [](const std::string& root) {
            const http::resolved r = http::resolve_cached(root, "/a.txt");
            if (r.status) return "status " + std::to_string(r.status);
            char buf[16];
            const ssize_t n = ::pread(r.get(), buf, sizeof buf, 0);
            return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        };

        // A deploy that points the symlink `current` at a new release
        // (a new link renamed over the old one: atomic).
        (void)::symlink("one", (dir + "/current").c_str());
        const std::string current = http::root_path(dir + "/current").value();
        CHECK(served(current) == "one");
        CHECK(served(current) == "one");  // kept open, served from the cache
        (void)::symlink("two", (dir + "/next").c_str());
        REQUIRE(::rename((dir + "/next").c_str(), (dir + "/current").c_str()) == 0);
        after_interval(current);
        CHECK(served(current) == "two");

        // A directory moved away and a new one put in its place.
        const std::string www = dir + "/www";
        ::mkdir(www.c_str(), 0755);
        std::ofstream(www + "/a.txt") << "old";
        CHECK(served(www) == "old");
        CHECK(served(www) == "old");
        REQUIRE(::rename(www.c_str(), (dir + "/www.old").c_str()) == 0);
        ::mkdir(www.c_str(), 0755);
        std::ofstream(www + "/a.txt") << "new";
        after_interval(www);
        CHECK(served(www) == "new");

        // No root at all for a while: nothing is served from the old one.
        REQUIRE(::rename(www.c_str(), (dir + "/www.gone").c_str()) == 0);
        after_interval(www);
        CHECK(served(www) == "status 404");
        ::mkdir(www.c_str(), 0755);
        std::ofstream(www + "/a.txt") << "back";
        CHECK(served(www) == "back");  // a root that could not be opened is tried again at once
        std::system(("rm -rf '" + dir + "'").c_str());
    }
}
