#pragma once
/// Head sampling: pure decision functions over a trace id and the parent's context, and the
/// standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG configuration.
///
///     tacit::sampler s = tacit::sampler::from_env();        // default: parentbased_always_on
///     bool keep = s.should_sample(new_trace_id, parent);    // parent: a span_context, maybe invalid
///
/// The ratio rule is the OpenTelemetry specification's TraceIdRatioBased algorithm for
/// W3C-random trace ids: the rejection threshold is T = round((1 - ratio) * 2^56) and a trace
/// is sampled when the least-significant 56 bits of its id, read as an unsigned integer, are
/// >= T. Every process that uses the same ratio makes the same decision for a trace, and a
/// trace sampled at one ratio is sampled at every higher ratio.
#include <cmath>        // std::isfinite
#include <cstdint>      // thresholds
#include <cstdlib>      // std::getenv, std::strtod
#include <functional>   // lookup and diagnostic callbacks
#include <string>       // diagnostics
#include <string_view>  // names

#include "config.hpp"
#include "ids.hpp"

namespace tacit::inline TACIT_ABI {

/// The samplers of OTEL_TRACES_SAMPLER that tacit implements.
enum class sampler_kind : std::uint8_t {
    always_on,
    always_off,
    traceidratio,
    parentbased_always_on,
    parentbased_always_off,
    parentbased_traceidratio,
};

constexpr std::string_view to_string(sampler_kind k) noexcept {
    switch (k) {
    case sampler_kind::always_on: return "always_on";
    case sampler_kind::always_off: return "always_off";
    case sampler_kind::traceidratio: return "traceidratio";
    case sampler_kind::parentbased_always_on: return "parentbased_always_on";
    case sampler_kind::parentbased_always_off: return "parentbased_always_off";
    case sampler_kind::parentbased_traceidratio: return "parentbased_traceidratio";
    }
    return "parentbased_always_on";
}

/// 2^56: the size of the randomness space of a W3C trace id.
inline constexpr std::uint64_t sampling_space = std::uint64_t{1} << 56;

/// The rejection threshold for a ratio: ratios <= 0 (and NaN) reject everything
/// (threshold 2^56), ratios >= 1 accept everything (threshold 0).
constexpr std::uint64_t ratio_threshold(double ratio) noexcept {
    if (!(ratio > 0.0)) return sampling_space;
    if (ratio >= 1.0) return 0;
    const double t = (1.0 - ratio) * static_cast<double>(sampling_space);
    const auto r = static_cast<std::uint64_t>(t + 0.5);
    return r > sampling_space ? sampling_space : r;
}

/// The randomness value of a trace id: its least-significant 56 bits.
constexpr std::uint64_t trace_randomness(const trace_id& t) noexcept { return t.lo & (sampling_space - 1); }

/// The TraceIdRatioBased decision for a precomputed threshold.
constexpr bool sample_by_threshold(const trace_id& t, std::uint64_t threshold) noexcept {
    return t.valid() && trace_randomness(t) >= threshold;
}

/// The TraceIdRatioBased decision: deterministic in the trace id.
constexpr bool sample_traceidratio(const trace_id& t, double ratio) noexcept {
    return sample_by_threshold(t, ratio_threshold(ratio));
}

/// A configured sampler. `should_sample` is pure and noexcept; call it at span start.
struct sampler {
    sampler_kind kind = sampler_kind::parentbased_always_on;
    double ratio = 1.0;                                  ///< for the *traceidratio kinds
    std::uint64_t threshold = ratio_threshold(1.0);      ///< derived from ratio

    static constexpr sampler always_on() noexcept { return {sampler_kind::always_on, 1.0, 0}; }
    static constexpr sampler always_off() noexcept { return {sampler_kind::always_off, 0.0, sampling_space}; }
    static constexpr sampler traceidratio(double r) noexcept { return {sampler_kind::traceidratio, r, ratio_threshold(r)}; }
    static constexpr sampler parentbased_always_on() noexcept { return {sampler_kind::parentbased_always_on, 1.0, 0}; }
    static constexpr sampler parentbased_always_off() noexcept {
        return {sampler_kind::parentbased_always_off, 0.0, sampling_space};
    }
    static constexpr sampler parentbased_traceidratio(double r) noexcept {
        return {sampler_kind::parentbased_traceidratio, r, ratio_threshold(r)};
    }

    /// Decides for a new span in trace `t`. `parent` is the parent's context; an invalid
    /// (default) context means a root span. The parent-based kinds follow a valid parent's
    /// sampled flag (remote or local alike) and use their root sampler only for roots.
    constexpr bool should_sample(const trace_id& t, const span_context& parent = {}) const noexcept {
        switch (kind) {
        case sampler_kind::always_on: return true;
        case sampler_kind::always_off: return false;
        case sampler_kind::traceidratio: return sample_by_threshold(t, threshold);
        case sampler_kind::parentbased_always_on: return parent.valid() ? parent.sampled() : true;
        case sampler_kind::parentbased_always_off: return parent.valid() ? parent.sampled() : false;
        case sampler_kind::parentbased_traceidratio:
            return parent.valid() ? parent.sampled() : sample_by_threshold(t, threshold);
        }
        return true;
    }

    /// Reads a variable; returns nullptr when unset. Defaults to std::getenv.
    using env_lookup = std::function<const char*(const char*)>;
    /// Receives one sentence per malformed setting.
    using diagnostic_sink = std::function<void(std::string_view)>;

    /// Builds a sampler from OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG.
    /// Unset or empty: parentbased_always_on. An unknown or unsupported name (jaeger_remote,
    /// xray, ...) is reported and parentbased_always_on is used. For the ratio kinds the
    /// argument must be a number in [0, 1]; unset means 1.0, anything else is reported and
    /// 1.0 is used. The names are matched case-insensitively, as the specification asks.
    static sampler from_env(const env_lookup& get = nullptr, const diagnostic_sink& report = nullptr,
                            unsigned* errors = nullptr) {
        auto lookup = [&](const char* name) -> std::string_view {
            const char* v = get ? get(name) : std::getenv(name);
            return v ? std::string_view(v) : std::string_view{};
        };
        auto complain = [&](const std::string& msg) {
            if (errors) ++*errors;
            if (report) report(msg);
        };
        auto trim = [](std::string_view s) {
            while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
            while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
            return s;
        };
        std::string name(trim(lookup("OTEL_TRACES_SAMPLER")));
        for (auto& c : name)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (name.empty()) return parentbased_always_on();

        auto read_ratio = [&]() {
            const std::string arg(trim(lookup("OTEL_TRACES_SAMPLER_ARG")));
            if (arg.empty()) return 1.0;
            char* end = nullptr;
            const double r = std::strtod(arg.c_str(), &end);
            if (end != arg.c_str() + arg.size() || !std::isfinite(r) || r < 0.0 || r > 1.0) {
                complain("tacit: OTEL_TRACES_SAMPLER_ARG=\"" + arg +
                         "\" is not a ratio in [0, 1]; using 1.0");
                return 1.0;
            }
            return r;
        };
        if (name == "always_on") return always_on();
        if (name == "always_off") return always_off();
        if (name == "traceidratio") return traceidratio(read_ratio());
        if (name == "parentbased_always_on") return parentbased_always_on();
        if (name == "parentbased_always_off") return parentbased_always_off();
        if (name == "parentbased_traceidratio") return parentbased_traceidratio(read_ratio());
        complain("tacit: OTEL_TRACES_SAMPLER=\"" + name +
                 "\" is not supported (use always_on, always_off, traceidratio, parentbased_always_on, "
                 "parentbased_always_off or parentbased_traceidratio); using parentbased_always_on");
        return parentbased_always_on();
    }
};

}  // namespace tacit::inline TACIT_ABI
