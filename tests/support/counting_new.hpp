// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
//
// Replaces the global operator new/delete with versions that count the
// allocations made by the current thread while an `allocation_counter` is
// alive, and can make the Nth allocation from now throw `std::bad_alloc`
// (set `fail_in` to N; it reads 0 once the failure was injected), to check
// the strong guarantee.
//
// Include it in exactly one translation unit of a test executable, and only
// in executables built without sanitizers (they replace operator new too).
// Define COUNTING_NEW_ALIGNED_ALLOC first to count aligned_alloc calls too
// (Asio's operations: see below).
#ifndef ASYNCHAT_TESTS_SUPPORT_COUNTING_NEW_HPP
#define ASYNCHAT_TESTS_SUPPORT_COUNTING_NEW_HPP

#include <cstddef>
#include <cstdlib>
#include <new>

namespace counting_new {
inline thread_local bool counting = false;
inline thread_local std::size_t allocations = 0;
inline thread_local std::size_t fail_in = 0;  // if not 0: the fail_in-th allocation from now throws

inline void* allocate(std::size_t n) {
    if (counting) ++allocations;
    if (fail_in != 0 && --fail_in == 0) throw std::bad_alloc();
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}

/// Counts the allocations this thread makes for the lifetime of the object.
class allocation_counter {
public:
    allocation_counter() {
        allocations = 0;
        counting = true;
    }
    ~allocation_counter() { counting = false; }
    allocation_counter(const allocation_counter&) = delete;
    allocation_counter& operator=(const allocation_counter&) = delete;
    std::size_t count() const { return allocations; }
};

} // namespace counting_new

#if defined(COUNTING_NEW_ALIGNED_ALLOC)
// Asio's operations (Asio >= 1.22 on glibc) come from std::aligned_alloc, not
// operator new: this definition in the executable replaces the C library's,
// so they are counted too. Memory from posix_memalign is freed by free().
extern "C" void* aligned_alloc(std::size_t align, std::size_t size) noexcept {
    if (counting_new::counting) ++counting_new::allocations;
    void* p = nullptr;
    if (posix_memalign(&p, align < sizeof(void*) ? sizeof(void*) : align, size == 0 ? 1 : size) != 0) return nullptr;
    return p;
}
#endif

void* operator new(std::size_t n) { return counting_new::allocate(n); }
void* operator new[](std::size_t n) { return counting_new::allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

#endif // ASYNCHAT_TESTS_SUPPORT_COUNTING_NEW_HPP
