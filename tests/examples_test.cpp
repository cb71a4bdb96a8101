// The example servers, run as the real binaries and spoken to over TCP.
#include "support/process.hpp"

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <string>
#include <thread>

#ifndef ASYNCHAT_EXAMPLES_DIR
#error "ASYNCHAT_EXAMPLES_DIR must name the directory of the example binaries"
#endif

namespace {

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
    // Everything until the server closes.
    std::string rest() {
        std::error_code ec;
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
    c.send("hello\r\nwor");
    c.send("ld\nquit\r\n");
    CHECK(c.line() == "hello");
    CHECK(c.line() == "world");
    CHECK(c.line() == "bye");
    CHECK(c.rest().empty());
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
    CHECK(server.terminate() == 0);
}

TEST_CASE("echo_server answers every line of a client that shut down its sending side", "[examples]") {
    test::child_process server({ASYNCHAT_EXAMPLES_DIR "/echo_server", "--port", "0"});
    asio::io_context ctx;
    asio::ip::tcp::socket client(ctx);
    client.connect(server.listening_endpoint());
    std::string request;
    for (int i = 0; i < 1'000'000; ++i) request += std::to_string(i) + "\r\n";
    // All of it first (the server reads it all, queueing the answers), then
    // the end of the sending side, and only then the answers.
    asio::write(client, asio::buffer(request));
    client.shutdown(asio::ip::tcp::socket::shutdown_send);
    std::string reply;
    reply.reserve(request.size());
    std::array<char, 65536> buf{};
    for (;;) {
        std::error_code ec;
        const std::size_t n = client.read_some(asio::buffer(buf), ec);
        reply.append(buf.data(), n);
        if (ec) break;
    }
    CHECK(reply.size() == request.size());
    CHECK(reply == request);
    CHECK(server.terminate() == 0);
}

TEST_CASE("chat_server disconnects a member that stops reading, with a line to the room", "[examples]") {
    test::child_process server({ASYNCHAT_EXAMPLES_DIR "/chat_server", "--port", "0"});
    const auto where = server.listening_endpoint();
    line_client alice(where), bob(where);
    CHECK(alice.line() == "Welcome to the chat room. Your nickname?");
    alice.send("alice\r\n");
    CHECK(alice.line() == "* alice has joined");
    CHECK(alice.line() == "* you are alice; /who, /nick NAME, /quit");
    bob.send("bob\r\n");  // and never reads again
    CHECK(alice.line() == "* bob has joined");

    // Alice talks (on another thread) and reads the room, until bob is cut.
    // She keeps at most 256 lines unread: only bob falls behind.
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> lines_read{0};
    std::thread talker([&] {
        const std::string line = std::string(990, 'x') + "\r\n";
        std::string batch;
        for (int i = 0; i < 64; ++i) batch += line;
        for (std::size_t sent = 0; !stop && sent < (128u << 10); sent += 64) {  // 128 MiB at most
            while (!stop && sent > lines_read.load() + 256) std::this_thread::yield();
            if (!stop) alice.send(batch);
        }
        if (!stop) alice.send("/who\r\n");  // bob is still here: end the loop below
    });
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
    CHECK(server.terminate() == 0);
}
