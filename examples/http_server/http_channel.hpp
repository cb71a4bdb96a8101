// One HTTP/1.1 connection as an asynchat channel.
//
// The whole protocol is a terminator state machine in found_terminator():
//
//   head        terminator "\r\n\r\n", at most max_head bytes
//     | Content-Length: n            -> body         terminator n (a byte count)
//     | Transfer-Encoding: chunked   -> chunk_size   terminator "\r\n"
//     | no body                      -> answer, back to head
//   body        n bytes              -> answer, back to head
//   chunk_size  "1a;ext"             -> chunk_data   terminator 0x1a + 2 (data + CRLF)
//               "0"                  -> trailers     terminator "\r\n"
//   chunk_data  data + CRLF          -> chunk_size
//   trailers    field lines          -> answer on the empty line, back to head
//   closing     a refusal or "Connection: close" was answered: read and drop
//               everything until the peer closes (a lingering close)
//
// Because asynchat re-reads the terminator before every framing step, bytes
// that arrived with the head (a pipelined body, the next request) are framed
// by the new terminator at once; no byte is copied back or read twice.
#ifndef HTTP_SERVER_HTTP_CHANNEL_HPP
#define HTTP_SERVER_HTTP_CHANNEL_HPP

#include "files.hpp"
#include "request.hpp"
#include "response.hpp"

#include <asynchat/asynchat.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace http {

struct config {
    std::string root;                  // a real path; empty: the built-in page
    std::size_t max_head = 8 * 1024;   // request line + fields (Beast's default)
    std::uint64_t max_body = 1 << 20;  // 1 MiB (Beast's default for requests)
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(10);
    std::chrono::steady_clock::duration linger = std::chrono::seconds(2);
    std::function<void(const std::string&)> log;  // one line per request; empty: quiet
};

class channel : public asynchat::async_chat<channel> {
public:
    static constexpr std::size_t ac_in_buffer_size = 16 * 1024;
    static constexpr std::size_t ac_out_buffer_size = 64 * 1024;  // also the file piece size

    channel(asio::ip::tcp::socket socket, std::shared_ptr<const config> cfg)
        : async_chat(std::move(socket)), cfg_(std::move(cfg)) {
        // No progress either way for `timeout` (an idle keep-alive
        // connection, a client that stopped reading): close.
        set_idle_timeout(cfg_->timeout);
        read_head();
    }

    void collect_incoming_data(std::string_view data) {
        if (phase_ == phase::closing) return;  // lingering: drop
        // Slowloris defence: a whole request, from its first byte, must
        // arrive within `timeout`, however slowly it trickles in.
        if (phase_ == phase::head && record_.empty()) {
            expires_after(cfg_->timeout);
            started_ = std::chrono::steady_clock::now();
        }
        record_.append(data);
    }

    void found_terminator() {
        switch (phase_) {
        case phase::head: on_head(); break;
        case phase::body: body_.swap(record_); complete(); break;
        case phase::chunk_size: on_chunk_size(); break;
        case phase::chunk_data: on_chunk_data(); break;
        case phase::trailers: on_trailer(); break;
        case phase::closing: break;
        }
        record_.clear();  // keeps its capacity for the next record
    }

    // The head (or a chunk-size or trailer line) outgrew its limit: answer
    // and stop. Skipping to the next terminator keeps reading, so the client
    // that is still sending gets the answer instead of a reset.
    asynchat::overflow handle_record_too_long(std::size_t) {
        if (phase_ == phase::head) {
            // 414 if the request line alone is over the limit. The part of the
            // head not collected yet is still in the input buffer.
            std::size_t line = record_.find("\r\n");
            if (line == std::string::npos) {
                const std::size_t rest = buffered_input().find("\r\n");
                line = rest == std::string_view::npos ? std::string::npos : record_.size() + rest;
            }
            const bool line_too_long = line == std::string::npos || line > cfg_->max_head;
            refuse(line_too_long ? 414 : 431, line_too_long ? "request line too long" : "request head too large");
        } else if (phase_ == phase::trailers) {
            refuse(431, "trailer section too large");
        } else if (phase_ != phase::closing) {
            refuse(400, "chunk size line too long");
        }
        return asynchat::overflow::skip;
    }

    void handle_timeout() {
        if (phase_ == phase::closing || lingering_) return close();
        if (phase_ != phase::head || !record_.empty()) return refuse(408, "request not received in time");
        close();  // an idle keep-alive connection ends without a word
    }

    // The client ended its side. With responses still queued (it sent its
    // requests, then shut down writing) they are sent first; otherwise, and
    // also in the middle of a request, there is nothing to answer.
    void handle_eof() {
        peer_closed_ = true;
        if (!sending()) return close();
        if (phase_ != phase::closing) finish();
    }

    // Called when the close marker queued by finish() is reached, and when
    // the client resets the connection.
    void handle_close() {
        if (phase_ == phase::closing && !peer_closed_ && !lingering_) {
            // Our side is done. Closing now, with the client's bytes unread,
            // would send a reset that can destroy the response in flight
            // (RFC 9112 section 9.6): shut down sending and drain instead.
            lingering_ = true;
            std::error_code ignored;
            socket().shutdown(asio::socket_base::shutdown_send, ignored);
            expires_after(cfg_->linger);
            return;
        }
        close();
    }

    // Pipelining back-pressure: a client that sends requests without reading
    // the answers stops being read once enough is queued.
    bool readable() {
        return phase_ == phase::closing || (queued_bytes() < max_queued && *open_files_ < max_open_files);
    }

private:
    enum class phase { head, body, chunk_size, chunk_data, trailers, closing };
    static constexpr std::size_t max_queued = 1 << 20;
    static constexpr int max_open_files = 8;
    static constexpr std::size_t max_chunk_line = 1024;

    void read_head() {
        phase_ = phase::head;
        set_terminator("\r\n\r\n");
        set_record_limit(cfg_->max_head);
    }

    void on_head() {
        req_ = request{};
        parsed p = parse_head(record_);
        if (p.empty) {  // only the empty lines allowed between requests
            expires_never();
            return;
        }
        if (!p.req) return refuse(p.error.status, p.error.reason);
        req_ = std::move(*p.req);
        body_.clear();

        if (req_.method != "GET" && req_.method != "HEAD" && req_.method != "POST") {
            static constexpr const char* known[] = {"PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"};
            for (const char* m : known)
                if (req_.method == m) return refuse(405, "method not allowed", "Allow: GET, HEAD, POST\r\n");
            return refuse(501, "unknown method");
        }
        const std::uint64_t length = req_.content_length.value_or(0);
        if (length > cfg_->max_body) return refuse(413, "body larger than " + std::to_string(cfg_->max_body) + " bytes");
        if (req_.expect_continue) push("HTTP/1.1 100 Continue\r\n\r\n");

        if (req_.chunked) return read_chunk_size();
        if (length == 0) return complete();  // never set_terminator(0): 0 means "no framing"
        // The asynchat move: the same stream, now framed by a byte count.
        phase_ = phase::body;
        set_record_limit(asynchat::no_limit);  // the count is already bounded
        set_terminator(length);
    }

    void read_chunk_size() {
        phase_ = phase::chunk_size;
        set_terminator("\r\n");
        set_record_limit(max_chunk_line);
    }

    void on_chunk_size() {
        const auto size = parse_chunk_size(record_);
        if (!size) return refuse(400, "bad chunk size line");
        if (*size == 0) {  // the last chunk: trailer fields, then an empty line
            phase_ = phase::trailers;
            trailer_bytes_ = 0;
            set_record_limit(cfg_->max_head);
            return;  // the terminator stays "\r\n"
        }
        if (body_.size() + *size > cfg_->max_body)
            return refuse(413, "body larger than " + std::to_string(cfg_->max_body) + " bytes");
        phase_ = phase::chunk_data;
        set_record_limit(asynchat::no_limit);
        set_terminator(*size + 2);  // the data and the CRLF after it
    }

    void on_chunk_data() {
        if (record_.compare(record_.size() - 2, 2, "\r\n") != 0)
            return refuse(400, "chunk data not followed by CRLF");
        body_.append(record_, 0, record_.size() - 2);
        read_chunk_size();
    }

    void on_trailer() {
        if (record_.empty()) return complete();
        trailer_bytes_ += record_.size() + 2;
        if (trailer_bytes_ > cfg_->max_head) return refuse(431, "trailer section too large");
        std::string_view name, value;
        if (const std::string why = check_field_line(record_, name, value); !why.empty())
            return refuse(400, why);
        // Trailer fields are ignored: they never change how a message is framed.
    }

    // The request is whole: answer it, then wait for the next one.
    void complete() {
        expires_never();
        answer();
        if (phase_ == phase::closing) return;
        if (!req_.keep_alive) return finish();
        read_head();
    }

    void answer() {
        if (req_.path == "/echo") {
            if (req_.method != "POST") return reply(405, "text/plain; charset=utf-8", "POST only\n", "Allow: POST\r\n");
            const std::string type(req_.field("content-type").value_or("application/octet-stream"));
            return reply(200, type, std::move(body_));
        }
        if (req_.method == "POST") return reply(405, "text/plain; charset=utf-8", "POST only at /echo\n", "Allow: GET, HEAD\r\n");
        if (cfg_->root.empty()) {
            if (req_.path == "/") return reply(200, "text/html; charset=utf-8", builtin_page());
            return reply(404, "text/plain; charset=utf-8", error_page(404, "no such page"));
        }
        serve_file();
    }

    void serve_file() {
        resolved r = resolve(cfg_->root, req_.path);
        if (r.status) return reply(r.status, "text/plain; charset=utf-8", error_page(r.status, req_.path));
        if (S_ISDIR(r.info.st_mode)) {
            if (req_.path.back() != '/') {
                const std::string location = "Location: " + url_encode_path(req_.path + "/") + "\r\n";
                return reply(301, "text/plain; charset=utf-8", "moved\n", location);
            }
            struct stat index {};
            const std::string index_file = r.file + "/index.html";
            if (::stat(index_file.c_str(), &index) != 0 || !S_ISREG(index.st_mode))
                return reply(200, "text/html; charset=utf-8", directory_index(r.file, req_.path));
            r.file = index_file;
            r.info = index;
        }
        const auto size = static_cast<std::uint64_t>(r.info.st_size);
        std::optional<file_producer> body;
        if (req_.method == "GET" && size != 0) {
            try {
                body.emplace(r.file, size, ac_out_buffer_size, open_files_);
            } catch (const std::exception&) {
                return reply(403, "text/plain; charset=utf-8", error_page(403, req_.path));
            }
        }
        const std::string modified = "Last-Modified: " + http_date(r.info.st_mtime) + "\r\n";
        push(response_head(200, {mime_type(r.file), size, req_.keep_alive, req_.minor_version == 0, modified}));
        if (body) push_with_producer(std::move(*body));  // read piece by piece as the socket drains
        log(200, size);
    }

    void reply(int status, std::string_view type, std::string body, std::string_view extra = {}) {
        const std::size_t size = body.size();
        push(response_head(status, {type, size, req_.keep_alive, req_.minor_version == 0, extra}));
        if (req_.method != "HEAD") push(std::move(body));  // moved into the queue, never copied
        log(status, size);
    }

    // Answers with an error, then closes: nothing after a refused request is processed.
    void refuse(int status, const std::string& reason, std::string_view extra = {}) {
        if (req_.method.empty()) req_.method = "-";
        req_.keep_alive = false;
        const std::string body = error_page(status, reason);
        push(response_head(status, {"text/plain; charset=utf-8", body.size(), false, false, extra}));
        if (req_.method != "HEAD") push(body);
        log(status, body.size());
        finish();
    }

    void finish() {
        phase_ = phase::closing;
        set_record_limit(asynchat::no_limit);
        expires_never();
        close_when_done();
    }

    bool sending() { return queued_bytes() != 0 || *open_files_ != 0; }

    void log(int status, std::uint64_t bytes) {
        if (!cfg_->log) return;
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - started_).count();
        cfg_->log(req_.method + ' ' + (req_.target.empty() ? "-" : req_.target) + ' ' + std::to_string(status) +
                  ' ' + std::to_string(bytes) + ' ' + std::to_string(us) + "us");
    }

    std::shared_ptr<const config> cfg_;
    phase phase_ = phase::head;
    std::string record_;  // the record being collected (head, body, chunk line...)
    std::string body_;
    request req_;
    std::uint64_t trailer_bytes_ = 0;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::shared_ptr<int> open_files_ = std::make_shared<int>(0);
    bool peer_closed_ = false;
    bool lingering_ = false;
};

} // namespace http

#endif // HTTP_SERVER_HTTP_CHANNEL_HPP
