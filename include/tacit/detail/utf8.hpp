#pragma once
/// Copying strings into records: bounded length, valid UTF-8, a visible mark where cut.
#include <cstddef>  // std::size_t
#include <cstdint>  // word-at-a-time ASCII check
#include <cstring>  // std::memcpy

#include "../config.hpp"

namespace tacit::inline TACIT_ABI::detail {

/// U+2026 HORIZONTAL ELLIPSIS ends a string that was cut.
inline constexpr char truncation_mark[] = "\xE2\x80\xA6";
/// U+FFFD REPLACEMENT CHARACTER stands for each invalid byte.
inline constexpr char replacement_char[] = "\xEF\xBF\xBD";

inline bool all_ascii(const char* p, std::size_t n) noexcept {
    std::uint64_t acc = 0;
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < n; ++i) acc |= static_cast<unsigned char>(p[i]);
    return (acc & 0x8080808080808080ull) == 0;
}

/// Length of the valid UTF-8 sequence at p (1-4), or 0 if the bytes there are not one.
/// Rejects overlong forms, surrogates and code points above U+10FFFF.
inline std::size_t utf8_sequence(const unsigned char* p, std::size_t n) noexcept {
    unsigned c = p[0];
    if (c < 0x80) return 1;
    std::size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < len) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (std::size_t i = 2; i < len; ++i)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return len;
}

struct copy_result {
    std::size_t size;
    bool truncated;
    bool replaced;
};

/// Copies src into dst (room for `limit` bytes, limit >= 3): invalid bytes become U+FFFD, and
/// output longer than limit is cut at a code point boundary and ends with "…".
TACIT_NOINLINE inline copy_result copy_utf8_slow(char* dst, std::size_t limit, const char* src, std::size_t n) noexcept {
    const auto* s = reinterpret_cast<const unsigned char*>(src);
    std::size_t in = 0, out = 0, safe = 0;  // safe: longest output that still leaves room for the mark
    bool replaced = false;
    while (in < n) {
        std::size_t len = utf8_sequence(s + in, n - in);
        const char* piece = src + in;
        std::size_t piece_len = len;
        if (len == 0) {
            piece = replacement_char;
            piece_len = 3;
            len = 1;
            replaced = true;
        }
        if (out + piece_len > limit) {
            std::memcpy(dst + safe, truncation_mark, 3);
            return {safe + 3, true, replaced};
        }
        std::memcpy(dst + out, piece, piece_len);
        out += piece_len;
        in += len;
        if (out + 3 <= limit) safe = out;
    }
    return {out, false, replaced};
}

/// A 64-bit word at any address (x86-64 and AArch64 store it unaligned at full speed).
#if defined(__GNUC__) || defined(__clang__)
typedef std::uint64_t unaligned_u64 __attribute__((aligned(1)));
#else
using unaligned_u64 = std::uint64_t;
#endif

/// The hot-path copy: an ASCII string of 8 to 16 bytes (tool and model names) takes two
/// overlapping 8-byte loads, one check and two stores; other ASCII strings a check and a memcpy.
inline copy_result copy_utf8(char* dst, std::size_t limit, const char* src, std::size_t n) noexcept {
    if (TACIT_LIKELY(n <= limit)) {
        if (n - 8 <= 8) {  // 8 <= n <= 16 (unsigned wrap sends shorter strings below)
            std::uint64_t a, b;
            std::memcpy(&a, src, 8);
            std::memcpy(&b, src + n - 8, 8);
            if (TACIT_LIKELY(((a | b) & 0x8080808080808080ull) == 0)) {
                // Typed (unaligned) stores rather than memcpy: a char store may alias anything,
                // and the span guard's fields would have to be reloaded after it.
                *reinterpret_cast<unaligned_u64*>(dst) = a;
                *reinterpret_cast<unaligned_u64*>(dst + n - 8) = b;
                return {n, false, false};
            }
        } else if (all_ascii(src, n)) {
            std::memcpy(dst, src, n);
            return {n, false, false};
        }
    }
    return copy_utf8_slow(dst, limit, src, n);
}

}  // namespace tacit::inline TACIT_ABI::detail
