#pragma once
/// The exporter interface: a batch of read-only span views in, a result out. Exporters run
/// only on the pipeline's background thread, one call at a time, never on the host's threads.
#include <chrono>       // timeouts
#include <cstdint>      // counters, timestamps
#include <span>         // batches
#include <string_view>  // names

#include "config.hpp"
#include "ids.hpp"
#include "value.hpp"

namespace tacit::inline TACIT_ABI {

/// The OpenTelemetry span kind: the role a span plays in a request.
enum class span_role : std::uint8_t { internal, server, client, producer, consumer };

/// OK or error. An error carries a short type ("timeout", "tool_not_found", an exception's
/// type name), never a free-text message that could carry content.
enum class status_code : std::uint8_t { unset, ok, error };

constexpr std::string_view to_string(span_role r) noexcept {
    switch (r) {
    case span_role::internal: return "internal";
    case span_role::server: return "server";
    case span_role::client: return "client";
    case span_role::producer: return "producer";
    case span_role::consumer: return "consumer";
    }
    return "internal";
}

constexpr std::string_view to_string(status_code s) noexcept {
    switch (s) {
    case status_code::unset: return "unset";
    case status_code::ok: return "ok";
    case status_code::error: return "error";
    }
    return "unset";
}

/// An instantaneous event inside a span.
struct event_view {
    std::string_view name;
    std::uint64_t time_unix_ns = 0;
    std::span<const attribute_view> attributes;
};

/// A link to another span (OTLP Span.Link): a span that caused or relates to this one, such
/// as each request a batch handler serves.
///
///     tacit::link_view l{request_ctx, "vendor=v1", {}};   // context, tracestate, attributes
struct link_view {
    span_context context;                        ///< trace id, span id, flags, remote
    std::string_view trace_state;                ///< W3C tracestate of the linked span, may be empty
    std::span<const attribute_view> attributes;  ///< public attributes of the link
};

/// One finished span, valid for the duration of the export call.
struct span_view {
    std::string_view name;          ///< the span kind's name, fixed at compile time
    span_context context;           ///< this span's trace id, span id and flags
    tacit::span_id parent{};        ///< zero for a root span
    std::uint64_t start_unix_ns = 0;
    std::uint64_t end_unix_ns = 0;
    std::span<const attribute_view> attributes;
    // What most spans leave empty, side by side, so the background thread clears them at once.
    std::string_view error_type;    ///< set when status == error
    std::span<const event_view> events;
    std::string_view trace_state;   ///< W3C tracestate inherited from a remote parent, may be empty
    std::span<const link_view> links;
    std::uint32_t dropped_attributes = 0;  ///< attributes that did not fit the record
    std::uint32_t dropped_events = 0;
    std::uint32_t dropped_links = 0;  ///< links that did not fit the record
    std::uint32_t thread = 0;       ///< tacit's small id of the recording thread (not the OS tid)
    span_role role = span_role::internal;
    bool parent_remote = false;     ///< the parent came from another process
    status_code status = status_code::unset;

    /// The first attribute with this key, or nullptr.
    const attribute_view* find(std::string_view key) const noexcept {
        for (const auto& a : attributes)
            if (a.key == key) return &a;
        return nullptr;
    }
    std::uint64_t duration_ns() const noexcept { return end_unix_ns >= start_unix_ns ? end_unix_ns - start_unix_ns : 0; }
};

/// What the pipeline knows about itself, published to exporters with every batch (and read
/// with pipeline::stats()). recorded = delivered + dropped_ring_full + dropped_disabled
/// + dropped_shutdown + still queued; every exporter accounts for each delivered span as exported, rejected or failed.
struct pipeline_stats {
    std::uint64_t recorded = 0;           ///< spans the host finished (kept or dropped)
    std::uint64_t dropped_ring_full = 0;  ///< dropped on the host thread: its ring was full
    std::uint64_t dropped_shutdown = 0;   ///< still in a ring when shutdown gave up waiting
    std::uint64_t dropped_disabled = 0;   ///< drained while recording was switched off (not exported)
    std::uint64_t delivered = 0;          ///< handed to the exporters
    std::uint64_t export_failed = 0;      ///< delivered spans an exporter failed to send (summed over exporters)
    std::uint64_t export_rejected = 0;    ///< delivered spans a receiver refused (summed over exporters)
    std::uint64_t batches = 0;            ///< export calls made
    std::uint64_t exporter_exceptions = 0;///< exports that threw (contained)
    std::uint64_t truncated_strings = 0;  ///< strings cut to TACIT_MAX_STRING (marked with …)
    std::uint64_t dropped_attributes = 0; ///< attributes beyond TACIT_MAX_ATTRIBUTES
    std::uint64_t last_export_ns = 0;     ///< wall time of the last export call
    std::uint32_t threads = 0;            ///< threads that currently own a ring
    std::uint64_t ring_bytes_used = 0;    ///< bytes waiting in rings when sampled
    std::uint64_t ring_bytes_capacity = 0;///< bytes of all rings
};

/// The process that recorded the spans: the OpenTelemetry resource. Host-free by default.
struct resource_view {
    std::string_view service_name;
    std::string_view service_version;
    std::span<const attribute_view> attributes;  ///< extra, from OTEL_RESOURCE_ATTRIBUTES or code
};

/// What an exporter is given: the spans, and the pipeline's view of itself.
struct export_batch {
    std::span<const span_view> spans;
    const pipeline_stats& stats;
    const resource_view& resource;
};

/// What an exporter reports back for a batch.
struct export_result {
    enum class code : std::uint8_t { success, failure } status = code::success;
    std::uint64_t rejected = 0;  ///< spans the receiver refused (OTLP partial_success)

    static constexpr export_result success() noexcept { return {}; }
    static constexpr export_result failure() noexcept { return {code::failure, 0}; }
    static constexpr export_result partial(std::uint64_t rejected) noexcept { return {code::success, rejected}; }
    constexpr bool ok() const noexcept { return status == code::success; }
};

/// Per-exporter accounting: every delivered span ends as exactly one of these.
struct exporter_stats {
    std::uint64_t exported = 0;
    std::uint64_t rejected = 0;
    std::uint64_t failed = 0;
};

/// Implement this to send spans somewhere. Called on the background thread only.
///
///     struct count_exporter final : tacit::exporter {
///         std::size_t n = 0;
///         tacit::export_result export_spans(const tacit::export_batch& b) override {
///             n += b.spans.size();
///             return tacit::export_result::success();
///         }
///     };
class exporter {
public:
    virtual ~exporter() = default;
    /// Export one batch. May throw; the pipeline contains it and counts the batch as failed.
    virtual export_result export_spans(const export_batch& batch) = 0;
    /// Push out anything buffered; return false if the timeout ran out.
    virtual bool force_flush(std::chrono::milliseconds /*timeout*/) { return true; }
    /// Last call; release resources within the timeout.
    virtual void shutdown(std::chrono::milliseconds /*timeout*/) {}
    /// Called from the thread that shuts the pipeline down when it gives up waiting for an
    /// export in progress (shutdown timed out): abort that export soon. Must be safe to call
    /// while export_spans runs on the background thread; by default does nothing.
    virtual void cancel() noexcept {}
    /// Called on the background thread once per cycle even without spans (for metrics).
    virtual void on_tick(const pipeline_stats& /*stats*/) {}
};

}  // namespace tacit::inline TACIT_ABI
