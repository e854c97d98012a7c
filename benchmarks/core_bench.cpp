// The hot path's cost: the clock floor, a span with four attributes (one and two threads), the
// same span switched off at run time and compiled out, and how fast the background thread
// drains rings into an exporter. Names are stable: CI and the README quote them.
#include <benchmark/benchmark.h>

#include <chrono>   // flush timeouts
#include <cstdint>  // counters
#include <memory>   // the exporter
#include <optional> // one drop counter per benchmark, not per thread

#include "bench_schema.hpp"

namespace {

/// Rings large enough that a benchmark loop rarely outruns the background thread; whatever is
/// still dropped is reported in the "dropped" counter.
constexpr std::size_t bench_ring_bytes = std::size_t{4} << 20;

tacit::pipeline& bench_pipeline() {
    static tacit::pipeline p{[] {
        tacit::pipeline_options o;
        o.ring_bytes = bench_ring_bytes;
        o.watch_environment = false;  // BM_span_runtime_disabled sets the switch by hand
        return o;
    }()};
    static bool started = [] {
        p.add_exporter(std::make_unique<discard_exporter>());
        return true;
    }();
    (void)started;
    return p;
}

/// Records the pipeline's drop counters, as of a flush, into the benchmark's counters.
struct drop_counter {
    tacit::pipeline& p;
    tacit::pipeline_stats before;

    explicit drop_counter(tacit::pipeline& pl) : p(pl) {
        p.force_flush(std::chrono::seconds(10));
        before = p.stats();
    }
    void report(benchmark::State& state) {
        p.force_flush(std::chrono::seconds(10));
        auto after = p.stats();
        state.counters["dropped"] = static_cast<double>(after.dropped_ring_full - before.dropped_ring_full);
        state.counters["recorded"] = static_cast<double>(after.recorded - before.recorded);
    }
};

void BM_empty_loop(benchmark::State& state) {
    std::int64_t i = 0;
    for (auto _ : state) {
        ++i;
        benchmark::DoNotOptimize(i);
    }
}
BENCHMARK(BM_empty_loop);

void BM_clock_pair(benchmark::State& state) {
    for (auto _ : state) {
        auto a = tacit::detail::now_ticks();
        auto b = tacit::detail::now_ticks();
        benchmark::DoNotOptimize(a);
        benchmark::DoNotOptimize(b);
    }
}
BENCHMARK(BM_clock_pair);

void BM_span_4attrs(benchmark::State& state) {
    auto& p = bench_pipeline();
    std::optional<drop_counter> drops;
    if (state.thread_index() == 0) drops.emplace(p);
    std::int64_t i = 0;
    for (auto _ : state) record_tool_span(p, ++i);
    if (drops) drops->report(state);
}
BENCHMARK(BM_span_4attrs);
BENCHMARK(BM_span_4attrs)->Threads(2);

/// BM_span_4attrs into a pipeline with the default ring (TACIT_RING_BYTES, 256 KiB): does one
/// background thread keep up with one producer recording without pause? "dropped" says.
void BM_span_4attrs_default_ring(benchmark::State& state) {
    static tacit::pipeline p{[] {
        tacit::pipeline_options o;
        o.watch_environment = false;
        return o;
    }()};
    static bool started = [] {
        p.add_exporter(std::make_unique<discard_exporter>());
        return true;
    }();
    (void)started;
    drop_counter drops(p);
    std::int64_t i = 0;
    for (auto _ : state) record_tool_span(p, ++i);
    drops.report(state);
    state.counters["dropped_pct"] =
        state.counters["recorded"] > 0 ? 100.0 * state.counters["dropped"] / state.counters["recorded"] : 0.0;
}
BENCHMARK(BM_span_4attrs_default_ring);

void BM_span_runtime_disabled(benchmark::State& state) {
    auto& p = bench_pipeline();
    drop_counter drops(p);
    // What OTEL_SDK_DISABLED=true does, without the environment watcher undoing it.
    tacit::detail::g_off.store(1, std::memory_order_relaxed);
    std::int64_t i = 0;
    for (auto _ : state) record_tool_span(p, ++i);
    tacit::detail::g_off.store(0, std::memory_order_relaxed);
    drops.report(state);
    if (state.counters["recorded"] != 0) state.SkipWithError("spans were recorded while tacit was switched off");
}
BENCHMARK(BM_span_runtime_disabled);

/// Records per iteration, then waits for the background thread to hand all of them to the
/// exporter: items/s is the end-to-end throughput of one producer and the drain.
void BM_drain_throughput(benchmark::State& state) {
    auto& p = bench_pipeline();
    drop_counter drops(p);
    const auto batch = state.range(0);
    for (auto _ : state) {
        for (std::int64_t i = 0; i < batch; ++i) record_tool_span(p, i);
        if (!p.force_flush(std::chrono::seconds(10))) state.SkipWithError("force_flush timed out");
    }
    state.SetItemsProcessed(state.iterations() * batch);
    drops.report(state);
}
BENCHMARK(BM_drain_throughput)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
