// echo_server: the smallest asynchat server. Every line it receives
// (ended by "\r\n" or "\n") is sent back; "quit" says goodbye and closes.
//
// Try it:
//   ./echo_server --port 7007 &
//   printf 'hello\r\nworld\r\nquit\r\n' | nc 127.0.0.1 7007
//
// Limits: a line longer than 64 KiB (its "\r" not counted) is answered
// "error: line too long" and dropped through its "\n"; the connection goes
// on with the next line (closing instead, while the client is still sending
// the rest of the line, would turn into a reset that can destroy the
// answer). A client that sends without reading the answers stops being read
// once 64 KiB of answers are queued for it (set_output_high_water): TCP's
// flow control then stops the client, and reading resumes, with nothing
// lost, as it reads. So the server holds at most 64 KiB and one answer per
// client, however much the client sends; a hard bound (set_output_limit)
// would instead cut off a client that is only slow.
//
// What it shows: a string terminator, the ready-made collector
// (_collect_incoming_data / _get_data), a record limit that skips, push,
// backpressure on a client that does not read (set_output_high_water),
// close_when_done (also at EOF: a client that shuts down its sending side
// still gets every answer), and the ready-made server that makes one
// channel per connection.
#include "../common/serve.hpp"

#include <asynchat/asynchat.hpp>

#include <string>

class echo_channel : public asynchat::async_chat<echo_channel> {
public:
    explicit echo_channel(asio::ip::tcp::socket socket) : async_chat(std::move(socket)) {
        set_terminator("\n");
        set_record_limit(max_line + 1);  // the line and its "\r"
        set_output_high_water(max_queued);
    }

    void collect_incoming_data(std::string_view data) { _collect_incoming_data(data); }

    void found_terminator() {
        std::string line = _get_data();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > max_line) return too_long();  // max_line + 1 bytes, no "\r"
        if (line == "quit") {
            push("bye\r\n");
            close_when_done();
            return;
        }
        push(std::move(line) + "\r\n");
    }

    // A line past the limit: the part collected is dropped, the rest is
    // skipped through the next "\n", and the client is told.
    asynchat::overflow handle_record_too_long(std::size_t /*size*/) {
        (void)_get_data();
        too_long();
        return asynchat::overflow::skip;
    }

    // The client finished sending: answer everything it sent, then close
    // (the default would close at once and drop the answers still queued).
    void handle_eof() { close_when_done(); }

private:
    static constexpr std::size_t max_line = 64 * 1024;
    // Answers queued beyond this pause reading (the queue is checked after
    // every line, so it holds at most this and one answer).
    static constexpr std::size_t max_queued = 64 * 1024;

    void too_long() { push("error: line too long\r\n"); }
};

int main(int argc, char** argv) {
    return examples::serve<echo_channel>("echo_server", 7007, argc, argv);
}
