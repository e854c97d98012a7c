// The span-metrics exporter: hand-built span views, then a real pipeline feeding it.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <tacit/exporters/prometheus.hpp>
#include <tacit/exporters/span_metrics.hpp>
#include <tacit/tacit.hpp>

namespace {

std::uint64_t counter(const tacit::metrics_registry& reg, std::string_view name,
                      std::vector<std::string_view> labels = {}) {
    std::uint64_t v = 0;
    bool found = false;
    reg.for_each([&](const tacit::detail::metric_family& f) {
        if (f.name() != name) return;
        f.for_each_series([&](auto idx, std::span<const std::string_view> l) {
            if (std::vector<std::string_view>(l.begin(), l.end()) == labels) {
                v = f.counter_value(idx);
                found = true;
            }
        });
    });
    return found ? v : ~std::uint64_t{0};
}

tacit::span_view make_span(std::string_view name, std::span<const tacit::attribute_view> attrs,
                           tacit::status_code st = tacit::status_code::ok, std::string_view err = {},
                           std::uint64_t dur_ns = 1'000'000) {
    tacit::span_view s;
    s.name = name;
    s.start_unix_ns = 1'700'000'000'000'000'000ull;
    s.end_unix_ns = s.start_unix_ns + dur_ns;
    s.status = st;
    s.error_type = err;
    s.attributes = attrs;
    return s;
}

}  // namespace

TEST_CASE("span metrics: spans by kind and status, tools, errors, repeats, tokens, durations") {
    tacit::metrics_registry reg;
    tacit::span_metrics_exporter ex(reg);
    const tacit::attribute_view search[] = {{"gen_ai.tool.name", {}, tacit::value_view::of(std::string_view("web_search"))}};
    const tacit::attribute_view calc[] = {{"gen_ai.tool.name", {}, tacit::value_view::of(std::string_view("calc"))}};
    const tacit::attribute_view tokens[] = {
        {"gen_ai.usage.input_tokens", {}, tacit::value_view::of(std::int64_t{120})},
        {"gen_ai.usage.output_tokens", {}, tacit::value_view::of(std::int64_t{30})}};
    const tacit::attribute_view not_a_string[] = {{"gen_ai.tool.name", {}, tacit::value_view::of(std::int64_t{5})}};
    const tacit::attribute_view negative[] = {{"gen_ai.usage.input_tokens", {}, tacit::value_view::of(std::int64_t{-4})}};
    std::vector<tacit::span_view> spans = {
        make_span("tool_usage", search),
        make_span("tool_usage", search),
        make_span("tool_usage", search, tacit::status_code::error, "timeout"),
        make_span("tool_usage", calc, tacit::status_code::error, ""),
        make_span("tool_repeated_usage", search),
        make_span("llm_call", tokens, tacit::status_code::unset, {}, 2'000'000'000),
        make_span("llm_call", tokens, tacit::status_code::unset, {}, 3'000'000'000),
        make_span("llm_call", negative),
        make_span("odd", not_a_string),
    };
    tacit::pipeline_stats st;
    st.recorded = 12;
    st.dropped_ring_full = 3;
    st.delivered = 9;
    st.batches = 1;
    st.last_export_ns = 2'000'000;
    st.ring_bytes_used = 256;
    st.ring_bytes_capacity = 1024;
    st.threads = 2;
    tacit::resource_view res;
    CHECK(ex.export_spans({spans, st, res}).ok());

    CHECK(counter(reg, "tacit_spans_total", {"tool_usage", "ok"}) == 2);
    CHECK(counter(reg, "tacit_spans_total", {"tool_usage", "error"}) == 2);
    CHECK(counter(reg, "tacit_spans_total", {"tool_repeated_usage", "ok"}) == 1);
    CHECK(counter(reg, "tacit_spans_total", {"llm_call", "unset"}) == 2);
    CHECK(counter(reg, "tacit_tool_usages_total", {"web_search"}) == 3);
    CHECK(counter(reg, "tacit_tool_usages_total", {"calc"}) == 1);
    CHECK(counter(reg, "tacit_tool_errors_total", {"web_search", "timeout"}) == 1);
    CHECK(counter(reg, "tacit_tool_errors_total", {"calc", "unknown"}) == 1);
    CHECK(counter(reg, "tacit_tool_repeated_usages_total", {"web_search"}) == 1);
    CHECK(counter(reg, "tacit_gen_ai_tokens_total", {"llm_call", "input"}) == 240);
    CHECK(counter(reg, "tacit_gen_ai_tokens_total", {"llm_call", "output"}) == 60);
    CHECK(counter(reg, "tacit_records_dropped_total", {"ring_full"}) == 3);
    CHECK(counter(reg, "tacit_spans_recorded_total") == 12);
    CHECK(counter(reg, "tacit_export_batches_total") == 1);

    const std::string text = tacit::prometheus::render(reg);
    CHECK(text.find("tacit_span_duration_seconds_bucket{span=\"llm_call\",le=\"2.5\"} 2\n") != std::string::npos);
    CHECK(text.find("tacit_span_duration_seconds_bucket{span=\"llm_call\",le=\"5\"} 3\n") != std::string::npos);
    CHECK(text.find("tacit_span_duration_seconds_sum{span=\"llm_call\"} 5.001\n") != std::string::npos);
    CHECK(text.find("tacit_ring_fill_ratio 0.25\n") != std::string::npos);
    CHECK(text.find("tacit_threads 2\n") != std::string::npos);
    CHECK(text.find("tacit_export_duration_seconds_count 1\n") != std::string::npos);

    // Running totals in later stats advance the counters by the difference only.
    st.recorded = 20;
    st.dropped_ring_full = 3;
    st.dropped_shutdown = 4;
    st.dropped_disabled = 5;
    st.export_failed = 6;
    st.export_rejected = 7;
    ex.on_tick(st);
    ex.on_tick(st);
    CHECK(counter(reg, "tacit_spans_recorded_total") == 20);
    CHECK(counter(reg, "tacit_records_dropped_total", {"ring_full"}) == 3);
    CHECK(counter(reg, "tacit_records_dropped_total", {"shutdown"}) == 4);
    CHECK(counter(reg, "tacit_records_dropped_total", {"disabled"}) == 5);
    CHECK(counter(reg, "tacit_records_dropped_total", {"export_failed"}) == 6);
    CHECK(counter(reg, "tacit_records_dropped_total", {"rejected"}) == 7);
}

TEST_CASE("span metrics: tool-name cardinality is capped by the overflow series") {
    tacit::metrics_registry reg;
    tacit::span_metrics_exporter ex(reg, {.max_series = 8});
    std::vector<std::string> names;
    for (int i = 0; i < 1000; ++i) {
        std::string n = "tool_";
        n += std::to_string(i);
        names.push_back(std::move(n));
    }
    for (const auto& n : names) {
        const tacit::attribute_view a[] = {{"gen_ai.tool.name", {}, tacit::value_view::of(std::string_view(n))}};
        ex.record(make_span("tool_usage", a));
    }
    CHECK(counter(reg, "tacit_tool_usages_total", {"__overflow__"}) == 992);
    CHECK(counter(reg, "tacit_tool_usages_total", {"tool_0"}) == 1);
}

TEST_CASE("span metrics: two exporters on one registry is a clear error") {
    tacit::metrics_registry reg;
    tacit::span_metrics_exporter a(reg);
    CHECK_THROWS_WITH_AS([&] { tacit::span_metrics_exporter b(reg); }(), doctest::Contains("registered twice"),
                         std::invalid_argument);
}

namespace sm {
struct tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
struct input_tokens : tacit::attribute<"gen_ai.usage.input_tokens", std::int64_t> {};
struct tool_usage : tacit::span_kind<"tool_usage", tool_name> {};
struct llm_call : tacit::span_kind<"llm_call", input_tokens> {};
}  // namespace sm

TEST_CASE("span metrics through a real pipeline, scraped over HTTP") {
    tacit::metrics_registry reg;
    tacit::pipeline_options o;
    o.schedule_delay = std::chrono::milliseconds(20);
    o.watch_environment = false;
    tacit::pipeline p(std::move(o));
    tacit::prometheus_exporter::options po;
    po.registry = &reg;
    auto& prom = static_cast<tacit::prometheus_exporter&>(
        p.emplace_exporter<tacit::prometheus_exporter>(po));
    for (int i = 0; i < 5; ++i) {
        auto s = tacit::start<sm::tool_usage>(p);
        s.set<sm::tool_name>("web_search");
        if (i == 4) s.error("timeout");
    }
    {
        auto s = tacit::start<sm::llm_call>(p);
        s.set<sm::input_tokens>(77);
    }
    REQUIRE(p.force_flush(std::chrono::seconds(10)));
    httplib::Client cli("127.0.0.1", prom.port());
    auto r = cli.Get("/metrics");
    REQUIRE(r);
    CHECK(r->status == 200);
    if constexpr (!tacit::compiled_in) {
        CHECK(r->body.find("tacit_tool_usages_total{") == std::string::npos);
        return;
    }
    CHECK(r->body.find("tacit_tool_usages_total{tool=\"web_search\"} 5\n") != std::string::npos);
    CHECK(r->body.find("tacit_tool_errors_total{tool=\"web_search\",error_type=\"timeout\"} 1\n") != std::string::npos);
    CHECK(r->body.find("tacit_spans_total{span=\"tool_usage\",status=\"error\"} 1\n") != std::string::npos);
    CHECK(r->body.find("tacit_gen_ai_tokens_total{span=\"llm_call\",type=\"input\"} 77\n") != std::string::npos);
    CHECK(r->body.find("tacit_spans_recorded_total 6\n") != std::string::npos);
    p.shutdown(std::chrono::seconds(5));
}
