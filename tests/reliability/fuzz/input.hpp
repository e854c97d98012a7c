// Reading a fuzzer's bytes as typed fields, and the strict checks the targets share.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace fuzz {

/// Takes fields from the front of the input; past the end every read yields zeros.
struct input {
    const std::uint8_t* p;
    std::size_t n;
    std::uint8_t byte() noexcept {
        if (n == 0) return 0;
        --n;
        return *p++;
    }
    std::uint64_t u64() noexcept {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
        return v;
    }
    double f64() noexcept {
        std::uint64_t bits = u64();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
    }
    /// A string of up to `max` bytes, its length given by one byte (any bytes at all).
    std::string_view bytes(std::size_t max = 255) noexcept {
        std::size_t len = byte();
        if (len > max) len = max;
        if (len > n) len = n;
        std::string_view s(reinterpret_cast<const char*>(p), len);
        p += len;
        n -= len;
        return s;
    }
};

/// Stops the run with a message: libFuzzer records the input as a crash.
[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz check failed: %s [%.*s]\n", what, static_cast<int>(std::min<std::size_t>(detail.size(), 400)),
                 detail.data());
    std::abort();
}
#define FUZZ_CHECK(cond, detail) \
    do {                          \
        if (!(cond)) ::fuzz::fail(#cond, (detail)); \
    } while (0)

/// Strict UTF-8 (RFC 3629), written independently of tacit's own check.
inline bool valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::uint32_t cp;
        std::size_t len;
        if (c < 0x80) { ++i; continue; }
        if ((c & 0xE0) == 0xC0) { cp = c & 0x1Fu; len = 2; }
        else if ((c & 0xF0) == 0xE0) { cp = c & 0x0Fu; len = 3; }
        else if ((c & 0xF8) == 0xF0) { cp = c & 0x07u; len = 4; }
        else return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3Fu);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;  // overlong
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

}  // namespace fuzz
