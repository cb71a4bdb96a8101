# Can this compiler co_await Asio's awaitables with -std=c++20?
# Sets ASYNCHAT_COROUTINES (ON/OFF), ASYNCHAT_COROUTINE_DEFINITIONS (what the
# coroutine targets must define) and ASYNCHAT_COROUTINE_OPTIONS (compile
# options for them) in the including directory; the probes
# are cached, so including it again (tests/, examples/) costs nothing.
#
# Asio 1.22 (Debian 12) enables co_await for clang only with libc++'s
# <experimental/coroutine>; clang 14 with libstdc++'s <coroutine> works once
# ASIO_HAS_CO_AWAIT is defined, so that is tried second.

include(CheckCXXSourceCompiles)

set(_asynchat_coro_probe [=[
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#if !defined(ASIO_HAS_CO_AWAIT)
#error "no co_await support in Asio"
#endif
asio::awaitable<int> one() { co_return 1; }
int main() {
    asio::io_context ctx;
    asio::co_spawn(ctx, one(), asio::detached);
    ctx.run();
}
]=])

get_target_property(_asynchat_asio_includes asio::asio INTERFACE_INCLUDE_DIRECTORIES)
set(CMAKE_REQUIRED_QUIET ON)
set(CMAKE_REQUIRED_FLAGS -std=c++20)
if(_asynchat_asio_includes)
    set(CMAKE_REQUIRED_INCLUDES ${_asynchat_asio_includes})
endif()
set(CMAKE_REQUIRED_LIBRARIES Threads::Threads)
check_cxx_source_compiles("${_asynchat_coro_probe}" ASYNCHAT_CO_AWAIT_NATIVE)
set(ASYNCHAT_COROUTINE_DEFINITIONS "")
if(ASYNCHAT_CO_AWAIT_NATIVE)
    set(ASYNCHAT_COROUTINES ON)
else()
    set(CMAKE_REQUIRED_DEFINITIONS -DASIO_HAS_CO_AWAIT=1)
    check_cxx_source_compiles("${_asynchat_coro_probe}" ASYNCHAT_CO_AWAIT_FORCED)
    if(ASYNCHAT_CO_AWAIT_FORCED)
        set(ASYNCHAT_COROUTINES ON)
        set(ASYNCHAT_COROUTINE_DEFINITIONS ASIO_HAS_CO_AWAIT=1)
    else()
        set(ASYNCHAT_COROUTINES OFF)
        message(STATUS "asynchat: ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION} cannot "
                       "co_await Asio awaitables in C++20: the coroutine tests and "
                       "examples/kv_coro are not built")
    endif()
endif()
# g++ 12 with optimisation flags Asio's awaitable frame allocation (its own
# operator new/delete pair, over aligned_alloc) as mismatched: a false positive.
set(ASYNCHAT_COROUTINE_OPTIONS $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
unset(CMAKE_REQUIRED_QUIET)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_DEFINITIONS)
unset(CMAKE_REQUIRED_LIBRARIES)
