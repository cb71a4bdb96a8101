// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_ANY_PRODUCER_HPP
#define ASYNCHAT_DETAIL_ANY_PRODUCER_HPP

#include <asynchat/producer.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asynchat::detail {

// A queued producer of any type, behind one virtual call per piece.
class any_producer {
public:
    virtual ~any_producer() = default;
    // The next piece; empty when exhausted.
    virtual std::string more() = 0;
};

template <class P>
class producer_holder final : public any_producer {
public:
    template <class Arg>
    explicit producer_holder(Arg&& p) : p_(std::forward<Arg>(p)) {}

    std::string more() override {
        using result = decltype(call_more(p_));
        if constexpr (std::is_same_v<result, std::string>) {
            return call_more(p_);  // moved, never copied
        } else if constexpr (std::is_pointer_v<std::decay_t<result>>) {
            const char* s = call_more(p_);  // a C string; null means exhausted
            return s ? std::string(s) : std::string();
        } else if constexpr (std::is_convertible_v<result, std::string_view>) {
            return std::string(std::string_view(call_more(p_)));
        } else {
            return std::string(call_more(p_));
        }
    }

private:
    P p_;
};

template <class P>
std::unique_ptr<any_producer> make_any_producer(P&& p) {
    return std::make_unique<producer_holder<std::decay_t<P>>>(std::forward<P>(p));
}

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_ANY_PRODUCER_HPP
