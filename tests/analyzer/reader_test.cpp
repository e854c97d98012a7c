// The offline reader: tacit's JSON-lines format in, analyzer statistics out; bad lines counted.
#include <doctest/doctest.h>

#include <sstream>
#include <stdexcept>

#include <tacit/analyzer_reader.hpp>

#include "feed.hpp"

TEST_CASE("a generated trace reads back to the same statistics as live feeding") {
    scenario::options o;
    o.runs = 25;
    o.web_search_error = 0.2;
    o.loop = o.unfinished = true;
    const auto gen = scenario::generate(o);
    std::istringstream in(scenario::to_text(gen) + scenario::stats_line(500, 4, 1) + "\n");
    tacit::analyzer offline;
    const auto rd = tacit::read_jsonl(in, offline);
    CHECK(rd.spans == gen.spans.size());
    CHECK(rd.stats == 1);
    CHECK(rd.malformed == 0);
    tacit::analyzer live;
    scenario::feed(live, gen);
    const auto a = offline.result(), b = live.result();
    CHECK(a.spans == b.spans);
    CHECK(a.errors == b.errors);
    REQUIRE(a.tools.size() == b.tools.size());
    for (std::size_t i = 0; i < a.tools.size(); ++i) {
        CHECK(a.tools[i].name == b.tools[i].name);
        CHECK(a.tools[i].count == b.tools[i].count);
        CHECK(a.tools[i].latency_ns.quantile(0.9) == b.tools[i].latency_ns.quantile(0.9));
    }
    CHECK(a.has_pipeline_stats);
    CHECK(a.pipeline.dropped_ring_full == 4);
    CHECK(a.pipeline.dropped_shutdown == 1);
    CHECK(a.findings.size() == b.findings.size() + 1);  // + the drops only the file knows
}

TEST_CASE("malformed lines are counted with the first reason, and reading goes on") {
    const std::string good =
        R"({"type":"span","name":"tool_usage","trace_id":"0000000000000001000000000000000a","span_id":"00000000000000aa","parent_span_id":"","start_unix_ns":100,"end_unix_ns":350,"status":"error","error_type":"timeout","thread":3,"attributes":{"gen_ai.tool.name":"web_search","crew.attempts":3,"ratio":0.5,"ok":true,"tags":["a","b"],"scores":[1,2,3],"nan":null},"events":[],"dropped_attributes":0})";
    std::istringstream in("this is not json\n"
                          "[1,2,3]\n"
                          "\n"
                          R"({"type":"span","start_unix_ns":1,"end_unix_ns":2,"span_id":"00000000000000ab"})" "\n"
                          R"({"type":"span","name":"x","start_unix_ns":"soon","end_unix_ns":2,"span_id":"00000000000000ab"})" "\n"
                          R"({"type":"span","name":"x","start_unix_ns":1,"end_unix_ns":2,"span_id":"ZZ"})" "\n"
                          R"({"type":"span","name":"x","start_unix_ns":1,"end_unix_ns":2,"span_id":"00000000000000ab","parent_span_id":"12"})" "\n"
                          R"({"type":"span","name":"x","start_unix_ns":1,"end_unix_ns":2,"span_id":"00000000000000ac","attributes":{"deep":{"a":1}}})" "\n"
                          R"({"type":"metric","name":"tokens"})" "\n" +
                          good + "\n{\"type\":\"span\",\"name\":\"trunc");
    tacit::analyzer a;
    const auto rd = tacit::read_jsonl(in, a);
    CHECK(rd.lines == 10);
    CHECK(rd.spans == 1);
    CHECK(rd.other == 1);
    CHECK(rd.malformed == 8);
    CHECK(rd.first_error == "line 1: not valid JSON");
    const auto r = a.result();
    REQUIRE(r.tool("web_search"));
    CHECK(r.tool("web_search")->errors == 1);
    CHECK(r.tool("web_search")->latency_ns.max() == 250);
    CHECK(r.tool("web_search")->error_types.front().first == "timeout");
}

TEST_CASE("each malformed reason is named") {
    auto first_error = [](const std::string& line) {
        std::istringstream in(line + "\n");
        tacit::analyzer a;
        return tacit::read_jsonl(in, a).first_error;
    };
    CHECK(first_error("[1]") == "line 1: not a JSON object");
    CHECK(first_error(R"({"type":"span","start_unix_ns":1,"end_unix_ns":2})") == "line 1: span without a \"name\"");
    CHECK(first_error(R"({"type":"span","name":"x","start_unix_ns":-1,"end_unix_ns":2})") ==
          "line 1: span without integer \"start_unix_ns\" and \"end_unix_ns\"");
    CHECK(first_error(R"({"type":"span","name":"x","start_unix_ns":1,"end_unix_ns":2,"span_id":"00000000000000AB"})") ==
          "line 1: span without a 16-hex-digit \"span_id\"");
    CHECK(first_error(R"({"type":"span","name":"x","start_unix_ns":1,"end_unix_ns":2,"span_id":"00000000000000ab","attributes":{"o":{}}})") ==
          "line 1: attribute value of an unsupported type");
    CHECK(first_error(R"({"type":"span","name":"x","start_unix_ns":1,"end_unix_ns":2,"span_id":"00000000000000ab","attributes":{"a":[[1]]}})") ==
          "line 1: attribute value of an unsupported type");
    CHECK(first_error(R"({"type":"span","name":"x","start_unix_ns":1.5,"end_unix_ns":2,"span_id":"00000000000000ab"})") ==
          "line 1: span without integer \"start_unix_ns\" and \"end_unix_ns\"");
    CHECK(first_error("42") == "line 1: not a JSON object");
    // Events and unknown fields are skipped, whatever they hold.
    CHECK(first_error(R"({"type":"span","name":"x","start_unix_ns":1,"end_unix_ns":2,"span_id":"00000000000000ab","events":[{"name":"e","attributes":{"o":{"deep":[1,[2]]}}}],"extra":{"k":[{}]}})").empty());
}

TEST_CASE("a missing file is an error, an empty one is no spans") {
    tacit::analyzer a;
    CHECK_THROWS_AS(tacit::read_jsonl_file("/nonexistent/tacit/trace.jsonl", a), std::runtime_error);
    std::istringstream empty("");
    const auto rd = tacit::read_jsonl(empty, a);
    CHECK(rd.lines == 0);
    CHECK(rd.spans == 0);
    CHECK(a.result().findings.empty());
}
