// Hostile environment: every setting tacit reads from the environment, set to fuzzed values
// through setenv, then pipeline_options::from_env, sampler::from_env, parse_flag, parse_uint
// and (where the OTLP exporter is built) otlp_http_options::from_env. Each result must be in
// its documented range, and a malformed value must be reported, never used.
#include <tacit/tacit.hpp>
#if TACIT_FUZZ_OTLP
#include <tacit/exporters/otlp_http.hpp>
#endif

#include <charconv>
#include <map>

#include "input.hpp"

namespace {

const char* const names[] = {
    "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_EXPORT_TIMEOUT",
    "TACIT_SHUTDOWN_TIMEOUT",  "TACIT_RING_BYTES",        "OTEL_TRACES_SAMPLER",            "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_SERVICE_NAME",       "OTEL_SDK_DISABLED",       "TACIT_DISABLED",                 "DO_NOT_TRACK",
#if TACIT_FUZZ_OTLP
    "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_RESOURCE_ATTRIBUTES", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
#endif
};
constexpr std::size_t count = sizeof names / sizeof names[0];

std::string_view trimmed(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
    return v;
}

/// An independent reading of "a whole number in [lo, hi]".
std::optional<std::uint64_t> oracle_uint(std::string_view v, std::uint64_t lo, std::uint64_t hi) {
    v = trimmed(v);
    if (v.empty() || v.size() > 19) return std::nullopt;
    for (char c : v)
        if (c < '0' || c > '9') return std::nullopt;
    std::uint64_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);
    if (n < lo || n > hi) return std::nullopt;
    return n;
}

std::string lower(std::string_view v) {
    std::string s(v);
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in{data, size};
    std::uint32_t mask = static_cast<std::uint32_t>(in.byte()) | (static_cast<std::uint32_t>(in.byte()) << 8) |
                         (static_cast<std::uint32_t>(in.byte()) << 16);
    std::map<std::string, std::string> env;
    for (std::size_t i = 0; i < count; ++i) {
        ::unsetenv(names[i]);
        if (!(mask & (1u << i))) continue;
        std::string v(in.bytes());
        v = v.substr(0, v.find('\0'));  // what setenv can carry
        ::setenv(names[i], v.c_str(), 1);
        env[names[i]] = v;
    }

    // parse_flag / parse_uint on a raw value, against independent readings.
    std::string raw(in.bytes());
    std::uint64_t lo = in.u64() % 5000, hi = lo + in.u64() % (std::uint64_t{1} << 40);
    auto u = tacit::detail::parse_uint(raw, lo, hi);
    auto expected = oracle_uint(raw, lo, hi);
    FUZZ_CHECK(u == expected, raw);
    auto f = tacit::detail::parse_flag(raw);
    std::string l = lower(trimmed(raw));
    if (l == "true" || l == "yes" || l == "1" || l == "on") FUZZ_CHECK(f == std::optional<bool>(true), raw);
    else if (l == "false" || l == "no" || l == "0" || l == "off" || l.empty()) FUZZ_CHECK(f == std::optional<bool>(false), raw);
    else FUZZ_CHECK(!f.has_value(), raw);

    // pipeline_options: every field in its documented range; malformed numbers are reported.
    unsigned reports = 0;
    auto o = tacit::pipeline_options::from_env([&](std::string_view) { ++reports; });
    FUZZ_CHECK(o.max_queue_size >= 1 && o.max_queue_size <= (1u << 24), "queue size");
    FUZZ_CHECK(o.max_export_batch_size >= 1 && o.max_export_batch_size <= o.max_queue_size, "batch size");
    FUZZ_CHECK(o.schedule_delay.count() >= 0 && o.schedule_delay.count() <= 3600000, "schedule delay");
    FUZZ_CHECK(o.export_timeout.count() >= 0 && o.export_timeout.count() <= 3600000, "export timeout");
    FUZZ_CHECK(o.shutdown_timeout.count() >= 0 && o.shutdown_timeout.count() <= 600000, "shutdown timeout");
    FUZZ_CHECK(o.ring_bytes == 0 || (o.ring_bytes >= 4096 && o.ring_bytes <= (std::size_t{1} << 30)), "ring bytes");
    FUZZ_CHECK(!o.service_name.empty(), "service name");
    unsigned malformed = 0;
    const std::pair<const char*, std::pair<std::uint64_t, std::uint64_t>> numeric[] = {
        {"OTEL_BSP_MAX_QUEUE_SIZE", {1, 1u << 24}},       {"OTEL_BSP_SCHEDULE_DELAY", {0, 3600000}},
        {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", {1, 1u << 20}}, {"OTEL_BSP_EXPORT_TIMEOUT", {0, 3600000}},
        {"TACIT_SHUTDOWN_TIMEOUT", {0, 600000}},           {"TACIT_RING_BYTES", {4096, std::uint64_t{1} << 30}},
    };
    for (const auto& [name, range] : numeric) {
        auto it = env.find(name);
        if (it == env.end()) continue;
        auto n = oracle_uint(it->second, range.first, range.second);
        if (!n) ++malformed;
        else if (std::string_view(name) == "TACIT_SHUTDOWN_TIMEOUT") FUZZ_CHECK(static_cast<std::uint64_t>(o.shutdown_timeout.count()) == *n, it->second);
        else if (std::string_view(name) == "TACIT_RING_BYTES") FUZZ_CHECK(o.ring_bytes == *n, it->second);
    }
    FUZZ_CHECK(reports >= malformed, "a malformed number was not reported");

    // The sampler: a known kind, a ratio in [0, 1].
    unsigned errors = 0;
    auto s = tacit::sampler::from_env(nullptr, nullptr, &errors);
    FUZZ_CHECK(s.ratio >= 0.0 && s.ratio <= 1.0, "sampler ratio");
    FUZZ_CHECK(s.threshold <= tacit::sampling_space, "sampler threshold");
    FUZZ_CHECK(s.threshold == tacit::ratio_threshold(s.ratio) || s.kind == tacit::sampler_kind::always_off ||
                   s.kind == tacit::sampler_kind::parentbased_always_off,
               "sampler threshold must follow its ratio");

    // The switch: OTEL_SDK_DISABLED only honours "true"; the others any true flag.
    bool off = tacit::detail::env_disabled({});
    bool want = false;
    if (auto it = env.find("OTEL_SDK_DISABLED"); it != env.end()) want = lower(trimmed(it->second)) == "true";
    for (const char* n : {"TACIT_DISABLED", "DO_NOT_TRACK"})
        if (auto it = env.find(n); it != env.end())
            if (auto fl = tacit::detail::parse_flag(it->second)) want = want || *fl;
    FUZZ_CHECK(off == want, "env_disabled");

#if TACIT_FUZZ_OTLP
    auto oo = tacit::otlp_http_options::from_env();
    FUZZ_CHECK(tacit::detail::valid_http_url(oo.url()), oo.url());
    for (const auto& [k, v] : oo.headers) {
        FUZZ_CHECK(tacit::detail::valid_header_name(k), k);
        FUZZ_CHECK(tacit::detail::valid_header_value(v), v);
    }
    FUZZ_CHECK(oo.timeout.count() > 0, "otlp timeout");
#endif
    for (std::size_t i = 0; i < count; ++i) ::unsetenv(names[i]);
    return 0;
}
