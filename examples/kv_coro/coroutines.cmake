# Can this compiler co_await Asio's awaitables with -std=c++20?
# Sets ASYNCHAT_COROUTINES (ON/OFF), ASYNCHAT_COROUTINE_DEFINITIONS (what the
# coroutine targets must define) and ASYNCHAT_COROUTINE_OPTIONS (compile
# options for them) in the including directory; the probes
# are cached, so including it again (tests/, examples/) costs nothing.
#
# Asio 1.22 (Debian 12) enables co_await for clang only with libc++'s
# <experimental/coroutine>; clang 14 with libstdc++'s <coroutine> works once
# ASIO_HAS_CO_AWAIT is defined, so that is tried second. Boost.Asio 1.74
# (ASYNCHAT_ASIO=boost) is the same with BOOST_ASIO_HAS_CO_AWAIT.

include(CheckCXXSourceCompiles)

if(ASYNCHAT_ASIO STREQUAL "boost")
    set(_asynchat_asio_macro BOOST_ASIO)
    set(_asynchat_asio_dir boost/asio)
    set(_asynchat_asio_ns boost::asio)
else()
    set(_asynchat_asio_macro ASIO)
    set(_asynchat_asio_dir asio)
    set(_asynchat_asio_ns ::asio)
endif()
# <utility> first: Boost 1.74's awaitable.hpp uses std::exchange without it
# (real programs include it long before; clang with libstdc++ notices).
set(_asynchat_coro_probe "
#include <utility>
#include <${_asynchat_asio_dir}/awaitable.hpp>
#include <${_asynchat_asio_dir}/co_spawn.hpp>
#include <${_asynchat_asio_dir}/detached.hpp>
#include <${_asynchat_asio_dir}/io_context.hpp>
#include <${_asynchat_asio_dir}/use_awaitable.hpp>
#if !defined(${_asynchat_asio_macro}_HAS_CO_AWAIT)
#error \"no co_await support in Asio\"
#endif
namespace net = ${_asynchat_asio_ns};
net::awaitable<int> one() { co_return 1; }
int main() {
    net::io_context ctx;
    net::co_spawn(ctx, one(), net::detached);
    ctx.run();
}
")

get_target_property(_asynchat_asio_includes ${ASYNCHAT_ASIO_TARGET} INTERFACE_INCLUDE_DIRECTORIES)
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
    set(CMAKE_REQUIRED_DEFINITIONS -D${_asynchat_asio_macro}_HAS_CO_AWAIT=1)
    check_cxx_source_compiles("${_asynchat_coro_probe}" ASYNCHAT_CO_AWAIT_FORCED)
    if(ASYNCHAT_CO_AWAIT_FORCED)
        set(ASYNCHAT_COROUTINES ON)
        set(ASYNCHAT_COROUTINE_DEFINITIONS ${_asynchat_asio_macro}_HAS_CO_AWAIT=1)
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
