// The hot path's cost: the clock floor, a span with four attributes (one and two threads), the
// same span switched off at run time and compiled out, and how fast the background thread
// drains rings into an exporter, and what its decoding and its naps cost. Names are stable: CI
// and the README quote them.
#include <benchmark/benchmark.h>

#include <algorithm>  // the naps' percentiles
#include <chrono>   // flush timeouts
#include <cstdint>  // counters
#include <memory>   // the exporter
#include <optional> // one drop counter per benchmark, not per thread
#include <thread>   // the decoder benchmark's clock calibration, naps
#include <vector>   // nap durations

#if defined(__linux__)
#include <sys/prctl.h>  // the background thread's timer slack, for BM_background_nap
#endif

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

/// The background thread's share of BM_span_4attrs: turning one such span's record into the
/// views an exporter reads (batch_decoder::take, as the background thread calls it), timed on
/// this thread alone, per batch of 512 spans recorded untimed just before. "per_span" is the
/// figure to set against BM_span_4attrs: while it is the smaller, one background thread keeps up
/// with one producer recording flat out. (The records are still in this core's cache here; the
/// background thread reads them from the producer's.)
void BM_decode_4attrs(benchmark::State& state) {
    // A pipeline with no exporter starts no background thread: the spans stay in this
    // thread's ring until the benchmark decodes them.
    static tacit::pipeline p{[] {
        tacit::pipeline_options o;
        o.watch_environment = false;
        o.ring_bytes = std::size_t{1} << 20;
        return o;
    }()};
    record_tool_span(p, 0);
    tacit::detail::thread_ring* ring = nullptr;
    for (auto& slot : tacit::detail::t_state.slots)
        if (slot.ring && slot.ring->core == tacit::detail::core_of(p)) ring = slot.ring;
    if (ring == nullptr) {
        state.SkipWithError("no ring for this thread");
        return;
    }
    tacit::detail::tick_converter clock;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    clock.calibrate();
    auto decoder = std::make_unique<tacit::detail::batch_decoder>();
    constexpr std::size_t batch = 512;
    std::int64_t i = 0;
    std::size_t decoded = 0;
    bool full = false;
    decoder->take(ring->ring, 1, clock, batch, full);  // the warm-up span
    decoder->clear();
    for (auto _ : state) {
        for (std::size_t k = 0; k < batch; ++k) record_tool_span(p, ++i);
        auto t0 = std::chrono::steady_clock::now();
        full = false;
        decoded += decoder->take(ring->ring, 1, clock, batch, full);
        benchmark::DoNotOptimize(decoder->spans().data());
        auto t1 = std::chrono::steady_clock::now();
        decoder->clear();
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    }
    if (decoded != state.iterations() * batch) state.SkipWithError("the decoder did not take every span recorded");
    state.SetItemsProcessed(static_cast<std::int64_t>(decoded));
    state.counters["per_span"] = benchmark::Counter(static_cast<double>(decoded), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_decode_4attrs)->UseManualTime();

/// What the background thread's short nap (worker_state::busy_nap, 10 µs, with the 1 µs timer
/// slack the thread sets for itself) takes on this machine: the median, the 99.9th percentile
/// and the longest, in µs. A producer flat out fills the default ring in about 50 µs, so every
/// nap that overruns that is a burst of drops in BM_span_4attrs_default_ring, however fast the
/// background thread decodes.
void BM_background_nap(benchmark::State& state) {
#if defined(__linux__)
    int slack = prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL);
    prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
#endif
    std::vector<double> naps;
    naps.reserve(static_cast<std::size_t>(state.max_iterations));
    for (auto _ : state) {
        auto t0 = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(tacit::detail::worker_state::busy_nap);
        naps.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
#if defined(__linux__)
    if (slack > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(slack), 0UL, 0UL, 0UL);
#endif
    std::sort(naps.begin(), naps.end());
    state.counters["p50_us"] = naps[naps.size() / 2];
    state.counters["p999_us"] = naps[naps.size() * 999 / 1000];
    state.counters["max_us"] = naps.back();
}
BENCHMARK(BM_background_nap)->Iterations(20000);

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
