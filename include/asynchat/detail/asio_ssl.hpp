// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_ASIO_SSL_HPP
#define ASYNCHAT_DETAIL_ASIO_SSL_HPP

// Asio's TLS layer (needs OpenSSL: link asynchat::tls), from the Asio chosen
// in <asynchat/detail/asio.hpp>: `asynchat::asio::ssl` is `boost::asio::ssl`
// or `asio::ssl`.

#include <asynchat/detail/asio.hpp>

#if defined(ASYNCHAT_USE_BOOST_ASIO)
#include <boost/asio/ssl.hpp>
#else
#include <asio/ssl.hpp>
#endif

#endif // ASYNCHAT_DETAIL_ASIO_SSL_HPP
