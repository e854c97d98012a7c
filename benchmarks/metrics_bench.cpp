// Metrics hot path and exposition. Built twice: enabled, and with TACIT_DISABLE (compiled out),
// so the two runs sit side by side; BM_floor_two_clock_reads is the yardstick.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include <tacit/exporters/prometheus.hpp>
#include <tacit/metrics.hpp>

namespace {

tacit::metrics_registry& bench_registry() {
    static tacit::metrics_registry r;
    return r;
}
tacit::counter<"bench_plain_total"> plain{bench_registry(), "Unlabelled counter."};
tacit::counter<"bench_jobs_total", "queue", "outcome"> jobs{bench_registry(), "Labelled counter."};
tacit::gauge<"bench_depth"> depth{bench_registry(), "Gauge."};
tacit::histogram<"bench_latency_seconds", "step"> latency{bench_registry(), "Histogram."};

void BM_floor_two_clock_reads(benchmark::State& state) {
    for (auto _ : state) {
        auto a = std::chrono::steady_clock::now();
        auto b = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize(a);
        benchmark::DoNotOptimize(b);
    }
}
BENCHMARK(BM_floor_two_clock_reads);

/// The budget: <= 5 ns. A per-thread shard: a relaxed load and store, no lock prefix.
void BM_counter_add(benchmark::State& state) {
    for (auto _ : state) {
        plain.inc();
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(plain.value());
}
BENCHMARK(BM_counter_add)->ThreadRange(1, 2);

void BM_counter_add_series_handle(benchmark::State& state) {
    auto s = jobs.series("default", "ok");
    for (auto _ : state) {
        s.add();
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_counter_add_series_handle);

/// With the label lookup (hash, probe, compare) on every call.
void BM_counter_add_labeled(benchmark::State& state) {
    for (auto _ : state) {
        jobs.add(1, "default", "ok");
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_counter_add_labeled)->ThreadRange(1, 2);

void BM_gauge_set(benchmark::State& state) {
    double v = 0;
    for (auto _ : state) {
        depth.set(v);
        v += 1;
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_gauge_set);

void BM_histogram_observe(benchmark::State& state) {
    double v = 0.0001;
    for (auto _ : state) {
        latency.observe(v, "plan");
        v = v > 20 ? 0.0001 : v * 1.7;
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_histogram_observe);

/// The whole exposition of one counter with 1,000 label sets.
void BM_prometheus_render(benchmark::State& state) {
    tacit::metrics_registry reg;
    tacit::counter<"bench_tools_total", "tool"> tools{reg, "1,000 series.", {.max_series = 1000}};
    for (int i = 0; i < 1000; ++i) {
        std::string name = "tool_";
        name += std::to_string(i);
        tools.add(static_cast<std::uint64_t>(i) + 1, name);
    }
    std::string out;
    for (auto _ : state) {
        out.clear();
        tacit::prometheus::render(reg, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(out.size()));
    state.counters["series"] = tacit::compiled_in ? 1000 : 0;
}
BENCHMARK(BM_prometheus_render);

}  // namespace

BENCHMARK_MAIN();
