// Attributes and span kinds shared by the integration tests.
#pragma once
#include <doctest/doctest.h>
#include <tacit/tacit.hpp>

namespace t {
struct tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
struct attempts : tacit::attribute<"crew.tool.attempts", std::int64_t> {};
struct cached : tacit::attribute<"crew.tool.cached", bool> {};
struct score : tacit::attribute<"crew.tool.score", double> {};
struct count_u : tacit::attribute<"crew.count", std::uint64_t> {};
struct tool_names : tacit::attribute<"crew.tool_names", tacit::list<std::string_view>> {};
struct sizes : tacit::attribute<"crew.sizes", tacit::list<std::int64_t>> {};
struct weights : tacit::attribute<"crew.weights", tacit::list<double>> {};
struct flags : tacit::attribute<"crew.flags", tacit::list<bool>> {};
struct goal : tacit::content<"crew.agent.goal", std::string_view> {};
struct api_key : tacit::secret<"llm.api_key", std::string_view> {};

struct tool_usage : tacit::span_kind<"tool_usage", tool_name, attempts, cached, score, count_u> {};
struct crew_run : tacit::span_kind<"crew_execution", tool_names, sizes, weights, flags, tacit::adhoc_keys> {};
struct agent_run : tacit::span_kind<"agent_execution", tacit::shares_content, goal, tool_name> {};
struct client_call : tacit::span_kind<"llm_call", tacit::role<tacit::span_role::client>> {};
struct retried : tacit::event_kind<"retry", attempts> {};
struct feature : tacit::event_kind<"feature_usage", tool_name> {};
}  // namespace t

/// A pipeline that exports to memory, with a quick schedule; not the default pipeline.
struct fixture {
    tacit::pipeline p;
    tacit::memory_exporter& mem;
    explicit fixture(tacit::pipeline_options o = quick())
        : p(std::move(o)), mem(p.emplace_exporter<tacit::memory_exporter>()) {}
    static tacit::pipeline_options quick() {
        tacit::pipeline_options o;
        o.schedule_delay = std::chrono::milliseconds(50);
        o.watch_environment = false;
        return o;
    }
    std::vector<tacit::owned_span> flush() {
        p.force_flush(std::chrono::seconds(10));
        return mem.spans();
    }
};

/// Compiled out, nothing is recorded: checks that, and says the test has nothing more to see.
inline bool nothing_when_compiled_out(const std::vector<tacit::owned_span>& spans) {
    if (tacit::compiled_in) return false;
    CHECK(spans.empty());
    return true;
}

inline const tacit::owned_span* by_name(const std::vector<tacit::owned_span>& v, std::string_view n) {
    for (const auto& s : v)
        if (s.name == n) return &s;
    return nullptr;
}
