#pragma once
/// The fixed layout of a span record as it travels through a ring: a header, one 8-byte slot per
/// attribute the span kind declares (a presence bit each in the header), then a tail: the
/// payloads of string and array slots, and entries (ad-hoc attributes, events and their
/// attributes, links, the tracestate), each a 16-byte header and an 8-byte-aligned payload.
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
inline constexpr std::uint8_t flag_restore_saved = 2;  // its end restores the guard's saved_ as the current span
inline constexpr std::uint8_t flag_error_mangled = 4;
inline constexpr std::uint8_t flag_lazy_trace = 8;    // trace_hi is the root span's sequence number
inline constexpr std::uint8_t flag_lazy_parent = 16;  // parent is a sequence number of this thread
inline constexpr std::uint8_t flag_dropped_links = 32;  // dropped_links is set

struct record_header {
    spsc_ring::header ring;       // size and kind (record_span)
    const kind_info* kind;        // name, role and slot table, static storage
    std::uint64_t trace_hi;       // with flag_lazy_trace: the root's sequence number (see span_id_of)
    std::uint64_t trace_lo;
    std::uint64_t span;           // the span's sequence number on its thread
    std::uint64_t parent;         // an id, or with flag_lazy_parent a sequence number; 0: none
    std::uint64_t start_tick;
    std::uint64_t end_tick;
    std::uint64_t present;        // bit i: slot i holds a value
    // The one word the span guard writes at start: flags and trace_flags, everything else zero.
    std::uint8_t status;          // status_code
    std::uint8_t flags;
    std::uint8_t trace_flags;
    std::uint8_t entries;         // tail entries written
    std::uint16_t dropped_attributes;
    std::uint8_t dropped_events;  // saturates at 255
    std::uint8_t truncated;       // strings cut to fit; saturates at 255
    // Written with the status by span.error(), and read only when the status is error.
    const char* error_type;       // static storage (a literal or a type name)
    std::uint16_t error_len;
    std::uint16_t first_entry;    // read only when entries > 0: the first tail entry's offset in the body
    std::uint32_t dropped_links;  // read only with flag_dropped_links (links that did not fit)
};

enum class entry_tag : std::uint8_t { attribute = 1, event = 2, event_attribute = 3, link = 5, trace_state = 6 };

/// A slot of a string or array attribute holds where its payload lies in the tail: the offset
/// from the start of the slots in the low half, the string's length or the array's element
/// count in the high half.
constexpr std::uint64_t slot_word(std::uint32_t offset, std::uint64_t aux) noexcept { return offset | aux << 32; }
constexpr std::uint32_t slot_offset(std::uint64_t word) noexcept { return static_cast<std::uint32_t>(word); }
constexpr std::uint32_t slot_aux(std::uint64_t word) noexcept { return static_cast<std::uint32_t>(word >> 32); }

/// A link entry's payload: the linked span's context (flags: W3C trace flags, bit 8 remote).
struct link_words {
    std::uint64_t trace_hi;
    std::uint64_t trace_lo;
    std::uint64_t span;
    std::uint64_t flags;
};

/// Entries are chained (strings and arrays of slots lie between them), from the header's
/// first_entry; each names the offset of the next one in the body.
struct entry_header {
    const void* info;             // attribute_info* or, for events, kind_info*
    std::uint32_t aux;            // string length or array element count
    std::uint16_t next;           // the next entry's offset in the body (the last one's: 0)
    entry_tag tag;
    std::uint8_t type;            // value_type
};

static_assert(sizeof(record_header) == 96, "The record header layout is part of the ring protocol; keep it 8-byte aligned and change the consumer with it.");
static_assert(sizeof(entry_header) == 16, "An entry header is two 8-byte words.");
static_assert(TACIT_RECORD_BYTES >= 1024 && TACIT_RECORD_BYTES % 8 == 0 && TACIT_RECORD_BYTES <= 4096,
              "TACIT_RECORD_BYTES must be a multiple of 8 from 1024 to 4096 (a kind's 64 slots take 512; entry counts fit a byte).");
static_assert(TACIT_MAX_STRING >= 8, "TACIT_MAX_STRING must leave room for the truncation mark.");

constexpr std::size_t round8(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }

/// Adds one to a saturating byte counter.
constexpr void bump_saturating(std::uint8_t& c) noexcept { c = static_cast<std::uint8_t>(c + (c != 255)); }

/// A record as the span guard builds it on the host's stack before copying it into a ring:
/// body holds the kind's slots, then the tail.
struct record_buffer {
    record_header h;
    std::byte body[TACIT_RECORD_BYTES - sizeof(record_header)];
};

}  // namespace tacit::inline TACIT_ABI::detail
