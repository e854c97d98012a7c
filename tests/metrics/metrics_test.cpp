// User metrics: compile-time-checked counters, gauges and histograms updated from many threads
// without a lock; label-set lookup, the cardinality cap and its overflow series.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <tacit/metrics.hpp>

namespace {
// prefix + number, built by append: GCC 12 at -O3 warns falsely (-Wrestrict) on "x" + std::string.
std::string numbered(std::string_view prefix, int i) {
    std::string s(prefix);
    s += std::to_string(i);
    return s;
}
}  // namespace

TEST_CASE("name and label-key rules are the Prometheus ones, privacy rule included") {
    using namespace tacit::detail;
    static_assert(valid_metric_name("tacit_spans_total"));
    static_assert(valid_metric_name("_x1"));
    static_assert(!valid_metric_name("1abc"));
    static_assert(!valid_metric_name("a-b"));
    static_assert(!valid_metric_name("a.b"));
    static_assert(!valid_metric_name("job:rate5m"));  // colons are for recording rules
    static_assert(!valid_metric_name("__reserved"));
    static_assert(!valid_metric_name(""));
    static_assert(metric_label_sensitivity("tool") == tacit::sensitivity::public_data);
    static_assert(metric_label_sensitivity("error_type") == tacit::sensitivity::public_data);
    static_assert(metric_label_sensitivity("api_key") == tacit::sensitivity::secret);
    static_assert(metric_label_sensitivity("user_prompt") == tacit::sensitivity::content);
    CHECK(valid_label_key("le"));  // valid in general; only histograms refuse it
}

TEST_CASE("counter: labelled and unlabelled, series handles, values summed over shards") {
    tacit::metrics_registry reg;
    tacit::counter<"test_jobs_total", "queue", "outcome"> jobs{reg, "Jobs."};
    tacit::counter<"test_ticks_total"> ticks{reg};
    jobs.add(2, "default", "ok");
    jobs.inc("default", "ok");
    jobs.add(5, "bulk", "error");
    auto h = jobs.series("bulk", "error");
    h.add(10);
    ticks.inc();
    ticks.add(41);
    if constexpr (!tacit::compiled_in) {
        CHECK(jobs.value("default", "ok") == 0);
        CHECK(reg.size() == 0);
        return;
    }
    CHECK(reg.size() == 2);
    CHECK(jobs.value("default", "ok") == 3);
    CHECK(jobs.value("bulk", "error") == 15);
    CHECK(h.value() == 15);
    CHECK(jobs.value("bulk", "ok") == 0);  // a lookup creates the series at zero
    CHECK(ticks.value() == 42);
    CHECK(jobs.family().series_count() == 3);
}

TEST_CASE("the same label values in a different key order are different series") {
    tacit::metrics_registry reg;
    tacit::counter<"test_pairs_total", "a", "b"> pairs{reg};
    pairs.add(1, "x", "y");
    pairs.add(7, "y", "x");
    pairs.add(1, "xy", "");  // length-prefixed: "x"+"y" and "xy"+"" must not collide
    if constexpr (!tacit::compiled_in) return;
    CHECK(pairs.value("x", "y") == 1);
    CHECK(pairs.value("y", "x") == 7);
    CHECK(pairs.value("xy", "") == 1);
}

TEST_CASE("many threads add without a lock and nothing is lost") {
    tacit::metrics_registry reg;
    tacit::counter<"test_hits_total", "worker"> hits{reg};
    tacit::counter<"test_all_total"> all{reg};
    constexpr int threads = 24;  // more than TACIT_METRIC_SHARDS: some share the atomic shard
    constexpr int per_thread = 20000;
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
            const std::string w = numbered("w", t % 4);
            for (int i = 0; i < per_thread; ++i) {
                hits.inc(w);
                all.inc();
            }
        });
    for (auto& t : ts) t.join();
    if constexpr (!tacit::compiled_in) return;
    CHECK(all.value() == std::uint64_t{threads} * per_thread);
    std::uint64_t sum = 0;
    for (int w = 0; w < 4; ++w) sum += hits.value(numbered("w", w));
    CHECK(sum == std::uint64_t{threads} * per_thread);
    CHECK(hits.family().series_count() == 4);
}

TEST_CASE("threads racing to create the same new series agree on one") {
    tacit::metrics_registry reg;
    tacit::counter<"test_race_total", "key"> race{reg, {}, {.max_series = 64}};
    for (int round = 0; round < 20; ++round) {
        std::vector<std::thread> ts;
        for (int t = 0; t < 8; ++t)
            ts.emplace_back([&, round] { race.inc(numbered("k", round)); });
        for (auto& t : ts) t.join();
    }
    if constexpr (!tacit::compiled_in) return;
    CHECK(race.family().series_count() == 20);
    for (int round = 0; round < 20; ++round) CHECK(race.value(numbered("k", round)) == 8);
}

TEST_CASE("huge cardinality: label sets beyond the cap share the overflow series") {
    tacit::metrics_registry reg;
    tacit::counter<"test_users_total", "tool"> c{reg, {}, {.max_series = 10}};
    for (int i = 0; i < 10000; ++i) c.inc(numbered("tool_", i));
    if constexpr (!tacit::compiled_in) return;
    CHECK(c.family().series_count() == 10);
    CHECK(c.family().overflowed());
    std::uint64_t total = 0, overflow = 0;
    std::size_t rows = 0;
    c.family().for_each_series([&](auto idx, std::span<const std::string_view> labels) {
        ++rows;
        total += c.family().counter_value(idx);
        if (labels[0] == tacit::overflow_label_value) overflow = c.family().counter_value(idx);
    });
    CHECK(rows == 11);
    CHECK(total == 10000);
    CHECK(overflow == 9990);
    // A known label set still finds its own series after the cap was hit.
    c.inc("tool_3");
    CHECK(c.value("tool_3") == 2);
}

TEST_CASE("label values longer than the key buffer are cut and then share a series") {
    tacit::metrics_registry reg;
    tacit::counter<"test_long_total", "k"> c{reg};
    const std::string a(1000, 'a');
    std::string b = a;
    b.back() = 'b';
    c.inc(a);
    c.inc(b);
    if constexpr (!tacit::compiled_in) return;
    CHECK(c.value(a) == 2);
    CHECK(c.family().series_count() == 1);
    c.family().for_each_series([](auto, std::span<const std::string_view> labels) {
        CHECK(labels[0].size() < tacit::detail::metric_label_bytes);
        CHECK(labels[0].size() > 100);
    });
}

TEST_CASE("gauge: set, add, NaN kept as NaN") {
    tacit::metrics_registry reg;
    tacit::gauge<"test_depth", "queue"> depth{reg};
    depth.set(3, "a");
    depth.add(-1.5, "a");
    depth.set(std::nan(""), "b");
    if constexpr (!tacit::compiled_in) return;
    CHECK(depth.value("a") == doctest::Approx(1.5));
    CHECK(std::isnan(depth.value("b")));
}

TEST_CASE("histogram: bucket placement (le is inclusive), sum, NaN left out and counted") {
    tacit::metrics_registry reg;
    const double bounds[] = {0.1, 1.0, 10.0};
    tacit::histogram<"test_latency_seconds", "step"> h{reg, "Latency.", {.buckets = bounds}};
    h.observe(0.05, "s");
    h.observe(0.1, "s");  // on the bound: counts in le="0.1"
    h.observe(0.5, "s");
    h.observe(100, "s");
    h.observe(std::nan(""), "s");
    h.observe(-1, "s");  // negative values are legal observations (first bucket)
    if constexpr (!tacit::compiled_in) return;
    const auto& f = h.family();
    std::uint64_t counts[4];
    double sum = 0;
    f.for_each_series([&](auto idx, auto) { sum = f.histogram_value(idx, counts); });
    CHECK(counts[0] == 3);
    CHECK(counts[1] == 1);
    CHECK(counts[2] == 0);
    CHECK(counts[3] == 1);
    CHECK(sum == doctest::Approx(99.65));
    CHECK(f.nan_observations() == 1);
}

TEST_CASE("bad run-time configuration is refused with a clear error") {
    tacit::metrics_registry reg;
    const double unsorted[] = {1.0, 0.5};
    const double infinite[] = {1.0, INFINITY};
    using h = tacit::histogram<"test_bad_seconds">;
    CHECK_THROWS_WITH_AS(h(reg, "", {.buckets = unsorted}), doctest::Contains("strictly increasing"),
                         std::invalid_argument);
    CHECK_THROWS_AS(h(reg, "", {.buckets = infinite}), std::invalid_argument);
    CHECK_THROWS_AS(tacit::detail::metric_family("bad-name", "", tacit::metric_type::counter, {}),
                    std::invalid_argument);
    CHECK_THROWS_AS(tacit::detail::metric_family("x_total", "", tacit::metric_type::counter, {"a.b"}),
                    std::invalid_argument);
    CHECK_THROWS_WITH_AS(tacit::detail::metric_family("wide_total", "", tacit::metric_type::counter,
                                                      std::vector<std::string>(33, "k")),
                         doctest::Contains("more than 32 label keys"), std::invalid_argument);
    tacit::counter<"test_twice_total"> first{reg};
    if constexpr (tacit::compiled_in) {
        CHECK_THROWS_WITH_AS([&] { tacit::counter<"test_twice_total"> again{reg}; }(),
                             doctest::Contains("registered twice"), std::invalid_argument);
    }
}

TEST_CASE("a metric leaves its registry when destroyed") {
    tacit::metrics_registry reg;
    {
        tacit::counter<"test_scoped_total"> c{reg};
        CHECK(reg.size() == (tacit::compiled_in ? 1u : 0u));
    }
    CHECK(reg.size() == 0);
}
