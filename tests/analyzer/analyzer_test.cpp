// The analyzer's statistics and detectors, each on a synthetic stream with a known answer and on
// clean streams where it must find nothing.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <string>

#include <nlohmann/json.hpp>
#include <tacit/analyzer.hpp>

#include "feed.hpp"

using tacit::finding_kind;
using scenario::count_kind;
using scenario::find_kind;

TEST_CASE("clean crew runs give no findings, whatever the seed") {
    for (std::uint64_t seed : {1, 2, 3, 42, 1234}) {
        scenario::options o;
        o.seed = seed;
        o.runs = 60;
        const auto r = scenario::analyze(o);
        INFO("seed " << seed << "\n" << r.to_text());
        CHECK(r.findings.empty());
        CHECK(r.spans > 60 * 10);
    }
}

TEST_CASE("counts, error rates and quantiles per kind and per tool match the stream") {
    scenario::options o;
    o.runs = 40;
    o.web_search_error = 0.175;
    const auto gen = scenario::generate(o);
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> tools, kinds;  // calls, errors
    std::map<std::string, std::vector<double>> lat;
    for (const auto& s : gen.spans) {
        auto& k = kinds[s.name];
        ++k.first;
        k.second += s.error;
        if (!s.tool.empty()) {
            auto& t = tools[s.tool];
            ++t.first;
            t.second += s.error;
            lat[s.tool].push_back(static_cast<double>(s.end - s.start));
        }
    }
    tacit::analyzer a;
    scenario::feed(a, gen);
    const auto r = a.result();
    CHECK(r.spans == gen.spans.size());
    REQUIRE(r.tools.size() == tools.size());
    for (const auto& [name, ce] : tools) {
        const auto* g = r.tool(name);
        REQUIRE(g);
        CHECK(g->count == ce.first);
        CHECK(g->errors == ce.second);
        auto v = lat[name];
        std::sort(v.begin(), v.end());
        for (double q : {0.5, 0.9, 0.99}) {
            const double want = v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
            CHECK(std::abs(g->latency_ns.quantile(q) - want) <= 0.01 * want);
        }
        CHECK(g->latency_ns.max() == v.back());
    }
    for (const auto& [name, ce] : kinds) {
        const auto* g = r.kind(name);
        REQUIRE(g);
        CHECK(g->count == ce.first);
        CHECK(g->errors == ce.second);
    }
    // Sorted by count, most first.
    CHECK(std::is_sorted(r.kinds.begin(), r.kinds.end(), [](auto& x, auto& y) { return x.count > y.count; }));
}

TEST_CASE("a failing tool is reported with its numbers in a plain sentence") {
    tacit::analyzer a;
    std::vector<scenario::gen_span> spans;
    for (int i = 0; i < 40; ++i) {
        auto s = scenario::mk("tool_usage", 1, 1, 100 + static_cast<std::uint64_t>(i), 0, 1'000'000'000ull * static_cast<std::uint64_t>(i));
        s.tool = "web_search";
        // 33 fast calls at 500 ms, the 7 failures time out at 2 s.
        const bool fail = i % 6 == 3;
        s.end = s.start + (fail ? 2'000'000'000ull : 500'000'000ull);
        s.error = fail;
        s.error_type = fail ? "timeout" : "";
        spans.push_back(s);
    }
    scenario::feed(a, scenario::result{spans, 0});
    const auto r = a.result();
    const auto* f = find_kind(r, finding_kind::error_rate);
    REQUIRE(f);
    INFO(f->message);
    CHECK(f->subject == "web_search");
    CHECK(f->message.rfind("tool `web_search` failed 7 of 40 calls (17.5 %), all `timeout`; p99 latency ", 0) == 0);
    CHECK(f->message.find("4.0× its median") != std::string::npos);
    CHECK(f->number("errors") == 7);
    CHECK(f->number("calls") == 40);
    CHECK(f->number("error_rate") == doctest::Approx(0.175));
    CHECK(f->number("p99_ns") == doctest::Approx(2e9).epsilon(0.01));
    CHECK(f->number("p50_ns") == doctest::Approx(5e8).epsilon(0.01));
    // The kind is all tool calls: it is judged per tool, not twice.
    CHECK(count_kind(r, finding_kind::error_rate) == 1);
}

TEST_CASE("error burst: found where 12 calls in a row fail, nowhere else") {
    scenario::options o;
    o.runs = 30;
    o.calculator_burst = true;
    const auto r = scenario::analyze(o);
    INFO(r.to_text());
    const auto* f = find_kind(r, finding_kind::error_burst);
    REQUIRE(f);
    CHECK(f->subject == "calculator");
    CHECK(f->number("bursts") == 1);
    CHECK(f->number("max_errors_in_window") >= 12);
    CHECK(f->message.find("rate_limited") != std::string::npos);
    CHECK(count_kind(r, finding_kind::error_burst) == 1);
    CHECK(count_kind(r, finding_kind::repeated_tool_calls) == 0);
    CHECK(count_kind(r, finding_kind::latency_spike) == 0);
}

TEST_CASE("repeated tool calls: one task calling web_search 9 times in a row") {
    scenario::options o;
    o.runs = 30;
    o.loop = true;
    const auto r = scenario::analyze(o);
    INFO(r.to_text());
    REQUIRE(count_kind(r, finding_kind::repeated_tool_calls) == 1);
    const auto* f = find_kind(r, finding_kind::repeated_tool_calls);
    CHECK(f->subject == "web_search");
    CHECK(f->number("longest_run") == 9);
    CHECK(f->number("runs") == 1);
    // The threshold is an option: above the run length nothing is reported.
    tacit::analyzer_options strict;
    strict.repeat_threshold = 10;
    CHECK(count_kind(scenario::analyze(o, strict), finding_kind::repeated_tool_calls) == 0);
}

TEST_CASE("latency spike: one file_read at 60x its usual time against a rolling baseline") {
    scenario::options o;
    o.runs = 30;
    o.spike = true;
    const auto r = scenario::analyze(o);
    INFO(r.to_text());
    REQUIRE(count_kind(r, finding_kind::latency_spike) == 1);
    const auto* f = find_kind(r, finding_kind::latency_spike);
    CHECK(f->subject == "file_read");
    CHECK(f->number("spikes") == 1);
    CHECK(f->number("worst_ns") == doctest::Approx(1.2e9));
    CHECK(f->number("baseline_ns") == doctest::Approx(20e6).epsilon(0.2));
    // A spike factor above 60 turns it off.
    tacit::analyzer_options lax;
    lax.spike_factor = 100;
    CHECK(count_kind(scenario::analyze(o, lax), finding_kind::latency_spike) == 0);
}

TEST_CASE("spans that never end: a task whose children arrived but which never did") {
    scenario::options o;
    o.runs = 10;
    o.unfinished = true;
    const auto gen = scenario::generate(o);
    tacit::analyzer a;
    scenario::feed(a, gen);
    const auto r = a.result(true);
    INFO(r.to_text());
    const auto* f = find_kind(r, finding_kind::unfinished_spans);
    REQUIRE(f);
    CHECK(f->number("unfinished") == 1);
    CHECK(f->number("children") >= 3);
    const auto hex = tacit::span_id{gen.unfinished_id}.hex();
    CHECK(f->message.find(std::string(hex.data(), hex.size())) != std::string::npos);
    // Mid-run an open parent is just a running span.
    CHECK(count_kind(a.result(false), finding_kind::unfinished_spans) == 0);
}

TEST_CASE("slow crew: the last run takes 3x its history") {
    scenario::options o;
    o.runs = 12;
    o.slow_last_crew = true;
    const auto r = scenario::analyze(o);
    INFO(r.to_text());
    REQUIRE(count_kind(r, finding_kind::slow_crew) == 1);
    const auto* f = find_kind(r, finding_kind::slow_crew);
    CHECK(f->subject == "research");
    CHECK(f->number("ratio") > 2.5);
    CHECK(f->number("ratio") < 3.5);
    CHECK(f->number("history") == 11);
    CHECK(f->message.find("crew `research` run took") == 0);
}

TEST_CASE("drops: pipeline stats with dropped spans, and none without") {
    tacit::analyzer a;
    tacit::pipeline_stats st{};
    st.recorded = 1000;
    st.delivered = 1000;
    a.ingest(st);
    CHECK(count_kind(a.result(), finding_kind::dropped_spans) == 0);
    st.dropped_ring_full = 30;
    st.dropped_shutdown = 5;
    st.delivered = 965;
    a.ingest(st);
    const auto r = a.result();
    const auto* f = find_kind(r, finding_kind::dropped_spans);
    REQUIRE(f);
    CHECK(f->number("dropped") == 35);
    CHECK(f->number("ratio") == doctest::Approx(0.035));
    CHECK(f->message.find("dropped 35 spans (ring full: 30, at shutdown: 5) of 1000 recorded (3.5 %)") != std::string::npos);
}

TEST_CASE("findings are ranked, and everything at once is found") {
    scenario::options o;
    o.runs = 30;
    o.web_search_error = 0.175;
    o.calculator_burst = o.loop = o.spike = o.unfinished = o.slow_last_crew = true;
    tacit::analyzer a;
    scenario::feed(a, scenario::generate(o));
    tacit::pipeline_stats st{};
    st.recorded = 600;
    st.dropped_ring_full = 3;
    a.ingest(st);
    const auto r = a.result();
    INFO(r.to_text());
    CHECK(std::is_sorted(r.findings.begin(), r.findings.end(), [](auto& x, auto& y) { return x.score > y.score; }));
    for (auto k : {finding_kind::dropped_spans, finding_kind::unfinished_spans, finding_kind::error_burst,
                   finding_kind::error_rate, finding_kind::repeated_tool_calls, finding_kind::slow_crew,
                   finding_kind::latency_spike})
        CHECK_MESSAGE(count_kind(r, k) >= 1, tacit::to_string(k));
    CHECK(r.findings.front().kind == finding_kind::dropped_spans);
    const auto text = r.to_text();
    CHECK(text.find("Findings, most urgent first:") != std::string::npos);
    CHECK(text.find("  1. [dropped_spans]") != std::string::npos);
}

TEST_CASE("throughput windows add up and stay bounded") {
    scenario::options o;
    o.runs = 50;
    o.base_error = 0.05;
    const auto gen = scenario::generate(o);
    tacit::analyzer_options ao;
    ao.window_ns = 100'000'000;  // 100 ms: the ~4 min trace needs 2400 windows
    ao.max_windows = 64;
    tacit::analyzer a{ao};
    scenario::feed(a, gen);
    const auto r = a.result();
    const auto& t = r.throughput;
    CHECK(t.spans.size() <= 64);
    CHECK(t.window_ns >= std::uint64_t{100'000'000} * 32);  // doubled until the trace fit
    CHECK(std::accumulate(t.spans.begin(), t.spans.end(), std::uint64_t{0}) == gen.spans.size());
    CHECK(std::accumulate(t.errors.begin(), t.errors.end(), std::uint64_t{0}) == r.errors);
    CHECK(r.errors > 0);
    CHECK(t.start_unix_ns <= gen.spans.front().end);
}

TEST_CASE("memory stays bounded: groups and open parents are capped") {
    tacit::analyzer_options ao;
    ao.max_groups = 4;
    ao.max_open_parents = 10;
    tacit::analyzer a{ao};
    std::vector<scenario::gen_span> spans;
    for (std::uint64_t i = 0; i < 100; ++i) {
        auto s = scenario::mk("tool_usage", 1, 2, 1000 + i, 5000 + i, i * 10);  // 100 orphans
        s.end = s.start + 5;
        s.tool = "tool_" + std::to_string(i);
        spans.push_back(s);
    }
    scenario::feed(a, scenario::result{spans, 0});
    const auto r = a.result();
    CHECK(r.kinds.size() + r.tools.size() <= 5);
    CHECK(r.tool("(other)") != nullptr);
    CHECK(r.tool("(other)")->count > 90);
    const auto* f = find_kind(r, finding_kind::unfinished_spans);
    REQUIRE(f);
    CHECK(f->number("unfinished") == 100);  // 10 tracked + 90 counted beyond the cap
}

TEST_CASE("the JSON form parses and carries the same numbers") {
    scenario::options o;
    o.runs = 20;
    o.web_search_error = 0.2;
    o.loop = true;
    auto r = scenario::analyze(o);
    r.kinds.push_back(tacit::group_summary{});
    r.kinds.back().name = "we\"ird\n\x01kind";
    const auto j = nlohmann::json::parse(r.to_json());
    CHECK(j["spans"].get<std::uint64_t>() == r.spans);
    CHECK(j["relative_accuracy"].get<double>() == 0.01);
    REQUIRE(j["tools"].size() == r.tools.size());
    for (std::size_t i = 0; i < r.tools.size(); ++i) {
        CHECK(j["tools"][i]["name"] == r.tools[i].name);
        CHECK(j["tools"][i]["errors"].get<std::uint64_t>() == r.tools[i].errors);
        CHECK(j["tools"][i]["p99_ns"].get<double>() == r.tools[i].latency_ns.quantile(0.99));
    }
    CHECK(j["kinds"].back()["name"] == "we\"ird\n\x01kind");
    REQUIRE(j["findings"].size() == r.findings.size());
    CHECK(j["findings"][0]["message"] == r.findings[0].message);
    CHECK(j["findings"][0]["kind"] == tacit::to_string(r.findings[0].kind));
}

TEST_CASE("live: the analyzer as an exporter sees batches and pipeline stats") {
    auto shared = std::make_shared<tacit::analyzer>();
    tacit::analyzer_exporter exp{shared};
    scenario::options o;
    o.runs = 5;
    const auto gen = scenario::generate(o);
    std::vector<std::array<tacit::attribute_view, 3>> store(gen.spans.size());
    std::vector<tacit::span_view> views;
    for (std::size_t i = 0; i < gen.spans.size(); ++i) views.push_back(scenario::view_of(gen.spans[i], store[i]));
    tacit::pipeline_stats st{};
    st.recorded = views.size() + 2;
    st.dropped_ring_full = 2;
    st.delivered = views.size();
    tacit::resource_view res{};
    const std::size_t half = views.size() / 2;
    CHECK(exp.export_spans({std::span{views}.first(half), st, res}).ok());
    CHECK(exp.export_spans({std::span{views}.subspan(half), st, res}).ok());
    const auto r = shared->result();
    CHECK(r.spans == views.size());
    CHECK(r.has_pipeline_stats);
    CHECK(r.pipeline.dropped_ring_full == 2);
    CHECK(count_kind(r, finding_kind::dropped_spans) == 1);
}

TEST_CASE("the timeline keeps one complete crew run, bounded") {
    scenario::options o;
    o.runs = 6;
    const auto gen = scenario::generate(o);
    tacit::analyzer_options ao;
    ao.timeline_spans = 1000;
    tacit::analyzer a{ao};
    scenario::feed(a, gen);
    const auto r = a.result();
    REQUIRE(!r.timeline.empty());
    // All of the first run (trace 0): its crew span and everything under it.
    std::size_t first_run = 0;
    for (const auto& s : gen.spans) first_run += s.trace_hi == gen.spans.front().trace_hi;
    CHECK(r.timeline.size() == first_run);
    CHECK(r.timeline.front().name == "crew_execution");  // earliest start
    CHECK(std::is_sorted(r.timeline.begin(), r.timeline.end(),
                         [](auto& x, auto& y) { return x.start_unix_ns < y.start_unix_ns; }));
    ao.timeline_spans = 5;
    tacit::analyzer small{ao};
    scenario::feed(small, gen);
    CHECK(small.result().timeline.size() == 5);
}

TEST_CASE("a child delivered after its parent (another thread's ring) is not a span that never ended") {
    // As the pipeline drains rings thread by thread: the crew (thread 1) arrives before the
    // async task that ran on thread 2 and ended inside it.
    std::vector<scenario::gen_span> spans;
    auto crew = scenario::mk("crew_execution", 1, 1, 10, 0, 0);
    crew.end = 1000;
    auto sync_task = scenario::mk("task_execution", 1, 1, 11, 10, 10);
    sync_task.end = 400;
    auto async_task = scenario::mk("task_execution", 1, 1, 12, 10, 20);
    async_task.end = 900;
    async_task.thread = 2;
    spans = {sync_task, crew, async_task};
    tacit::analyzer a;
    scenario::feed(a, scenario::result{spans, 0});
    CHECK(count_kind(a.result(), finding_kind::unfinished_spans) == 0);
    // Without the crew span it is reported.
    tacit::analyzer b;
    scenario::feed(b, scenario::result{{sync_task, async_task}, 0});
    const auto* f = find_kind(b.result(), finding_kind::unfinished_spans);
    REQUIRE(f);
    CHECK(f->number("children") == 2);
}
