// The memcached-style protocol of the README's tutorial, as one C++20
// coroutine per connection on asynchat::framed_stream: read a command line,
// switch the terminator to a byte count for the value, then back to lines.
//
//   set KEY N\r\n<N bytes>\r\n   ->  STORED\r\n
//   get KEY\r\n                  ->  VALUE KEY\r\n<bytes>\r\n   (ERROR\r\n if absent)
//   quit\r\n                     ->  (the connection closes)
//   anything else                ->  ERROR\r\n
//
// Beyond the tutorial: a command line longer than max_line is answered with
// CLIENT_ERROR and skipped; a value larger than max_value, or whose N bytes
// are not followed by \r\n, is answered with SERVER_ERROR / CLIENT_ERROR and
// the connection closes (the rest of the stream cannot be framed). Each reply
// is written (co_await) before the next command is read, so a client that
// pipelines commands and never reads the replies is stopped by TCP's flow
// control once the kernel's buffers are full: the session holds one reply
// and one read, and nothing is lost (backpressure, as the other examples get
// from set_output_high_water).
//
// Templated on the stream so that tests can drive it without sockets.
#ifndef EXAMPLES_KV_CORO_KV_SESSION_HPP
#define EXAMPLES_KV_CORO_KV_SESSION_HPP

#include <asynchat/framed_stream.hpp>

#include "../common/asio.hpp"

#include <cstddef>
#include <map>
#include <sstream>
#include <string>

namespace kv {

using store = std::map<std::string, std::string, std::less<>>;

inline constexpr std::size_t max_line = 1024;
inline constexpr std::size_t max_value = 1024 * 1024;

// Serves one connection until the peer quits, closes, or breaks the framing.
// Stream errors end the session quietly; a write error throws (co_spawn's
// completion handler sees it).
template <class Stream>
asio::awaitable<void> session(asynchat::framed_stream<Stream>& s, store& db) {
    auto reply = [&](const std::string& bytes) {
        return asio::async_write(s.next_layer(), asio::buffer(bytes), asio::use_awaitable);
    };
    for (;;) {
        s.set_terminator("\r\n");  // commands are lines
        s.set_record_limit(max_line, asynchat::overflow::skip);
        asynchat::error_code ec;  // redirect_error: errors come here, not as exceptions
        std::string line = co_await s.async_read_record(asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asynchat::error::record_too_long) {  // skipped through its "\r\n"
            co_await reply("CLIENT_ERROR line too long\r\n");
            continue;
        }
        if (ec) co_return;  // eof (an unfinished command is dropped) or a stream error

        std::istringstream cmd(line);
        std::string verb, key;
        cmd >> verb >> key;
        std::size_t n = 0;
        if (verb == "set" && cmd >> n) {
            if (n > max_value) {
                co_await reply("SERVER_ERROR object too large\r\n");
                co_return;
            }
            // A byte count: the value and its "\r\n". The bytes already read
            // past the command line are framed by it at once.
            s.set_terminator(n + 2);
            s.set_record_limit(asynchat::no_limit);
            std::string data = co_await s.async_read_record(asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            if (data.compare(n, 2, "\r\n") != 0) {
                co_await reply("CLIENT_ERROR bad data chunk\r\n");
                co_return;
            }
            data.resize(n);
            db[key] = std::move(data);
            co_await reply("STORED\r\n");
        } else if (auto it = db.find(key); verb == "get" && it != db.end()) {
            co_await reply("VALUE " + key + "\r\n" + it->second + "\r\n");
        } else if (verb == "quit") {
            co_return;
        } else {
            co_await reply("ERROR\r\n");
        }
    }
}

} // namespace kv

#endif // EXAMPLES_KV_CORO_KV_SESSION_HPP
