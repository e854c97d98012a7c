// The OTLP/HTTP exporter against a real receiver: tests/otlp/receiver.mjs decodes every
// request with the official OpenTelemetry JS protobuf definitions and logs what it saw.
// The receiver is started here (node, loopback, random port) and always killed at exit;
// without node or its node_modules (`npm ci --prefix tests/otlp`) these tests fail.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "receiver.hpp"
#include "sample_spans.hpp"
#include "tacit/exporters/otlp_http.hpp"
#include "tacit/tacit.hpp"
#include "tacit/trace_context.hpp"

namespace {

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

using otlp_test::http;
using otlp_test::receiver;

// Every exporter here talks to loopback: a proxy from the CI environment must not intercept it.
// (The proxy test sets its own.)
const bool proxies_cleared = [] {
    for (const char* v : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) unsetenv(v);
    return true;
}();

receiver& peer() {
    static receiver r;  // destroyed (node killed) at exit
    r.reset();
    return r;
}

std::vector<std::string> lines_of(const std::string& log) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (auto nl = log.find('\n'); nl != std::string::npos; nl = log.find('\n', start)) {
        out.push_back(log.substr(start, nl - start));
        start = nl + 1;
    }
    return out;
}

int count_lines(const std::string& log, std::string_view prefix) {
    int n = 0;
    for (const auto& l : lines_of(log))
        if (l.starts_with(prefix)) ++n;
    return n;
}

void require_lines(const std::string& log, const std::vector<std::string>& expected) {
    const auto got = lines_of(log);
    for (const auto& e : expected) {
        INFO("expected line: " << e << "\nreceiver log:\n" << log);
        CHECK(std::find(got.begin(), got.end(), e) != got.end());
    }
}

/// What the receiver must have decoded from otlp_test::sample_batch.
void check_sample(const std::string& log) {
    require_lines(log, {
        "decode ok",
        "resource telemetry.sdk.name=string:\"tacit\"",
        "resource telemetry.sdk.language=string:\"cpp\"",
        "resource telemetry.sdk.version=string:\"" TACIT_VERSION_STRING "\"",
        "resource service.name=string:\"crew-demo\"",
        "resource service.version=string:\"1.2.3\"",
        "resource deployment.environment=string:\"test\"",
        "scope tacit " TACIT_VERSION_STRING,
        "span crew_kickoff trace=0af7651916cd43dd8448eb211c80319c span=00f067aa0ba902b7 parent=- kind=2 "
        "start=1700000000123456789 end=1700000000123461789 flags=257 status=1: dropped_attrs=0 dropped_events=0 "
        "trace_state=\"\" links=0 dropped_links=0",
        "attr crew_kickoff crew.name string:\"research_crew\"",
        "attr crew_kickoff crew.memory bool:true",
        "attr crew_kickoff crew.cache bool:false",
        "attr crew_kickoff crew.agents int:3",
        "attr crew_kickoff crew.negative int:-42",
        "attr crew_kickoff crew.big int:9007199254740993",
        "attr crew_kickoff llm.temperature double:0.7",
        "attr crew_kickoff crew.flags array:[bool:true,bool:false]",
        "attr crew_kickoff crew.ids array:[int:1,int:-2,int:9007199254740993]",
        "attr crew_kickoff crew.weights array:[double:0.5,double:-1.25]",
        "attr crew_kickoff crew.tools array:[string:\"web_search\",string:\"q\\\"uote\\\\ \xc3\xa9 \\n\"]",
        "attr crew_kickoff crew.empty array:[]",
        "attr crew_kickoff crew.goal string:\"find \\\"x\\\"\\ttoday\"",
        "span tool_usage trace=0af7651916cd43dd8448eb211c80319c span=53995c3f42cd8ad8 parent=00f067aa0ba902b7 "
        "kind=3 start=1700000000123457789 end=1700000000123458789 flags=257 status=2:timeout dropped_attrs=3 "
        "dropped_events=1 trace_state=\"\" links=2 dropped_links=5",
        "attr tool_usage gen_ai.tool.name string:\"web_search\"",
        "attr tool_usage crew.attempts int:3",
        "attr tool_usage error.type string:\"timeout\"",
        "event tool_usage retry 1700000000123458289",
        "eattr tool_usage retry retry.attempt int:2",
        "eattr tool_usage retry retry.delay_s double:0.25",
        "event tool_usage done 1700000000123458689",
        "span task_execution trace=4bf92f3577b34da6a3ce929d0e0e4736 span=1111111111111111 parent=00f067aa0ba902b7 "
        "kind=5 start=1700000000123456799 end=1700000000123456809 flags=768 status=none dropped_attrs=0 "
        "dropped_events=0 trace_state=\"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE\" links=2 dropped_links=0",
        // Links: ids, tracestate (quotes and backslashes intact), flags = trace flags | has-is-remote | is-remote.
        "link tool_usage 0 trace=4bf92f3577b34da6a3ce929d0e0e4736 span=2222222222222222 "
        "trace_state=\"tenant@vendor=q\\\"uo\\\\te,rojo=00f067aa0ba902b7\" flags=769 dropped_attrs=0",
        "link tool_usage 1 trace=0af7651916cd43dd8448eb211c80319c span=00f067aa0ba902b7 trace_state=\"\" flags=256 "
        "dropped_attrs=0",
        "link task_execution 0 trace=5b8efff798038103d269b633813fc60c span=3333333333333333 "
        "trace_state=\"congo=t61rcWkgMzE\" flags=257 dropped_attrs=0",
        "link task_execution 1 trace=5b8efff798038103d269b633813fc60c span=4444444444444444 trace_state=\"\" "
        "flags=768 dropped_attrs=0",
    });
    for (std::string prefix : {"lattr tool_usage 0 ", "lattr task_execution 1 "}) {
        require_lines(log, {prefix + "messaging.message.id string:\"msg-17\"", prefix + "link.index int:-7",
                            prefix + "link.weight double:0.125", prefix + "link.first bool:true",
                            prefix + "link.tools array:[string:\"web_search\",string:\"q\\\"uote\\\\ \xc3\xa9 \\n\"]"});
        CHECK(count_lines(log, prefix) == 5);
    }
    CHECK(count_lines(log, "link ") == 4);
    CHECK(count_lines(log, "lattr ") == 10);
    CHECK(count_lines(log, "span ") == 3);
    CHECK(count_lines(log, "attr crew_kickoff ") == 13);
    CHECK(count_lines(log, "attr tool_usage ") == 3);
    CHECK(count_lines(log, "attr task_execution ") == 0);
    CHECK(count_lines(log, "resource ") == 6);
}

/// The body size the receiver saw in request `i`.
std::uint64_t request_bytes(const std::string& log, int i) {
    for (const auto& l : lines_of(log))
        if (l.starts_with("request " + std::to_string(i) + " ")) {
            const auto p = l.find(" bytes=");
            return std::stoull(l.substr(p + 7));
        }
    return 0;
}

std::string field_of(const std::string& log, int i, const std::string& key) {
    for (const auto& l : lines_of(log))
        if (l.starts_with("request " + std::to_string(i) + " ")) {
            const auto p = l.find(" " + key + "=");
            if (p == std::string::npos) return {};
            const auto start = p + key.size() + 2;
            return l.substr(start, l.find(' ', start) - start);
        }
    return {};
}

tacit::otlp_http_options opts(receiver& r, tacit::otlp_protocol p = tacit::otlp_protocol::http_protobuf,
                              tacit::otlp_compression c = tacit::otlp_compression::none) {
    tacit::otlp_http_options o;
    o.endpoint = r.base();
    o.protocol = p;
    o.compression = c;
    o.timeout = 5000ms;
    o.initial_backoff = 50ms;
    o.max_backoff = 200ms;
    return o;
}

double seconds_since(clk::time_point t) { return std::chrono::duration<double>(clk::now() - t).count(); }

}  // namespace

TEST_CASE("every encoding is decoded by the official OpenTelemetry decoder") {
    struct variant {
        tacit::otlp_protocol p;
        tacit::otlp_compression c;
        const char* content_type;
        const char* encoding;
    };
    for (auto v : {variant{tacit::otlp_protocol::http_protobuf, tacit::otlp_compression::none, "application/x-protobuf", "-"},
                   variant{tacit::otlp_protocol::http_json, tacit::otlp_compression::none, "application/json", "-"},
                   variant{tacit::otlp_protocol::http_protobuf, tacit::otlp_compression::gzip, "application/x-protobuf", "gzip"},
                   variant{tacit::otlp_protocol::http_json, tacit::otlp_compression::gzip, "application/json", "gzip"}}) {
        INFO(v.content_type << " " << v.encoding);
        auto& r = peer();
        otlp_test::sample_batch s;
        tacit::otlp_http_exporter e(opts(r, v.p, v.c));
        const auto res = e.export_spans(s.batch());
        CHECK(res.ok());
        CHECK(res.rejected == 0);
        const auto log = r.log();
        check_sample(log);
        CHECK(field_of(log, 0, "path") == "/v1/traces");
        CHECK(field_of(log, 0, "content-type") == v.content_type);
        CHECK(field_of(log, 0, "content-encoding") == v.encoding);
        const auto c = e.counters();
        CHECK(c.spans_exported == 3);
        CHECK(c.spans_failed == 0);
        CHECK(c.requests == 1);
        CHECK(c.retries == 0);
        CHECK(c.bytes_sent == request_bytes(log, 0));
        CHECK(c.bytes_sent > 0);
        CHECK(e.stats().exported == 3);
    }
}

TEST_CASE("gzip shrinks a large batch, and the receiver inflates it") {
    auto& r = peer();
    otlp_test::sample_batch s;
    std::vector<tacit::span_view> many;
    for (int i = 0; i < 200; ++i) many.insert(many.end(), s.spans.begin(), s.spans.end());
    const tacit::export_batch big{many, s.stats, s.resource};
    tacit::otlp_http_exporter plain(opts(r));
    tacit::otlp_http_exporter gz(opts(r, tacit::otlp_protocol::http_protobuf, tacit::otlp_compression::gzip));
    CHECK(plain.export_spans(big).ok());
    CHECK(gz.export_spans(big).ok());
    const auto log = r.log();
    CHECK(count_lines(log, "decode ok") == 2);
    CHECK(count_lines(log, "span crew_kickoff ") == 400);
    CHECK(gz.counters().bytes_sent * 5 < plain.counters().bytes_sent);
    CHECK(gz.counters().spans_exported == 600);
}

TEST_CASE("one connection is reused across exports; headers and user agent are sent") {
    auto& r = peer();
    otlp_test::sample_batch s;
    auto o = opts(r);
    o.headers = {{"x-tenant", "acme"}, {"x-api-key", "k 1"}};
    tacit::otlp_http_exporter e(o);
    for (int i = 0; i < 3; ++i) CHECK(e.export_spans(s.batch()).ok());
    const auto log = r.log();
    CHECK(count_lines(log, "request ") == 3);
    CHECK(field_of(log, 0, "remote-port") == field_of(log, 1, "remote-port"));
    CHECK(field_of(log, 1, "remote-port") == field_of(log, 2, "remote-port"));
    require_lines(log, {"header x-tenant=acme", "header x-api-key=k 1",
                        "user-agent tacit/" TACIT_VERSION_STRING " (OTLP/HTTP; C++)"});
}

TEST_CASE("a traces endpoint is used as-is") {
    auto& r = peer();
    otlp_test::sample_batch s;
    auto o = opts(r);
    o.traces_endpoint = r.base() + "/custom/traces";
    tacit::otlp_http_exporter e(o);
    CHECK(e.export_spans(s.batch()).ok());
    CHECK(field_of(r.log(), 0, "path") == "/custom/traces");
}

TEST_CASE("configured from the environment alone") {
    auto& r = peer();
    otlp_test::sample_batch s;
    s.resource = tacit::resource_view{};  // let OTEL_SERVICE_NAME through
    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", r.base().c_str(), 1);
    setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
    setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
    setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-from-env=yes%2C%20really", 1);
    setenv("OTEL_SERVICE_NAME", "env-service", 1);
    setenv("OTEL_RESOURCE_ATTRIBUTES", "team=ml", 1);
    tacit::otlp_http_exporter e;
    for (const char* v : {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_COMPRESSION",
                          "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"})
        unsetenv(v);
    CHECK(e.export_spans(s.batch()).ok());
    const auto log = r.log();
    CHECK(field_of(log, 0, "content-type") == "application/json");
    CHECK(field_of(log, 0, "content-encoding") == "gzip");
    require_lines(log, {"decode ok", "header x-from-env=yes, really", "resource service.name=string:\"env-service\"",
                        "resource team=string:\"ml\""});
    CHECK(e.counters().config_errors == 0);
}

TEST_CASE("503 then 200: retried once, delivered") {
    auto& r = peer();
    r.queue("503");
    otlp_test::sample_batch s;
    tacit::otlp_http_exporter e(opts(r));
    CHECK(e.export_spans(s.batch()).ok());
    const auto c = e.counters();
    CHECK(c.requests == 2);
    CHECK(c.retries == 1);
    CHECK(c.spans_exported == 3);
    CHECK(c.spans_failed == 0);
    const auto log = r.log();
    CHECK(field_of(log, 0, "mode") == "503");
    CHECK(field_of(log, 1, "mode") == "ok");
    CHECK(count_lines(log, "decode ok") == 2);
}

TEST_CASE("502 and 504 are retried too, with growing backoff") {
    auto& r = peer();
    r.queue("502\n504\n503");
    otlp_test::sample_batch s;
    tacit::otlp_http_exporter e(opts(r));
    const auto t = clk::now();
    CHECK(e.export_spans(s.batch()).ok());
    // 50 + 100 + 200 ms, each jittered to 80-120 %.
    CHECK(seconds_since(t) >= 0.27);
    CHECK(e.counters().retries == 3);
    CHECK(e.counters().spans_exported == 3);
}

TEST_CASE("429 with Retry-After: 1 waits about a second") {
    auto& r = peer();
    r.queue("429:1");
    otlp_test::sample_batch s;
    tacit::otlp_http_exporter e(opts(r));
    const auto t = clk::now();
    CHECK(e.export_spans(s.batch()).ok());
    const double took = seconds_since(t);
    CHECK(took >= 0.95);
    CHECK(took < 3.0);
    CHECK(e.counters().retries == 1);
    CHECK(e.counters().spans_exported == 3);
}

TEST_CASE("Retry-After beyond the deadline gives up at once") {
    auto& r = peer();
    r.queue("429:30");
    otlp_test::sample_batch s;
    auto o = opts(r);
    o.timeout = 2000ms;
    std::vector<std::string> said;
    o.on_error = [&](std::string_view m) { said.emplace_back(m); };
    tacit::otlp_http_exporter e(o);
    const auto t = clk::now();
    CHECK_FALSE(e.export_spans(s.batch()).ok());
    CHECK(seconds_since(t) < 1.0);
    CHECK(e.counters().spans_failed == 3);
    CHECK(e.counters().requests == 1);
    REQUIRE(said.size() == 1);
    CHECK(said[0].find("HTTP 429") != std::string::npos);
}

TEST_CASE("400 is not retried: spans dropped and counted") {
    auto& r = peer();
    r.queue("400");
    otlp_test::sample_batch s;
    auto o = opts(r);
    std::vector<std::string> said;
    o.on_error = [&](std::string_view m) { said.emplace_back(m); };
    tacit::otlp_http_exporter e(o);
    CHECK_FALSE(e.export_spans(s.batch()).ok());
    const auto c = e.counters();
    CHECK(c.requests == 1);
    CHECK(c.retries == 0);
    CHECK(c.spans_failed == 3);
    CHECK(c.spans_exported == 0);
    CHECK(c.failed_exports == 1);
    REQUIRE(said.size() == 1);
    CHECK(said[0].find("HTTP 400") != std::string::npos);
    CHECK(said[0].find("receiver answered 400") != std::string::npos);
    // The next export goes through on the same exporter.
    CHECK(e.export_spans(s.batch()).ok());
    CHECK(e.counters().spans_exported == 3);
}

TEST_CASE("partial success: rejected spans counted, message reported (protobuf and JSON)") {
    for (auto p : {tacit::otlp_protocol::http_protobuf, tacit::otlp_protocol::http_json}) {
        auto& r = peer();
        r.queue("partial:2:spans too old");
        otlp_test::sample_batch s;
        auto o = opts(r, p);
        std::vector<std::string> said;
        o.on_error = [&](std::string_view m) { said.emplace_back(m); };
        tacit::otlp_http_exporter e(o);
        const auto res = e.export_spans(s.batch());
        CHECK(res.ok());
        CHECK(res.rejected == 2);
        const auto c = e.counters();
        CHECK(c.spans_rejected == 2);
        CHECK(c.spans_exported == 1);
        CHECK(c.requests == 1);
        REQUIRE(said.size() == 1);
        CHECK(said[0].find("rejected 2 of 3 spans: spans too old") != std::string::npos);
    }
}

TEST_CASE("connection reset is retried; endless resets fail after max_attempts") {
    auto& r = peer();
    r.queue("reset");
    otlp_test::sample_batch s;
    tacit::otlp_http_exporter e(opts(r));
    CHECK(e.export_spans(s.batch()).ok());
    CHECK(e.counters().requests == 2);
    CHECK(e.counters().spans_exported == 3);

    r.queue("reset\nreset\nreset\nreset");
    auto o = opts(r);
    o.max_attempts = 3;
    tacit::otlp_http_exporter f(o);
    CHECK_FALSE(f.export_spans(s.batch()).ok());
    const auto c = f.counters();
    CHECK(c.requests == 3);
    CHECK(c.retries == 2);
    CHECK(c.spans_failed == 3);
    CHECK(c.spans_exported == 0);
}

TEST_CASE("a receiver slower than the timeout: the export gives up at the timeout") {
    auto& r = peer();
    r.queue("slow:3000");
    otlp_test::sample_batch s;
    auto o = opts(r);
    o.timeout = 500ms;
    tacit::otlp_http_exporter e(o);
    const auto t = clk::now();
    CHECK_FALSE(e.export_spans(s.batch()).ok());
    const double took = seconds_since(t);
    CHECK(took >= 0.45);
    CHECK(took < 1.5);
    CHECK(e.counters().spans_failed == 3);
    CHECK(e.counters().requests == 1);
}

using otlp_test::unused_port;

TEST_CASE("nothing listening: connection refused is retried, then counted as failed") {
    otlp_test::sample_batch s;
    tacit::otlp_http_options o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(unused_port());
    o.max_attempts = 4;
    o.initial_backoff = 20ms;
    o.max_backoff = 40ms;
    o.timeout = 3000ms;
    tacit::otlp_http_exporter e(o);
    const auto t = clk::now();
    CHECK_FALSE(e.export_spans(s.batch()).ok());
    CHECK(seconds_since(t) < 2.0);
    const auto c = e.counters();
    CHECK(c.requests == 4);
    CHECK(c.retries == 3);
    CHECK(c.spans_failed == 3);
    CHECK(c.failed_exports == 1);
}

TEST_CASE("shutdown from another thread cuts retries short and stops later exports") {
    otlp_test::sample_batch s;
    tacit::otlp_http_options o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(unused_port());
    o.max_attempts = 100;
    o.initial_backoff = 2000ms;
    o.max_backoff = 2000ms;
    o.timeout = 60000ms;
    tacit::otlp_http_exporter e(o);
    tacit::export_result res;
    double took = 0;
    std::thread bg([&] {
        const auto t = clk::now();
        res = e.export_spans(s.batch());
        took = seconds_since(t);
    });
    std::this_thread::sleep_for(300ms);
    const auto t = clk::now();
    e.shutdown(200ms);
    CHECK(seconds_since(t) < 1.0);
    bg.join();
    CHECK_FALSE(res.ok());
    CHECK(took < 1.5);
    CHECK(e.counters().spans_failed == 3);
    CHECK(e.counters().requests == 1);
    CHECK_FALSE(e.export_spans(s.batch()).ok());
    CHECK(e.counters().spans_failed == 6);
    CHECK(e.counters().requests == 1);
}

TEST_CASE("force_flush bounds an export stuck on a slow receiver") {
    auto& r = peer();
    r.queue("slow:4000");
    otlp_test::sample_batch s;
    auto o = opts(r);
    o.timeout = 20000ms;
    tacit::otlp_http_exporter e(o);
    tacit::export_result res;
    std::thread bg([&] { res = e.export_spans(s.batch()); });
    std::this_thread::sleep_for(300ms);
    const auto t = clk::now();
    const bool flushed = e.force_flush(300ms);
    const double took = seconds_since(t);
    bg.join();
    // libcurl polls the abort check about once a second while a transfer idles.
    CHECK(took < 1.6);
    CHECK_FALSE(res.ok());
    CHECK(e.counters().spans_failed == 3);
    (void)flushed;
    // Not shut down: the next export works.
    CHECK(e.export_spans(s.batch()).ok());
}

TEST_CASE("length prefixes across varint boundaries decode exactly") {
    auto& r = peer();
    const std::string s127(100, 'a'), s200(200, 'b'), s20k(20000, 'c'), s3m(2'100'000, 'd');
    std::vector<tacit::value_view> items(300, tacit::value_view::of(std::string_view("item")));
    std::vector<tacit::attribute_view> attrs{
        {"s.100", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view(s127))},
        {"s.200", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view(s200))},
        {"s.20k", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view(s20k))},
        {"s.array", tacit::sensitivity::public_data, tacit::value_view::array(tacit::value_type::string_array, items)},
    };
    std::vector<tacit::attribute_view> huge{
        {"s.2m", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view(s3m))},
    };
    const std::string state200(200, 's');
    std::vector<tacit::attribute_view> link_attrs{attrs[2]};
    std::vector<tacit::link_view> links{
        {{otlp_test::trace_b, {5}, 1, true}, state200, link_attrs},  // over 16383 bytes: a 3-byte link length
        {{otlp_test::trace_b, {6}, 1, false}, state200, {}},         // over 127 bytes: 2
    };
    std::vector<tacit::span_view> spans(3);
    spans[0].name = "tiny";  // well under 128 bytes: its 2-byte length guess shrinks
    spans[0].context = {otlp_test::trace_a, {1}, 1, false};
    spans[1].name = "big";  // over 16383 bytes: the guess grows
    spans[1].context = {otlp_test::trace_a, {2}, 1, false};
    spans[1].attributes = attrs;
    spans[1].trace_state = state200;
    spans[1].links = links;
    spans[1].dropped_links = 1000;
    spans[2].name = "huge";  // over 2^21 bytes: a 4-byte length
    spans[2].context = {otlp_test::trace_a, {3}, 1, false};
    spans[2].attributes = huge;
    tacit::pipeline_stats stats{};
    tacit::resource_view res{"svc", "", {}};
    for (auto p : {tacit::otlp_protocol::http_protobuf, tacit::otlp_protocol::http_json}) {
        r.reset();
        tacit::otlp_http_exporter e(opts(r, p));
        CHECK(e.export_spans({spans, stats, res}).ok());
        const auto log = r.log();
        std::string array_line = "attr big s.array array:[";
        for (int i = 0; i < 300; ++i) array_line += (i ? ",string:\"item\"" : "string:\"item\"");
        array_line += "]";
        require_lines(log, {"decode ok",
                            "span tiny trace=0af7651916cd43dd8448eb211c80319c span=0000000000000001 parent=- kind=1 "
                            "start=0 end=0 flags=257 status=none dropped_attrs=0 dropped_events=0 trace_state=\"\" links=0 "
                            "dropped_links=0",
                            "attr big s.100 string:\"" + s127 + "\"", "attr big s.200 string:\"" + s200 + "\"",
                            "attr big s.20k string:\"" + s20k + "\"", array_line,
                            "attr huge s.2m string:\"" + s3m + "\"",
                            "link big 0 trace=4bf92f3577b34da6a3ce929d0e0e4736 span=0000000000000005 trace_state=\"" +
                                state200 + "\" flags=769 dropped_attrs=0",
                            "lattr big 0 s.20k string:\"" + s20k + "\"",
                            "link big 1 trace=4bf92f3577b34da6a3ce929d0e0e4736 span=0000000000000006 trace_state=\"" +
                                state200 + "\" flags=257 dropped_attrs=0"});
        for (const auto& l : lines_of(log))
            if (l.starts_with("span big ")) CHECK(l.ends_with(" trace_state=\"" + state200 + "\" links=2 dropped_links=1000"));
    }
}

namespace {
struct p_tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
struct p_attempts : tacit::attribute<"crew.tool.attempts", std::int64_t> {};
struct p_retry : tacit::event_kind<"retry", p_attempts> {};
struct p_crew : tacit::span_kind<"crew_execution"> {};
struct p_tool : tacit::span_kind<"tool_usage", p_tool_name, p_attempts> {};

std::string hex16(tacit::span_id id) {
    const auto h = id.hex();
    return std::string(h.data(), h.size());
}
}  // namespace

TEST_CASE("spans through a real pipeline reach the official decoder") {
    auto& r = peer();
    tacit::pipeline_options po;
    po.service_name = "pipeline-svc";
    po.service_version = "9.9.9";
    po.schedule_delay = 50ms;
    po.watch_environment = false;
    tacit::pipeline p{po};
    auto& ex = p.emplace_exporter<tacit::otlp_http_exporter>(opts(r));
    const auto remote = tacit::extract_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    REQUIRE(remote);
    std::string crew_id, tool_id;
    {
        auto crew = tacit::start<p_crew>(p, *remote);
        crew_id = hex16(crew.context().span);
        crew.trace_state("congo=t61rcWkgMzE");           // the tracestate that came with the parent
        crew.link(tacit::span_context{{0x0af7651916cd43ddull, 0x8448eb211c80319cull},
                                      tacit::span_id{0xb7ad6b7169203331ull}, 1, true});  // e.g. the request's producer
        auto tool = tacit::start<p_tool>(p);
        tool_id = hex16(tool.context().span);
        tool.set<p_tool_name>("web_search").set<p_attempts>(2);
        tool.event<p_retry>().set<p_attempts>(1);
        tool.error("timeout");
    }
    CHECK(p.force_flush(5000ms));
    CHECK(p.shutdown(5000ms));
    const auto log = r.log();
    if constexpr (!tacit::compiled_in) {
        // Compiled out: nothing is recorded, so nothing is sent.
        CHECK(count_lines(log, "request ") == 0);
        CHECK(ex.counters().requests == 0);
        return;
    }
    INFO("receiver log:\n" << log);
    CHECK(count_lines(log, "decode error") == 0);
    CHECK(count_lines(log, "span ") == 2);
    require_lines(log, {"resource service.name=string:\"pipeline-svc\"", "resource service.version=string:\"9.9.9\"",
                        "resource telemetry.sdk.name=string:\"tacit\"",
                        "attr tool_usage gen_ai.tool.name string:\"web_search\"", "attr tool_usage crew.tool.attempts int:2",
                        "attr tool_usage error.type string:\"timeout\"", "eattr tool_usage retry crew.tool.attempts int:1"});
    bool crew_seen = false, tool_seen = false;
    for (const auto& l : lines_of(log)) {
        if (l.starts_with("span crew_execution ")) {
            crew_seen = true;
            // The remote parent's trace continues; the parent link points into the other process.
            CHECK(l.find(" trace=4bf92f3577b34da6a3ce929d0e0e4736 ") != std::string::npos);
            CHECK(l.find(" span=" + crew_id + " ") != std::string::npos);
            CHECK(l.find(" parent=00f067aa0ba902b7 ") != std::string::npos);
            CHECK(l.find(" trace_state=\"congo=t61rcWkgMzE\" ") != std::string::npos);
            CHECK(l.find(" links=1 ") != std::string::npos);
        }
        if (l.starts_with("span tool_usage ")) {
            tool_seen = true;
            CHECK(l.find(" trace=4bf92f3577b34da6a3ce929d0e0e4736 ") != std::string::npos);
            CHECK(l.find(" span=" + tool_id + " ") != std::string::npos);
            CHECK(l.find(" parent=" + crew_id + " ") != std::string::npos);
            CHECK(l.find(" status=2:timeout ") != std::string::npos);
            CHECK(l.find(" flags=257 ") != std::string::npos);  // sampled, local parent
        }
    }
    CHECK(crew_seen);
    CHECK(tool_seen);
    // The link, as recorded with span.link(): remote bit (0x200) and trace flags in its flags.
    require_lines(log, {"link crew_execution 0 trace=0af7651916cd43dd8448eb211c80319c span=b7ad6b7169203331 "
                        "trace_state=\"\" flags=769 dropped_attrs=0"});
    CHECK(count_lines(log, "link ") == 1);
    CHECK(ex.counters().spans_exported == 2);
    const auto acc = p.exporter_accounting();
    REQUIRE(acc.size() == 1);
    CHECK(acc[0].exported == 2);
    CHECK(acc[0].failed == 0);
}

TEST_CASE("HTTPS: trusted through ca_file, refused without it") {
    char dir_template[] = "/tmp/tacit-otlp-tls-XXXXXX";
    const char* dir = mkdtemp(dir_template);
    REQUIRE(dir != nullptr);
    const std::string cert = std::string(dir) + "/cert.pem", key = std::string(dir) + "/key.pem";
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                            "-addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert + " 2>/dev/null";
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "the openssl command line tool is needed to make a test certificate");
    {
        receiver tls({"--tls", cert, key});
        REQUIRE(tls.base().starts_with("https://"));
        otlp_test::sample_batch s;
        auto o = opts(tls);
        o.ca_file = cert;
        tacit::otlp_http_exporter trusted(o);
        CHECK(trusted.export_spans(s.batch()).ok());
        check_sample(tls.log());

        auto u = opts(tls);
        std::vector<std::string> said;
        u.on_error = [&](std::string_view m) { said.emplace_back(m); };
        tacit::otlp_http_exporter untrusted(u);  // system CAs do not know a fresh self-signed cert
        CHECK_FALSE(untrusted.export_spans(s.batch()).ok());
        CHECK(untrusted.counters().requests == 1);  // a certificate problem is not retried
        CHECK(untrusted.counters().spans_failed == 3);
        REQUIRE(said.size() == 1);
        CHECK(said[0].find("not retried") != std::string::npos);
        CHECK(count_lines(tls.log(), "request ") == 1);  // only the trusted export got through
    }
    std::remove(cert.c_str());
    std::remove(key.c_str());
    rmdir(dir);
}

TEST_CASE("proxies from the environment are honoured (libcurl's http_proxy)") {
    auto& r = peer();
    otlp_test::sample_batch s;
    tacit::otlp_http_options o = opts(r);
    o.endpoint = "http://tacit-proxy-test.invalid:4318";  // resolvable only by way of the proxy
    tacit::otlp_http_exporter e(o);
    setenv("http_proxy", r.base().c_str(), 1);
    setenv("no_proxy", "", 1);
    setenv("NO_PROXY", "", 1);
    const bool ok = e.export_spans(s.batch()).ok();
    unsetenv("http_proxy");
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    CHECK(ok);
    const auto log = r.log();
    CHECK(field_of(log, 0, "path") == "http://tacit-proxy-test.invalid:4318/v1/traces");
    check_sample(log);
}

TEST_CASE("a 2xx with an unreadable body still counts the spans as exported, and says so") {
    for (auto p : {tacit::otlp_protocol::http_protobuf, tacit::otlp_protocol::http_json}) {
        auto& r = peer();
        r.queue("garbage");
        otlp_test::sample_batch s;
        auto o = opts(r, p);
        std::vector<std::string> said;
        o.on_error = [&](std::string_view m) { said.emplace_back(m); };
        tacit::otlp_http_exporter e(o);
        const auto res = e.export_spans(s.batch());
        CHECK(res.ok());
        CHECK(res.rejected == 0);
        CHECK(e.counters().spans_exported == 3);
        CHECK(e.counters().requests == 1);
        REQUIRE(said.size() == 1);
        CHECK(said[0].find("unreadable success response") != std::string::npos);
    }
}
