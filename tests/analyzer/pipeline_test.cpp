// Through a real pipeline: spans recorded on two threads reach the live analyzer, the JSON-lines
// file (read back offline) and the Chrome trace file, and all three agree.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <latch>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>  // getpid

#include <nlohmann/json.hpp>
#include <tacit/analyzer.hpp>
#include <tacit/analyzer_reader.hpp>
#include <tacit/exporters/jsonl.hpp>
#include <tacit/exporters/perfetto.hpp>
#include <tacit/tacit.hpp>

namespace {
struct tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
struct attempts : tacit::attribute<"crew.tool.attempts", std::int64_t> {};
struct crew_key : tacit::attribute<"crew.key", std::string_view> {};
struct crew_run : tacit::span_kind<"crew_execution", crew_key> {};
struct task_run : tacit::span_kind<"task_execution"> {};
struct tool_usage : tacit::span_kind<"tool_usage", tool_name, attempts> {};

void crew(tacit::pipeline& p, int runs, bool loop) {
    for (int r = 0; r < runs; ++r) {
        auto c = tacit::start<crew_run>(p);
        c.set<crew_key>("research");
        for (int t = 0; t < 3; ++t) {
            auto task = tacit::start<task_run>(p);
            const int calls = loop && r == 1 && t == 1 ? 7 : 4;
            for (int i = 0; i < calls; ++i) {
                auto tool = tacit::start<tool_usage>(p);
                const bool search = loop && r == 1 && t == 1 ? true : i % 2 == 0;
                tool.set<tool_name>(search ? "web_search" : "calculator").set<attempts>(1);
                std::this_thread::sleep_for(std::chrono::microseconds(search ? 300 : 50));
                if (search && i == 2) tool.error("timeout");
            }
        }
    }
}
}  // namespace

TEST_CASE("live analyzer, JSON-lines reader and Chrome trace agree on a real pipeline's spans") {
    const std::string base = "/tmp/tacit_analyzer_pipeline_" + std::to_string(::getpid());
    const std::string jsonl = base + ".jsonl", chrome = base + ".json";
    auto live = std::make_shared<tacit::analyzer>();
    {
        tacit::pipeline p{tacit::pipeline_options{}};
        p.add_exporter(std::make_unique<tacit::analyzer_exporter>(live));
        p.emplace_exporter<tacit::jsonl_exporter>(jsonl);
        p.emplace_exporter<tacit::perfetto_exporter>(chrome);
        // Both threads are alive together, so each owns its own ring and thread number.
        std::latch started{2}, finished{2};
        std::thread a([&] { started.arrive_and_wait(); crew(p, 4, true); finished.arrive_and_wait(); });
        std::thread b([&] { started.arrive_and_wait(); crew(p, 3, false); finished.arrive_and_wait(); });
        a.join();
        b.join();
        CHECK(p.shutdown(std::chrono::seconds(10)));
    }
    const auto r = live->result();
    if constexpr (!tacit::compiled_in) {
        // Compiled out: nothing is recorded, the analyzer sees no span and finds nothing.
        CHECK(r.spans == 0);
        CHECK(r.findings.empty());
        std::remove(jsonl.c_str());
        std::remove(chrome.c_str());
        return;
    }
    // 7 crews x (1 + 3 tasks + 12 tool calls), plus the 3 extra calls of the loop.
    const std::uint64_t expected = 7 * 16 + 3;
    INFO(r.to_text());
    CHECK(r.spans == expected);
    CHECK(r.has_pipeline_stats);
    CHECK(r.pipeline.dropped_ring_full == 0);
    REQUIRE(r.tool("web_search"));
    REQUIRE(r.kind("crew_execution"));
    CHECK(r.kind("crew_execution")->count == 7);
    CHECK(r.tool("web_search")->errors == 21);  // the third call of every task fails
    const auto* rep = [&]() -> const tacit::finding* {
        for (const auto& f : r.findings) if (f.kind == tacit::finding_kind::repeated_tool_calls) return &f;
        return nullptr;
    }();
    REQUIRE(rep);
    CHECK(rep->subject == "web_search");
    CHECK(rep->number("longest_run") == 7);
    for (const auto& f : r.findings) CHECK(f.kind != tacit::finding_kind::unfinished_spans);

    // Offline: the file the jsonl exporter wrote reads back to the same numbers.
    tacit::analyzer offline;
    const auto rd = tacit::read_jsonl_file(jsonl, offline);
    CHECK(rd.malformed == 0);
    CHECK(rd.spans == expected);
    CHECK(rd.stats >= 1);
    const auto o = offline.result();
    CHECK(o.spans == r.spans);
    CHECK(o.errors == r.errors);
    for (const auto& t : r.tools) {
        REQUIRE(o.tool(t.name));
        CHECK(o.tool(t.name)->count == t.count);
        CHECK(o.tool(t.name)->latency_ns.quantile(0.5) == t.latency_ns.quantile(0.5));
        CHECK(o.tool(t.name)->latency_ns.max() == t.latency_ns.max());
    }
    CHECK(o.findings.size() == r.findings.size());
    CHECK(o.pipeline.delivered == expected);

    // The Chrome trace: one X event per span; children within parents on each thread.
    std::ifstream in(chrome);
    std::stringstream ss;
    ss << in.rdbuf();
    const auto j = nlohmann::json::parse(ss.str());
    struct ev { double ts, dur; int tid; };
    std::map<std::string, ev> by_id;
    std::map<std::string, std::string> parent_of;
    for (const auto& e : j["traceEvents"]) {
        if (e["ph"] != "X") continue;
        const std::string id = e["args"]["span_id"];
        by_id[id] = {e["ts"].get<double>(), e["dur"].get<double>(), e["tid"].get<int>()};
        parent_of[id] = e["args"]["parent_span_id"];
    }
    CHECK(by_id.size() == expected);
    std::set<int> tids;
    int nested = 0;
    for (const auto& [id, e] : by_id) {
        tids.insert(e.tid);
        const auto& pid = parent_of[id];
        if (pid.empty()) continue;
        REQUIRE(by_id.count(pid) == 1);
        const auto& p = by_id[pid];
        CHECK(p.tid == e.tid);  // RAII spans nest on their own thread
        CHECK(e.ts >= p.ts);
        CHECK(e.ts + e.dur <= p.ts + p.dur + 1e-3);
        ++nested;
    }
    CHECK(nested == static_cast<int>(expected) - 7);
    CHECK(tids.size() == 2);
    std::remove(jsonl.c_str());
    std::remove(chrome.c_str());
}
