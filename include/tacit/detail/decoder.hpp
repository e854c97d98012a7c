#pragma once
/// The background thread's side of the record layout: raw records copied out of the rings,
/// turned into span_views for one export call. Buffers are reused, so after warm-up a batch
/// costs no allocation.
#include <bit>            // std::bit_cast for double values
#include <cstddef>        // std::byte
#include <cstdlib>        // std::free for demangled names
#include <cstring>        // std::memcpy
#include <memory>         // the record buffer
#include <string>         // demangled names
#include <string_view>    // views
#include <unordered_map>  // the demangling cache
#include <vector>         // reusable buffers

#if __has_include(<cxxabi.h>)
#include <cxxabi.h>  // abi::__cxa_demangle for exception type names
#define TACIT_HAS_CXXABI 1
#else
#define TACIT_HAS_CXXABI 0
#endif

#include "../config.hpp"
#include "../exporter.hpp"
#include "../schema.hpp"
#include "clock.hpp"
#include "core.hpp"
#include "record.hpp"

namespace tacit::inline TACIT_ABI::detail {

/// A buffer whose capacity is set before a batch is decoded, so appending needs no check and
/// never moves what views already point to.
template <class T>
class bounded_buffer {
public:
    void reset(std::size_t capacity) {
        if (capacity > capacity_) {
            data_.reset(new T[capacity]);
            capacity_ = capacity;
        }
        size_ = 0;
    }
    void push_back(const T& v) noexcept { data_[size_++] = v; }
    /// Counts n elements written in place past size().
    void grow_by(std::size_t n) noexcept { size_ += n; }
    T* data() noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }

private:
    std::unique_ptr<T[]> data_;
    std::size_t size_ = 0, capacity_ = 0;
};

/// memcpy in 256-byte blocks: each block's copy is inlined as vector moves, where a libc
/// memcpy of many kilobytes switches to `rep movsb`, which valgrind counts per byte and which
/// is no faster on the runs of records this copies.
inline void copy_bytes(std::byte* dst, const std::byte* src, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 256 <= n; i += 256) std::memcpy(dst + i, src + i, 256);
    if (i < n) std::memcpy(dst + i, src + i, n - i);
}

class batch_decoder {
public:
    void clear() noexcept {
        raw_size_ = 0;
        records_ = 0;
        runs_.clear();
    }
    std::size_t size() const noexcept { return records_; }

    /// Copies a run of whole records (contiguous in a ring) with one memcpy.
    void add_run(const std::byte* run, std::size_t bytes, std::size_t records, std::uint32_t thread) {
        std::size_t at = raw_size_;
        if (at + bytes > raw_capacity_) grow(at + bytes);
        copy_bytes(raw_.get() + at, run, bytes);
        raw_size_ = at + bytes;
        records_ += records;
        runs_.push_back({at, records, thread});
    }


    /// Views of every record added since clear(); valid until the next add() or clear().
    std::span<const span_view> build(const tick_converter& clock) {
        // Every attribute takes at least 8 bytes (a slot), every event and link 16 (an entry)
        // and every array element 8, so these bounds hold and the buffers never reallocate
        // while views point into them.
        spans_.reset(records_);
        attrs_.reset(raw_size_ / 8 + 1);
        events_.clear();
        events_.reserve(raw_size_ / sizeof(entry_header) + 1);
        links_.clear();
        links_.reserve(raw_size_ / sizeof(entry_header) + 1);
        items_.clear();
        items_.reserve(raw_size_ / 8 + 1);
        for (const run& r : runs_) {
            const std::byte* p = raw_.get() + r.offset;
            for (std::size_t k = 0; k < r.records; ++k) {
                // Reused objects: decode() writes every field.
                spans_.grow_by(1);
                span_view& s = spans_[spans_.size() - 1];
                p += decode(p, clock, s);
                s.thread = r.thread;
            }
        }
        return {spans_.data(), spans_.size()};
    }

    std::uint64_t truncated = 0;
    std::uint64_t dropped_attributes = 0;

private:
    struct run {
        std::size_t offset;
        std::size_t records;
        std::uint32_t thread;
    };

    static std::uint64_t word(const std::byte* p) noexcept {
        std::uint64_t v;
        std::memcpy(&v, p, 8);
        return v;
    }

    static value_view scalar(value_type t, const std::byte* p) noexcept {
        std::uint64_t bits = word(p);
        switch (t) {
        case value_type::boolean: return value_view::of(bits != 0);
        case value_type::int64: return value_view::of(static_cast<std::int64_t>(bits));
        default: return value_view::of(std::bit_cast<double>(bits));
        }
    }

    /// A bit of a 64-bit filter of one span's keys (pointer and size), to skip most searches.
    static std::uint64_t key_bit(std::string_view key) noexcept {
        return std::uint64_t{1} << ((reinterpret_cast<std::uintptr_t>(key.data()) >> 3 ^ key.size()) & 63);
    }

    /// An array's elements at payload, as views kept in items_.
    value_view array(value_type t, std::uint32_t count, const std::byte* payload) {
        std::size_t first = items_.size();
        const std::byte* q = payload;
        for (std::uint32_t k = 0; k < count; ++k) {
            if (t == value_type::string_array) {
                std::uint64_t len = word(q);
                items_.push_back(value_view::of(std::string_view(reinterpret_cast<const char*>(q + 8), len)));
                q += 8 + round8(len);
            } else {
                items_.push_back(scalar(element_type(t), q));
                q += 8;
            }
        }
        return value_view::array(t, std::span<const value_view>(items_.data() + first, count));
    }

    static value_view array_of(void* self, value_type t, std::uint32_t count, const std::byte* payload) {
        return static_cast<batch_decoder*>(self)->array(t, count, payload);
    }

    /// A value of type t whose payload is at p; aux is a string's length or an array's count.
    value_view value(value_type t, std::uint32_t aux, const std::byte* payload) {
        if (t == value_type::string) return value_view::of(std::string_view(reinterpret_cast<const char*>(payload), aux));
        if (!is_array(t)) return scalar(t, payload);
        return array(t, aux, payload);
    }

    std::string_view demangle(const char* name, std::size_t len) {
#if TACIT_HAS_CXXABI
        auto [pos, fresh] = demangled_.try_emplace(name);
        if (fresh) {
            int status = 0;
            char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
            pos->second = (status == 0 && d) ? d : std::string(name, len);
            std::free(d);
        }
        return pos->second;
#else
        return {name, len};
#endif
    }

    /// Fills s from the record at p; returns the record's size.
    std::size_t decode(const std::byte* p, const tick_converter& clock, span_view& s) {
        // The bytes were copied in with memcpy, which creates the header object there.
        const auto& h = *reinterpret_cast<const record_header*>(p);
        const auto* kind = h.kind;
        s.name = kind->name;
        s.role = kind->role;
        s.context = span_context{trace_of(h.trace_hi, h.trace_lo, (h.flags & flag_lazy_trace) != 0),
                                 span_id{span_id_of(h.span)}, h.trace_flags, false};
        s.parent = span_id{(h.flags & flag_lazy_parent) ? span_id_of(h.parent) : h.parent};
        s.parent_remote = (h.flags & flag_parent_remote) != 0;
        s.start_unix_ns = clock.to_unix_ns(h.start_tick);
        s.end_unix_ns = h.end_tick >= h.start_tick ? s.start_unix_ns + clock.to_ns(h.end_tick - h.start_tick) : s.start_unix_ns;
        s.status = static_cast<status_code>(h.status);
        s.error_type = {};
        if (h.status == static_cast<std::uint8_t>(status_code::error) && h.error_type) {
            s.error_type = (h.flags & flag_error_mangled) ? demangle(h.error_type, h.error_len)
                                                          : std::string_view(h.error_type, h.error_len);
        }
        s.trace_state = {};
        s.dropped_links = (h.flags & flag_dropped_links) ? h.dropped_links : 0;
        std::uint32_t dropped = h.dropped_attributes;
        truncated += h.truncated;

        // The declared attributes first, in declaration order, by the kind's own decoder.
        const std::byte* slots = p + sizeof(record_header);
        attribute_view* first = attrs_.data() + attrs_.size();
        std::size_t n = kind->decode_slots(slots, h.present, first, array_sink{this, &array_of});
        if (TACIT_UNLIKELY(n > TACIT_MAX_ATTRIBUTES)) {
            dropped += static_cast<std::uint32_t>(n - TACIT_MAX_ATTRIBUTES);
            n = TACIT_MAX_ATTRIBUTES;
        }
        attrs_.grow_by(n);

        s.dropped_events = h.dropped_events;
        if (TACIT_LIKELY(h.entries == 0)) {  // no tail entries: nothing more to find
            s.attributes = std::span<const attribute_view>(first, n);
            s.dropped_attributes = dropped;
            dropped_attributes += dropped;
            s.events = {};
            s.links = {};
            return h.ring.size;
        }
        // Then one pass over the tail: ad-hoc attributes (a key set twice keeps its last
        // value; at most TACIT_MAX_ATTRIBUTES in all), events and their attributes, links and
        // the tracestate. Events' attributes are collected aside, after the span's.
        std::size_t event_first = events_.size();
        std::size_t link_first = links_.size();
        std::size_t pending_first = pending_.size();
        const std::byte* end = p + h.ring.size;
        const std::byte* q = slots + h.first_entry;
        std::uint64_t seen = 0;
        bool seen_slots = false;
        for (unsigned i = 0; i < h.entries && q + sizeof(entry_header) <= end; ++i) {
            entry_header en;
            std::memcpy(&en, q, sizeof en);
            const std::byte* payload = q + sizeof en;
            q = slots + en.next;
            if (en.tag == entry_tag::attribute) {
                const auto* info = static_cast<const attribute_info*>(en.info);
                attribute_view v{info->key, info->sensitivity, value(static_cast<value_type>(en.type), en.aux, payload)};
                if (!seen_slots) {
                    for (std::size_t k = 0; k < n; ++k) seen |= key_bit(first[k].key);
                    seen_slots = true;
                }
                // A key set twice keeps its last value. Search only when the key's bit in a
                // 64-bit filter of this span's key pointers and sizes is already set.
                std::uint64_t bit = key_bit(v.key);
                if (seen & bit) {
                    bool replaced = false;
                    for (std::size_t k = 0; k < n; ++k) {
                        if (same_key(first[k].key, v.key)) {
                            first[k] = v;
                            replaced = true;
                            break;
                        }
                    }
                    if (replaced) continue;
                }
                seen |= bit;
                if (n >= TACIT_MAX_ATTRIBUTES) {
                    ++dropped;
                } else {
                    attrs_.push_back(v);
                    ++n;
                }
            } else if (en.tag == entry_tag::event) {
                const auto* ek = static_cast<const kind_info*>(en.info);
                events_.push_back(event_view{ek->name, clock.to_unix_ns(word(payload)), {}});
                event_starts_.push_back(pending_.size());
            } else if (en.tag == entry_tag::event_attribute && events_.size() > event_first) {
                const auto* info = static_cast<const attribute_info*>(en.info);
                pending_.push_back(attribute_view{info->key, info->sensitivity, value(static_cast<value_type>(en.type), en.aux, payload)});
            } else if (en.tag == entry_tag::link) {
                link_words w;
                std::memcpy(&w, payload, sizeof w);
                links_.push_back(link_view{span_context{{w.trace_hi, w.trace_lo}, span_id{w.span},
                                                        static_cast<std::uint8_t>(w.flags), (w.flags >> 8 & 1) != 0},
                                           {}, {}});
            } else if (en.tag == entry_tag::trace_state) {
                s.trace_state = std::string_view(reinterpret_cast<const char*>(payload), en.aux);
            }
        }
        s.attributes = std::span<const attribute_view>(first, n);
        s.dropped_attributes = dropped;
        dropped_attributes += dropped;
        std::size_t n_events = events_.size() - event_first;
        if (n_events) {
            // Move this span's event attributes after its span attributes and point at them.
            std::size_t base = attrs_.size();
            for (std::size_t k = pending_first; k < pending_.size(); ++k) attrs_.push_back(pending_[k]);
            for (std::size_t k = 0; k < n_events; ++k) {
                std::size_t from = event_starts_[event_starts_.size() - n_events + k];
                std::size_t to = k + 1 < n_events ? event_starts_[event_starts_.size() - n_events + k + 1] : pending_.size();
                events_[event_first + k].attributes =
                    std::span<const attribute_view>(attrs_.data() + base + (from - pending_first), to - from);
            }
            pending_.resize(pending_first);
            event_starts_.resize(event_starts_.size() - n_events);
        }
        s.events = std::span<const event_view>(events_.data() + event_first, n_events);
        s.links = std::span<const link_view>(links_.data() + link_first, links_.size() - link_first);
        return h.ring.size;
    }

    /// Keys are compile-time strings: the same declaration gives the same pointer, so most
    /// comparisons end at the first test.
    static bool same_key(std::string_view a, std::string_view b) noexcept {
        if (a.data() == b.data()) return a.size() == b.size();
        if (a.size() != b.size() || a[0] != b[0] || a[a.size() - 1] != b[b.size() - 1]) return false;
        return a == b;
    }

    void grow(std::size_t need) {
        std::size_t cap = raw_capacity_ ? raw_capacity_ : 64 * 1024;
        while (cap < need) cap *= 2;
        std::unique_ptr<std::byte[]> bigger(new std::byte[cap]);
        if (raw_size_) std::memcpy(bigger.get(), raw_.get(), raw_size_);
        raw_ = std::move(bigger);
        raw_capacity_ = cap;
    }

    std::unique_ptr<std::byte[]> raw_;  // copies of records; grown, never zero-filled
    std::size_t raw_size_ = 0;
    std::size_t raw_capacity_ = 0;
    std::size_t records_ = 0;
    std::vector<run> runs_;
    std::vector<attribute_view> pending_;     // event attributes of the span being decoded
    std::vector<std::size_t> event_starts_;
    bounded_buffer<span_view> spans_;
    bounded_buffer<attribute_view> attrs_;
    std::vector<event_view> events_;
    std::vector<link_view> links_;
    std::vector<value_view> items_;
    std::unordered_map<const char*, std::string> demangled_;
};

}  // namespace tacit::inline TACIT_ABI::detail
