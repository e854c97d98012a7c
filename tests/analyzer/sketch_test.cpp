// quantile_sketch: the relative-error guarantee, exact merges, bounded memory.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include <tacit/detail/sketch.hpp>

namespace {
double exact(const std::vector<double>& sorted, double q) {
    return sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1))];
}
}  // namespace

TEST_CASE("quantile_sketch stays within its relative accuracy on a heavy-tailed stream") {
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> d(std::log(2e7), 1.5);  // 20 ms median, long tail
    std::vector<double> xs(200'000);
    tacit::quantile_sketch s{0.01};
    for (auto& x : xs) { x = d(rng); s.add(x); }
    std::sort(xs.begin(), xs.end());
    CHECK(s.count() == xs.size());
    for (double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999}) {
        const double want = exact(xs, q), got = s.quantile(q);
        INFO("q=" << q << " exact=" << want << " sketch=" << got);
        CHECK(std::abs(got - want) <= 0.01 * want + 1e-9);
    }
    CHECK(s.quantile(0) == xs.front());
    CHECK(s.quantile(1) == xs.back());
    CHECK(s.max() == xs.back());
    CHECK(s.bucket_count() < 2000);  // memory from the value range, not the 200 000 values
}

TEST_CASE("merging two sketches equals one sketch fed both streams") {
    std::mt19937_64 rng(11);
    std::exponential_distribution<double> d(1e-6);
    tacit::quantile_sketch a{0.01}, b{0.01}, all{0.01};
    for (int i = 0; i < 50'000; ++i) {
        const double x = d(rng);
        (i % 3 ? a : b).add(x);
        all.add(x);
    }
    a.merge(b);
    CHECK(a.count() == all.count());
    CHECK(a.min() == all.min());
    CHECK(a.max() == all.max());
    for (double q : {0.05, 0.5, 0.9, 0.99}) CHECK(a.quantile(q) == all.quantile(q));
}

TEST_CASE("quantile_sketch rejects a bad accuracy and a mismatched merge") {
    CHECK_THROWS_AS(tacit::quantile_sketch{0.0}, std::invalid_argument);
    CHECK_THROWS_AS(tacit::quantile_sketch{1.5}, std::invalid_argument);
    tacit::quantile_sketch a{0.01}, b{0.02};
    b.add(5);
    CHECK_THROWS_AS(a.merge(b), std::invalid_argument);
}

TEST_CASE("zeros, an empty sketch and NaN") {
    tacit::quantile_sketch s;
    CHECK(s.quantile(0.5) == 0);
    CHECK(s.count() == 0);
    s.add(std::nan(""));
    CHECK(s.count() == 0);
    for (int i = 0; i < 30; ++i) s.add(0);
    for (int i = 0; i < 70; ++i) s.add(1000);
    CHECK(s.quantile(0.2) == 0);
    CHECK(std::abs(s.quantile(0.9) - 1000) <= 10);
}

TEST_CASE("a bucket cap collapses the low end and keeps the high quantiles accurate") {
    tacit::quantile_sketch s{0.01, 64};
    std::vector<double> xs;
    for (int e = 0; e <= 12; ++e)
        for (int i = 1; i <= 100; ++i) xs.push_back(std::pow(10.0, e) * (1 + i / 100.0));
    for (double x : xs) s.add(x);
    std::sort(xs.begin(), xs.end());
    CHECK(s.bucket_count() <= 64);
    const double want = exact(xs, 0.99);
    CHECK(std::abs(s.quantile(0.99) - want) <= 0.01 * want);
}
