// Elasticsearch _bulk NDJSON: every line parsed by a real JSON parser (nlohmann/json), action
// and document paired, ECS fields checked; file output through a real pipeline, and POSTs
// over libcurl to a local HTTP _bulk endpoint.
#include <doctest/doctest.h>

#include <unistd.h>  // getpid: a private temp dir

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <tacit/exporters/elastic.hpp>
#include <tacit/exporters/prometheus.hpp>  // brings <httplib.h> for the local endpoint
#include <tacit/tacit.hpp>

namespace {

std::vector<nlohmann::json> parse_ndjson(const std::string& text) {
    std::vector<nlohmann::json> out;
    std::size_t start = 0;
    REQUIRE(!text.empty());
    REQUIRE(text.back() == '\n');  // _bulk requires the final newline
    while (start < text.size()) {
        const std::size_t nl = text.find('\n', start);
        const std::string line = text.substr(start, nl - start);
        out.push_back(nlohmann::json::parse(line));  // throws (fails the test) on invalid JSON
        start = nl + 1;
    }
    return out;
}

/// Checks action/document pairing and returns the documents.
std::vector<nlohmann::json> documents(const std::string& text, const std::string& index) {
    auto lines = parse_ndjson(text);
    REQUIRE(lines.size() % 2 == 0);
    std::vector<nlohmann::json> docs;
    for (std::size_t i = 0; i < lines.size(); i += 2) {
        REQUIRE(lines[i].is_object());
        REQUIRE(lines[i].size() == 1);
        CHECK(lines[i]["index"]["_index"] == index);
        REQUIRE(lines[i + 1].contains("@timestamp"));
        docs.push_back(lines[i + 1]);
    }
    return docs;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("elastic: one span as action + ECS document") {
    const tacit::attribute_view attrs[] = {
        {"gen_ai.tool.name", {}, tacit::value_view::of(std::string_view("web \"search\"\n"))},
        {"crew.tool.attempts", {}, tacit::value_view::of(std::int64_t{3})},
        {"crew.tool.score", {}, tacit::value_view::of(std::nan(""))},
        {"crew.cached", {}, tacit::value_view::of(true)},
    };
    const tacit::value_view items[] = {tacit::value_view::of(std::int64_t{1}), tacit::value_view::of(std::int64_t{2})};
    const tacit::attribute_view with_array[] = {
        {"crew.sizes", {}, tacit::value_view::array(tacit::value_type::int64_array, items)}};
    tacit::span_view s;
    s.name = "tool_usage";
    s.context.trace = {0x0123456789abcdefull, 0xfedcba9876543210ull};
    s.context.span = {0x1122334455667788ull};
    s.parent = {0x99aabbccddeeff00ull};
    s.start_unix_ns = 1'700'000'000'123'456'789ull;  // 2023-11-14T22:13:20.123456789Z
    s.end_unix_ns = s.start_unix_ns + 42'000'000;
    s.status = tacit::status_code::error;
    s.error_type = "timeout";
    s.attributes = attrs;
    s.thread = 7;
    std::string out;
    tacit::append_elastic_bulk(out, s, "crew-spans", "crew_demo", "1.2.3");
    s.parent = {};
    s.status = tacit::status_code::ok;
    s.attributes = with_array;
    tacit::append_elastic_bulk(out, s, "crew-spans", "crew_demo");
    const auto docs = documents(out, "crew-spans");
    REQUIRE(docs.size() == 2);
    const auto& d = docs[0];
    CHECK(d["@timestamp"] == "2023-11-14T22:13:20.123456789Z");
    CHECK(d["event"]["end"] == "2023-11-14T22:13:20.165456789Z");
    CHECK(d["event"]["duration"] == 42'000'000);
    CHECK(d["event"]["action"] == "tool_usage");
    CHECK(d["event"]["outcome"] == "failure");
    CHECK(d["error"]["type"] == "timeout");
    CHECK(d["trace"]["id"] == "0123456789abcdeffedcba9876543210");
    CHECK(d["span"]["id"] == "1122334455667788");
    CHECK(d["span"]["name"] == "tool_usage");
    CHECK(d["parent"]["id"] == "99aabbccddeeff00");
    CHECK(d["service"]["name"] == "crew_demo");
    CHECK(d["service"]["version"] == "1.2.3");
    CHECK(d["labels"]["gen_ai_tool_name"] == "web \"search\"\n");
    CHECK(d["labels"]["crew_tool_attempts"] == 3);
    CHECK(d["labels"]["crew_tool_score"].is_null());
    CHECK(d["labels"]["crew_cached"] == true);
    CHECK(d["tacit"]["thread"] == 7);
    for (const auto& [k, v] : d["labels"].items()) CHECK(k.find('.') == std::string::npos);
    const auto& root = docs[1];
    CHECK_FALSE(root.contains("parent"));
    CHECK_FALSE(root.contains("error"));
    CHECK_FALSE(root["service"].contains("version"));
    CHECK(root["event"]["outcome"] == "success");
    CHECK(root["labels"]["crew_sizes"] == nlohmann::json::array({1, 2}));
}

TEST_CASE("elastic: timestamps from 1970 to the end of uint64 nanoseconds (2554)") {
    std::string out;
    tacit::detail::append_iso8601(out, 0);
    CHECK(out == "1970-01-01T00:00:00.000000000Z");
    out.clear();
    tacit::detail::append_iso8601(out, 9'223'372'036'854'775'808ull);  // one past INT64_MAX ns: 2262
    CHECK(out == "2262-04-11T23:47:16.854775808Z");
    out.clear();
    tacit::detail::append_iso8601(out, ~std::uint64_t{0});
    CHECK(out == "2554-07-21T23:34:33.709551615Z");
    out.clear();
    tacit::detail::append_iso8601(out, 951'782'400'000'000'001ull);  // a leap day
    CHECK(out == "2000-02-29T00:00:00.000000001Z");
}

TEST_CASE("elastic: bad options are refused with a clear error") {
    CHECK_THROWS_WITH_AS(tacit::elastic_exporter(tacit::elastic_options{}), doctest::Contains("exactly one of"),
                         std::invalid_argument);
    tacit::elastic_options bad_index;
    bad_index.file = "/tmp/never-written.ndjson";
    bad_index.index = "Bad/Index";
    CHECK_THROWS_WITH_AS(tacit::elastic_exporter{bad_index}, doctest::Contains("not a valid Elasticsearch index"),
                         std::invalid_argument);
    tacit::elastic_options no_dir;
    no_dir.file = "/nonexistent-dir/x.ndjson";
    CHECK_THROWS_WITH_AS(tacit::elastic_exporter{no_dir}, doctest::Contains("cannot open"), std::runtime_error);
    CHECK(tacit::elastic_exporter::rejected_items(R"({"took":3,"errors":false,"items":[{"index":{"status":201}}]})") == 0);
    CHECK(tacit::elastic_exporter::rejected_items(
              R"({"took":3,"errors":true,"items":[{"index":{"status":201}},{"index":{"status":400,"error":{}}},{"index":{"status": 429}}]})") == 2);
}

namespace es {
struct tool_name : tacit::attribute<"gen_ai.tool.name", std::string_view> {};
struct attempts : tacit::attribute<"crew.tool.attempts", std::int64_t> {};
struct crew_run : tacit::span_kind<"crew_execution"> {};
struct tool_usage : tacit::span_kind<"tool_usage", tool_name, attempts> {};
}  // namespace es

TEST_CASE("elastic: a real pipeline appends _bulk NDJSON to a file") {
    const auto dir = std::filesystem::temp_directory_path() / "tacit_elastic" / std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    const auto path = dir / "spans.ndjson";
    {
        tacit::pipeline_options po;
        po.schedule_delay = std::chrono::milliseconds(20);
        po.watch_environment = false;
        po.service_name = "elastic_test";
        tacit::pipeline p(std::move(po));
        tacit::elastic_options o;
        o.file = path.string();
        o.index = "tacit-test";
        p.emplace_exporter<tacit::elastic_exporter>(o);
        {
            auto crew = tacit::start<es::crew_run>(p);
            for (int i = 0; i < 3; ++i) {
                auto t = tacit::start<es::tool_usage>(p);
                t.set<es::tool_name>("calc").set<es::attempts>(i);
                if (i == 2) t.error("timeout");
            }
        }
        REQUIRE(p.force_flush(std::chrono::seconds(10)));
        p.shutdown(std::chrono::seconds(5));
    }
    const std::string text = slurp(path);
    std::filesystem::remove_all(dir);
    if constexpr (!tacit::compiled_in) {
        CHECK(text.empty());
        return;
    }
    const auto docs = documents(text, "tacit-test");
    REQUIRE(docs.size() == 4);
    std::string crew_span;
    int tools = 0, failures = 0;
    for (const auto& d : docs) {
        CHECK(d["service"]["name"] == "elastic_test");
        CHECK(d["trace"]["id"].get<std::string>().size() == 32);
        CHECK(d["event"]["duration"].get<std::uint64_t>() > 0);
        if (d["span"]["name"] == "crew_execution") crew_span = d["span"]["id"];
    }
    for (const auto& d : docs) {
        if (d["span"]["name"] != "tool_usage") continue;
        ++tools;
        CHECK(d["parent"]["id"] == crew_span);
        CHECK(d["labels"]["gen_ai_tool_name"] == "calc");
        if (d["event"]["outcome"] == "failure") {
            ++failures;
            CHECK(d["error"]["type"] == "timeout");
            CHECK(d["labels"]["crew_tool_attempts"] == 2);
        }
    }
    CHECK(tools == 3);
    CHECK(failures == 1);
}

TEST_CASE("elastic: POSTs to a _bulk URL with libcurl; item errors count as rejected, 5xx as failure") {
    // A local HTTP endpoint that answers like Elasticsearch's _bulk: it parses the body line by
    // line and refuses documents whose span.name is "poison".
    httplib::Server srv;
    std::vector<std::string> bodies;
    std::string content_type;
    bool fail_next = false;
    srv.Post("/_bulk", [&](const httplib::Request& req, httplib::Response& res) {
        bodies.push_back(req.body);
        content_type = req.get_header_value("Content-Type");
        if (fail_next) {
            res.status = 503;
            return;
        }
        nlohmann::json items = nlohmann::json::array();
        bool errors = false;
        const auto lines = parse_ndjson(req.body);
        for (std::size_t i = 1; i < lines.size(); i += 2) {
            const bool poison = lines[i]["span"]["name"] == "poison";
            errors |= poison;
            items.push_back({{"index", {{"status", poison ? 400 : 201}}}});
        }
        res.set_content(nlohmann::json{{"took", 1}, {"errors", errors}, {"items", items}}.dump(), "application/json");
    });
    const int port = srv.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    std::thread t([&] { srv.listen_after_bind(); });
    while (!srv.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

    tacit::elastic_options o;
    o.url = "http://127.0.0.1:" + std::to_string(port) + "/_bulk";
    o.service_name = "poster";
    tacit::elastic_exporter ex(o);
    std::vector<tacit::span_view> spans(3);
    spans[0].name = "tool_usage";
    spans[1].name = "poison";
    spans[2].name = "task_execution";
    tacit::pipeline_stats st;
    tacit::resource_view res;
    auto r = ex.export_spans({spans, st, res});
    CHECK(r.ok());
    CHECK(r.rejected == 1);
    REQUIRE(bodies.size() == 1);
    CHECK(content_type == "application/x-ndjson");
    const auto docs = documents(bodies[0], "tacit-spans");
    REQUIRE(docs.size() == 3);
    CHECK(docs[0]["service"]["name"] == "poster");
    fail_next = true;
    CHECK_FALSE(ex.export_spans({spans, st, res}).ok());
    srv.stop();
    t.join();
    // Nobody listening any more: a failure, not a hang or a crash.
    CHECK_FALSE(ex.export_spans({spans, st, res}).ok());
}
