// End-to-end OTLP throughput: crew-like spans recorded through a real tacit::pipeline and
// delivered by otlp_http_exporter to tests/otlp/receiver.mjs on 127.0.0.1, which decodes every
// request with the official OpenTelemetry protobuf definitions. Protobuf first, then JSON.
//
//   TACIT_NODE=$(which node) TACIT_OTLP_RECEIVER=tests/otlp/receiver.mjs otlp_e2e [spans]
//
// (`meson test --benchmark otlp_e2e` sets both.) Prints spans/s delivered and the exporter's
// counts, and exits 1 unless every recorded span is accounted for: recorded = delivered +
// dropped, delivered = exported + rejected + failed, and the receiver decoded every exported one.
#include <chrono>    // wall time
#include <cstdint>   // counts
#include <cstdio>    // the report
#include <cstdlib>   // arguments, exit codes
#include <exception> // a receiver that does not start
#include <string>    // receiver answers

#include "../tests/otlp/receiver.hpp"
#include "bench_schema.hpp"
#include "tacit/exporters/otlp_http.hpp"

namespace {

using namespace std::chrono_literals;

struct model : tacit::attribute<"gen_ai.request.model", std::string_view> {};
struct input_tokens : tacit::attribute<"gen_ai.usage.input_tokens", std::int64_t> {};
struct output_tokens : tacit::attribute<"gen_ai.usage.output_tokens", std::int64_t> {};
struct crew_name : tacit::attribute<"crew.name", std::string_view> {};
struct agent_index : tacit::attribute<"crew.agent.index", std::int64_t> {};
struct crew_kickoff : tacit::span_kind<"crew_kickoff", crew_name> {};
struct agent_execution : tacit::span_kind<"agent_execution", agent_index> {};
struct task_execution : tacit::span_kind<"task_execution"> {};
struct llm_call : tacit::span_kind<"llm_call", model, input_tokens, output_tokens> {};

/// One crew run, ten spans: kickoff > agent > two tasks > each a tool call and two LLM calls.
constexpr std::uint64_t spans_per_run = 10;

void record_run(tacit::pipeline& p, std::int64_t i) {
    auto crew = tacit::start<crew_kickoff>(p);
    crew.set<crew_name>("research_crew");
    auto agent = tacit::start<agent_execution>(p);
    agent.set<agent_index>(0);
    for (int t = 0; t < 2; ++t) {
        auto task = tacit::start<task_execution>(p);
        record_tool_span(p, i);
        for (int l = 0; l < 2; ++l) {
            auto llm = tacit::start<llm_call>(p);
            llm.set<model>("gpt-4o-mini").set<input_tokens>(1834 + i % 100).set<output_tokens>(211);
        }
    }
}

/// A number from the receiver's /stats JSON ({"requests":3,"spans":1536,...}).
double stat(const std::string& json, const std::string& key) {
    const auto p = json.find("\"" + key + "\":");
    return p == std::string::npos ? -1 : std::strtod(json.c_str() + p + key.size() + 3, nullptr);
}

/// Runs one encoding; returns whether every span was accounted for.
bool run(otlp_test::receiver& r, tacit::otlp_protocol protocol, const char* label, std::uint64_t runs) {
    r.reset();
    tacit::pipeline_options po;
    po.ring_bytes = std::size_t{256} << 20;  // every span fits: this measures delivery, not the ring
    po.schedule_delay = 10ms;
    po.watch_environment = false;
    po.service_name = "otlp-e2e";
    tacit::pipeline p{po};
    tacit::otlp_http_options o;
    o.endpoint = r.base();
    o.protocol = protocol;
    o.timeout = 30000ms;
    auto& ex = p.emplace_exporter<tacit::otlp_http_exporter>(o);

    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < runs; ++i) record_run(p, static_cast<std::int64_t>(i));
    const double recorded_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const bool flushed = p.force_flush(50000ms);
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    p.shutdown(5000ms);

    const auto st = p.stats();
    const auto c = ex.counters();
    const std::string rs = r.stats();
    const double got = stat(rs, "spans"), busy_ms = stat(rs, "busy_ms"), decode_errors = stat(rs, "decode_errors");
    const std::uint64_t dropped = st.dropped_ring_full + st.dropped_shutdown + st.dropped_disabled;
    const std::uint64_t expected = tacit::compiled_in ? runs * spans_per_run : 0;
    std::printf("%-8s %llu spans in %.3f s (recorded in %.3f s): %.0f spans/s delivered\n", label,
                static_cast<unsigned long long>(c.spans_exported), wall_s, recorded_s,
                static_cast<double>(c.spans_exported) / wall_s);
    std::printf("         recorded=%llu delivered=%llu dropped=%llu exported=%llu rejected=%llu failed=%llu\n",
                static_cast<unsigned long long>(st.recorded), static_cast<unsigned long long>(st.delivered),
                static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(c.spans_exported),
                static_cast<unsigned long long>(c.spans_rejected), static_cast<unsigned long long>(c.spans_failed));
    // Exports are synchronous: the run is tacit's work (record, encode, send) plus the receiver's.
    std::printf("         %llu requests, %.1f MB sent (%.0f bytes/span); receiver decoded %.0f spans, busy %.3f s "
                "(%.0f %% of the run), the rest %.3f s\n",
                static_cast<unsigned long long>(c.requests), static_cast<double>(c.bytes_sent) / 1e6,
                c.spans_exported ? static_cast<double>(c.bytes_sent) / static_cast<double>(c.spans_exported) : 0.0,
                got, busy_ms / 1000, 100 * busy_ms / 1000 / wall_s, wall_s - busy_ms / 1000);
    if (busy_ms / 1000 > 0.5 * wall_s)
        std::printf("         bottleneck: the receiver's decoding (node, protobufjs, one thread), not tacit\n");

    bool ok = true;
    auto require = [&](bool cond, const char* what) {
        if (!cond) std::printf("FAIL %s: %s\n", label, what);
        ok = ok && cond;
    };
    require(flushed, "force_flush timed out");
    require(st.recorded == expected, "recorded != spans recorded by this program");
    require(st.recorded == st.delivered + dropped, "recorded != delivered + dropped");
    require(st.delivered == c.spans_exported + c.spans_rejected + c.spans_failed, "delivered != exported + rejected + failed");
    require(got == static_cast<double>(c.spans_exported + c.spans_rejected), "the receiver decoded another number of spans");
    require(decode_errors == 0, "the receiver could not decode a request");
    require(!tacit::compiled_in || c.spans_exported > 0, "nothing was exported");
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t spans = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
    const std::uint64_t runs = (spans + spans_per_run - 1) / spans_per_run;
    for (const char* v : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) unsetenv(v);  // loopback only
    try {
        otlp_test::receiver r({"--count"});
        const bool pb = run(r, tacit::otlp_protocol::http_protobuf, "protobuf", runs);
        const bool json = run(r, tacit::otlp_protocol::http_json, "json", runs);
        return pb && json ? EXIT_SUCCESS : EXIT_FAILURE;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "otlp_e2e: %s\n", e.what());
        return EXIT_FAILURE;
    }
}
