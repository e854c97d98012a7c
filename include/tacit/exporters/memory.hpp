#pragma once
/// An exporter that keeps owned copies of every span, for tests and for programs that want to
/// look at their own telemetry.
///
///     auto& mem = p.emplace_exporter<tacit::memory_exporter>();
///     ...; p.force_flush();
///     for (const auto& s : mem.spans()) ...
#include <cstdint>      // ids
#include <mutex>        // the background thread writes, the host reads
#include <optional>     // lookups
#include <string>       // owned strings
#include <string_view>  // keys
#include <vector>       // owned spans

#include "../exporter.hpp"

namespace tacit::inline TACIT_ABI {

/// An owned copy of a value_view.
struct owned_value {
    value_type type = value_type::boolean;
    bool b = false;
    std::int64_t i = 0;
    double d = 0;
    std::string s;
    std::vector<owned_value> items;

    static owned_value from(const value_view& v) {
        owned_value o;
        o.type = v.type();
        switch (v.type()) {
        case value_type::boolean: o.b = v.as_bool(); break;
        case value_type::int64: o.i = v.as_int(); break;
        case value_type::float64: o.d = v.as_double(); break;
        case value_type::string: o.s = std::string(v.as_string()); break;
        default:
            for (const auto& item : v.items()) o.items.push_back(from(item));
        }
        return o;
    }
};

struct owned_attribute {
    std::string key;
    tacit::sensitivity sensitivity = sensitivity::public_data;
    owned_value value;
};

struct owned_event {
    std::string name;
    std::uint64_t time_unix_ns = 0;
    std::vector<owned_attribute> attributes;
};

struct owned_link {
    span_context context;
    std::string trace_state;
    std::vector<owned_attribute> attributes;
};

/// An owned copy of a span_view.
struct owned_span {
    std::string name;
    span_role role = span_role::internal;
    span_context context;
    tacit::span_id parent{};
    bool parent_remote = false;
    std::uint64_t start_unix_ns = 0, end_unix_ns = 0;
    status_code status = status_code::unset;
    std::string error_type;
    std::vector<owned_attribute> attributes;
    std::vector<owned_event> events;
    std::string trace_state;
    std::vector<owned_link> links;
    std::uint32_t dropped_attributes = 0;
    std::uint32_t dropped_events = 0;
    std::uint32_t dropped_links = 0;
    std::uint32_t thread = 0;

    const owned_attribute* find(std::string_view key) const noexcept {
        for (const auto& a : attributes)
            if (a.key == key) return &a;
        return nullptr;
    }
};

inline std::vector<owned_attribute> own(std::span<const attribute_view> attrs) {
    std::vector<owned_attribute> out;
    out.reserve(attrs.size());
    for (const auto& a : attrs) out.push_back({std::string(a.key), a.sensitivity, owned_value::from(a.value)});
    return out;
}

inline owned_span own(const span_view& s) {
    owned_span o;
    o.name = std::string(s.name);
    o.role = s.role;
    o.context = s.context;
    o.parent = s.parent;
    o.parent_remote = s.parent_remote;
    o.start_unix_ns = s.start_unix_ns;
    o.end_unix_ns = s.end_unix_ns;
    o.status = s.status;
    o.error_type = std::string(s.error_type);
    o.attributes = own(s.attributes);
    for (const auto& e : s.events) o.events.push_back({std::string(e.name), e.time_unix_ns, own(e.attributes)});
    o.trace_state = std::string(s.trace_state);
    for (const auto& l : s.links) o.links.push_back({l.context, std::string(l.trace_state), own(l.attributes)});
    o.dropped_attributes = s.dropped_attributes;
    o.dropped_events = s.dropped_events;
    o.dropped_links = s.dropped_links;
    o.thread = s.thread;
    return o;
}

class memory_exporter final : public exporter {
public:
    export_result export_spans(const export_batch& batch) override {
        std::lock_guard lock(mutex_);
        for (const auto& s : batch.spans) spans_.push_back(own(s));
        last_stats_ = batch.stats;
        ++batches_;
        return export_result::success();
    }
    void on_tick(const pipeline_stats& stats) override {
        std::lock_guard lock(mutex_);
        last_stats_ = stats;
    }

    /// A copy of every span exported so far.
    std::vector<owned_span> spans() const {
        std::lock_guard lock(mutex_);
        return spans_;
    }
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return spans_.size();
    }
    std::size_t batches() const {
        std::lock_guard lock(mutex_);
        return batches_;
    }
    pipeline_stats last_stats() const {
        std::lock_guard lock(mutex_);
        return last_stats_;
    }
    void clear() {
        std::lock_guard lock(mutex_);
        spans_.clear();
    }

private:
    mutable std::mutex mutex_;
    std::vector<owned_span> spans_;
    pipeline_stats last_stats_{};
    std::size_t batches_ = 0;
};

}  // namespace tacit::inline TACIT_ABI
