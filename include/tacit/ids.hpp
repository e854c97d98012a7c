#pragma once
/// W3C trace context identifiers: 128-bit trace ids, 64-bit span ids, and the pair as a context.
#include <array>        // std::array for hex buffers
#include <cstdint>      // fixed-width ids
#include <string_view>  // hex parsing

#include "config.hpp"

namespace tacit::inline TACIT_ABI {

/// A 128-bit W3C trace id; all-zero is invalid and never generated.
struct trace_id {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;

    constexpr bool valid() const noexcept { return (hi | lo) != 0; }
    constexpr bool operator==(const trace_id&) const = default;

    /// 32 lowercase hex digits, the form of `traceparent` and OTLP/JSON.
    std::array<char, 32> hex() const noexcept;
    /// The 16 bytes in network order, the form of OTLP/protobuf.
    std::array<std::uint8_t, 16> bytes() const noexcept;
};

/// A 64-bit W3C span id; zero means "no span" (a root has a zero parent).
struct span_id {
    std::uint64_t value = 0;

    constexpr bool valid() const noexcept { return value != 0; }
    constexpr bool operator==(const span_id&) const = default;

    std::array<char, 16> hex() const noexcept;
    std::array<std::uint8_t, 8> bytes() const noexcept;
};

/// Where a span sits in a trace: what a child needs to know of its parent.
///
///     auto ctx = span.context();                     // on one thread
///     auto child = tacit::start<step>(ctx);          // on another
struct span_context {
    tacit::trace_id trace{};
    tacit::span_id span{};
    std::uint8_t flags = 1;  // W3C trace-flags; bit 0 = sampled
    bool remote = false;     // came from another process (extracted from traceparent)

    constexpr bool valid() const noexcept { return trace.valid() && span.valid(); }
    constexpr bool sampled() const noexcept { return (flags & 1) != 0; }
    constexpr bool operator==(const span_context&) const = default;
};

namespace detail {
inline constexpr char hex_digits[] = "0123456789abcdef";

template <std::size_t N>
inline void put_hex(char* out, std::uint64_t v) noexcept {
    for (std::size_t i = 0; i < N; ++i) out[N - 1 - i] = hex_digits[(v >> (4 * i)) & 0xF];
}

inline void put_bytes(std::uint8_t* out, std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}

/// Parses exactly 16 lowercase hex digits; uppercase is rejected, as W3C requires.
constexpr bool parse_hex64(std::string_view s, std::uint64_t& out) noexcept {
    if (s.size() != 16) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        unsigned d;
        if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
        else return false;
        v = (v << 4) | d;
    }
    out = v;
    return true;
}
}  // namespace detail

inline std::array<char, 32> trace_id::hex() const noexcept {
    std::array<char, 32> out{};
    detail::put_hex<16>(out.data(), hi);
    detail::put_hex<16>(out.data() + 16, lo);
    return out;
}

inline std::array<std::uint8_t, 16> trace_id::bytes() const noexcept {
    std::array<std::uint8_t, 16> out{};
    detail::put_bytes(out.data(), hi);
    detail::put_bytes(out.data() + 8, lo);
    return out;
}

inline std::array<char, 16> span_id::hex() const noexcept {
    std::array<char, 16> out{};
    detail::put_hex<16>(out.data(), value);
    return out;
}

inline std::array<std::uint8_t, 8> span_id::bytes() const noexcept {
    std::array<std::uint8_t, 8> out{};
    detail::put_bytes(out.data(), value);
    return out;
}

}  // namespace tacit::inline TACIT_ABI
