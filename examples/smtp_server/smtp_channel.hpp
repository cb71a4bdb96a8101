// An SMTP receiver in the style of CPython's smtpd.SMTPChannel (which was built
// on asynchat): HELO/EHLO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT, the
// SIZE extension and STARTTLS (RFC 5321, 1870, 3207). Each message is written
// to a directory, one file per message, atomically.
//
// Limits: a command line is at most 512 octets with its CRLF (500, skipped);
// a message at most settings::max_message (552); at most max_recipients
// recipients per message (RFC 5321 4.5.3.1.8's minimum; beyond it each RCPT
// is answered 452, as 4.5.3.1.10 says); a client that pipelines
// commands without reading the replies stops being read once max_queued
// bytes of replies wait for it (set_output_high_water). That is backpressure,
// not a cut: TCP's flow control stops the client, nothing is lost, and
// reading resumes as it reads, as a client that pipelines (RFC 2920) and
// reads late expects; the server holds at most max_queued and one reply.
#ifndef EXAMPLES_SMTP_CHANNEL_HPP
#define EXAMPLES_SMTP_CHANNEL_HPP

#include <asynchat/asynchat.hpp>
#include <asynchat/tls.hpp>

#include "../common/asio.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace smtp {

struct settings {
    std::string hostname = "localhost";
    std::filesystem::path maildir = "mail";
    std::size_t max_message = 10 * 1024 * 1024;  // the SIZE extension's limit
    asio::ssl::context* tls = nullptr;           // STARTTLS offered if set
};

// Writes `message` to settings.maildir as one file, atomically: written under
// tmp/ first, then renamed, so a reader never sees half a message.
inline std::filesystem::path deliver(const settings& s, const std::string& message) {
    static std::atomic<unsigned long> counter{0};
    namespace fs = std::filesystem;
    fs::create_directories(s.maildir / "tmp");
    const std::string name = std::to_string(::time(nullptr)) + "." + std::to_string(::getpid()) + "." +
                             std::to_string(counter++) + ".eml";
    const fs::path tmp = s.maildir / "tmp" / name;
    {
        std::ofstream out(tmp, std::ios::binary);
        out.write(message.data(), static_cast<std::streamsize>(message.size()));
        out.flush();
        if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    const fs::path final_path = s.maildir / name;
    fs::rename(tmp, final_path);
    return final_path;
}

// The address in "FROM:<addr> PARAMS" / "TO:<addr>"; empty optional if malformed.
inline bool parse_path(std::string_view arg, std::string_view keyword, std::string& address,
                       std::string_view& params) {
    if (arg.size() < keyword.size()) return false;
    for (std::size_t i = 0; i < keyword.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(arg[i])) != keyword[i]) return false;
    arg.remove_prefix(keyword.size());
    while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
    if (arg.empty() || arg.front() != '<') return false;
    const auto close = arg.find('>');
    if (close == std::string_view::npos) return false;
    address = std::string(arg.substr(1, close - 1));
    params = arg.substr(close + 1);
    while (!params.empty() && params.front() == ' ') params.remove_prefix(1);
    return true;
}

class channel : public asynchat::async_chat<channel, asynchat::starttls_stream<>> {
public:
    // RFC 5321 4.5.3.1.4: a command line is at most 512 octets with its CRLF.
    static constexpr std::size_t max_command_line = 510;
    // Recipients kept for one message: RFC 5321 4.5.3.1.8's minimum.
    static constexpr std::size_t max_recipients = 100;
    // Replies queued beyond this pause reading (checked after every command).
    static constexpr std::size_t max_queued = 64 * 1024;

    channel(asio::ip::tcp::socket socket, const settings& s)
        : async_chat(asynchat::starttls_stream<>(std::move(socket), *tls_or_dummy(s))), settings_(s) {
        asynchat::error_code ec;
        peer_ = this->socket().lowest_layer().remote_endpoint(ec);
        set_terminator("\r\n");
        set_record_limit(max_command_line);
        set_output_high_water(max_queued);
        set_idle_timeout(std::chrono::minutes(5));  // RFC 5321 4.5.3.2.7
        push("220 " + settings_.hostname + " asynchat ESMTP ready\r\n");
    }

    void collect_incoming_data(std::string_view data) {
        if (in_data_) {
            // The size limit counts the message as received; beyond it the
            // rest is read and dropped, and DATA is answered 552.
            if (line_.size() + data.size() > settings_.max_message + 1) too_big_ = true;
            else line_.append(data);
        } else {
            line_.append(data);
        }
    }

    void found_terminator() {
        std::string line = std::move(line_);
        line_.clear();
        if (in_data_) data_line(line);
        else command(line);
    }

    // A command line longer than the limit: refused, the rest of it skipped.
    asynchat::overflow handle_record_too_long(std::size_t) {
        line_.clear();
        push("500 5.5.2 Error: line too long\r\n");
        return asynchat::overflow::skip;
    }

    void handle_handshake() { reset(true); }  // RFC 3207 4.2: forget what came before TLS

    void handle_eof() { close_when_done(); }

private:
    static asio::ssl::context* tls_or_dummy(const settings& s) {
        // starttls_stream needs a context even when TLS is never offered.
        static asio::ssl::context plain(asio::ssl::context::tls_server);
        return s.tls != nullptr ? s.tls : &plain;
    }

    void reply(std::string_view text) { push(std::string(text) + "\r\n"); }

    void reset(bool forget_helo) {
        if (forget_helo) helo_.clear();
        mail_from_.reset();
        rcpt_to_.clear();
    }

    void command(std::string_view line) {
        const auto space = line.find(' ');
        std::string verb(line.substr(0, space));
        std::transform(verb.begin(), verb.end(), verb.begin(), [](unsigned char c) { return char(std::toupper(c)); });
        std::string_view arg = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
        while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);

        if (verb == "HELO" || verb == "EHLO") {
            if (arg.empty()) return reply("501 Syntax: " + verb + " hostname");
            reset(true);
            helo_ = std::string(arg);
            if (verb == "HELO") return reply("250 " + settings_.hostname);
            std::string r = "250-" + settings_.hostname + "\r\n250-SIZE " + std::to_string(settings_.max_message) +
                            "\r\n250-8BITMIME\r\n";
            if (settings_.tls != nullptr && !secure()) r += "250-STARTTLS\r\n";
            return reply(r + "250 HELP");
        }
        if (verb == "NOOP") return reply(arg.empty() ? "250 OK" : "501 Syntax: NOOP");
        if (verb == "QUIT") {
            reply("221 Bye");
            close_when_done();
            return;
        }
        if (verb == "RSET") {
            if (!arg.empty()) return reply("501 Syntax: RSET");
            reset(false);
            return reply("250 OK");
        }
        if (verb == "STARTTLS") {
            if (settings_.tls == nullptr || secure()) return reply("502 5.5.1 Error: command not implemented");
            if (!arg.empty()) return reply("501 Syntax: STARTTLS");
            reply("220 2.0.0 Ready to start TLS");
            start_tls(asynchat::tls_role::server);  // plaintext sent after the command is refused
            return;
        }
        if (verb == "MAIL") {
            if (helo_.empty()) return reply("503 Error: send HELO first");
            if (mail_from_) return reply("503 Error: nested MAIL command");
            std::string address;
            std::string_view params;
            if (!parse_path(arg, "FROM:", address, params)) return reply("501 Syntax: MAIL FROM: <address>");
            if (params.size() > 5 && (params.substr(0, 5) == "SIZE=" || params.substr(0, 5) == "size=")) {
                const unsigned long long declared = std::strtoull(std::string(params.substr(5)).c_str(), nullptr, 10);
                if (declared > settings_.max_message)
                    return reply("552 5.3.4 Error: message size exceeds fixed maximum message size");
            }
            mail_from_ = address;
            return reply("250 OK");
        }
        if (verb == "RCPT") {
            if (!mail_from_) return reply("503 Error: need MAIL command");
            std::string address;
            std::string_view params;
            if (!parse_path(arg, "TO:", address, params) || address.empty())
                return reply("501 Syntax: RCPT TO: <address>");
            if (rcpt_to_.size() == max_recipients) return reply("452 4.5.3 Error: too many recipients");
            rcpt_to_.push_back(address);
            return reply("250 OK");
        }
        if (verb == "DATA") {
            if (rcpt_to_.empty()) return reply("503 Error: need RCPT command");
            if (!arg.empty()) return reply("501 Syntax: DATA");
            // The body is read line by line: "\r\n.\r\n" alone cannot end an
            // empty body, whose ".\r\n" follows the CRLF that ended DATA.
            in_data_ = true;
            too_big_ = false;
            message_.clear();
            set_record_limit(asynchat::no_limit);  // collect_incoming_data bounds it
            return reply("354 End data with <CR><LF>.<CR><LF>");
        }
        reply("500 Error: command \"" + verb + "\" not recognized");
    }

    void data_line(std::string_view line) {
        if (line != ".") {
            if (!line.empty() && line.front() == '.') line.remove_prefix(1);  // dot-unstuffing
            if (message_.size() + line.size() + 2 > settings_.max_message) too_big_ = true;
            if (!too_big_) {
                message_.append(line);
                message_.append("\r\n");
            }
            return;
        }
        in_data_ = false;
        set_record_limit(max_command_line);
        if (too_big_) {
            reply("552 5.3.4 Error: message size exceeds fixed maximum message size");
        } else {
            std::string file = "X-Peer: " + peer_.address().to_string() + "\r\nX-MailFrom: " + *mail_from_ +
                               "\r\nX-RcptTo: ";
            for (std::size_t i = 0; i < rcpt_to_.size(); ++i) file += (i ? ", " : "") + rcpt_to_[i];
            file += "\r\n" + message_;
            try {
                smtp::deliver(settings_, file);
                reply("250 OK");
            } catch (const std::exception& e) {
                std::fprintf(stderr, "smtp_server: %s\n", e.what());
                reply("451 4.3.0 Error: cannot store the message");
            }
        }
        message_.clear();
        reset(false);
    }

    const settings& settings_;
    asio::ip::tcp::endpoint peer_;
    std::string line_, helo_, message_;
    std::optional<std::string> mail_from_;
    std::vector<std::string> rcpt_to_;
    bool in_data_ = false;
    bool too_big_ = false;
};

} // namespace smtp

#endif // EXAMPLES_SMTP_CHANNEL_HPP
