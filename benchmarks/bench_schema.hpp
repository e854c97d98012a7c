#pragma once
// The span kind every core benchmark records: a tool call with four attributes, one of each
// scalar type (string, int64, bool, double). Included by translation units built enabled and
// compiled out, so everything is in an unnamed namespace: each TU gets its own types.
#include <cstdint>      // std::int64_t
#include <string_view>  // the string attribute

#include <tacit/tacit.hpp>

namespace {

struct tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
struct attempts : tacit::attribute<"crew.tool.attempts", std::int64_t> {};
struct cache_hit : tacit::attribute<"crew.tool.cache_hit", bool> {};
struct latency_ms : tacit::attribute<"crew.tool.latency_ms", double> {};
struct tool_usage : tacit::span_kind<"tool_usage", tool_name, attempts, cache_hit, latency_ms> {};

/// Drops every batch: the benchmarks measure tacit, not an exporter.
struct discard_exporter final : tacit::exporter {
    tacit::export_result export_spans(const tacit::export_batch&) override { return tacit::export_result::success(); }
};

/// One span as the benchmarks record it: start, four sets, end. Inlined into each benchmark
/// loop, as instrumentation is inlined into the function it instruments, so the figures are the
/// span's own and not a helper function's call and register saves.
[[gnu::always_inline]] inline void record_tool_span(tacit::pipeline& p, std::int64_t i) {
    auto s = tacit::start<tool_usage>(p);
    s.set<tool_name>("web_search").set<attempts>(i).set<cache_hit>((i & 1) != 0).set<latency_ms>(12.5);
}

}  // namespace
