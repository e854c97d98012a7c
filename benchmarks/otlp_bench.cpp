// OTLP encoding throughput: a batch of 512 crew-like spans, protobuf and JSON.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tacit/exporters/otlp_http.hpp"

namespace {

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

BENCHMARK(BM_otlp_encode_protobuf);
BENCHMARK(BM_otlp_encode_json);
BENCHMARK_MAIN();
