// The smallest tacit program: a few nested spans, printed by the console exporter.
#include <tacit/tacit.hpp>

#include <chrono>
#include <thread>

struct tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
struct attempts : tacit::attribute<"crew.tool.attempts", std::int64_t> {};
struct task_index : tacit::attribute<"crew.task.index", std::int64_t> {};

struct crew_run : tacit::span_kind<"crew_execution"> {};
struct task_run : tacit::span_kind<"task_execution", task_index> {};
struct tool_usage : tacit::span_kind<"tool_usage", tool_name, attempts> {};

int main() {
    tacit::pipeline telemetry{tacit::pipeline_options::from_env()};
    telemetry.emplace_exporter<tacit::console_exporter>();
    telemetry.install_as_default();

    auto crew = tacit::start<crew_run>();
    for (int i = 0; i < 2; ++i) {
        auto task = tacit::start<task_run>();
        task.set<task_index>(i);
        auto tool = tacit::start<tool_usage>();
        tool.set<tool_name>(i == 0 ? "web_search" : "calculator").set<attempts>(1);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        if (i == 1) tool.error("timeout");
    }
    crew.end();
    telemetry.shutdown();
}
