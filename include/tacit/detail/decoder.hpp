#pragma once
/// The background thread's side of the record layout: raw records copied out of the rings,
/// turned into span_views for one export call. Buffers are reused, so after warm-up a batch
/// costs no allocation.
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
    T* data() noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }

private:
    std::unique_ptr<T[]> data_;
    std::size_t size_ = 0, capacity_ = 0;
};

class batch_decoder {
public:
    void clear() noexcept {
        raw_size_ = 0;
        offsets_.clear();
        threads_.clear();
    }
    std::size_t size() const noexcept { return offsets_.size(); }

    /// Copies one record out of a ring.
    void add(const std::byte* record, std::size_t size, std::uint32_t thread) {
        std::size_t at = raw_size_;
        if (at + size > raw_capacity_) grow(at + size);
        std::memcpy(raw_.get() + at, record, size);
        raw_size_ = at + size;
        offsets_.push_back(at);
        threads_.push_back(thread);
    }

    /// Views of every record added since clear(); valid until the next add() or clear().
    std::span<const span_view> build(const tick_converter& clock) {
        // Every entry takes at least 16 bytes and every array element 8, so these bounds hold
        // and the vectors never reallocate while views point into them.
        spans_.resize(offsets_.size());
        attrs_.reset(raw_size_ / sizeof(entry_header) + 1);
        events_.clear();
        events_.reserve(raw_size_ / sizeof(entry_header) + 1);
        items_.clear();
        items_.reserve(raw_size_ / 8 + 1);
        for (std::size_t i = 0; i < offsets_.size(); ++i) {
            decode(raw_.get() + offsets_[i], clock, spans_[i]);
            spans_[i].thread = threads_[i];
        }
        return {spans_.data(), spans_.size()};
    }

    std::uint64_t truncated = 0;
    std::uint64_t dropped_attributes = 0;

private:
    static record_header header_of(const std::byte* p) noexcept {
        record_header h;
        std::memcpy(&h, p, sizeof h);
        return h;
    }

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
        default: {
            double d;
            std::memcpy(&d, &bits, 8);
            return value_view::of(d);
        }
        }
    }

    value_view value(const entry_header& e, const std::byte* payload) {
        auto t = static_cast<value_type>(e.type);
        if (t == value_type::string) return value_view::of(std::string_view(reinterpret_cast<const char*>(payload), e.aux));
        if (!is_array(t)) return scalar(t, payload);
        std::size_t first = items_.size();
        const std::byte* q = payload;
        for (std::uint32_t k = 0; k < e.aux; ++k) {
            if (t == value_type::string_array) {
                std::uint64_t len = word(q);
                items_.push_back(value_view::of(std::string_view(reinterpret_cast<const char*>(q + 8), len)));
                q += 8 + round8(len);
            } else {
                items_.push_back(scalar(element_type(t), q));
                q += 8;
            }
        }
        return value_view::array(t, std::span<const value_view>(items_.data() + first, e.aux));
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

    void decode(const std::byte* p, const tick_converter& clock, span_view& s) {
        record_header h = header_of(p);
        const auto* kind = static_cast<const kind_info*>(h.kind);
        s.name = kind->name;
        s.role = kind->role;
        s.context = span_context{{h.trace_hi, h.trace_lo}, span_id{h.span}, h.trace_flags, false};
        s.parent = span_id{h.parent};
        s.parent_remote = (h.flags & flag_parent_remote) != 0;
        s.start_unix_ns = clock.to_unix_ns(h.start_tick);
        s.end_unix_ns = h.end_tick >= h.start_tick ? s.start_unix_ns + clock.to_ns(h.end_tick - h.start_tick) : s.start_unix_ns;
        s.status = static_cast<status_code>(h.status);
        s.error_type = {};
        if (h.error_type) {
            s.error_type = (h.flags & flag_error_mangled) ? demangle(h.error_type, h.error_len)
                                                          : std::string_view(h.error_type, h.error_len);
        }
        std::uint32_t dropped = h.dropped_attributes;
        truncated += h.truncated;

        // One pass: span attributes (a key set twice keeps its last value; at most
        // TACIT_MAX_ATTRIBUTES distinct keys), events, and each event's attributes. Span
        // attributes go first in attrs_, so events' attributes are collected aside.
        std::size_t attr_first = attrs_.size();
        std::size_t event_first = events_.size();
        const std::byte* q = p + sizeof(record_header);
        const std::byte* end = p + h.ring.size;
        std::size_t pending_first = pending_.size();
        std::uint64_t seen = 0;
        for (unsigned i = 0; i < h.entries && q + sizeof(entry_header) <= end; ++i) {
            entry_header en;
            std::memcpy(&en, q, sizeof en);
            const std::byte* payload = q + sizeof en;
            q += sizeof en + en.payload;
            if (en.tag == entry_tag::attribute) {
                const auto* info = static_cast<const attribute_info*>(en.info);
                attribute_view v{info->key, info->sensitivity, value(en, payload)};
                // A key set twice keeps its last value. Search only when the key's bit in a
                // 64-bit filter of this span's key pointers and sizes is already set.
                std::uint64_t bit = std::uint64_t{1} << ((reinterpret_cast<std::uintptr_t>(v.key.data()) >> 3 ^ v.key.size()) & 63);
                if (seen & bit) {
                    bool replaced = false;
                    for (std::size_t k = attr_first; k < attrs_.size(); ++k) {
                        if (same_key(attrs_[k].key, v.key)) {
                            attrs_[k] = v;
                            replaced = true;
                            break;
                        }
                    }
                    if (replaced) continue;
                }
                seen |= bit;
                if (attrs_.size() - attr_first >= TACIT_MAX_ATTRIBUTES) ++dropped;
                else attrs_.push_back(v);
            } else if (en.tag == entry_tag::event) {
                const auto* ek = static_cast<const kind_info*>(en.info);
                events_.push_back(event_view{ek->name, clock.to_unix_ns(word(payload)), {}});
                event_starts_.push_back(pending_.size());
            } else if (en.tag == entry_tag::event_attribute && events_.size() > event_first) {
                const auto* info = static_cast<const attribute_info*>(en.info);
                pending_.push_back(attribute_view{info->key, info->sensitivity, value(en, payload)});
            }
        }
        s.attributes = std::span<const attribute_view>(attrs_.data() + attr_first, attrs_.size() - attr_first);
        s.dropped_attributes = dropped;
        s.dropped_events = h.dropped_events;
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
    std::vector<attribute_view> pending_;     // event attributes of the span being decoded
    std::vector<std::size_t> event_starts_;
    std::vector<std::size_t> offsets_;
    std::vector<std::uint32_t> threads_;
    std::vector<span_view> spans_;
    bounded_buffer<attribute_view> attrs_;
    std::vector<event_view> events_;
    std::vector<value_view> items_;
    std::unordered_map<const char*, std::string> demangled_;
};

}  // namespace tacit::inline TACIT_ABI::detail
