// Serving files under a root directory: path resolution that cannot leave
// the root (no "..", no symlink escapes), a producer that reads a file one
// piece at a time, and a directory index.
#ifndef HTTP_SERVER_FILES_HPP
#define HTTP_SERVER_FILES_HPP

#include "response.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
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
#include <unistd.h>

namespace http {

// The canonical absolute path of `p` (symlinks resolved), if it exists.
inline std::optional<std::string> real_path(const std::string& p) {
    char buf[PATH_MAX];
    if (::realpath(p.c_str(), buf) == nullptr) return std::nullopt;
    return std::string(buf);
}

struct resolved {
    int status = 0;  // 0: found; else 403 or 404
    std::string file;
    struct stat info {};
};

// Maps a decoded request path to a file under `root` (itself a real path).
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
    const auto real = real_path(root + path);
    if (!real) {
        r.status = errno == EACCES ? 403 : 404;
        return r;
    }
    // A symlink may point anywhere: what it resolves to must stay under root.
    const bool inside = root == "/" || *real == root || real->compare(0, root.size() + 1, root + "/") == 0;
    if (!inside) {
        r.status = 403;
        return r;
    }
    if (::stat(real->c_str(), &r.info) != 0) {
        r.status = 404;
        return r;
    }
    if (!S_ISREG(r.info.st_mode) && !S_ISDIR(r.info.st_mode)) {
        r.status = 403;
        return r;
    }
    r.file = *real;
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
// file that shrinks while being sent throws: the Content-Length promise
// cannot be kept, so the connection must close.
class file_producer {
public:
    file_producer(const std::string& file, std::vector<body_part> parts, std::size_t piece,
                  std::shared_ptr<int> open_files)
        : fd_(::open(file.c_str(), O_RDONLY | O_CLOEXEC)), parts_(std::move(parts)), piece_(piece),
          open_files_(std::move(open_files)) {
        if (fd_ < 0) throw std::runtime_error("cannot open " + file);
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
            if (n <= 0) throw std::runtime_error("file shrank or failed while being sent");
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
    const auto real = real_path(dir + "/" + name);
    if (!real) return false;
    const bool inside = root == "/" || *real == root || real->compare(0, root.size() + 1, root + "/") == 0;
    struct stat st {};
    if (!inside || ::stat(real->c_str(), &st) != 0) return false;
    is_dir = S_ISDIR(st.st_mode);
    if (!is_dir && !S_ISREG(st.st_mode)) return false;
    return ::access(real->c_str(), is_dir ? R_OK | X_OK : R_OK) == 0;
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
    if (url_path != "/") page += "<li><a href=\"../\">../</a></li>\n";
    // Percent-encoded: a name with a ':' ("a:b") cannot read as a scheme.
    for (const auto& n : names)
        page += "<li><a href=\"" + html_escape(url_encode_path(n)) + "\">" + html_escape(n) + "</a></li>\n";
    page += "</ul></body></html>\n";
    return page;
}

} // namespace http

#endif // HTTP_SERVER_FILES_HPP
