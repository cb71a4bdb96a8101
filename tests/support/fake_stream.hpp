// A scripted in-memory stream for channel tests: the test feeds input and
// errors, limits or holds writes, and inspects every write. Completions are
// posted to the executor, never run inline, as Asio requires.
#ifndef ASYNCHAT_TESTS_SUPPORT_FAKE_STREAM_HPP
#define ASYNCHAT_TESTS_SUPPORT_FAKE_STREAM_HPP

#include "asio.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace test {

struct fake_protocol {
    struct endpoint {};
};

struct fake_state {
    explicit fake_state(asio::any_io_executor e) : ex(std::move(e)) {}

    asio::any_io_executor ex;
    bool open = true;

    // Input side.
    std::deque<std::variant<std::string, asynchat::error_code>> input;
    std::function<void(asynchat::error_code, std::size_t)> read_handler;
    asio::mutable_buffer read_buffer;
    std::vector<std::size_t> read_sizes_asked;

    // Output side.
    std::string written;
    std::vector<std::size_t> write_pieces;   // buffers per write call
    std::vector<const void*> piece_addresses;
    std::size_t max_write = std::numeric_limits<std::size_t>::max();
    bool hold_writes = false;
    std::function<void()> held_write;        // completes the held write
    asynchat::error_code write_error;             // the next writes fail with this
    std::size_t writes_started = 0;

    void feed(std::string bytes) {
        input.emplace_back(std::move(bytes));
        pump();
    }
    void feed_error(asynchat::error_code ec) {
        input.emplace_back(ec);
        pump();
    }
    void eof() { feed_error(asio::error::eof); }

    bool read_pending() const { return static_cast<bool>(read_handler); }

    // Completes the held write (if any).
    void release_write() {
        if (auto h = std::exchange(held_write, nullptr)) h();
    }

    void pump() {
        if (!read_handler || input.empty()) return;
        auto handler = std::exchange(read_handler, nullptr);
        auto item = std::move(input.front());
        input.pop_front();
        if (auto* ec = std::get_if<asynchat::error_code>(&item)) {
            asio::post(ex, [handler, ec = *ec] { handler(ec, 0); });
            return;
        }
        auto& bytes = std::get<std::string>(item);
        const std::size_t n = std::min(bytes.size(), read_buffer.size());
        std::memcpy(read_buffer.data(), bytes.data(), n);
        if (n < bytes.size()) input.emplace_front(bytes.substr(n));
        asio::post(ex, [handler, n] { handler(asynchat::error_code(), n); });
    }
};

class fake_stream {
public:
    using executor_type = asio::any_io_executor;
    using lowest_layer_type = fake_stream;
    using protocol_type = fake_protocol;

    explicit fake_stream(std::shared_ptr<fake_state> state) : state_(std::move(state)) {}

    executor_type get_executor() { return state_->ex; }
    lowest_layer_type& lowest_layer() { return *this; }
    bool is_open() const { return state_->open; }

    void close(asynchat::error_code& ec) {
        ec = {};
        state_->open = false;
        if (auto h = std::exchange(state_->read_handler, nullptr))
            asio::post(state_->ex, [h] { h(asio::error::operation_aborted, 0); });
        state_->release_write();
    }

    template <class MutableBuffers, class Handler>
    void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        state_->read_buffer = *asio::buffer_sequence_begin(buffers);
        state_->read_sizes_asked.push_back(state_->read_buffer.size());
        state_->read_handler = std::forward<Handler>(handler);
        if (!state_->open) {
            auto h = std::exchange(state_->read_handler, nullptr);
            asio::post(state_->ex, [h] { h(asio::error::bad_descriptor, 0); });
            return;
        }
        state_->pump();
    }

    template <class ConstBuffers, class Handler>
    void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        ++state_->writes_started;
        std::size_t pieces = 0;
        std::string bytes;
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
            asio::const_buffer b(*it);
            ++pieces;
            state_->piece_addresses.push_back(b.data());
            bytes.append(static_cast<const char*>(b.data()), b.size());
        }
        state_->write_pieces.push_back(pieces);
        std::function<void(asynchat::error_code, std::size_t)> h = std::forward<Handler>(handler);
        if (!state_->open || state_->write_error) {
            const asynchat::error_code ec = state_->open ? state_->write_error : asio::error::bad_descriptor;
            asio::post(state_->ex, [h, ec] { h(ec, 0); });
            return;
        }
        const std::size_t n = std::min(bytes.size(), state_->max_write);
        auto complete = [st = state_, h, bytes, n] {
            if (!st->open) {
                asio::post(st->ex, [h] { h(asio::error::operation_aborted, 0); });
                return;
            }
            st->written.append(bytes, 0, n);
            asio::post(st->ex, [h, n] { h(asynchat::error_code(), n); });
        };
        if (state_->hold_writes) state_->held_write = complete;
        else complete();
    }

private:
    std::shared_ptr<fake_state> state_;
};

} // namespace test

#endif // ASYNCHAT_TESTS_SUPPORT_FAKE_STREAM_HPP
