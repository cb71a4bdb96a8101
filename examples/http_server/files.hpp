// Serving files under a root directory: path resolution that cannot leave
// the root (no "..", no symlink escapes), a producer that reads a file one
// piece at a time, and a directory index.
#ifndef HTTP_SERVER_FILES_HPP
#define HTTP_SERVER_FILES_HPP

#include "response.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__linux__) && defined(SYS_openat2) && __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define HTTP_SERVER_HAVE_OPENAT2 1
#endif

namespace http {

// The canonical absolute path of `p` (symlinks resolved), if it exists.
inline std::optional<std::string> real_path(const std::string& p) {
    char buf[PATH_MAX];
    if (::realpath(p.c_str(), buf) == nullptr) return std::nullopt;
    return std::string(buf);
}

// The root as the server keeps it (--root): the path as given, made
// absolute from the working directory, with "." segments and repeated and
// trailing '/' removed, and not resolved further, so that what it names now
// is served (a symlink on it pointed at a new release, a directory put in its
// place: see detail::root_fd). Only the part up to a last ".." is resolved,
// with realpath(3): removing "x/.." by hand where x is a symlink would name
// another directory. nullopt if it names no directory.
inline std::optional<std::string> root_path(const std::string& given) {
    if (given.empty()) return std::nullopt;
    std::string path;
    if (given.front() != '/') {
        char cwd[PATH_MAX];
        if (::getcwd(cwd, sizeof cwd) == nullptr) return std::nullopt;
        if (std::string_view(cwd) != "/") path = cwd;
    }
    for (std::size_t at = 0; at < given.size();) {
        std::size_t end = given.find('/', at);
        if (end == std::string::npos) end = given.size();
        const std::string_view segment = std::string_view(given).substr(at, end - at);
        at = end + 1;
        if (segment.empty() || segment == ".") continue;
        if (segment == "..") {  // what the kernel would climb to: the prefix so far, resolved
            auto real = real_path(path + "/..");
            if (!real) return std::nullopt;
            path = *real == "/" ? std::string() : std::move(*real);
            continue;
        }
        (path += '/') += segment;
    }
    if (path.empty()) path = "/";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
    return path;
}

// An open file descriptor, closed when it goes out of scope.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

struct resolved {
    int status = 0;  // 0: found; else 403, 404, or 503 (the process is out of descriptors: EMFILE, ENFILE)
    std::string file;  // root + path: for the content type and a directory's index
    struct stat info {};
    unique_fd fd;      // the file (or directory) itself, open for reading
    int lent = -1;     // or, with `fd` empty, a descriptor the open_file_cache lends for this request

    // The file's descriptor. A lent one is valid only until this thread's
    // next resolve_cached(), which may drop or evict (close) it: use it, or
    // take() it, before resolving anything else.
    int get() const { return fd.get() >= 0 ? fd.get() : lent; }
    // A descriptor to keep beyond this request (push_file, a producer):
    // `fd` itself, or a duplicate of the lent one (empty if dup fails:
    // EMFILE, ENFILE).
    unique_fd take() {
        if (fd.get() >= 0 || lent < 0) return std::move(fd);
        return unique_fd(::fcntl(lent, F_DUPFD_CLOEXEC, 0));
    }
};

// How paths are resolved. openat2(2) with RESOLVE_BENEATH (Linux 5.6+) opens
// the file in one system call relative to the root's descriptor, and the
// kernel refuses any step out of the root ("..", an absolute or escaping
// symlink: EXDEV) while following symlinks that stay inside. Where the
// kernel, a seccomp filter or valgrind refuses openat2 (ENOSYS, EPERM), the
// first failure switches the process to `walk`: one openat(2) per path
// segment from the root's descriptor, each with O_NOFOLLOW, so no symlink
// is followed and no step leaves the root; a path with a symlink on it (the
// walk stops at it) is then resolved the `realpath` way: one lstat(2) per
// component and a readlink(2) per symlink, by RESOLVE_BENEATH's rules (an
// absolute link, or a ".." above the root, is refused even if the path
// would come back inside: see detail::resolve_beneath), then an O_NOFOLLOW
// walk to open what was checked. All three give the same answers; tests run
// each (`realpath` names the way, not realpath(3)).
// The choice is process-wide and atomic: with --threads N, several event
// loops may meet the refusal at once.
enum class resolver { openat2, walk, realpath };
inline std::atomic<resolver>& path_resolver() {
#ifdef HTTP_SERVER_HAVE_OPENAT2
    static std::atomic<resolver> r{resolver::openat2};
#else
    static std::atomic<resolver> r{resolver::walk};
#endif
    return r;
}

namespace detail {
// How often (seconds) each thread looks at the root's path again: a root
// replaced (`mv www www.old && mkdir www`) or a symlink on its path pointed
// elsewhere (a deploy that swaps `current -> releases/N`) is served from
// within this bound.
constexpr std::time_t root_check_interval = 1;

// The root directory's descriptor, opened once per thread (O_PATH: it only
// anchors lookups). At most once per root_check_interval (by `now`, seconds)
// it is compared with what the root's path names now (stat(2): device and
// inode) and reopened if they differ, or if the root is asked for under
// another path. -1 with errno set (ENOENT: no root now) if it cannot be
// opened; the next call tries again.
inline int root_fd(const std::string& root, std::time_t now = std::time(nullptr)) {
    thread_local std::string opened;
    thread_local unique_fd fd;
    thread_local std::time_t checked = 0;
    if (fd.get() >= 0 && opened == root) {
        if (now - checked < root_check_interval && now >= checked) return fd.get();
        checked = now;
        struct stat named {}, held {};
        if (::stat(root.c_str(), &named) == 0 && ::fstat(fd.get(), &held) == 0 && named.st_dev == held.st_dev &&
            named.st_ino == held.st_ino)
            return fd.get();
    }
    const int fresh = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    const int error = errno;
    fd.reset(fresh);
    opened = root;
    checked = now;
    errno = error;
    return fresh;
}

// Did a call fail for want of a descriptor (the process's or the system's
// limit)? Not an answer about the file: resolve() says 503, not 403 or 404.
inline bool out_of_descriptors(int error) { return error == EMFILE || error == ENFILE; }

// The file is opened non-blocking: a FIFO under the root must not block the
// event loop (it is refused after fstat, as every non-regular file is).
constexpr int open_flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

// Opens `path` (absolute, no "..") under the directory `root_dir` one
// segment at a time, never following a symlink (O_NOFOLLOW at every step):
// the descriptor of the file, or -1 with errno set. ENOENT: no such file;
// any other errno (ELOOP or ENOTDIR at a symlink, EACCES...) means the walk
// cannot decide, and the caller resolves the path the `realpath` way
// (detail::resolve_beneath).
inline int walk_beneath(int root_dir, const std::string& path) {
    unique_fd dir;  // the directory reached so far (root_dir at first)
    std::size_t at = 0;
    for (;;) {
        while (at < path.size() && path[at] == '/') ++at;
        if (at == path.size()) {  // "/" or nothing left: the directory reached is the answer
            const int fd = ::openat(dir.get() < 0 ? root_dir : dir.get(), ".", open_flags | O_DIRECTORY);
            return fd;
        }
        std::size_t end = path.find('/', at);
        if (end == std::string::npos) end = path.size();
        char name[NAME_MAX + 1];
        if (end - at > NAME_MAX) {
            errno = ENAMETOOLONG;
            return -1;
        }
        path.copy(name, end - at, at);
        name[end - at] = '\0';
        std::size_t next = end;
        while (next < path.size() && path[next] == '/') ++next;
        const bool last = next == path.size();
        const bool slash = end != path.size();  // "name/": it must be a directory
        const int from = dir.get() < 0 ? root_dir : dir.get();
        int fd;
        if (last) {
            do fd = ::openat(from, name, open_flags | O_NOFOLLOW | (slash ? O_DIRECTORY : 0));
            while (fd < 0 && errno == EINTR);
            return fd;
        }
        do fd = ::openat(from, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        if (fd < 0) return -1;
        dir.reset(fd);
        at = next;
    }
}

// Opens `real`, a resolved path under `root` that resolve_beneath returned,
// the way the walk opens: from the root's descriptor, O_NOFOLLOW at every
// step. Between that resolution and the open, someone who can write under the root may
// swap a directory on the way for a symlink out of it; open(2) would follow
// it, this refuses it (ELOOP, ENOTDIR). -1 with errno on failure.
inline int open_resolved(const std::string& root, const std::string& real) {
    const int dir = root_fd(root);
    if (dir < 0) return -1;
    return walk_beneath(dir, root == "/" ? real : real.substr(root.size()));
}
// Resolves `path` (absolute, decoded) under `root` as openat2's
// RESOLVE_BENEATH does, one component at a time from the root: a symlink is
// read (readlink(2)) and its target spliced in; an absolute target, or a
// ".." that would step above the root, is refused even if the path comes
// back inside later (a link to root + "/x", "../<root's name>/x"), so this
// answers what openat2 answers. Sets `real` to the resolved path (root +
// "/..."), and returns 0, or the status: 403 (a step out, EACCES), 404 (no
// such name, a non-directory followed by more path or a "/", more than 40
// links: ELOOP).
inline int resolve_beneath(const std::string& root, const std::string& path, std::string& real) {
    std::vector<std::string> todo;  // components still to resolve, the next one last
    auto push_reversed = [&todo](std::string_view p) {
        // Empty components ("a//b", a trailing "/") and "." ask for a directory.
        std::size_t end = p.size();
        for (;;) {
            const std::size_t slash = p.rfind('/', end == 0 ? 0 : end - 1);
            const std::size_t begin = slash == std::string_view::npos ? 0 : slash + 1;
            if (end > 0 || slash == std::string_view::npos) todo.emplace_back(p.substr(begin, end - begin));
            if (slash == std::string_view::npos || slash == 0) return;
            end = slash;
        }
    };
    push_reversed(path);
    std::string at = root == "/" ? std::string() : root;  // the directory reached so far
    std::vector<std::size_t> marks;                       // where each component of `at` begins
    bool directory = true;
    int links = 0;
    while (!todo.empty()) {
        const std::string name = std::move(todo.back());
        todo.pop_back();
        if (!directory) return 404;  // ENOTDIR: more path after a file
        if (name.empty() || name == ".") continue;
        if (name == "..") {
            if (marks.empty()) return 403;  // EXDEV: above the root
            at.erase(marks.back());
            marks.pop_back();
            continue;
        }
        const std::size_t mark = at.size();
        at += '/';
        at += name;
        struct stat st {};
        if (::lstat(at.c_str(), &st) != 0) return errno == EACCES ? 403 : 404;
        if (S_ISLNK(st.st_mode)) {
            if (++links > 40) return 404;  // ELOOP
            char target[PATH_MAX];
            const ssize_t n = ::readlink(at.c_str(), target, sizeof target);
            if (n <= 0 || static_cast<std::size_t>(n) >= sizeof target) return 404;
            if (target[0] == '/') return 403;  // EXDEV: an absolute link leaves the root
            at.erase(mark);                      // the target is relative to the link's directory
            push_reversed(std::string_view(target, static_cast<std::size_t>(n)));
            continue;
        }
        marks.push_back(mark);
        directory = S_ISDIR(st.st_mode);
    }
    real = at.empty() ? std::string("/") : at;
    return 0;
}
} // namespace detail

// Maps a decoded request path to a file under `root` (from root_path()),
// opened for reading: stat(2) and read from the same descriptor, so the file
// described is the file sent.
inline resolved resolve(const std::string& root, const std::string& path) {
    resolved r;
    // Refuse ".." outright: it is never needed, and refusing it is clearer
    // than normalising it away.
    std::size_t at = 0;
    while (at <= path.size()) {
        const auto slash = path.find('/', at);
        const std::string_view segment =
            std::string_view(path).substr(at, slash == std::string::npos ? std::string::npos : slash - at);
        if (segment == "..") {
            r.status = 403;
            return r;
        }
        if (slash == std::string::npos) break;
        at = slash + 1;
    }
    r.file = root + path;
#ifdef HTTP_SERVER_HAVE_OPENAT2
    if (path_resolver() == resolver::openat2) {
        const int dir = detail::root_fd(root);
        std::size_t skip = 0;
        while (skip < path.size() && path[skip] == '/') ++skip;
        const char* relative = skip == path.size() ? "." : path.c_str() + skip;
        open_how how{};
        how.flags = detail::open_flags;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        long fd;
        do fd = dir < 0 ? -1 : ::syscall(SYS_openat2, dir, relative, &how, sizeof how);
        while (fd < 0 && errno == EINTR);
        if (fd < 0 && dir >= 0 && (errno == ENOSYS || errno == EPERM)) {
            path_resolver() = resolver::walk;  // this kernel has no openat2: from now on, the other way
            return resolve(root, path);
        }
        if (fd < 0) {
            // EXDEV: a step out of the root (a symlink pointing out of it).
            r.status = errno == EACCES || errno == EXDEV ? 403 : detail::out_of_descriptors(errno) ? 503 : 404;
            return r;
        }
        r.fd.reset(static_cast<int>(fd));
    }
#endif
    if (path_resolver() == resolver::walk) {
        const int dir = detail::root_fd(root);
        const int fd = dir < 0 ? -1 : detail::walk_beneath(dir, path);
        if (fd < 0 && dir >= 0 && errno == ENOENT) {
            r.status = 404;
            return r;
        }
        r.fd.reset(fd);  // else (a symlink on the way...): realpath decides
    }
    if (r.fd.get() < 0) {
        std::string real;
        if (const int status = detail::resolve_beneath(root, path, real)) {
            r.status = status;
            return r;
        }
        r.fd.reset(detail::open_resolved(root, real));
        if (r.fd.get() < 0) {
            // ELOOP, ENOTDIR: a symlink swapped in since.
            r.status = errno == ENOENT ? 404 : detail::out_of_descriptors(errno) ? 503 : 403;
            return r;
        }
    }
    if (::fstat(r.fd.get(), &r.info) != 0) {
        r.status = 404;
        return r;
    }
    if (!S_ISREG(r.info.st_mode) && !S_ISDIR(r.info.st_mode)) {
        r.status = 403;
        return r;
    }
    return r;
}

// Regular files kept open between requests, so that a request for a file
// served before costs one fstatat(2) per path component (one for
// "/index.html") instead of openat2, fstat and close. One cache per thread
// (each event loop has its own: no lock), at most `capacity` descriptors,
// the least recently used dropped first.
//
// Unlike nginx's open_file_cache, which trusts a descriptor for
// open_file_cache_valid (60 s) without looking at the path, every use
// checks the path again, so there is no staleness bound to document: the
// answer is the one resolve() would give now (from the root's descriptor,
// itself checked once per detail::root_check_interval).
// - Only a path with no symlink on it is kept (checked when it is kept:
//   every component lstat'ed from the root's descriptor, the last one the
//   very file resolve() opened).
// - On use, every component is lstat'ed again (fstatat, AT_SYMLINK_NOFOLLOW,
//   from the root's descriptor) and must be the same directory or file as
//   when kept: device, inode, type and permission bits, owner, group and
//   status-change time (which chmod, chown, an ACL change, a link or unlink
//   and every write move). A file replaced (a new inode), deleted, moved,
//   made unreadable, or a directory on the way swapped for a symlink: the
//   entry is dropped and the path resolved afresh.
// - The bytes are read from the file at each request (pread), and the size
//   and times come from that request's fstatat: an edit in place is seen at
//   once, as without the cache.
// While a descriptor is kept its inode stays allocated, so its number
// cannot be reused by a new file that would then pass for it. That holds
// for a file deleted or replaced too: its blocks are freed only when the
// entry goes (the next request for its path, its eviction as the least
// recently used when a new file is kept in a full cache, or the thread's
// exit), so a deleted file's space may stay in use for as long as nobody
// asks for it again. A component moved while the chain is lstat'ed is seen
// because rename(2) moves the
// moved inode's ctime (ext4, xfs, btrfs, tmpfs; Linux 6.13+ makes ctime
// fine-grained when it has been read); an ACL or other extended attribute
// change is seen through ctime only. Checks made at open(2) time (fanotify,
// a security module) are not repeated for a kept descriptor.
// Only paths of at most `max_components` components are kept: each fstatat
// walks its prefix from the root again, so a path n components deep costs n
// system calls and about n*n/2 lookups: as many calls as resolve()'s three
// at 3 components and about its time, more from 4 on (measured: 5 us
// uncached; 1.7, 3.2, 5.5, 10 us cached at 1, 2, 3, 4 components), and a
// tree 2000 directories deep (a 4 KiB path) would cost 230 ms per request
// instead of 0.3 ms. Whether a path is too deep is known from the string,
// before any fstatat.
class open_file_cache {
public:
    static constexpr std::size_t capacity = 64;
    static constexpr std::size_t max_components = 3;  // "/a/b/index.html"

    // If `file` (root + path) is kept and every component of `relative`
    // (the path without its leading '/') is still what it was: fills `r`
    // (file, info, the lent descriptor) and returns true. Otherwise drops
    // any entry for `file` and returns false.
    bool find(int root_dir, std::string file, std::string_view relative, resolved& r);

    // Keeps `r`'s descriptor (r then lends it) if `r` is a regular file
    // reached from `root_dir` by `relative`, at most `max_components`
    // components, with no symlink on the way.
    void insert(int root_dir, std::string_view relative, resolved& r);

    std::size_t size() const { return entries_.size(); }
    // How many lookups were answered from a kept descriptor.
    std::uint64_t hits() const { return hits_; }
    // How many fstatat(2) calls the checks of find() and insert() made.
    std::uint64_t stats() const { return stats_; }

private:
    struct identity {
        dev_t dev;
        ino_t ino;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        time_t ctime;
        long ctime_ns;
        static identity of(const struct stat& s) {
            return {s.st_dev, s.st_ino, s.st_mode, s.st_uid, s.st_gid, s.st_ctim.tv_sec, s.st_ctim.tv_nsec};
        }
        bool operator==(const identity& o) const {
            return dev == o.dev && ino == o.ino && mode == o.mode && uid == o.uid && gid == o.gid &&
                   ctime == o.ctime && ctime_ns == o.ctime_ns;
        }
    };
    struct entry {
        std::string file;
        std::size_t hash = 0;
        std::vector<std::pair<std::size_t, identity>> components;  // end of each prefix of `relative`, what it was
        unique_fd fd;
        std::uint64_t used = 0;
    };

    // lstat's each prefix of `relative` ending at a component, in order,
    // calling `visit(end, stat)`; stops (false) at the first failure or
    // when `visit` returns false.
    template <typename Visit>
    bool each_component(int root_dir, std::string_view relative, Visit visit) {
        char path[PATH_MAX];
        if (relative.empty() || relative.size() >= sizeof path) return false;
        relative.copy(path, relative.size());
        path[relative.size()] = '\0';
        std::size_t at = 0;
        while (at < relative.size()) {
            std::size_t end = relative.find('/', at);
            if (end == std::string_view::npos) end = relative.size();
            if (end != at) {
                const char saved = path[end];
                path[end] = '\0';
                struct stat s;
                ++stats_;
                const bool ok = ::fstatat(root_dir, path, &s, AT_SYMLINK_NOFOLLOW) == 0;
                path[end] = saved;
                if (!ok || !visit(end, s)) return false;
            }
            at = end + 1;
        }
        return true;
    }

    std::vector<entry> entries_;
    std::uint64_t clock_ = 0;
    std::uint64_t hits_ = 0;
    std::uint64_t stats_ = 0;
};

inline bool open_file_cache::find(int root_dir, std::string file, std::string_view relative, resolved& r) {
    const std::size_t hash = std::hash<std::string_view>{}(file);
    const auto e = std::find_if(entries_.begin(), entries_.end(),
                                [&](const entry& x) { return x.hash == hash && x.file == file; });
    if (e == entries_.end()) return false;
    std::size_t i = 0;
    struct stat last {};
    const bool same = each_component(root_dir, relative, [&](std::size_t end, const struct stat& s) {
        if (i == e->components.size() || e->components[i].first != end ||
            !(e->components[i].second == identity::of(s)))
            return false;
        ++i;
        last = s;
        return true;
    });
    if (!same || i != e->components.size()) {
        entries_.erase(e);
        return false;
    }
    e->used = ++clock_;
    ++hits_;
    r.status = 0;
    r.file = std::move(file);
    r.info = last;
    r.fd.reset();
    r.lent = e->fd.get();
    return true;
}

inline void open_file_cache::insert(int root_dir, std::string_view relative, resolved& r) {
    if (r.status != 0 || r.fd.get() < 0 || !S_ISREG(r.info.st_mode)) return;
    // Too deep to keep: known from the string, before any fstatat (else
    // every request for such a path would pay max_components + 1 of them).
    std::size_t components = 0;
    for (std::size_t at = 0; at < relative.size();) {
        std::size_t end = relative.find('/', at);
        if (end == std::string_view::npos) end = relative.size();
        if (end != at && ++components > max_components) return;
        at = end + 1;
    }
    entry e;
    struct stat last {};
    std::size_t count = 0;
    const bool plain = each_component(root_dir, relative, [&](std::size_t end, const struct stat& s) {
        if (S_ISLNK(s.st_mode) || e.components.size() == max_components) return false;
        e.components.emplace_back(end, identity::of(s));
        last = s;
        ++count;
        return true;
    });
    // Every component but the last a directory, the last the file opened.
    if (!plain || count == 0 || !S_ISREG(last.st_mode) || last.st_dev != r.info.st_dev ||
        last.st_ino != r.info.st_ino)
        return;
    for (std::size_t i = 0; i + 1 < e.components.size(); ++i)
        if (!S_ISDIR(e.components[i].second.mode)) return;
    if (entries_.size() == capacity) {
        entries_.erase(std::min_element(entries_.begin(), entries_.end(),
                                        [](const entry& a, const entry& b) { return a.used < b.used; }));
    }
    e.file = r.file;
    e.hash = std::hash<std::string_view>{}(e.file);
    e.used = ++clock_;
    entries_.reserve(capacity);  // may throw: before `r` gives its descriptor away
    r.lent = r.fd.get();
    e.fd = std::move(r.fd);
    entries_.push_back(std::move(e));  // within capacity: no reallocation, no throw
}

// This thread's open_file_cache (each event loop thread has its own).
inline open_file_cache& thread_file_cache() {
    thread_local open_file_cache cache;
    return cache;
}

// resolve(), through this thread's open_file_cache: the same answer, with
// one fstatat per path component for a file served before.
inline resolved resolve_cached(const std::string& root, const std::string& path) {
    open_file_cache& cache = thread_file_cache();
    const int dir = detail::root_fd(root);
    std::string_view relative = path;
    while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
    resolved r;
    if (dir >= 0 && cache.find(dir, root + path, relative, r)) return r;
    r = resolve(root, path);
    if (dir >= 0) cache.insert(dir, relative, r);
    return r;
}

// What a response body made from a file is: literal text (multipart
// boundaries and part heads) and byte ranges of the file, in order.
struct body_part {
    std::string text;             // sent first
    std::uint64_t offset = 0;     // then `length` bytes of the file from `offset`
    std::uint64_t length = 0;
};

// Sends a file's bytes one piece at a time, as asked: a 50 MiB file costs one
// piece of memory, not 50 MiB. The body is a list of parts (a whole file is
// one part from offset 0; a range starts at its first byte; a multipart body
// interleaves part heads), read with pread(2) straight from each offset. A
// file that shrinks while being sent throws file_shrank: the Content-Length
// promise cannot be kept, so the connection must close (the channel ends it
// as push_file's error::file_truncated, see basic_channel::handle_error).
struct file_shrank : std::runtime_error {
    file_shrank() : std::runtime_error("file shorter than the range being sent") {}
};

class file_producer {
public:
    // Takes over `file`, open for reading (from resolve()).
    file_producer(unique_fd file, std::vector<body_part> parts, std::size_t piece, std::shared_ptr<int> open_files)
        : fd_(file.release()), parts_(std::move(parts)), piece_(piece), open_files_(std::move(open_files)) {
        if (fd_ < 0) throw std::runtime_error("no file to send");
        ++*open_files_;
    }
    file_producer(file_producer&& o) noexcept
        : fd_(std::exchange(o.fd_, -1)), parts_(std::move(o.parts_)), next_(o.next_), piece_(o.piece_),
          open_files_(std::move(o.open_files_)) {}
    file_producer(const file_producer&) = delete;
    file_producer& operator=(const file_producer&) = delete;
    file_producer& operator=(file_producer&&) = delete;
    ~file_producer() {
        if (fd_ >= 0) {
            ::close(fd_);
            --*open_files_;
        }
    }

    std::string more() {
        while (next_ < parts_.size()) {
            body_part& p = parts_[next_];
            if (!p.text.empty()) return std::exchange(p.text, std::string());
            if (p.length == 0) {
                ++next_;
                continue;
            }
            std::string piece(static_cast<std::size_t>(std::min<std::uint64_t>(p.length, piece_)), '\0');
            ssize_t n;
            do n = ::pread(fd_, piece.data(), piece.size(), static_cast<off_t>(p.offset));
            while (n < 0 && errno == EINTR);
            if (n <= 0) throw file_shrank();  // ended (0) or failed (EIO...): the range cannot be sent whole
            piece.resize(static_cast<std::size_t>(n));
            p.offset += static_cast<std::uint64_t>(n);
            p.length -= static_cast<std::uint64_t>(n);
            return piece;
        }
        return {};
    }

private:
    int fd_;
    std::vector<body_part> parts_;
    std::size_t next_ = 0;
    std::size_t piece_;
    std::shared_ptr<int> open_files_;  // how many this connection has open
};

// Would the server serve `name` in `dir` (both under `root`)? The same test
// as resolve(): what it resolves to stays under the root and is a regular
// file or a directory, and the server may read it.
inline bool servable(const std::string& root, const std::string& dir, const std::string& name, bool& is_dir) {
    // Under the root: its path, then "/" or the end ("/srv/www2" is not under "/srv/www").
    if (dir.compare(0, root.size(), root) != 0) return false;
    if (root != "/" && dir.size() > root.size() && dir[root.size()] != '/') return false;
    std::string real;
    if (detail::resolve_beneath(root, (root == "/" ? dir : dir.substr(root.size())) + "/" + name, real) != 0)
        return false;
    struct stat st {};
    if (::stat(real.c_str(), &st) != 0) return false;
    is_dir = S_ISDIR(st.st_mode);
    if (!is_dir && !S_ISREG(st.st_mode)) return false;
    return ::access(real.c_str(), is_dir ? R_OK | X_OK : R_OK) == 0;
}

// An HTML index of a directory under `root`, names sorted: only what the
// server will serve (no symlink out of the root, no socket or device, nothing
// unreadable, no file shadowed by /echo), directories with a final "/", and a
// link to the parent everywhere but at the root.
inline std::string directory_index(const std::string& root, const std::string& dir, const std::string& url_path) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name == "." || name == "..") continue;
            if (url_path == "/" && name == "echo") continue;  // /echo is the echo resource, not this file
            bool is_dir = false;
            if (!servable(root, dir, name, is_dir)) continue;
            names.push_back(is_dir ? name + "/" : name);
        }
        ::closedir(d);
    }
    std::sort(names.begin(), names.end());
    std::string page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of " +
                       html_escape(url_path) + "</title></head>\n<body><h1>Index of " +
                       html_escape(url_path) + "</h1>\n<ul>\n";
    if (url_path != "/") page += std::string_view("<li><a href=\"../\">../</a></li>\n");
    // Percent-encoded: a name with a ':' ("a:b") cannot read as a scheme.
    for (const auto& n : names)
        page += "<li><a href=\"" + html_escape(url_encode_path(n)) + "\">" + html_escape(n) + "</a></li>\n";
    page += std::string_view("</ul></body></html>\n");
    return page;
}

} // namespace http

#endif // HTTP_SERVER_FILES_HPP
