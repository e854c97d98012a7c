// OTLP encoders and configuration, without a receiver: wire structure, JSON forms,
// response parsing, environment variables. (The official decoder checks are in otlp_test.cpp.)
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sample_spans.hpp"
#include "tacit/exporters/otlp_http.hpp"
#include "tacit/trace_context.hpp"

namespace {

struct fake_env {
    std::map<std::string, std::string> vars;
    tacit::otlp_http_options::env_lookup lookup() const {
        return [this](const char* name) -> const char* {
            auto it = vars.find(name);
            return it == vars.end() ? nullptr : it->second.c_str();
        };
    }
};

// Reads every field of a protobuf message, requiring each length-delimited one to fit
// exactly; counts fields by number. Returns the number of fields.
std::size_t walk(std::string_view bytes, std::map<std::uint32_t, int>& fields) {
    tacit::detail::pb_reader r(bytes);
    std::uint32_t f;
    tacit::detail::wire t;
    std::size_t n = 0;
    while (r.next(f, t)) {
        ++n;
        ++fields[f];
        r.skip(t);
    }
    REQUIRE(r.ok());
    return n;
}

std::string_view field(std::string_view msg, std::uint32_t want, int index = 0) {
    tacit::detail::pb_reader r(msg);
    std::uint32_t f;
    tacit::detail::wire t;
    while (r.next(f, t)) {
        if (f == want && t == tacit::detail::wire::len) {
            auto b = r.bytes();
            if (index-- == 0) return b;
        } else {
            r.skip(t);
        }
    }
    return {};
}

/// The value of a varint or fixed32 field, or nullopt when the message lacks it.
std::optional<std::uint64_t> number(std::string_view msg, std::uint32_t want) {
    tacit::detail::pb_reader r(msg);
    std::uint32_t f;
    tacit::detail::wire t;
    while (r.next(f, t)) {
        if (f == want && t == tacit::detail::wire::varint) return r.varint();
        if (f == want && t == tacit::detail::wire::i32) return r.fixed32();
        r.skip(t);
    }
    return std::nullopt;
}

/// The id bytes in network order, as the protobuf encoding carries them.
std::string id_bytes(std::uint64_t hi, std::uint64_t lo, bool wide) {
    std::string out;
    for (std::uint64_t v : wide ? std::vector<std::uint64_t>{hi, lo} : std::vector<std::uint64_t>{lo})
        for (int i = 7; i >= 0; --i) out += static_cast<char>(v >> (8 * i));
    return out;
}

std::string encode(const otlp_test::sample_batch& s, tacit::otlp_protocol p) {
    tacit::otlp_http_options o;
    o.protocol = p;
    o.service_name = "from-options";
    tacit::otlp_http_exporter e(o);
    return std::string(e.encode_for_test(s.batch()));
}

}  // namespace

TEST_CASE("varint sizes and nested lengths across the 1-, 2- and 3-byte boundaries") {
    for (std::size_t len : {0u, 1u, 127u, 128u, 300u, 16383u, 16384u, 70000u}) {
        INFO("string length " << len);
        tacit::detail::byte_buffer b;
        b.clear();
        tacit::detail::pb_writer w(b);
        const auto outer = w.begin(1, 2);  // guess 2 bytes: wrong for short and very long bodies
        const std::string s(len, 'x');
        w.field_bytes(2, s);
        w.field_varint(3, 150);
        w.end(outer);
        tacit::detail::pb_reader r(b.view());
        std::uint32_t f;
        tacit::detail::wire t;
        REQUIRE(r.next(f, t));
        CHECK(f == 1);
        const auto body = r.bytes();
        REQUIRE(r.ok());
        CHECK(r.done());
        CHECK(field(body, 2) == s);
        tacit::detail::pb_reader inner(body);
        REQUIRE(inner.next(f, t));
        inner.bytes();
        REQUIRE(inner.next(f, t));
        CHECK(f == 3);
        CHECK(inner.varint() == 150);
    }
}

TEST_CASE("protobuf request framing: one ResourceSpans, one ScopeSpans, every span") {
    otlp_test::sample_batch s;
    const auto bytes = encode(s, tacit::otlp_protocol::http_protobuf);
    std::map<std::uint32_t, int> top;
    CHECK(walk(bytes, top) == 1);
    CHECK(top[1] == 1);
    const auto rs = field(bytes, 1);
    const auto scope_spans = field(rs, 2);
    const auto resource = field(rs, 1);
    CHECK(!resource.empty());
    std::map<std::uint32_t, int> ss_fields;
    CHECK(walk(scope_spans, ss_fields) == 4);
    CHECK(ss_fields[2] == 3);  // spans
    CHECK(ss_fields[1] == 1);  // scope
    CHECK(field(field(scope_spans, 1), 1) == "tacit");
    CHECK(field(field(scope_spans, 1), 2) == TACIT_VERSION_STRING);
    const auto span0 = field(scope_spans, 2, 0);
    CHECK(field(span0, 5) == "crew_kickoff");
    const auto id = field(span0, 1);
    REQUIRE(id.size() == 16);
    CHECK(static_cast<unsigned char>(id[0]) == 0x0a);
    CHECK(static_cast<unsigned char>(id[15]) == 0x9c);
    CHECK(field(span0, 4).empty());  // a root has no parent_span_id
    const auto span1 = field(scope_spans, 2, 1);
    CHECK(field(span1, 4).size() == 8);
    CHECK(field(field(span1, 15), 2) == "timeout");  // Status.message = error type
    std::map<std::uint32_t, int> span_fields;
    walk(span1, span_fields);
    CHECK(span_fields[9] == 3);   // two attributes + error.type
    CHECK(span_fields[11] == 2);  // events
    CHECK(span_fields[10] == 1);  // dropped_attributes_count
    CHECK(span_fields[12] == 1);  // dropped_events_count
    CHECK(span_fields[16] == 1);  // flags
    CHECK(span_fields[3] == 0);   // no trace_state
}

TEST_CASE("the sample tracestates are valid W3C headers") {
    for (auto h : {otlp_test::link_state, otlp_test::span_state}) {
        INFO(h);
        const auto ts = tacit::trace_state::parse(h);
        REQUIRE(ts);
        CHECK(ts->header() == h);
    }
}

TEST_CASE("protobuf: trace_state, links and dropped_links_count, field by field") {
    otlp_test::sample_batch s;
    const auto bytes = encode(s, tacit::otlp_protocol::http_protobuf);
    const auto scope_spans = field(field(bytes, 1), 2);
    const auto crew = field(scope_spans, 2, 0), tool = field(scope_spans, 2, 1), remote = field(scope_spans, 2, 2);
    REQUIRE(field(crew, 5) == "crew_kickoff");
    REQUIRE(field(tool, 5) == "tool_usage");
    REQUIRE(field(remote, 5) == "task_execution");

    // Nothing to say, nothing written: proto3 leaves defaults out.
    std::map<std::uint32_t, int> crew_fields;
    walk(crew, crew_fields);
    CHECK(crew_fields[3] == 0);
    CHECK(crew_fields[13] == 0);
    CHECK(crew_fields[14] == 0);

    std::map<std::uint32_t, int> tool_fields;
    walk(tool, tool_fields);
    CHECK(tool_fields[3] == 0);  // a local parent: no tracestate
    CHECK(tool_fields[13] == 2);
    CHECK(number(tool, 14) == 5u);
    const auto remote_link = field(tool, 13, 0);
    CHECK(field(remote_link, 1) == id_bytes(otlp_test::trace_b.hi, otlp_test::trace_b.lo, true));
    CHECK(field(remote_link, 2) == id_bytes(0, 0x2222222222222222ULL, false));
    CHECK(field(remote_link, 3) == otlp_test::link_state);
    CHECK(number(remote_link, 6) == 0x301u);  // sampled | has-is-remote | is-remote
    CHECK_FALSE(number(remote_link, 5));      // dropped_attributes_count: none
    std::map<std::uint32_t, int> link_fields;
    walk(remote_link, link_fields);
    CHECK(link_fields[4] == 5);
    CHECK(field(field(remote_link, 4, 0), 1) == "messaging.message.id");
    CHECK(field(field(field(remote_link, 4, 0), 2), 1) == "msg-17");
    CHECK(field(field(remote_link, 4, 4), 1) == "link.tools");
    const auto local_link = field(tool, 13, 1);
    CHECK(field(local_link, 1) == id_bytes(otlp_test::trace_a.hi, otlp_test::trace_a.lo, true));
    CHECK(field(local_link, 2) == id_bytes(0, 0x00f067aa0ba902b7ULL, false));
    CHECK(number(local_link, 6) == 0x100u);  // unsampled, known to be local
    std::map<std::uint32_t, int> local_fields;
    CHECK(walk(local_link, local_fields) == 3);  // trace_id, span_id, flags: no empty tracestate, no attributes

    CHECK(field(remote, 3) == otlp_test::span_state);
    CHECK_FALSE(number(remote, 14));
    CHECK(number(field(remote, 13, 0), 6) == 0x101u);
    CHECK(field(field(remote, 13, 0), 3) == "congo=t61rcWkgMzE");
    CHECK(number(field(remote, 13, 1), 6) == 0x300u);
    CHECK(field(field(remote, 13, 1), 3).empty());
}

TEST_CASE("protobuf: links whose lengths cross the 1-, 2- and 3-byte varint boundaries") {
    const std::string state(300, 'v'), big(20000, 'b');
    std::vector<tacit::attribute_view> attrs{
        {"s.20k", tacit::sensitivity::public_data, tacit::value_view::of(std::string_view(big))},
    };
    std::vector<tacit::link_view> links{
        {{otlp_test::trace_a, {1}, 1, false}, {}, {}},
        {{otlp_test::trace_a, {2}, 1, false}, state, {}},
        {{otlp_test::trace_a, {3}, 1, true}, state, attrs},
    };
    std::vector<tacit::span_view> spans(1);
    spans[0].name = "linked";
    spans[0].context = {otlp_test::trace_b, {9}, 1, false};
    spans[0].trace_state = state;
    spans[0].links = links;
    spans[0].dropped_links = 300;  // a two-byte varint
    tacit::pipeline_stats stats{};
    tacit::resource_view res{"svc", "", {}};
    tacit::otlp_http_exporter e(tacit::otlp_http_options{});
    const std::string bytes(e.encode_for_test({spans, stats, res}));
    std::map<std::uint32_t, int> top;
    walk(bytes, top);
    const auto span = field(field(field(bytes, 1), 2), 2);
    std::map<std::uint32_t, int> fields;
    walk(span, fields);
    CHECK(fields[13] == 3);
    CHECK(field(span, 3) == state);
    CHECK(number(span, 14) == 300u);
    CHECK(number(span, 16) == 0x101u);  // the field after the links is where it should be
    CHECK(field(field(span, 13, 1), 3) == state);
    CHECK(field(field(field(field(span, 13, 2), 4), 2), 1) == big);
    CHECK(number(field(span, 13, 2), 6) == 0x301u);
}

TEST_CASE("protobuf response: partial_success parsed, garbage refused") {
    // partial_success { rejected_spans: 2, error_message: "bad" }
    const std::string ok("\x0a\x07\x08\x02\x12\x03" "bad", 9);
    auto ps = tacit::detail::decode_protobuf_response(ok);
    REQUIRE(ps);
    CHECK(ps->rejected_spans == 2);
    CHECK(ps->error_message == "bad");
    auto empty = tacit::detail::decode_protobuf_response("");
    REQUIRE(empty);
    CHECK(empty->rejected_spans == 0);
    // Unknown fields are skipped.
    const std::string unknown("\x18\x05\x0a\x02\x08\x07", 6);
    REQUIRE(tacit::detail::decode_protobuf_response(unknown));
    CHECK(tacit::detail::decode_protobuf_response(unknown)->rejected_spans == 7);
    CHECK_FALSE(tacit::detail::decode_protobuf_response(std::string("\x0a\x09\x08", 3)));  // truncated
    CHECK_FALSE(tacit::detail::decode_protobuf_response(std::string("\x0b", 1)));         // wire type 3
    CHECK_FALSE(tacit::detail::decode_protobuf_response("<html>oops</html>"));
}

TEST_CASE("JSON request: OTLP forms") {
    otlp_test::sample_batch s;
    const auto j = encode(s, tacit::otlp_protocol::http_json);
    CHECK(j.starts_with("{\"resourceSpans\":[{\"resource\":{\"attributes\":["));
    CHECK(j.find("\"traceId\":\"0af7651916cd43dd8448eb211c80319c\"") != std::string::npos);
    CHECK(j.find("\"spanId\":\"00f067aa0ba902b7\"") != std::string::npos);
    CHECK(j.find("\"parentSpanId\":\"00f067aa0ba902b7\"") != std::string::npos);
    CHECK(j.find("\"startTimeUnixNano\":\"1700000000123456789\"") != std::string::npos);
    CHECK(j.find("{\"key\":\"crew.big\",\"value\":{\"intValue\":\"9007199254740993\"}}") != std::string::npos);
    CHECK(j.find("\"kind\":2") != std::string::npos);
    CHECK(j.find("\"status\":{\"message\":\"timeout\",\"code\":2}") != std::string::npos);
    CHECK(j.find("\"status\":{\"code\":1}") != std::string::npos);
    CHECK(j.find("{\"key\":\"crew.goal\",\"value\":{\"stringValue\":\"find \\\"x\\\"\\ttoday\"}}") != std::string::npos);
    CHECK(j.find("{\"key\":\"crew.empty\",\"value\":{\"arrayValue\":{\"values\":[]}}}") != std::string::npos);
    CHECK(j.find("\"flags\":768") != std::string::npos);  // 0 | has-is-remote | is-remote
    CHECK(j.find("{\"key\":\"service.name\",\"value\":{\"stringValue\":\"crew-demo\"}}") != std::string::npos);
    CHECK(j.find("from-options") == std::string::npos);  // the pipeline's service name wins
    // Valid JSON as far as the strict reader goes.
    tacit::detail::json_reader r(j);
    CHECK(r.skip());
    CHECK(r.at_end());
    CHECK(r.ok());
}

TEST_CASE("JSON request: traceState, links and droppedLinksCount") {
    otlp_test::sample_batch s;
    const auto j = encode(s, tacit::otlp_protocol::http_json);
    auto count = [&](std::string_view needle) {
        std::size_t n = 0;
        for (auto p = j.find(needle); p != std::string::npos; p = j.find(needle, p + 1)) ++n;
        return n;
    };
    const std::string link_attrs =
        R"("attributes":[{"key":"messaging.message.id","value":{"stringValue":"msg-17"}},)"
        R"({"key":"link.index","value":{"intValue":"-7"}},{"key":"link.weight","value":{"doubleValue":0.125}},)"
        R"({"key":"link.first","value":{"boolValue":true}},{"key":"link.tools","value":{"arrayValue":{"values":[)"
        R"({"stringValue":"web_search"},{"stringValue":"q\"uote\\ )" "\xc3\xa9" R"( \n"}]}}}])";
    CHECK(j.find(R"("droppedEventsCount":1,"links":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"2222222222222222",)"
                 R"("traceState":"tenant@vendor=q\"uo\\te,rojo=00f067aa0ba902b7",)" +
                 link_attrs +
                 R"(,"flags":769},{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7",)"
                 R"("flags":256}],"droppedLinksCount":5,"status":)") != std::string::npos);
    CHECK(j.find(R"({"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"1111111111111111",)"
                 R"("traceState":"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE","parentSpanId":)") != std::string::npos);
    CHECK(j.find(R"("links":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"3333333333333333",)"
                 R"("traceState":"congo=t61rcWkgMzE","flags":257},)"
                 R"({"traceId":"5b8efff798038103d269b633813fc60c","spanId":"4444444444444444",)" +
                 link_attrs + R"(,"flags":768}]})") != std::string::npos);
    // Empty tracestates and link lists, and a zero dropped count, are left out.
    CHECK(count("\"traceState\"") == 3);
    CHECK(count("\"links\"") == 2);
    CHECK(count("\"droppedLinksCount\"") == 1);
    CHECK(j.find("\"traceState\":\"\"") == std::string::npos);
    tacit::detail::json_reader r(j);
    CHECK(r.skip());
    CHECK(r.at_end());
}

TEST_CASE("JSON: control characters escaped, non-finite doubles as proto3 strings") {
    tacit::detail::byte_buffer b;
    b.clear();
    tacit::detail::json_writer w(b);
    w.string(std::string_view("a\x01\x1f\"\\\n\xe2\x80\xa8", 9));
    CHECK(b.view() == "\"a\\u0001\\u001f\\\"\\\\\\n\xe2\x80\xa8\"");
    b.clear();
    w.number(std::numeric_limits<double>::quiet_NaN());
    w.raw(',');
    w.number(std::numeric_limits<double>::infinity());
    w.raw(',');
    w.number(-std::numeric_limits<double>::infinity());
    w.raw(',');
    w.number(0.1);
    w.raw(',');
    w.number(1e300);
    CHECK(b.view() == "\"NaN\",\"Infinity\",\"-Infinity\",0.1,1e+300");
}

TEST_CASE("JSON response: partialSuccess in its spellings") {
    auto a = tacit::detail::decode_json_response(R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"no \"x\""}})");
    REQUIRE(a);
    CHECK(a->rejected_spans == 2);
    CHECK(a->error_message == "no \"x\"");
    auto b = tacit::detail::decode_json_response(R"( { "other" : [1, {"a": null}], "partial_success": {"rejected_spans": 5} } )");
    REQUIRE(b);
    CHECK(b->rejected_spans == 5);
    auto c = tacit::detail::decode_json_response("{}");
    REQUIRE(c);
    CHECK(c->rejected_spans == 0);
    CHECK(tacit::detail::decode_json_response("")->rejected_spans == 0);
    auto d = tacit::detail::decode_json_response(R"({"partialSuccess":{}})");
    REQUIRE(d);
    CHECK(d->rejected_spans == 0);
    CHECK_FALSE(tacit::detail::decode_json_response("{"));
    CHECK_FALSE(tacit::detail::decode_json_response(R"({"partialSuccess":{"rejectedSpans":"x"}})"));
    CHECK_FALSE(tacit::detail::decode_json_response("{} trailing"));
    CHECK_FALSE(tacit::detail::decode_json_response(std::string(200, '[')));  // deep nesting is bounded
}

TEST_CASE("from_env: endpoints") {
    fake_env env;
    CHECK(tacit::otlp_http_options::from_env(env.lookup()).url() == "http://localhost:4318/v1/traces");
    env.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "https://collector:4318/";
    auto o = tacit::otlp_http_options::from_env(env.lookup());
    CHECK(o.url() == "https://collector:4318/v1/traces");
    env.vars["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://other:9999/custom/traces";
    CHECK(tacit::otlp_http_options::from_env(env.lookup()).url() == "http://other:9999/custom/traces");
    CHECK(tacit::otlp_http_options::from_env(env.lookup()).config_errors.empty());
    env.vars["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "other:9999";
    env.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "ftp://x";
    o = tacit::otlp_http_options::from_env(env.lookup());
    CHECK(o.url() == "http://localhost:4318/v1/traces");
    CHECK(o.config_errors.size() == 2);
    // Too short to hold a scheme at all: reported, never a throw.
    for (const char* bad : {"x", ":", "//", "http:/", "http://", "https:///path"}) {
        INFO(bad);
        env.vars["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = bad;
        env.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = bad;
        o = tacit::otlp_http_options::from_env(env.lookup());
        CHECK(o.url() == "http://localhost:4318/v1/traces");
        CHECK(o.config_errors.size() == 2);
        tacit::otlp_http_options code;
        code.endpoint = bad;
        CHECK(tacit::otlp_http_exporter(code).url() == "http://localhost:4318/v1/traces");
    }
}

TEST_CASE("from_env: protocol, compression, timeout, specific variables win") {
    fake_env env;
    env.vars["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/json";
    env.vars["OTEL_EXPORTER_OTLP_COMPRESSION"] = "gzip";
    env.vars["OTEL_EXPORTER_OTLP_TIMEOUT"] = "2500";
    auto o = tacit::otlp_http_options::from_env(env.lookup());
    CHECK(o.protocol == tacit::otlp_protocol::http_json);
    CHECK(o.compression == tacit::otlp_compression::gzip);
    CHECK(o.timeout == std::chrono::milliseconds(2500));
    CHECK(o.config_errors.empty());

    env.vars["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf";
    env.vars["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"] = "none";
    env.vars["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"] = "700";
    o = tacit::otlp_http_options::from_env(env.lookup());
    CHECK(o.protocol == tacit::otlp_protocol::http_protobuf);
    CHECK(o.compression == tacit::otlp_compression::none);
    CHECK(o.timeout == std::chrono::milliseconds(700));
}

TEST_CASE("from_env: malformed values fall back to defaults, each reported once") {
    fake_env env;
    env.vars["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
    env.vars["OTEL_EXPORTER_OTLP_COMPRESSION"] = "brotli";
    env.vars["OTEL_EXPORTER_OTLP_TIMEOUT"] = "10s";
    auto o = tacit::otlp_http_options::from_env(env.lookup());
    CHECK(o.protocol == tacit::otlp_protocol::http_protobuf);
    CHECK(o.compression == tacit::otlp_compression::none);
    CHECK(o.timeout == std::chrono::milliseconds(10000));
    REQUIRE(o.config_errors.size() == 3);
    CHECK(o.config_errors[0].find("grpc is not supported") != std::string::npos);
    CHECK(o.config_errors[1].find("OTEL_EXPORTER_OTLP_TIMEOUT") != std::string::npos);
    CHECK(o.config_errors[2].find("brotli") != std::string::npos);
    for (const char* bad : {"0", "-5", "", "99999999999"}) {
        env.vars["OTEL_EXPORTER_OTLP_TIMEOUT"] = bad;
        CHECK(tacit::otlp_http_options::from_env(env.lookup()).timeout == std::chrono::milliseconds(10000));
    }

    // The exporter reports them through on_error (once each) and counts them; silent otherwise.
    std::vector<std::string> said;
    o.on_error = [&](std::string_view m) { said.emplace_back(m); };
    tacit::otlp_http_exporter e(o);
    CHECK(said.size() == 3);
    CHECK(e.counters().config_errors == 3);
    tacit::otlp_http_options silent = o;
    silent.on_error = nullptr;
    tacit::otlp_http_exporter quiet(silent);
    CHECK(quiet.counters().config_errors == 3);
}

TEST_CASE("from_env: headers are percent-decoded; bad members skipped and reported") {
    fake_env env;
    env.vars["OTEL_EXPORTER_OTLP_HEADERS"] =
        "api-key=secret%20value, x-tenant = acme ,bad,=novalue,x-inject=a%0d%0aevil: 1,bad name=x,x-pct=%zz";
    auto o = tacit::otlp_http_options::from_env(env.lookup());
    REQUIRE(o.headers.size() == 2);
    CHECK(o.headers[0] == std::pair<std::string, std::string>{"api-key", "secret value"});
    CHECK(o.headers[1] == std::pair<std::string, std::string>{"x-tenant", "acme"});
    CHECK(o.config_errors.size() == 5);
    env.vars["OTEL_EXPORTER_OTLP_TRACES_HEADERS"] = "only=this";
    o = tacit::otlp_http_options::from_env(env.lookup());
    REQUIRE(o.headers.size() == 1);
    CHECK(o.headers[0].first == "only");
}

TEST_CASE("from_env: service name and resource attributes") {
    fake_env env;
    env.vars["OTEL_SERVICE_NAME"] = "svc";
    env.vars["OTEL_RESOURCE_ATTRIBUTES"] = "team=ml,region=eu%2Dwest,service.name=ignored-by-precedence";
    auto o = tacit::otlp_http_options::from_env(env.lookup());
    CHECK(o.service_name == "svc");
    REQUIRE(o.resource_attributes.size() == 3);
    CHECK(o.resource_attributes[1].second == "eu-west");
    // One bad member discards the whole variable, as the resource specification asks.
    env.vars["OTEL_RESOURCE_ATTRIBUTES"] = "team=ml,broken";
    o = tacit::otlp_http_options::from_env(env.lookup());
    CHECK(o.resource_attributes.empty());
    REQUIRE(o.config_errors.size() == 1);
    CHECK(o.config_errors[0].find("discarded") != std::string::npos);
}

TEST_CASE("resource: SDK attributes fixed, service.name precedence, no duplicates") {
    otlp_test::sample_batch s;
    tacit::otlp_http_options o;
    o.protocol = tacit::otlp_protocol::http_json;
    o.service_name = "svc-from-env";
    o.resource_attributes = {{"telemetry.sdk.name", "impostor"}, {"team", "ml"}, {"deployment.environment", "prod"}};
    tacit::otlp_http_exporter e(o);
    std::string j(e.encode_for_test(s.batch()));
    auto count = [&](std::string_view needle) {
        std::size_t n = 0;
        for (auto p = j.find(needle); p != std::string::npos; p = j.find(needle, p + 1)) ++n;
        return n;
    };
    CHECK(count("\"key\":\"telemetry.sdk.name\",\"value\":{\"stringValue\":\"tacit\"}") == 1);
    CHECK(count("impostor") == 0);
    CHECK(count("\"key\":\"telemetry.sdk.language\",\"value\":{\"stringValue\":\"cpp\"}") == 1);
    CHECK(count("\"key\":\"service.name\"") == 1);
    CHECK(count("crew-demo") == 1);
    CHECK(count("\"key\":\"service.version\",\"value\":{\"stringValue\":\"1.2.3\"}") == 1);
    CHECK(count("\"key\":\"deployment.environment\",\"value\":{\"stringValue\":\"test\"}") == 1);  // pipeline's wins
    CHECK(count("\"key\":\"team\"") == 1);

    // Without a pipeline service name, or with only its placeholder: options, then unknown_service.
    s.resource = tacit::resource_view{};
    j = std::string(e.encode_for_test(s.batch()));
    CHECK(count("svc-from-env") == 1);
    s.resource = tacit::resource_view{"unknown_service", "", {}};
    j = std::string(e.encode_for_test(s.batch()));
    CHECK(count("svc-from-env") == 1);
    CHECK(count("unknown_service") == 0);
    tacit::otlp_http_options bare;
    bare.protocol = tacit::otlp_protocol::http_json;
    tacit::otlp_http_exporter e2(bare);
    j = std::string(e2.encode_for_test(s.batch()));
    CHECK(count("\"key\":\"service.name\",\"value\":{\"stringValue\":\"unknown_service\"}") == 1);
}

TEST_CASE("code options: invalid URL and headers reported, defaults used") {
    std::vector<std::string> said;
    tacit::otlp_http_options o;
    o.endpoint = "localhost:4318";
    o.headers = {{"good", "1"}, {"bad\r\nname", "x"}, {"ok", "line\nbreak"}};
    o.on_error = [&](std::string_view m) { said.emplace_back(m); };
    tacit::otlp_http_exporter e(o);
    CHECK(e.url() == "http://localhost:4318/v1/traces");
    CHECK(said.size() == 3);
    CHECK(e.counters().config_errors == 3);
}
