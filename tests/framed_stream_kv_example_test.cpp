// examples/kv_coro, run as the real binary and spoken to over TCP: commands
// split across writes, a value cut mid-count, two clients sharing the store,
// quit, a client that never reads its replies, and bad arguments. (Its session at every cut, without sockets, is in
// framed_stream_coro_test.cpp.)
#include "support/pipelining_peer.hpp"
#include "support/process.hpp"
#include "support/watchdog.hpp"

#include "support/asio.hpp"

#include <catch2/catch.hpp>

#include <string>

#ifndef ASYNCHAT_KV_CORO
#error "ASYNCHAT_KV_CORO must name the kv_coro binary"
#endif

namespace {

// A blocking client: sends bytes, reads exactly the bytes expected.
class kv_client {
public:
    explicit kv_client(const asio::ip::tcp::endpoint& where) : socket_(ctx_) { socket_.connect(where); }
    void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
    std::string receive(std::size_t n) {
        std::string out(n, '\0');
        asio::read(socket_, asio::buffer(out));
        return out;
    }
    int native_handle() { return socket_.native_handle(); }
    // Everything until the server closes.
    std::string rest() {
        std::string out;
        asynchat::error_code ec;
        asio::read(socket_, asio::dynamic_buffer(out), ec);
        return out;
    }

private:
    asio::io_context ctx_;
    asio::ip::tcp::socket socket_;
};

std::string expect(kv_client& c, const std::string& text) { return c.receive(text.size()); }

} // namespace

TEST_CASE("kv_coro stores and fetches values over TCP", "[examples][kv_coro]") {
    test::child_process server({ASYNCHAT_KV_CORO, "--port", "0"});
    const auto where = server.listening_endpoint();
    kv_client a(where);
    a.send("set greeting 5\r\nhel");
    a.send("lo\r\nget greet");
    CHECK(expect(a, "STORED\r\n") == "STORED\r\n");
    a.send("ing\r\n");
    a.send(std::string("set bin 4\r\n\r\n\0\xff\r\n", 17));
    CHECK(expect(a, "VALUE greeting\r\nhello\r\n") == "VALUE greeting\r\nhello\r\n");
    CHECK(expect(a, "STORED\r\n") == "STORED\r\n");

    kv_client b(where);  // another connection, the same store
    b.send("get bin\r\nget nothing\r\nfrobnicate\r\n");
    const std::string bin = std::string("VALUE bin\r\n\r\n\0\xff", 15) + "\r\n";
    CHECK(expect(b, bin) == bin);
    CHECK(expect(b, "ERROR\r\nERROR\r\n") == "ERROR\r\nERROR\r\n");

    b.send(std::string(5000, 'x') + "\r\nget greeting\r\nquit\r\nget greeting\r\n");
    CHECK(b.rest() == "CLIENT_ERROR line too long\r\nVALUE greeting\r\nhello\r\n");  // nothing after quit
    a.send("get greeting\r\n");
    CHECK(expect(a, "VALUE greeting\r\nhello\r\n") == "VALUE greeting\r\nhello\r\n");
    CHECK(server.terminate() == 0);
}

TEST_CASE("kv_coro stops reading a client that pipelines commands without reading the replies, and loses none", "[examples][kv_coro]") {
    // Each reply is written before the next command is read, so a client
    // that never reads is stopped by TCP once the kernel's buffers hold its
    // replies: the server holds one reply and one read, and the client can
    // push nowhere near `most`. Other clients are served; every reply comes
    // once it reads. The reply (a value) is six times as long as its command.
    // (A reply much shorter than its command stalls too, but only once the
    // kernel's buffers hold its replies: far more commands than `most`.)
    constexpr std::size_t most = std::size_t{32} << 20;
    test::child_process server({ASYNCHAT_KV_CORO, "--port", "0"});
    const auto where = server.listening_endpoint();
    const std::string key(200, 'k'), value(1000, 'v');
    kv_client setup(where);
    setup.send("set " + key + " 1000\r\n" + value + "\r\n");
    CHECK(expect(setup, "STORED\r\n") == "STORED\r\n");
    const std::string command = "get " + key + "\r\n", reply = "VALUE " + key + "\r\n" + value + "\r\n";
    kv_client c(where), other(where);
    test::watchdog dog({c.native_handle(), other.native_handle()}, std::chrono::seconds(60));
    test::check_never_reader(c.native_handle(), {command, reply, "quit\r\n", "", most}, [&] {
        other.send("get nothing\r\nquit\r\n");
        CHECK(other.rest() == "ERROR\r\n");
    });
    CHECK_FALSE(dog.fired());
    CHECK(server.terminate() == 0);
}

TEST_CASE("kv_coro refuses bad arguments with usage", "[examples][kv_coro]") {
    test::child_process bad({ASYNCHAT_KV_CORO, "--bogus"});
    CHECK(bad.wait() == 2);
}
