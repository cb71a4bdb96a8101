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

// Sends a file one piece at a time, as asked: a 50 MiB file costs one piece
// of memory, not 50 MiB. A file that shrinks while being sent throws: the
// Content-Length promise cannot be kept, so the connection must close.
class file_producer {
public:
    file_producer(const std::string& file, std::uint64_t size, std::size_t piece,
                  std::shared_ptr<int> open_files)
        : fd_(::open(file.c_str(), O_RDONLY | O_CLOEXEC)), left_(size), piece_(piece),
          open_files_(std::move(open_files)) {
        if (fd_ < 0) throw std::runtime_error("cannot open " + file);
        ++*open_files_;
    }
    file_producer(file_producer&& o) noexcept
        : fd_(std::exchange(o.fd_, -1)), left_(o.left_), piece_(o.piece_), open_files_(std::move(o.open_files_)) {}
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
        if (left_ == 0) return {};
        std::string piece(static_cast<std::size_t>(std::min<std::uint64_t>(left_, piece_)), '\0');
        ssize_t n;
        do n = ::read(fd_, piece.data(), piece.size());
        while (n < 0 && errno == EINTR);
        if (n <= 0) throw std::runtime_error("file shrank or failed while being sent");
        piece.resize(static_cast<std::size_t>(n));
        left_ -= static_cast<std::uint64_t>(n);
        return piece;
    }

private:
    int fd_;
    std::uint64_t left_;
    std::size_t piece_;
    std::shared_ptr<int> open_files_;  // how many this connection has open
};

// An HTML index of a directory, names sorted.
inline std::string directory_index(const std::string& dir, const std::string& url_path) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (const dirent* e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name == "." || name == "..") continue;
            struct stat st {};
            const bool is_dir = ::stat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
            names.push_back(is_dir ? name + "/" : name);
        }
        ::closedir(d);
    }
    std::sort(names.begin(), names.end());
    std::string page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of " +
                       html_escape(url_path) + "</title></head>\n<body><h1>Index of " +
                       html_escape(url_path) + "</h1>\n<ul>\n";
    for (const auto& n : names)
        page += "<li><a href=\"" + html_escape(url_encode_path(n)) + "\">" + html_escape(n) + "</a></li>\n";
    page += "</ul></body></html>\n";
    return page;
}

} // namespace http

#endif // HTTP_SERVER_FILES_HPP
