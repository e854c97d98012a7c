#pragma once
/// What the OTLP encoders share: the payload they encode and the growable byte buffer.
#include <cstddef>      // std::size_t
#include <cstdint>      // byte values
#include <cstring>      // std::memcpy, std::memmove
#include <span>         // spans and attributes
#include <string>       // partial_success messages
#include <string_view>  // names

#include "../config.hpp"
#include "../exporter.hpp"
#include "../value.hpp"

namespace tacit::inline TACIT_ABI {
namespace detail {

/// One ExportTraceServiceRequest: a single resource, a single scope, the batch's spans.
struct otlp_payload {
    std::span<const attribute_view> resource;  ///< already merged and de-duplicated
    std::string_view scope_name = "tacit";
    std::string_view scope_version = TACIT_VERSION_STRING;
    std::span<const span_view> spans;
};

/// ExportTraceServiceResponse.partial_success, as far as the exporter cares.
struct partial_success {
    std::uint64_t rejected_spans = 0;
    std::string error_message;
};

/// The OTLP span kind enum: SPAN_KIND_INTERNAL = 1 ... SPAN_KIND_CONSUMER = 5.
constexpr std::uint32_t otlp_kind(span_role r) noexcept { return static_cast<std::uint32_t>(r) + 1; }

/// The OTLP status code enum: UNSET = 0, OK = 1, ERROR = 2.
constexpr std::uint32_t otlp_status(status_code s) noexcept { return static_cast<std::uint32_t>(s); }

/// Span.flags and Link.flags: the W3C trace flags in bits 0-7, bit 8 says bit 9 is known,
/// bit 9 says the other end is remote (SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK / _IS_REMOTE_MASK).
constexpr std::uint32_t otlp_flags(std::uint8_t trace_flags, bool remote) noexcept {
    return static_cast<std::uint32_t>(trace_flags) | 0x100u | (remote ? 0x200u : 0u);
}
/// A span's flags say whether its parent is remote.
constexpr std::uint32_t otlp_flags(const span_view& s) noexcept { return otlp_flags(s.context.flags, s.parent_remote); }
/// A link's flags say whether the linked span is remote.
constexpr std::uint32_t otlp_flags(const link_view& l) noexcept { return otlp_flags(l.context.flags, l.context.remote); }

/// The attribute an error's type is also written to, per OpenTelemetry semantic conventions.
inline constexpr std::string_view error_type_key = "error.type";

/// Whether the encoder adds an `error.type` attribute for this span.
inline bool needs_error_type(const span_view& s) noexcept {
    return s.status == status_code::error && !s.error_type.empty() && s.find(error_type_key) == nullptr;
}

/// A growable byte buffer that keeps its capacity between batches; `data()`/`size()`
/// are the encoded bytes (possibly starting after some reserved headroom).
class byte_buffer {
public:
    void clear(std::size_t headroom = 0) {
        reserve_total(headroom + 256);
        begin_ = headroom;
        end_ = headroom;
    }
    const char* data() const noexcept { return buf_ + begin_; }
    std::size_t size() const noexcept { return end_ - begin_; }
    std::string_view view() const noexcept { return {data(), size()}; }

    /// Room for n more bytes; returns where they go.
    char* grow(std::size_t n) {
        if (end_ + n > cap_) reserve_total((end_ + n) * 2);
        return buf_ + end_;
    }
    void commit(std::size_t n) noexcept { end_ += n; }
    void put(char c) {
        *grow(1) = c;
        ++end_;
    }
    void put(std::string_view s) {
        if (s.empty()) return;
        std::memcpy(grow(s.size()), s.data(), s.size());
        end_ += s.size();
    }
    std::size_t end() const noexcept { return end_; }
    char* raw() noexcept { return buf_; }
    /// Moves the encoded start back by n bytes into the headroom (for prefixes written last).
    void prepend_room(std::size_t n) noexcept { begin_ -= n; }
    std::size_t begin() const noexcept { return begin_; }
    /// Shifts bytes [from, end) by delta (positive: right, negative: left).
    void shift(std::size_t from, std::ptrdiff_t delta) {
        if (delta > 0) grow(static_cast<std::size_t>(delta));
        std::memmove(buf_ + static_cast<std::ptrdiff_t>(from) + delta, buf_ + from, end_ - from);
        end_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(end_) + delta);
    }

    byte_buffer() = default;
    byte_buffer(const byte_buffer&) = delete;
    byte_buffer& operator=(const byte_buffer&) = delete;
    ~byte_buffer() { delete[] buf_; }

private:
    void reserve_total(std::size_t n) {
        if (n <= cap_) return;
        char* nb = new char[n];
        if (buf_) {
            std::memcpy(nb, buf_, end_);
            delete[] buf_;
        }
        buf_ = nb;
        cap_ = n;
    }
    // A raw array rather than std::string: growing must not zero-fill bytes about to be written.
    char* buf_ = nullptr;
    std::size_t cap_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

}  // namespace detail
}  // namespace tacit::inline TACIT_ABI
