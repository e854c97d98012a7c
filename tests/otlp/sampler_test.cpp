// Sampling decisions and OTEL_TRACES_SAMPLER parsing.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "tacit/sampler.hpp"

namespace {
struct fake_env {
    std::map<std::string, std::string> vars;
    tacit::sampler::env_lookup lookup() const {
        return [this](const char* name) -> const char* {
            auto it = vars.find(name);
            return it == vars.end() ? nullptr : it->second.c_str();
        };
    }
};

tacit::trace_id with_randomness(std::uint64_t r56, std::uint64_t high_noise = 0xabcdef) {
    // The top byte of lo and the whole hi half must not matter.
    return {high_noise, (std::uint64_t{0x5a} << 56) | r56};
}

const tacit::span_context sampled_parent{{1, 2}, {3}, 1, false};
const tacit::span_context unsampled_parent{{1, 2}, {3}, 0, false};
const tacit::span_context remote_sampled{{1, 2}, {3}, 1, true};
const tacit::span_context remote_unsampled{{1, 2}, {3}, 0, true};
}  // namespace

TEST_CASE("threshold follows (1 - ratio) * 2^56") {
    CHECK(tacit::ratio_threshold(1.0) == 0);
    CHECK(tacit::ratio_threshold(2.0) == 0);
    CHECK(tacit::ratio_threshold(0.0) == tacit::sampling_space);
    CHECK(tacit::ratio_threshold(-1.0) == tacit::sampling_space);
    CHECK(tacit::ratio_threshold(0.5) == (std::uint64_t{1} << 55));
    CHECK(tacit::ratio_threshold(0.25) == 3 * (std::uint64_t{1} << 54));
    static_assert(tacit::ratio_threshold(0.5) == std::uint64_t{1} << 55, "usable at compile time");
}

TEST_CASE("traceidratio compares the low 56 bits with the threshold") {
    const auto half = std::uint64_t{1} << 55;
    CHECK(tacit::sample_traceidratio(with_randomness(half), 0.5));
    CHECK_FALSE(tacit::sample_traceidratio(with_randomness(half - 1), 0.5));
    CHECK(tacit::sample_traceidratio(with_randomness(tacit::sampling_space - 1), 0.5));
    CHECK_FALSE(tacit::sample_traceidratio(with_randomness(0), 0.5));
    // Bits above the low 56 do not change the decision.
    CHECK(tacit::sample_traceidratio(with_randomness(half, 0), 0.5) ==
          tacit::sample_traceidratio(with_randomness(half, ~0ULL), 0.5));
    CHECK(tacit::sample_traceidratio({0, half}, 0.5) == tacit::sample_traceidratio({0, half | (0xffULL << 56)}, 0.5));
    // Ratio 1 keeps even randomness 0; ratio 0 keeps nothing.
    CHECK(tacit::sample_traceidratio(with_randomness(0), 1.0));
    CHECK_FALSE(tacit::sample_traceidratio(with_randomness(tacit::sampling_space - 1), 0.0));
    // An invalid trace id is never sampled by ratio.
    CHECK_FALSE(tacit::sample_traceidratio({0, 0}, 1.0));
}

TEST_CASE("traceidratio is deterministic, monotone in ratio, and close to the ratio") {
    std::mt19937_64 rng(42);
    const std::vector<double> ratios{0.01, 0.1, 0.25, 0.5, 0.9};
    std::vector<int> kept(ratios.size(), 0);
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
        const tacit::trace_id t{rng(), rng()};
        bool previous = false;
        for (std::size_t r = 0; r < ratios.size(); ++r) {
            const bool d = tacit::sample_traceidratio(t, ratios[r]);
            CHECK(d == tacit::sample_traceidratio(t, ratios[r]));
            if (previous) CHECK(d);  // sampled at a lower ratio => sampled at a higher one
            previous = d;
            kept[r] += d;
        }
    }
    for (std::size_t r = 0; r < ratios.size(); ++r) {
        INFO("ratio " << ratios[r]);
        CHECK(static_cast<double>(kept[r]) / n == doctest::Approx(ratios[r]).epsilon(0.05));
    }
}

TEST_CASE("fixed samplers") {
    const tacit::trace_id t{1, 2};
    CHECK(tacit::sampler::always_on().should_sample(t));
    CHECK(tacit::sampler::always_on().should_sample(t, unsampled_parent));
    CHECK_FALSE(tacit::sampler::always_off().should_sample(t));
    CHECK_FALSE(tacit::sampler::always_off().should_sample(t, sampled_parent));
}

TEST_CASE("parent-based samplers follow a valid parent, local or remote") {
    const tacit::trace_id low = with_randomness(0), high = with_randomness(tacit::sampling_space - 1);
    for (auto s : {tacit::sampler::parentbased_always_on(), tacit::sampler::parentbased_always_off(),
                   tacit::sampler::parentbased_traceidratio(0.5)}) {
        INFO(tacit::to_string(s.kind));
        for (auto t : {low, high}) {
            CHECK(s.should_sample(t, sampled_parent));
            CHECK(s.should_sample(t, remote_sampled));
            CHECK_FALSE(s.should_sample(t, unsampled_parent));
            CHECK_FALSE(s.should_sample(t, remote_unsampled));
        }
    }
    // Roots use the root sampler.
    CHECK(tacit::sampler::parentbased_always_on().should_sample(low));
    CHECK_FALSE(tacit::sampler::parentbased_always_off().should_sample(high));
    CHECK(tacit::sampler::parentbased_traceidratio(0.5).should_sample(high));
    CHECK_FALSE(tacit::sampler::parentbased_traceidratio(0.5).should_sample(low));
    // A half-valid parent (no span id) counts as no parent.
    CHECK_FALSE(tacit::sampler::parentbased_traceidratio(0.5).should_sample(low, {{1, 2}, {0}, 1, false}));
}

TEST_CASE("from_env: default and every supported name") {
    fake_env env;
    unsigned errors = 0;
    CHECK(tacit::sampler::from_env(env.lookup(), nullptr, &errors).kind == tacit::sampler_kind::parentbased_always_on);
    for (auto k : {tacit::sampler_kind::always_on, tacit::sampler_kind::always_off, tacit::sampler_kind::traceidratio,
                   tacit::sampler_kind::parentbased_always_on, tacit::sampler_kind::parentbased_always_off,
                   tacit::sampler_kind::parentbased_traceidratio}) {
        env.vars["OTEL_TRACES_SAMPLER"] = std::string(tacit::to_string(k));
        CHECK(tacit::sampler::from_env(env.lookup(), nullptr, &errors).kind == k);
    }
    env.vars["OTEL_TRACES_SAMPLER"] = " TraceIdRatio ";
    env.vars["OTEL_TRACES_SAMPLER_ARG"] = "0.25";
    auto s = tacit::sampler::from_env(env.lookup(), nullptr, &errors);
    CHECK(s.kind == tacit::sampler_kind::traceidratio);
    CHECK(s.ratio == 0.25);
    CHECK(s.threshold == tacit::ratio_threshold(0.25));
    CHECK(errors == 0);
}

TEST_CASE("from_env: malformed values are reported once and fall back") {
    fake_env env;
    std::vector<std::string> said;
    auto sink = [&](std::string_view m) { said.emplace_back(m); };
    unsigned errors = 0;

    env.vars["OTEL_TRACES_SAMPLER"] = "jaeger_remote";
    CHECK(tacit::sampler::from_env(env.lookup(), sink, &errors).kind == tacit::sampler_kind::parentbased_always_on);
    REQUIRE(said.size() == 1);
    CHECK(said[0].find("jaeger_remote") != std::string::npos);
    CHECK(said[0].find("parentbased_always_on") != std::string::npos);

    for (const char* bad : {"1.5", "-0.1", "abc", "0.5x", "nan", "inf"}) {
        INFO(bad);
        said.clear();
        env.vars["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio";
        env.vars["OTEL_TRACES_SAMPLER_ARG"] = bad;
        auto s = tacit::sampler::from_env(env.lookup(), sink, &errors);
        CHECK(s.kind == tacit::sampler_kind::parentbased_traceidratio);
        CHECK(s.ratio == 1.0);
        REQUIRE(said.size() == 1);
        CHECK(said[0].find("OTEL_TRACES_SAMPLER_ARG") != std::string::npos);
    }
    CHECK(errors == 7);

    // The argument is ignored (and not checked) for kinds that take none.
    said.clear();
    env.vars["OTEL_TRACES_SAMPLER"] = "always_on";
    CHECK(tacit::sampler::from_env(env.lookup(), sink).kind == tacit::sampler_kind::always_on);
    CHECK(said.empty());
    // Unset argument: ratio 1.
    env.vars.erase("OTEL_TRACES_SAMPLER_ARG");
    env.vars["OTEL_TRACES_SAMPLER"] = "traceidratio";
    CHECK(tacit::sampler::from_env(env.lookup(), sink).ratio == 1.0);
    CHECK(said.empty());
}
