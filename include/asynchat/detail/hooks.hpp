// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_HOOKS_HPP
#define ASYNCHAT_DETAIL_HOOKS_HPP

#include <exception>
#include <string_view>
#include <asynchat/detail/error_code.hpp>
#include <system_error>
#include <type_traits>
#include <utility>

// Detection of the hooks a user's class declares. A hook is found only if it
// is callable from outside the class: hooks must be public.
namespace asynchat::detail {

template <class T, class = void>
struct has_collect_incoming_data : std::false_type {};
template <class T>
struct has_collect_incoming_data<
    T, std::void_t<decltype(std::declval<T&>().collect_incoming_data(std::declval<std::string_view>()))>>
    : std::true_type {};

template <class T, class = void>
struct has_found_terminator : std::false_type {};
template <class T>
struct has_found_terminator<T, std::void_t<decltype(std::declval<T&>().found_terminator())>>
    : std::true_type {};

// handle_error comes in three shapes. A Derived that declares one of them
// hides the base's defaults for the others (C++ name hiding), so each call
// site checks which shape is reachable and falls back to the base default.
template <class T, class = void>
struct has_handle_error_code : std::false_type {};
template <class T>
struct has_handle_error_code<
    T, std::void_t<decltype(std::declval<T&>().handle_error(std::declval<const error_code&>()))>>
    : std::true_type {};

template <class T, class = void>
struct has_handle_error_exception : std::false_type {};
template <class T>
struct has_handle_error_exception<
    T, std::void_t<decltype(std::declval<T&>().handle_error(std::declval<std::exception_ptr>()))>>
    : std::true_type {};

template <class T, class = void>
struct has_handle_error_noargs : std::false_type {};
template <class T>
struct has_handle_error_noargs<T, std::void_t<decltype(std::declval<T&>().handle_error())>>
    : std::true_type {};

template <class T, class Socket, class Endpoint, class = void>
struct has_handle_accepted : std::false_type {};
template <class T, class Socket, class Endpoint>
struct has_handle_accepted<T, Socket, Endpoint,
                           std::void_t<decltype(std::declval<T&>().handle_accepted(
                               std::declval<Socket>(), std::declval<const Endpoint&>()))>>
    : std::true_type {};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_HOOKS_HPP
