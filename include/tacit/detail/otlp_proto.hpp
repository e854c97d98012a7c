#pragma once
/// OTLP/protobuf without libprotobuf: a writer for ExportTraceServiceRequest (field numbers
/// from opentelemetry/proto/{collector/trace,trace,common,resource}/v1/*.proto) and a reader
/// for the ExportTraceServiceResponse's partial_success.
#include <array>        // id bytes
#include <bit>          // std::bit_cast for doubles
#include <cstring>      // std::memcpy
#include <cstddef>      // std::size_t
#include <cstdint>      // wire values
#include <optional>     // response parsing
#include <string>       // error messages
#include <string_view>  // input bytes

#include "otlp_common.hpp"

namespace tacit::inline TACIT_ABI {
namespace detail {

/// Protobuf wire types.
enum class wire : std::uint8_t { varint = 0, i64 = 1, len = 2, i32 = 5 };

constexpr std::size_t varint_size(std::uint64_t v) noexcept {
    std::size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

inline std::size_t write_varint(char* p, std::uint64_t v) noexcept {
    std::size_t n = 0;
    while (v >= 0x80) {
        p[n++] = static_cast<char>((v & 0x7F) | 0x80);
        v >>= 7;
    }
    p[n++] = static_cast<char>(v);
    return n;
}

/// Appends protobuf fields to a byte_buffer. Nested messages reserve a guessed number of
/// length bytes and move their body only when the guess was wrong, so a typical span
/// (128 to 16383 bytes, reserve 2) or attribute (< 128 bytes, reserve 1) is written once.
class pb_writer {
public:
    explicit pb_writer(byte_buffer& b) noexcept : b_(b) {}

    void varint(std::uint64_t v) { b_.commit(write_varint(b_.grow(10), v)); }
    void tag(std::uint32_t field, wire w) { varint((std::uint64_t{field} << 3) | static_cast<std::uint32_t>(w)); }
    void field_varint(std::uint32_t field, std::uint64_t v) {
        tag(field, wire::varint);
        varint(v);
    }
    void field_fixed64(std::uint32_t field, std::uint64_t v) {
        tag(field, wire::i64);
        char* p = b_.grow(8);
        for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));  // little-endian on the wire
        b_.commit(8);
    }
    void field_fixed32(std::uint32_t field, std::uint32_t v) {
        tag(field, wire::i32);
        char* p = b_.grow(4);
        for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
        b_.commit(4);
    }
    void field_bytes(std::uint32_t field, std::string_view s) {
        tag(field, wire::len);
        varint(s.size());
        b_.put(s);
    }
    template <std::size_t N>
    void field_bytes(std::uint32_t field, const std::array<std::uint8_t, N>& a) {
        tag(field, wire::len);
        varint(N);
        char* p = b_.grow(N);
        std::memcpy(p, a.data(), N);
        b_.commit(N);
    }

    /// Starts a length-delimited field; returns the body's start for end().
    std::size_t begin(std::uint32_t field, std::size_t reserve) {
        tag(field, wire::len);
        b_.grow(reserve);
        b_.commit(reserve);
        return b_.end() * 8 + reserve;  // the body start and the reserved width in one number
    }
    void end(std::size_t token) {
        const std::size_t reserve = token % 8, start = token / 8;
        const std::size_t len = b_.end() - start;
        const std::size_t need = varint_size(len);
        if (need != reserve) b_.shift(start, static_cast<std::ptrdiff_t>(need) - static_cast<std::ptrdiff_t>(reserve));
        write_varint(b_.raw() + start - reserve, len);  // `need` bytes, ending where the body now starts
    }

private:
    byte_buffer& b_;
};

// The span encoder writes through a local cursor into room reserved up front (span_bound):
// a char* store may alias anything, so going through the buffer object for every byte
// would make the compiler reload its fields after each one.
namespace pb {

inline char* varint(char* p, std::uint64_t v) noexcept { return p + write_varint(p, v); }

/// A one-byte tag (field numbers 1 to 15).
constexpr char tag(std::uint32_t field, wire w) noexcept {
    return static_cast<char>((field << 3) | static_cast<std::uint32_t>(w));
}

inline char* bytes(char* p, std::uint32_t field, const void* d, std::size_t n) noexcept {
    *p++ = tag(field, wire::len);
    p = varint(p, n);
    if (n) std::memcpy(p, d, n);
    return p + n;
}
inline char* string(char* p, std::uint32_t field, std::string_view s) noexcept { return bytes(p, field, s.data(), s.size()); }

inline char* fixed32(char* p, std::uint32_t v) noexcept {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));  // little-endian on the wire
    return p + 4;
}

inline char* fixed64(char* p, std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));  // little-endian on the wire
    return p + 8;
}

inline char* big_endian64(char* p, std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (56 - 8 * i));  // ids are network order
    return p + 8;
}

/// Opens a length-delimited field, reserving `reserve` length bytes; returns the body start.
inline char* open(char*& p, std::uint32_t field, std::size_t reserve) noexcept {
    *p++ = tag(field, wire::len);
    p += reserve;
    return p;
}

/// Closes a field opened with `reserve` length bytes at `body`, moving the body when its
/// length needs another number of bytes; returns the new end.
inline char* close(char* body, std::size_t reserve, char* end) noexcept {
    const auto len = static_cast<std::size_t>(end - body);
    const std::size_t need = varint_size(len);
    if (need != reserve) std::memmove(body + need - reserve, body, len);
    write_varint(body - reserve, len);
    return body - reserve + need + len;
}

/// Bytes a value may take at most (with room for every length guess to be one byte short).
inline std::size_t value_bound(const value_view& v) noexcept {
    switch (v.type()) {
    case value_type::string: return 24 + v.as_string().size();
    case value_type::boolean:
    case value_type::int64:
    case value_type::float64: return 24;
    default: {
        std::size_t n = 24;
        for (const auto& i : v.items()) n += 16 + value_bound(i);
        return n;
    }
    }
}

inline std::size_t attributes_bound(std::span<const attribute_view> attrs) noexcept {
    std::size_t n = 0;
    for (const auto& a : attrs) n += 24 + a.key.size() + value_bound(a.value);
    return n;
}

inline std::size_t span_bound(const span_view& s) noexcept {
    std::size_t n = 160 + s.name.size() + 2 * s.error_type.size() + error_type_key.size() + attributes_bound(s.attributes);
    for (const auto& e : s.events) n += 48 + e.name.size() + attributes_bound(e.attributes);
    n += 16 + s.trace_state.size();  // trace_state and dropped_links_count
    for (const auto& l : s.links) n += 64 + l.trace_state.size() + attributes_bound(l.attributes);
    return n;
}

inline char* any_value(char* p, const value_view& v) noexcept {
    switch (v.type()) {
    case value_type::string: return string(p, 1, v.as_string());
    case value_type::boolean:
        *p++ = tag(2, wire::varint);
        *p++ = v.as_bool() ? 1 : 0;
        return p;
    case value_type::int64:
        *p++ = tag(3, wire::varint);
        return varint(p, static_cast<std::uint64_t>(v.as_int()));
    case value_type::float64:
        *p++ = tag(4, wire::i64);
        return fixed64(p, std::bit_cast<std::uint64_t>(v.as_double()));
    default: {
        char* arr = open(p, 5, 1);  // AnyValue.array_value
        for (const auto& item : v.items()) {
            char* e = open(p, 1, 1);  // ArrayValue.values
            p = close(e, 1, any_value(p, item));
        }
        return close(arr, 1, p);
    }
    }
}

inline char* key_value(char* p, std::uint32_t field, std::string_view key, const value_view& v) noexcept {
    char* kv = open(p, field, 1);
    p = string(p, 1, key);
    char* val = open(p, 2, 1);
    p = close(val, 1, any_value(p, v));
    return close(kv, 1, p);
}

/// trace_id (1) and span_id (2): the same field numbers in Span and Span.Link.
inline char* ids(char* p, const span_context& c) noexcept {
    *p++ = tag(1, wire::len);
    *p++ = 16;
    p = big_endian64(p, c.trace.hi);
    p = big_endian64(p, c.trace.lo);
    *p++ = tag(2, wire::len);
    *p++ = 8;
    return big_endian64(p, c.span.value);
}

/// One Span.links field (13).
inline char* link(char* p, const link_view& l) noexcept {
    char* body = open(p, 13, 1);
    p = ids(p, l.context);
    if (!l.trace_state.empty()) p = string(p, 3, l.trace_state);
    for (const auto& a : l.attributes) p = key_value(p, 4, a.key, a.value);
    *p++ = tag(6, wire::i32);
    p = fixed32(p, otlp_flags(l));
    return close(body, 1, p);
}

/// One ScopeSpans.spans field; `p` must have span_bound(s) bytes of room.
inline char* span(char* p, const span_view& s) noexcept {
    char* sp = open(p, 2, 2);
    p = ids(p, s.context);
    if (!s.trace_state.empty()) p = string(p, 3, s.trace_state);
    if (s.parent.valid()) {
        *p++ = tag(4, wire::len);
        *p++ = 8;
        p = big_endian64(p, s.parent.value);
    }
    p = string(p, 5, s.name);
    *p++ = tag(6, wire::varint);
    *p++ = static_cast<char>(otlp_kind(s.role));
    *p++ = tag(7, wire::i64);
    p = fixed64(p, s.start_unix_ns);
    *p++ = tag(8, wire::i64);
    p = fixed64(p, s.end_unix_ns);
    for (const auto& a : s.attributes) p = key_value(p, 9, a.key, a.value);
    if (needs_error_type(s)) p = key_value(p, 9, error_type_key, value_view::of(s.error_type));
    if (s.dropped_attributes) {
        *p++ = tag(10, wire::varint);
        p = varint(p, s.dropped_attributes);
    }
    for (const auto& e : s.events) {
        char* ev = open(p, 11, 1);
        *p++ = tag(1, wire::i64);
        p = fixed64(p, e.time_unix_ns);
        p = string(p, 2, e.name);
        for (const auto& a : e.attributes) p = key_value(p, 3, a.key, a.value);
        p = close(ev, 1, p);
    }
    if (s.dropped_events) {
        *p++ = tag(12, wire::varint);
        p = varint(p, s.dropped_events);
    }
    for (const auto& l : s.links) p = link(p, l);
    if (s.dropped_links) {
        *p++ = tag(14, wire::varint);
        p = varint(p, s.dropped_links);
    }
    if (s.status != status_code::unset) {
        char* st = open(p, 15, 1);
        if (s.status == status_code::error && !s.error_type.empty()) p = string(p, 2, s.error_type);
        *p++ = tag(3, wire::varint);
        *p++ = static_cast<char>(otlp_status(s.status));
        p = close(st, 1, p);
    }
    // flags: field 16, fixed32 - the only two-byte tag.
    *p++ = static_cast<char>(0x85);
    *p++ = 0x01;
    p = fixed32(p, otlp_flags(s));
    return close(sp, 2, p);
}

}  // namespace pb

/// Encodes the payload as an ExportTraceServiceRequest into `out` (cleared first).
/// The spans come first in the buffer and the enclosing messages' headers are written into
/// headroom in front of them afterwards, so a large batch is never moved. (Protobuf allows
/// fields in any order, so ScopeSpans.scope after its spans is still canonical enough for
/// every decoder.)
inline void encode_protobuf(const otlp_payload& p, byte_buffer& out) {
    constexpr std::size_t headroom = 16;  // two (tag + 5-byte length) prefixes
    out.clear(headroom);
    pb_writer w(out);
    const std::size_t scope_spans_start = out.end();
    for (const auto& s : p.spans) {
        char* start = out.grow(pb::span_bound(s));
        out.commit(static_cast<std::size_t>(pb::span(start, s) - start));
    }
    {
        const auto sc = w.begin(1, 1);  // ScopeSpans.scope
        w.field_bytes(1, p.scope_name);
        w.field_bytes(2, p.scope_version);
        w.end(sc);
    }
    const std::size_t scope_spans_len = out.end() - scope_spans_start;
    {
        const auto rs = w.begin(1, 2);  // ResourceSpans.resource (after scope_spans; order is free)
        for (const auto& a : p.resource) {
            char* start = out.grow(24 + a.key.size() + pb::value_bound(a.value));
            out.commit(static_cast<std::size_t>(pb::key_value(start, 1, a.key, a.value) - start));
        }
        w.end(rs);
    }
    // Prefixes, innermost first: ResourceSpans.scope_spans (2), then request.resource_spans (1).
    char prefix[12];
    std::size_t n = 0;
    prefix[n++] = 0x12;
    n += write_varint(prefix + n, scope_spans_len);
    const std::size_t resource_spans_len = out.end() - scope_spans_start + n;
    char outer[6];
    std::size_t m = 0;
    outer[m++] = 0x0A;
    m += write_varint(outer + m, resource_spans_len);
    out.prepend_room(n + m);
    std::memcpy(out.raw() + out.begin(), outer, m);
    std::memcpy(out.raw() + out.begin() + m, prefix, n);
}

/// Reads protobuf fields with bounds checks; any malformed input makes ok() false.
class pb_reader {
public:
    explicit pb_reader(std::string_view b) noexcept : b_(b) {}
    bool ok() const noexcept { return ok_; }
    bool done() const noexcept { return pos_ >= b_.size() || !ok_; }
    std::uint64_t varint() noexcept {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= b_.size()) break;
            const auto c = static_cast<std::uint8_t>(b_[pos_++]);
            v |= std::uint64_t{c & 0x7Fu} << shift;
            if (!(c & 0x80)) return v;
        }
        ok_ = false;
        return 0;
    }
    bool next(std::uint32_t& field, wire& type) noexcept {
        if (done()) return false;
        const auto key = varint();
        field = static_cast<std::uint32_t>(key >> 3);
        type = static_cast<wire>(key & 7);
        if (!ok_ || field == 0) return ok_ = false;
        return true;
    }
    std::string_view bytes() noexcept {
        const auto n = varint();
        if (!ok_ || n > b_.size() - pos_) {
            ok_ = false;
            return {};
        }
        auto s = b_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    std::uint32_t fixed32() noexcept {
        if (b_.size() - pos_ < 4) {
            ok_ = false;
            return 0;
        }
        std::uint32_t v = 0;
        for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(b_[pos_ + static_cast<std::size_t>(i)]);
        pos_ += 4;
        return v;
    }
    void skip(wire t) noexcept {
        switch (t) {
        case wire::varint: varint(); return;
        case wire::i64: advance(8); return;
        case wire::i32: advance(4); return;
        case wire::len: bytes(); return;
        }
        ok_ = false;
    }

private:
    void advance(std::size_t n) noexcept {
        if (n > b_.size() - pos_) ok_ = false;
        else pos_ += n;
    }
    std::string_view b_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

/// Parses an ExportTraceServiceResponse; nullopt if the bytes are not valid protobuf.
/// An empty body is a valid, fully successful response.
inline std::optional<partial_success> decode_protobuf_response(std::string_view body) {
    partial_success out;
    pb_reader r(body);
    std::uint32_t f;
    wire t;
    while (r.next(f, t)) {
        if (f == 1 && t == wire::len) {
            pb_reader ps(r.bytes());
            while (ps.next(f, t)) {
                if (f == 1 && t == wire::varint) {
                    const auto v = static_cast<std::int64_t>(ps.varint());
                    out.rejected_spans = v > 0 ? static_cast<std::uint64_t>(v) : 0;
                } else if (f == 2 && t == wire::len) {
                    out.error_message = std::string(ps.bytes());
                } else {
                    ps.skip(t);
                }
            }
            if (!ps.ok()) return std::nullopt;
        } else {
            r.skip(t);
        }
    }
    if (!r.ok()) return std::nullopt;
    return out;
}

}  // namespace detail
}  // namespace tacit::inline TACIT_ABI
