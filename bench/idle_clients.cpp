// Opens N connections to 127.0.0.1:PORT and holds them, idle, until stdin
// closes. Prints "holding N" once all are connected. (A separate process from
// the server: each side then stays under the descriptor limit.)
//   idle_clients PORT N
#include "../examples/common/asio.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    const int n = std::atoi(argv[2]);
    asio::io_context ctx;
    std::vector<asio::ip::tcp::socket> held;
    held.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        held.emplace_back(ctx);
        held.back().connect({asio::ip::make_address("127.0.0.1"), port});
    }
    std::printf("holding %d\n", n);
    std::fflush(stdout);
    std::string ignored;
    while (std::getline(std::cin, ignored)) {
    }
}
