// echo_server: the smallest asynchat server. Every line it receives
// (ended by "\r\n" or "\n") is sent back; "quit" says goodbye and closes.
//
// Try it:
//   ./echo_server --port 7007 &
//   printf 'hello\r\nworld\r\nquit\r\n' | nc 127.0.0.1 7007
//
// What it shows: a string terminator, the ready-made collector
// (_collect_incoming_data / _get_data), push, close_when_done (also at EOF:
// a client that shuts down its sending side still gets every answer), and
// the ready-made server that makes one channel per connection.
#include "../common/serve.hpp"

#include <asynchat/asynchat.hpp>

#include <string>

class echo_channel : public asynchat::async_chat<echo_channel> {
public:
    explicit echo_channel(asio::ip::tcp::socket socket) : async_chat(std::move(socket)) {
        set_terminator("\n");
    }

    void collect_incoming_data(std::string_view data) {
        if (pending_ + data.size() > max_line) {  // a line that never ends
            push("error: line too long\r\n");
            close_when_done();
            return;
        }
        pending_ += data.size();
        _collect_incoming_data(data);
    }

    void found_terminator() {
        std::string line = _get_data();
        pending_ = 0;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line == "quit") {
            push("bye\r\n");
            close_when_done();
            return;
        }
        push(std::move(line) + "\r\n");
    }

    // The client finished sending: answer everything it sent, then close
    // (the default would close at once and drop the answers still queued).
    void handle_eof() { close_when_done(); }

private:
    static constexpr std::size_t max_line = 64 * 1024;
    std::size_t pending_ = 0;
};

int main(int argc, char** argv) {
    return examples::serve<echo_channel>("echo_server", 7007, argc, argv);
}
