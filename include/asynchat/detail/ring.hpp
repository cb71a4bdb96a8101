// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_RING_HPP
#define ASYNCHAT_DETAIL_RING_HPP

#include <asynchat/detail/buffer_cache.hpp>

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace asynchat::detail {

// A FIFO of default-constructible T in one circular array whose capacity
// doubles when full. Unlike std::deque it allocates nothing in the steady
// state (a deque frees and allocates a node every few elements that pass
// through it). Growing moves the elements: pointers and references into the
// ring are invalidated by push(). The array comes from, and goes back to, the
// thread's buffer cache (see `release_if_empty`).
template <class T>
class ring {
public:
    ring() = default;
    ring(ring&& o) noexcept
        : slots_(std::exchange(o.slots_, nullptr)), capacity_(std::exchange(o.capacity_, 0)),
          raw_bytes_(std::exchange(o.raw_bytes_, 0)), head_(std::exchange(o.head_, 0)), size_(std::exchange(o.size_, 0)) {}
    ring& operator=(ring&& o) noexcept {
        if (&o != this) {
            free_slots();
            slots_ = std::exchange(o.slots_, nullptr);
            capacity_ = std::exchange(o.capacity_, 0);
            raw_bytes_ = std::exchange(o.raw_bytes_, 0);
            head_ = std::exchange(o.head_, 0);
            size_ = std::exchange(o.size_, 0);
        }
        return *this;
    }
    ring(const ring&) = delete;
    ring& operator=(const ring&) = delete;
    ~ring() {
        size_ = 0;
        free_slots();
    }

    [[nodiscard]] bool is_empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }

    // The element `i` places from the front; unchecked.
    T& operator[](std::size_t i) noexcept { return slots_[(head_ + i) & (capacity_ - 1)]; }
    const T& operator[](std::size_t i) const noexcept { return slots_[(head_ + i) & (capacity_ - 1)]; }
    T& last() noexcept { return (*this)[size_ - 1]; }

    void push(T&& item) {
        if (size_ == capacity_) grow();
        (*this)[size_] = std::move(item);
        ++size_;
    }

    // Removes the oldest element; its slot is reset to T{} so that what it
    // held is released now.
    void drop_first() noexcept {
        slots_[head_] = T{};
        head_ = (head_ + 1) & (capacity_ - 1);
        --size_;
    }

    // Keeps the `n` oldest elements.
    void truncate(std::size_t n) noexcept {
        while (size_ > n) {
            --size_;
            (*this)[size_] = T{};
        }
    }

    void clear() noexcept {
        truncate(0);
        head_ = 0;
    }

    // Gives the array back (to the thread's buffer cache) if the ring is
    // empty: an idle owner then holds none, and the next push() takes the
    // same memory back without allocating.
    void release_if_empty() noexcept {
        if (size_ == 0) free_slots();
    }

private:
    void grow() {
        static_assert(std::is_nothrow_default_constructible_v<T> && std::is_nothrow_move_assignable_v<T> &&
                          std::is_nothrow_destructible_v<T> && alignof(T) <= alignof(std::max_align_t),
                      "asynchat::detail::ring: T must default-construct, move and destroy without throwing");
        const std::size_t capacity = capacity_ == 0 ? 8 : 2 * capacity_;
        std::size_t bytes = 0;
        std::unique_ptr<char[]> raw = buffer_cache::take(capacity * sizeof(T), bytes);
        T* slots = reinterpret_cast<T*>(raw.get());
        for (std::size_t i = 0; i < capacity; ++i) ::new (static_cast<void*>(slots + i)) T();
        raw.release();
        for (std::size_t i = 0; i < size_; ++i) slots[i] = std::move((*this)[i]);
        free_slots();
        slots_ = slots;
        capacity_ = capacity;
        raw_bytes_ = bytes;
        head_ = 0;
    }

    void free_slots() noexcept {
        if (slots_ == nullptr) return;
        for (std::size_t i = 0; i < capacity_; ++i) slots_[i].~T();
        buffer_cache::give(std::unique_ptr<char[]>(reinterpret_cast<char*>(slots_)), raw_bytes_);
        slots_ = nullptr;
        capacity_ = head_ = 0;  // size_ is the caller's: grow() has moved the elements
    }

    T* slots_ = nullptr;        // capacity_ elements in memory from buffer_cache
    std::size_t capacity_ = 0;  // 0 or a power of two
    std::size_t raw_bytes_ = 0; // bytes of that memory
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_RING_HPP
