// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_REPORT_HPP
#define ASYNCHAT_DETAIL_REPORT_HPP

#include <cstdio>
#include <exception>

namespace asynchat::detail {

// One line on stderr for an exception no hook handled, as Python's asyncore
// prints "uncaptured python exception, closing channel". `where` completes
// the sentence: ", closing channel", " in handle_accepted".
inline void print_uncaptured(std::exception_ptr error, const char* where) noexcept {
    try {
        if (error) std::rethrow_exception(error);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "asynchat: uncaptured exception%s: %s\n", where, e.what());
    } catch (...) {
        std::fprintf(stderr, "asynchat: uncaptured exception%s\n", where);
    }
}

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_REPORT_HPP
