// The in-memory stream of fake_stream.hpp, able to transfer at once as a
// socket does: it can report readability (async_wait), and it reads and
// writes without blocking (read_some_at_once, write_some_at_once), which
// is what a channel's stream policy looks for to try transfers at once
// inside the channel's own completions (detail::has_at_once_io). The
// protocol channels' at-once path is then tested without sockets, at every
// cut of the input.
//
// Reads at once take what one fed piece holds (as the asynchronous reads
// do), so a test's cuts stay cuts; writes at once take at most `room` bytes
// (then would_block until the test gives more room) and fail with
// `write_error` as the asynchronous ones do.
#ifndef ASYNCHAT_TESTS_SUPPORT_AT_ONCE_STREAM_HPP
#define ASYNCHAT_TESTS_SUPPORT_AT_ONCE_STREAM_HPP

#include "fake_stream.hpp"

#include "asio.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace test {

struct at_once_state : fake_state {
    using fake_state::fake_state;

    std::function<void(asynchat::error_code)> wait_handler;  // async_wait(wait_read)
    std::size_t room = std::numeric_limits<std::size_t>::max();  // bytes a write at once may take now
    std::size_t reads_at_once = 0;   // reads completed at once (bytes, EOF or error)
    std::size_t writes_at_once = 0;  // writes completed at once (bytes or error)
    std::size_t waits = 0;           // waits for readability started

    void feed(std::string bytes) {
        input.emplace_back(std::move(bytes));
        wake();
        pump();
    }
    void feed_error(asynchat::error_code ec) {
        input.emplace_back(ec);
        wake();
        pump();
    }
    void eof() { feed_error(asio::error::eof); }

    // Completes the wait for readability, if input is there.
    void wake() {
        if (!wait_handler || input.empty()) return;
        auto h = std::exchange(wait_handler, nullptr);
        asio::post(ex, [h] { h(asynchat::error_code()); });
    }
};

class at_once_stream : public fake_stream {
public:
    using lowest_layer_type = at_once_stream;

    explicit at_once_stream(std::shared_ptr<at_once_state> state) : fake_stream(state), state_(std::move(state)) {}

    lowest_layer_type& lowest_layer() { return *this; }

    void close(asynchat::error_code& ec) {
        fake_stream::close(ec);
        if (auto h = std::exchange(state_->wait_handler, nullptr))
            asio::post(state_->ex, [h] { h(asio::error::operation_aborted); });
    }

    template <class Handler>
    void async_wait(asio::socket_base::wait_type, Handler&& handler) {
        ++state_->waits;
        state_->wait_handler = std::forward<Handler>(handler);
        if (!state_->open) {
            auto h = std::exchange(state_->wait_handler, nullptr);
            asio::post(state_->ex, [h] { h(asio::error::bad_descriptor); });
            return;
        }
        state_->wake();
    }

    // What one fed piece holds (at most b.size() bytes), its error, or
    // would_block when nothing was fed.
    std::size_t read_some_at_once(const asio::mutable_buffer& b, asynchat::error_code& ec) {
        if (!state_->open) {
            ec = asio::error::bad_descriptor;
            return 0;
        }
        if (state_->input.empty()) {
            ec = asio::error::would_block;
            return 0;
        }
        ++state_->reads_at_once;
        auto item = std::move(state_->input.front());
        state_->input.pop_front();
        if (auto* e = std::get_if<asynchat::error_code>(&item)) {
            ec = *e;
            return 0;
        }
        auto& bytes = std::get<std::string>(item);
        const std::size_t n = std::min(bytes.size(), b.size());
        std::memcpy(b.data(), bytes.data(), n);
        if (n < bytes.size()) state_->input.emplace_front(bytes.substr(n));
        ec = {};
        return n;
    }

    // Takes at most `room` (and `max_write`) bytes now; would_block when
    // there is no room.
    template <class ConstBuffers>
    std::size_t write_some_at_once(const ConstBuffers& buffers, asynchat::error_code& ec) {
        if (!state_->open || state_->write_error) {
            ++state_->writes_at_once;
            ec = state_->open ? state_->write_error : asynchat::error_code(asio::error::bad_descriptor);
            return 0;
        }
        std::size_t n = std::min(state_->room, state_->max_write);
        if (n == 0) {
            ec = asio::error::would_block;
            return 0;
        }
        ++state_->writes_at_once;
        std::size_t taken = 0;
        for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers) && n != 0; ++it) {
            const asio::const_buffer piece(*it);
            const std::size_t k = std::min(piece.size(), n);
            state_->written.append(static_cast<const char*>(piece.data()), k);
            taken += k;
            n -= k;
        }
        if (state_->room != std::numeric_limits<std::size_t>::max()) state_->room -= taken;
        ec = {};
        return taken;
    }

private:
    std::shared_ptr<at_once_state> state_;
};

} // namespace test

#endif // ASYNCHAT_TESTS_SUPPORT_AT_ONCE_STREAM_HPP
