#pragma once
/// The background thread's side of the record layout: raw records copied out of the rings,
/// turned into span_views for one export call. Buffers are reused, so after warm-up a batch
/// costs no allocation.
#include <cstddef>        // std::byte
#include <cstdlib>        // std::free for demangled names
#include <cstring>        // std::memcpy
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

class batch_decoder {
public:
    void clear() noexcept {
        raw_.clear();
        offsets_.clear();
        threads_.clear();
    }
    std::size_t size() const noexcept { return offsets_.size(); }

    /// Copies one record out of a ring.
    void add(const std::byte* record, std::size_t size, std::uint32_t thread) {
        std::size_t at = raw_.size();
        raw_.resize(at + size);
        std::memcpy(raw_.data() + at, record, size);
        offsets_.push_back(at);
        threads_.push_back(thread);
    }

    /// Views of every record added since clear(); valid until the next add() or clear().
    std::span<const span_view> build(const tick_converter& clock) {
        std::size_t n_attrs = 0, n_events = 0, n_items = 0;
        for (std::size_t off : offsets_) count(raw_.data() + off, n_attrs, n_events, n_items);
        spans_.resize(offsets_.size());
        attrs_.resize(n_attrs);
        events_.resize(n_events);
        items_.resize(n_items);
        std::size_t a = 0, e = 0, it = 0;
        for (std::size_t i = 0; i < offsets_.size(); ++i) {
            decode(raw_.data() + offsets_[i], clock, spans_[i], a, e, it);
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

    template <class F>
    static void for_each_entry(const std::byte* p, F&& f) {
        record_header h = header_of(p);
        const std::byte* q = p + sizeof(record_header);
        const std::byte* end = p + h.ring.size;
        for (unsigned i = 0; i < h.entries && q + sizeof(entry_header) <= end; ++i) {
            entry_header e;
            std::memcpy(&e, q, sizeof e);
            f(e, q + sizeof e);
            q += sizeof e + e.payload;
        }
    }

    static void count(const std::byte* p, std::size_t& attrs, std::size_t& events, std::size_t& items) {
        for_each_entry(p, [&](const entry_header& e, const std::byte*) {
            if (e.tag == entry_tag::event) ++events;
            else {
                ++attrs;
                if (is_array(static_cast<value_type>(e.type))) items += e.aux;
            }
        });
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

    value_view value(const entry_header& e, const std::byte* payload, std::size_t& it) {
        auto t = static_cast<value_type>(e.type);
        if (t == value_type::string) return value_view::of(std::string_view(reinterpret_cast<const char*>(payload), e.aux));
        if (!is_array(t)) return scalar(t, payload);
        std::size_t first = it;
        const std::byte* q = payload;
        for (std::uint32_t k = 0; k < e.aux; ++k) {
            if (t == value_type::string_array) {
                std::uint64_t len = word(q);
                items_[it++] = value_view::of(std::string_view(reinterpret_cast<const char*>(q + 8), len));
                q += 8 + round8(len);
            } else {
                items_[it++] = scalar(element_type(t), q);
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

    void decode(const std::byte* p, const tick_converter& clock, span_view& s, std::size_t& a, std::size_t& e, std::size_t& it) {
        record_header h = header_of(p);
        const auto* kind = static_cast<const kind_info*>(h.kind);
        s = span_view{};
        s.name = kind->name;
        s.role = kind->role;
        s.context = span_context{{h.trace_hi, h.trace_lo}, span_id{h.span}, h.trace_flags, false};
        s.parent = span_id{h.parent};
        s.parent_remote = (h.flags & flag_parent_remote) != 0;
        s.start_unix_ns = clock.to_unix_ns(h.start_tick);
        s.end_unix_ns = h.end_tick >= h.start_tick ? s.start_unix_ns + clock.to_ns(h.end_tick - h.start_tick) : s.start_unix_ns;
        s.status = static_cast<status_code>(h.status);
        if (h.error_type) {
            s.error_type = (h.flags & flag_error_mangled) ? demangle(h.error_type, h.error_len)
                                                          : std::string_view(h.error_type, h.error_len);
        }
        s.dropped_attributes = h.dropped_attributes;
        s.dropped_events = h.dropped_events;
        truncated += h.truncated;
        dropped_attributes += h.dropped_attributes;

        std::size_t attr_first = a, event_first = e;
        std::size_t span_attrs = 0;
        // Span attributes first, in order; a key set twice keeps its last value.
        for_each_entry(p, [&](const entry_header& en, const std::byte* payload) {
            if (en.tag != entry_tag::attribute) return;
            const auto* info = static_cast<const attribute_info*>(en.info);
            attribute_view v{info->key, info->sensitivity, value(en, payload, it)};
            for (std::size_t k = attr_first; k < attr_first + span_attrs; ++k) {
                if (attrs_[k].key == v.key) {
                    attrs_[k] = v;
                    return;
                }
            }
            attrs_[attr_first + span_attrs++] = v;
        });
        a = attr_first + span_attrs;
        s.attributes = std::span<const attribute_view>(attrs_.data() + attr_first, span_attrs);
        // Then events, each followed by its attributes.
        event_view* current = nullptr;
        std::size_t ev_attr_first = 0;
        for_each_entry(p, [&](const entry_header& en, const std::byte* payload) {
            if (en.tag == entry_tag::event) {
                current = &events_[e++];
                const auto* ek = static_cast<const kind_info*>(en.info);
                *current = event_view{ek->name, clock.to_unix_ns(word(payload)), {}};
                ev_attr_first = a;
            } else if (en.tag == entry_tag::event_attribute && current) {
                const auto* info = static_cast<const attribute_info*>(en.info);
                attrs_[a++] = attribute_view{info->key, info->sensitivity, value(en, payload, it)};
                current->attributes = std::span<const attribute_view>(attrs_.data() + ev_attr_first, a - ev_attr_first);
            }
        });
        s.events = std::span<const event_view>(events_.data() + event_first, e - event_first);
    }

    std::vector<std::byte> raw_;
    std::vector<std::size_t> offsets_;
    std::vector<std::uint32_t> threads_;
    std::vector<span_view> spans_;
    std::vector<attribute_view> attrs_;
    std::vector<event_view> events_;
    std::vector<value_view> items_;
    std::unordered_map<const char*, std::string> demangled_;
};

}  // namespace tacit::inline TACIT_ABI::detail
