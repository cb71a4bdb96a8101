// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_FILE_IO_HPP
#define ASYNCHAT_DETAIL_FILE_IO_HPP

// Reading a file at an offset: the portable half of `file_handle`, the one
// every platform uses (the fast path, sendfile(2), is detail/sendfile.hpp).
// POSIX systems read with pread(2) on a descriptor; elsewhere (or with
// ASYNCHAT_FILE_STDIO defined) the handle is a `std::FILE*`, read with
// fseek + fread. POSIX headers are included only behind this platform
// check (and, for sendfile(2), behind a Linux check in detail/sendfile.hpp).

#include <asynchat/detail/asio.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

#if (defined(__unix__) || defined(__APPLE__)) && !defined(ASYNCHAT_FILE_STDIO)
#define ASYNCHAT_POSIX_FILES 1
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#else
#include <cstdio>
#endif

namespace asynchat::detail {

inline error_code last_file_error() noexcept { return {errno, generic_category()}; }

#if defined(ASYNCHAT_POSIX_FILES)

using native_file = int;
inline constexpr native_file invalid_file = -1;

inline native_file open_file(const char* path, error_code& ec) noexcept {
    int fd;
    do fd = ::open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    ec = fd < 0 ? last_file_error() : error_code();
    return fd;
}

inline void close_file(native_file f) noexcept { ::close(f); }

inline std::uint64_t file_size(native_file f, error_code& ec) noexcept {
    struct stat st {};
    if (::fstat(f, &st) != 0) {
        ec = last_file_error();
        return 0;
    }
    ec = {};
    return static_cast<std::uint64_t>(st.st_size);
}

// Up to `n` bytes at `offset`; 0 and asio::error::eof at the end of the file.
inline std::size_t read_file_at(native_file f, std::uint64_t offset, char* p, std::size_t n,
                                error_code& ec) noexcept {
    // An offset off_t cannot hold is past the end of any file here.
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max())) {
        ec = asio::error::eof;
        return 0;
    }
    ssize_t got;
    do got = ::pread(f, p, n, static_cast<off_t>(offset));
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        ec = last_file_error();
        return 0;
    }
    ec = got == 0 && n != 0 ? error_code(asio::error::eof) : error_code();
    return static_cast<std::size_t>(got);
}

#else

using native_file = std::FILE*;
inline const native_file invalid_file = nullptr;

inline native_file open_file(const char* path, error_code& ec) noexcept {
    std::FILE* f = std::fopen(path, "rb");
    ec = f == nullptr ? last_file_error() : error_code();
    return f;
}

inline void close_file(native_file f) noexcept { std::fclose(f); }

inline bool seek_file(native_file f, std::uint64_t offset, int whence) noexcept {
#if defined(_WIN32)
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<long long>::max())) return false;
    return ::_fseeki64(f, static_cast<long long>(offset), whence) == 0;
#else
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<long>::max())) return false;
    return std::fseek(f, static_cast<long>(offset), whence) == 0;
#endif
}

inline std::uint64_t file_size(native_file f, error_code& ec) noexcept {
    if (!seek_file(f, 0, SEEK_END)) {
        ec = last_file_error();
        return 0;
    }
#if defined(_WIN32)
    const long long end = ::_ftelli64(f);
#else
    const long end = std::ftell(f);
#endif
    if (end < 0) {
        ec = last_file_error();
        return 0;
    }
    ec = {};
    return static_cast<std::uint64_t>(end);
}

inline std::size_t read_file_at(native_file f, std::uint64_t offset, char* p, std::size_t n,
                                error_code& ec) noexcept {
    if (!seek_file(f, offset, SEEK_SET)) {
        ec = last_file_error();
        return 0;
    }
    const std::size_t got = std::fread(p, 1, n, f);
    if (got == 0 && n != 0) {
        ec = std::ferror(f) ? last_file_error() : error_code(asio::error::eof);
        std::clearerr(f);
        return 0;
    }
    ec = {};
    return got;
}

#endif

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_FILE_IO_HPP
