#pragma once
/// OTLP/HTTP trace exporter: POSTs ExportTraceServiceRequest to `{endpoint}/v1/traces` as
/// protobuf (default) or JSON, over one kept-alive libcurl handle, optionally gzip-compressed,
/// retrying throttled and unavailable responses with bounded exponential backoff.
/// Programs that include this header link libcurl and zlib.
///
///     auto o = tacit::otlp_http_options::from_env();      // OTEL_EXPORTER_OTLP_* and friends
///     o.endpoint = "http://collector:4318";                // code wins over the environment
///     o.traces_endpoint.clear();                           // (a TRACES_ENDPOINT would win over it)
///     pipeline.add_exporter(std::make_unique<tacit::otlp_http_exporter>(std::move(o)));
///
/// It is silent by default: malformed settings and failed exports are counted (see
/// counters()), and reported as sentences only to an `on_error` sink the user installs.
#include <algorithm>           // std::min, std::max
#include <atomic>              // counters, the abort deadline
#include <chrono>              // timeouts and backoff
#include <condition_variable>  // interruptible backoff sleeps
#include <cstdint>             // counters
#include <cstdio>              // stderr for otlp_stderr_sink
#include <cstdlib>             // std::getenv, std::strtoll
#include <ctime>               // std::time for Retry-After dates
#include <functional>          // the diagnostic sink, env lookup
#include <mutex>               // in-flight state
#include <optional>            // compression and response results
#include <random>              // backoff jitter
#include <string>              // URLs, headers, messages
#include <string_view>         // parsing
#include <utility>             // std::pair, std::move
#include <vector>              // headers, attributes

#include <curl/curl.h>
#include <zlib.h>

#include "../config.hpp"
#include "../detail/otlp_json.hpp"
#include "../detail/otlp_proto.hpp"
#include "../exporter.hpp"

namespace tacit::inline TACIT_ABI {

/// The OTLP/HTTP encodings (OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf, http/json).
enum class otlp_protocol : std::uint8_t { http_protobuf, http_json };
/// Request body compression (OTEL_EXPORTER_OTLP_COMPRESSION none, gzip).
enum class otlp_compression : std::uint8_t { none, gzip };

/// Everything the exporter can be told. Build it with from_env() and override in code, or
/// fill it in directly (then no environment variable is read).
struct otlp_http_options {
    /// Base URL; "/v1/traces" is appended (OTEL_EXPORTER_OTLP_ENDPOINT).
    std::string endpoint = "http://localhost:4318";
    /// Full URL used as-is when not empty (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
    std::string traces_endpoint;
    otlp_protocol protocol = otlp_protocol::http_protobuf;
    otlp_compression compression = otlp_compression::none;
    /// Extra request headers, e.g. {"authorization", "Bearer ..."} (OTEL_EXPORTER_OTLP_HEADERS).
    std::vector<std::pair<std::string, std::string>> headers;
    /// Bounds one whole export: every attempt and every backoff sleep (OTEL_EXPORTER_OTLP_TIMEOUT).
    std::chrono::milliseconds timeout{10000};
    /// service.name when the pipeline's resource has none or only "unknown_service"
    /// (OTEL_SERVICE_NAME).
    std::string service_name;
    /// Extra resource attributes (OTEL_RESOURCE_ATTRIBUTES); the pipeline's take precedence.
    std::vector<std::pair<std::string, std::string>> resource_attributes;
    /// PEM file of trusted CAs for HTTPS; empty: the system store (OTEL_EXPORTER_OTLP_CERTIFICATE).
    std::string ca_file;
    /// Attempts per export, the first included (retries happen only on 429/502/503/504 and
    /// connection failures).
    int max_attempts = 5;
    /// First backoff; it doubles up to max_backoff, each sleep jittered to 80-120 %.
    std::chrono::milliseconds initial_backoff{1000};
    std::chrono::milliseconds max_backoff{5000};
    /// Receives one sentence per problem (malformed setting, failed export, rejected spans).
    /// Unset: nothing is printed anywhere; the counters still count.
    std::function<void(std::string_view)> on_error;
    /// Problems from_env() found; the exporter reports each once through on_error.
    std::vector<std::string> config_errors;

    /// Reads a variable; returns nullptr when unset. Defaults to std::getenv.
    using env_lookup = std::function<const char*(const char*)>;

    /// The options the standard environment variables describe. Each malformed value is
    /// recorded in config_errors and its documented default is kept (see docs/otlp.md).
    /// The traces-specific variables (OTEL_EXPORTER_OTLP_TRACES_*) win over the general ones.
    static otlp_http_options from_env(const env_lookup& get = nullptr);

    /// The URL requests go to.
    std::string url() const {
        if (!traces_endpoint.empty()) return traces_endpoint;
        std::string base = endpoint;
        while (!base.empty() && base.back() == '/') base.pop_back();
        return base + "/v1/traces";
    }
};

/// Writes each diagnostic to stderr, for users who ask for it: `o.on_error = tacit::otlp_stderr_sink;`
inline void otlp_stderr_sink(std::string_view msg) {
    std::fwrite(msg.data(), 1, msg.size(), stderr);
    std::fputc('\n', stderr);
}

/// A snapshot of the exporter's counters.
struct otlp_http_counters {
    std::uint64_t spans_exported = 0;  ///< accepted by the receiver
    std::uint64_t spans_rejected = 0;  ///< refused in a partial_success
    std::uint64_t spans_failed = 0;    ///< not delivered: non-retryable status, retries exhausted, deadline, shutdown
    std::uint64_t requests = 0;        ///< HTTP attempts made
    std::uint64_t retries = 0;         ///< attempts after the first
    std::uint64_t bytes_sent = 0;      ///< request body bytes, after compression, over all attempts
    std::uint64_t failed_exports = 0;  ///< export calls that returned failure
    std::uint64_t config_errors = 0;   ///< malformed settings replaced by defaults
};

namespace detail {

inline std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// Percent-decodes (RFC 3986); nullopt on a malformed escape.
inline std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    auto hexval = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        const int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
        if (h < 0 || l < 0) return std::nullopt;
        out += static_cast<char>(h * 16 + l);
        i += 2;
    }
    return out;
}

/// Parses "k=v,k2=v2" with percent-encoded values (the W3C Baggage-like list of
/// OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES). Empty members are skipped; each
/// bad member is described in `errors` and left out.
inline std::vector<std::pair<std::string, std::string>> parse_key_value_list(std::string_view s, std::string_view var,
                                                                             std::vector<std::string>& errors) {
    std::vector<std::pair<std::string, std::string>> out;
    while (true) {
        const auto comma = s.find(',');
        const auto member = trim_ows(s.substr(0, comma));
        if (!member.empty()) {
            const auto eq = member.find('=');
            const auto key = eq == std::string_view::npos ? std::string_view{} : trim_ows(member.substr(0, eq));
            auto value = eq == std::string_view::npos ? std::nullopt : percent_decode(trim_ows(member.substr(eq + 1)));
            if (key.empty() || !value) {
                errors.push_back("tacit: " + std::string(var) + " member \"" + std::string(member) +
                                 "\" is not key=value with a percent-encoded value; it is ignored");
            } else {
                auto k = percent_decode(key);
                if (!k) errors.push_back("tacit: " + std::string(var) + " key \"" + std::string(key) +
                                         "\" has a malformed percent escape; it is ignored");
                else out.emplace_back(std::move(*k), std::move(*value));
            }
        }
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return out;
}

/// RFC 9110 token characters, the only ones allowed in a header name.
inline bool valid_header_name(std::string_view k) noexcept {
    if (k.empty()) return false;
    for (char c : k) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        if (!ok) return false;
    }
    return true;
}

/// A header value must not smuggle in another header or end the request head.
inline bool valid_header_value(std::string_view v) noexcept {
    for (char c : v)
        if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
}

inline bool valid_http_url(std::string_view u) noexcept {
    // Check the scheme before looking past it: "x" has no "://" to skip.
    if (!u.starts_with("http://") && !u.starts_with("https://")) return false;
    const auto host = u.substr(u.find("://") + 3);
    return !host.empty() && host.front() != '/';
}

}  // namespace detail

inline otlp_http_options otlp_http_options::from_env(const env_lookup& get) {
    otlp_http_options o;
    auto lookup = [&](const char* name) -> std::string_view {
        const char* v = get ? get(name) : std::getenv(name);
        return v ? detail::trim_ows(std::string_view(v)) : std::string_view{};
    };
    // The traces-specific variable wins; returns the name actually used.
    auto pick = [&](const char* specific, const char* general, std::string_view& value) -> const char* {
        value = lookup(specific);
        if (!value.empty()) return specific;
        value = lookup(general);
        return general;
    };
    auto error = [&](std::string msg) { o.config_errors.push_back(std::move(msg)); };
    std::string_view v;

    if (auto te = lookup("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); !te.empty()) {
        if (detail::valid_http_url(te)) o.traces_endpoint = std::string(te);
        else error("tacit: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=\"" + std::string(te) +
                   "\" is not an http:// or https:// URL; it is ignored");
    }
    if (auto e = lookup("OTEL_EXPORTER_OTLP_ENDPOINT"); !e.empty()) {
        if (detail::valid_http_url(e)) o.endpoint = std::string(e);
        else error("tacit: OTEL_EXPORTER_OTLP_ENDPOINT=\"" + std::string(e) +
                   "\" is not an http:// or https:// URL; using http://localhost:4318");
    }
    if (const char* name = pick("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL", v); !v.empty()) {
        if (v == "http/protobuf") o.protocol = otlp_protocol::http_protobuf;
        else if (v == "http/json") o.protocol = otlp_protocol::http_json;
        else if (v == "grpc")
            error(std::string("tacit: ") + name + "=grpc is not supported by tacit's OTLP/HTTP exporter; using http/protobuf");
        else
            error(std::string("tacit: ") + name + "=\"" + std::string(v) +
                  "\" is not http/protobuf or http/json; using http/protobuf");
    }
    if (const char* name = pick("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS", v); !v.empty()) {
        for (auto& [k, val] : detail::parse_key_value_list(v, name, o.config_errors)) {
            if (!detail::valid_header_name(k) || !detail::valid_header_value(val))
                error(std::string("tacit: ") + name + " header \"" + k +
                      "\" has a name that is not an HTTP token or a value with CR, LF or NUL; it is ignored");
            else
                o.headers.emplace_back(std::move(k), std::move(val));
        }
    }
    if (const char* name = pick("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT", v); !v.empty()) {
        const std::string s(v);
        char* end = nullptr;
        const long long ms = std::strtoll(s.c_str(), &end, 10);
        if (end != s.c_str() + s.size() || ms <= 0 || ms > 3'600'000)
            error(std::string("tacit: ") + name + "=\"" + s +
                  "\" is not a number of milliseconds in 1..3600000; using 10000");
        else
            o.timeout = std::chrono::milliseconds(ms);
    }
    if (const char* name = pick("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION", v);
        !v.empty()) {
        if (v == "gzip") o.compression = otlp_compression::gzip;
        else if (v == "none") o.compression = otlp_compression::none;
        else error(std::string("tacit: ") + name + "=\"" + std::string(v) + "\" is not gzip or none; using none");
    }
    if (pick("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE", v); !v.empty())
        o.ca_file = std::string(v);
    if (auto sn = lookup("OTEL_SERVICE_NAME"); !sn.empty()) o.service_name = std::string(sn);
    if (auto ra = lookup("OTEL_RESOURCE_ATTRIBUTES"); !ra.empty()) {
        // The resource SDK specification: on any error the whole value is discarded.
        std::vector<std::string> errs;
        auto attrs = detail::parse_key_value_list(ra, "OTEL_RESOURCE_ATTRIBUTES", errs);
        if (errs.empty()) o.resource_attributes = std::move(attrs);
        else for (auto& e : errs) error(e + " (the whole of OTEL_RESOURCE_ATTRIBUTES is discarded)");
    }
    return o;
}

/// The OTLP/HTTP exporter. Runs on the pipeline's background thread; shutdown() and
/// force_flush() may also be called from another thread to bound an export in progress.
class otlp_http_exporter final : public exporter {
public:
    using options = otlp_http_options;

    /// Configured from the environment alone.
    otlp_http_exporter() : otlp_http_exporter(otlp_http_options::from_env()) {}

    explicit otlp_http_exporter(otlp_http_options o) : opt_(std::move(o)) {
        for (const auto& e : opt_.config_errors) report_config(e);
        url_ = opt_.url();
        if (!detail::valid_http_url(url_)) {
            report_config("tacit: OTLP URL \"" + url_ + "\" is not an http:// or https:// URL; using "
                          "http://localhost:4318/v1/traces");
            url_ = "http://localhost:4318/v1/traces";
        }
        if (opt_.timeout.count() <= 0) {
            report_config("tacit: OTLP timeout must be positive; using 10000 ms");
            opt_.timeout = std::chrono::milliseconds(10000);
        }
        if (opt_.max_attempts < 1) opt_.max_attempts = 1;
        build_resource();
        init_curl();
    }

    otlp_http_exporter(const otlp_http_exporter&) = delete;
    otlp_http_exporter& operator=(const otlp_http_exporter&) = delete;

    ~otlp_http_exporter() override {
        if (curl_) curl_easy_cleanup(curl_);
        if (headers_) curl_slist_free_all(headers_);
        if (zinit_) deflateEnd(&z_);
    }

    export_result export_spans(const export_batch& batch) override {
        const std::uint64_t n = batch.spans.size();
        if (n == 0) return export_result::success();
        {
            std::lock_guard lk(mu_);
            if (shut_down_ || !curl_) {
                fail(n, shut_down_ ? "tacit: OTLP export after shutdown; spans dropped"
                                   : "tacit: OTLP exporter has no HTTP handle (curl_easy_init failed); spans dropped");
                return export_result::failure();
            }
            in_flight_ = true;
            abort_at_ns_.store(never, std::memory_order_relaxed);
        }
        struct done_guard {
            otlp_http_exporter& e;
            ~done_guard() {
                {
                    std::lock_guard lk(e.mu_);
                    e.in_flight_ = false;
                }
                e.cv_.notify_all();
            }
        } guard{*this};

        encode(batch);
        const auto body = body_view();
        if (!body) {
            fail(n, "tacit: OTLP gzip compression failed; " + std::to_string(n) + " spans dropped");
            return export_result::failure();
        }
        return deliver(*body, n);
    }

    /// Nothing is buffered between calls. Called from another thread while an export is in
    /// progress, it lets that export run at most `timeout` longer (no new attempt starts
    /// after that) and returns whether it finished in time.
    bool force_flush(std::chrono::milliseconds timeout) override {
        std::unique_lock lk(mu_);
        if (!in_flight_) return true;
        limit_abort(timeout);
        ++wakeups_;
        cv_.notify_all();
        return cv_.wait_for(lk, timeout + std::chrono::milliseconds(50), [&] { return !in_flight_; });
    }

    /// No export starts after this; one in progress gets at most `timeout` more.
    void shutdown(std::chrono::milliseconds timeout) override {
        std::unique_lock lk(mu_);
        shut_down_ = true;
        limit_abort(timeout);
        ++wakeups_;
        cv_.notify_all();
        cv_.wait_for(lk, timeout + std::chrono::milliseconds(50), [&] { return !in_flight_; });
    }

    /// The pipeline gave up waiting: abort the export in progress and start no other.
    void cancel() noexcept override {
        std::lock_guard lk(mu_);
        shut_down_ = true;
        limit_abort(std::chrono::milliseconds(0));
        ++wakeups_;
        cv_.notify_all();
    }

    /// The counters, readable from any thread.
    otlp_http_counters counters() const noexcept {
        otlp_http_counters c;
        c.spans_exported = spans_exported_.load(std::memory_order_relaxed);
        c.spans_rejected = spans_rejected_.load(std::memory_order_relaxed);
        c.spans_failed = spans_failed_.load(std::memory_order_relaxed);
        c.requests = requests_.load(std::memory_order_relaxed);
        c.retries = retries_.load(std::memory_order_relaxed);
        c.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
        c.failed_exports = failed_exports_.load(std::memory_order_relaxed);
        c.config_errors = config_errors_.load(std::memory_order_relaxed);
        return c;
    }

    /// The exporter's accounting in the pipeline's terms.
    exporter_stats stats() const noexcept {
        const auto c = counters();
        return {c.spans_exported, c.spans_rejected, c.spans_failed};
    }

    /// Where requests go, after defaults and validation.
    const std::string& url() const noexcept { return url_; }
    const otlp_http_options& settings() const noexcept { return opt_; }

    /// Encodes a batch exactly as it would be sent (before compression), for tests and tools.
    std::string_view encode_for_test(const export_batch& batch) {
        encode(batch);
        return buf_.view();
    }

private:
    static constexpr std::int64_t never = INT64_MAX;
    using clock = std::chrono::steady_clock;

    static std::int64_t now_ns() noexcept {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count();
    }

    // Called with mu_ held.
    void limit_abort(std::chrono::milliseconds timeout) noexcept {
        const auto at = now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
        if (at < abort_at_ns_.load(std::memory_order_relaxed)) abort_at_ns_.store(at, std::memory_order_relaxed);
    }

    void report(std::string_view msg) const {
        if (opt_.on_error) opt_.on_error(msg);
    }
    void report_config(const std::string& msg) {
        config_errors_.fetch_add(1, std::memory_order_relaxed);
        report(msg);
    }
    void fail(std::uint64_t n, std::string_view why) {
        spans_failed_.fetch_add(n, std::memory_order_relaxed);
        failed_exports_.fetch_add(1, std::memory_order_relaxed);
        report(why);
    }

    void build_resource() {
        auto add = [&](std::string_view k, std::string_view v) {
            for (const auto& [ek, ev] : resource_strings_)
                if (ek == k) return;
            resource_strings_.emplace_back(std::string(k), std::string(v));
        };
        // Fixed first: code and environment cannot pretend to be another SDK.
        add("telemetry.sdk.name", "tacit");
        add("telemetry.sdk.language", "cpp");
        add("telemetry.sdk.version", TACIT_VERSION_STRING);
        fixed_resource_ = resource_strings_.size();
        if (!opt_.service_name.empty()) add("service.name", opt_.service_name);
        for (const auto& [k, v] : opt_.resource_attributes) add(k, v);
    }

    /// Merges the batch's resource (it wins) with the exporter's own into resource_views_.
    void merge_resource(const resource_view& r) {
        resource_views_.clear();
        auto has = [&](std::string_view k) {
            for (const auto& a : resource_views_)
                if (a.key == k) return true;
            return false;
        };
        auto add = [&](std::string_view k, value_view v) {
            if (!has(k)) resource_views_.push_back(attribute_view{k, sensitivity::public_data, v});
        };
        for (std::size_t i = 0; i < fixed_resource_; ++i)
            add(resource_strings_[i].first, value_view::of(std::string_view(resource_strings_[i].second)));
        // The pipeline's name wins unless it is only the specification's placeholder.
        if (!r.service_name.empty() && !(r.service_name.starts_with("unknown_service") && !opt_.service_name.empty()))
            add("service.name", value_view::of(r.service_name));
        if (!r.service_version.empty()) add("service.version", value_view::of(r.service_version));
        for (std::size_t i = fixed_resource_; i < resource_strings_.size(); ++i)
            if (resource_strings_[i].first == "service.name")
                add(resource_strings_[i].first, value_view::of(std::string_view(resource_strings_[i].second)));
        for (const auto& a : r.attributes) add(a.key, a.value);
        for (std::size_t i = fixed_resource_; i < resource_strings_.size(); ++i)
            add(resource_strings_[i].first, value_view::of(std::string_view(resource_strings_[i].second)));
        add("service.name", value_view::of(std::string_view("unknown_service")));
    }

    void encode(const export_batch& batch) {
        merge_resource(batch.resource);
        detail::otlp_payload p;
        p.resource = resource_views_;
        p.spans = batch.spans;
        if (opt_.protocol == otlp_protocol::http_json) detail::encode_json(p, buf_);
        else detail::encode_protobuf(p, buf_);
    }

    std::optional<std::string_view> body_view() {
        if (opt_.compression != otlp_compression::gzip) return buf_.view();
        if (!zinit_) {
            // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
            if (deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return std::nullopt;
            zinit_ = true;
        } else {
            deflateReset(&z_);
        }
        const auto bound = deflateBound(&z_, static_cast<uLong>(buf_.size()));
        gz_.resize(bound);
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(buf_.data()));
        z_.avail_in = static_cast<uInt>(buf_.size());
        z_.next_out = reinterpret_cast<Bytef*>(gz_.data());
        z_.avail_out = static_cast<uInt>(gz_.size());
        // deflateBound's room makes Z_FINISH complete in one call.
        if (deflate(&z_, Z_FINISH) != Z_STREAM_END) return std::nullopt;
        return std::string_view(gz_.data(), gz_.size() - z_.avail_out);
    }

    void init_curl() {
        static const bool global = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
        (void)global;
        curl_ = curl_easy_init();
        if (!curl_) return;
        const bool json = opt_.protocol == otlp_protocol::http_json;
        headers_ = curl_slist_append(headers_, json ? "Content-Type: application/json"
                                                    : "Content-Type: application/x-protobuf");
        if (opt_.compression == otlp_compression::gzip)
            headers_ = curl_slist_append(headers_, "Content-Encoding: gzip");
        headers_ = curl_slist_append(headers_, "Expect:");  // no 100-continue round trip
        for (const auto& [k, v] : opt_.headers) {
            if (!detail::valid_header_name(k) || !detail::valid_header_value(v)) {
                report_config("tacit: OTLP header \"" + k + "\" is not a valid HTTP header; it is ignored");
                continue;
            }
            headers_ = curl_slist_append(headers_, (k + ": " + v).c_str());
        }
        curl_easy_setopt(curl_, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(curl_, CURLOPT_POST, 1L);
        curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
        curl_easy_setopt(curl_, CURLOPT_USERAGENT, "tacit/" TACIT_VERSION_STRING " (OTLP/HTTP; C++)");
        curl_easy_setopt(curl_, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
        curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);  // timeouts must not raise SIGALRM in the host
        curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &otlp_http_exporter::on_body);
        curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
        curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &otlp_http_exporter::on_header);
        curl_easy_setopt(curl_, CURLOPT_HEADERDATA, this);
        curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &otlp_http_exporter::on_progress);
        curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, this);
        curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
        if (!opt_.ca_file.empty()) curl_easy_setopt(curl_, CURLOPT_CAINFO, opt_.ca_file.c_str());
    }

    static std::size_t on_body(char* p, std::size_t size, std::size_t n, void* self) {
        auto* e = static_cast<otlp_http_exporter*>(self);
        const std::size_t len = size * n;
        // A response larger than this is not an OTLP response; keep the start for the message.
        if (e->response_.size() < 65536) e->response_.append(p, std::min(len, 65536 - e->response_.size()));
        return len;
    }

    static std::size_t on_header(char* p, std::size_t size, std::size_t n, void* self) {
        auto* e = static_cast<otlp_http_exporter*>(self);
        const std::size_t len = size * n;
        std::string_view line(p, len);
        const auto colon = line.find(':');
        if (colon != std::string_view::npos) {
            std::string name(line.substr(0, colon));
            for (auto& c : name)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            auto value = line.substr(colon + 1);
            while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
            value = detail::trim_ows(value);
            if (name == "retry-after") e->retry_after_ = std::string(value);
            else if (name == "content-type") e->content_type_ = std::string(value);
        }
        return len;
    }

    static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        auto* e = static_cast<otlp_http_exporter*>(self);
        // Nonzero aborts the transfer: shutdown or force_flush ran out of patience.
        return now_ns() >= e->abort_at_ns_.load(std::memory_order_relaxed) ? 1 : 0;
    }

    /// Seconds to wait from a Retry-After value (delta-seconds or an HTTP date); -1 if absent or bad.
    static double parse_retry_after(const std::string& v) {
        if (v.empty()) return -1;
        char* end = nullptr;
        const long long secs = std::strtoll(v.c_str(), &end, 10);
        if (end == v.c_str() + v.size()) return secs >= 0 ? static_cast<double>(secs) : -1;
        const std::time_t t = curl_getdate(v.c_str(), nullptr);
        if (t < 0) return -1;
        const double d = std::difftime(t, std::time(nullptr));
        return d > 0 ? d : 0;
    }

    static bool retryable_curl(CURLcode c) noexcept {
        switch (c) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM: return true;
        default: return false;
        }
    }

    static bool retryable_status(long s) noexcept { return s == 429 || s == 502 || s == 503 || s == 504; }

    export_result deliver(std::string_view body, std::uint64_t n) {
        const auto start = now_ns();
        const auto own_deadline = start + std::chrono::duration_cast<std::chrono::nanoseconds>(opt_.timeout).count();
        auto deadline = [&] { return std::min(own_deadline, abort_at_ns_.load(std::memory_order_relaxed)); };
        auto backoff = std::chrono::duration<double, std::milli>(opt_.initial_backoff);
        std::string last_problem;

        curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));

        for (int attempt = 1;; ++attempt) {
            const auto left_ms = (deadline() - now_ns()) / 1'000'000;
            if (left_ms <= 0) {
                fail(n, "tacit: OTLP export to " + url_ + " gave up at its deadline" +
                            (last_problem.empty() ? std::string() : " after " + last_problem) + "; " +
                            std::to_string(n) + " spans dropped");
                return export_result::failure();
            }
            response_.clear();
            retry_after_.clear();
            content_type_.clear();
            curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(left_ms));
            requests_.fetch_add(1, std::memory_order_relaxed);
            if (attempt > 1) retries_.fetch_add(1, std::memory_order_relaxed);
            bytes_sent_.fetch_add(body.size(), std::memory_order_relaxed);
            const CURLcode rc = curl_easy_perform(curl_);
            long status = 0;
            if (rc == CURLE_OK) curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);

            double wait_s = -1;
            if (rc == CURLE_OK && status >= 200 && status < 300) return accepted(n);
            if (rc == CURLE_OK && retryable_status(status)) {
                last_problem = "HTTP " + std::to_string(status);
                wait_s = parse_retry_after(retry_after_);
            } else if (rc == CURLE_OK) {
                fail(n, "tacit: OTLP receiver " + url_ + " answered HTTP " + std::to_string(status) + " (" +
                            snippet() + "); " + std::to_string(n) + " spans dropped, not retried");
                return export_result::failure();
            } else if (rc == CURLE_ABORTED_BY_CALLBACK) {
                fail(n, "tacit: OTLP export to " + url_ + " aborted by shutdown/flush deadline; " +
                            std::to_string(n) + " spans dropped");
                return export_result::failure();
            } else if (retryable_curl(rc)) {
                last_problem = std::string(curl_easy_strerror(rc));
            } else {
                fail(n, "tacit: OTLP export to " + url_ + " failed: " + curl_easy_strerror(rc) + "; " +
                            std::to_string(n) + " spans dropped, not retried");
                return export_result::failure();
            }

            if (attempt >= opt_.max_attempts) {
                fail(n, "tacit: OTLP export to " + url_ + " failed after " + std::to_string(attempt) +
                            " attempts (last: " + last_problem + "); " + std::to_string(n) + " spans dropped");
                return export_result::failure();
            }
            double delay_ms;
            if (wait_s >= 0) {
                delay_ms = wait_s * 1000.0;  // the receiver said when; no jitter on top
            } else {
                std::uniform_real_distribution<double> jitter(0.8, 1.2);
                delay_ms = std::min(backoff.count(), static_cast<double>(opt_.max_backoff.count())) * jitter(rng_);
                backoff *= 2;
            }
            const auto wake = now_ns() + static_cast<std::int64_t>(delay_ms * 1e6);
            std::unique_lock lk(mu_);
            for (auto now = now_ns(); now < wake; now = now_ns()) {
                // Checked again after shutdown()/force_flush() wake us: their deadline may now
                // fall before the next attempt could start.
                if (wake >= deadline()) {
                    lk.unlock();
                    fail(n, "tacit: OTLP export to " + url_ + " cannot retry after " + last_problem +
                                " within its deadline; " + std::to_string(n) + " spans dropped");
                    return export_result::failure();
                }
                const auto seen = wakeups_;
                cv_.wait_for(lk, std::chrono::nanoseconds(wake - now), [&] { return wakeups_ != seen; });
            }
        }
    }

    export_result accepted(std::uint64_t n) {
        const bool json = content_type_.find("json") != std::string::npos ||
                          (content_type_.empty() && opt_.protocol == otlp_protocol::http_json);
        std::optional<detail::partial_success> ps =
            json ? detail::decode_json_response(response_) : detail::decode_protobuf_response(response_);
        if (!ps) {
            // The spans were accepted (2xx); only the body is unreadable.
            report("tacit: OTLP receiver " + url_ + " sent an unreadable success response (" + snippet() + ")");
            ps.emplace();
        }
        const std::uint64_t rejected = std::min(ps->rejected_spans, n);
        spans_exported_.fetch_add(n - rejected, std::memory_order_relaxed);
        spans_rejected_.fetch_add(rejected, std::memory_order_relaxed);
        if (rejected || !ps->error_message.empty())
            report("tacit: OTLP receiver " + url_ + " rejected " + std::to_string(rejected) + " of " +
                   std::to_string(n) + " spans: " + ps->error_message);
        return rejected ? export_result::partial(rejected) : export_result::success();
    }

    std::string snippet() const {
        std::string s = response_.substr(0, 200);
        for (auto& c : s)
            if (static_cast<unsigned char>(c) < 0x20) c = ' ';
        return s.empty() ? "empty body" : s;
    }

    otlp_http_options opt_;
    std::string url_;
    std::vector<std::pair<std::string, std::string>> resource_strings_;
    std::size_t fixed_resource_ = 0;
    std::vector<attribute_view> resource_views_;
    detail::byte_buffer buf_;
    std::string gz_;
    z_stream z_{};
    bool zinit_ = false;

    CURL* curl_ = nullptr;
    curl_slist* headers_ = nullptr;
    std::string response_;
    std::string retry_after_;
    std::string content_type_;
    std::minstd_rand rng_{std::random_device{}()};

    std::mutex mu_;
    std::condition_variable cv_;
    bool in_flight_ = false;
    bool shut_down_ = false;
    std::uint64_t wakeups_ = 0;  // bumped by shutdown()/force_flush() to end a backoff sleep early
    std::atomic<std::int64_t> abort_at_ns_{never};

    std::atomic<std::uint64_t> spans_exported_{0}, spans_rejected_{0}, spans_failed_{0}, requests_{0}, retries_{0},
        bytes_sent_{0}, failed_exports_{0}, config_errors_{0};
};

}  // namespace tacit::inline TACIT_ABI
