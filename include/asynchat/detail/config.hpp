// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_CONFIG_HPP
#define ASYNCHAT_DETAIL_CONFIG_HPP

// For the few functions on the per-record path that compilers decline to
// inline although they are a handful of instructions (push, the terminator
// search): measured with callgrind, each call otherwise costs more than its
// body. See bench/.
#if defined(__GNUC__) || defined(__clang__)
#define ASYNCHAT_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ASYNCHAT_ALWAYS_INLINE inline
#endif

#endif // ASYNCHAT_DETAIL_CONFIG_HPP
