#pragma once
/// Pipeline settings: named and defaulted like OpenTelemetry's batch span processor, read from
/// the standard environment variables. A malformed value is reported once (through the
/// diagnostic callback, silent by default) and the documented default is used.
#include <chrono>       // durations
#include <cstdint>      // sizes
#include <cstdio>       // std::fprintf for TACIT_LOG=stderr
#include <cstdlib>      // std::getenv, std::strtod
#include <functional>   // the diagnostic callback
#include <optional>     // parse results
#include <string>       // messages
#include <string_view>  // values

#include "config.hpp"
#include "sampler.hpp"

namespace tacit::inline TACIT_ABI {

/// Receives tacit's own problems (a bad environment value, an exporter that threw). Called on
/// the thread that found the problem; must not block. Default: none, so tacit never prints
/// into the host's output unless asked to (TACIT_LOG=stderr does that).
using diagnostic_handler = std::function<void(std::string_view)>;

struct pipeline_options {
    std::size_t max_queue_size = 2048;                       ///< OTEL_BSP_MAX_QUEUE_SIZE
    std::chrono::milliseconds schedule_delay{5000};          ///< OTEL_BSP_SCHEDULE_DELAY
    std::size_t max_export_batch_size = 512;                 ///< OTEL_BSP_MAX_EXPORT_BATCH_SIZE
    std::chrono::milliseconds export_timeout{30000};         ///< OTEL_BSP_EXPORT_TIMEOUT
    std::chrono::milliseconds shutdown_timeout{2000};        ///< TACIT_SHUTDOWN_TIMEOUT
    /// Bytes of each thread's ring; 0 = max_queue_size * 128 (256 KiB by default).
    std::size_t ring_bytes = 0;                              ///< TACIT_RING_BYTES
    /// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG
    tacit::sampler sampler = tacit::sampler::parentbased_always_on();
    bool share_content = false;                              ///< CrewAI's share_crew
    /// Re-read OTEL_SDK_DISABLED / TACIT_DISABLED / DO_NOT_TRACK while running, so a change is
    /// honoured without a restart.
    bool watch_environment = true;
    /// Become the default pipeline that tacit::start<K>() records into.
    bool install_as_default = false;
    std::string service_name = "unknown_service";           ///< OTEL_SERVICE_NAME
    std::string service_version;
    diagnostic_handler on_diagnostic;

    std::size_t effective_ring_bytes() const noexcept { return ring_bytes ? ring_bytes : max_queue_size * 128; }

    /// Defaults overridden by the environment.
    static pipeline_options from_env(diagnostic_handler on_diagnostic = {});
};

namespace detail {

inline std::optional<std::string_view> env(const char* name) noexcept {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string_view(v);
}

inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

/// A boolean switch: true/yes/1/on and false/no/0/off (any case); nullopt when malformed.
inline std::optional<bool> parse_flag(std::string_view v) noexcept {
    v = trim(v);
    for (auto t : {"true", "yes", "1", "on"})
        if (iequals(v, t)) return true;
    for (auto f : {"false", "no", "0", "off", ""})
        if (iequals(v, f)) return false;
    return std::nullopt;
}

/// A whole number in [lo, hi]; nullopt when malformed or out of range.
inline std::optional<std::uint64_t> parse_uint(std::string_view v, std::uint64_t lo, std::uint64_t hi) noexcept {
    v = trim(v);
    if (v.empty() || v.size() > 19) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (n < lo || n > hi) return std::nullopt;
    return n;
}

inline void report_diagnostic(const diagnostic_handler& h, const std::string& msg) {
    if (h) h(msg);
}

/// True when the environment asks for recording to be off. Malformed values are reported
/// through h and read as "not disabled" (the documented default).
inline bool env_disabled(const diagnostic_handler& h) {
    bool off = false;
    if (auto v = env("OTEL_SDK_DISABLED")) {
        // The OpenTelemetry specification only recognises "true" (any case).
        auto t = trim(*v);
        if (iequals(t, "true")) off = true;
        else if (!t.empty() && !iequals(t, "false"))
            report_diagnostic(h, "tacit: OTEL_SDK_DISABLED='" + std::string(*v) + "' is not true or false; using false");
    }
    for (const char* name : {"TACIT_DISABLED", "DO_NOT_TRACK"}) {
        if (auto v = env(name)) {
            if (auto f = parse_flag(*v)) off = off || *f;
            else report_diagnostic(h, std::string("tacit: ") + name + "='" + std::string(*v) + "' is not 1/true/yes or 0/false/no; using 0");
        }
    }
    return off;
}

template <class Rep, class Period>
void env_ms(const char* name, std::chrono::duration<Rep, Period>& out, std::uint64_t lo, std::uint64_t hi, const diagnostic_handler& h) {
    if (auto v = env(name)) {
        if (auto n = parse_uint(*v, lo, hi)) out = std::chrono::milliseconds(*n);
        else report_diagnostic(h, std::string("tacit: ") + name + "='" + std::string(*v) + "' is not a whole number of milliseconds in [" +
                         std::to_string(lo) + ", " + std::to_string(hi) + "]; using " +
                         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(out).count()));
    }
}

inline void env_size(const char* name, std::size_t& out, std::uint64_t lo, std::uint64_t hi, const diagnostic_handler& h) {
    if (auto v = env(name)) {
        if (auto n = parse_uint(*v, lo, hi)) out = static_cast<std::size_t>(*n);
        else report_diagnostic(h, std::string("tacit: ") + name + "='" + std::string(*v) + "' is not a whole number in [" +
                         std::to_string(lo) + ", " + std::to_string(hi) + "]; using " + std::to_string(out));
    }
}

}  // namespace detail

inline pipeline_options pipeline_options::from_env(diagnostic_handler h) {
    pipeline_options o;
    if (auto v = detail::env("TACIT_LOG")) {
        if (detail::iequals(detail::trim(*v), "stderr") && !h)
            h = [](std::string_view m) { std::fprintf(stderr, "%.*s\n", static_cast<int>(m.size()), m.data()); };
    }
    o.on_diagnostic = h;
    detail::env_size("OTEL_BSP_MAX_QUEUE_SIZE", o.max_queue_size, 1, 1u << 24, h);
    detail::env_ms("OTEL_BSP_SCHEDULE_DELAY", o.schedule_delay, 0, 3600000, h);
    detail::env_size("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", o.max_export_batch_size, 1, 1u << 20, h);
    detail::env_ms("OTEL_BSP_EXPORT_TIMEOUT", o.export_timeout, 0, 3600000, h);
    detail::env_ms("TACIT_SHUTDOWN_TIMEOUT", o.shutdown_timeout, 0, 600000, h);
    detail::env_size("TACIT_RING_BYTES", o.ring_bytes, 4096, std::uint64_t{1} << 30, h);
    if (o.max_export_batch_size > o.max_queue_size) {
        detail::report_diagnostic(h, "tacit: OTEL_BSP_MAX_EXPORT_BATCH_SIZE exceeds OTEL_BSP_MAX_QUEUE_SIZE; using the queue size");
        o.max_export_batch_size = o.max_queue_size;
    }
    o.sampler = tacit::sampler::from_env(nullptr, h);
    if (auto v = detail::env("OTEL_SERVICE_NAME"); v && !detail::trim(*v).empty()) o.service_name = std::string(detail::trim(*v));
    return o;
}

}  // namespace tacit::inline TACIT_ABI
