// Runs a fuzz target without libFuzzer (g++ builds): every file of the corpus directories
// given, then a fixed number of deterministic mutations of them (byte flips, inserts,
// truncations, splices). Usage: driver [-runs=N] DIR...
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    long runs = 20000;
    std::vector<std::string> seeds;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("-runs=", 0) == 0) {
            runs = std::atol(a.c_str() + 6);
            continue;
        }
        if (!std::filesystem::is_directory(a)) {
            std::fprintf(stderr, "driver: %s is not a directory\n", a.c_str());
            return 2;
        }
        for (const auto& e : std::filesystem::directory_iterator(a)) {
            std::ifstream in(e.path(), std::ios::binary);
            seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
    }
    if (seeds.empty()) {
        std::fprintf(stderr, "driver: no corpus files\n");
        return 2;
    }
    for (const auto& s : seeds) LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    std::mt19937_64 rng(12345);
    for (long r = 0; r < runs; ++r) {
        std::string s = seeds[rng() % seeds.size()];
        int edits = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < edits; ++k) {
            switch (rng() % 5) {
            case 0: if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng()); break;
            case 1: s.insert(s.begin() + static_cast<long>(s.empty() ? 0 : rng() % s.size()), static_cast<char>(rng())); break;
            case 2: if (!s.empty()) s.resize(rng() % s.size()); break;
            case 3: { const auto& o = seeds[rng() % seeds.size()]; if (!o.empty()) s += o.substr(rng() % o.size()); } break;
            case 4: if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8)); break;
            }
        }
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    }
    std::printf("driver: %zu corpus inputs and %ld mutations passed\n", seeds.size(), runs);
    return 0;
}
