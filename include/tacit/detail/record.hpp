#pragma once
/// The fixed layout of a span record as it travels through a ring: a header, then entries
/// (attributes and events), each a 16-byte entry header followed by an 8-byte-aligned payload.
#include <cstddef>  // std::byte
#include <cstdint>  // layout

#include "../config.hpp"
#include "../value.hpp"
#include "ring.hpp"

namespace tacit::inline TACIT_ABI::detail {

struct kind_info;
struct attribute_info;

inline constexpr std::uint32_t record_span = 1;

/// Flags in record_header::flags.
inline constexpr std::uint8_t flag_parent_remote = 1;
inline constexpr std::uint8_t flag_is_event = 2;
inline constexpr std::uint8_t flag_error_mangled = 4;

struct record_header {
    spsc_ring::header ring;       // size and kind (record_span)
    const kind_info* kind;        // name and role, static storage
    std::uint64_t trace_hi;
    std::uint64_t trace_lo;
    std::uint64_t span;
    std::uint64_t parent;
    std::uint64_t start_tick;
    std::uint64_t end_tick;
    const char* error_type;       // static storage (a literal or a type name), or nullptr
    std::uint32_t error_len;
    std::uint8_t status;          // status_code
    std::uint8_t flags;
    std::uint8_t trace_flags;
    std::uint8_t entries;         // attributes and events written
    std::uint16_t dropped_attributes;
    std::uint16_t dropped_events;
    std::uint16_t truncated;      // strings cut to fit
    std::uint16_t reserved;
};

enum class entry_tag : std::uint8_t { attribute = 1, event = 2, event_attribute = 3 };

struct entry_header {
    const void* info;             // attribute_info* or, for events, kind_info*
    std::uint32_t aux;            // string length or array element count
    std::uint16_t payload;        // bytes that follow, a multiple of 8
    entry_tag tag;
    std::uint8_t type;            // value_type
};

static_assert(sizeof(record_header) == 88, "The record header layout is part of the ring protocol; keep it 8-byte aligned and change the consumer with it.");
static_assert(sizeof(entry_header) == 16, "An entry header is two 8-byte words.");
static_assert(TACIT_RECORD_BYTES >= 512 && TACIT_RECORD_BYTES % 8 == 0, "TACIT_RECORD_BYTES must be a multiple of 8 of at least 512.");
static_assert(TACIT_MAX_STRING >= 8, "TACIT_MAX_STRING must leave room for the truncation mark.");

constexpr std::size_t round8(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }

/// A record as the span guard builds it on the host's stack before copying it into a ring.
struct record_buffer {
    record_header h;
    std::byte body[TACIT_RECORD_BYTES - sizeof(record_header)];
};

}  // namespace tacit::inline TACIT_ABI::detail
