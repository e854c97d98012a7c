// A simulated crew recorded through tacit::crew_telemetry: three agents, four tasks with tools
// (one retried, one failing, one called twice with the same arguments, one task on another
// thread), inside a flow of four nodes. Spans go to the console and to a JSON-lines trace;
// a one-screen summary follows.
//
//   crew_demo [--jsonl FILE] [--share-crew] [--seed N] [--quiet]
//             [--otlp URL] [--prometheus PORT] [--linger S] [--report FILE]
#include <tacit/crew.hpp>
#include <tacit/tacit.hpp>

#if defined(TACIT_DEMO_OTLP) && __has_include(<tacit/exporters/otlp_http.hpp>)
#include <tacit/exporters/otlp_http.hpp>
#define TACIT_DEMO_HAS_OTLP 1
#else
#define TACIT_DEMO_HAS_OTLP 0
#endif
#if defined(TACIT_DEMO_PROMETHEUS) && __has_include(<tacit/exporters/prometheus.hpp>)
#include <tacit/exporters/prometheus.hpp>
#define TACIT_DEMO_HAS_PROMETHEUS 1
#else
#define TACIT_DEMO_HAS_PROMETHEUS 0
#endif
#if defined(TACIT_DEMO_HTML) && __has_include(<tacit/analyzer_report.hpp>)
#include <tacit/analyzer_report.hpp>
#define TACIT_DEMO_HAS_HTML 1
#else
#define TACIT_DEMO_HAS_HTML 0
#endif
#if defined(TACIT_DEMO_REPORT) && __has_include(<tacit/analyzer.hpp>)
#include <tacit/analyzer.hpp>
#define TACIT_DEMO_HAS_REPORT 1
#else
#define TACIT_DEMO_HAS_REPORT 0
#endif

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "sim_runtime.hpp"

namespace {

// ---- the runtime's own descriptions: the structs are in sim_runtime.hpp (an agent framework
// would have these already); of its tools tacit reads only the names ----

const sim::tool_def web_search_tool{"web_search", ""};
const sim::tool_def scrape_page_tool{"scrape_page", ""};
const sim::tool_def calculator_tool{"calculator", ""};
const sim::tool_def python_repl_tool{"python_repl", ""};

// ---- the summary: a small exporter that tallies what it is given ----

class tally_exporter final : public tacit::exporter {
public:
    struct row {
        std::uint64_t spans = 0, errors = 0, total_ns = 0, max_ns = 0;
    };

    tacit::export_result export_spans(const tacit::export_batch& b) override {
        std::lock_guard lock(m_);
        for (const auto& s : b.spans) {
            auto& r = rows_[std::string(s.name)];
            ++r.spans;
            r.total_ns += s.duration_ns();
            r.max_ns = std::max(r.max_ns, s.duration_ns());
            if (s.status == tacit::status_code::error) {
                ++r.errors;
                ++errors_[std::string(s.error_type)];
            }
            auto hex = s.context.trace.hex();
            traces_.insert(std::string(hex.data(), hex.size()));
            ++total_;
        }
        return tacit::export_result::success();
    }

    void print(std::FILE* out) const {
        std::lock_guard lock(m_);
        fmt::print(out, "  {:<24}{:>6}{:>8}{:>12}{:>12}\n", "span kind", "spans", "errors", "total ms", "max ms");
        std::uint64_t errors = 0;
        for (const auto& [name, r] : rows_) {
            fmt::print(out, "  {:<24}{:>6}{:>8}{:>12.3f}{:>12.3f}\n", name, r.spans, r.errors,
                       static_cast<double>(r.total_ns) / 1e6, static_cast<double>(r.max_ns) / 1e6);
            errors += r.errors;
        }
        fmt::print(out, "  {:<24}{:>6}{:>8}\n", "all", total_, errors);
        std::string by_type;
        for (const auto& [type, n] : errors_) by_type += fmt::format("{}{} x{}", by_type.empty() ? "" : ", ", type, n);
        fmt::print(out, "  errors by type: {}\n", by_type.empty() ? "none" : by_type);
        fmt::print(out, "  traces: {}\n", traces_.size());
    }

private:
    mutable std::mutex m_;
    std::map<std::string, row> rows_;
    std::map<std::string, std::uint64_t> errors_;
    std::set<std::string> traces_;
    std::uint64_t total_ = 0;
};

// ---- flags ----

struct flags {
    std::string jsonl = "crew_trace.jsonl";
    bool share = false;
    std::uint64_t seed = 42;
    bool quiet = false;
    std::string otlp;
    int prometheus_port = -1;
    double linger_s = 0;
    std::string report;
};

void usage(std::FILE* out) {
    std::fputs(
        "usage: crew_demo [options]\n"
        "  --jsonl FILE       JSON-lines trace (default crew_trace.jsonl)\n"
        "  --share-crew       also record content (roles, goals, task descriptions, outputs)\n"
        "  --seed N           simulation seed (same seed, same structure and durations)\n"
        "  --quiet            no console spans, only the summary\n"
        "  --otlp URL         also send spans over OTLP/HTTP (e.g. http://127.0.0.1:4318)\n"
        "  --prometheus PORT  serve span metrics on 127.0.0.1:PORT/metrics\n"
        "  --linger S         stay up S seconds after the run (for scrapes)\n"
        "  --report FILE      write the analyzer's findings to FILE\n",
        out);
}

bool parse(int argc, char** argv, flags& f) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "crew_demo: %s needs a value\n", name);
                return nullptr;
            }
            return argv[++i];
        };
        auto number = [&](const char* name, const char* v, double lo, double hi, double& out) {
            char* end = nullptr;
            out = std::strtod(v, &end);
            if (end == v || *end != '\0' || !(out >= lo && out <= hi)) {
                std::fprintf(stderr, "crew_demo: %s wants a number in [%g, %g], not '%s'\n", name, lo, hi, v);
                return false;
            }
            return true;
        };
        double n = 0;
        if (a == "--help" || a == "-h") {
            usage(stdout);
            std::exit(0);
        } else if (a == "--share-crew") {
            f.share = true;
        } else if (a == "--quiet") {
            f.quiet = true;
        } else if (a == "--jsonl") {
            auto v = value("--jsonl");
            if (!v) return false;
            f.jsonl = v;
        } else if (a == "--seed") {
            auto v = value("--seed");
            if (!v || !number("--seed", v, 0, 9007199254740991.0, n)) return false;
            f.seed = static_cast<std::uint64_t>(n);
        } else if (a == "--otlp") {
            auto v = value("--otlp");
            if (!v) return false;
            f.otlp = v;
        } else if (a == "--prometheus") {
            auto v = value("--prometheus");
            if (!v || !number("--prometheus", v, 1, 65535, n)) return false;
            f.prometheus_port = static_cast<int>(n);
        } else if (a == "--linger") {
            auto v = value("--linger");
            if (!v || !number("--linger", v, 0, 3600, n)) return false;
            f.linger_s = n;
        } else if (a == "--report") {
            auto v = value("--report");
            if (!v) return false;
            f.report = v;
        } else {
            std::fprintf(stderr, "crew_demo: unknown option '%s'\n", argv[i]);
            return false;
        }
    }
    return true;
}

// ---- the simulation ----

/// Simulated work: a few milliseconds drawn from the seeded generator.
class clock_sim {
public:
    explicit clock_sim(std::uint64_t seed) : rng_(seed) {}
    void work(int lo_ms, int hi_ms) {
        std::uniform_int_distribution<int> d(lo_ms * 100, hi_ms * 100);
        std::this_thread::sleep_for(std::chrono::microseconds(d(rng_) * 10));
    }
    std::int64_t tokens(int lo, int hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_); }
    int attempts() { return std::uniform_int_distribution<int>(2, 4)(rng_); }

private:
    std::mt19937_64 rng_;
};

sim::crew_def build_crew(bool share, sim::llm_config& fc) {
    sim::crew_def c;
    c.share_crew = share;
    c.memory = true;
    auto researcher = std::make_unique<sim::agent_def>();
    researcher->role = "Senior research analyst";
    researcher->goal = "Find the three most relevant sources on the topic";
    researcher->backstory = "Spent a decade reading papers nobody else finishes";
    researcher->llm = {"gpt-4o-mini", "sk-demo-not-a-real-key", ""};
    researcher->max_iter = 15;
    researcher->tools = {&web_search_tool, &scrape_page_tool};
    researcher->max_rpm = 30;
    auto analyst = std::make_unique<sim::agent_def>();
    analyst->role = "Data analyst";
    analyst->goal = "Check the numbers in the sources";
    analyst->backstory = "Trusts nothing without a spreadsheet";
    analyst->llm = {"claude-3-5-sonnet", "sk-demo-not-a-real-key", ""};
    analyst->max_iter = 15;
    analyst->tools = {&calculator_tool, &python_repl_tool};
    analyst->allow_code_execution = true;
    auto writer = std::make_unique<sim::agent_def>();
    writer->role = "Technical writer";
    writer->goal = "Write a one-page brief";
    writer->backstory = "Turns findings into plain words";
    writer->llm = {"gpt-4o", "sk-demo-not-a-real-key", ""};
    writer->max_iter = 15;
    writer->function_calling_llm = &fc;
    writer->allow_delegation = true;
    writer->verbose = true;

    c.tasks.resize(4);
    c.tasks[0] = {"Research the topic: {topic}", "A list of sources with one-line summaries", "", false, false,
                  {&web_search_tool, &scrape_page_tool}, researcher.get(), {}};
    c.tasks[1] = {"Verify the figures quoted by the sources", "A table of checked figures", "", false, false,
                  {&calculator_tool, &python_repl_tool}, analyst.get(), {}};
    c.tasks[2] = {"Fact-check the summaries against a second search", "Corrections, if any", "", true, false,
                  {&web_search_tool}, researcher.get(), {}};
    c.tasks[3] = {"Write the brief", "A one-page brief in Markdown", "", false, true, {}, writer.get(), {}};
    c.agents.push_back(std::move(researcher));
    c.agents.push_back(std::move(analyst));
    c.agents.push_back(std::move(writer));
    return c;
}

void run_task(tacit::crew_telemetry& tel, sim::crew_def& c, sim::task_def& t, clock_sim& sim) {
    auto span = tel.task_started(c, t);
    const auto& llm = t.agent->llm;
    sim.work(2, 5);  // the agent thinks
    if (&t == &c.tasks[0]) {
        { auto call = tel.tool_usage(llm, "web_search", 1); sim.work(3, 8); }
        { auto call = tel.tool_usage(llm, "scrape_page", sim.attempts()); sim.work(4, 9); }  // retried inside the tool
        { auto call = tel.tool_repeated_usage(llm, "web_search", 1); sim.work(1, 2); }      // same call again
    } else if (&t == &c.tasks[1]) {
        { auto call = tel.tool_usage(llm, "calculator", 1); sim.work(1, 3); }
        sim.work(3, 6);
        tel.tool_usage_error(llm, "python_repl", "timeout");
        sim.work(2, 4);
        tel.tool_usage_error(llm, "python_repl", "timeout");
        t.usage = {sim.tokens(800, 1600), sim.tokens(50, 200)};
        tel.task_failed(span, t, c, "tool_failed");
        return;
    } else if (&t == &c.tasks[2]) {
        { auto call = tel.tool_usage(llm, "web_search", 1); sim.work(3, 7); }
    }
    sim.work(2, 6);  // the agent answers
    t.output = "Output of: " + t.description;
    t.usage = {sim.tokens(500, 2500), sim.tokens(100, 900)};
    tel.task_ended(span, t, c);
}

void run_crew(tacit::crew_telemetry& tel, sim::crew_def& c, const std::map<std::string, std::string>& inputs, std::uint64_t seed) {
    clock_sim sim(seed);
    clock_sim async_sim(seed ^ 0x9e3779b97f4a7c15ull);
    tel.crew_creation(c, inputs);
    auto run = tel.crew_execution_span(c, inputs);
    std::thread async_task;
    for (auto& t : c.tasks) {
        if (t.async_execution) {
            // an async task runs on its own thread, still a child of the crew's span
            async_task = std::thread([&tel, &c, &t, &async_sim] { run_task(tel, c, t, async_sim); });
            continue;
        }
        run_task(tel, c, t, sim);
    }
    if (async_task.joinable()) async_task.join();
    tel.end_crew(run, c, c.tasks.back().output);
}

}  // namespace

int main(int argc, char** argv) {
    flags f;
    if (!parse(argc, argv, f)) {
        usage(stderr);
        return 2;
    }

    auto options = tacit::pipeline_options::from_env();
    options.share_content = f.share;
    options.service_name = options.service_name == "unknown_service" ? "crew_demo" : options.service_name;
    tacit::pipeline p{options};
    if (!f.quiet) p.emplace_exporter<tacit::console_exporter>();
    auto jsonl = std::make_unique<tacit::jsonl_exporter>(f.jsonl);
    if (!jsonl->ok()) {
        std::fprintf(stderr, "crew_demo: cannot write '%s'\n", f.jsonl.c_str());
        return 1;
    }
    p.add_exporter(std::move(jsonl));
    auto& tally = p.emplace_exporter<tally_exporter>();

    std::vector<std::string> extras;
#if TACIT_DEMO_HAS_REPORT
    std::shared_ptr<tacit::analyzer> analysis;
#endif
    if (!f.report.empty()) {
#if TACIT_DEMO_HAS_REPORT
        analysis = std::make_shared<tacit::analyzer>();
        p.emplace_exporter<tacit::analyzer_exporter>(analysis);
#else
        extras.push_back("report: not built (needs tacit/analyzer.hpp)");
#endif
    }

    // Network exporters last: a backend that does not answer cannot hold up the local ones.
    if (!f.otlp.empty()) {
#if TACIT_DEMO_HAS_OTLP
        auto o = tacit::otlp_http_options::from_env();
        o.endpoint = f.otlp;
        o.traces_endpoint.clear();  // the flag wins over OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
        p.add_exporter(std::make_unique<tacit::otlp_http_exporter>(std::move(o)));
        extras.push_back("otlp: sent to " + f.otlp);
#else
        extras.push_back("otlp: not built (needs libcurl and zlib at configure time)");
#endif
    }
    if (f.prometheus_port >= 0) {
#if TACIT_DEMO_HAS_PROMETHEUS
        tacit::prometheus_exporter_options o;
        o.server.port = f.prometheus_port;
        p.emplace_exporter<tacit::prometheus_exporter>(o);
        extras.push_back(fmt::format("prometheus: http://127.0.0.1:{}/metrics", f.prometheus_port));
#else
        extras.push_back("prometheus: not built (needs tacit/exporters/prometheus.hpp and cpp-httplib)");
#endif
    }
    sim::llm_config fc{"gpt-4o-mini", "sk-demo-not-a-real-key", ""};
    sim::crew_def c = build_crew(f.share, fc);
    std::map<std::string, std::string> inputs{{"topic", "telemetry in agent frameworks"}};
    auto t0 = std::chrono::steady_clock::now();
    {
        tacit::crew_telemetry tel{p};
        tel.flow_creation_span("BriefFlow");
        std::vector<std::string> nodes{"plan", "run_crew", "review", "publish"};
        tel.flow_plotting_span("BriefFlow", nodes);
        clock_sim sim(f.seed + 1);
        auto flow = tel.flow_execution_span("BriefFlow", nodes);
        tel.feature_usage("planning");
        for (const auto& node : nodes) {
            auto m = tel.flow_method_span("BriefFlow", node);
            if (node == "run_crew") run_crew(tel, c, inputs, f.seed);
            else sim.work(1, 4);
            tel.flow_completed(m);
        }
        tel.flow_completed(flow);
    }
    auto wall = std::chrono::steady_clock::now() - t0;

    if (f.linger_s > 0) {
        p.force_flush(std::chrono::seconds(5));
        std::this_thread::sleep_for(std::chrono::duration<double>(f.linger_s));
    }
    bool clean = p.shutdown(std::chrono::seconds(2));
    auto st = p.stats();

#if TACIT_DEMO_HAS_REPORT
    if (analysis) {
        std::ofstream out(f.report);
        auto r = analysis->result(true);
        out << (f.report.size() > 5 && f.report.ends_with(".json") ? r.to_json() : r.to_text());
        extras.push_back(out ? "report: " + f.report : "report: cannot write " + f.report);
    }
#endif

#if TACIT_DEMO_HAS_HTML
    {  // crew_trace.jsonl -> crew_trace.html: the analyzer's page, self-contained
        std::string html = f.jsonl;
        if (html.size() > 6 && html.ends_with(".jsonl")) html.resize(html.size() - 6);
        html += ".html";
        const auto page = tacit::write_report(f.jsonl, html);
        extras.push_back(page.ok ? fmt::format("report page: {} ({} findings)", html, page.result.findings.size())
                                 : "report page: " + page.error);
    }
#endif

    std::FILE* out = stdout;
    fmt::print(out, "\n== tacit crew demo: seed {}, content sharing {}, {:.1f} ms ==\n", f.seed, f.share ? "on" : "off",
               std::chrono::duration<double, std::milli>(wall).count());
    tally.print(out);
    fmt::print(out, "  pipeline: recorded {}, delivered {}, batches {}, exporter exceptions {}\n", st.recorded, st.delivered,
               st.batches, st.exporter_exceptions);
    fmt::print(out, "  dropped: ring full {}, shutdown {}, disabled {}, attributes {}\n", st.dropped_ring_full,
               st.dropped_shutdown, st.dropped_disabled, st.dropped_attributes);
    fmt::print(out, "  trace file: {}\n", f.jsonl);
    for (const auto& e : extras) fmt::print(out, "  {}\n", e);
    if (!clean) fmt::print(out, "  shutdown: timed out, some spans were left behind\n");
    return 0;
}
