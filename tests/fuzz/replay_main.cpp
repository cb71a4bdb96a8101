// Runs a fuzz target without libFuzzer: over files and directories given as
// arguments (a corpus), and over `--random N` inputs from a fixed seed. This
// is how the fuzz checks run in every ordinary test build.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
void run_file(const std::filesystem::path& p, std::size_t& count) {
    std::ifstream in(p, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++count;
}
} // namespace

int main(int argc, char** argv) {
    std::size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--random") == 0 && i + 1 < argc) {
            const long n = std::atol(argv[++i]);
            std::mt19937 rng(20261123);
            std::vector<std::uint8_t> input;
            for (long k = 0; k < n; ++k) {
                input.resize(rng() % 600);
                for (auto& b : input) b = static_cast<std::uint8_t>(rng() % 4 ? "ab\r\n.\0"[rng() % 6] : rng());
                LLVMFuzzerTestOneInput(input.data(), input.size());
                ++count;
            }
            continue;
        }
        const std::filesystem::path p(argv[i]);
        if (std::filesystem::is_directory(p)) {
            for (const auto& e : std::filesystem::directory_iterator(p))
                if (e.is_regular_file()) run_file(e.path(), count);
        } else {
            run_file(p, count);
        }
    }
    std::printf("replayed %zu inputs, all checks held\n", count);
    return 0;
}
