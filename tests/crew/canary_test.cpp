// Privacy end to end: a full simulated crew whose every content field holds a unique canary,
// and whose runtime structs (and environment) hold secrets, recorded through crew_telemetry
// into every exporter this build has. With sharing off no canary reaches any output; with
// sharing on the content appears and the secrets still never do.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <tacit/crew.hpp>
#include <tacit/tacit.hpp>

#if __has_include(<tacit/exporters/perfetto.hpp>)
#include <tacit/exporters/perfetto.hpp>
#define CREW_TEST_HAS_PERFETTO 1
#else
#define CREW_TEST_HAS_PERFETTO 0
#endif
#if __has_include(<tacit/exporters/span_metrics.hpp>) && __has_include(<tacit/exporters/prometheus.hpp>)
#define TACIT_PROMETHEUS_NO_SERVER 1
#include <tacit/exporters/prometheus.hpp>
#include <tacit/exporters/span_metrics.hpp>
#define CREW_TEST_HAS_PROMETHEUS 1
#else
#define CREW_TEST_HAS_PROMETHEUS 0
#endif

#include "canary.hpp"
#include "sim_runtime.hpp"

namespace {

// Content canaries: each must appear (sharing on) or not (sharing off).
const std::vector<std::string> content_canaries = {
    "CANARY-ROLE-7f3a",   "CANARY-GOAL-19be",     "CANARY-BACKSTORY-c2d4", "CANARY-ROLE2-aa01",
    "CANARY-GOAL2-bb02",  "CANARY-BACK2-cc03",    "CANARY-DESC-5e6f",      "CANARY-EXPECT-8a9b",
    "CANARY-TOUT-0c1d",   "CANARY-DESC2-2e3f",    "CANARY-EXPECT2-4a5b",   "CANARY-INKEY-9e0f",
    "CANARY-INVAL-1a2b",  "CANARY-COUT-3c4d",
};
// The output of the task that fails: a failed task records no output, shared or not.
const std::string failed_task_output = "CANARY-TOUT2-6c7d";
// Secrets: held by the runtime's structs or its environment; never in any output.
const std::vector<std::string> secret_canaries = {
    "SECRET-APIKEY-d00d", "SECRET-BASEURL-f00d", "SECRET-TOOLTOKEN-beef", "SECRET-FCAPIKEY-cafe", "SECRET-ENV-feed",
};

void dump_value(std::string& out, const tacit::owned_value& v) {
    out += v.s;
    out += ' ';
    for (const auto& i : v.items) dump_value(out, i);
}

std::string dump(const std::vector<tacit::owned_span>& spans) {
    std::string out;
    for (const auto& s : spans) {
        out += s.name + " " + s.error_type + " ";
        for (const auto& a : s.attributes) {
            out += a.key + "=";
            dump_value(out, a.value);
        }
        for (const auto& e : s.events)
            for (const auto& a : e.attributes) {
                out += a.key + "=";
                dump_value(out, a.value);
            }
        out += '\n';
    }
    return out;
}

/// Runs the whole simulated crew once and returns each exporter's output by name.
std::map<std::string, std::string> run_crew(bool share) {
    auto dir = std::filesystem::temp_directory_path() / ("tacit_crew_canary_" + std::to_string(::getpid()) + (share ? "_on" : "_off"));
    std::filesystem::create_directories(dir);
    std::map<std::string, std::string> out;

    sim::llm_config fc_llm{"fc-model", "SECRET-FCAPIKEY-cafe", "SECRET-BASEURL-f00d"};
    sim::tool_def search{"web_search", "SECRET-TOOLTOKEN-beef"};
    sim::tool_def calc{"calculator", "SECRET-TOOLTOKEN-beef"};
    sim::crew_def crew;
    auto a = std::make_unique<sim::agent_def>();
    a->role = "CANARY-ROLE-7f3a";
    a->goal = "CANARY-GOAL-19be";
    a->backstory = "CANARY-BACKSTORY-c2d4";
    a->llm = {"gpt-4o-mini", "SECRET-APIKEY-d00d", "SECRET-BASEURL-f00d"};
    a->function_calling_llm = &fc_llm;
    a->tools = {&search, &calc};
    auto b = std::make_unique<sim::agent_def>();
    b->role = "CANARY-ROLE2-aa01";
    b->goal = "CANARY-GOAL2-bb02";
    b->backstory = "CANARY-BACK2-cc03";
    b->llm = {"claude-3-haiku", "SECRET-APIKEY-d00d", "SECRET-BASEURL-f00d"};
    b->tools = {&calc};
    crew.tasks.resize(2);
    crew.tasks[0] = {"CANARY-DESC-5e6f", "CANARY-EXPECT-8a9b", "CANARY-TOUT-0c1d", false, true, {&search}, a.get(), {100, 20}};
    crew.tasks[1] = {"CANARY-DESC2-2e3f", "CANARY-EXPECT2-4a5b", "CANARY-TOUT2-6c7d", true, false, {&calc}, b.get(), {50, 5}};
    crew.agents.push_back(std::move(a));
    crew.agents.push_back(std::move(b));
    std::map<std::string, std::string> inputs{{"CANARY-INKEY-9e0f", "CANARY-INVAL-1a2b"}};

    std::FILE* console = std::tmpfile();
    REQUIRE(console != nullptr);
    std::string otlp_bytes;
#if CREW_TEST_HAS_PROMETHEUS
    tacit::metrics_registry registry;
#endif
    {
        tacit::pipeline_options o;
        o.watch_environment = false;
        o.share_content = share;
        tacit::pipeline p{o};
        auto& mem = p.emplace_exporter<tacit::memory_exporter>();
        p.emplace_exporter<tacit::console_exporter>(console);
        p.emplace_exporter<tacit::jsonl_exporter>((dir / "trace.jsonl").string());
#if CANARY_HAS_OTLP
        p.emplace_exporter<canary::otlp_capture>(otlp_bytes);
#endif
#if CREW_TEST_HAS_PERFETTO
        p.emplace_exporter<tacit::perfetto_exporter>((dir / "trace.perfetto.json").string());
#endif
#if CREW_TEST_HAS_PROMETHEUS
        p.emplace_exporter<tacit::span_metrics_exporter>(registry);
#endif
        tacit::crew_telemetry tel{p};
        tel.crew_creation(crew, inputs);
        {
            auto run = tel.crew_execution_span(crew, inputs);
            for (auto& t : crew.tasks) {
                auto ts = tel.task_started(crew, t);
                tel.tool_usage(t.agent->llm, "web_search", 2);
                tel.tool_repeated_usage(t.agent->llm, "web_search", 1);
                if (&t == &crew.tasks[1]) {
                    tel.tool_usage_error(t.agent->llm, "calculator", "timeout");
                    tel.task_failed(ts, t, crew, "tool_failed");
                } else {
                    tel.task_ended(ts, t, crew);
                }
            }
            tel.feature_usage("planning");
            tel.end_crew(run, crew, std::string("CANARY-COUT-3c4d"));
        }
        tel.flow_creation_span("CanaryFlow");
        {
            auto f = tel.flow_execution_span("CanaryFlow", {"a", "b"});
            tel.flow_completed(f);
        }
        REQUIRE(p.force_flush(std::chrono::seconds(5)));
        out["memory"] = dump(mem.spans());
        REQUIRE(p.shutdown(std::chrono::seconds(5)));
#if CREW_TEST_HAS_PROMETHEUS
        // the exporter's metrics leave the registry with the pipeline: scrape before that
        out["prometheus"] = tacit::prometheus::render(registry);
#endif
    }
    out["console"] = canary::read_all(console);
    std::fclose(console);
    out["jsonl"] = canary::read_file(dir / "trace.jsonl");
#if CANARY_HAS_OTLP
    out["otlp"] = otlp_bytes;
#endif
#if CREW_TEST_HAS_PERFETTO
    out["perfetto"] = canary::read_file(dir / "trace.perfetto.json");
#endif
    std::filesystem::remove_all(dir);
    return out;
}

}  // namespace

TEST_CASE("no canary reaches any exporter while sharing is off; content does once it is on; secrets never") {
    ::setenv("OPENAI_API_KEY", "SECRET-ENV-feed", 1);

    auto off = run_crew(false);
    auto on = run_crew(true);

    for (const char* name : {"memory", "console", "jsonl"}) {
        REQUIRE(off.count(name) == 1);
        REQUIRE(on.count(name) == 1);
    }
    MESSAGE("exporters searched: " << off.size());
    for (const auto& kv : off) {
        const std::string& name = kv.first;  // not a structured binding: INFO captures it
        const std::string& text = kv.second;
        INFO("exporter " << name << " (sharing off)");
        // the outputs are real: each exporter saw the crew (prometheus shows tool names)
        if (tacit::compiled_in) CHECK(text.find(name == "prometheus" ? "web_search" : "tool_usage") != std::string::npos);
        for (const auto& c : content_canaries) CHECK_MESSAGE(text.find(c) == std::string::npos, c);
        for (const auto& c : secret_canaries) CHECK_MESSAGE(text.find(c) == std::string::npos, c);
        CHECK(text.find("CANARY") == std::string::npos);
        CHECK(text.find("SECRET") == std::string::npos);
        CHECK(text.find(failed_task_output) == std::string::npos);
    }
    for (const auto& kv : on) {
        const std::string& name = kv.first;
        const std::string& text = kv.second;
        INFO("exporter " << name << " (sharing on)");
        for (const auto& c : secret_canaries) CHECK_MESSAGE(text.find(c) == std::string::npos, c);
        CHECK(text.find("SECRET") == std::string::npos);
        CHECK(text.find(failed_task_output) == std::string::npos);
        if (name == "prometheus" || name == "perfetto" || !tacit::compiled_in) {
            // metrics carry no content at all; the Perfetto trace keeps public attributes only
            CHECK(text.find("CANARY") == std::string::npos);
            continue;
        }
        for (const auto& c : content_canaries) CHECK_MESSAGE(text.find(c) != std::string::npos, c);
    }
    ::unsetenv("OPENAI_API_KEY");
}

TEST_CASE("a crew with share_crew = false shares nothing even while the pipeline shares content") {
    tacit::pipeline_options o;
    o.watch_environment = false;
    o.share_content = true;
    tacit::pipeline p{o};
    auto& mem = p.emplace_exporter<tacit::memory_exporter>();
    tacit::crew_telemetry tel{p};
    sim::crew_def crew;
    crew.share_crew = false;
    auto a = std::make_unique<sim::agent_def>();
    a->role = "CANARY-ROLE-x";
    a->goal = "CANARY-GOAL-x";
    crew.tasks.push_back({"CANARY-DESC-x", "CANARY-EXP-x", "CANARY-OUT-x", false, false, {}, a.get(), {}});
    crew.agents.push_back(std::move(a));
    tel.crew_creation(crew, std::string_view("CANARY-IN-x"));
    {
        auto run = tel.crew_execution_span(crew, std::string_view("CANARY-IN-x"));
        auto t = tel.task_started(crew, crew.tasks[0]);
        tel.task_ended(t, crew.tasks[0], crew);
        tel.end_crew(run, crew, std::string_view("CANARY-COUT-x"));
    }
    REQUIRE(p.force_flush(std::chrono::seconds(5)));
    auto text = dump(mem.spans());
    if (tacit::compiled_in) CHECK(text.find("task_execution") != std::string::npos);
    CHECK(text.find("CANARY") == std::string::npos);
}
