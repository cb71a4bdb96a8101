// expect: success
// A user's plain stream whose stream_traits names only tls and upgradable
// (no policy) is driven as a plain stream, and names every member of the
// channel that depends on the policy.
#include <asynchat/async_chat.hpp>

#include "../support/asio.hpp"

struct my_socket : asio::ip::tcp::socket {
    using asio::ip::tcp::socket::socket;
};

template <>
struct asynchat::stream_traits<my_socket> {
    static constexpr bool tls = false;
    static constexpr bool upgradable = false;
};

class session : public asynchat::async_chat<session, my_socket> {
public:
    explicit session(my_socket s) : async_chat(std::move(s)) {}
    void collect_incoming_data(std::string_view) {}
    void found_terminator() {}
};

static_assert(session::sends_files_zero_copy || !session::sends_files_zero_copy);

int main() {
    asio::io_context ctx;
    std::make_shared<session>(my_socket(ctx))->start();
}
