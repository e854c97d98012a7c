// crew_telemetry through a real pipeline into the memory exporter: the span tree, the
// anonymous facts, structural keys, error statuses, flows and features.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tacit/crew.hpp>
#include <tacit/tacit.hpp>

#include "sim_runtime.hpp"

namespace {

tacit::pipeline_options quiet_options() {
    tacit::pipeline_options o;
    o.watch_environment = false;
    return o;
}

struct fixture {
    tacit::pipeline p{quiet_options()};
    tacit::memory_exporter& mem = p.emplace_exporter<tacit::memory_exporter>();
    tacit::crew_telemetry tel{p};

    std::vector<tacit::owned_span> flush() {
        REQUIRE(p.force_flush(std::chrono::seconds(5)));
        return mem.spans();
    }

    /// Compiled out (TACIT_DISABLE), the same calls record nothing: say so and stop the test.
    bool compiled_out(const std::vector<tacit::owned_span>& spans) {
        if constexpr (tacit::compiled_in) return false;
        CHECK(spans.empty());
        return true;
    }
};

sim::tool_def search{"web_search", "tok-1"};
sim::tool_def calc{"calculator", "tok-2"};

sim::crew_def make_crew(std::string model = "gpt-4o-mini") {
    sim::crew_def c;
    auto a = std::make_unique<sim::agent_def>();
    a->role = "researcher";
    a->goal = "find things";
    a->backstory = "curious";
    a->llm = {model, "sk-secret", "https://example.invalid"};
    a->tools = {&search, &calc};
    a->max_rpm = 10;
    a->allow_delegation = true;
    auto b = std::make_unique<sim::agent_def>();
    b->role = "writer";
    b->llm = {"claude-3-haiku", "sk-other", ""};
    b->verbose = true;
    b->function_calling_llm = &a->llm;
    c.tasks.resize(2);
    c.tasks[0].description = "research";
    c.tasks[0].tools = {&search};
    c.tasks[0].agent = a.get();
    c.tasks[0].usage = {120, 30};
    c.tasks[1].description = "write";
    c.tasks[1].agent = b.get();
    c.tasks[1].async_execution = true;
    c.agents.push_back(std::move(a));
    c.agents.push_back(std::move(b));
    return c;
}

const tacit::owned_span* find_span(const std::vector<tacit::owned_span>& v, std::string_view name, std::size_t nth = 0) {
    for (const auto& s : v)
        if (s.name == name && nth-- == 0) return &s;
    return nullptr;
}

std::size_t count(const std::vector<tacit::owned_span>& v, std::string_view name) {
    return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [&](const auto& s) { return s.name == name; }));
}

std::string str(const tacit::owned_span& s, std::string_view key) {
    auto* a = s.find(key);
    REQUIRE_MESSAGE(a != nullptr, "missing attribute " << key << " on " << s.name);
    REQUIRE(a->value.type == tacit::value_type::string);
    return a->value.s;
}

std::int64_t num(const tacit::owned_span& s, std::string_view key) {
    auto* a = s.find(key);
    REQUIRE_MESSAGE(a != nullptr, "missing attribute " << key << " on " << s.name);
    REQUIRE(a->value.type == tacit::value_type::int64);
    return a->value.i;
}

bool flag(const tacit::owned_span& s, std::string_view key) {
    auto* a = s.find(key);
    REQUIRE_MESSAGE(a != nullptr, "missing attribute " << key << " on " << s.name);
    REQUIRE(a->value.type == tacit::value_type::boolean);
    return a->value.b;
}

std::vector<std::string> strs(const tacit::owned_span& s, std::string_view key) {
    auto* a = s.find(key);
    REQUIRE_MESSAGE(a != nullptr, "missing attribute " << key << " on " << s.name);
    REQUIRE(a->value.type == tacit::value_type::string_array);
    std::vector<std::string> out;
    for (const auto& i : a->value.items) out.push_back(i.s);
    return out;
}

bool is_hex(const std::string& s, std::size_t n) {
    return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

TEST_CASE("crew_creation records the process's and the crew's anonymous facts") {
    fixture f;
    auto crew = make_crew();
    std::map<std::string, std::string> inputs{{"topic", "AI"}};
    auto ids = f.tel.crew_creation(crew, inputs);
    auto spans = f.flush();
    if (f.compiled_out(spans)) return;

    REQUIRE(count(spans, "crew_creation") == 1);
    REQUIRE(count(spans, "agent_creation") == 2);
    REQUIRE(count(spans, "task_creation") == 2);
    const auto& c = *find_span(spans, "crew_creation");
    CHECK(str(c, "telemetry.sdk.version") == tacit::version);
#if defined(__clang__)
    CHECK(str(c, "process.runtime.name") == "clang");
#else
    CHECK(str(c, "process.runtime.name") == "gcc");
#endif
    CHECK_FALSE(str(c, "process.runtime.version").empty());
    CHECK(str(c, "os.type") == "linux");
    CHECK_FALSE(str(c, "os.version").empty());
    CHECK(num(c, "crew.cpu_count") >= 1);
    CHECK(is_hex(str(c, "crew.id"), 32));
    CHECK(str(c, "crew.id") == std::string(ids.id()));
    CHECK(is_hex(str(c, "crew.key"), 16));
    CHECK(str(c, "crew.key") == std::string(ids.key()));
    CHECK(str(c, "crew.process") == "sequential");
    CHECK(flag(c, "crew.memory_enabled") == false);
    CHECK(num(c, "crew.task_count") == 2);
    CHECK(num(c, "crew.agent_count") == 2);
    CHECK(flag(c, "crew.inputs_present") == true);
    CHECK(c.find("crew.inputs") == nullptr);  // content, sharing is off
    CHECK(c.dropped_attributes == 0);

    for (const auto& s : spans)
        if (s.name != "crew_creation") CHECK(s.parent == c.context.span);

    const auto& a0 = *find_span(spans, "agent_creation", 0);
    const auto& a1 = *find_span(spans, "agent_creation", 1);
    CHECK(str(a0, "gen_ai.operation.name") == "create_agent");
    CHECK(num(a0, "crew.agent.index") == 0);
    CHECK(str(a0, "gen_ai.request.model") == "gpt-4o-mini");
    CHECK(strs(a0, "crew.agent.tool_names") == std::vector<std::string>{"web_search", "calculator"});
    CHECK(num(a0, "crew.agent.max_rpm") == 10);
    CHECK(num(a0, "crew.agent.max_iter") == 20);
    CHECK(num(a0, "crew.agent.max_retry_limit") == 2);
    CHECK(flag(a0, "crew.agent.delegation_allowed") == true);
    CHECK(flag(a0, "crew.agent.code_execution_allowed") == false);
    CHECK(flag(a0, "crew.agent.verbose") == false);
    CHECK(a0.find("crew.agent.function_calling_model") == nullptr);
    CHECK(flag(a1, "crew.agent.verbose") == true);
    CHECK(str(a1, "crew.agent.function_calling_model") == "gpt-4o-mini");
    CHECK(a0.find("gen_ai.agent.name") == nullptr);
    CHECK(a0.find("crew.agent.goal") == nullptr);
    CHECK(is_hex(str(a0, "gen_ai.agent.id"), 16));
    CHECK(str(a0, "gen_ai.agent.id") != str(a1, "gen_ai.agent.id"));

    const auto& t0 = *find_span(spans, "task_creation", 0);
    const auto& t1 = *find_span(spans, "task_creation", 1);
    CHECK(num(t0, "crew.task.index") == 0);
    CHECK(strs(t0, "crew.task.tool_names") == std::vector<std::string>{"web_search"});
    CHECK(str(t0, "gen_ai.agent.id") == str(a0, "gen_ai.agent.id"));
    CHECK(str(t1, "gen_ai.agent.id") == str(a1, "gen_ai.agent.id"));
    CHECK(flag(t1, "crew.task.async_execution") == true);
    CHECK(flag(t1, "crew.task.human_input_enabled") == false);
    CHECK(t0.find("crew.task.description") == nullptr);
}

TEST_CASE("the crew key hashes structure: same shape, same key; other shape or model, other key; ids differ") {
    fixture f;
    auto a = make_crew();
    auto b = make_crew();
    b.agents[0]->role = "a different role";      // content is not structure
    b.tasks[0].description = "a different task";
    auto c = make_crew("gpt-4o");                 // another model is another shape
    auto d = make_crew();
    d.process = tacit::crew_process::hierarchical;
    auto ia = f.tel.ids(a), ib = f.tel.ids(b), ic = f.tel.ids(c), id = f.tel.ids(d);
    CHECK(ia.key() == ib.key());
    CHECK(ia.key() != ic.key());
    CHECK(ia.key() != id.key());
    CHECK(ia.id() != ib.id());
    CHECK(f.tel.ids(a).id() == ia.id());          // stable per crew object
    CHECK(f.tel.ids(a).key() == ia.key());
}

TEST_CASE("tasks and tools are children of the crew's span, also on other threads; failures carry an error type") {
    fixture f;
    auto crew = make_crew();
    const auto& llm = crew.agents[0]->llm;
    tacit::span_context crew_ctx;
    {
        auto run = f.tel.crew_execution_span(crew, std::string_view{});
        crew_ctx = run.context();
        {
            auto t = f.tel.task_started(crew, crew.tasks[0]);
            f.tel.tool_usage(llm, "web_search", 1);
            f.tel.tool_usage(llm, "web_search", 3);
            f.tel.tool_repeated_usage(llm, "web_search", 1);
            f.tel.tool_usage_error(llm, "calculator", "timeout");
            f.tel.task_ended(t, crew.tasks[0], crew);
        }
        std::thread other([&] {
            // an async task on a thread with no current span still hangs off the crew
            auto t = f.tel.task_started(crew, crew.tasks[1]);
            try {
                throw std::runtime_error("model said no; this text must not be recorded");
            } catch (const std::exception& e) {
                f.tel.task_failed(t, crew.tasks[1], crew, tacit::error_type::of(e));
            }
        });
        other.join();
        f.tel.end_crew(run, crew, std::string_view("the final answer"));
    }
    auto spans = f.flush();
    if (f.compiled_out(spans)) return;
    const auto& run = *find_span(spans, "crew_execution");
    CHECK(run.context.span == crew_ctx.span);
    CHECK(run.parent.value == 0);
    CHECK(str(run, "gen_ai.operation.name") == "invoke_workflow");
    CHECK(str(run, "crew.outcome") == "completed");
    CHECK(run.status == tacit::status_code::ok);
    CHECK(run.find("crew.output") == nullptr);
    CHECK(flag(run, "crew.inputs_present") == false);

    const auto& t0 = *find_span(spans, "task_execution", 0);
    const auto& t1 = *find_span(spans, "task_execution", 1);
    const auto* ok_task = str(t0, "crew.task.outcome") == "completed" ? &t0 : &t1;
    const auto* bad_task = ok_task == &t0 ? &t1 : &t0;
    for (const auto* t : {ok_task, bad_task}) {
        CHECK(t->parent == run.context.span);
        CHECK(t->context.trace == run.context.trace);
        CHECK(str(*t, "gen_ai.operation.name") == "invoke_agent");
        CHECK(str(*t, "crew.id") == str(run, "crew.id"));
    }
    CHECK(ok_task->status == tacit::status_code::ok);
    CHECK(num(*ok_task, "gen_ai.usage.input_tokens") == 120);
    CHECK(num(*ok_task, "gen_ai.usage.output_tokens") == 30);
    CHECK(str(*ok_task, "gen_ai.request.model") == "gpt-4o-mini");
    CHECK(ok_task->find("crew.task.output") == nullptr);
    CHECK(bad_task->status == tacit::status_code::error);
    CHECK(bad_task->error_type == "std::runtime_error");
    CHECK(str(*bad_task, "crew.task.outcome") == "failed");

    REQUIRE(count(spans, "tool_usage") == 2);
    REQUIRE(count(spans, "tool_repeated_usage") == 1);
    REQUIRE(count(spans, "tool_usage_error") == 1);
    for (const auto& s : spans) {
        if (s.name.rfind("tool_", 0) != 0) continue;
        CHECK(s.parent == ok_task->context.span);
        CHECK(s.context.trace == run.context.trace);
        CHECK(str(s, "gen_ai.operation.name") == "execute_tool");
        CHECK(str(s, "gen_ai.request.model") == "gpt-4o-mini");
    }
    const auto& retried = *find_span(spans, "tool_usage", 1);
    CHECK(num(retried, "crew.tool.attempts") == 3);
    const auto& err = *find_span(spans, "tool_usage_error");
    CHECK(err.status == tacit::status_code::error);
    CHECK(err.error_type == "timeout");
    CHECK(str(err, "gen_ai.tool.name") == "calculator");
    CHECK(find_span(spans, "tool_usage")->status != tacit::status_code::error);
}

TEST_CASE("a failed crew and explicit tool parents") {
    fixture f;
    auto crew = make_crew();
    tacit::span_context task_ctx;
    {
        auto run = f.tel.crew_execution_span(crew);
        auto t = f.tel.task_started(crew, crew.tasks[0]);
        task_ctx = t.context();
        std::thread([&] {
            f.tel.tool_usage(task_ctx, crew.agents[0]->llm, "web_search", 2);
            f.tel.tool_usage_error(task_ctx, crew.agents[0]->llm, "web_search", "rate_limited");
        }).join();
        f.tel.task_failed(t, crew.tasks[0], crew, "tool_error");
        f.tel.crew_failed(run, crew, "task_failed");
    }
    auto spans = f.flush();
    if (f.compiled_out(spans)) return;
    const auto& run = *find_span(spans, "crew_execution");
    CHECK(run.status == tacit::status_code::error);
    CHECK(run.error_type == "task_failed");
    CHECK(str(run, "crew.outcome") == "failed");
    CHECK(find_span(spans, "tool_usage")->parent == task_ctx.span);
    CHECK(find_span(spans, "tool_usage_error")->parent == task_ctx.span);
    CHECK(find_span(spans, "tool_usage_error")->error_type == "rate_limited");
    CHECK(find_span(spans, "task_execution")->error_type == "tool_error");

    // After the crew ended, a new task is no longer parented to the old run.
    {
        auto t = f.tel.task_started(crew, crew.tasks[0]);
        f.tel.task_ended(t, crew.tasks[0], crew);
    }
    spans = f.flush();
    CHECK(find_span(spans, "task_execution", 1)->parent.value == 0);
}

TEST_CASE("flows: creation, plotting, execution with nodes, completion and failure; feature usage") {
    fixture f;
    f.tel.flow_creation_span("ResearchFlow");
    f.tel.flow_plotting_span("ResearchFlow", {"start", "gather", "summarise"});
    {
        std::vector<std::string> nodes{"start", "gather", "summarise"};
        auto flow = f.tel.flow_execution_span("ResearchFlow", nodes);
        for (const auto& n : nodes) {
            auto m = f.tel.flow_method_span("ResearchFlow", n);
            if (n == "summarise") f.tel.flow_failed(m, "validation_error");
            else f.tel.flow_completed(m);
        }
        f.tel.feature_usage("planning");
        f.tel.flow_failed(flow, "node_failed");
    }
    {
        auto flow = f.tel.flow_execution_span("OtherFlow", {"only"});
        f.tel.flow_completed(flow);
    }
    auto spans = f.flush();
    if (f.compiled_out(spans)) return;
    CHECK(str(*find_span(spans, "flow_creation"), "crew.flow.name") == "ResearchFlow");
    const auto& plot = *find_span(spans, "flow_plotting");
    CHECK(strs(plot, "crew.flow.node_names") == std::vector<std::string>{"start", "gather", "summarise"});
    CHECK(num(plot, "crew.flow.node_count") == 3);
    const auto& flow = *find_span(spans, "flow_execution", 0);
    CHECK(str(flow, "gen_ai.operation.name") == "invoke_workflow");
    CHECK(flow.status == tacit::status_code::error);
    CHECK(flow.error_type == "node_failed");
    CHECK(str(flow, "crew.flow.outcome") == "failed");
    REQUIRE(count(spans, "flow_method_execution") == 3);
    for (const auto& s : spans)
        if (s.name == "flow_method_execution") CHECK(s.parent == flow.context.span);
    CHECK(find_span(spans, "flow_method_execution", 2)->error_type == "validation_error");
    CHECK(str(*find_span(spans, "flow_method_execution", 0), "crew.flow.outcome") == "completed");
    const auto& feat = *find_span(spans, "feature_usage");
    CHECK(str(feat, "crew.feature") == "planning");
    CHECK(feat.parent == flow.context.span);
    CHECK(feat.start_unix_ns == feat.end_unix_ns);
    const auto& other = *find_span(spans, "flow_execution", 1);
    CHECK(other.status == tacit::status_code::ok);
    CHECK(str(other, "crew.flow.outcome") == "completed");
    CHECK(other.end_unix_ns >= other.start_unix_ns);
}

TEST_CASE("the ready-made spec structs satisfy the concepts and a runtime-provided id is used") {
    fixture f;
    tacit::crew_spec c;
    c.agents.push_back({});
    c.agents[0].llm.model = "m";
    c.agents[0].tools = {"t1"};
    c.tasks.push_back({});
    c.tasks[0].agent = &c.agents[0];
    c.process = tacit::crew_process::hierarchical;
    c.memory = true;
    f.tel.crew_creation(c);

    struct own_id_crew {
        std::vector<tacit::agent_spec> agents;
        std::vector<tacit::task_spec> tasks;
        bool process = false;
        bool memory = false;
        std::string id = "0123456789abcdef0123456789abcdef";
    } o;
    f.tel.crew_creation(o, std::vector<std::pair<std::string, int>>{});
    auto spans = f.flush();
    if (f.compiled_out(spans)) return;
    const auto& a = *find_span(spans, "crew_creation", 0);
    const auto& b = *find_span(spans, "crew_creation", 1);
    CHECK(str(a, "crew.process") == "hierarchical");
    CHECK(flag(a, "crew.memory_enabled") == true);
    CHECK(flag(a, "crew.inputs_present") == false);
    CHECK(str(b, "crew.id") == "0123456789abcdef0123456789abcdef");
    CHECK(str(b, "crew.process") == "sequential");
    CHECK(flag(b, "crew.inputs_present") == false);
    CHECK(num(b, "crew.agent_count") == 0);
}

TEST_CASE("forget() gives a crew object a new id; the key stays") {
    fixture f;
    auto crew = make_crew();
    auto before = f.tel.ids(crew);
    f.tel.forget(crew);
    auto after = f.tel.ids(crew);
    CHECK(before.id() != after.id());
    CHECK(before.key() == after.key());
    CHECK(f.tel.ids(crew).id() == after.id());
}
