// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DETAIL_RING_HPP
#define ASYNCHAT_DETAIL_RING_HPP

#include <cstddef>
#include <memory>
#include <utility>

namespace asynchat::detail {

// A FIFO of default-constructible T in one circular array whose capacity
// doubles when full. Unlike std::deque it allocates nothing in the steady
// state (a deque frees and allocates a node every few elements that pass
// through it). Growing moves the elements: pointers and references into the
// ring are invalidated by push().
template <class T>
class ring {
public:
    ring() = default;
    ring(ring&& o) noexcept
        : slots_(std::move(o.slots_)), capacity_(std::exchange(o.capacity_, 0)),
          head_(std::exchange(o.head_, 0)), size_(std::exchange(o.size_, 0)) {}
    ring& operator=(ring&& o) noexcept {
        slots_ = std::move(o.slots_);
        capacity_ = std::exchange(o.capacity_, 0);
        head_ = std::exchange(o.head_, 0);
        size_ = std::exchange(o.size_, 0);
        return *this;
    }
    ring(const ring&) = delete;
    ring& operator=(const ring&) = delete;

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

private:
    void grow() {
        const std::size_t capacity = capacity_ == 0 ? 8 : 2 * capacity_;
        std::unique_ptr<T[]> slots(new T[capacity]);
        for (std::size_t i = 0; i < size_; ++i) slots[i] = std::move((*this)[i]);
        slots_ = std::move(slots);
        capacity_ = capacity;
        head_ = 0;
    }

    std::unique_ptr<T[]> slots_;
    std::size_t capacity_ = 0;  // 0 or a power of two
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

} // namespace asynchat::detail

#endif // ASYNCHAT_DETAIL_RING_HPP
