// The example servers, run as the real binaries and spoken to over TCP.
#include "support/pipelining_peer.hpp"
#include "support/process.hpp"
#include "support/watchdog.hpp"

#include "support/asio.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

#ifndef ASYNCHAT_EXAMPLES_DIR
#error "ASYNCHAT_EXAMPLES_DIR must name the directory of the example binaries"
#endif

namespace {

using test::watchdog;

// A blocking line client: enough for end-to-end checks.
class line_client {
public:
    explicit line_client(const asio::ip::tcp::endpoint& where) : socket_(ctx_) { socket_.connect(where); }
    void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
    std::string line() {
        asio::read_until(socket_, buf_, "\r\n");
        std::string l;
        std::istream in(&buf_);
        std::getline(in, l);
        if (!l.empty() && l.back() == '\r') l.pop_back();
        return l;
    }
    int native_handle() { return socket_.native_handle(); }
    // Everything until the server closes.
    std::string rest() {
        asynchat::error_code ec;
        asio::read(socket_, buf_, ec);
        return {asio::buffers_begin(buf_.data()), asio::buffers_end(buf_.data())};
    }

private:
    asio::io_context ctx_;
    asio::ip::tcp::socket socket_;
    asio::streambuf buf_;
};

} // namespace

TEST_CASE("echo_server echoes lines and says bye", "[examples]") {
    test::child_process server({ASYNCHAT_EXAMPLES_DIR "/echo_server", "--port", "0"});
    const auto where = server.listening_endpoint();
    line_client c(where);
    watchdog dog({c.native_handle()}, std::chrono::seconds(30));
    c.send("hello\r\nwor");
    c.send("ld\nquit\r\n");
    CHECK(c.line() == "hello");
    CHECK(c.line() == "world");
    CHECK(c.line() == "bye");
    CHECK(c.rest().empty());
    CHECK_FALSE(dog.fired());
    CHECK(server.terminate() == 0);
}

TEST_CASE("echo_server answers an over-long line with an error and goes on with the next line", "[examples]") {
    // The limit is 64 KiB per line, its "\r" not counted: exactly at it is
    // echoed, one byte more is refused, whether the line ends in "\r\n" or
    // "\n", arrives whole or in pieces, or goes on for a megabyte while the
    // client sends everything before reading (a server that closed there
    // would reset the connection and could destroy its own answer).
    constexpr std::size_t limit = 64 * 1024;
    struct shape {
        std::size_t size;
        const char* end;
        std::size_t piece;  // sent in pieces of this size (0: at once)
        bool echoed;
    };
    const shape shapes[] = {
        {limit, "\r\n", 0, true},         {limit, "\n", 0, true},
        {limit + 1, "\r\n", 0, false},    {limit + 1, "\n", 0, false},
        {limit + 1, "\r\n", 1000, false}, {limit + 1, "\n", 4096, false},
        {1024 * 1024, "\r\n", 0, false},  {1024 * 1024, "\n", 65536, false},
    };
    test::child_process server({ASYNCHAT_EXAMPLES_DIR "/echo_server", "--port", "0"});
    const auto where = server.listening_endpoint();
    for (const shape& sh : shapes) {
        CAPTURE(sh.size, std::string(sh.end) == "\n", sh.piece);
        line_client c(where);
        watchdog dog({c.native_handle()}, std::chrono::seconds(30));
        const std::string line(sh.size, 'a');
        c.send("before\r\n");
        if (sh.piece == 0) {
            c.send(line);
        } else {
            for (std::size_t at = 0; at < line.size(); at += sh.piece) c.send(line.substr(at, sh.piece));
        }
        c.send(std::string(sh.end) + "after\r\nquit\r\n");
        CHECK(c.line() == "before");
        if (sh.echoed) CHECK(c.line() == line);
        else CHECK(c.line() == "error: line too long");
        CHECK(c.line() == "after");
        CHECK(c.line() == "bye");
        CHECK(c.rest().empty());
        CHECK_FALSE(dog.fired());
    }
    CHECK(server.terminate() == 0);
}

TEST_CASE("echo_server refuses bad arguments with usage", "[examples]") {
    test::child_process bad({ASYNCHAT_EXAMPLES_DIR "/echo_server", "--bogus"});
    CHECK(bad.wait() == 2);
}

TEST_CASE("chat_server: nicknames, broadcast, /who, /nick and /quit", "[examples]") {
    test::child_process server({ASYNCHAT_EXAMPLES_DIR "/chat_server", "--port", "0"});
    const auto where = server.listening_endpoint();
    line_client alice(where), bob(where);
    watchdog dog({alice.native_handle(), bob.native_handle()}, std::chrono::seconds(30));
    CHECK(alice.line() == "Welcome to the chat room. Your nickname?");
    CHECK(bob.line() == "Welcome to the chat room. Your nickname?");
    alice.send("alice\r\n");
    CHECK(alice.line() == "* alice has joined");
    CHECK(alice.line() == "* you are alice; /who, /nick NAME, /quit");
    bob.send("alice\r\n");
    CHECK(bob.line() == "* that nickname is taken or invalid; another?");
    bob.send("bob\r\n");
    CHECK(alice.line() == "* bob has joined");
    CHECK(bob.line() == "* bob has joined");
    CHECK(bob.line() == "* you are bob; /who, /nick NAME, /quit");
    alice.send("hi bob\r\n");
    CHECK(alice.line() == "alice: hi bob");
    CHECK(bob.line() == "alice: hi bob");
    bob.send("/who\r\n");
    CHECK(bob.line() == "* here: alice, bob");
    bob.send("/nick robert\r\n");
    CHECK(alice.line() == "* bob is now known as robert");
    CHECK(bob.line() == "* bob is now known as robert");
    bob.send("/quit\r\n");
    CHECK(bob.line() == "* bye");
    CHECK(alice.line() == "* robert has left");
    CHECK_FALSE(dog.fired());
    CHECK(server.terminate() == 0);
}

TEST_CASE("echo_server answers every line of a client that shut down its sending side", "[examples]") {
    test::child_process server({ASYNCHAT_EXAMPLES_DIR "/echo_server", "--port", "0"});
    asio::io_context ctx;
    asio::ip::tcp::socket client(ctx);
    const auto where = server.listening_endpoint();
    // A small receive buffer (no autotuning): the server's answers wait in
    // its own queue rather than in the client's kernel buffer.
    client.open(where.protocol());
    client.set_option(asio::socket_base::receive_buffer_size(4096));
    client.connect(where);
    watchdog dog({client.native_handle()}, std::chrono::seconds(60));
    // 200,000 lines of 80 bytes (16 MB), far more than the socket buffers
    // hold (a send buffer grows to 4 MiB by default; 8 MB was not always
    // enough): a server that closed at EOF with answers still queued loses
    // lines (seen: 4.4-4.9 MB of 16 arrived).
    const std::string padding(72, '.');
    std::string request;
    request.reserve(200'000 * 80);
    for (int i = 0; i < 200'000; ++i) {
        const std::string number = std::to_string(i);
        request += std::string(6 - number.size(), '0') + number + padding + "\r\n";
    }
    // All of it first, reading only while a write would block (the server
    // stops reading while its queue is full, so a client that read nothing
    // would wait for ever), then the end of the sending side, and then the
    // rest of the answers: the server reads the EOF with answers queued (a
    // full receive buffer holds less than its queue's bound).
    const std::string reply = test::send_then_read_to_end(client.native_handle(), request, true);
    CHECK_FALSE(dog.fired());
    CHECK(reply.size() == request.size());
    CHECK(reply == request);
    CHECK(server.terminate() == 0);
}

TEST_CASE("echo_server stops reading a client that sends lines without reading the answers, and loses none", "[examples]") {
    // A client that writes lines as fast as the socket takes them and never
    // reads: a server without a bound reads on and queues every answer (its
    // memory grows with the client's input; 128 MiB would all be taken).
    // With backpressure it stops reading while its queue is full, and TCP
    // stops the client after the kernel's buffers. Meanwhile another client
    // is served; once the first one reads, every answer arrives, in order.
    // Lines ending "\r\n", and "\n" alone (each answer a byte longer).
    constexpr std::size_t most = std::size_t{128} << 20;
    struct shape {
        std::string line, answer;
    };
    const shape shapes[] = {
        {std::string(62, 'e') + "\r\n", std::string(62, 'e') + "\r\n"},
        {std::string(1023, 'n') + "\n", std::string(1023, 'n') + "\r\n"},
    };
    test::child_process server({ASYNCHAT_EXAMPLES_DIR "/echo_server", "--port", "0"});
    const auto where = server.listening_endpoint();
    for (const shape& sh : shapes) {
        CAPTURE(sh.line.size());
        line_client c(where), other(where);
        watchdog dog({c.native_handle(), other.native_handle()}, std::chrono::seconds(60));
        test::check_never_reader(c.native_handle(), {sh.line, sh.answer, "quit\r\n", "bye\r\n", most}, [&] {
            other.send("hello\r\nquit\r\n");
            CHECK(other.line() == "hello");
            CHECK(other.line() == "bye");
        });
        CHECK_FALSE(dog.fired());
    }
    CHECK(server.terminate() == 0);
}

#ifdef ASYNCHAT_EXAMPLES_SMTP
TEST_CASE("smtp_server stops reading a client that pipelines commands without reading the replies, and loses none", "[examples][smtp]") {
    // As the echo test above, with commands: a client that pipelines them
    // and never reads the replies is stalled by TCP well before `most`,
    // other clients are served, and every reply comes once it reads. Short
    // commands, and long ones whose reply is longer still (the verb is quoted
    // back). (A long command with a short reply stalls too, but only once
    // the kernel's buffers hold its replies: far more commands.)
    constexpr std::size_t most = std::size_t{32} << 20;
    struct shape {
        std::string command, reply;
    };
    const std::string verb(500, 'X');
    const shape shapes[] = {
        {"NOOP\r\n", "250 OK\r\n"},
        {verb + "\r\n", "500 Error: command \"" + verb + "\" not recognized\r\n"},
    };
    test::child_process server({ASYNCHAT_EXAMPLES_DIR "/smtp_server", "--port", "0"});
    const auto where = server.listening_endpoint();
    for (const shape& sh : shapes) {
        CAPTURE(sh.command.size());
        line_client c(where), other(where);
        watchdog dog({c.native_handle(), other.native_handle()}, std::chrono::seconds(60));
        CHECK(c.line() == "220 localhost asynchat ESMTP ready");
        test::check_never_reader(c.native_handle(), {sh.command, sh.reply, "QUIT\r\n", "221 Bye\r\n", most}, [&] {
            CHECK(other.line() == "220 localhost asynchat ESMTP ready");
            other.send("NOOP\r\nQUIT\r\n");
            CHECK(other.line() == "250 OK");
            CHECK(other.line() == "221 Bye");
        });
        CHECK_FALSE(dog.fired());
    }
    CHECK(server.terminate() == 0);
}
#endif

TEST_CASE("chat_server stops reading a member that sends without reading the replies to it, and loses none", "[examples]") {
    // What a member's own lines cause (replies to /who, its messages as the
    // room repeats them to it) is held back by backpressure, as in the echo
    // test above: the member is stalled by TCP well before `most`, not
    // disconnected, others are served, and every line comes once it reads.
    // (What the rest of the room sends it is bounded by a hard limit: the
    // disconnect test below.)
    constexpr std::size_t most = std::size_t{32} << 20;
    struct shape {
        std::string line, reply;
    };
    const shape shapes[] = {
        {"/who\r\n", "* here: alice\r\n"},
        {"hi\r\n", "alice: hi\r\n"},
    };
    test::child_process server({ASYNCHAT_EXAMPLES_DIR "/chat_server", "--port", "0"});
    const auto where = server.listening_endpoint();
    for (const shape& sh : shapes) {
        CAPTURE(sh.line);
        line_client alice(where), other(where);
        watchdog dog({alice.native_handle(), other.native_handle()}, std::chrono::seconds(60));
        CHECK(alice.line() == "Welcome to the chat room. Your nickname?");
        alice.send("alice\r\n");
        CHECK(alice.line() == "* alice has joined");
        CHECK(alice.line() == "* you are alice; /who, /nick NAME, /quit");
        test::check_never_reader(alice.native_handle(), {sh.line, sh.reply, "/quit\r\n", "* bye\r\n", most}, [&] {
            CHECK(other.line() == "Welcome to the chat room. Your nickname?");
            other.send("\r\n");  // no nickname: it does not join (the room stays as it is)
            CHECK(other.line() == "* that nickname is taken or invalid; another?");
        });
        CHECK_FALSE(dog.fired());
    }
    CHECK(server.terminate() == 0);
}

TEST_CASE("chat_server disconnects a member that stops reading, with a line to the room", "[examples]") {
    test::child_process server({ASYNCHAT_EXAMPLES_DIR "/chat_server", "--port", "0"});
    const auto where = server.listening_endpoint();
    line_client alice(where), bob(where);
    watchdog dog({alice.native_handle(), bob.native_handle()}, std::chrono::seconds(120));
    CHECK(alice.line() == "Welcome to the chat room. Your nickname?");
    alice.send("alice\r\n");
    CHECK(alice.line() == "* alice has joined");
    CHECK(alice.line() == "* you are alice; /who, /nick NAME, /quit");
    bob.send("bob\r\n");  // and never reads again
    CHECK(alice.line() == "* bob has joined");

    // Alice talks (on another thread) and reads the room, until bob is cut.
    // She keeps at most 256 lines unread: only bob falls behind. The talker
    // writes through its own socket object (a dup of alice's descriptor): no
    // Asio object is used by two threads.
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> lines_read{0};
    asio::io_context talker_ctx;
    asio::ip::tcp::socket talker_socket(talker_ctx);
    talker_socket.assign(where.protocol(), ::dup(alice.native_handle()));
    std::thread talker([&] {
        const std::string line = std::string(990, 'x') + "\r\n";
        std::string batch;
        for (int i = 0; i < 64; ++i) batch += line;
        asynchat::error_code ec;
        for (std::size_t sent = 0; !stop && !ec && sent < (128u << 10); sent += 64) {  // 128 MiB at most
            while (!stop && sent > lines_read.load() + 256) std::this_thread::yield();
            if (!stop) asio::write(talker_socket, asio::buffer(batch), ec);
        }
        // Bob is still here: end the loop below.
        if (!stop && !ec) asio::write(talker_socket, asio::buffer(std::string("/who\r\n")), ec);
    });
    struct stopper {  // also when a read below throws (the watchdog fired)
        std::atomic<bool>& stop;
        std::thread& talker;
        ~stopper() {
            stop = true;
            if (talker.joinable()) talker.join();
        }
    } stop_talker{stop, talker};
    std::string last;
    while (last.rfind("* bob", 0) != 0 && last.rfind("* here", 0) != 0) {
        last = alice.line();
        ++lines_read;
    }
    stop = true;
    talker.join();
    REQUIRE(last == "* bob was disconnected: not reading");
    CHECK(lines_read > 1000);
    bob.rest();  // the server closed bob: reading ends
    alice.send("/who\r\n");
    std::string who;
    do who = alice.line();
    while (who.rfind("* here", 0) != 0);
    CHECK(who == "* here: alice");
    CHECK_FALSE(dog.fired());
    CHECK(server.terminate() == 0);
}
