// Prometheus text exposition 0.0.4, the textfile writer and the /metrics server.
#include <doctest/doctest.h>

#include <unistd.h>  // getpid: a private temp dir

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <tacit/exporters/prometheus.hpp>

namespace {
bool contains(const std::string& text, std::string_view needle) { return text.find(needle) != std::string::npos; }

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

TEST_CASE("render: HELP, TYPE, labels, counters, gauges; families sorted by name, series by labels") {
    using tacit::detail::metric_family;
    tacit::metrics_registry reg;
    metric_family b("b_things_total", "Things.\nSecond line with a \\ backslash.", tacit::metric_type::counter,
                    {"kind"});
    metric_family a("a_level", "", tacit::metric_type::gauge, {});
    reg.add(b);
    reg.add(a);
    const std::string_view zeta[] = {"zeta"}, alpha[] = {"alpha"};
    b.counter_add(b.find(zeta), 2);
    b.counter_add(b.find(alpha), 5);
    a.gauge_set(0, 0.25);
    const std::string text = tacit::prometheus::render(reg);
    CHECK(text ==
          "# HELP a_level a_level\n"
          "# TYPE a_level gauge\n"
          "a_level 0.25\n"
          "# HELP b_things_total Things.\\nSecond line with a \\\\ backslash.\n"
          "# TYPE b_things_total counter\n"
          "b_things_total{kind=\"alpha\"} 5\n"
          "b_things_total{kind=\"zeta\"} 2\n");
    reg.remove(a);
    reg.remove(b);
}

TEST_CASE("render: label values are escaped and made valid UTF-8") {
    using tacit::detail::metric_family;
    tacit::metrics_registry reg;
    metric_family f("tricky_total", "", tacit::metric_type::counter, {"v"});
    reg.add(f);
    const std::string_view q[] = {"say \"hi\"\nback\\slash"};
    const std::string_view bad[] = {"bad\xff\xfe utf8 \xc3"};  // invalid bytes and a cut sequence
    const std::string_view ok[] = {"caf\xc3\xa9 \xe2\x9c\x93"};  // valid multi-byte UTF-8 stays as is
    f.counter_add(f.find(q), 1);
    f.counter_add(f.find(bad), 1);
    f.counter_add(f.find(ok), 1);
    const std::string text = tacit::prometheus::render(reg);
    CHECK(contains(text, "tricky_total{v=\"say \\\"hi\\\"\\nback\\\\slash\"} 1\n"));
    CHECK(contains(text, "tricky_total{v=\"bad\xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD\"} 1\n"));
    CHECK(contains(text, "tricky_total{v=\"caf\xc3\xa9 \xe2\x9c\x93\"} 1\n"));
    CHECK_FALSE(contains(text, "\xff"));
    // Exactly one raw newline per line: none leaked from a value.
    CHECK(std::count(text.begin(), text.end(), '\n') == 5);
    reg.remove(f);
}

TEST_CASE("render: NaN and infinities in gauges and sums") {
    using tacit::detail::metric_family;
    tacit::metrics_registry reg;
    metric_family g("odd_values", "", tacit::metric_type::gauge, {"which"});
    reg.add(g);
    const std::string_view n[] = {"nan"}, p[] = {"pinf"}, m[] = {"minf"}, big[] = {"big"};
    g.gauge_set(g.find(n), std::nan(""));
    g.gauge_set(g.find(p), INFINITY);
    g.gauge_set(g.find(m), -INFINITY);
    g.gauge_set(g.find(big), 1e300);
    const std::string text = tacit::prometheus::render(reg);
    CHECK(contains(text, "odd_values{which=\"nan\"} NaN\n"));
    CHECK(contains(text, "odd_values{which=\"pinf\"} +Inf\n"));
    CHECK(contains(text, "odd_values{which=\"minf\"} -Inf\n"));
    CHECK(contains(text, "odd_values{which=\"big\"} 1e+300\n"));
    reg.remove(g);
}

TEST_CASE("render: histogram buckets are cumulative, _count equals the +Inf bucket") {
    using tacit::detail::metric_family;
    tacit::metrics_registry reg;
    const double bounds[] = {0.5, 2};
    metric_family h("req_duration_seconds", "Request time.", tacit::metric_type::histogram, {"route"},
                    {.buckets = bounds});
    reg.add(h);
    const std::string_view r[] = {"/a"};
    const auto idx = h.find(r);
    for (double v : {0.1, 0.5, 1.0, 3.0, 4.0}) h.observe(idx, v);
    h.observe(idx, std::nan(""));
    CHECK(tacit::prometheus::render(reg) ==
          "# HELP req_duration_seconds Request time.\n"
          "# TYPE req_duration_seconds histogram\n"
          "req_duration_seconds_bucket{route=\"/a\",le=\"0.5\"} 2\n"
          "req_duration_seconds_bucket{route=\"/a\",le=\"2\"} 3\n"
          "req_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 5\n"
          "req_duration_seconds_sum{route=\"/a\"} 8.6\n"
          "req_duration_seconds_count{route=\"/a\"} 5\n");
    reg.remove(h);
}

TEST_CASE("render: the overflow series comes last with every label reading __overflow__") {
    using tacit::detail::metric_family;
    tacit::metrics_registry reg;
    metric_family f("capped_total", "", tacit::metric_type::counter, {"a", "b"}, {.max_series = 2});
    reg.add(f);
    for (int i = 0; i < 5; ++i) {
        const std::string v = std::to_string(i);
        const std::string_view l[] = {v, "x"};
        f.counter_add(f.find(l), 1);
    }
    const std::string text = tacit::prometheus::render(reg);
    CHECK(contains(text, "capped_total{a=\"0\",b=\"x\"} 1\ncapped_total{a=\"1\",b=\"x\"} 1\n"
                         "capped_total{a=\"__overflow__\",b=\"__overflow__\"} 3\n"));
    reg.remove(f);
}

TEST_CASE("textfile: written whole through a temporary and a rename; a bad path is an error") {
    tacit::metrics_registry reg;
    tacit::counter<"textfile_demo_total"> c{reg, "Demo."};
    c.add(7);
    const auto dir = std::filesystem::temp_directory_path() / "tacit_textfile" / std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    const auto path = (dir / "tacit.prom").string();
    std::string err;
    REQUIRE(tacit::prometheus::write_textfile(reg, path, &err));
    CHECK(read_file(path) == tacit::prometheus::render(reg));
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
    if constexpr (tacit::compiled_in) CHECK(contains(read_file(path), "textfile_demo_total 7\n"));
    CHECK_FALSE(tacit::prometheus::write_textfile(reg, (dir / "missing" / "x.prom").string(), &err));
    CHECK(contains(err, "cannot open"));
    std::filesystem::remove_all(dir);
}

TEST_CASE("server: GET /metrics only, on loopback; 404, 405 and 413 otherwise") {
    static_assert(tacit::prometheus::has_server);
    tacit::metrics_registry reg;
    tacit::counter<"served_total", "k"> c{reg, "Served."};
    c.add(3, "v");
    tacit::prometheus::server_options o;
    o.max_request_bytes = 1024;
    tacit::prometheus::server srv(reg, o);
    REQUIRE(srv.port() > 0);
    httplib::Client cli("127.0.0.1", srv.port());
    cli.set_connection_timeout(5);
    auto r = cli.Get("/metrics");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == tacit::prometheus::content_type);
    CHECK(r->body == tacit::prometheus::render(reg));
    if constexpr (tacit::compiled_in) CHECK(contains(r->body, "served_total{k=\"v\"} 3\n"));
    CHECK(srv.scrapes() == 1);

    auto nf = cli.Get("/");
    REQUIRE(nf);
    CHECK(nf->status == 404);
    auto nf2 = cli.Get("/metrics/../secret");
    REQUIRE(nf2);
    CHECK(nf2->status == 404);
    auto post = cli.Post("/metrics", "x", "text/plain");
    REQUIRE(post);
    CHECK(post->status == 405);
    CHECK(post->get_header_value("Allow") == "GET");
    auto del = cli.Delete("/metrics");
    REQUIRE(del);
    CHECK(del->status == 405);
    auto huge = cli.Post("/metrics", std::string(10000, 'x'), "text/plain");  // refused unread
    REQUIRE(huge);
    CHECK(huge->status == 405);
    auto long_uri = cli.Get("/metrics?" + std::string(10000, 'a'));
    REQUIRE(long_uri);
    CHECK(long_uri->status == 414);
    CHECK(srv.scrapes() == 1);

    // Many clients at once: all answered, none lost, the server stays bounded and stops cleanly.
    std::vector<std::thread> ts;
    std::atomic<int> ok{0};
    for (int i = 0; i < 16; ++i)
        ts.emplace_back([&] {
            httplib::Client c2("127.0.0.1", srv.port());
            auto res = c2.Get("/metrics");
            if (res && res->status == 200) ok.fetch_add(1);
        });
    for (auto& t : ts) t.join();
    CHECK(ok.load() == 16);
    srv.stop();
    httplib::Client after("127.0.0.1", srv.port());
    after.set_connection_timeout(1);
    CHECK_FALSE(after.Get("/metrics"));
}

TEST_CASE("server: a port already taken is a clear error") {
    tacit::metrics_registry reg;
    tacit::prometheus::server first(reg);
    tacit::prometheus::server_options o;
    o.port = first.port();
    CHECK_THROWS_WITH_AS(tacit::prometheus::server(reg, o), doctest::Contains("cannot listen on 127.0.0.1:"),
                         std::runtime_error);
}
