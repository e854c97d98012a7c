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
class span {
public:
    span(const span&) = delete;
    span& operator=(const span&) = delete;

    /// A span may be moved (e.g. returned from a factory); the source becomes inert.
    span(span&& o) noexcept : core_(o.core_), live_(o.live_), used_(o.used_), saved_(o.saved_) {
        if (core_) std::memcpy(&rec_, &o.rec_, sizeof(detail::record_header) + used_);
        else if (live_) rec_.h.span = o.rec_.h.span;
        o.core_ = nullptr;
        o.live_ = false;
    }
    span& operator=(span&&) = delete;

    ~span() { end(); }

    /// Records a declared attribute; a secret, unlisted content or an unlisted attribute, or a
    /// value of the wrong type, does not compile.
    template <class A, class V>
    span& set(V&& value) noexcept {
        if constexpr (detail::vet_set<Kind, A, V>()) {
            // A span that is not recording has used_ past the end, so the room check refuses.
            if constexpr (A::level == sensitivity::content) {
                if (core_ == nullptr || !core_->share_content.load(std::memory_order_relaxed)) return *this;
            }
            put<A::wire>(&A::info, detail::entry_tag::attribute, std::forward<V>(value));
        }
        return *this;
    }

    /// Records an ad-hoc public key on a span kind that has tacit::adhoc_keys.
    template <detail::fixed_string Key, class V>
    span& set(V&& value) noexcept {
        using key_t = detail::adhoc_key<Key>;
        if constexpr (detail::vet_adhoc<Kind, key_t, V>()) {
            constexpr value_type w = detail::adhoc_wire_type<V>();
            put<w>(&detail::adhoc_attribute<Key, w>::info, detail::entry_tag::attribute, std::forward<V>(value));
        }
        return *this;
    }

    /// Ends the span with an error of this type (a token, never a message).
    span& error(error_type e) noexcept {
        if (core_) {
            rec_.h.status = static_cast<std::uint8_t>(status_code::error);
            rec_.h.error_type = e.data();
            rec_.h.error_len = static_cast<std::uint32_t>(e.size());
            if (e.mangled()) rec_.h.flags |= detail::flag_error_mangled;
        }
        return *this;
    }

    /// Marks the span as successful (otherwise its status is unset, which exporters show as ok).
    span& ok() noexcept {
        if (core_) rec_.h.status = static_cast<std::uint8_t>(status_code::ok);
        return *this;
    }

    /// Adds an instantaneous event, whose attributes are checked against EventKind.
    ///     span.event<retried>().set<attempts>(2);
    template <span_kind_type EventKind>
    auto event() noexcept;

    /// This span's place in its trace, for children on other threads or in other processes.
    span_context context() const noexcept {
        return {{rec_.h.trace_hi, rec_.h.trace_lo}, span_id{rec_.h.span}, rec_.h.trace_flags, false};
    }

    /// True while the span will be exported (enabled, sampled, not yet ended).
    bool recording() const noexcept { return core_ != nullptr; }

    /// Ends the span now; later calls and the destructor do nothing.
    void end() noexcept {
        if (!live_) return;
        live_ = false;
        detail::thread_state& t = detail::t_state;
        // Restore the parent as the thread's current span, unless a span started later is
        // still current (spans ended out of order) or the guard moved to another thread.
        if (t.span == rec_.h.span) {
            t.trace_hi = saved_.trace_hi;
            t.trace_lo = saved_.trace_lo;
            t.span = saved_.span;
            t.trace_flags = saved_.trace_flags;
            t.remote = saved_.remote;
        }
        if (!core_) return;
        detail::pipeline_core* core = core_;
        core_ = nullptr;
        if (TACIT_UNLIKELY(used_ > body_size)) return;
        rec_.h.end_tick = (rec_.h.flags & detail::flag_is_event) ? rec_.h.start_tick : detail::now_ticks();
        std::size_t size = sizeof(detail::record_header) + used_;
        rec_.h.ring = {static_cast<std::uint32_t>(size), detail::record_span};
        // The ring of the thread that ends the span (one compare): each ring has exactly one
        // producer, and a guard ended on another thread, perhaps after the thread that started
        // it has exited and its ring is gone, writes into the ending thread's ring.
        detail::thread_ring* r = core->ring_for(t);
        std::byte* p = r->ring.try_reserve(size);
        if (TACIT_UNLIKELY(p == nullptr)) {
            detail::thread_ring::bump(r->dropped_full);
            if (core->worker_sleeping.load(std::memory_order_relaxed)) core->ring_the_doorbell();
            return;
        }
        std::memcpy(p, &rec_, size);
        r->ring.commit(size);
        detail::thread_ring::bump(r->pushed);
        if (TACIT_UNLIKELY(r->ring.producer_fill() > r->ring.capacity() / 4) &&
            core->worker_sleeping.load(std::memory_order_relaxed))
            core->ring_the_doorbell();
    }

private:
    template <span_kind_type K> friend span<K> start() noexcept;
    template <span_kind_type K> friend span<K> start(pipeline&) noexcept;
    template <span_kind_type K> friend span<K> start(const span_context&) noexcept;
    template <span_kind_type K> friend span<K> start(pipeline&, const span_context&) noexcept;
    template <span_kind_type K> friend span<K> event() noexcept;
    template <span_kind_type K> friend span<K> event(pipeline&) noexcept;
    template <span_kind_type E, span_kind_type K> friend class event_builder;

    struct saved_context {
        std::uint64_t trace_hi, trace_lo, span;
        std::uint8_t trace_flags;
        bool remote;
    };

    span() noexcept : core_(nullptr), live_(false) { rec_.h.span = 0; }

    /// Starts a span in core; parent == nullptr means "the thread's current span".
    TACIT_NOINLINE void begin(detail::pipeline_core* core, const span_context* parent) noexcept {
        detail::thread_state& t = detail::t_state;
        if (TACIT_UNLIKELY(core == nullptr || !core->enabled.load(std::memory_order_relaxed))) return;
        if (TACIT_UNLIKELY(t.rng == 0)) detail::seed_thread(t);  // the thread's first span
        std::uint64_t hi, lo, parent_span;
        std::uint8_t flags;
        bool remote;
        if (parent == nullptr) {
            hi = t.trace_hi;
            lo = t.trace_lo;
            parent_span = t.span;
            flags = t.trace_flags;
            remote = t.remote;
        } else {
            hi = parent->trace.hi;
            lo = parent->trace.lo;
            parent_span = parent->span.value;
            flags = parent->flags;
            remote = parent->remote;
            if (!parent->valid()) parent_span = 0;
        }
        std::uint64_t threshold = core->sample_threshold.load(std::memory_order_relaxed);
        bool sampled;
        if (parent_span == 0) {
            hi = detail::random_bits(t);
            lo = detail::random_id(t);  // non-zero, so the trace id is too
            remote = false;
        }
        constexpr std::uint64_t low56 = (std::uint64_t{1} << 56) - 1;
        if (parent_span != 0 && core->parent_based.load(std::memory_order_relaxed)) sampled = (flags & 1) != 0;
        else sampled = (lo & low56) >= threshold;
        std::uint64_t id = detail::random_id(t);
        saved_ = {t.trace_hi, t.trace_lo, t.span, t.trace_flags, t.remote};
        t.trace_hi = hi;
        t.trace_lo = lo;
        t.span = id;
        t.trace_flags = static_cast<std::uint8_t>(sampled ? 1 : 0);
        t.remote = false;
        live_ = true;
        rec_.h.trace_hi = hi;
        rec_.h.trace_lo = lo;
        rec_.h.span = id;
        rec_.h.trace_flags = static_cast<std::uint8_t>(sampled ? 1 : 0);
        if (!sampled) return;
        core_ = core;
        used_ = 0;
        rec_.h.kind = &Kind::info;
        rec_.h.parent = parent_span;
        rec_.h.error_type = nullptr;
        rec_.h.error_len = 0;
        rec_.h.status = 0;
        rec_.h.flags = static_cast<std::uint8_t>((remote && parent_span ? detail::flag_parent_remote : 0) |
                                                 (Kind::info.is_event ? detail::flag_is_event : 0));
        rec_.h.entries = 0;
        rec_.h.dropped_attributes = 0;
        rec_.h.dropped_events = 0;
        rec_.h.truncated = 0;
        rec_.h.reserved = 0;
        rec_.h.start_tick = detail::now_ticks();
    }

    static constexpr std::size_t body_size = sizeof(detail::record_buffer::body);
    static constexpr std::uint32_t not_recording = 1u << 20;

    void put_entry(const void* info, detail::entry_tag tag, value_type type, std::uint32_t aux, std::size_t payload) noexcept {
        detail::entry_header e{info, aux, static_cast<std::uint16_t>(payload), tag, static_cast<std::uint8_t>(type)};
        std::memcpy(rec_.body + used_, &e, sizeof e);
        used_ += static_cast<std::uint32_t>(sizeof e + payload);
        ++rec_.h.entries;
    }

    // Entries are at least 16 bytes, so the byte bound also keeps the entry count below 256.
    static_assert(body_size / (sizeof(detail::entry_header)) < 256, "entry counts must fit in a byte");

    bool room_for(std::size_t bytes) noexcept {
        if (TACIT_LIKELY(used_ + sizeof(detail::entry_header) + bytes <= body_size)) return true;
        ++rec_.h.dropped_attributes;
        return false;
    }

    void put_scalar(const void* info, detail::entry_tag tag, value_type type, std::uint64_t bits) noexcept {
        if (!room_for(8)) return;
        std::memcpy(rec_.body + used_ + sizeof(detail::entry_header), &bits, 8);
        put_entry(info, tag, type, 0, 8);
    }

    /// Writes up to `limit` bytes of s at p (valid UTF-8, cut with a mark); returns bytes written.
    std::size_t put_chars(std::byte* p, std::size_t limit, std::string_view s) noexcept {
        auto r = detail::copy_utf8(reinterpret_cast<char*>(p), limit, s.data(), s.size());
        if (TACIT_UNLIKELY(r.truncated)) ++rec_.h.truncated;
        return r.size;
    }

    void put_string(const void* info, detail::entry_tag tag, std::string_view s) noexcept {
        if (!room_for(8)) return;
        std::size_t room = body_size - used_ - sizeof(detail::entry_header);
        std::size_t limit = std::min<std::size_t>(TACIT_MAX_STRING, room);
        std::size_t n = put_chars(rec_.body + used_ + sizeof(detail::entry_header), limit, s);
        put_entry(info, tag, value_type::string, static_cast<std::uint32_t>(n), detail::round8(n));
    }

    template <value_type W, class R>
    void put_array(const void* info, detail::entry_tag tag, const R& range) noexcept {
        if (!room_for(0)) return;
        std::size_t start = used_ + sizeof(detail::entry_header);
        std::size_t off = start;
        std::uint32_t count = 0;
        for (const auto& item : range) {
            if (count == TACIT_MAX_ARRAY) {
                ++rec_.h.truncated;
                break;
            }
            if constexpr (W == value_type::string_array) {
                std::string_view s(item);
                if (off + 8 + 8 > body_size) { ++rec_.h.truncated; break; }
                std::size_t limit = std::min<std::size_t>(TACIT_MAX_STRING, body_size - off - 8);
                std::uint64_t len = put_chars(rec_.body + off + 8, limit, s);
                std::memcpy(rec_.body + off, &len, 8);
                off += 8 + detail::round8(len);
            } else {
                if (off + 8 > body_size) { ++rec_.h.truncated; break; }
                std::uint64_t bits = scalar_bits<element_type(W)>(item);
                std::memcpy(rec_.body + off, &bits, 8);
                off += 8;
            }
            ++count;
        }
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

    detail::pipeline_core* core_;  // where the record goes; null when not recording
    bool live_;                  // started: the thread's current span must be restored at end
    std::uint32_t used_ = not_recording;  // bytes of rec_.body written; past the end when not recording
    saved_context saved_{};
    detail::record_buffer rec_;  // deliberately uninitialised: only the used prefix is copied
};

/// Returned by span.event<EventKind>(): sets the event's attributes.
template <span_kind_type EventKind, span_kind_type Kind>
class event_builder {
public:
    explicit event_builder(span<Kind>& s) noexcept : span_(s) {}

    template <class A, class V>
    event_builder& set(V&& value) noexcept {
        if constexpr (detail::vet_set<EventKind, A, V>()) {
            if constexpr (A::level == sensitivity::content) {
                if (span_.core_ == nullptr || !span_.core_->share_content.load(std::memory_order_relaxed)) return *this;
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
    if (room_for(8)) {
        std::uint64_t tick = detail::now_ticks();
        std::memcpy(rec_.body + used_ + sizeof(detail::entry_header), &tick, 8);
        put_entry(&EventKind::info, detail::entry_tag::event, value_type::int64, 0, 8);
    }
    return event_builder<EventKind, Kind>(*this);
}

/// Starts a span of Kind in the default pipeline (if one is installed), child of the thread's
/// current span. Costs one relaxed load and a branch when tacit is switched off at run time.
template <span_kind_type Kind>
span<Kind> start() noexcept {
    span<Kind> s;
    if (TACIT_LIKELY(detail::g_off.load(std::memory_order_relaxed) == 0))
        s.begin(detail::g_default.load(std::memory_order_acquire), nullptr);
    return s;
}

/// Starts a span of Kind in pipeline p, child of the thread's current span.
template <span_kind_type Kind>
span<Kind> start(pipeline& p) noexcept {
    span<Kind> s;
    if (TACIT_LIKELY(detail::g_off.load(std::memory_order_relaxed) == 0)) s.begin(detail::core_of(p), nullptr);
    return s;
}

/// Starts a span of Kind in the default pipeline, child of an explicit parent (from another
/// thread's span.context(), or extracted from a traceparent header). An invalid context
/// (tacit::span_context{}) starts a new trace.
template <span_kind_type Kind>
span<Kind> start(const span_context& parent) noexcept {
    span<Kind> s;
    if (TACIT_LIKELY(detail::g_off.load(std::memory_order_relaxed) == 0))
        s.begin(detail::g_default.load(std::memory_order_acquire), &parent);
    return s;
}

template <span_kind_type Kind>
span<Kind> start(pipeline& p, const span_context& parent) noexcept {
    span<Kind> s;
    if (TACIT_LIKELY(detail::g_off.load(std::memory_order_relaxed) == 0)) s.begin(detail::core_of(p), &parent);
    return s;
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
    const detail::thread_state& t = detail::t_state;
    return {{t.trace_hi, t.trace_lo}, span_id{t.span}, t.trace_flags, t.remote};
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
