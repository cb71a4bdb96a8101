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
// With config::proxy_protocol, a PROXY protocol header comes first on every
// connection, framed the same way (see proxy_protocol.hpp): a count of 12,
// then "\r\n" (v1) or a count of 4 and a count of the block length (v2),
// then head as above. A missing or malformed header is never answered: the
// connection closes (lingering), and the log says "CLIENT PROXY - 400".
//
// Because asynchat re-reads the terminator before every framing step, bytes
// that arrived with the head (a pipelined body, the next request) are framed
// by the new terminator at once; no byte is copied back or read twice.
//
// The channel is a template on its stream so that tests can drive it over an
// in-memory stream (tests/support/fake_stream.hpp) exactly as over TCP;
// `http::channel` is the TCP one.
#ifndef HTTP_SERVER_HTTP_CHANNEL_HPP
#define HTTP_SERVER_HTTP_CHANNEL_HPP

#include "conditional.hpp"
#include "files.hpp"
#include "proxy_protocol.hpp"
#include "request.hpp"
#include "response.hpp"

#include <asynchat/asynchat.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

namespace http {

struct config {
    std::string root;                  // from root_path(): absolute, no "." or ".."; empty: the built-in page
    std::size_t max_head = 8 * 1024;   // request line + fields (Beast's default)
    std::uint64_t max_body = 1 << 20;  // 1 MiB (Beast's default for requests)
    // The longest a client may make no progress: no byte read or written
    // (nginx's client_body_timeout and send_timeout). A silent keep-alive
    // connection closes quietly; a stalled request gets 408.
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(10);
    // The longest a whole request head may take, from its first byte
    // (nginx's client_header_timeout): slowloris gets 408.
    std::chrono::steady_clock::duration header_timeout = std::chrono::seconds(10);
    std::chrono::steady_clock::duration linger = std::chrono::seconds(2);
    std::function<void(const std::string&)> log;  // one line per request; empty: quiet
    // A PROXY protocol header (v1 or v2) comes first on every connection
    // (HAProxy's send-proxy / send-proxy-v2): the log shows the client it
    // names instead of the balancer. A connection without one is refused.
    bool proxy_protocol = false;
};

namespace detail {
// Shuts down the sending side of a socket; a stream without shutdown() (an
// in-memory test stream) has nothing to shut down.
template <class S>
auto shutdown_send(S& s, int) -> decltype(s.shutdown(asio::socket_base::shutdown_send, std::declval<asynchat::error_code&>()), void()) {
    asynchat::error_code ignored;
    s.shutdown(asio::socket_base::shutdown_send, ignored);
}
template <class S>
void shutdown_send(S&, long) {}

// The peer's address as text ("127.0.0.1", "::1"); "-" for a stream that has
// no remote endpoint (an in-memory test stream) or has lost it.
template <class S>
auto peer_address(S& s, int) -> decltype(s.remote_endpoint(std::declval<asynchat::error_code&>()).address(), std::string()) {
    asynchat::error_code ec;
    const auto where = s.remote_endpoint(ec);
    return ec ? std::string("-") : where.address().to_string();
}
template <class S>
std::string peer_address(S&, long) { return "-"; }
} // namespace detail

template <class Stream>
class basic_channel : public asynchat::async_chat<basic_channel<Stream>, Stream> {
    using base = asynchat::async_chat<basic_channel<Stream>, Stream>;

public:
    static constexpr std::size_t ac_in_buffer_size = 16 * 1024;
    static constexpr std::size_t ac_out_buffer_size = 64 * 1024;  // also the file piece size

    basic_channel(Stream socket, std::shared_ptr<const config> cfg) : base(std::move(socket)), cfg_(std::move(cfg)) {
        // No progress either way for `timeout` (an idle keep-alive
        // connection, a stalled body, a client that stopped reading): close.
        this->set_idle_timeout(cfg_->timeout);
        if (cfg_->proxy_protocol)
            read_proxy_header();
        else
            read_head();
    }

    void collect_incoming_data(std::string_view data) {
        if (phase_ == phase::closing) return;  // lingering: drop
        if (phase_ == phase::head) begin_head();
        if (phase_ == phase::head || phase_ == phase::chunk_size || phase_ == phase::trailers) {
            // Lines end with CRLF only. A bare LF or CR is refused as soon as
            // it arrives: waiting for a "\r\n" that never comes would answer
            // only after the timeout.
            if (const char* why = line_error(data)) return refuse(400, why, {}, data);
        }
        x().record.append(data);
    }

    void found_terminator() {
        switch (phase_) {
        case phase::head: on_head(); break;
        case phase::body: x().body.swap(x().record); complete(); break;
        case phase::chunk_size: on_chunk_size(); break;
        case phase::chunk_data: on_chunk_data(); break;
        case phase::trailers: on_trailer(); break;
        case phase::closing: break;
        case phase::proxy_start:
        case phase::proxy_v1:
        case phase::proxy_v2_fixed:
        case phase::proxy_v2_block: on_proxy_header(); break;
        }
        if (ex_) ex_->record.clear();  // keeps its capacity for the next record (none after the last)
    }

    // The head (or a chunk-size or trailer line) outgrew its limit: answer
    // and stop. Skipping to the next terminator keeps reading, so the client
    // that is still sending gets the answer instead of a reset.
    asynchat::overflow handle_record_too_long(std::size_t) {
        if (phase_ == phase::proxy_v1) {  // the only PROXY record without a count
            refuse_proxy(400, "v1 line longer than 107 bytes");
            return asynchat::overflow::skip;
        }
        // The bytes up to the limit would have reached collect_incoming_data
        // had they come in smaller reads: a bare LF among them is refused as
        // such, so that the answer never depends on how the input was cut.
        if (phase_ == phase::head) begin_head();  // the limit can be met before any byte was collected
        if (phase_ == phase::head || phase_ == phase::chunk_size || phase_ == phase::trailers) {
            const std::size_t limit = this->record_limit();
            const std::size_t room = limit > x().record.size() ? limit - x().record.size() : 0;
            if (const char* why = line_error(this->buffered_input().substr(0, room))) {
                refuse(400, why, {}, this->buffered_input().substr(0, room));
                return asynchat::overflow::skip;
            }
        }
        const std::size_t limit = this->record_limit();
        const std::size_t collected = ex_ ? ex_->record.size() : 0;
        const std::string_view seen = this->buffered_input().substr(0, limit > collected ? limit - collected : 0);
        if (phase_ == phase::head) {
            // 414 if the request line alone is over the limit. The part of the
            // head not collected yet is still in the input buffer.
            std::size_t line = x().record.find("\r\n");
            if (line == std::string::npos) {
                const std::size_t rest = this->buffered_input().find("\r\n");
                line = rest == std::string_view::npos ? std::string::npos : x().record.size() + rest;
            }
            const bool line_too_long = line == std::string::npos || line > cfg_->max_head;
            refuse(line_too_long ? 414 : 431, line_too_long ? "request line too long" : "request head too large", {},
                   seen);
        } else if (phase_ == phase::trailers) {
            refuse(431, "trailer section too large");
        } else if (phase_ != phase::closing) {
            refuse(400, "chunk size line too long");
        }
        return asynchat::overflow::skip;
    }

    void handle_timeout() {
        if (phase_ == phase::closing || lingering_) return this->close();
        if (in_proxy_header()) return refuse_proxy(408, "PROXY header not received in time");
        if (phase_ != phase::head || head_begun_) return refuse(408, "request not received in time");
        this->close();  // an idle keep-alive connection ends without a word
    }

    // The client ended its side. With responses still queued (it sent its
    // requests, then shut down writing) they are sent first; otherwise, and
    // also in the middle of a request, there is nothing to answer.
    void handle_eof() {
        peer_closed_ = true;
        if (!sending()) return this->close();
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
            detail::shutdown_send(this->socket(), 0);
            this->expires_after(cfg_->linger);
            return;
        }
        this->close();
    }

    // A body that can no longer be sent whole: the file ended before the
    // range (push_file's error::file_truncated) or a multipart producer's
    // read came up short (file_shrank). The response is already cut; the
    // connection ends quietly, as any failed write does, with a log line
    // that says why. Every other error closes as the base class does.
    void handle_error(const asynchat::error_code& ec) {
        if (ec == asynchat::error::file_truncated) log_abort(ec.message());
        handle_close();
    }
    void handle_error(std::exception_ptr error) {
        try {
            std::rethrow_exception(error);
        } catch (const file_shrank& e) {
            log_abort(e.what());
            handle_close();
        } catch (...) {
            base::handle_error(std::current_exception());
        }
    }

    // Whether the channel holds a request's parsing state (see exchange):
    // true only while a request (or a PROXY header) is in progress.
    bool holds_request_state() const { return ex_ != nullptr; }

    // Pipelining back-pressure: a client that sends requests without reading
    // the answers stops being read once enough is queued.
    bool readable() {
        return phase_ == phase::closing ||
               (this->queued_bytes() < max_queued && open_files() < max_open_files);
    }

private:
    enum class phase : unsigned char { head, body, chunk_size, chunk_data, trailers, closing,
                       proxy_start, proxy_v1, proxy_v2_fixed, proxy_v2_block };
    static constexpr std::size_t max_queued = 1 << 20;
    static constexpr int max_open_files = 8;
    static constexpr std::size_t max_chunk_line = 1024;

    // Bodies of at most this many bytes are read when the request is
    // answered and queued with their head (see serve_file); larger ones go
    // with push_file (sendfile(2) on a socket), read as the socket drains.
    static constexpr std::uint64_t small_body = 16 * 1024;

    // Appends `length` bytes of `fd` from `offset` to `out`; false (and
    // `out` as it was) if the file has fewer bytes there or cannot be read.
    static bool read_into(std::string& out, int fd, std::uint64_t offset, std::uint64_t length) {
        const std::size_t at = out.size(), n = static_cast<std::size_t>(length);
        out.resize(at + n);
        std::size_t got = 0;
        while (got < n) {
            const ssize_t r = ::pread(fd, &out[at + got], n - got, static_cast<off_t>(offset + got));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            got += static_cast<std::size_t>(r);
        }
        if (got == n) return true;
        out.resize(at);
        return false;
    }

    // A bare LF, a bare CR or a NUL in `data`, which continues the record.
    const char* line_error(std::string_view data) const {
        char prev = x().record.empty() ? '\0' : x().record.back();
        for (char c : data) {
            if (c == '\n' && prev != '\r') return "bare LF";
            if (prev == '\r' && c != '\n') return "bare CR";
            if (c == '\0') return "NUL in a request line";
            prev = c;
        }
        return nullptr;
    }

    bool in_proxy_header() const {
        return phase_ == phase::proxy_start || phase_ == phase::proxy_v1 || phase_ == phase::proxy_v2_fixed ||
               phase_ == phase::proxy_v2_block;
    }

    // The PROXY header, from the first byte of the connection. Its whole
    // reception is bounded by header_timeout, as a request head's is.
    void read_proxy_header() {
        phase_ = phase::proxy_start;
        this->set_record_limit(asynchat::no_limit);  // every PROXY record is a count but v1's line
        this->set_terminator(proxy::v2_signature.size());
        this->expires_after(cfg_->header_timeout);
        x().started = std::chrono::steady_clock::now();
    }

    void on_proxy_header() {
        switch (phase_) {
        case phase::proxy_start:
            switch (proxy::version(x().record)) {
            case 2:
                phase_ = phase::proxy_v2_fixed;
                this->set_terminator(std::size_t{4});
                return;
            case 1:
                // The shortest v1 line is 15 bytes: a line end in the first
                // 12 can only be a malformed header.
                if (x().record.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
                    return refuse_proxy(400, "v1 line with a CR, LF or NUL inside");
                phase_ = phase::proxy_v1;
                x().proxy_prefix = x().record;
                this->set_terminator("\r\n");
                this->set_record_limit(proxy::v1_max_line - 2 - x().proxy_prefix.size());
                return;
            default:
                return refuse_proxy(400, "no PROXY header");
            }
        case phase::proxy_v1:
            return accept_proxy(proxy::parse_v1(x().proxy_prefix + x().record));
        case phase::proxy_v2_fixed: {
            std::string why;
            const long length = proxy::parse_v2_fixed(x().record, why);
            if (length < 0) return refuse_proxy(400, why);
            x().proxy_prefix = x().record;
            if (length == 0) return accept_proxy(proxy::parse_v2_block(x().proxy_prefix, {}));
            phase_ = phase::proxy_v2_block;
            this->set_terminator(static_cast<std::size_t>(length));
            return;
        }
        default:
            return accept_proxy(proxy::parse_v2_block(x().proxy_prefix, x().record));
        }
    }

    void accept_proxy(const proxy::result& r) {
        if (!r.error.empty()) return refuse_proxy(400, r.error);
        if (!r.client.empty()) proxy_client_ = std::make_unique<std::string>(r.client);  // else: the connection's own endpoints
        x().proxy_prefix.clear();
        this->expires_never();
        read_head();
    }

    // A missing or malformed PROXY header: the peer is a misconfigured
    // balancer or a client that bypassed it, neither of which reads HTTP
    // from us. Nothing is answered; the log names the peer and the status
    // a request would have had.
    void refuse_proxy(int status, const std::string&) {
        x().req.method = "PROXY";
        x().req.keep_alive = false;
        log(status, 0);
        finish();
    }

    // Waits for the next request head. Nothing of the previous request
    // survives: a refusal of this one (431, 408, 400) is built from it alone.
    void read_head() {
        phase_ = phase::head;
        head_begun_ = false;
        release_exchange();
        this->set_terminator("\r\n\r\n");
        this->set_record_limit(cfg_->max_head);
    }

    // The first byte of a head, empty lines before its request line
    // included: from here a whole head must arrive within `header_timeout`
    // (slowloris defence, however slowly it trickles in), and the log times
    // the request from here.
    void begin_head() {
        if (head_begun_) return;
        head_begun_ = true;
        this->expires_after(cfg_->header_timeout);
        x().started = std::chrono::steady_clock::now();
    }

    void on_head() {
        begin_head();  // a head of empty lines only may come whole with its terminator
        exchange& e = x();
        bool empty = false;
        const refusal error = parse_head_into(e.record, e.req, empty);
        // Only the empty lines allowed before a request line (RFC 9112
        // section 2.2): the head goes on, and so does its deadline.
        if (empty) return;
        this->expires_never();  // the head is in: from now on only progress counts
        if (error.status != 0) {
            e.req.clear();  // nothing of a refused head is trusted: the method comes from the record
            return refuse(error.status, error.reason);
        }

        if (std::string_view(x().req.method) != "GET" && std::string_view(x().req.method) != "HEAD" && std::string_view(x().req.method) != "POST") {
            // The target is resolved before the method is looked at: a path
            // above the root is 403 whatever the method (as for GET below).
            if (x().req.outside_root) return refuse(403, "the path leaves the root");
            static constexpr const char* known[] = {"PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"};
            for (const char* m : known)
                if (x().req.method == m) return refuse(405, "method not allowed", allow_field());
            return refuse(501, "unknown method");
        }
        const std::uint64_t length = x().req.content_length.value_or(0);
        if (length > cfg_->max_body) return refuse(413, "body larger than " + std::to_string(cfg_->max_body) + " bytes");
        // RFC 9110 section 10.1.1: an HTTP/1.0 client's expectation is
        // ignored (it cannot parse a 1xx); none is sent when no body follows.
        if (x().req.expect_continue && x().req.minor_version == 1 && (x().req.chunked || length != 0))
            this->push("HTTP/1.1 100 Continue\r\n\r\n");

        if (x().req.chunked) return read_chunk_size();
        if (length == 0) return complete();  // never set_terminator(0): 0 means "no framing"
        // The asynchat move: the same stream, now framed by a byte count.
        phase_ = phase::body;
        this->set_record_limit(asynchat::no_limit);  // the count is already bounded
        this->set_terminator(length);
    }

    // The Allow field of a 405 (RFC 9110 section 15.5.6): what the target
    // resource accepts. /echo takes POST; every other path GET and HEAD; a
    // target that names no resource here (CONNECT's authority, OPTIONS *)
    // gets what the server supports at all.
    std::string allow_field() const {
        if (std::string_view(x().req.path) == "/echo") return "Allow: POST\r\n";
        if (x().req.path.empty()) return "Allow: GET, HEAD, POST\r\n";
        return "Allow: GET, HEAD\r\n";
    }

    void read_chunk_size() {
        phase_ = phase::chunk_size;
        this->set_terminator("\r\n");
        this->set_record_limit(max_chunk_line);
    }

    void on_chunk_size() {
        const auto size = parse_chunk_size(x().record);
        if (!size) return refuse(400, "bad chunk size line");
        if (*size == 0) {  // the last chunk: trailer fields, then an empty line
            phase_ = phase::trailers;
            x().trailer_bytes = 0;
            this->set_record_limit(cfg_->max_head);
            return;  // the terminator stays "\r\n"
        }
        if (x().body.size() + *size > cfg_->max_body)
            return refuse(413, "body larger than " + std::to_string(cfg_->max_body) + " bytes");
        phase_ = phase::chunk_data;
        this->set_record_limit(asynchat::no_limit);
        this->set_terminator(*size + 2);  // the data and the CRLF after it
    }

    void on_chunk_data() {
        if (x().record.compare(x().record.size() - 2, 2, "\r\n") != 0)
            return refuse(400, "chunk data not followed by CRLF");
        x().body.append(x().record, 0, x().record.size() - 2);
        read_chunk_size();
    }

    void on_trailer() {
        if (x().record.empty()) return complete();
        x().trailer_bytes += x().record.size() + 2;
        if (x().trailer_bytes > cfg_->max_head) return refuse(431, "trailer section too large");
        std::string_view name, value;
        if (const std::string why = check_field_line(x().record, name, value); !why.empty())
            return refuse(400, why);
        // Trailer fields are ignored: they never change how a message is framed.
    }

    // The request is whole: answer it, then wait for the next one.
    void complete() {
        this->expires_never();
        answer();
        if (phase_ == phase::closing) return;
        if (!x().req.keep_alive) return finish();
        read_head();
    }

    void answer() {
        static constexpr std::string_view text = "text/plain; charset=utf-8";
        if (x().req.outside_root) return reply(403, text, error_page(403, "the path leaves the root"));
        if (std::string_view(x().req.path) == "/echo") {
            if (std::string_view(x().req.method) != "POST") return reply(405, text, "POST only\n", allow_field());
            const std::string type(x().req.field("content-type").value_or("application/octet-stream"));
            return reply_unvalidated(type, std::move(x().body));
        }
        if (std::string_view(x().req.method) == "POST") return reply(405, text, "POST only at /echo\n", allow_field());
        if (cfg_->root.empty()) {
            if (std::string_view(x().req.path) == "/") return reply_unvalidated("text/html; charset=utf-8", builtin_page());
            return reply(404, text, error_page(404, "no such page"));
        }
        serve_file();
    }

    void serve_file() {
        static constexpr std::string_view text = "text/plain; charset=utf-8";
        resolved r = resolve_cached(cfg_->root, x().req.path);
        if (r.status) return reply(r.status, text, error_page(r.status, x().req.path));
        if (S_ISDIR(r.info.st_mode)) {
            if (x().req.path.back() != '/') {
                // The path is normalised ("//docs" is "/docs"), so this is
                // always an absolute path on this site; the query is kept.
                const std::string location =
                    "Location: " + url_encode_path(x().req.path + "/") + encode_query(x().req.query) + "\r\n";
                return reply(301, text, "moved\n", location);
            }
            // The index is resolved as any file is: a symlink named
            // index.html cannot lead out of the root either.
            resolved index = resolve_cached(cfg_->root, x().req.path + "index.html");
            // Out of descriptors, the index may exist: no listing in its place.
            if (index.status == 503) return reply(503, text, error_page(503, x().req.path));
            if (index.status || !S_ISREG(index.info.st_mode))
                return reply_unvalidated("text/html; charset=utf-8", directory_index(cfg_->root, r.file, x().req.path));
            r = std::move(index);
        }
        const auto size = static_cast<std::uint64_t>(r.info.st_size);
        const std::string etag = make_etag(r.info.st_mtime, size);
        // The validators, then the head, built in buffers this thread reuses:
        // a file response allocates nothing for its head.
        thread_local std::string validators, head;
        validators.clear();
        validators += std::string_view("Accept-Ranges: bytes\r\nETag: ");
        validators += etag;
        validators += std::string_view("\r\nLast-Modified: ");
        validators += last_modified(r.info.st_mtime);
        validators += std::string_view("\r\n");
        head.clear();
        const file_decision d = evaluate(x().req, etag, r.info.st_mtime, size);
        const bool keep = x().req.keep_alive, http10 = x().req.minor_version == 0;
        switch (d.status) {
        case 304:  // the validators, no body, no Content-Length (as nginx)
            append_response_head(head, 304, {{}, 0, keep, http10, validators, false});
            this->push(std::string_view(head));  // copied into the output queue
            return log(304, 0);
        case 412:
            return reply(412, text, error_page(412, "a precondition failed"));
        case 416:
            return reply(416, text, error_page(416, "no satisfiable range"),
                         "Content-Range: bytes */" + std::to_string(size) + "\r\n" + validators);
        default:
            break;
        }
        const std::string_view type = mime_type(r.file);
        const bool body = has_content(d.status);
        if (d.status == 200 || d.ranges.size() == 1) {
            // The whole file or one range: push_file sends it zero-copy
            // (sendfile) on a plain socket, in pieces through the queue on
            // any other stream.
            std::uint64_t first = 0, length = size;
            if (d.status != 200) {
                const byte_range& b = d.ranges.front();
                validators += std::string_view("Content-Range: bytes ");
                append_decimal(validators, b.first);
                validators += '-';
                append_decimal(validators, b.last);
                validators += '/';
                append_decimal(validators, size);
                validators += std::string_view("\r\n");
                first = b.first;
                length = b.length();
            }
            append_response_head(head, d.status, {type, length, keep, http10, validators});
            if (body && length != 0 && length <= small_body && read_into(head, r.get(), first, length)) {
                // A small body is read now, behind its head, and copied into
                // the output queue with it: the answers to a pipelined batch
                // leave in one write, not one write (and one trip through
                // the event loop) each.
                this->push(std::string_view(head));
                return log(d.status, length);
            }
            // A larger body, or a file that came up short just now (push_file
            // then reports it as file_truncated, see handle_error), keeps
            // its own descriptor: a duplicate of the cache's (see take()).
            unique_fd kept;
            if (body && length != 0 && (kept = r.take()).get() < 0) return reply_no_descriptor();
            this->push(std::string_view(head));  // copied into the output queue
            if (kept.get() >= 0) this->push_file(asynchat::file_handle(kept.release()), first, length);
            return log(d.status, length);
        }
        std::vector<body_part> parts;
        std::string extra = validators, content_type(type);
        std::uint64_t length = 0;
        {
            // multipart/byteranges (RFC 9110 section 14.6), with a boundary
            // that no file can be made to contain (see multipart_boundary).
            const std::string boundary = multipart_boundary(etag);
            content_type = "multipart/byteranges; boundary=" + boundary;
            for (std::size_t i = 0; i < d.ranges.size(); ++i) {
                const byte_range& b = d.ranges[i];
                std::string part_head = (i == 0 ? "--" : "\r\n--") + boundary + "\r\nContent-Type: " +
                                        std::string(type) + "\r\nContent-Range: bytes " + std::to_string(b.first) +
                                        "-" + std::to_string(b.last) + "/" + std::to_string(size) + "\r\n\r\n";
                length += part_head.size() + b.length();
                parts.push_back({std::move(part_head), b.first, b.length()});
            }
            std::string closing = "\r\n--" + boundary + "--\r\n";
            length += closing.size();
            parts.push_back({std::move(closing), 0, 0});
        }
        std::optional<file_producer> multipart;
        if (body && length != 0) {
            if (!open_files_) open_files_ = std::make_shared<int>(0);
            unique_fd kept = r.take();
            if (kept.get() < 0) return reply_no_descriptor();
            try {
                multipart.emplace(std::move(kept), std::move(parts), base::ac_out_buffer_size, open_files_);
            } catch (const std::exception&) {
                return reply(403, text, error_page(403, x().req.path));
            }
        }
        this->push(response_head(d.status, {content_type, length, keep, http10, extra}));
        if (multipart) this->push_with_producer(std::move(*multipart));  // read piece by piece as the socket drains
        log(d.status, length);
    }

    // The process is out of file descriptors (EMFILE, ENFILE) for a body
    // that needs its own: 503, as a server without resources to answer now
    // (RFC 9110 section 15.6.4); the connection goes on.
    void reply_no_descriptor() {
        return reply(503, "text/plain; charset=utf-8", error_page(503, "out of file descriptors, try again"));
    }

    // A 200 of a resource without validators (a directory index, the
    // built-in page, /echo), once its preconditions are evaluated.
    void reply_unvalidated(std::string_view type, std::string body) {
        switch (evaluate_without_validators(x().req)) {
        case 304:  // no validators to send, no body, no Content-Length
            this->push(response_head(304, {{}, 0, x().req.keep_alive, x().req.minor_version == 0, {}, false}));
            return log(304, 0);
        case 412:
            return reply(412, "text/plain; charset=utf-8", error_page(412, "a precondition failed"));
        default:
            return reply(200, type, std::move(body));
        }
    }

    // The query of a redirect, with anything that is not plainly allowed in
    // a URI percent-encoded (bytes over 0x7f, quotes, backslashes...).
    static std::string encode_query(std::string_view q) {
        return percent_encode(q, "-._~!$&'()*+,;=:@/?%");
    }

    void reply(int status, std::string_view type, std::string body, std::string_view extra = {}) {
        const std::size_t size = body.size();
        this->push(response_head(status, {type, size, x().req.keep_alive, x().req.minor_version == 0, extra}));
        if (has_content(status)) this->push(std::move(body));  // moved into the queue, never copied
        log(status, size);
    }

    // The one place that decides whether an answer carries content: never
    // to HEAD, never in a 1xx or 304 (RFC 9112 section 6.3). Every answer,
    // refusals included, is built from the current request's method.
    bool has_content(int status) const {
        return std::string_view(x().req.method) != "HEAD" && status >= 200 && status != 304;
    }

    // Answers with an error, then closes: nothing after a refused request is
    // processed. A head refused before it was parsed (a bare LF, a head over
    // the limit, a timeout, a malformed field) still has its method read from
    // the bytes seen so far, the record then `more`: a HEAD gets a head alone.
    void refuse(int status, const std::string& reason, std::string_view extra = {}, std::string_view more = {}) {
        if (phase_ == phase::head && x().req.method.empty())
            x().req.method = std::string(leading_method(x().record + std::string(more)));
        if (x().req.method.empty()) x().req.method = "-";
        x().req.keep_alive = false;
        const std::string body = error_page(status, reason);
        this->push(response_head(status, {"text/plain; charset=utf-8", body.size(), false, false, extra}));
        if (has_content(status)) this->push(body);
        log(status, body.size());
        finish();
    }

    void finish() {
        release_exchange();  // nothing more is parsed or answered
        phase_ = phase::closing;
        this->set_record_limit(asynchat::no_limit);
        this->expires_never();
        this->close_when_done();
    }

    bool sending() { return this->queued_bytes() != 0 || open_files() != 0; }

    // Files this connection holds open: ranges queued with push_file, and
    // multipart bodies being read.
    int open_files() const { return (open_files_ ? *open_files_ : 0) + static_cast<int>(this->queued_files()); }

    void log(int status, std::uint64_t bytes) {
        if (!cfg_->log) return;
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - x().started).count();
        cfg_->log(client() + ' ' + (x().req.method.empty() ? "-" : x().req.method) + ' ' + (x().req.target.empty() ? "-" : x().req.target) + ' ' +
                  std::to_string(status) + ' ' + std::to_string(bytes) + ' ' + std::to_string(us) + "us");
    }

    // The client's address for the log: the one a PROXY header named, else
    // the socket's peer (asked when a line is written, not kept).
    std::string client() {
        return proxy_client_ ? *proxy_client_ : detail::peer_address(this->socket(), 0);
    }

    // "CLIENT - - aborted: WHY": a response cut short after its own line was
    // logged (the request it answered may not be the current one).
    void log_abort(const std::string& why) {
        if (cfg_->log) cfg_->log(client() + " - - aborted: " + why);
    }

    // What one request needs while it is in progress: the record being
    // collected (head, body, chunk line...), the body, the parsed head. Taken
    // from a per-thread pool at the first byte of a head (or of a PROXY
    // header) and given back once the request is answered or refused: an
    // idle keep-alive connection holds none of it, and a busy one reuses the
    // strings' capacity instead of allocating per request.
    struct exchange {
        std::string record;
        std::string body;
        std::string proxy_prefix;  // the first part of a PROXY header (v1's 12 bytes, v2's 4)
        request req;
        std::uint64_t trailer_bytes = 0;
        std::chrono::steady_clock::time_point started{};  // the head's first byte (see begin_head)
    };
    // At most this many idle exchanges per thread, none holding more than
    // max_kept bytes in a string (a 1 MiB body is not kept).
    static constexpr std::size_t pool_size = 64;
    static constexpr std::size_t max_kept = 16 * 1024;
    static std::vector<std::unique_ptr<exchange>>& pool() {
        thread_local std::vector<std::unique_ptr<exchange>> p;
        return p;
    }

    // The current request's state, taken from the pool if none is held.
    exchange& x() const {
        if (!ex_) {
            auto& p = pool();
            if (p.empty()) {
                ex_ = std::make_unique<exchange>();
            } else {
                ex_ = std::move(p.back());
                p.pop_back();
            }
        }
        return *ex_;
    }

    // Gives the request's state back to the pool, emptied.
    void release_exchange() {
        if (!ex_) return;
        std::unique_ptr<exchange> e = std::move(ex_);
        auto& p = pool();
        if (p.size() >= pool_size) return;  // freed
        if (p.capacity() < pool_size) {  // once per thread: push_back below cannot throw
            try {
                p.reserve(pool_size);
            } catch (const std::bad_alloc&) {
                return;  // freed
            }
        }
        auto trim = [](std::string& s) {
            if (s.capacity() > max_kept) std::string().swap(s);
            else s.clear();
        };
        trim(e->record);
        trim(e->body);
        e->proxy_prefix.clear();
        e->req.clear();
        e->trailer_bytes = 0;
        p.push_back(std::move(e));
    }

    std::shared_ptr<const config> cfg_;
    mutable std::unique_ptr<exchange> ex_;     // null while idle (see exchange)
    std::unique_ptr<std::string> proxy_client_;  // the client a PROXY header named, if any
    // Files of multipart bodies being read by producers on this connection,
    // made at the first (shared with them: they may outlive the channel).
    std::shared_ptr<int> open_files_;
    phase phase_ = phase::head;
    bool peer_closed_ = false;
    bool lingering_ = false;
    bool head_begun_ = false;  // a byte of the current head has arrived (see begin_head)
};

// The channel over TCP, as the server makes it.
using channel = basic_channel<asio::ip::tcp::socket>;

} // namespace http

#endif // HTTP_SERVER_HTTP_CHANNEL_HPP
