// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_REPORT_HPP
#define ASYNCHAT_DETAIL_REPORT_HPP

#include <exception>
#include <iostream>

namespace asynchat::detail {

// One line on stderr for an exception no hook handled, as Python's asyncore
// prints "uncaptured python exception, closing channel". `where` completes
// the sentence: ", closing channel", " in handle_accepted".
inline void print_uncaptured(std::exception_ptr error, const char* where) noexcept {
    try {
        if (error) std::rethrow_exception(error);
    } catch (const std::exception& e) {
        std::cerr << "asynchat: uncaptured exception" << where << ": " << e.what() << '\n';
    } catch (...) {
        std::cerr << "asynchat: uncaptured exception" << where << '\n';
    }
}

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_REPORT_HPP
