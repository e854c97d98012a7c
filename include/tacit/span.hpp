#pragma once
/// Spans: an RAII guard that starts on construction and ends (and is handed to the ring) on
/// destruction or end().
///
///     {
///         auto span = tacit::start<tool_usage>();   // the default pipeline, parent = current span
///         span.set<tool_name>("web_search").set<attempts>(3);
///         if (failed) span.error("timeout");
///     }                                              // ends here
#include <algorithm>    // std::min
#include <cstddef>      // std::byte
#include <cstdint>      // ids
#include <cstring>      // std::memcpy
#include <string_view>  // values
#include <utility>      // std::forward

#include "attribute.hpp"
#include "config.hpp"
#include "detail/clock.hpp"
#include "detail/core.hpp"
#include "detail/record.hpp"
#include "detail/utf8.hpp"
#include "detail/vet.hpp"
#include "ids.hpp"
#include "schema.hpp"
#include "status.hpp"

namespace tacit::inline TACIT_ABI {

class pipeline;
template <span_kind_type Kind>
class span;

namespace detail {
inline detail::pipeline_core* core_of(pipeline& p) noexcept;
}

#if TACIT_ENABLED

template <span_kind_type Kind>
class span : private detail::span_storage {
public:
    span(const span&) = delete;
    span& operator=(const span&) = delete;

    /// A span may be moved (e.g. returned from a factory); the source becomes inert.
    span(span&& o) noexcept {
        ring_ = o.ring_;
        rec_ = o.rec_;
        o.rec_ = nullptr;
        o.ring_ = nullptr;
        if (rec_ == nullptr) return;
        // Only what the record says is set: core_ once it left the ring, saved_ with its flag,
        // last_entry_ with entries.
        used_ = o.used_;
        if (rec_->entries) last_entry_ = o.last_entry_;
        if (rec_->flags & detail::flag_restore_saved) saved_ = o.saved_;
        if (ring_ != nullptr) {
            ring_->open = this;  // the reservation changes hands; the record stays where it is
        } else {
            core_ = o.core_;
            std::memcpy(&buf_, rec_, sizeof(detail::record_header) + used_);
            rec_ = &buf_.h;
        }
    }
    span& operator=(span&&) = delete;

    ~span() { end(); }

    /// Records a declared attribute; a secret, unlisted content or an unlisted attribute, or a
    /// value of the wrong type, does not compile. Setting it again replaces the value.
    template <class A, class V>
    span& set(V&& value) noexcept {
        if constexpr (detail::vet_set<Kind, A, V>()) {
            if (rec_ == nullptr) return *this;
            if constexpr (A::level == sensitivity::content) {
                if (!sharing_content()) return *this;
            }
            constexpr std::size_t slot = Kind::template slot_of<A>;
            constexpr std::uint64_t bit = std::uint64_t{1} << slot;
            if constexpr (A::wire == value_type::string) {
                if (put_slot_string(slot, std::string_view(value))) rec_->present |= bit;
            } else if constexpr (is_array(A::wire)) {
                if (put_slot_array<A::wire>(slot, value)) rec_->present |= bit;
            } else {
                // A typed store: unlike a memcpy, it cannot alias the guard's own fields.
                slots()[slot] = scalar_bits<A::wire>(value);
                rec_->present |= bit;
            }
        }
        return *this;
    }

    /// Records an ad-hoc public key on a span kind that has tacit::adhoc_keys.
    template <detail::fixed_string Key, class V>
    span& set(V&& value) noexcept {
        using key_t = detail::adhoc_key<Key>;
        if constexpr (detail::vet_adhoc<Kind, key_t, V>()) {
            if (rec_ == nullptr) return *this;
            constexpr value_type w = detail::adhoc_wire_type<V>();
            put<w>(&detail::adhoc_attribute<Key, w>::info, detail::entry_tag::attribute, std::forward<V>(value));
        }
        return *this;
    }

    /// Ends the span with an error of this type (a token, never a message).
    span& error(error_type e) noexcept {
        if (rec_) {
            rec_->status = static_cast<std::uint8_t>(status_code::error);
            rec_->error_type = e.data();
            rec_->error_len = static_cast<std::uint16_t>(std::min<std::size_t>(e.size(), 0xFFFF));
            if (e.mangled()) rec_->flags |= detail::flag_error_mangled;
        }
        return *this;
    }

    /// Marks the span as successful (otherwise its status is unset, which exporters show as ok).
    span& ok() noexcept {
        if (rec_) rec_->status = static_cast<std::uint8_t>(status_code::ok);
        return *this;
    }

    /// Links this span to another one (an OTLP span link): a span that caused it or that it
    /// relates to, in this trace or another, from this process or extracted from a header.
    ///     span.link(request_span.context());
    span& link(const span_context& other) noexcept {
        if (rec_ == nullptr || !other.valid()) return *this;
        if (used_ + sizeof(detail::entry_header) + sizeof(detail::link_words) > body_size) {
            if (!(rec_->flags & detail::flag_dropped_links)) {
                rec_->flags |= detail::flag_dropped_links;
                rec_->dropped_links = 0;
            }
            ++rec_->dropped_links;
            return *this;
        }
        detail::link_words w{other.trace.hi, other.trace.lo, other.span.value,
                             std::uint64_t{other.flags} | (other.remote ? 0x100u : 0u)};
        std::memcpy(body() + used_ + sizeof(detail::entry_header), &w, sizeof w);
        put_entry(nullptr, detail::entry_tag::link, value_type::int64, 0, sizeof w);
        return *this;
    }

    /// Records the W3C tracestate this span carries (usually the one extracted with its remote
    /// parent, or that list after this service updated its own member), exported as the
    /// span's OTLP trace_state. At most 512 characters are kept, as the specification allows.
    span& trace_state(std::string_view header) noexcept {
        if (rec_ == nullptr || header.empty() || !room_for(8)) return *this;
        std::size_t limit = std::min<std::size_t>(512, body_size - used_ - sizeof(detail::entry_header));
        std::size_t n = put_chars(body() + used_ + sizeof(detail::entry_header), limit, header);
        put_entry(nullptr, detail::entry_tag::trace_state, value_type::string, static_cast<std::uint32_t>(n), detail::round8(n));
        return *this;
    }

    /// Adds an instantaneous event, whose attributes are checked against EventKind.
    ///     span.event<retried>().set<attempts>(2);
    template <span_kind_type EventKind>
    auto event() noexcept;

    /// This span's place in its trace, for children on other threads or in other processes;
    /// invalid once the span has ended (or when it never started).
    span_context context() const noexcept {
        if (rec_ == nullptr) return {};
        const detail::record_header& h = *rec_;
        return {detail::trace_of(h.trace_hi, h.trace_lo, (h.flags & detail::flag_lazy_trace) != 0),
                span_id{detail::span_id_of(h.span)}, h.trace_flags, false};
    }

    /// True while the span will be exported (enabled, sampled, not yet ended).
    bool recording() const noexcept { return rec_ != nullptr && core() != nullptr; }

    /// Ends the span now; later calls and the destructor do nothing.
    void end() noexcept {
        // rec_ is the one state a guard checks: null once ended, or when it never started
        // (so a span switched off at run time costs one test here and one in its sets).
        detail::record_header* h = rec_;
        if (h == nullptr) return;
        detail::thread_state& t = detail::t_state;
        // Give the thread its parent back as the current span, unless a span started later is
        // still current (spans ended out of order) or the guard moved to another thread.
        if (t.current.span == h->span) {
            if (TACIT_LIKELY(!(h->flags & detail::flag_restore_saved))) t.current.span = h->parent;
            else t.current = saved_;
        }
        detail::thread_ring* r = ring_;
        // Still the ring's reservation, on the thread that writes the ring (one compare in the
        // common case): published where it lies.
        if (TACIT_LIKELY(r != nullptr) && TACIT_LIKELY(t.slots[0].ring == r || r->producer == &t)) {
            std::size_t size = seal(h);
            r->open = nullptr;
            r->ring.commit(size);
            rec_ = nullptr;
            return;
        }
        end_elsewhere(t);
    }

private:
    template <span_kind_type K> friend span<K> start() noexcept;
    template <span_kind_type K> friend span<K> start(pipeline&) noexcept;
    template <span_kind_type K> friend span<K> start(const span_context&) noexcept;
    template <span_kind_type K> friend span<K> start(pipeline&, const span_context&) noexcept;
    template <span_kind_type K> friend span<K> event() noexcept;
    template <span_kind_type K> friend span<K> event(pipeline&) noexcept;
    template <span_kind_type E, span_kind_type K> friend class event_builder;

    /// Starts the span in a pipeline (null: none), unless tacit is switched off. Every path sets rec_
    /// once, so a span that records stores no null first.
    /// core() gives the pipeline, and is called only when recording (so a span switched off
    /// does not even load it).
    template <class CoreOf>
    TACIT_INLINE span(CoreOf core, const span_context* parent) noexcept {
        if (TACIT_UNLIKELY(detail::switched_off())) {
            rec_ = nullptr;
            return;
        }
        begin(core(), parent);
    }

    /// The rest of end(): a span not sampled, a record in the guard's buffer, or a span ended
    /// on another thread than the one whose ring holds its record.
    TACIT_NOINLINE void end_elsewhere(detail::thread_state& t) noexcept {
        // Ended on another thread: the record leaves the starting thread's ring for buf_.
        if (detail::thread_ring* r = ring_) r->close_open();
        detail::record_header* h = rec_;
        rec_ = nullptr;
        if (core_ == nullptr) return;  // started, not sampled: its context alone
        publish_copy(t, h, seal(h));
    }

    /// Stamps the end time and the ring header on a finished record; returns its size.
    std::size_t seal(detail::record_header* h) const noexcept {
        h->end_tick = Kind::info.is_event ? h->start_tick : detail::now_ticks();
        std::size_t size = sizeof(detail::record_header) + used_;
        h->ring = {static_cast<std::uint32_t>(size), detail::record_span};
        return size;
    }

    /// A record in the guard's buffer goes into the ring of the thread that ends the span: each
    /// ring has one producer, and the thread that started it may have exited.
    void publish_copy(detail::thread_state& t, const detail::record_header* h, std::size_t size) noexcept {
        detail::thread_ring* r = core_->ring_for(t);
        r->close_open();  // its reservation is about to be reused
        std::byte* p = r->ring.try_reserve(size);
        if (TACIT_UNLIKELY(p == nullptr)) {
            detail::thread_ring::bump(r->dropped_full);
            core_->wake_if_sleeping();
            return;
        }
        std::memcpy(p, h, size);
        r->ring.commit(size);
        if (TACIT_UNLIKELY(r->ring.filling())) core_->wake_if_sleeping();
    }

    /// Starts a span in core; parent == nullptr means "the thread's current span". The common
    /// case (the thread's ring for this pipeline is at hand, has room and holds no open span;
    /// the default sampler; a sampled parent or none) makes no call and is inlined where the
    /// span starts; anything else takes begin_general().
    TACIT_INLINE void begin(detail::pipeline_core* core, const span_context* parent) noexcept {
        detail::thread_state& t = detail::t_state;
        if (TACIT_UNLIKELY(core == nullptr)) {
            rec_ = nullptr;
            return;
        }
        detail::thread_ring* r = t.slots[0].ring;
        // No slot matches while recording is off or the sampler is not the default: one
        // compare tests all three.
        if (TACIT_UNLIKELY(parent != nullptr || t.slots[0].uid != core->recording_uid.load(std::memory_order_relaxed) ||
                           r->open != nullptr))
            return begin_slow(core, parent);
        std::uint64_t at = r->ring.head();
        std::uint64_t par = t.current.span;
        if (TACIT_UNLIKELY(!r->ring.fits_fast(at, TACIT_RECORD_BYTES) || (par != 0 && !(t.current.trace_flags & 1))))
            return begin_slow(core, parent);
        auto* h = reinterpret_cast<detail::record_header*>(r->ring.room_at(at));
        if (h == nullptr) __builtin_unreachable();  // lets the compiler skip the guard's test after start
        std::uint64_t seq = t.seq++;
        if (par == 0) {  // a root: a new trace, named after its sequence number
            // With lazy_trace set, trace_lo is never read: neither it nor the header's is written.
            t.current.trace_hi = seq;
            t.current.span = seq;
            t.current.trace_flags = 1;
            t.current.lazy_trace = true;
            write_header<true>(h, seq, 0, seq, 0, detail::flag_lazy_trace);
        } else {  // a child of the thread's current span, in its trace
            t.current.span = seq;
            write_header(h, t.current.trace_hi, t.current.trace_lo, seq, par,
                         t.current.lazy_trace ? detail::flag_lazy_trace | detail::flag_lazy_parent : detail::flag_lazy_parent);
        }
        // The guard's own state last: a store through the header (a pointer, such as its
        // kind) could be the guard's, as far as the compiler knows, and would make it reload.
        r->open = this;
        ring_ = r;
        rec_ = h;
        used_ = slot_bytes;
    }

    /// begin_general(), and then what it did in the terms the inlined path uses: so after a
    /// span starts the compiler knows the guard's state on either path, and tests it once.
    TACIT_INLINE void begin_slow(detail::pipeline_core* core, const span_context* parent) noexcept {
        detail::record_header* h = begin_general(core, parent);
        rec_ = h;
        used_ = slot_bytes;
    }

    /// Returns the record it writes (begin_slow makes it rec_), or null when the span does not start.
    TACIT_NOINLINE detail::record_header* begin_general(detail::pipeline_core* core, const span_context* parent) noexcept {
        if (!core->enabled.load(std::memory_order_relaxed)) return nullptr;
        detail::thread_state& t = detail::t_state;
        if (TACIT_UNLIKELY(t.seq == 0)) detail::seed_thread(t);  // the thread's first span
        // Straight into the thread's ring when it has room; a span still open there (the
        // parent, usually) first moves its record into its own guard.
        placement at;
        if (!open_context(t, core, parent, at)) return &buf_.h;  // not sampled: its context alone, in buf_
        detail::thread_ring* r = core->ring_for(t);
        r->close_open();
        detail::record_header* h = &buf_.h;  // when full for now: try again when the span ends
        ring_ = nullptr;
        core_ = core;
        if (std::byte* p = r->ring.try_reserve(TACIT_RECORD_BYTES)) {
            if (TACIT_UNLIKELY(r->ring.filling())) core->wake_if_sleeping();
            h = reinterpret_cast<detail::record_header*>(p);
            r->open = this;
            ring_ = r;
        }
        write_header(h, at.hi, at.lo, at.seq, at.parent, at.flags);
        return h;
    }

    /// Where a new span hangs in its trace, as begin_general() decides it.
    struct placement {
        std::uint64_t hi, lo;  // the trace (with flag_lazy_trace: hi is the root's sequence number)
        std::uint64_t seq;     // this span's sequence number
        std::uint64_t parent;  // the parent's id, or with flag_lazy_parent its sequence number; 0: a root
        std::uint8_t flags;    // record flags
    };

    /// Makes this span the thread's current one: its trace (the parent's, or a new one), its
    /// sequence number and the sampling decision. Returns whether it records.
    bool open_context(detail::thread_state& t, detail::pipeline_core* core, const span_context* parent,
                      placement& at) noexcept {
        detail::span_ref cur = t.current;
        std::uint64_t hi = cur.trace_hi, lo = cur.trace_lo, par = cur.span;
        std::uint8_t tf = cur.trace_flags;
        bool lazy = cur.lazy_trace;
        std::uint8_t flags = par ? detail::flag_lazy_parent : 0;
        if (parent != nullptr) {
            hi = parent->trace.hi;
            lo = parent->trace.lo;
            par = parent->valid() ? parent->span.value : 0;
            tf = parent->flags;
            lazy = false;
            flags = parent->remote && par ? detail::flag_parent_remote : 0;
        }
        std::uint64_t seq = t.seq++;
        std::uint64_t threshold = core->sample_threshold.load(std::memory_order_relaxed);
        constexpr std::uint64_t low56 = (std::uint64_t{1} << 56) - 1;
        bool sampled = true;
        if (par == 0) {
            // A new trace, named after this root's sequence number; the ratio sampler needs
            // its real id now.
            hi = seq;
            lo = 0;
            lazy = true;
            if (TACIT_UNLIKELY(threshold != 0)) {
                trace_id id = detail::trace_of_root(seq);
                hi = id.hi;
                lo = id.lo;
                lazy = false;
                sampled = (id.lo & low56) >= threshold;
            }
        } else if (core->parent_based.load(std::memory_order_relaxed)) {
            sampled = (tf & 1) != 0;
        } else if (threshold != 0) {
            sampled = (detail::trace_of(hi, lo, lazy).lo & low56) >= threshold;
        }
        if (lazy) flags |= detail::flag_lazy_trace;
        std::uint8_t own_tf = sampled ? 1 : 0;
        // Its end restores the thread's context from a copy when the header alone cannot say
        // what it was: an explicit parent, or a parent sampled otherwise than this span.
        if (parent != nullptr || (cur.span != 0 && (cur.trace_flags & 1) != own_tf)) {
            saved_ = cur;
            flags |= detail::flag_restore_saved;
        }
        t.current = {hi, lo, seq, own_tf, lazy};
        at = {hi, lo, seq, par, flags};
        if (TACIT_UNLIKELY(!sampled)) {
            // Not recording, but its context still propagates: the guard's own header holds
            // it, and sets write there harmlessly.
            write_header(&buf_.h, hi, lo, seq, par, flags);
            buf_.h.trace_flags = 0;
            core_ = nullptr;
            ring_ = nullptr;
        }
        return sampled;
    }

    template <bool LazyRoot = false>
    static void write_header(detail::record_header* h, std::uint64_t hi, std::uint64_t lo, std::uint64_t seq,
                             std::uint64_t parent, std::uint8_t flags) noexcept {
        h->kind = &Kind::info;
        h->trace_hi = hi;
        if constexpr (!LazyRoot) h->trace_lo = lo;
        h->span = seq;
        h->parent = parent;
        h->present = 0;
        // Field by field, not one memcpy of the word: the compiler merges these stores into
        // one, and typed stores let it keep the guard's fields in registers across them.
        h->status = 0;
        h->flags = flags;
        h->trace_flags = 1;
        h->entries = 0;
        h->dropped_attributes = 0;
        h->dropped_events = 0;
        h->truncated = 0;
        h->start_tick = detail::now_ticks();
    }

    static constexpr std::size_t body_size = sizeof(detail::record_buffer::body);
    static constexpr std::size_t slot_bytes = Kind::attribute_count * 8;

    void put_entry(const void* info, detail::entry_tag tag, value_type type, std::uint32_t aux, std::size_t payload) noexcept {
        detail::entry_header e{info, aux, 0, tag, static_cast<std::uint8_t>(type)};
        std::memcpy(body() + used_, &e, sizeof e);
        auto at = static_cast<std::uint16_t>(used_);
        if (rec_->entries == 0) rec_->first_entry = at;
        else std::memcpy(body() + last_entry_ + offsetof(detail::entry_header, next), &at, sizeof at);
        last_entry_ = at;
        used_ += static_cast<std::uint32_t>(sizeof e + payload);
        ++rec_->entries;
    }

    // Entries are at least 16 bytes, so the byte bound also keeps the entry count below 256.
    static_assert(body_size / (sizeof(detail::entry_header)) < 256, "entry counts must fit in a byte");

    bool room_for(std::size_t bytes) noexcept {
        if (TACIT_LIKELY(used_ + sizeof(detail::entry_header) + bytes <= body_size)) return true;
        ++rec_->dropped_attributes;
        return false;
    }

    void put_scalar(const void* info, detail::entry_tag tag, value_type type, std::uint64_t bits) noexcept {
        if (!room_for(8)) return;
        std::memcpy(body() + used_ + sizeof(detail::entry_header), &bits, 8);
        put_entry(info, tag, type, 0, 8);
    }

    /// Writes up to `limit` bytes of s at p (valid UTF-8, cut with a mark); returns bytes written.
    std::size_t put_chars(std::byte* p, std::size_t limit, std::string_view s) noexcept {
        auto r = detail::copy_utf8(reinterpret_cast<char*>(p), limit, s.data(), s.size());
        if (TACIT_UNLIKELY(r.truncated)) detail::bump_saturating(rec_->truncated);
        return r.size;
    }

    /// A declared string attribute: the bytes go to the tail, the slot says where.
    bool put_slot_string(std::size_t slot, std::string_view s) noexcept {
        std::size_t limit = TACIT_MAX_STRING;
        if (TACIT_UNLIKELY(used_ > body_size - TACIT_MAX_STRING)) {
            if (used_ + 8 > body_size) {
                ++rec_->dropped_attributes;
                return false;
            }
            limit = body_size - used_;
        }
        std::uint32_t at = used_;
        std::size_t n = put_chars(body() + at, limit, s);
        slots()[slot] = detail::slot_word(at, n);
        used_ = at + static_cast<std::uint32_t>(detail::round8(n));
        return true;
    }

    /// Writes an array's elements at body + used_ (within body_size); returns the count.
    template <value_type W, class R>
    std::uint32_t put_elements(const R& range, std::size_t& off) noexcept {
        std::uint32_t count = 0;
        for (const auto& item : range) {
            if (count == TACIT_MAX_ARRAY) {
                detail::bump_saturating(rec_->truncated);
                break;
            }
            if constexpr (W == value_type::string_array) {
                std::string_view s(item);
                if (off + 8 + 8 > body_size) { detail::bump_saturating(rec_->truncated); break; }
                std::size_t limit = std::min<std::size_t>(TACIT_MAX_STRING, body_size - off - 8);
                std::uint64_t len = put_chars(body() + off + 8, limit, s);
                std::memcpy(body() + off, &len, 8);
                off += 8 + detail::round8(len);
            } else {
                if (off + 8 > body_size) { detail::bump_saturating(rec_->truncated); break; }
                std::uint64_t bits = scalar_bits<element_type(W)>(item);
                std::memcpy(body() + off, &bits, 8);
                off += 8;
            }
            ++count;
        }
        return count;
    }

    template <value_type W, class R>
    bool put_slot_array(std::size_t slot, const R& range) noexcept {
        if (TACIT_UNLIKELY(used_ > body_size)) {
            ++rec_->dropped_attributes;
            return false;
        }
        std::size_t off = used_;
        std::uint32_t count = put_elements<W>(range, off);
        slots()[slot] = detail::slot_word(used_, count);
        used_ = static_cast<std::uint32_t>(off);
        return true;
    }

    void put_string(const void* info, detail::entry_tag tag, std::string_view s) noexcept {
        if (!room_for(8)) return;
        std::size_t room = body_size - used_ - sizeof(detail::entry_header);
        std::size_t limit = std::min<std::size_t>(TACIT_MAX_STRING, room);
        std::size_t n = put_chars(body() + used_ + sizeof(detail::entry_header), limit, s);
        put_entry(info, tag, value_type::string, static_cast<std::uint32_t>(n), detail::round8(n));
    }

    template <value_type W, class R>
    void put_array(const void* info, detail::entry_tag tag, const R& range) noexcept {
        if (!room_for(0)) return;
        std::size_t start = used_ + sizeof(detail::entry_header);
        std::size_t off = start;
        std::uint32_t count = put_elements<W>(range, off);
        put_entry(info, tag, W, count, off - start);
    }

    template <value_type W, class V>
    static std::uint64_t scalar_bits(const V& v) noexcept {
        if constexpr (W == value_type::boolean) {
            return v ? 1u : 0u;
        } else if constexpr (W == value_type::int64) {
            using D = std::remove_cvref_t<V>;
            if constexpr (std::is_unsigned_v<D> && sizeof(D) >= sizeof(std::int64_t)) {
                // Unsigned values above INT64_MAX saturate: OTLP integers are signed 64-bit.
                std::uint64_t u = static_cast<std::uint64_t>(v);
                return u > 0x7FFFFFFFFFFFFFFFull ? 0x7FFFFFFFFFFFFFFFull : u;
            } else {
                return static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
            }
        } else {
            double d = static_cast<double>(v);
            std::uint64_t bits;
            std::memcpy(&bits, &d, 8);
            return bits;
        }
    }

    template <value_type W, class V>
    void put(const void* info, detail::entry_tag tag, V&& v) noexcept {
        if constexpr (W == value_type::string) put_string(info, tag, std::string_view(v));
        else if constexpr (is_array(W)) put_array<W>(info, tag, v);
        else put_scalar(info, tag, W, scalar_bits<W>(v));
    }

};

/// Returned by span.event<EventKind>(): sets the event's attributes.
template <span_kind_type EventKind, span_kind_type Kind>
class event_builder {
public:
    explicit event_builder(span<Kind>& s) noexcept : span_(s) {}

    template <class A, class V>
    event_builder& set(V&& value) noexcept {
        if constexpr (detail::vet_set<EventKind, A, V>()) {
            if (span_.rec_ == nullptr) return *this;
            if constexpr (A::level == sensitivity::content) {
                if (!span_.sharing_content()) return *this;
            }
            span_.template put<A::wire>(&A::info, detail::entry_tag::event_attribute, std::forward<V>(value));
        }
        return *this;
    }

private:
    span<Kind>& span_;
};

template <span_kind_type Kind>
template <span_kind_type EventKind>
auto span<Kind>::event() noexcept {
    static_assert(EventKind::info.is_event, "tacit: span.event<E>(): E must be declared with tacit::event_kind<\"name\", ...>.");
    if (rec_ != nullptr && used_ + sizeof(detail::entry_header) + 8 > body_size) {
        detail::bump_saturating(rec_->dropped_events);
    } else if (rec_ != nullptr) {
        std::uint64_t tick = detail::now_ticks();
        std::memcpy(body() + used_ + sizeof(detail::entry_header), &tick, 8);
        put_entry(&EventKind::info, detail::entry_tag::event, value_type::int64, 0, 8);
    }
    return event_builder<EventKind, Kind>(*this);
}

/// Starts a span of Kind in the default pipeline (if one is installed), child of the thread's
/// current span. Costs one relaxed load and a branch when tacit is switched off at run time.
template <span_kind_type Kind>
span<Kind> start() noexcept {
    return span<Kind>([] { return detail::g_default.load(std::memory_order_acquire); }, nullptr);
}

/// Starts a span of Kind in pipeline p, child of the thread's current span.
template <span_kind_type Kind>
span<Kind> start(pipeline& p) noexcept {
    return span<Kind>([&p] { return detail::core_of(p); }, nullptr);
}

/// Starts a span of Kind in the default pipeline, child of an explicit parent (from another
/// thread's span.context(), or extracted from a traceparent header). An invalid context
/// (tacit::span_context{}) starts a new trace.
template <span_kind_type Kind>
span<Kind> start(const span_context& parent) noexcept {
    return span<Kind>([] { return detail::g_default.load(std::memory_order_acquire); }, &parent);
}

template <span_kind_type Kind>
span<Kind> start(pipeline& p, const span_context& parent) noexcept {
    return span<Kind>([&p] { return detail::core_of(p); }, &parent);
}

/// Records an instantaneous event of an event_kind on its own (start == end), child of the
/// current span; set its attributes on the returned guard.
template <span_kind_type Kind>
span<Kind> event() noexcept {
    static_assert(Kind::info.is_event, "tacit::event<E>(): E must be declared with tacit::event_kind<\"name\", ...>.");
    return start<Kind>();
}

template <span_kind_type Kind>
span<Kind> event(pipeline& p) noexcept {
    static_assert(Kind::info.is_event, "tacit::event<E>(p): E must be declared with tacit::event_kind<\"name\", ...>.");
    return start<Kind>(p);
}

/// The span context current on this thread (invalid when none).
inline span_context current_context() noexcept {
    const detail::span_ref& c = detail::t_state.current;
    if (c.span == 0) return {};
    return {detail::trace_of(c.trace_hi, c.trace_lo, c.lazy_trace), span_id{detail::span_id_of(c.span)}, c.trace_flags, false};
}

#else  // TACIT_DISABLE: same interface, no state, no code; arguments are still checked.

template <span_kind_type Kind>
class span {
public:
    // User-provided (empty) so that `auto s = tacit::start<K>();` raises no unused-variable
    // warning in a disabled build; inlined, they emit no code.
    span() noexcept {}
    ~span() noexcept {}
    span(const span&) = delete;
    span& operator=(const span&) = delete;
    span(span&&) noexcept {}
    span& operator=(span&&) = delete;

    template <class A, class V>
    span& set(V&&) noexcept {
        static_assert(detail::vet_set<Kind, A, V>() || true);
        return *this;
    }
    template <detail::fixed_string Key, class V>
    span& set(V&&) noexcept {
        static_assert(detail::vet_adhoc<Kind, detail::adhoc_key<Key>, V>() || true);
        return *this;
    }
    span& error(error_type) noexcept { return *this; }
    span& ok() noexcept { return *this; }
    span& link(const span_context&) noexcept { return *this; }
    span& trace_state(std::string_view) noexcept { return *this; }
    template <span_kind_type EventKind>
    auto event() noexcept;
    span_context context() const noexcept { return {}; }
    bool recording() const noexcept { return false; }
    void end() noexcept {}
};

template <span_kind_type EventKind, span_kind_type Kind>
class event_builder {
public:
    template <class A, class V>
    event_builder& set(V&&) noexcept {
        static_assert(detail::vet_set<EventKind, A, V>() || true);
        return *this;
    }
};

template <span_kind_type Kind>
template <span_kind_type EventKind>
auto span<Kind>::event() noexcept {
    static_assert(EventKind::info.is_event, "tacit: span.event<E>(): E must be declared with tacit::event_kind<\"name\", ...>.");
    return event_builder<EventKind, Kind>{};
}

template <span_kind_type Kind> span<Kind> start() noexcept { return {}; }
template <span_kind_type Kind> span<Kind> start(pipeline&) noexcept { return {}; }
template <span_kind_type Kind> span<Kind> start(const span_context&) noexcept { return {}; }
template <span_kind_type Kind> span<Kind> start(pipeline&, const span_context&) noexcept { return {}; }
template <span_kind_type Kind>
span<Kind> event() noexcept {
    static_assert(Kind::info.is_event, "tacit::event<E>(): E must be declared with tacit::event_kind<\"name\", ...>.");
    return {};
}
template <span_kind_type Kind>
span<Kind> event(pipeline&) noexcept {
    static_assert(Kind::info.is_event, "tacit::event<E>(p): E must be declared with tacit::event_kind<\"name\", ...>.");
    return {};
}
inline span_context current_context() noexcept { return {}; }

#endif

}  // namespace tacit::inline TACIT_ABI

/// A span for the rest of the enclosing scope: `TACIT_SPAN(tool_usage);`
#define TACIT_SPAN(kind) auto TACIT_CAT(tacit_span_, __LINE__) = ::tacit::start<kind>()
