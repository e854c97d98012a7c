// Chrome trace-event export, parsed back with nlohmann/json and checked against the format's rules.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>  // getpid

#include <nlohmann/json.hpp>
#include <tacit/exporters/perfetto.hpp>

namespace {

std::string temp_path(const char* name) {
    return std::string{"/tmp/tacit_perfetto_"} + std::to_string(::getpid()) + "_" + name;
}

nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str());
}

struct event {
    std::string name;
    double ts, dur;
    int tid;
    std::string id, parent;
};

constexpr std::uint64_t origin = 1'700'000'000'000'000'000ull;

}  // namespace

TEST_CASE("spans become complete events that nest per thread, with public args only") {
    using tacit::attribute_view;
    using tacit::sensitivity;
    using tacit::value_view;
    const auto path = temp_path("nest.json");
    tacit::perfetto_options po;
    po.origin_unix_ns = origin;
    auto exp = std::make_unique<tacit::perfetto_exporter>(path, po);

    // A crew on thread 1: crew > 2 tasks > tools; a second crew on thread 2 (overlapping in time).
    struct def { const char* name; std::uint64_t id, parent, start, end; std::uint32_t thread; bool err; };
    const def defs[] = {
        {"tool_usage", 4, 2, 1'500, 2'750, 1, false},    {"tool_usage", 5, 2, 3'000, 3'999, 1, true},
        {"task_execution", 2, 1, 1'000, 4'000, 1, false}, {"tool_usage", 6, 3, 5'000'001, 5'500'000, 1, false},
        {"task_execution", 3, 1, 4'500, 6'000'000, 1, false}, {"crew_execution", 1, 0, 0, 7'000'000, 1, false},
        {"tool_usage", 12, 11, 2'000, 9'000, 2, false},  {"task_execution", 11, 10, 1'000, 10'000, 2, false},
        {"crew_execution", 10, 0, 500, 20'000, 2, false},
    };
    const value_view tags[] = {value_view::of(std::string_view{"a"}), value_view::of(std::string_view{"b\"q"})};
    const attribute_view attrs[] = {
        {"gen_ai.tool.name", sensitivity::public_data, value_view::of(std::string_view{"web_search"})},
        {"crew.attempts", sensitivity::public_data, value_view::of(std::int64_t{3})},
        {"crew.tags", sensitivity::public_data, value_view::array(tacit::value_type::string_array, tags)},
        {"gen_ai.prompt", sensitivity::content, value_view::of(std::string_view{"private words"})},
    };
    const attribute_view ev_attrs[] = {{"attempt", sensitivity::public_data, value_view::of(std::int64_t{2})}};
    const tacit::event_view events[] = {{"retry", origin + 3'500, ev_attrs}};
    std::vector<tacit::span_view> views;
    for (const auto& d : defs) {
        tacit::span_view s;
        s.name = d.name;
        s.context.trace = {0xab, d.thread};
        s.context.span = {d.id};
        s.parent = {d.parent};
        s.start_unix_ns = origin + d.start;
        s.end_unix_ns = origin + d.end;
        s.thread = d.thread;
        s.status = d.err ? tacit::status_code::error : tacit::status_code::ok;
        s.error_type = d.err ? "timeout" : "";
        if (std::string_view{d.name} == "tool_usage") s.attributes = attrs;
        if (d.id == 5) s.events = events;
        views.push_back(s);
    }
    tacit::pipeline_stats st{};
    tacit::resource_view res{};
    // Children arrive before their parents, in two batches, as from the pipeline.
    CHECK(exp->export_spans({std::span{views}.first(4), st, res}).ok());
    CHECK(exp->export_spans({std::span{views}.subspan(4), st, res}).ok());
    CHECK(exp->spans_written() == views.size());
    CHECK(exp->force_flush(std::chrono::milliseconds(100)));
    exp->shutdown(std::chrono::milliseconds(100));

    const auto j = read_json(path);
    REQUIRE(j.is_object());
    REQUIRE(j["traceEvents"].is_array());
    CHECK(j["otherData"]["origin_unix_ns"] == std::to_string(origin));
    std::vector<event> xs;
    std::map<int, std::string> thread_names;
    int instants = 0;
    for (const auto& e : j["traceEvents"]) {
        REQUIRE(e.contains("ph"));
        REQUIRE(e["pid"].is_number_integer());
        REQUIRE(e["tid"].is_number_integer());
        const auto ph = e["ph"].get<std::string>();
        if (ph == "M") {
            if (e["name"] == "thread_name") thread_names[e["tid"].get<int>()] = e["args"]["name"];
            continue;
        }
        if (ph == "i") {
            ++instants;
            CHECK(e["name"] == "retry");
            CHECK(e["s"] == "t");
            CHECK(e["ts"].get<double>() == doctest::Approx(3.5));
            CHECK(e["args"]["attempt"] == 2);
            continue;
        }
        REQUIRE(ph == "X");
        REQUIRE(e["ts"].is_number());
        REQUIRE(e["dur"].is_number());
        CHECK(e["dur"].get<double>() >= 0);
        const auto& args = e["args"];
        xs.push_back({e["name"], e["ts"].get<double>(), e["dur"].get<double>(), e["tid"].get<int>(), args["span_id"],
                      args["parent_span_id"]});
        if (e["name"] == "tool_usage") {
            CHECK(args["gen_ai.tool.name"] == "web_search");
            CHECK(args["crew.attempts"] == 3);
            CHECK(args["crew.tags"] == nlohmann::json::array({"a", "b\"q"}));
            CHECK_FALSE(args.contains("gen_ai.prompt"));  // content never leaves through this exporter
        }
        if (args["span_id"] == "0000000000000005") {
            CHECK(args["status"] == "error");
            CHECK(args["error_type"] == "timeout");
        }
    }
    CHECK(instants == 1);
    CHECK(xs.size() == views.size());
    CHECK(thread_names.size() == 2);
    CHECK(thread_names.count(1) == 1);

    // ts/dur are microseconds from the origin, to the nanosecond.
    for (const auto& e : xs)
        if (e.id == "0000000000000006") {
            CHECK(e.ts == doctest::Approx(5000.001));
            CHECK(e.dur == doctest::Approx(499.999));
        }
    // Every child lies within its parent when both are on the same thread.
    std::map<std::string, const event*> by_id;
    for (const auto& e : xs) by_id[e.id] = &e;
    int nested = 0;
    for (const auto& e : xs) {
        if (e.parent.empty()) continue;
        const auto* p = by_id.at(e.parent);
        if (p->tid != e.tid) continue;
        ++nested;
        CHECK(e.ts >= p->ts);
        CHECK(e.ts + e.dur <= p->ts + p->dur + 1e-6);
    }
    CHECK(nested == 7);
    // And no two events on one thread overlap partially (the viewer's stacking rule).
    for (const auto& a : xs)
        for (const auto& b : xs) {
            if (&a == &b || a.tid != b.tid) continue;
            const bool disjoint = a.ts + a.dur <= b.ts || b.ts + b.dur <= a.ts;
            const bool a_in_b = a.ts >= b.ts && a.ts + a.dur <= b.ts + b.dur;
            const bool b_in_a = b.ts >= a.ts && b.ts + b.dur <= a.ts + a.dur;
            CHECK((disjoint || a_in_b || b_in_a));
        }
    std::remove(path.c_str());
}

TEST_CASE("spans before the origin get negative timestamps, exactly") {
    const auto path = temp_path("neg.json");
    tacit::perfetto_options po;
    po.origin_unix_ns = origin;
    {
        tacit::perfetto_exporter exp{path, po};
        tacit::span_view s;
        s.name = "crew_execution";
        s.context.span = {1};
        s.start_unix_ns = origin - 1'234'567;
        s.end_unix_ns = origin + 10;
        tacit::pipeline_stats st{};
        tacit::resource_view res{};
        CHECK(exp.export_spans({std::span{&s, 1}, st, res}).ok());
    }  // the destructor closes the array
    const auto j = read_json(path);
    bool seen = false;
    for (const auto& e : j["traceEvents"])
        if (e["ph"] == "X") {
            seen = true;
            CHECK(e["ts"].get<double>() == doctest::Approx(-1234.567));
            CHECK(e["dur"].get<double>() == doctest::Approx(1234.577));
        }
    CHECK(seen);
    std::remove(path.c_str());
}

TEST_CASE("an unwritable path is a clear error, and the default origin is today to the second") {
    CHECK_THROWS_AS(tacit::perfetto_exporter("/nonexistent/dir/trace.json"), std::runtime_error);
    const auto path = temp_path("origin.json");
    {
        tacit::perfetto_exporter exp{path};
        CHECK(exp.origin_unix_ns() % 1'000'000'000 == 0);
        CHECK(exp.origin_unix_ns() > origin);
    }
    const auto j = read_json(path);
    CHECK(j["traceEvents"].size() == 1);  // just the process name
    std::remove(path.c_str());
}
