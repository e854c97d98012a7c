// Analyzer ingest throughput: realistic crew spans (tool attribute, nesting, 1 % errors) fed in
// pipeline-sized batches, all detectors on. Target: >= 5 M spans/s.
#include <benchmark/benchmark.h>

#include <array>
#include <vector>

#include <tacit/analyzer.hpp>

#include "../tests/analyzer/feed.hpp"

namespace {

struct corpus {
    scenario::result gen;
    std::vector<std::array<tacit::attribute_view, 3>> attrs;
    std::vector<tacit::span_view> views;
    corpus() {
        scenario::options o;
        o.runs = 256;
        gen = scenario::generate(o);
        attrs.resize(gen.spans.size());
        for (std::size_t i = 0; i < gen.spans.size(); ++i) views.push_back(scenario::view_of(gen.spans[i], attrs[i]));
    }
};

void BM_analyzer_ingest(benchmark::State& state) {
    static const corpus c;
    tacit::analyzer a;
    const std::size_t batch = static_cast<std::size_t>(state.range(0));
    std::size_t pos = 0;
    for (auto _ : state) {
        if (pos + batch > c.views.size()) pos = 0;
        a.ingest(std::span{c.views}.subspan(pos, batch));
        pos += batch;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(batch));
    benchmark::DoNotOptimize(a.result(false).spans);
}
BENCHMARK(BM_analyzer_ingest)->Arg(512);

void BM_sketch_add(benchmark::State& state) {
    tacit::quantile_sketch s;
    double x = 1e6;
    for (auto _ : state) {
        s.add(x);
        x = x * 1.0001 + 17;
        if (x > 1e10) x = 1e6;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    benchmark::DoNotOptimize(s.count());
}
BENCHMARK(BM_sketch_add);

}  // namespace

BENCHMARK_MAIN();
