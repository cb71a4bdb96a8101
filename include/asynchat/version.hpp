// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_VERSION_HPP
#define ASYNCHAT_VERSION_HPP

/// The library version, as major * 10000 + minor * 100 + patch.
#define ASYNCHAT_VERSION 100
#define ASYNCHAT_VERSION_STRING "0.1.0"

#endif // ASYNCHAT_VERSION_HPP
