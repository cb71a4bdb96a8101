// CPython 3.11's Lib/test/test_asynchat.py, every case, over loopback sockets.
// The echo server is CPython's (one byte per recv until QUIT, then echo in
// chunks of 1, 2 or 3 bytes); the client reads with ac_in_buffer_size of 1,
// 2, 3 and 4096 bytes so that every branch of handle_read is exercised on
// every run instead of depending on how the kernel merges segments.
// (TestAsynchat_WithPoll needs no twin: Asio has one reactor. The mocked
// test_blockingioerror is in async_chat_test.cpp, over the scripted stream.)
#include "support/loopback.hpp"

#include <asynchat/async_chat.hpp>
#include <asynchat/find_prefix_at_end.hpp>
#include <asynchat/producer.hpp>

#include "support/asio.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

namespace {

const std::string server_quit = "QUIT\n";

template <std::size_t InBuffer>
class echo_client : public asynchat::async_chat<echo_client<InBuffer>> {
    using base = asynchat::async_chat<echo_client<InBuffer>>;

public:
    static constexpr std::size_t ac_in_buffer_size = InBuffer;

    echo_client(asio::io_context& ctx, asynchat::terminator t) : base(ctx) { this->set_terminator(std::move(t)); }

    void handle_connect() {}
    void collect_incoming_data(std::string_view data) { buffer += data; }
    void found_terminator() {
        contents.push_back(buffer);
        buffer.clear();
    }

    std::vector<std::string> contents;
    std::string buffer;
};

// Runs one client/server exchange; `setup` pushes to the client.
template <std::size_t InBuffer, class Setup>
std::shared_ptr<echo_client<InBuffer>> exchange(const asynchat::terminator& t, std::size_t server_chunk,
                                                Setup setup) {
    asio::io_context ctx;
    test::python_echo_server server(ctx, server_chunk);
    auto client = std::make_shared<echo_client<InBuffer>>(ctx, t);
    client->connect(server.endpoint());
    setup(*client);
    REQUIRE(test::run_until(ctx, [&] { return server.done && !client->connected(); }));
    return client;
}

} // namespace

TEST_CASE("test_line_terminator1/2/3: terminators \\n, \\r\\n, qqq with every chunking",
          "[cpython][loopback]") {
    for (std::string term : {"\n", "\r\n", "qqq"}) {
        for (std::size_t server_chunk : {1, 2, 3}) {
            INFO("terminator " << asynchat::terminator(term) << ", server chunk " << server_chunk);
            auto push_lines = [&](auto& c) {
                c.push("hello ");
                c.push("world" + term);
                c.push("I'm not dead yet!" + term);
                c.push(server_quit);
            };
            const std::vector<std::string> expected{"hello world", "I'm not dead yet!"};
            CHECK(exchange<1>(term, server_chunk, push_lines)->contents == expected);
            CHECK(exchange<2>(term, server_chunk, push_lines)->contents == expected);
            CHECK(exchange<3>(term, server_chunk, push_lines)->contents == expected);
            CHECK(exchange<4096>(term, server_chunk, push_lines)->contents == expected);
        }
    }
}

TEST_CASE("test_numeric_terminator1/2: read a fixed number of bytes", "[cpython][loopback]") {
    const std::string data = "hello world, I'm not dead yet!\n";
    for (std::size_t termlen : {1, 6}) {
        INFO("count " << termlen);
        auto push = [&](auto& c) {
            c.push(data);
            c.push(server_quit);
        };
        const std::vector<std::string> expected{data.substr(0, termlen)};
        CHECK(exchange<1>(termlen, 1, push)->contents == expected);
        CHECK(exchange<4096>(termlen, 1, push)->contents == expected);
    }
}

TEST_CASE("test_none_terminator: everything is collected", "[cpython][loopback]") {
    const std::string data = "hello world, I'm not dead yet!\n";
    auto client = exchange<4096>(asynchat::none, 1, [&](auto& c) {
        c.push(data);
        c.push(server_quit);
    });
    CHECK(client->contents.empty());
    CHECK(client->buffer == data);
}

TEST_CASE("test_simple_producer", "[cpython][loopback]") {
    const std::string data = "hello world\nI'm not dead yet!\n";
    auto client = exchange<4096>("\n", 1, [&](auto& c) {
        c.push_with_producer(asynchat::simple_producer(data + server_quit, 8));
    });
    CHECK(client->contents == std::vector<std::string>{"hello world", "I'm not dead yet!"});
}

TEST_CASE("test_string_producer", "[cpython][loopback]") {
    const std::string data = "hello world\nI'm not dead yet!\n";
    auto client = exchange<4096>("\n", 1, [&](auto& c) { c.push_with_producer(data + server_quit); });
    CHECK(client->contents == std::vector<std::string>{"hello world", "I'm not dead yet!"});
}

TEST_CASE("test_empty_line: empty lines are records", "[cpython][loopback]") {
    auto client = exchange<4096>("\n", 1, [&](auto& c) {
        c.push("hello world\n\nI'm not dead yet!\n");
        c.push(server_quit);
    });
    CHECK(client->contents == std::vector<std::string>{"hello world", "", "I'm not dead yet!"});
}

TEST_CASE("test_close_when_done: the client closes once its data is sent", "[cpython][loopback]") {
    asio::io_context ctx;
    test::python_echo_server server(ctx, 1);
    server.hold();  // echo only after the client has closed
    auto client = std::make_shared<echo_client<4096>>(ctx, "\n");
    client->connect(server.endpoint());
    client->push("hello world\nI'm not dead yet!\n");
    client->push(server_quit);
    client->close_when_done();
    REQUIRE(test::run_until(ctx, [&] { return server.got_quit && !client->connected(); }));
    server.release();
    REQUIRE(test::run_until(ctx, [&] { return server.done; }));
    CHECK(client->contents.empty());
    CHECK(server.buffer.size() > 0);  // it received something, and did not just fail
}

TEST_CASE("test_push: bytes of every form are sent", "[cpython][loopback]") {
    // push(10) and push of non-bytes must not compile: see async_chat_test.cpp
    // and tests/compile_fail (Python raises TypeError at run time).
    const std::string data = "bytes\n";
    auto client = exchange<4096>("\n", 1, [&](auto& c) {
        c.push(data);                     // bytes
        c.push(std::string_view(data));   // memoryview
        c.push(std::string(data));        // bytearray (a fresh buffer, moved)
        c.push(server_quit);
    });
    CHECK(client->contents == std::vector<std::string>{"bytes", "bytes", "bytes"});
}

TEST_CASE("test_find_prefix_at_end", "[cpython]") {
    CHECK(asynchat::find_prefix_at_end("qwerty\r", "\r\n") == 1);
    CHECK(asynchat::find_prefix_at_end("qwertydkjf", "\r\n") == 0);
}

TEST_CASE("test_disallow_negative_terminator", "[cpython]") {
    asio::io_context ctx;
    auto client = std::make_shared<echo_client<4096>>(ctx, "\n");
    CHECK_THROWS_AS(client->set_terminator(-1), std::invalid_argument);
}
