#pragma once
// Hand-built span views covering every value type, status, kind, parent link, event, span
// link and tracestate, shared by the OTLP unit and integration tests.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tacit/exporter.hpp"

namespace otlp_test {

inline constexpr tacit::trace_id trace_a{0x0af7651916cd43ddULL, 0x8448eb211c80319cULL};
inline constexpr tacit::trace_id trace_b{0x4bf92f3577b34da6ULL, 0xa3ce929d0e0e4736ULL};
inline constexpr tacit::trace_id trace_c{0x5b8efff798038103ULL, 0xd269b633813fc60cULL};
// W3C allows '"' and a backslash in tracestate values: the JSON encoding must escape them.
inline constexpr std::string_view link_state = "tenant@vendor=q\"uo\\te,rojo=00f067aa0ba902b7";
inline constexpr std::string_view span_state = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
inline constexpr std::uint64_t t0 = 1'700'000'000'123'456'789ULL;  // above 2^53: JSON numbers would lose it

struct sample_batch {
    std::array<tacit::value_view, 2> bools{tacit::value_view::of(true), tacit::value_view::of(false)};
    std::array<tacit::value_view, 3> ints{tacit::value_view::of(std::int64_t{1}), tacit::value_view::of(std::int64_t{-2}),
                                          tacit::value_view::of(std::int64_t{9007199254740993})};
    std::array<tacit::value_view, 2> doubles{tacit::value_view::of(0.5), tacit::value_view::of(-1.25)};
    std::array<tacit::value_view, 2> strings{tacit::value_view::of(std::string_view("web_search")),
                                             tacit::value_view::of(std::string_view("q\"uote\\ \xc3\xa9 \n"))};

    std::vector<tacit::attribute_view> crew_attrs{
        {"crew.name", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view("research_crew"))},
        {"crew.memory", tacit::sensitivity::public_data, tacit::value_view::of(true)},
        {"crew.cache", tacit::sensitivity::public_data, tacit::value_view::of(false)},
        {"crew.agents", tacit::sensitivity::public_data, tacit::value_view::of(std::int64_t{3})},
        {"crew.negative", tacit::sensitivity::public_data, tacit::value_view::of(std::int64_t{-42})},
        {"crew.big", tacit::sensitivity::public_data, tacit::value_view::of(std::int64_t{9007199254740993})},
        {"llm.temperature", tacit::sensitivity::public_data, tacit::value_view::of(0.7)},
        {"crew.flags", tacit::sensitivity::public_data, tacit::value_view::array(tacit::value_type::bool_array, bools)},
        {"crew.ids", tacit::sensitivity::public_data, tacit::value_view::array(tacit::value_type::int64_array, ints)},
        {"crew.weights", tacit::sensitivity::public_data,
         tacit::value_view::array(tacit::value_type::float64_array, doubles)},
        {"crew.tools", tacit::sensitivity::public_data, tacit::value_view::array(tacit::value_type::string_array, strings)},
        {"crew.empty", tacit::sensitivity::public_data, tacit::value_view::array(tacit::value_type::string_array, {})},
        {"crew.goal", tacit::sensitivity::content, tacit::value_view::of(std::string_view("find \"x\"\ttoday"))},
    };
    std::vector<tacit::attribute_view> tool_attrs{
        {"gen_ai.tool.name", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view("web_search"))},
        {"crew.attempts", tacit::sensitivity::public_data, tacit::value_view::of(std::int64_t{3})},
    };
    std::vector<tacit::attribute_view> retry_attrs{
        {"retry.attempt", tacit::sensitivity::public_data, tacit::value_view::of(std::int64_t{2})},
        {"retry.delay_s", tacit::sensitivity::public_data, tacit::value_view::of(0.25)},
    };
    std::vector<tacit::event_view> tool_events{
        {"retry", t0 + 1500, retry_attrs},
        {"done", t0 + 1900, {}},
    };
    std::vector<tacit::attribute_view> link_attrs{
        {"messaging.message.id", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view("msg-17"))},
        {"link.index", tacit::sensitivity::public_data, tacit::value_view::of(std::int64_t{-7})},
        {"link.weight", tacit::sensitivity::public_data, tacit::value_view::of(0.125)},
        {"link.first", tacit::sensitivity::public_data, tacit::value_view::of(true)},
        {"link.tools", tacit::sensitivity::public_data, tacit::value_view::array(tacit::value_type::string_array, strings)},
    };
    // Every combination of the flags a link carries: remote or local, sampled or not.
    std::vector<tacit::link_view> tool_links{
        {{trace_b, {0x2222222222222222ULL}, 1, true}, link_state, link_attrs},  // 0x301 = 769
        {{trace_a, {0x00f067aa0ba902b7ULL}, 0, false}, {}, {}},                  // 0x100 = 256
    };
    std::vector<tacit::link_view> remote_links{
        {{trace_c, {0x3333333333333333ULL}, 1, false}, "congo=t61rcWkgMzE", {}},  // 0x101 = 257
        {{trace_c, {0x4444444444444444ULL}, 0, true}, {}, link_attrs},            // 0x300 = 768
    };
    std::vector<tacit::attribute_view> resource_attrs{
        {"deployment.environment", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view("test"))},
    };

    std::vector<tacit::span_view> spans;
    tacit::pipeline_stats stats{};
    tacit::resource_view resource{"crew-demo", "1.2.3", resource_attrs};

    sample_batch() {
        tacit::span_view crew;
        crew.name = "crew_kickoff";
        crew.role = tacit::span_role::server;
        crew.context = {trace_a, {0x00f067aa0ba902b7ULL}, 1, false};
        crew.start_unix_ns = t0;
        crew.end_unix_ns = t0 + 5000;
        crew.status = tacit::status_code::ok;
        crew.attributes = crew_attrs;
        crew.thread = 1;
        spans.push_back(crew);

        tacit::span_view tool;
        tool.name = "tool_usage";
        tool.role = tacit::span_role::client;
        tool.context = {trace_a, {0x53995c3f42cd8ad8ULL}, 1, false};
        tool.parent = {0x00f067aa0ba902b7ULL};
        tool.start_unix_ns = t0 + 1000;
        tool.end_unix_ns = t0 + 2000;
        tool.status = tacit::status_code::error;
        tool.error_type = "timeout";
        tool.attributes = tool_attrs;
        tool.events = tool_events;
        tool.dropped_attributes = 3;
        tool.dropped_events = 1;
        tool.links = tool_links;
        tool.dropped_links = 5;
        spans.push_back(tool);

        tacit::span_view remote;
        remote.name = "task_execution";
        remote.role = tacit::span_role::consumer;
        remote.context = {trace_b, {0x1111111111111111ULL}, 0, false};
        remote.parent = {0x00f067aa0ba902b7ULL};
        remote.parent_remote = true;
        remote.trace_state = span_state;
        remote.links = remote_links;
        remote.start_unix_ns = t0 + 10;
        remote.end_unix_ns = t0 + 20;
        spans.push_back(remote);
    }

    sample_batch(const sample_batch&) = delete;
    tacit::export_batch batch() const { return {spans, stats, resource}; }
};

}  // namespace otlp_test
