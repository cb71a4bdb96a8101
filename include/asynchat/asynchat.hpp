// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_ASYNCHAT_HPP
#define ASYNCHAT_ASYNCHAT_HPP

// Umbrella header: every public header of the library, no code of its own.

#include <asynchat/version.hpp>

// Socket-free: the terminator, the framing core and the output queue.
#include <asynchat/fifo.hpp>
#include <asynchat/find_prefix_at_end.hpp>
#include <asynchat/framer.hpp>
#include <asynchat/output_queue.hpp>
#include <asynchat/producer.hpp>
#include <asynchat/terminator.hpp>

// On Asio: the channel and the listeners.
#include <asynchat/async_chat.hpp>
#include <asynchat/dispatcher.hpp>
#include <asynchat/framed_stream.hpp>
#include <asynchat/server.hpp>

#endif // ASYNCHAT_ASYNCHAT_HPP
