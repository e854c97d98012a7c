// OTLP encoding throughput (a batch of 512 crew-like spans, protobuf and JSON), and the hot
// path with an OTLP exporter attached beside the same span with a discarding one: their ratio
// in one run shows the host thread does not pay for the exporter.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../tests/otlp/receiver.hpp"
#include "bench_schema.hpp"
#include "tacit/exporters/otlp_http.hpp"

namespace {

using namespace std::chrono_literals;

/// Spans are recorded in bursts that fit the ring, and the background thread drains each burst
/// (untimed) before the next: so both benchmarks time the recording path, never the cheaper
/// drop-when-full path, while the exporter works on the spans concurrently. "dropped" shows it.
constexpr std::size_t bench_ring_bytes = std::size_t{16} << 20;
constexpr std::int64_t burst = 10000;

tacit::pipeline_options bench_options() {
    tacit::pipeline_options o;
    o.ring_bytes = bench_ring_bytes;
    o.watch_environment = false;
    o.schedule_delay = 10ms;
    return o;
}

/// Where the OTLP exporter sends: the node receiver (tests/otlp/receiver.mjs, every request
/// decoded) when TACIT_NODE and TACIT_OTLP_RECEIVER are set, as `meson test --benchmark` does;
/// otherwise a closed loopback port, where every export is encoded, refused, and not retried.
struct otlp_target {
    std::unique_ptr<otlp_test::receiver> receiver;
    std::string endpoint;
    const char* label = "closed port";
};

otlp_target& target() {
    static otlp_target t = [] {
        otlp_target out;
        if (std::getenv("TACIT_NODE") && std::getenv("TACIT_OTLP_RECEIVER")) {
            out.receiver = std::make_unique<otlp_test::receiver>(std::vector<std::string>{"--count"});
            out.endpoint = out.receiver->base();
            out.label = "receiver";
        } else {
            out.endpoint = "http://127.0.0.1:" + std::to_string(otlp_test::unused_port());
        }
        return out;
    }();
    return t;
}

tacit::pipeline& discard_pipeline() {
    static tacit::pipeline p{bench_options()};
    static bool started = [] {
        p.add_exporter(std::make_unique<discard_exporter>());
        return true;
    }();
    (void)started;
    return p;
}

tacit::pipeline& otlp_pipeline(tacit::otlp_http_exporter*& exporter) {
    static otlp_target& t = target();  // first, so the receiver outlives the pipeline's last export
    static tacit::otlp_http_exporter* ex = nullptr;
    static tacit::pipeline p{bench_options()};
    static bool started = [] {
        tacit::otlp_http_options o;
        o.endpoint = t.endpoint;
        o.max_attempts = t.receiver ? 5 : 1;  // a refused connection: fail at once, no backoff sleep
        o.timeout = 5000ms;
        ex = &p.emplace_exporter<tacit::otlp_http_exporter>(o);
        return true;
    }();
    (void)started;
    exporter = ex;
    return p;
}

/// The pipeline's counters over one benchmark, as of a flush before and after.
struct span_counters {
    tacit::pipeline& p;
    tacit::pipeline_stats before;

    explicit span_counters(tacit::pipeline& pl) : p(pl) {
        p.force_flush(10s);
        before = p.stats();
    }
    void report(benchmark::State& state) {
        p.force_flush(10s);
        const auto after = p.stats();
        state.counters["dropped"] = static_cast<double>(after.dropped_ring_full - before.dropped_ring_full);
        state.counters["recorded"] = static_cast<double>(after.recorded - before.recorded);
    }
};

/// One timed burst per iteration; "per_span" is the time of one record_tool_span.
void record_bursts(benchmark::State& state, tacit::pipeline& p) {
    span_counters c(p);
    std::int64_t i = 0;
    for (auto _ : state) {
        for (std::int64_t k = 0; k < burst; ++k) record_tool_span(p, ++i);
        state.PauseTiming();
        p.force_flush(10s);
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * burst);
    state.counters["per_span"] = benchmark::Counter(static_cast<double>(burst),
                                                    benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
    c.report(state);
}

void BM_span_4attrs_discard(benchmark::State& state) { record_bursts(state, discard_pipeline()); }

void BM_span_4attrs_otlp(benchmark::State& state) {
    tacit::otlp_http_exporter* ex = nullptr;
    auto& p = otlp_pipeline(ex);
    p.force_flush(10s);
    const auto sent_before = ex->counters();
    record_bursts(state, p);
    const auto sent = ex->counters();
    state.counters["exported"] = static_cast<double>(sent.spans_exported - sent_before.spans_exported);
    state.counters["failed"] = static_cast<double>(sent.spans_failed - sent_before.spans_failed);
    state.SetLabel(target().label);
}

constexpr std::size_t batch_size = 512;

struct crew_batch {
    std::array<tacit::value_view, 3> tools{tacit::value_view::of(std::string_view("web_search")),
                                           tacit::value_view::of(std::string_view("file_read")),
                                           tacit::value_view::of(std::string_view("calculator"))};
    std::vector<tacit::attribute_view> attrs{
        {"gen_ai.tool.name", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view("web_search"))},
        {"gen_ai.request.model", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view("gpt-4o-mini"))},
        {"crew.attempts", tacit::sensitivity::public_data, tacit::value_view::of(std::int64_t{2})},
        {"crew.cache_hit", tacit::sensitivity::public_data, tacit::value_view::of(false)},
        {"llm.temperature", tacit::sensitivity::public_data, tacit::value_view::of(0.7)},
        {"gen_ai.usage.input_tokens", tacit::sensitivity::public_data, tacit::value_view::of(std::int64_t{1834})},
        {"crew.tools", tacit::sensitivity::public_data, tacit::value_view::array(tacit::value_type::string_array, tools)},
    };
    std::vector<tacit::attribute_view> event_attrs{
        {"retry.attempt", tacit::sensitivity::public_data, tacit::value_view::of(std::int64_t{1})},
    };
    std::vector<tacit::event_view> events{{"retry", 1'700'000'000'000'500'000ULL, event_attrs}};
    std::vector<tacit::span_view> spans;
    tacit::pipeline_stats stats{};
    tacit::resource_view resource{"crew-demo", "1.0.0", {}};

    crew_batch() {
        static constexpr std::string_view names[] = {"crew_kickoff", "agent_execution", "task_execution", "tool_usage",
                                                     "llm_call"};
        for (std::size_t i = 0; i < batch_size; ++i) {
            tacit::span_view s;
            s.name = names[i % 5];
            s.role = i % 5 == 4 ? tacit::span_role::client : tacit::span_role::internal;
            s.context = {{0x0af7651916cd43ddULL + i / 64, 0x8448eb211c80319cULL}, {0x1000 + i}, 1, false};
            s.parent = {i % 64 ? 0x1000 + i - 1 : 0};
            s.start_unix_ns = 1'700'000'000'000'000'000ULL + i * 1000;
            s.end_unix_ns = s.start_unix_ns + 250'000;
            s.status = i % 17 == 0 ? tacit::status_code::error : tacit::status_code::ok;
            s.error_type = i % 17 == 0 ? "timeout" : "";
            s.attributes = attrs;
            if (i % 4 == 3) s.events = events;
            spans.push_back(s);
        }
    }
    tacit::export_batch batch() const { return {spans, stats, resource}; }
};

void run(benchmark::State& state, tacit::otlp_protocol p) {
    crew_batch b;
    tacit::otlp_http_options o;
    o.protocol = p;
    tacit::otlp_http_exporter e(o);
    const auto batch = b.batch();
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto out = e.encode_for_test(batch);
        benchmark::DoNotOptimize(out.data());
        bytes = out.size();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch_size));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
    state.counters["bytes_per_span"] = static_cast<double>(bytes) / batch_size;
}

void BM_otlp_encode_protobuf(benchmark::State& state) { run(state, tacit::otlp_protocol::http_protobuf); }
void BM_otlp_encode_json(benchmark::State& state) { run(state, tacit::otlp_protocol::http_json); }

}  // namespace

BENCHMARK(BM_span_4attrs_discard);
BENCHMARK(BM_span_4attrs_otlp);
BENCHMARK(BM_otlp_encode_protobuf);
BENCHMARK(BM_otlp_encode_json);
BENCHMARK_MAIN();
