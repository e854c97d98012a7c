// CrewAI's complaint: disabling telemetry by environment only worked when set before start-up.
// Here OTEL_SDK_DISABLED is set while the crew runs; the pipeline's environment poll (every
// 250 ms) stops recording, and unsetting it resumes. Own process: it changes the environment.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include <tacit/crew.hpp>
#include <tacit/tacit.hpp>

#include "sim_runtime.hpp"

namespace {

std::size_t run_tasks(tacit::crew_telemetry& tel, sim::crew_def& crew, int n, bool* recorded = nullptr) {
    auto run = tel.crew_execution_span(crew);
    bool any = run.recording();
    for (int i = 0; i < n; ++i) {
        auto t = tel.task_started(crew, crew.tasks[0]);
        any = any || t.recording();
        tel.tool_usage(crew.agents[0]->llm, "web_search", 1);
        tel.task_ended(t, crew.tasks[0], crew);
    }
    tel.end_crew(run, crew);
    if (recorded) *recorded = any;
    return static_cast<std::size_t>(1 + 2 * n);
}

}  // namespace

TEST_CASE("OTEL_SDK_DISABLED set after start-up stops recording within the poll; unsetting resumes it") {
    ::unsetenv("OTEL_SDK_DISABLED");
    ::unsetenv("TACIT_DISABLED");
    ::unsetenv("DO_NOT_TRACK");
    tacit::pipeline_options o;  // watch_environment is on by default
    REQUIRE(o.watch_environment);
    tacit::pipeline p{o};
    auto& mem = p.emplace_exporter<tacit::memory_exporter>();
    tacit::crew_telemetry tel{p};
    sim::crew_def crew;
    crew.agents.push_back(std::make_unique<sim::agent_def>());
    crew.agents[0]->llm.model = "gpt-4o-mini";
    crew.tasks.push_back({});
    crew.tasks[0].agent = crew.agents[0].get();

    bool recorded = false;
    std::size_t expected = run_tasks(tel, crew, 3, &recorded);
    if constexpr (!tacit::compiled_in) {
        CHECK_FALSE(recorded);
        REQUIRE(p.force_flush(std::chrono::seconds(5)));
        CHECK(mem.size() == 0);
        return;
    }
    CHECK(recorded);
    REQUIRE(p.force_flush(std::chrono::seconds(5)));
    REQUIRE(mem.size() == expected);

    ::setenv("OTEL_SDK_DISABLED", "true", 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    REQUIRE(p.force_flush(std::chrono::seconds(5)));  // also re-reads the switches: no race with the poll
    run_tasks(tel, crew, 5, &recorded);
    CHECK_FALSE(recorded);
    REQUIRE(p.force_flush(std::chrono::seconds(5)));
    CHECK(mem.size() == expected);

    ::unsetenv("OTEL_SDK_DISABLED");
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    REQUIRE(p.force_flush(std::chrono::seconds(5)));
    expected += run_tasks(tel, crew, 2, &recorded);
    CHECK(recorded);
    REQUIRE(p.force_flush(std::chrono::seconds(5)));
    CHECK(mem.size() == expected);
}
