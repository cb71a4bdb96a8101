// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_STRAND_CHECK_HPP
#define ASYNCHAT_DETAIL_STRAND_CHECK_HPP

#include <asynchat/detail/asio.hpp>

#include <memory>
#include <type_traits>
#include <typeinfo>
#include <variant>

namespace asynchat::detail {

template <class Executor>
struct is_strand : std::false_type {};
template <class Inner>
struct is_strand<asio::strand<Inner>> : std::true_type {};

// Tells whether a call made on this thread must be posted to the channel's
// strand. Decided once, from the executor the channel was built with: a
// channel on a strand accepts calls from any thread; a channel on a plain
// executor is single-threaded, as in Asio ("shared objects: unsafe").
template <class Executor>
class strand_check {
public:
    explicit strand_check(const Executor& ex) {
        if constexpr (is_strand<Executor>::value) {
            strand_ = ex;
        } else if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
            // Asio 1.22's target<T>() casts without checking: compare types first.
            using io_strand = asio::strand<asio::io_context::executor_type>;
            using any_strand = asio::strand<asio::any_io_executor>;
            if (ex.target_type() == typeid(io_strand))
                strand_ = *ex.template target<io_strand>();
            else if (ex.target_type() == typeid(any_strand))
                strand_ = std::make_unique<any_strand>(*ex.template target<any_strand>());
        }
    }

    // True if the channel runs on a strand.
    [[nodiscard]] bool on_strand() const noexcept { return strand_.index() != 0; }

    // True if the channel runs on a strand that is not running on this thread.
    [[nodiscard]] bool must_post() const noexcept {
        if (!on_strand()) return false;  // the common case, without a visit
        return std::visit(
            [](const auto& s) {
                using held = std::decay_t<decltype(s)>;
                if constexpr (std::is_same_v<held, std::monostate>) return false;
                else if constexpr (std::is_same_v<held, boxed_any_strand>) return !s->running_in_this_thread();
                else return !s.running_in_this_thread();
            },
            strand_);
    }

private:
    // What is kept is part of every channel: a strand over an
    // any_io_executor (72 bytes) is rare and kept behind a pointer; an
    // executor that can hold no strand (io_context's own) keeps nothing.
    using boxed_any_strand = std::unique_ptr<asio::strand<asio::any_io_executor>>;
    using stored = std::conditional_t<
        is_strand<Executor>::value, std::variant<std::monostate, Executor>,
        std::conditional_t<std::is_same_v<Executor, asio::any_io_executor>,
                           std::variant<std::monostate, asio::strand<asio::io_context::executor_type>,
                                        boxed_any_strand>,
                           std::variant<std::monostate>>>;
    stored strand_;
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_STRAND_CHECK_HPP
