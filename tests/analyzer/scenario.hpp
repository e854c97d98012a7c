#pragma once
// Synthetic crew runs with known answers, written in tacit's JSON-lines trace format.
// A clean run: crew_execution > task_execution x3 > (llm_call, tool_usage x2..4), tools with
// log-normal latencies, 1 % random timeouts. Each injection adds one known anomaly.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace scenario {

struct gen_span {
    std::string name;
    std::uint64_t trace_hi = 0, trace_lo = 0, id = 0, parent = 0;
    std::uint64_t start = 0, end = 0;
    bool error = false;
    std::string error_type;
    std::uint32_t thread = 1;
    std::string tool;   // gen_ai.tool.name
    std::string crew;   // crew.key
    std::int64_t attempts = -1;
};

inline gen_span mk(const char* name, std::uint64_t hi, std::uint64_t lo, std::uint64_t id, std::uint64_t parent,
                   std::uint64_t start) {
    gen_span s;
    s.name = name;
    s.trace_hi = hi;
    s.trace_lo = lo;
    s.id = id;
    s.parent = parent;
    s.start = start;
    return s;
}

inline std::string to_jsonl(const gen_span& s) {
    std::string attrs;
    if (!s.tool.empty()) attrs += fmt::format("\"gen_ai.tool.name\":\"{}\"", s.tool);
    if (!s.crew.empty()) attrs += fmt::format("{}\"crew.key\":\"{}\"", attrs.empty() ? "" : ",", s.crew);
    if (s.attempts >= 0) attrs += fmt::format("{}\"crew.attempts\":{}", attrs.empty() ? "" : ",", s.attempts);
    return fmt::format(
        "{{\"type\":\"span\",\"name\":\"{}\",\"kind\":\"internal\",\"trace_id\":\"{:016x}{:016x}\",\"span_id\":\"{:016x}\","
        "\"parent_span_id\":\"{}\",\"start_unix_ns\":{},\"end_unix_ns\":{},\"duration_ns\":{},\"status\":\"{}\","
        "\"error_type\":\"{}\",\"thread\":{},\"attributes\":{{{}}},\"events\":[],\"dropped_attributes\":0}}",
        s.name, s.trace_hi, s.trace_lo, s.id, s.parent ? fmt::format("{:016x}", s.parent) : std::string{}, s.start,
        s.end, s.end - s.start, s.error ? "error" : "ok", s.error_type, s.thread, attrs);
}

inline std::string stats_line(std::uint64_t recorded, std::uint64_t ring_full, std::uint64_t shutdown) {
    return fmt::format("{{\"type\":\"stats\",\"recorded\":{},\"dropped_ring_full\":{},\"dropped_shutdown\":{},"
                       "\"delivered\":{},\"batches\":{}}}",
                       recorded, ring_full, shutdown, recorded - ring_full - shutdown, recorded / 100 + 1);
}

struct options {
    int runs = 20;
    std::uint64_t seed = 42;
    double base_error = 0.01;        // random timeouts on every tool
    double web_search_error = 0.0;   // extra failure rate of web_search ("timeout")
    bool calculator_burst = false;   // 12 calculator calls in a row fail ("rate_limited") in run 10
    bool loop = false;               // one task in run 7 calls web_search 9 times in a row
    bool spike = false;              // one file_read in run 15 takes 60x its usual time
    bool unfinished = false;         // one task of the last run never ends (its line is missing)
    bool slow_last_crew = false;     // the last crew run takes 3x as long
    int tasks = 3;
    int max_tools = 4;
};

struct result {
    std::vector<gen_span> spans;  // in end order, as a pipeline delivers them
    std::uint64_t unfinished_id = 0;
};

inline result generate(const options& o) {
    std::mt19937_64 rng(o.seed);
    std::uniform_real_distribution<double> u(0, 1);
    std::normal_distribution<double> z(0, 1);
    auto lognormal = [&](double median_ns, double sigma) { return static_cast<std::uint64_t>(median_ns * std::exp(sigma * z(rng))); };
    struct tool_t { const char* name; double median; };
    const tool_t tools[] = {{"web_search", 200e6}, {"calculator", 5e6}, {"file_read", 20e6}};
    std::uint64_t next_id = 1;
    std::uint64_t t = 1'700'000'000'000'000'000ull;
    result out;
    int calc_burst_left = 0;
    for (int run = 0; run < o.runs; ++run) {
        const bool last = run == o.runs - 1;
        const double stretch = (o.slow_last_crew && last) ? 3.0 : 1.0;
        const std::uint64_t trace_hi = 0xabc0000000000000ull + static_cast<std::uint64_t>(run), trace_lo = 0x1234;
        gen_span crew = mk("crew_execution", trace_hi, trace_lo, next_id++, 0, t);
        crew.crew = "research";
        std::uint64_t now = t + 1'000'000;
        if (o.calculator_burst && run == 10) calc_burst_left = 12;
        for (int k = 0; k < o.tasks; ++k) {
            gen_span task = mk("task_execution", trace_hi, trace_lo, next_id++, crew.id, now);
            now += 500'000;
            gen_span llm = mk("llm_call", trace_hi, trace_lo, next_id++, task.id, now);
            llm.end = now + static_cast<std::uint64_t>(stretch * static_cast<double>(lognormal(800e6, 0.15)));
            now = llm.end + 100'000;
            out.spans.push_back(llm);
            const bool loop_here = o.loop && run == 7 && k == 1;
            const int ncalls = loop_here ? 9 : 2 + static_cast<int>(u(rng) * (o.max_tools - 1));
            int prev = -1;
            for (int c = 0; c < ncalls; ++c) {
                int which;
                if (loop_here) which = 0;
                else if (o.spike && run == 15 && k == 0 && c == 0) which = 2;
                else { do { which = static_cast<int>(u(rng) * 3) % 3; } while (which == prev); }
                prev = which;
                gen_span call = mk("tool_usage", trace_hi, trace_lo, next_id++, task.id, now);
                call.tool = tools[which].name;
                call.attempts = 1;
                double d = static_cast<double>(lognormal(tools[which].median, 0.2)) * stretch;
                if (o.spike && run == 15 && k == 0 && c == 0) d = tools[which].median * 60;
                call.end = now + static_cast<std::uint64_t>(d);
                if (u(rng) < o.base_error || (which == 0 && u(rng) < o.web_search_error)) {
                    call.error = true;
                    call.error_type = "timeout";
                }
                if (which == 1 && calc_burst_left > 0) {
                    --calc_burst_left;
                    call.error = true;
                    call.error_type = "rate_limited";
                }
                now = call.end + 200'000;
                out.spans.push_back(call);
            }
            task.end = now;
            now += 300'000;
            if (o.unfinished && last && k == 1) {
                out.unfinished_id = task.id;
                continue;  // this task never ends
            }
            out.spans.push_back(task);
        }
        // In the burst run keep calling the calculator until the burst is spent.
        // Calls alternate with file_read so that only the burst, not a repeat, is injected.
        while (calc_burst_left > 0) {
            gen_span call = mk("tool_usage", trace_hi, trace_lo, next_id++, crew.id, now);
            call.tool = "calculator";
            call.end = now + lognormal(5e6, 0.2);
            call.error = true;
            call.error_type = "rate_limited";
            --calc_burst_left;
            now = call.end + 100'000;
            out.spans.push_back(call);
            gen_span read = mk("tool_usage", trace_hi, trace_lo, next_id++, crew.id, now);
            read.tool = "file_read";
            read.end = now + lognormal(20e6, 0.2);
            now = read.end + 100'000;
            out.spans.push_back(read);
        }
        crew.end = now;
        out.spans.push_back(crew);
        t = now + 2'000'000'000;
    }
    return out;
}

inline std::string to_text(const result& r) {
    std::string s;
    for (const auto& x : r.spans) { s += to_jsonl(x); s += '\n'; }
    return s;
}

}  // namespace scenario
