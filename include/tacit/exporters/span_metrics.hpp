#pragma once
/// An exporter that turns the span stream into metrics, on the pipeline's background thread:
/// the host's threads pay nothing for them. Add it to a pipeline and expose its registry with
/// exporters/prometheus.hpp (or use tacit::prometheus_exporter, which does both).
///
///     tacit::metrics_registry reg;
///     p.add_exporter(std::make_unique<tacit::span_metrics_exporter>(reg));
///
/// Metrics (span and tool names become label values; every family is capped at
/// span_metrics_options::max_series label sets, beyond which an "__overflow__" series counts):
///   tacit_spans_total{span,status}                 finished spans by kind and status
///   tacit_span_duration_seconds{span}              span durations (histogram)
///   tacit_tool_usages_total{tool}                  spans carrying gen_ai.tool.name (not repeats)
///   tacit_tool_errors_total{tool,error_type}       those that ended in error
///   tacit_tool_repeated_usages_total{tool}         tool_repeated_usage spans
///   tacit_gen_ai_tokens_total{span,type}           gen_ai.usage.input_tokens / output_tokens
///   tacit_records_dropped_total{reason}            ring_full, shutdown, disabled, export_failed, rejected
///   tacit_spans_recorded_total, tacit_spans_delivered_total, tacit_export_batches_total,
///   tacit_exporter_exceptions_total, tacit_truncated_strings_total, tacit_dropped_attributes_total
///   tacit_ring_bytes_used, tacit_ring_bytes_capacity, tacit_ring_fill_ratio, tacit_threads (gauges)
///   tacit_export_duration_seconds (histogram of export-call wall time), tacit_export_last_duration_seconds
#include <cstdint>      // counters
#include <string>       // label values built from attributes
#include <string_view>  // attribute keys
#include <vector>       // label keys

#include "../exporter.hpp"
#include "../metrics.hpp"

namespace tacit::inline TACIT_ABI {

struct span_metrics_options {
    std::size_t max_series = 256;                ///< label sets per metric before "__overflow__"
    std::span<const double> duration_buckets{};  ///< seconds; empty = default_seconds_buckets
};

/// Counts spans into metrics. Runs only on the pipeline's background thread; the registry may
/// be read (scraped) from any thread at the same time.
class span_metrics_exporter final : public exporter {
public:
    explicit span_metrics_exporter(metrics_registry& registry = metrics_registry::global(),
                                   span_metrics_options opts = {})
        : spans_(registry, "tacit_spans_total", "Finished spans by span kind and status.", metric_type::counter,
                 {"span", "status"}, {opts.max_series, {}}),
          durations_(registry, "tacit_span_duration_seconds", "Span durations by span kind, in seconds.",
                     metric_type::histogram, {"span"}, {opts.max_series, opts.duration_buckets}),
          tools_(registry, "tacit_tool_usages_total", "Tool usages by tool (gen_ai.tool.name).",
                 metric_type::counter, {"tool"}, {opts.max_series, {}}),
          tool_errors_(registry, "tacit_tool_errors_total", "Tool usages that ended in error, by tool and error type.",
                       metric_type::counter, {"tool", "error_type"}, {opts.max_series, {}}),
          tool_repeats_(registry, "tacit_tool_repeated_usages_total",
                        "Repeated tool usages (tool_repeated_usage spans) by tool.", metric_type::counter, {"tool"},
                        {opts.max_series, {}}),
          tokens_(registry, "tacit_gen_ai_tokens_total",
                  "Tokens reported by spans (gen_ai.usage.input_tokens, gen_ai.usage.output_tokens).",
                  metric_type::counter, {"span", "type"}, {opts.max_series, {}}),
          dropped_(registry, "tacit_records_dropped_total", "Span records tacit dropped, by reason.",
                   metric_type::counter, {"reason"}, {16, {}}),
          recorded_(registry, "tacit_spans_recorded_total", "Spans the host finished (kept or dropped).",
                    metric_type::counter, {}, {}),
          delivered_(registry, "tacit_spans_delivered_total", "Spans handed to the exporters.", metric_type::counter,
                     {}, {}),
          batches_(registry, "tacit_export_batches_total", "Export calls the pipeline made.", metric_type::counter,
                   {}, {}),
          exceptions_(registry, "tacit_exporter_exceptions_total", "Export calls that threw (contained).",
                      metric_type::counter, {}, {}),
          truncated_(registry, "tacit_truncated_strings_total", "Strings cut to TACIT_MAX_STRING.",
                     metric_type::counter, {}, {}),
          dropped_attrs_(registry, "tacit_dropped_attributes_total", "Attributes beyond TACIT_MAX_ATTRIBUTES.",
                         metric_type::counter, {}, {}),
          ring_used_(registry, "tacit_ring_bytes_used", "Bytes waiting in the per-thread rings when sampled.",
                     metric_type::gauge, {}, {}),
          ring_capacity_(registry, "tacit_ring_bytes_capacity", "Bytes of all per-thread rings.", metric_type::gauge,
                         {}, {}),
          ring_fill_(registry, "tacit_ring_fill_ratio", "ring_bytes_used / ring_bytes_capacity (0..1).",
                     metric_type::gauge, {}, {}),
          threads_(registry, "tacit_threads", "Threads that currently own a ring.", metric_type::gauge, {}, {}),
          export_time_(registry, "tacit_export_duration_seconds", "Wall time of export calls, in seconds.",
                       metric_type::histogram, {}, {1, export_buckets}),
          export_last_(registry, "tacit_export_last_duration_seconds", "Wall time of the last export call, in seconds.",
                       metric_type::gauge, {}, {}) {
        // Known reasons exist from the start at 0, so rate() and alerts see them before a drop.
        for (std::string_view reason : {"ring_full", "shutdown", "disabled", "export_failed", "rejected"}) {
            const std::string_view l[] = {reason};
            dropped_.family_.find(l);
        }
    }

    export_result export_spans(const export_batch& batch) override {
        for (const auto& s : batch.spans) record(s);
        update(batch.stats);
        return export_result::success();
    }

    void on_tick(const pipeline_stats& stats) override { update(stats); }

    /// Counts one span (called by export_spans; public so tools can feed spans directly).
    void record(const span_view& s) {
        auto& spans = spans_.family_;
        const std::string_view status = to_string(s.status);
        const std::string_view span_status[] = {s.name, status};
        spans.counter_add(spans.find(span_status), 1);

        auto& dur = durations_.family_;
        const std::string_view span_only[] = {s.name};
        dur.observe(dur.find(span_only), static_cast<double>(s.duration_ns()) / 1e9);

        for (const auto& [key, type] : {std::pair{std::string_view("gen_ai.usage.input_tokens"), std::string_view("input")},
                                        std::pair{std::string_view("gen_ai.usage.output_tokens"), std::string_view("output")}}) {
            if (const auto* a = s.find(key)) {
                std::int64_t n = -1;
                if (a->value.type() == value_type::int64) n = a->value.as_int();
                else if (a->value.type() == value_type::float64 && a->value.as_double() >= 0 &&
                         a->value.as_double() < 9.0e18)
                    n = static_cast<std::int64_t>(a->value.as_double());
                if (n > 0) {
                    auto& tok = tokens_.family_;
                    const std::string_view labels[] = {s.name, type};
                    tok.counter_add(tok.find(labels), static_cast<std::uint64_t>(n));
                }
            }
        }

        const auto* tool = s.find("gen_ai.tool.name");
        if (tool == nullptr || tool->value.type() != value_type::string) return;
        const std::string_view tool_label[] = {tool->value.as_string()};
        if (s.name == "tool_repeated_usage") {
            auto& rep = tool_repeats_.family_;
            rep.counter_add(rep.find(tool_label), 1);
            return;
        }
        auto& use = tools_.family_;
        use.counter_add(use.find(tool_label), 1);
        if (s.status == status_code::error || s.name == "tool_usage_error") {
            auto& err = tool_errors_.family_;
            const std::string_view labels[] = {tool->value.as_string(),
                                               s.error_type.empty() ? std::string_view("unknown") : s.error_type};
            err.counter_add(err.find(labels), 1);
        }
    }

private:
    static constexpr double export_buckets[] = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0};

    /// pipeline_stats carries running totals; the counters advance by what is new.
    void advance(detail::metric_family& f, std::uint64_t& seen, std::uint64_t now, std::string_view label = {}) {
        if (now <= seen) return;
        detail::metric_family::index idx = 0;
        if (!label.empty()) {
            const std::string_view l[] = {label};
            idx = f.find(l);
        }
        f.counter_add(idx, now - seen);
        seen = now;
    }

    void update(const pipeline_stats& st) {
        advance(dropped_.family_, seen_.dropped_ring_full, st.dropped_ring_full, "ring_full");
        advance(dropped_.family_, seen_.dropped_shutdown, st.dropped_shutdown, "shutdown");
        advance(dropped_.family_, seen_.dropped_disabled, st.dropped_disabled, "disabled");
        advance(dropped_.family_, seen_.export_failed, st.export_failed, "export_failed");
        advance(dropped_.family_, seen_.export_rejected, st.export_rejected, "rejected");
        advance(recorded_.family_, seen_.recorded, st.recorded);
        advance(delivered_.family_, seen_.delivered, st.delivered);
        advance(exceptions_.family_, seen_.exporter_exceptions, st.exporter_exceptions);
        advance(truncated_.family_, seen_.truncated_strings, st.truncated_strings);
        advance(dropped_attrs_.family_, seen_.dropped_attributes, st.dropped_attributes);
        if (st.batches > seen_.batches) {
            // last_export_ns is the previous call's wall time; one sample per new batch seen.
            const double secs = static_cast<double>(st.last_export_ns) / 1e9;
            export_time_.family_.observe(0, secs);
            export_last_.family_.gauge_set(0, secs);
        }
        advance(batches_.family_, seen_.batches, st.batches);
        ring_used_.family_.gauge_set(0, static_cast<double>(st.ring_bytes_used));
        ring_capacity_.family_.gauge_set(0, static_cast<double>(st.ring_bytes_capacity));
        ring_fill_.family_.gauge_set(0, st.ring_bytes_capacity == 0 ? 0.0
                                                                   : static_cast<double>(st.ring_bytes_used) /
                                                                         static_cast<double>(st.ring_bytes_capacity));
        threads_.family_.gauge_set(0, static_cast<double>(st.threads));
    }

    detail::registered_family spans_, durations_, tools_, tool_errors_, tool_repeats_, tokens_, dropped_, recorded_,
        delivered_, batches_, exceptions_, truncated_, dropped_attrs_, ring_used_, ring_capacity_, ring_fill_,
        threads_, export_time_, export_last_;
    pipeline_stats seen_{};
};

}  // namespace tacit::inline TACIT_ABI
