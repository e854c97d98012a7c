// BM_span_compiled_out: the same span as BM_span_4attrs in a translation unit compiled with
// TACIT_DISABLE. Enabled and disabled builds live in different inline namespaces, so this TU
// links into the same program as the enabled ones without an ODR clash.
#ifndef TACIT_DISABLE
#define TACIT_DISABLE
#endif
#include <benchmark/benchmark.h>

#include "bench_schema.hpp"

static_assert(!tacit::compiled_in, "core_bench_off.cpp must be compiled with TACIT_DISABLE.");

namespace {

void BM_span_compiled_out(benchmark::State& state) {
    static tacit::pipeline p;
    std::int64_t i = 0;
    for (auto _ : state) {
        record_tool_span(p, ++i);
        benchmark::DoNotOptimize(i);
    }
    state.counters["dropped"] = 0;
}
BENCHMARK(BM_span_compiled_out);

}  // namespace
