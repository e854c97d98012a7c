#pragma once
/// CrewAI-style telemetry for C++ agent runtimes: crews, agents, tasks, tools and flows.
///
///     tacit::pipeline p{tacit::pipeline_options::from_env()};
///     p.emplace_exporter<tacit::jsonl_exporter>("crew_trace.jsonl");
///     tacit::crew_telemetry telemetry{p};                 // never installs anything globally
///
///     telemetry.crew_creation(my_crew, inputs);           // anonymous facts about the crew
///     auto run = telemetry.crew_execution_span(my_crew, inputs);
///     for (auto& task : my_crew.tasks) {
///         auto t = telemetry.task_started(my_crew, task); // child of the crew's span
///         telemetry.tool_usage(task.agent->llm, "web_search", 1);
///         telemetry.task_ended(t, task, my_crew);         // or task_failed(t, task, my_crew, "timeout")
///     }
///     telemetry.end_crew(run, my_crew, final_output);
///
/// The crew, agent, task and LLM arguments are the runtime's own plain structs; the facade reads
/// only the members listed in docs/crew.md (never an API key or an environment value). Anonymous
/// facts are always recorded; content (roles, goals, backstories, task descriptions, expected
/// outputs, inputs and outputs) only while `pipeline::share_content(true)` is on, and never when
/// the crew itself has `share_crew == false`. Errors are compile-time tokens or exception types,
/// never free text.
#include <array>             // ids, keys, tool name lists
#include <concepts>          // description concepts
#include <cstddef>           // std::size_t
#include <cstdint>           // counts, hashes
#include <initializer_list>  // node name lists
#include <iterator>          // std::begin, std::end
#include <mutex>             // the crew registry (cold path)
#include <random>            // std::random_device for crew ids
#include <span>              // tool name views
#include <string>            // host facts, serialised inputs
#include <string_view>       // names
#include <thread>            // hardware_concurrency
#include <type_traits>       // member detection
#include <vector>            // the crew registry

#if __has_include(<sys/utsname.h>)
#include <sys/utsname.h>     // uname: OS name and release (never the host name)
#endif

#include "attribute.hpp"
#include "config.hpp"
#include "detail/json.hpp"
#include "ids.hpp"
#include "pipeline.hpp"
#include "schema.hpp"
#include "span.hpp"
#include "status.hpp"

namespace tacit::inline TACIT_ABI {

/// How a crew orders its tasks (CrewAI's Process).
enum class crew_process : std::uint8_t { sequential, hierarchical };

constexpr std::string_view to_string(crew_process p) noexcept {
    return p == crew_process::hierarchical ? "hierarchical" : "sequential";
}

/// The crew schema: attributes and span kinds. Keys follow the OpenTelemetry GenAI semantic
/// conventions where one exists and use `crew.*` otherwise (table in docs/crew.md).
namespace crew {

// ---- the process (CrewAI: crewai_version, python_version, os, cpus) ----
struct sdk_version : attribute<"telemetry.sdk.version", std::string_view> {};
struct runtime_name : attribute<"process.runtime.name", std::string_view> {};
struct runtime_version : attribute<"process.runtime.version", std::string_view> {};
/// __VERSION__ or __clang_version__ (OpenTelemetry's process.runtime.description names content under the key rule).
struct runtime_description : attribute<"crew.compiler.banner", std::string_view> {};
struct os_type : attribute<"os.type", std::string_view> {};
struct os_version : attribute<"os.version", std::string_view> {};
struct cpu_count : attribute<"crew.cpu_count", std::int64_t> {};

// ---- operations ----
struct operation_name : attribute<"gen_ai.operation.name", std::string_view> {};

// ---- the crew ----
struct crew_id : attribute<"crew.id", std::string_view> {};
struct crew_key : attribute<"crew.key", std::string_view> {};
struct process : attribute<"crew.process", std::string_view> {};
struct memory_enabled : attribute<"crew.memory_enabled", bool> {};
struct task_count : attribute<"crew.task_count", std::int64_t> {};
struct agent_count : attribute<"crew.agent_count", std::int64_t> {};
struct inputs_present : attribute<"crew.inputs_present", bool> {};
struct crew_outcome : attribute<"crew.outcome", std::string_view> {};
struct crew_inputs : content<"crew.inputs", std::string_view> {};
struct crew_output : content<"crew.output", std::string_view> {};

// ---- agents ----
struct agent_id : attribute<"gen_ai.agent.id", std::string_view> {};  ///< the agent's structural key
struct agent_index : attribute<"crew.agent.index", std::int64_t> {};
struct agent_verbose : attribute<"crew.agent.verbose", bool> {};
struct agent_max_iter : attribute<"crew.agent.max_iter", std::int64_t> {};
struct agent_max_rpm : attribute<"crew.agent.max_rpm", std::int64_t> {};
struct agent_max_retry_limit : attribute<"crew.agent.max_retry_limit", std::int64_t> {};
struct delegation_allowed : attribute<"crew.agent.delegation_allowed", bool> {};
struct code_execution_allowed : attribute<"crew.agent.code_execution_allowed", bool> {};
struct request_model : attribute<"gen_ai.request.model", std::string_view> {};
struct function_calling_model : attribute<"crew.agent.function_calling_model", std::string_view> {};
struct agent_tool_names : attribute<"crew.agent.tool_names", list<std::string_view>> {};
struct agent_name : content<"gen_ai.agent.name", std::string_view> {};  ///< CrewAI's role
struct agent_goal : content<"crew.agent.goal", std::string_view> {};
struct agent_backstory : content<"crew.agent.backstory", std::string_view> {};

// ---- tasks ----
struct task_index : attribute<"crew.task.index", std::int64_t> {};
struct task_key : attribute<"crew.task.key", std::string_view> {};
struct task_async : attribute<"crew.task.async_execution", bool> {};
/// CrewAI's `human_input` flag; the key says "_enabled" because a segment ending in "input"
/// names content under tacit's key rule.
struct task_human_input : attribute<"crew.task.human_input_enabled", bool> {};
struct task_tool_names : attribute<"crew.task.tool_names", list<std::string_view>> {};
struct task_outcome : attribute<"crew.task.outcome", std::string_view> {};
struct input_tokens : attribute<"gen_ai.usage.input_tokens", std::int64_t> {};
struct output_tokens : attribute<"gen_ai.usage.output_tokens", std::int64_t> {};
struct task_description : content<"crew.task.description", std::string_view> {};
struct task_expected_output : content<"crew.task.expected_output", std::string_view> {};
struct task_output : content<"crew.task.output", std::string_view> {};

// ---- tools ----
struct tool_name : attribute<"gen_ai.tool.name", std::string_view> {};
struct tool_attempts : attribute<"crew.tool.attempts", std::int64_t> {};

// ---- flows (names are code identifiers, public as in CrewAI) ----
struct flow_name : attribute<"crew.flow.name", std::string_view> {};
struct flow_node_names : attribute<"crew.flow.node_names", list<std::string_view>> {};
struct flow_node_count : attribute<"crew.flow.node_count", std::int64_t> {};
struct flow_node_name : attribute<"crew.flow.node_name", std::string_view> {};
struct flow_outcome : attribute<"crew.flow.outcome", std::string_view> {};

// ---- features ----
struct feature_name : attribute<"crew.feature", std::string_view> {};

// ---- span kinds (CrewAI's span names, in snake_case) ----
struct crew_creation : span_kind<"crew_creation", shares_content, sdk_version, runtime_name, runtime_version,
    runtime_description, os_type, os_version, cpu_count, crew_id, crew_key, process, memory_enabled, task_count,
    agent_count, inputs_present, crew_inputs> {};
struct agent_creation : span_kind<"agent_creation", shares_content, operation_name, agent_id, agent_index,
    agent_verbose, agent_max_iter, agent_max_rpm, agent_max_retry_limit, delegation_allowed, code_execution_allowed,
    request_model, function_calling_model, agent_tool_names, agent_name, agent_goal, agent_backstory> {};
struct task_creation : span_kind<"task_creation", shares_content, task_index, task_key, agent_id, task_async,
    task_human_input, task_tool_names, task_description, task_expected_output> {};
struct crew_execution : span_kind<"crew_execution", shares_content, operation_name, crew_id, crew_key, process,
    memory_enabled, task_count, agent_count, inputs_present, crew_outcome, crew_inputs, crew_output> {};
struct task_execution : span_kind<"task_execution", shares_content, operation_name, crew_id, task_key, task_index,
    agent_id, request_model, task_async, task_human_input, task_tool_names, input_tokens, output_tokens, task_outcome,
    agent_name, task_description, task_expected_output, task_output> {};
struct tool_usage : span_kind<"tool_usage", operation_name, tool_name, tool_attempts, request_model> {};
struct tool_repeated_usage : span_kind<"tool_repeated_usage", operation_name, tool_name, tool_attempts, request_model> {};
struct tool_usage_error : span_kind<"tool_usage_error", operation_name, tool_name, request_model> {};
struct flow_creation : span_kind<"flow_creation", flow_name> {};
struct flow_plotting : span_kind<"flow_plotting", flow_name, flow_node_names, flow_node_count> {};
struct flow_execution : span_kind<"flow_execution", operation_name, flow_name, flow_node_names, flow_node_count,
    flow_outcome> {};
struct flow_method_execution : span_kind<"flow_method_execution", flow_name, flow_node_name, flow_outcome> {};
struct feature_usage : event_kind<"feature_usage", feature_name> {};

/// A feature name fixed at compile time ("planning", "knowledge", "memory.short_term"):
/// lowercase letters, digits, '_', '.', '-', so it cannot carry free text.
class feature {
public:
    template <std::size_t N>
    consteval feature(const char (&s)[N]) : text_(s, N - 1) {  // NOLINT: implicit from a literal
        if (N < 2 || N > 65) reject("tacit: a feature name is 1-64 characters");
        for (std::size_t i = 0; i + 1 < N; ++i) {
            char c = s[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
            if (!ok) reject("tacit: a feature name is a token like \"planning\" (a-z 0-9 _ . -), not free text");
        }
    }
    constexpr std::string_view text() const noexcept { return text_; }

private:
    // Called only in a failed constant evaluation: the compiler prints its argument.
    static void reject(const char*) {}
    std::string_view text_;
};

}  // namespace crew

namespace detail {

/// A pointer or a reference, seen as a reference (null pointers are handled by the caller).
template <class T>
constexpr bool is_pointer_like = std::is_pointer_v<std::remove_cvref_t<T>>;

template <class T>
concept string_like = std::convertible_to<const T&, std::string_view>;

/// A model name from an LLM description: an object or pointer with a string-like `model`,
/// or a string itself. Nothing else of the LLM (its API key, base URL, ...) is read.
template <class L>
std::string_view model_of(const L& l) noexcept {
    if constexpr (is_pointer_like<L>) {
        return l == nullptr ? std::string_view{} : model_of(*l);
    } else if constexpr (string_like<L>) {
        return std::string_view(l);
    } else {
        static_assert(requires { { l.model } -> std::convertible_to<std::string_view>; },
            "tacit: an LLM description needs a string-like member `model` (or pass the model name itself).");
        return std::string_view(l.model);
    }
}

/// A tool's name: the element itself when string-like, else its `name` member (through pointers).
template <class T>
std::string_view tool_name_of(const T& t) noexcept {
    if constexpr (is_pointer_like<T>) {
        return t == nullptr ? std::string_view{} : tool_name_of(*t);
    } else if constexpr (string_like<T>) {
        return std::string_view(t);
    } else {
        static_assert(requires { { t.name } -> std::convertible_to<std::string_view>; },
            "tacit: a tool in `tools` must be a string (its name) or have a string-like member `name`.");
        return std::string_view(t.name);
    }
}

/// An element of `agents` or `tasks`: the object itself, or what a (smart) pointer points to.
template <class T>
const auto& deref(const T& x) noexcept {
    if constexpr (is_pointer_like<T> || requires { x.get(); *x; }) return *x;
    else return x;
}

/// Up to TACIT_MAX_ARRAY tool names of a range, as views into the runtime's own strings.
struct name_list {
    std::array<std::string_view, TACIT_MAX_ARRAY> names{};
    std::size_t size = 0;
    std::span<const std::string_view> view() const noexcept { return {names.data(), size}; }
};

template <class R>
name_list tool_names(const R& tools) noexcept {
    name_list out;
    for (const auto& t : tools) {
        if (out.size == out.names.size()) break;
        out.names[out.size++] = tool_name_of(t);
    }
    return out;
}

/// FNV-1a, 64-bit: the structural keys. Stable across runs, platforms and compilers.
struct fnv1a {
    std::uint64_t h = 0xcbf29ce484222325ull;
    void bytes(const void* p, std::size_t n) noexcept {
        auto* b = static_cast<const unsigned char*>(p);
        for (std::size_t i = 0; i < n; ++i) {
            h ^= b[i];
            h *= 0x100000001b3ull;
        }
    }
    void text(std::string_view s) noexcept {
        num(s.size());
        bytes(s.data(), s.size());
    }
    void num(std::uint64_t v) noexcept {
        unsigned char b[8];
        for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
        bytes(b, 8);
    }
    std::array<char, 16> hex() const noexcept {
        std::array<char, 16> out{};
        put_hex<16>(out.data(), h);
        return out;
    }
};

/// The anonymous facts about this process, computed once.
struct host_facts {
    std::string runtime_name, runtime_version, runtime_description, os_type, os_version;
    std::int64_t cpus = 0;

    static const host_facts& get() {
        static const host_facts f = [] {
            host_facts h;
#if defined(__clang__)
            h.runtime_name = "clang";
            h.runtime_version = std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) + "." +
                                std::to_string(__clang_patchlevel__);
            h.runtime_description = __clang_version__;
#elif defined(__GNUC__)
            h.runtime_name = "gcc";
            h.runtime_version = std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                                std::to_string(__GNUC_PATCHLEVEL__);
            h.runtime_description = __VERSION__;
#elif defined(_MSC_VER)
            h.runtime_name = "msvc";
            h.runtime_version = std::to_string(_MSC_FULL_VER);
            h.runtime_description = "MSVC";
#else
            h.runtime_name = "unknown";
#endif
#if __has_include(<sys/utsname.h>)
            struct utsname u {};
            if (uname(&u) == 0) {
                // OpenTelemetry's os.type is lowercase ("linux", "darwin"); nodename is never read.
                for (const char* c = u.sysname; *c; ++c)
                    h.os_type.push_back((*c >= 'A' && *c <= 'Z') ? static_cast<char>(*c - 'A' + 'a') : *c);
                h.os_version = u.release;
            }
#elif defined(_WIN32)
            h.os_type = "windows";
#endif
            h.cpus = static_cast<std::int64_t>(std::thread::hardware_concurrency());
            return h;
        }();
        return f;
    }
};

}  // namespace detail

/// An LLM as the facade sees it: a string-like `model` (a pointer to one, or the name itself).
template <class L>
concept llm_description = requires(const L& l) { detail::model_of(l); };

/// An agent: `verbose`, `max_iter`, `allow_delegation`, `llm` and a range `tools` are required;
/// `max_rpm`, `max_retry_limit`, `allow_code_execution`, `function_calling_llm` (facts) and
/// `role`, `goal`, `backstory` (content) are read when present.
template <class A>
concept agent_description = requires(const A& a) {
    { a.verbose } -> std::convertible_to<bool>;
    { a.max_iter } -> std::convertible_to<std::int64_t>;
    { a.allow_delegation } -> std::convertible_to<bool>;
    a.llm;
    std::begin(a.tools);
    std::end(a.tools);
};

/// A task: `async_execution`, `human_input`, a range `tools` and `agent` (a pointer, may be
/// null) are required; `description`, `expected_output`, `output` (content) and `usage` (with
/// `input_tokens`, `output_tokens`) are read when present.
template <class T>
concept task_description_type = requires(const T& t) {
    { t.async_execution } -> std::convertible_to<bool>;
    { t.human_input } -> std::convertible_to<bool>;
    std::begin(t.tools);
    std::end(t.tools);
    { t.agent == nullptr } -> std::convertible_to<bool>;
};

/// A crew: ranges `agents` and `tasks` (of values or pointers), `process` (tacit::crew_process
/// or bool hierarchical) and `memory` are required; `id` (the runtime's own random id) and
/// `share_crew` are read when present.
template <class C>
concept crew_description = requires(const C& c) {
    std::begin(c.agents);
    std::end(c.agents);
    std::begin(c.tasks);
    std::end(c.tasks);
    c.process;
    { c.memory } -> std::convertible_to<bool>;
};

/// Ready-made descriptions for runtimes that have none of their own. None of them has a place
/// for a secret: keep API keys in your own structs, the facade never looks for them.
struct llm_spec {
    std::string model;
};
struct agent_spec {
    std::string role, goal, backstory;
    bool verbose = false;
    std::int64_t max_iter = 25;
    std::int64_t max_rpm = 0;  ///< 0: no limit
    std::int64_t max_retry_limit = 2;
    bool allow_delegation = false;
    bool allow_code_execution = false;
    llm_spec llm;
    llm_spec function_calling_llm;  ///< empty model: none
    std::vector<std::string> tools;
};
struct task_spec {
    std::string description, expected_output, output;
    bool async_execution = false;
    bool human_input = false;
    std::vector<std::string> tools;
    const agent_spec* agent = nullptr;
};
struct crew_spec {
    std::vector<agent_spec> agents;
    std::vector<task_spec> tasks;
    crew_process process = crew_process::sequential;
    bool memory = false;
    bool share_crew = true;  ///< CrewAI's share_crew; content also needs pipeline::share_content(true)
};

/// A crew's anonymous identity: a random id (per crew object) and a key that hashes its
/// structure (process, memory, agents' models, tools and flags, tasks' tools and flags): the
/// same crew shape gives the same key in every run; no name, text or path goes into it.
struct crew_ids {
    std::array<char, 32> id_hex{};
    std::array<char, 16> key_hex{};
    std::string_view id() const noexcept { return {id_hex.data(), id_hex.size()}; }
    std::string_view key() const noexcept { return {key_hex.data(), key_hex.size()}; }
};

/// CrewAI's telemetry operations over one pipeline. It installs nothing process-wide: spans go
/// to the pipeline given here and nowhere else. Thread-safe; tasks started on other threads
/// are still children of their crew's execution span.
class crew_telemetry {
public:
    explicit crew_telemetry(tacit::pipeline& p) : p_(p) {
        std::random_device rd;
        rng_ = (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ reinterpret_cast<std::uintptr_t>(this);
    }
    crew_telemetry(const crew_telemetry&) = delete;
    crew_telemetry& operator=(const crew_telemetry&) = delete;

    tacit::pipeline& pipeline() noexcept { return p_; }

    /// The crew's id and structural key (the id is created on first use per crew object).
    template <crew_description C>
    crew_ids ids(const C& c) {
        crew_ids out;
        out.key_hex = crew_key_of(c).hex();
        if constexpr (requires { { c.id } -> std::convertible_to<std::string_view>; }) {
            std::string_view s(c.id);
            for (std::size_t i = 0; i < out.id_hex.size(); ++i) out.id_hex[i] = i < s.size() ? s[i] : '0';
        } else {
            std::lock_guard lock(m_);
            out.id_hex = entry(&c).id;
        }
        return out;
    }

    /// Forgets a crew object (its id and running span), e.g. before it is destroyed, so that a
    /// new crew later built at the same address gets a new id.
    template <crew_description C>
    void forget(const C& c) {
        std::lock_guard lock(m_);
        for (auto it = crews_.begin(); it != crews_.end(); ++it)
            if (it->crew == static_cast<const void*>(&c)) {
                crews_.erase(it);
                return;
            }
    }

    /// "crew_creation": the process's facts, the crew's shape, one "agent_creation" child per
    /// agent and one "task_creation" child per task. Inputs (a string, or a range of key/value
    /// pairs) are content; only whether there were any is always recorded.
    template <crew_description C, class Inputs>
    crew_ids crew_creation(const C& c, const Inputs& inputs) {
        crew_ids id = ids(c);
        auto s = tacit::start<crew::crew_creation>(p_);
        if (!s.recording()) return id;
        const auto& h = detail::host_facts::get();
        s.template set<crew::sdk_version>(std::string_view(tacit::version))
            .template set<crew::runtime_name>(h.runtime_name)
            .template set<crew::runtime_version>(h.runtime_version)
            .template set<crew::runtime_description>(h.runtime_description)
            .template set<crew::os_type>(h.os_type)
            .template set<crew::os_version>(h.os_version)
            .template set<crew::cpu_count>(h.cpus);
        set_crew_facts(s, c, id, inputs);
        std::int64_t index = 0;
        for (const auto& ap : c.agents) {
            const auto& a = detail::deref(ap);
            auto as = tacit::start<crew::agent_creation>(p_);
            as.template set<crew::operation_name>(std::string_view("create_agent"))
                .template set<crew::agent_index>(index);
            set_agent_facts(as, a, agent_key(a, static_cast<std::size_t>(index)).hex(), sharing(c));
            ++index;
        }
        index = 0;
        for (const auto& tp : c.tasks) {
            const auto& t = detail::deref(tp);
            auto ts = tacit::start<crew::task_creation>(p_);
            set_task_facts(ts, c, t, static_cast<std::size_t>(index));
            ++index;
        }
        return id;
    }
    template <crew_description C>
    crew_ids crew_creation(const C& c) { return crew_creation(c, std::string_view{}); }

    /// "crew_execution" (gen_ai.operation.name = invoke_workflow): the parent of every task
    /// started for this crew, on any thread. End it with end_crew() or crew_failed().
    template <crew_description C, class Inputs>
    tacit::span<crew::crew_execution> crew_execution_span(const C& c, const Inputs& inputs) {
        auto s = tacit::start<crew::crew_execution>(p_);
        {
            std::lock_guard lock(m_);
            entry(&c).execution = s.context();
        }
        if (!s.recording()) return s;
        s.template set<crew::operation_name>(std::string_view("invoke_workflow"));
        set_crew_facts(s, c, ids(c), inputs);
        return s;
    }
    template <crew_description C>
    tacit::span<crew::crew_execution> crew_execution_span(const C& c) { return crew_execution_span(c, std::string_view{}); }

    /// Ends the crew's span as completed; the output is content.
    template <crew_description C, class Output>
    void end_crew(tacit::span<crew::crew_execution>& s, const C& c, const Output& output) {
        static_assert(detail::string_like<Output>, "tacit: a crew's output is passed as a string.");
        if (s.recording() && sharing(c) && !std::string_view(output).empty())
            s.template set<crew::crew_output>(std::string_view(output));
        s.template set<crew::crew_outcome>(std::string_view("completed")).ok();
        finish_crew(s, c);
    }
    template <crew_description C>
    void end_crew(tacit::span<crew::crew_execution>& s, const C& c) { end_crew(s, c, std::string_view{}); }

    /// Ends the crew's span with an error of this type ("timeout", tacit::error_type::of(e)).
    template <crew_description C>
    void crew_failed(tacit::span<crew::crew_execution>& s, const C& c, error_type e) {
        s.template set<crew::crew_outcome>(std::string_view("failed")).error(e);
        finish_crew(s, c);
    }

    /// "task_execution" (invoke_agent): a child of the crew's execution span (wherever it was
    /// started), or of this thread's current span when the crew has none running.
    template <crew_description C, task_description_type T>
    tacit::span<crew::task_execution> task_started(const C& c, const T& t) {
        span_context parent;
        {
            std::lock_guard lock(m_);
            parent = entry(&c).execution;
        }
        auto s = parent.valid() ? tacit::start<crew::task_execution>(p_, parent) : tacit::start<crew::task_execution>(p_);
        if (!s.recording()) return s;
        crew_ids id = ids(c);
        s.template set<crew::operation_name>(std::string_view("invoke_agent")).template set<crew::crew_id>(id.id());
        set_task_facts(s, c, t, index_of_task(c, t));
        if (t.agent != nullptr) {
            const auto& a = *t.agent;
            s.template set<crew::request_model>(detail::model_of(a.llm));
            if constexpr (requires { { a.role } -> std::convertible_to<std::string_view>; })
                if (sharing(c)) s.template set<crew::agent_name>(std::string_view(a.role));
        }
        return s;
    }

    /// Ends a task as completed: its output (content) and token usage when the task has them.
    template <task_description_type T, crew_description C>
    void task_ended(tacit::span<crew::task_execution>& s, const T& t, const C& c) {
        if (s.recording()) {
            if constexpr (requires { { t.output } -> std::convertible_to<std::string_view>; })
                if (sharing(c)) s.template set<crew::task_output>(std::string_view(t.output));
            set_usage(s, t);
        }
        s.template set<crew::task_outcome>(std::string_view("completed")).ok();
        s.end();
    }

    /// Ends a task as failed with an error type; nothing of the failure's text is recorded.
    template <task_description_type T, crew_description C>
    void task_failed(tacit::span<crew::task_execution>& s, const T& t, const C& /*c*/, error_type e) {
        if (s.recording()) set_usage(s, t);
        s.template set<crew::task_outcome>(std::string_view("failed")).error(e);
        s.end();
    }

    /// "tool_usage" (execute_tool), child of this thread's current span (the task). Hold the
    /// returned span to time the call; drop it to record an instant, as CrewAI does.
    template <llm_description L>
    tacit::span<crew::tool_usage> tool_usage(const L& llm, std::string_view tool, std::int64_t attempts) {
        return tool_span<crew::tool_usage>(tacit::start<crew::tool_usage>(p_), llm, tool, attempts);
    }
    /// The same, child of an explicit parent (a task span's context on another thread).
    template <llm_description L>
    tacit::span<crew::tool_usage> tool_usage(const span_context& parent, const L& llm, std::string_view tool, std::int64_t attempts) {
        return tool_span<crew::tool_usage>(tacit::start<crew::tool_usage>(p_, parent), llm, tool, attempts);
    }

    /// "tool_repeated_usage": the agent called the same tool with the same arguments again.
    template <llm_description L>
    tacit::span<crew::tool_repeated_usage> tool_repeated_usage(const L& llm, std::string_view tool, std::int64_t attempts) {
        return tool_span<crew::tool_repeated_usage>(tacit::start<crew::tool_repeated_usage>(p_), llm, tool, attempts);
    }
    template <llm_description L>
    tacit::span<crew::tool_repeated_usage> tool_repeated_usage(const span_context& parent, const L& llm, std::string_view tool,
                                                              std::int64_t attempts) {
        return tool_span<crew::tool_repeated_usage>(tacit::start<crew::tool_repeated_usage>(p_, parent), llm, tool, attempts);
    }

    /// "tool_usage_error": a tool call that failed, with error status and an error type.
    template <llm_description L>
    void tool_usage_error(const L& llm, std::string_view tool, error_type e) {
        auto s = tacit::start<crew::tool_usage_error>(p_);
        tool_error(s, llm, tool, e);
    }
    template <llm_description L>
    void tool_usage_error(const span_context& parent, const L& llm, std::string_view tool, error_type e) {
        auto s = tacit::start<crew::tool_usage_error>(p_, parent);
        tool_error(s, llm, tool, e);
    }

    /// "flow_creation": an instant with the flow's (class) name.
    void flow_creation_span(std::string_view flow) {
        auto s = tacit::start<crew::flow_creation>(p_);
        s.template set<crew::flow_name>(flow);
    }

    /// "flow_plotting": an instant with the flow's name and its nodes' names.
    template <class Names>
    void flow_plotting_span(std::string_view flow, const Names& nodes) {
        auto s = tacit::start<crew::flow_plotting>(p_);
        if (!s.recording()) return;
        auto n = names_of(nodes);
        s.template set<crew::flow_name>(flow).template set<crew::flow_node_names>(n.view()).template set<crew::flow_node_count>(count_of(nodes));
    }
    void flow_plotting_span(std::string_view flow, std::initializer_list<std::string_view> nodes) {
        flow_plotting_span<std::initializer_list<std::string_view>>(flow, nodes);
    }

    /// "flow_execution" (invoke_workflow): end it with flow_completed() or flow_failed().
    template <class Names>
    tacit::span<crew::flow_execution> flow_execution_span(std::string_view flow, const Names& nodes) {
        auto s = tacit::start<crew::flow_execution>(p_);
        if (!s.recording()) return s;
        auto n = names_of(nodes);
        s.template set<crew::operation_name>(std::string_view("invoke_workflow"))
            .template set<crew::flow_name>(flow)
            .template set<crew::flow_node_names>(n.view())
            .template set<crew::flow_node_count>(count_of(nodes));
        return s;
    }
    tacit::span<crew::flow_execution> flow_execution_span(std::string_view flow, std::initializer_list<std::string_view> nodes) {
        return flow_execution_span<std::initializer_list<std::string_view>>(flow, nodes);
    }

    /// "flow_method_execution": one node of a running flow, child of this thread's current span.
    tacit::span<crew::flow_method_execution> flow_method_span(std::string_view flow, std::string_view node) {
        auto s = tacit::start<crew::flow_method_execution>(p_);
        s.template set<crew::flow_name>(flow).template set<crew::flow_node_name>(node);
        return s;
    }

    /// Ends a flow (or a flow node) as completed; its duration is the span's.
    template <class Kind>
    void flow_completed(tacit::span<Kind>& s) {
        static_assert(std::is_same_v<Kind, crew::flow_execution> || std::is_same_v<Kind, crew::flow_method_execution>,
            "tacit: flow_completed() takes the span of flow_execution_span() or flow_method_span().");
        s.template set<crew::flow_outcome>(std::string_view("completed")).ok();
        s.end();
    }
    /// Ends a flow (or a flow node) as failed with an error type.
    template <class Kind>
    void flow_failed(tacit::span<Kind>& s, error_type e) {
        static_assert(std::is_same_v<Kind, crew::flow_execution> || std::is_same_v<Kind, crew::flow_method_execution>,
            "tacit: flow_failed() takes the span of flow_execution_span() or flow_method_span().");
        s.template set<crew::flow_outcome>(std::string_view("failed")).error(e);
        s.end();
    }

    /// A "feature_usage" event (child of the current span): `feature_usage("planning")`.
    void feature_usage(crew::feature f) {
        auto e = tacit::event<crew::feature_usage>(p_);
        e.template set<crew::feature_name>(f.text());
    }

private:
    struct crew_entry {
        const void* crew;
        std::array<char, 32> id;
        span_context execution;
    };

    /// The registry entry of a crew object, created with a fresh random id. Caller holds m_.
    crew_entry& entry(const void* c) {
        for (auto& e : crews_)
            if (e.crew == c) return e;
        if (crews_.size() >= max_crews) {
            // Bounded: forget the oldest crew that is not running (crews are rarely this many).
            for (auto it = crews_.begin(); it != crews_.end(); ++it)
                if (!it->execution.valid()) {
                    crews_.erase(it);
                    break;
                }
        }
        crew_entry e{c, {}, {}};
        detail::put_hex<16>(e.id.data(), detail::splitmix64(rng_));
        detail::put_hex<16>(e.id.data() + 16, detail::splitmix64(rng_));
        crews_.push_back(e);
        return crews_.back();
    }

    template <crew_description C>
    void finish_crew(tacit::span<crew::crew_execution>& s, const C& c) {
        {
            std::lock_guard lock(m_);
            entry(&c).execution = {};
        }
        s.end();
    }

    template <crew_description C>
    bool sharing(const C& c) const noexcept {
        if constexpr (requires { { c.share_crew } -> std::convertible_to<bool>; })
            if (!static_cast<bool>(c.share_crew)) return false;
        return p_.sharing_content();
    }

    template <class C>
    static std::string_view process_of(const C& c) noexcept {
        using P = std::remove_cvref_t<decltype(c.process)>;
        if constexpr (std::is_same_v<P, crew_process>) return to_string(c.process);
        else if constexpr (std::is_same_v<P, bool>) return c.process ? "hierarchical" : "sequential";
        else static_assert(sizeof(P) == 0, "tacit: a crew's `process` must be tacit::crew_process or a bool (true: hierarchical).");
    }

    template <class A>
    static detail::fnv1a agent_key(const A& a, std::size_t index) noexcept {
        detail::fnv1a h;
        h.text("agent");
        h.num(index);
        h.text(detail::model_of(a.llm));
        if constexpr (requires { a.function_calling_llm; }) h.text(detail::model_of(a.function_calling_llm));
        for (const auto& t : a.tools) h.text(detail::tool_name_of(t));
        h.num(static_cast<bool>(a.verbose));
        h.num(static_cast<std::uint64_t>(static_cast<std::int64_t>(a.max_iter)));
        h.num(static_cast<bool>(a.allow_delegation));
        if constexpr (requires { a.max_rpm; }) h.num(static_cast<std::uint64_t>(static_cast<std::int64_t>(a.max_rpm)));
        if constexpr (requires { a.max_retry_limit; }) h.num(static_cast<std::uint64_t>(static_cast<std::int64_t>(a.max_retry_limit)));
        if constexpr (requires { a.allow_code_execution; }) h.num(static_cast<bool>(a.allow_code_execution));
        return h;
    }

    /// The index of agent `a` (by address) in the crew, or the agent count when not a member.
    template <class C, class A>
    static std::size_t index_of_agent(const C& c, const A* a) noexcept {
        std::size_t i = 0;
        for (const auto& ap : c.agents) {
            if (static_cast<const void*>(&detail::deref(ap)) == static_cast<const void*>(a)) return i;
            ++i;
        }
        return i;
    }

    template <class C, class T>
    static std::size_t index_of_task(const C& c, const T& t) noexcept {
        std::size_t i = 0;
        for (const auto& tp : c.tasks) {
            if (static_cast<const void*>(&detail::deref(tp)) == static_cast<const void*>(&t)) return i;
            ++i;
        }
        return i;
    }

    template <class C, class T>
    static detail::fnv1a task_key(const C& c, const T& t, std::size_t index) noexcept {
        detail::fnv1a h;
        h.text("task");
        h.num(index);
        h.num(static_cast<bool>(t.async_execution));
        h.num(static_cast<bool>(t.human_input));
        for (const auto& x : t.tools) h.text(detail::tool_name_of(x));
        if (t.agent != nullptr) h.text(agent_key_text(c, *t.agent));
        return h;
    }

    template <class C, class A>
    static std::array<char, 16> agent_key_hex(const C& c, const A& a) noexcept {
        return agent_key(a, index_of_agent(c, &a)).hex();
    }
    template <class C, class A>
    static std::string agent_key_text(const C& c, const A& a) {
        auto k = agent_key_hex(c, a);
        return std::string(k.data(), k.size());
    }

    template <class C>
    static detail::fnv1a crew_key_of(const C& c) noexcept {
        detail::fnv1a h;
        h.text("crew");
        h.text(process_of(c));
        h.num(static_cast<bool>(c.memory));
        std::size_t i = 0;
        for (const auto& ap : c.agents) h.text(agent_key_text(c, detail::deref(ap))), ++i;
        h.num(i);
        i = 0;
        for (const auto& tp : c.tasks) h.text(std::string_view(task_key(c, detail::deref(tp), i).hex().data(), 16)), ++i;
        h.num(i);
        return h;
    }

    template <class R>
    static std::int64_t count_of(const R& r) noexcept {
        std::int64_t n = 0;
        for (auto it = std::begin(r); it != std::end(r); ++it) ++n;
        return n;
    }

    template <class R>
    static detail::name_list names_of(const R& r) noexcept {
        detail::name_list out;
        for (const auto& x : r) {
            if (out.size == out.names.size()) break;
            out.names[out.size++] = std::string_view(x);
        }
        return out;
    }

    template <class I>
    static bool any_inputs(const I& in) noexcept {
        if constexpr (std::is_same_v<I, std::nullptr_t>) return false;
        else if constexpr (detail::string_like<I>) return !std::string_view(in).empty();
        else return std::begin(in) != std::end(in);
    }

    template <class V>
    static void append_input_value(std::string& out, const V& v) {
        if constexpr (detail::string_like<V>) detail::append_json_string(out, std::string_view(v));
        else if constexpr (std::is_same_v<V, bool>) out += v ? "true" : "false";
        else if constexpr (std::is_arithmetic_v<V>) out += std::to_string(v);
        else static_assert(sizeof(V) == 0, "tacit: crew inputs map names to strings, numbers or booleans.");
    }

    /// Inputs as JSON text (a string is taken as it is): content, built only while sharing.
    template <class I>
    static std::string inputs_text(const I& in) {
        if constexpr (std::is_same_v<I, std::nullptr_t>) {
            return {};
        } else if constexpr (detail::string_like<I>) {
            return std::string(std::string_view(in));
        } else {
            std::string out = "{";
            bool first = true;
            for (const auto& kv : in) {
                static_assert(requires { kv.first; kv.second; }, "tacit: crew inputs are a string or a range of (name, value) pairs.");
                if (!first) out.push_back(',');
                first = false;
                detail::append_json_string(out, std::string_view(kv.first));
                out.push_back(':');
                append_input_value(out, kv.second);
            }
            out.push_back('}');
            return out;
        }
    }

    template <class S, class C, class I>
    void set_crew_facts(S& s, const C& c, const crew_ids& id, const I& inputs) {
        s.template set<crew::crew_id>(id.id())
            .template set<crew::crew_key>(id.key())
            .template set<crew::process>(process_of(c))
            .template set<crew::memory_enabled>(static_cast<bool>(c.memory))
            .template set<crew::task_count>(count_of(c.tasks))
            .template set<crew::agent_count>(count_of(c.agents))
            .template set<crew::inputs_present>(any_inputs(inputs));
        if (sharing(c) && any_inputs(inputs)) s.template set<crew::crew_inputs>(inputs_text(inputs));
    }

    template <class S, class A>
    void set_agent_facts(S& s, const A& a, const std::array<char, 16>& key, bool share) {
        auto tools = detail::tool_names(a.tools);
        s.template set<crew::agent_id>(std::string_view(key.data(), key.size()))
            .template set<crew::agent_verbose>(static_cast<bool>(a.verbose))
            .template set<crew::agent_max_iter>(static_cast<std::int64_t>(a.max_iter))
            .template set<crew::delegation_allowed>(static_cast<bool>(a.allow_delegation))
            .template set<crew::request_model>(detail::model_of(a.llm))
            .template set<crew::agent_tool_names>(tools.view());
        if constexpr (requires { a.max_rpm; }) s.template set<crew::agent_max_rpm>(static_cast<std::int64_t>(a.max_rpm));
        if constexpr (requires { a.max_retry_limit; })
            s.template set<crew::agent_max_retry_limit>(static_cast<std::int64_t>(a.max_retry_limit));
        if constexpr (requires { a.allow_code_execution; })
            s.template set<crew::code_execution_allowed>(static_cast<bool>(a.allow_code_execution));
        if constexpr (requires { a.function_calling_llm; }) {
            auto m = detail::model_of(a.function_calling_llm);
            if (!m.empty()) s.template set<crew::function_calling_model>(m);
        }
        if (share) {
            if constexpr (requires { { a.role } -> std::convertible_to<std::string_view>; })
                s.template set<crew::agent_name>(std::string_view(a.role));
            if constexpr (requires { { a.goal } -> std::convertible_to<std::string_view>; })
                s.template set<crew::agent_goal>(std::string_view(a.goal));
            if constexpr (requires { { a.backstory } -> std::convertible_to<std::string_view>; })
                s.template set<crew::agent_backstory>(std::string_view(a.backstory));
        }
    }

    template <class S, class C, class T>
    void set_task_facts(S& s, const C& c, const T& t, std::size_t index) {
        auto tools = detail::tool_names(t.tools);
        auto key = task_key(c, t, index).hex();
        s.template set<crew::task_index>(static_cast<std::int64_t>(index))
            .template set<crew::task_key>(std::string_view(key.data(), key.size()))
            .template set<crew::task_async>(static_cast<bool>(t.async_execution))
            .template set<crew::task_human_input>(static_cast<bool>(t.human_input))
            .template set<crew::task_tool_names>(tools.view());
        if (t.agent != nullptr) {
            auto ak = agent_key_hex(c, *t.agent);
            s.template set<crew::agent_id>(std::string_view(ak.data(), ak.size()));
        }
        if (sharing(c)) {
            if constexpr (requires { { t.description } -> std::convertible_to<std::string_view>; })
                s.template set<crew::task_description>(std::string_view(t.description));
            if constexpr (requires { { t.expected_output } -> std::convertible_to<std::string_view>; })
                s.template set<crew::task_expected_output>(std::string_view(t.expected_output));
        }
    }

    template <class T>
    static void set_usage(tacit::span<crew::task_execution>& s, const T& t) {
        if constexpr (requires { t.usage.input_tokens; t.usage.output_tokens; }) {
            s.template set<crew::input_tokens>(static_cast<std::int64_t>(t.usage.input_tokens))
                .template set<crew::output_tokens>(static_cast<std::int64_t>(t.usage.output_tokens));
        }
    }

    template <class Kind, class L>
    static tacit::span<Kind> tool_span(tacit::span<Kind> s, const L& llm, std::string_view tool, std::int64_t attempts) {
        s.template set<crew::operation_name>(std::string_view("execute_tool"))
            .template set<crew::tool_name>(tool)
            .template set<crew::tool_attempts>(attempts)
            .template set<crew::request_model>(detail::model_of(llm));
        return s;
    }

    template <class L>
    static void tool_error(tacit::span<crew::tool_usage_error>& s, const L& llm, std::string_view tool, error_type e) {
        s.template set<crew::operation_name>(std::string_view("execute_tool"))
            .template set<crew::tool_name>(tool)
            .template set<crew::request_model>(detail::model_of(llm))
            .error(e);
    }

    static constexpr std::size_t max_crews = 4096;

    tacit::pipeline& p_;
    std::mutex m_;
    std::vector<crew_entry> crews_;  // guarded by m_: ids and running execution spans per crew
    std::uint64_t rng_;              // guarded by m_
};

}  // namespace tacit::inline TACIT_ABI
