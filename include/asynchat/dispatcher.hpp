// Copyright (c) 2026 The asynchat for C++ authors.
// Distributed under the Boost Software License, Version 1.0 (see LICENSE).
#ifndef ASYNCHAT_DISPATCHER_HPP
#define ASYNCHAT_DISPATCHER_HPP

#include <asynchat/detail/hooks.hpp>
#include <asynchat/detail/report.hpp>

#include <asynchat/detail/asio.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

namespace asynchat {

/// How `dispatcher::listen()` sets up the listening socket.
struct listen_options {
    /// The queue of connections not yet accepted.
    int backlog = asio::socket_base::max_listen_connections;
    /// SO_REUSEPORT (Linux, BSD): several listeners, typically one per thread
    /// and `io_context`, share the port and the kernel spreads connections.
    bool reuse_port = false;
};

namespace detail {
// SO_REUSEPORT as an Asio settable socket option.
class reuse_port_option {
public:
    explicit reuse_port_option(bool on) noexcept : value_(on ? 1 : 0) {}
    template <class Protocol> int level(const Protocol&) const noexcept { return SOL_SOCKET; }
#if defined(SO_REUSEPORT)
    template <class Protocol> int name(const Protocol&) const noexcept { return SO_REUSEPORT; }
#else
    template <class Protocol> int name(const Protocol&) const noexcept { return -1; }
#endif
    template <class Protocol> const int* data(const Protocol&) const noexcept { return &value_; }
    template <class Protocol> std::size_t size(const Protocol&) const noexcept { return sizeof(value_); }

private:
    int value_;
};
} // namespace detail

/// A listening socket that hands each accepted connection to a hook: Python's
/// listening `asyncore.dispatcher` with `handle_accepted(sock, addr)`.
///
///     class acceptor : public asynchat::dispatcher<acceptor> {
///     public:
///         explicit acceptor(asio::io_context& ctx) : dispatcher(ctx) {}
///         // Required:
///         void handle_accepted(socket_type socket, const endpoint_type& peer) {
///             std::make_shared<session>(std::move(socket))->start();
///         }
///         // Optional, shown with what the defaults do:
///         // void handle_error(const asynchat::error_code&) {}  // accept failed: retried
///         // void handle_error(std::exception_ptr)         // handle_accepted threw:
///         //     { print one line to stderr }              // accepting goes on
///         // executor_type executor_for_connection()      // where sockets live
///         //     { return get_executor(); }
///     };
///     acceptor a(ctx);
///     a.listen({asio::ip::make_address("127.0.0.1"), 8080});
///
/// Accepting never stops on its own: after an error (`EMFILE` when out of
/// descriptors, say) the hook is told and accepting resumes after
/// `accept_retry_delay`, so descriptor exhaustion does not spin the CPU.
/// Unlike Python's dispatcher, an exception from `handle_accepted` does not
/// close the listening socket.
///
/// The object may live on the stack or in a `shared_ptr`; destroying it (on the
/// thread that runs its executor, or after `run()` returned) stops accepting.
///
/// @tparam Derived the user's class (CRTP).
/// @tparam Protocol `asio::ip::tcp` (default) or `asio::local::stream_protocol`.
template <class Derived, class Protocol = asio::ip::tcp>
class dispatcher {
public:
    using protocol_type = Protocol;
    using acceptor_type = typename Protocol::acceptor;
    using socket_type = typename Protocol::socket;
    using endpoint_type = typename Protocol::endpoint;
    using executor_type = typename acceptor_type::executor_type;

    /// Wait before accepting again after an accept error.
    static constexpr std::chrono::milliseconds accept_retry_delay{100};

    dispatcher(const dispatcher&) = delete;
    dispatcher& operator=(const dispatcher&) = delete;

    /// Opens, binds (with SO_REUSEADDR for TCP) and listens on `local`, then
    /// accepts connections, calling `handle_accepted` for each.
    /// @throws `std::system_error` (`boost::system::system_error` on
    ///         Boost.Asio) if the socket cannot be opened, bound or
    ///         put in listening mode (the address is in use, say), or if
    ///         `reuse_port` is asked for where the system lacks it.
    void listen(const endpoint_type& local, const listen_options& options = {}) {
        state_->owner = static_cast<Derived*>(this);
        acceptor_type& a = state_->acceptor;
        a.open(local.protocol());
        if constexpr (std::is_same_v<Protocol, asio::ip::tcp>)
            a.set_option(asio::socket_base::reuse_address(true));
        if (options.reuse_port) a.set_option(detail::reuse_port_option(true));
        a.bind(local);
        a.listen(options.backlog);
        accept_next(state_);
    }

    /// Stops accepting and closes the listening socket. Connections already
    /// accepted are not affected. Idempotent.
    void close() noexcept {
        error_code ignored;
        state_->acceptor.close(ignored);
        state_->retry.cancel();
    }

    /// True while the listening socket is open.
    [[nodiscard]] bool listening() const noexcept { return state_->acceptor.is_open(); }

    /// The address actually bound (useful after binding port 0).
    [[nodiscard]] endpoint_type local_endpoint() const { return state_->acceptor.local_endpoint(); }

    [[nodiscard]] executor_type get_executor() noexcept { return state_->acceptor.get_executor(); }

    /// The listening socket, for options.
    [[nodiscard]] acceptor_type& acceptor() noexcept { return state_->acceptor; }

    // --------------------------------------------- default (optional) hooks

    /// Called when accepting failed; accepting resumes after `accept_retry_delay`.
    void handle_error(const error_code& /*ec*/) {}

    /// Called, inside the `catch` block, when `handle_accepted` threw. Prints
    /// one line to stderr; accepting goes on.
    void handle_error(std::exception_ptr error) { detail::print_uncaptured(error, " in handle_accepted"); }

    /// The executor each accepted socket (and so its channel) will use.
    [[nodiscard]] executor_type executor_for_connection() { return get_executor(); }

protected:
    explicit dispatcher(asio::io_context& ctx) : dispatcher(ctx.get_executor()) {}
    explicit dispatcher(const executor_type& ex) : state_(std::make_shared<shared_state>(ex)) {}

    ~dispatcher() {
        static_assert(detail::has_handle_accepted<Derived, socket_type, endpoint_type>::value,
                      "asynchat::dispatcher: Derived must define a public "
                      "'void handle_accepted(socket_type socket, const endpoint_type& peer)'");
        state_->owner = nullptr;  // pending handlers find no one to call
        close();
    }

private:
    // What pending operations hold on to: it outlives the dispatcher if an
    // accept or a retry wait is still queued when the dispatcher goes.
    struct shared_state {
        explicit shared_state(const executor_type& ex) : acceptor(ex), retry(ex) {}
        acceptor_type acceptor;
        asio::steady_timer retry;
        Derived* owner = nullptr;  // set by listen(), cleared by the destructor
    };

    static void accept_next(const std::shared_ptr<shared_state>& st) {
        if (st->owner == nullptr || !st->acceptor.is_open()) return;
        st->acceptor.async_accept(st->owner->executor_for_connection(),
                                  [st](const error_code& ec, socket_type socket) {
                                      on_accept(st, ec, std::move(socket));
                                  });
    }

    static void on_accept(const std::shared_ptr<shared_state>& st, const error_code& ec,
                          socket_type socket) {
        Derived* owner = st->owner;
        if (owner == nullptr || ec == asio::error::operation_aborted) return;
        if (ec) {
            report(*owner, ec);
            if (st->owner == nullptr) return;
            st->retry.expires_after(accept_retry_delay);
            st->retry.async_wait([st](const error_code& wait_ec) {
                if (!wait_ec) accept_next(st);
            });
            return;
        }
        error_code peer_ec;
        const endpoint_type peer = socket.remote_endpoint(peer_ec);
        if (!peer_ec) {  // else the peer already left: nothing to hand over
            try {
                owner->handle_accepted(std::move(socket), peer);
            } catch (...) {
                report_exception(*owner);
            }
        }
        accept_next(st);
    }

    static void report(Derived& owner, const error_code& ec) noexcept {
        try {
            if constexpr (detail::has_handle_error_code<Derived>::value) owner.handle_error(ec);
            else owner.dispatcher::handle_error(ec);
        } catch (...) {
        }
    }

    static void report_exception(Derived& owner) noexcept {
        try {
            if constexpr (detail::has_handle_error_exception<Derived>::value)
                owner.handle_error(std::current_exception());
            else
                owner.dispatcher::handle_error(std::current_exception());
        } catch (...) {
        }
    }

    std::shared_ptr<shared_state> state_;
};

} // namespace asynchat

#endif // ASYNCHAT_DISPATCHER_HPP
