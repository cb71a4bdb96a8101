// Writing HTTP/1.1 responses: status lines, dates, content types, and the
// small pages the server makes itself.
#ifndef HTTP_SERVER_RESPONSE_HPP
#define HTTP_SERVER_RESPONSE_HPP

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace http {

// Literals are appended as std::string_view("..."): their length is known at
// compile time (no strlen).

inline const char* status_text(int status) {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

// An IMF-fixdate (RFC 9110 section 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
inline std::string http_date(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return std::string(buf, n);
}

// The Date header of this second, computed once per second per thread.
inline const std::string& current_date() {
    thread_local std::time_t cached_at = 0;
    thread_local std::string cached;
    const std::time_t now = std::time(nullptr);
    if (now != cached_at) {
        cached = http_date(now);
        cached_at = now;
    }
    return cached;
}

inline std::string_view mime_type(std::string_view path) {
    const auto dot = path.rfind('.');
    if (dot == std::string_view::npos || path.find('/', dot) != std::string_view::npos)
        return "application/octet-stream";
    std::string ext(path.substr(dot + 1));
    for (char& c : ext)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    struct entry {
        const char* ext;
        const char* type;
    };
    static constexpr entry types[] = {
        {"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},   {"js", "text/javascript; charset=utf-8"},
        {"json", "application/json"},         {"txt", "text/plain; charset=utf-8"},
        {"md", "text/markdown; charset=utf-8"}, {"xml", "application/xml"},
        {"svg", "image/svg+xml"},             {"png", "image/png"},
        {"jpg", "image/jpeg"},                {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},                 {"webp", "image/webp"},
        {"ico", "image/vnd.microsoft.icon"},  {"pdf", "application/pdf"},
        {"wasm", "application/wasm"},         {"mp4", "video/mp4"},
        {"woff2", "font/woff2"},              {"zip", "application/zip"},
    };
    for (const auto& t : types)
        if (ext == t.ext) return t.type;
    return "application/octet-stream";
}

inline std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': out += std::string_view("&amp;"); break;
        case '<': out += std::string_view("&lt;"); break;
        case '>': out += std::string_view("&gt;"); break;
        case '"': out += std::string_view("&quot;"); break;
        case '\'': out += std::string_view("&#39;"); break;
        default: out += c;
        }
    }
    return out;
}

// Percent-encodes every byte of `s` but ASCII letters, digits and the
// characters in `keep` (RFC 3986 section 2.1, upper-case hex digits).
inline std::string percent_encode(std::string_view s, std::string_view keep) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            keep.find(static_cast<char>(c)) != std::string_view::npos) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// Percent-encodes everything but unreserved characters and '/'.
inline std::string url_encode_path(std::string_view s) { return percent_encode(s, "-._~/"); }

// The Last-Modified value of `mtime`, remembered for the last mtime asked on
// this thread (files served together mostly share it): a pure function of
// `mtime`, so never stale.
inline const std::string& last_modified(std::time_t mtime) {
    thread_local std::time_t cached_for = -1;
    thread_local std::string cached;
    if (mtime != cached_for || cached.empty()) {
        cached = http_date(mtime);
        cached_for = mtime;
    }
    return cached;
}

// Appends `n` in decimal, without a temporary string.
inline void append_decimal(std::string& out, std::uint64_t n) {
    char buf[20];
    std::size_t at = sizeof buf;
    do buf[--at] = static_cast<char>('0' + n % 10);
    while ((n /= 10) != 0);
    out.append(buf + at, sizeof buf - at);
}

// What a response head says, besides the status.
struct head_fields {
    std::string_view content_type;
    std::uint64_t content_length = 0;
    bool keep_alive = true;
    bool http10_client = false;     // HTTP/1.0 keep-alive must be announced
    std::string_view extra;         // more "Name: value\r\n" lines
    bool has_length = true;         // false: no Content-Length (a 304)
};

// Appends the head to `h` (a buffer the caller reuses: no allocation once it
// has grown).
inline void append_response_head(std::string& h, int status, const head_fields& f) {
    h += std::string_view("HTTP/1.1 ");
    append_decimal(h, static_cast<std::uint64_t>(status));
    h += ' ';
    h += status_text(status);
    h += std::string_view("\r\nServer: asynchat-http\r\nDate: ");
    h += current_date();
    if (!f.content_type.empty()) {
        h += std::string_view("\r\nContent-Type: ");
        h += f.content_type;
    }
    if (f.has_length) {
        h += std::string_view("\r\nContent-Length: ");
        append_decimal(h, f.content_length);
    }
    h += std::string_view("\r\n");
    h += f.extra;
    if (!f.keep_alive) h += std::string_view("Connection: close\r\n");
    else if (f.http10_client) h += std::string_view("Connection: keep-alive\r\n");
    h += std::string_view("\r\n");
}

inline std::string response_head(int status, const head_fields& f) {
    std::string h;
    h.reserve(256);
    append_response_head(h, status, f);
    return h;
}

inline std::string error_page(int status, std::string_view reason) {
    return std::to_string(status) + ' ' + status_text(status) + ": " + std::string(reason) + '\n';
}

// The page at "/" when no --root is given.
inline const std::string& builtin_page() {
    static const std::string page = R"(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>asynchat http_server</title></head>
<body>
<h1>Hello from asynchat</h1>
<p>This page was served by the <code>http_server</code> example of
<a href="https://docs.python.org/3.11/library/asynchat.html">asynchat</a> for C++:
an <code>async_chat</code> channel that reads each request head with the
terminator <code>"\r\n\r\n"</code>, then its body with a byte count.</p>
<p>Try <code>curl -d 'hello' http://HOST/echo</code>, or start the server with
<code>--root DIR</code> to serve files.</p>
</body></html>
)";
    return page;
}

} // namespace http

#endif // HTTP_SERVER_RESPONSE_HPP
