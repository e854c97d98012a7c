#pragma once
/// The background thread's side of the record layout: records read where they lie in the
/// rings, turned into span_views for one export call, a run of same-kind records at a time by
/// code generated for that kind. Buffers are reused, so after warm-up a batch costs no
/// allocation.
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

/// A buffer whose capacity is set once, so appending needs no check and never moves what views
/// already point to. Its storage is not constructed: pages the batches never reach are never
/// touched (the element types are implicit-lifetime, and every element is written before it
/// is read).
template <class T>
class bounded_buffer {
public:
    bounded_buffer() = default;
    bounded_buffer(const bounded_buffer&) = delete;
    bounded_buffer& operator=(const bounded_buffer&) = delete;
    ~bounded_buffer() { ::operator delete(data_); }

    void reserve(std::size_t capacity) {
        if (capacity > capacity_) {
            T* fresh = static_cast<T*>(::operator new(capacity * sizeof(T)));
            ::operator delete(data_);
            data_ = fresh;
            capacity_ = capacity;
        }
        size_ = 0;
    }
    void clear() noexcept { size_ = 0; }
    void resize(std::size_t n) noexcept { size_ = n; }
    void push_back(const T& v) noexcept { data_[size_++] = v; }
    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }

private:
    T* data_ = nullptr;
    std::size_t size_ = 0, capacity_ = 0;
};

class batch_decoder;

/// The background thread's place in one ring and in the batch it fills, while
/// batch_decoder::take() runs. A kind's run decoder copies it into locals, which the compiler
/// keeps in registers (members would be reloaded after every store through a view).
struct run_cursor {
    const std::byte* buffer;     // the ring's bytes
    std::uint64_t mask;
    std::uint64_t tail;          // the next record to read
    std::uint64_t head;          // the end of what is published
    span_view* out;              // the next span view
    span_view* last;             // the end of the batch's span views
    attribute_view* attrs;       // the next attribute view
    char* chars;                 // the next string byte
    std::size_t bytes;           // record bytes in the batch
    std::uint64_t truncated;     // added to the decoder's counters when take() returns
    std::uint64_t dropped_attributes;
    const tick_converter* clock;
    batch_decoder* decoder;
    std::uint32_t thread;
    bool full;                   // the batch ended before the ring did
};

/// Turns records into the span views of one export call, reading each record where it lies in
/// its ring, so the ring's bytes are free again as soon as the batch is decoded: a batch holds
/// copies of the records' strings, never pointers into a ring.
class batch_decoder {
public:
    /// The most record bytes one batch decodes. Everything a record yields (attribute,
    /// element, event and link views, string bytes) is bounded by its size, so this bounds
    /// every buffer; a batch ends early rather than let one move.
    static constexpr std::size_t batch_bytes = 128 * 1024;

    static constexpr std::size_t spans_capacity = batch_bytes / sizeof(record_header) + 1;

    batch_decoder() {
        spans_.reserve(spans_capacity);
        attrs_.reserve(batch_bytes / 8);
        items_.reserve(batch_bytes / 8);
        events_.reserve(batch_bytes / sizeof(entry_header));
        links_.reserve(batch_bytes / sizeof(entry_header));
        arena_.reserve(batch_bytes);
    }

    /// Starts a new batch: the views of the last one are no longer needed.
    void clear() noexcept {
        spans_.clear();
        attrs_.clear();
        items_.clear();
        events_.clear();
        links_.clear();
        arena_.clear();
        bytes_ = 0;
    }
    std::size_t size() const noexcept { return spans_.size(); }
    bool empty() const noexcept { return spans_.size() == 0; }

    /// Decodes the records of ring, where they lie, into the batch until the ring is empty or
    /// the batch full (max spans, or batch_bytes); frees them. Returns the records taken, and
    /// sets full when some were left for the next batch.
    std::size_t take(spsc_ring& ring, std::uint32_t thread, const tick_converter& clock, std::size_t max, bool& full) {
        spsc_ring::unread u = ring.begin_read();
        run_cursor c{u.buffer, u.mask, u.tail, u.head,
                     spans_.data() + spans_.size(), spans_.data() + std::min(max, spans_capacity),
                     attrs_.data() + attrs_.size(), arena_.data() + arena_.size(),
                     bytes_, 0, 0, &clock, this, thread, false};
        span_view* const first = c.out;
        // One call per run of records of the same kind; each call takes at least one record
        // or ends the batch.
        while (c.tail != c.head && !c.full) {
            const std::byte* p = c.buffer + (c.tail & c.mask);
            spsc_ring::header rh;
            std::memcpy(&rh, p, sizeof rh);
            if (rh.kind == spsc_ring::skip) {  // pads to the end of the buffer
                c.tail += rh.size;
                continue;
            }
            // The producer wrote the header there (published with release, read after acquire).
            reinterpret_cast<const record_header*>(p)->kind->decode(c);
        }
        ring.end_read(c.tail);
        spans_.resize(static_cast<std::size_t>(c.out - spans_.data()));
        attrs_.resize(static_cast<std::size_t>(c.attrs - attrs_.data()));
        arena_.resize(static_cast<std::size_t>(c.chars - arena_.data()));
        bytes_ = c.bytes;
        truncated += c.truncated;
        dropped_attributes += c.dropped_attributes;
        if (c.full) full = true;
        return static_cast<std::size_t>(c.out - first);  // one view per record taken
    }

    /// Decodes the run of records of kind Kind at the cursor (see run_decoder).
    template <class Kind>
    void run(run_cursor& cursor) noexcept {
        run_cursor c = cursor;
        const std::byte* p = c.buffer + (c.tail & c.mask);
        const kind_info* const kind = reinterpret_cast<const record_header*>(p)->kind;
        decode_sink sink{c.chars, this, &array_of};
        for (;;) {
            const auto& h = *reinterpret_cast<const record_header*>(p);
            const std::size_t size = h.ring.size;
            if (TACIT_UNLIKELY(c.bytes + size > batch_bytes || c.out == c.last)) {
                c.full = true;
                break;
            }
            c.bytes += size;
            span_view& s = *c.out++;
            decode_header(h, *kind, *c.clock, s);
            c.truncated += h.truncated;

            // The declared attributes first, in declaration order.
            attribute_view* first = c.attrs;
            std::size_t n = Kind::decode_slots(p + sizeof(record_header), h.present, first, sink);
            std::uint32_t dropped = h.dropped_attributes;
            if constexpr (Kind::attribute_count > TACIT_MAX_ATTRIBUTES) {
                if (n > TACIT_MAX_ATTRIBUTES) {
                    dropped += static_cast<std::uint32_t>(n - TACIT_MAX_ATTRIBUTES);
                    n = TACIT_MAX_ATTRIBUTES;
                }
            }
            c.attrs = first + n;
            if (TACIT_LIKELY(h.entries == 0)) {  // no tail entries: nothing more to find
                s.attributes = std::span<const attribute_view>(first, n);
                s.dropped_attributes = dropped;
                c.dropped_attributes += dropped;
            } else {
                // The out-of-line rest appends to attrs_ itself.
                attrs_.resize(static_cast<std::size_t>(c.attrs - attrs_.data()));
                c.dropped_attributes += decode_entries(p, *c.clock, s, first, n, dropped, sink);
                c.attrs = attrs_.data() + attrs_.size();
            }
            s.thread = c.thread;
            c.tail += size;
            if (c.tail == c.head) break;
            // A skip record (read before anything else of it: it may be a bare header at the
            // end of the buffer) or a record of another kind ends the run.
            p = c.buffer + (c.tail & c.mask);
            const auto& next = *reinterpret_cast<const record_header*>(p);
            if (next.ring.kind == spsc_ring::skip || next.kind != kind) break;
        }
        c.chars = sink.chars;
        cursor = c;
    }

    std::span<const span_view> spans() const noexcept { return {spans_.data(), spans_.size()}; }

    std::uint64_t truncated = 0;
    std::uint64_t dropped_attributes = 0;

private:
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
    value_view array(decode_sink& sink, value_type t, std::uint32_t count, const std::byte* payload) {
        std::size_t first = items_.size();
        const std::byte* q = payload;
        for (std::uint32_t k = 0; k < count; ++k) {
            if (t == value_type::string_array) {
                std::uint64_t len = word(q);
                items_.push_back(value_view::of(sink.string(q + 8, len)));
                q += 8 + round8(len);
            } else {
                items_.push_back(scalar(element_type(t), q));
                q += 8;
            }
        }
        return value_view::array(t, std::span<const value_view>(items_.data() + first, count));
    }

    static value_view array_of(decode_sink& sink, value_type t, std::uint32_t count, const std::byte* payload) {
        return static_cast<batch_decoder*>(sink.self)->array(sink, t, count, payload);
    }

    /// A value of type t whose payload is at p; aux is a string's length or an array's count.
    value_view value(decode_sink& sink, value_type t, std::uint32_t aux, const std::byte* payload) {
        if (t == value_type::string) return value_view::of(sink.string(payload, aux));
        if (!is_array(t)) return scalar(t, payload);
        return array(sink, t, aux, payload);
    }

    TACIT_NOINLINE std::string_view error_type_of(const record_header& h) {
        return (h.flags & flag_error_mangled) ? demangle(h.error_type, h.error_len) : std::string_view(h.error_type, h.error_len);
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

    /// The trace id of a record: a lazy trace is mixed from its root's sequence number, which
    /// is the record's own for a root and the last one decoded for most children.
    trace_id trace_of_record(const record_header& h, std::uint64_t span_id) noexcept {
        if (!(h.flags & flag_lazy_trace)) return {h.trace_hi, h.trace_lo};
        if (h.trace_hi == h.span) return trace_of_root_id(span_id);  // a root: its id is already mixed
        if (h.trace_hi != last_root_) {
            last_root_ = h.trace_hi;
            last_trace_ = trace_of_root(h.trace_hi);
        }
        return last_trace_;
    }

    /// Fills s from a record's header: everything but its attributes, events and links.
    void decode_header(const record_header& h, const kind_info& kind, const tick_converter& clock, span_view& s) noexcept {
        // The error type, events, tracestate and links, empty in most spans, lie side by side:
        // one copy from an empty view clears them in a few wide stores.
        static constexpr span_view empty{};
        constexpr std::size_t from = offsetof(span_view, error_type), to = offsetof(span_view, links) + sizeof(empty.links);
        std::memcpy(reinterpret_cast<std::byte*>(&s) + from, reinterpret_cast<const std::byte*>(&empty) + from, to - from);
        s.name = kind.name;
        s.role = kind.role;
        std::uint64_t id = span_id_of(h.span);
        s.context = span_context{trace_of_record(h, id), span_id{id}, h.trace_flags, false};
        s.parent = span_id{(h.flags & flag_lazy_parent) ? span_id_of(h.parent) : h.parent};
        s.parent_remote = (h.flags & flag_parent_remote) != 0;
        s.start_unix_ns = clock.to_unix_ns(h.start_tick);
        s.end_unix_ns = h.end_tick >= h.start_tick ? s.start_unix_ns + clock.to_ns(h.end_tick - h.start_tick) : s.start_unix_ns;
        s.status = static_cast<status_code>(h.status);
        if (TACIT_UNLIKELY(h.status == static_cast<std::uint8_t>(status_code::error)) && h.error_type) s.error_type = error_type_of(h);
        s.dropped_links = (h.flags & flag_dropped_links) ? h.dropped_links : 0;
        s.dropped_events = h.dropped_events;
    }

    /// The rest of run() for a record with tail entries, out of line so that the common
    /// record's decode saves no registers for it.
    /// Returns the span's dropped attributes.
    TACIT_NOINLINE std::uint32_t decode_entries(const std::byte* p, const tick_converter& clock, span_view& s,
                                                attribute_view* first, std::size_t n, std::uint32_t dropped, decode_sink& sink) {
        const auto& h = *reinterpret_cast<const record_header*>(p);
        const std::byte* slots = p + sizeof(record_header);
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
                attribute_view v{info->key, info->sensitivity, value(sink, static_cast<value_type>(en.type), en.aux, payload)};
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
                pending_.push_back(attribute_view{info->key, info->sensitivity, value(sink, static_cast<value_type>(en.type), en.aux, payload)});
            } else if (en.tag == entry_tag::link) {
                link_words w;
                std::memcpy(&w, payload, sizeof w);
                links_.push_back(link_view{span_context{{w.trace_hi, w.trace_lo}, span_id{w.span},
                                                        static_cast<std::uint8_t>(w.flags), (w.flags >> 8 & 1) != 0},
                                           {}, {}});
            } else if (en.tag == entry_tag::trace_state) {
                s.trace_state = sink.string(payload, en.aux);
            }
        }
        s.attributes = std::span<const attribute_view>(first, n);
        s.dropped_attributes = dropped;
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
        return dropped;
    }

    /// Keys are compile-time strings: the same declaration gives the same pointer, so most
    /// comparisons end at the first test.
    static bool same_key(std::string_view a, std::string_view b) noexcept {
        if (a.data() == b.data()) return a.size() == b.size();
        if (a.size() != b.size() || a[0] != b[0] || a[a.size() - 1] != b[b.size() - 1]) return false;
        return a == b;
    }

    std::vector<attribute_view> pending_;     // event attributes of the span being decoded
    std::vector<std::size_t> event_starts_;
    std::size_t bytes_ = 0;                   // record bytes in this batch
    bounded_buffer<span_view> spans_;
    bounded_buffer<attribute_view> attrs_;
    bounded_buffer<event_view> events_;
    bounded_buffer<link_view> links_;
    bounded_buffer<value_view> items_;
    bounded_buffer<char> arena_;              // the strings' bytes, each 8-byte aligned
    std::uint64_t last_root_ = 0;             // the last lazy trace decoded, and its id
    trace_id last_trace_{};
    std::unordered_map<const char*, std::string> demangled_;
};

template <class Kind>
void decode_run(run_cursor& cursor) noexcept {
    cursor.decoder->run<Kind>(cursor);
}

}  // namespace tacit::inline TACIT_ABI::detail
