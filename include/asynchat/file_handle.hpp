// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_FILE_HANDLE_HPP
#define ASYNCHAT_FILE_HANDLE_HPP

#include <asynchat/detail/file_io.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>

namespace asynchat {

/// An open file, owned: the file `async_chat::push_file` sends a range of.
/// Move-only; closes the file when destroyed.
///
/// `native_handle_type` is a file descriptor (`int`) on POSIX systems and a
/// `std::FILE*` elsewhere. Reads never move a shared position on POSIX
/// (pread(2)), so one descriptor can serve one range at a time per handle;
/// give each `push_file` its own handle (`open()`, or `dup(2)` yourself).
class file_handle {
public:
    using native_handle_type = detail::native_file;

    /// No file.
    file_handle() noexcept = default;

    /// Adopts `handle`, an open file readable at any offset (a regular file:
    /// sendfile(2) needs one). It is closed by this object.
    explicit file_handle(native_handle_type handle) noexcept : handle_(handle) {}

    /// Opens `path` for reading.
    /// @throws std::system_error with the system's error (ENOENT, EACCES...).
    static file_handle open(const std::string& path) {
        error_code ec;
        file_handle f = open(path, ec);
        if (ec) throw std::system_error(ec, "asynchat::file_handle::open: " + path);
        return f;
    }

    /// Opens `path` for reading; on failure `ec` is set and the handle is empty.
    static file_handle open(const std::string& path, error_code& ec) noexcept {
        return file_handle(detail::open_file(path.c_str(), ec));
    }

    file_handle(file_handle&& other) noexcept : handle_(other.release()) {}
    file_handle& operator=(file_handle&& other) noexcept {
        if (this != &other) {
            close();
            handle_ = other.release();
        }
        return *this;
    }
    file_handle(const file_handle&) = delete;
    file_handle& operator=(const file_handle&) = delete;
    ~file_handle() { close(); }

    [[nodiscard]] bool is_open() const noexcept { return handle_ != detail::invalid_file; }
    [[nodiscard]] native_handle_type native_handle() const noexcept { return handle_; }

    /// Gives up ownership: the caller closes what this returns.
    native_handle_type release() noexcept { return std::exchange(handle_, detail::invalid_file); }

    void close() noexcept {
        if (is_open()) detail::close_file(release());
    }

    /// The file's size now, in bytes.
    /// @throws std::system_error if the system cannot tell.
    [[nodiscard]] std::uint64_t size() const {
        error_code ec;
        const std::uint64_t n = size(ec);
        if (ec) throw std::system_error(ec, "asynchat::file_handle::size");
        return n;
    }
    [[nodiscard]] std::uint64_t size(error_code& ec) const noexcept { return detail::file_size(handle_, ec); }

    /// Reads up to `size` bytes at byte `offset` into `data` (Asio's
    /// `read_some_at`): returns how many; at the end of the file 0, with
    /// `ec` set to `asio::error::eof`.
    std::size_t read_some_at(std::uint64_t offset, char* data, std::size_t size, error_code& ec) const noexcept {
        return detail::read_file_at(handle_, offset, data, size, ec);
    }

private:
    native_handle_type handle_ = detail::invalid_file;
};

namespace detail {
// A queued range of a file: what is left to send of it.
struct file_part {
    file_handle file;
    std::uint64_t offset = 0;     // of the next byte to send
    std::uint64_t remaining = 0;  // bytes still to send
    bool direct = false;          // sent by the writer itself (sendfile), not read into the queue
};
} // namespace detail

} // namespace asynchat

#endif // ASYNCHAT_FILE_HANDLE_HPP
