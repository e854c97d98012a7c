#pragma once
/// Prometheus text exposition (format 0.0.4) of a metrics_registry: rendered to a string,
/// written atomically as a node_exporter textfile, or served on GET /metrics by a small
/// embedded HTTP server (cpp-httplib; only where <httplib.h> is available).
///
///     tacit::prometheus_exporter::options o;
///     o.server.port = 9464;                          // 127.0.0.1 unless o.server.host says otherwise
///     p.add_exporter(std::make_unique<tacit::prometheus_exporter>(o));
///
/// Series order is stable: families by name, series by label values (byte-wise), the
/// "__overflow__" series last. Label values are UTF-8 (invalid bytes become U+FFFD) with
/// \\, \" and \n escaped; NaN and infinities print as NaN, +Inf, -Inf.
#include <charconv>     // std::to_chars: shortest round-trip doubles
#include <chrono>       // textfile interval, timeouts
#include <cmath>        // std::isnan, std::isinf
#include <cstdint>      // counts
#include <cstdio>       // std::rename, std::remove, FILE
#include <memory>       // owned server
#include <optional>     // optional server
#include <string>       // exposition text
#include <string_view>  // names
#include <vector>       // bucket counts

#include "../exporter.hpp"
#include "../metrics.hpp"
#include "span_metrics.hpp"

#if __has_include(<httplib.h>) && !defined(TACIT_PROMETHEUS_NO_SERVER)
#define TACIT_PROMETHEUS_HAS_SERVER 1
#include <atomic>              // scrape count
#include <condition_variable>  // bounded task queue
#include <deque>               // pending connections
#include <functional>          // httplib tasks
#include <mutex>               // bounded task queue
#include <thread>              // listener and workers

#include <sys/socket.h>        // setsockopt: SO_REUSEADDR without SO_REUSEPORT

#include <httplib.h>
#else
#define TACIT_PROMETHEUS_HAS_SERVER 0
#endif

namespace tacit::inline TACIT_ABI {
namespace prometheus {

/// Whether this build has the embedded /metrics server (it needs <httplib.h>).
inline constexpr bool has_server = TACIT_PROMETHEUS_HAS_SERVER != 0;

/// The Content-Type of the text exposition.
inline constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

namespace detail {

/// Length of the valid UTF-8 sequence at s[i], or 0 if the bytes there are not one.
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) return 1;
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 3;
    else if (c == 0xED) n = 3, hi = 0x9F;  // no surrogates
    else if (c >= 0xEE && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;  // no overlongs
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;  // nothing past U+10FFFF
    else return 0;
    if (i + n > s.size()) return 0;
    if (b(i + 1) < lo || b(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
    return n;
}

/// Appends s as UTF-8 (invalid bytes as U+FFFD) with backslash and newline escaped, and the
/// double quote too where quote is set (label values; HELP text leaves quotes alone).
inline void append_escaped(std::string& out, std::string_view s, bool quote) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_sequence(s, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
            continue;
        }
        if (n == 1) {
            const char c = s[i];
            if (c == '\\') out += "\\\\";
            else if (c == '\n') out += "\\n";
            else if (c == '"' && quote) out += "\\\"";
            else out += c;
        } else {
            out.append(s.substr(i, n));
        }
        i += n;
    }
}

inline void append_double(std::string& out, double v) {
    if (std::isnan(v)) out += "NaN";
    else if (std::isinf(v)) out += v > 0 ? "+Inf" : "-Inf";
    else {
        char buf[32];
        const auto r = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, r.ptr);
    }
}

inline void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

/// {k="v",...} with an optional trailing le="..."; nothing if there are no labels at all.
inline void append_labels(std::string& out, const std::vector<std::string>& keys,
                          std::span<const std::string_view> values, std::string_view le = {}) {
    if (keys.empty() && le.empty()) return;
    out += '{';
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i) out += ',';
        out += keys[i];
        out += "=\"";
        append_escaped(out, i < values.size() ? values[i] : std::string_view{}, true);
        out += '"';
    }
    if (!le.empty()) {
        if (!keys.empty()) out += ',';
        out += "le=\"";
        out += le;
        out += '"';
    }
    out += '}';
}

}  // namespace detail

/// Appends the exposition of one metric family.
inline void render_family(const tacit::detail::metric_family& f, std::string& out) {
    out += "# HELP ";
    out += f.name();
    out += ' ';
    detail::append_escaped(out, f.help().empty() ? std::string_view(f.name()) : std::string_view(f.help()), false);
    out += "\n# TYPE ";
    out += f.name();
    out += ' ';
    out += to_string(f.type());
    out += '\n';
    std::vector<std::uint64_t> counts(f.bounds().size() + 1);
    std::vector<std::string> les;
    for (double b : f.bounds()) {
        std::string s;
        detail::append_double(s, b);
        les.push_back(std::move(s));
    }
    les.emplace_back("+Inf");
    f.for_each_series([&](tacit::detail::metric_family::index idx, std::span<const std::string_view> values) {
        switch (f.type()) {
        case metric_type::counter:
            out += f.name();
            detail::append_labels(out, f.label_keys(), values);
            out += ' ';
            detail::append_uint(out, f.counter_value(idx));
            out += '\n';
            break;
        case metric_type::gauge:
            out += f.name();
            detail::append_labels(out, f.label_keys(), values);
            out += ' ';
            detail::append_double(out, f.gauge_value(idx));
            out += '\n';
            break;
        case metric_type::histogram: {
            const double sum = f.histogram_value(idx, counts);
            std::uint64_t cumulative = 0;
            for (std::size_t b = 0; b < counts.size(); ++b) {
                cumulative += counts[b];
                out += f.name();
                out += "_bucket";
                detail::append_labels(out, f.label_keys(), values, les[b]);
                out += ' ';
                detail::append_uint(out, cumulative);
                out += '\n';
            }
            // _count is the +Inf bucket by construction, so the two can never disagree.
            out += f.name();
            out += "_sum";
            detail::append_labels(out, f.label_keys(), values);
            out += ' ';
            detail::append_double(out, sum);
            out += '\n';
            out += f.name();
            out += "_count";
            detail::append_labels(out, f.label_keys(), values);
            out += ' ';
            detail::append_uint(out, cumulative);
            out += '\n';
            break;
        }
        }
    });
}

/// Appends the whole registry's exposition, families sorted by name.
inline void render(const metrics_registry& registry, std::string& out) {
    registry.for_each([&](const tacit::detail::metric_family& f) { render_family(f, out); });
}

inline std::string render(const metrics_registry& registry) {
    std::string out;
    render(registry, out);
    return out;
}

/// Writes the exposition for node_exporter's textfile collector: to path + ".tmp", flushed,
/// then renamed over path, so the collector never reads half a file. (Name path *.prom; the
/// collector ignores the .tmp file.)
/// Returns false (and leaves path untouched) on any I/O error; *error says which.
inline bool write_textfile(const metrics_registry& registry, const std::string& path, std::string* error = nullptr) {
    const std::string text = render(registry);
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) {
        if (error) *error = "cannot open " + tmp;
        return false;
    }
    const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    const bool flushed = std::fflush(f) == 0;
    const bool closed = std::fclose(f) == 0;
    if (!(wrote && flushed && closed)) {
        std::remove(tmp.c_str());
        if (error) *error = "cannot write " + tmp;
        return false;
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        if (error) *error = "cannot rename " + tmp + " to " + path;
        return false;
    }
    return true;
}

/// Where and how the /metrics endpoint listens.
struct server_options {
    std::string host = "127.0.0.1";  ///< loopback unless asked otherwise
    int port = 0;                    ///< 0: any free port (read it back with server::port())
    std::size_t max_connections = 4; ///< connections served at once; more wait in the accept queue
    std::size_t max_request_bytes = 4096;  ///< body cap; only GET is routed and its body is never read.
                                           ///< httplib caps the URI and each header line at 8 KiB (414, 400)
    std::chrono::seconds read_timeout{5};  ///< a silent client is dropped after this
};

#if TACIT_PROMETHEUS_HAS_SERVER
namespace detail {

/// httplib's ThreadPool queues without bound; this one holds at most `capacity` accepted
/// connections and makes the accept loop wait beyond that, so the kernel's backlog absorbs
/// (and finally refuses) a flood instead of our memory.
class bounded_task_queue final : public httplib::TaskQueue {
public:
    bounded_task_queue(std::size_t workers, std::size_t capacity) : capacity_(capacity) {
        for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
    }
    void enqueue(std::function<void()> fn) override {
        std::unique_lock lock(mutex_);
        space_.wait(lock, [&] { return pending_.size() < capacity_ || stopping_; });
        pending_.push_back(std::move(fn));
        ready_.notify_one();
    }
    void shutdown() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        space_.notify_all();
        for (auto& t : workers_) t.join();
    }

private:
    void work() {
        for (;;) {
            std::function<void()> fn;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [&] { return !pending_.empty() || stopping_; });
                if (pending_.empty()) return;  // stopping and drained
                fn = std::move(pending_.front());
                pending_.pop_front();
            }
            space_.notify_one();
            fn();
        }
    }
    std::size_t capacity_;
    std::mutex mutex_;
    std::condition_variable ready_, space_;
    std::deque<std::function<void()>> pending_;
    std::vector<std::thread> workers_;
    bool stopping_ = false;
};

}  // namespace detail

/// Serves GET /metrics (and nothing else: other paths get 404, other methods 405) from its
/// own threads until destroyed or stopped. Throws std::runtime_error if it cannot bind.
class server {
public:
    server(const metrics_registry& registry, server_options opts = {}) : registry_(&registry), opts_(std::move(opts)) {
        const std::size_t workers = opts_.max_connections == 0 ? 1 : opts_.max_connections;
        http_.new_task_queue = [workers] { return new detail::bounded_task_queue(workers, workers); };
        http_.set_payload_max_length(opts_.max_request_bytes);
        http_.set_read_timeout(opts_.read_timeout);
        // One request per connection, and no waiting for it beyond the read timeout: httplib's
        // default keep-alive wait (5 s) would let a few idle clients hold every worker.
        http_.set_keep_alive_max_count(1);
        http_.set_keep_alive_timeout(std::max<std::time_t>(1, static_cast<std::time_t>(opts_.read_timeout.count())));
        // httplib's default also sets SO_REUSEPORT, which would let a second server share a
        // taken port silently; SO_REUSEADDR alone still allows a quick restart.
        http_.set_socket_options([](int sock) {
            int yes = 1;
            ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        });
        http_.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
            if (req.path != "/metrics") {
                res.status = 404;
                res.set_content("not found: tacit serves only GET /metrics\n", "text/plain");
                return httplib::Server::HandlerResponse::Handled;
            }
            if (req.method != "GET") {
                res.status = 405;
                res.set_header("Allow", "GET");
                res.set_content("method not allowed: tacit serves only GET /metrics\n", "text/plain");
                return httplib::Server::HandlerResponse::Handled;
            }
            return httplib::Server::HandlerResponse::Unhandled;
        });
        http_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
            res.set_content(render(*registry_), std::string(content_type));
            scrapes_.fetch_add(1, std::memory_order_relaxed);
        });
        if (opts_.port == 0) {
            port_ = http_.bind_to_any_port(opts_.host);
        } else if (http_.bind_to_port(opts_.host, opts_.port)) {
            port_ = opts_.port;
        }
        if (port_ <= 0)
            throw std::runtime_error("tacit: cannot listen on " + opts_.host + ":" + std::to_string(opts_.port));
        listener_ = std::thread([this] { http_.listen_after_bind(); });
        // httplib's stop() does nothing until the listener has marked itself running, so a
        // server stopped right away would never return from listen: wait for that mark.
        for (int i = 0; i < 5000 && !http_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server() { stop(); }

    /// The bound port (the chosen one when options asked for port 0).
    int port() const noexcept { return port_; }
    /// GET /metrics requests answered so far.
    std::uint64_t scrapes() const noexcept { return scrapes_.load(std::memory_order_relaxed); }

    void stop() {
        if (!listener_.joinable()) return;
        http_.stop();
        listener_.join();
    }

private:
    const metrics_registry* registry_;
    server_options opts_;
    httplib::Server http_;
    int port_ = -1;
    std::atomic<std::uint64_t> scrapes_{0};
    std::thread listener_;
};
#endif

}  // namespace prometheus

/// Span metrics plus their exposition: counts spans like span_metrics_exporter, serves the
/// registry on /metrics (when options.serve and the server is available) and/or writes it
/// to a textfile every textfile_interval and at flush and shutdown.
struct prometheus_exporter_options {
    metrics_registry* registry = nullptr;  ///< nullptr: metrics_registry::global()
    span_metrics_options metrics{};
    bool serve = true;
    prometheus::server_options server{};
    std::string textfile;  ///< empty: no textfile
    std::chrono::milliseconds textfile_interval{5000};
};

class prometheus_exporter final : public exporter {
public:
    using options = prometheus_exporter_options;

    explicit prometheus_exporter(options opts = {})
        : opts_(std::move(opts)),
          registry_(opts_.registry ? opts_.registry : &metrics_registry::global()),
          spans_(*registry_, opts_.metrics) {
#if TACIT_PROMETHEUS_HAS_SERVER
        if (opts_.serve) server_.emplace(*registry_, opts_.server);
#else
        if (opts_.serve)
            throw std::runtime_error("tacit: prometheus_exporter was built without <httplib.h>; set serve = false");
#endif        // A first textfile at once, so the collector sees tacit's metrics before the first batch.
        write();
    }

    export_result export_spans(const export_batch& batch) override {
        spans_.export_spans(batch);
        maybe_write();
        return export_result::success();
    }
    void on_tick(const pipeline_stats& stats) override {
        spans_.on_tick(stats);
        maybe_write();
    }
    bool force_flush(std::chrono::milliseconds) override { return write(); }
    void shutdown(std::chrono::milliseconds) override {
        write();
#if TACIT_PROMETHEUS_HAS_SERVER
        server_.reset();
#endif
    }

    /// The port /metrics is served on, or -1 when not serving.
    int port() const noexcept {
#if TACIT_PROMETHEUS_HAS_SERVER
        return server_ ? server_->port() : -1;
#else
        return -1;
#endif
    }
    metrics_registry& registry() const noexcept { return *registry_; }

private:
    bool write() {
        if (opts_.textfile.empty()) return true;
        last_write_ = std::chrono::steady_clock::now();
        return prometheus::write_textfile(*registry_, opts_.textfile);
    }
    void maybe_write() {
        if (!opts_.textfile.empty() && std::chrono::steady_clock::now() - last_write_ >= opts_.textfile_interval)
            write();
    }

    options opts_;
    metrics_registry* registry_;
    span_metrics_exporter spans_;
#if TACIT_PROMETHEUS_HAS_SERVER
    std::optional<prometheus::server> server_;
#endif
    std::chrono::steady_clock::time_point last_write_{};
};

}  // namespace tacit::inline TACIT_ABI

#undef TACIT_PROMETHEUS_HAS_SERVER
