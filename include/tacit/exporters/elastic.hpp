#pragma once
/// Elasticsearch `_bulk` export: each span becomes an action line `{"index":{"_index":...}}`
/// followed by one ECS document, appended to an NDJSON file (for Filebeat or a later
/// `curl --data-binary @file .../_bulk`) or POSTed to a `_bulk` URL with libcurl.
/// Programs that include this header link libcurl.
///
///     tacit::elastic_options o;
///     o.file = "/var/log/tacit/spans.ndjson";        // or o.url = "http://127.0.0.1:9200/_bulk"
///     p.add_exporter(std::make_unique<tacit::elastic_exporter>(o));
///
/// The document (Elastic Common Schema):
///   @timestamp         span start, ISO 8601 UTC with nanoseconds
///   event.duration     nanoseconds; event.start, event.end; event.action = span name;
///   event.kind         "event"; event.outcome: success (ok), failure (error), unknown (unset)
///   trace.id, span.id, span.name, parent.id (only for child spans), span.kind (OTel role)
///   service.name, service.version (when set), error.type (when the span failed)
///   labels.*           the span's attributes; ECS forbids dots in label names, so every '.'
///                      in an attribute key becomes '_' (gen_ai.tool.name -> labels.gen_ai_tool_name).
///                      Strings stay strings, numbers and booleans keep their JSON type, arrays
///                      stay arrays, NaN and infinities become null.
///   tacit.thread, tacit.dropped_attributes, tacit.events (event count; events are not exported)
#include <chrono>       // civil dates, timeouts
#include <cstdint>      // timestamps
#include <cstdio>       // FILE output
#include <stdexcept>    // std::invalid_argument, std::runtime_error
#include <string>       // the NDJSON body
#include <string_view>  // names

#include <curl/curl.h>

#include "../detail/json.hpp"
#include "../exporter.hpp"

namespace tacit::inline TACIT_ABI {

struct elastic_options {
    std::string index = "tacit-spans";  ///< the `_index` of every action line
    std::string file;                   ///< append NDJSON here (one of file / url)
    std::string url;                    ///< POST to this `_bulk` endpoint (one of file / url)
    std::chrono::milliseconds timeout{10000};  ///< per POST
    std::string service_name;           ///< overrides the pipeline's resource service.name
};

namespace detail {

/// "2024-05-01T12:34:56.123456789Z" from Unix nanoseconds. Whole seconds and the remainder are
/// split first: the full uint64 range (to 2554) fits, where int64 nanoseconds would wrap in 2262.
inline void append_iso8601(std::string& out, std::uint64_t unix_ns) {
    using namespace std::chrono;
    const sys_seconds t{seconds(static_cast<std::int64_t>(unix_ns / 1'000'000'000u))};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    char buf[48];
    const int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%09uZ", static_cast<int>(ymd.year()),
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                                static_cast<int>(hms.seconds().count()),
                                static_cast<unsigned>(unix_ns % 1'000'000'000u));
    out.append(buf, static_cast<std::size_t>(n));
}

/// An ECS label name: the attribute key with every '.' made '_'.
inline void append_ecs_label_key(std::string& out, std::string_view key) {
    std::string k(key);
    for (auto& c : k)
        if (c == '.') c = '_';
    append_json_string(out, k);
}

inline std::size_t elastic_write_cb(char* p, std::size_t size, std::size_t n, void* user) {
    static_cast<std::string*>(user)->append(p, size * n);
    return size * n;
}

}  // namespace detail

/// Appends one `_bulk` action line and one ECS document for a span (no trailing newline
/// after the document's own).
inline void append_elastic_bulk(std::string& out, const span_view& s, std::string_view index,
                                std::string_view service_name, std::string_view service_version = {}) {
    out += "{\"index\":{\"_index\":";
    detail::append_json_string(out, index);
    out += "}}\n{\"@timestamp\":\"";
    detail::append_iso8601(out, s.start_unix_ns);
    out += "\",\"event\":{\"kind\":\"event\",\"action\":";
    detail::append_json_string(out, s.name);
    out += ",\"duration\":";
    out += std::to_string(s.duration_ns());
    out += ",\"start\":\"";
    detail::append_iso8601(out, s.start_unix_ns);
    out += "\",\"end\":\"";
    detail::append_iso8601(out, s.end_unix_ns);
    out += "\",\"outcome\":\"";
    out += s.status == status_code::ok ? "success" : s.status == status_code::error ? "failure" : "unknown";
    out += "\"},\"trace\":{\"id\":\"";
    const auto tid = s.context.trace.hex();
    out.append(tid.data(), tid.size());
    out += "\"},\"span\":{\"id\":\"";
    const auto sid = s.context.span.hex();
    out.append(sid.data(), sid.size());
    out += "\",\"name\":";
    detail::append_json_string(out, s.name);
    out += ",\"kind\":\"";
    out += to_string(s.role);
    out += "\"}";
    if (s.parent.valid()) {
        out += ",\"parent\":{\"id\":\"";
        const auto pid = s.parent.hex();
        out.append(pid.data(), pid.size());
        out += "\"}";
    }
    out += ",\"service\":{\"name\":";
    detail::append_json_string(out, service_name.empty() ? std::string_view("unknown_service") : service_name);
    if (!service_version.empty()) {
        out += ",\"version\":";
        detail::append_json_string(out, service_version);
    }
    out += '}';
    if (s.status == status_code::error) {
        out += ",\"error\":{\"type\":";
        detail::append_json_string(out, s.error_type.empty() ? std::string_view("error") : s.error_type);
        out += '}';
    }
    out += ",\"labels\":{";
    bool first = true;
    for (const auto& a : s.attributes) {
        if (!first) out += ',';
        first = false;
        detail::append_ecs_label_key(out, a.key);
        out += ':';
        detail::append_json_value(out, a.value);
    }
    out += "},\"tacit\":{\"thread\":";
    out += std::to_string(s.thread);
    out += ",\"dropped_attributes\":";
    out += std::to_string(s.dropped_attributes);
    out += ",\"events\":";
    out += std::to_string(s.events.size());
    out += "}}\n";
}

/// Writes spans as Elasticsearch `_bulk` NDJSON to a file or a `_bulk` URL.
/// Throws std::invalid_argument unless exactly one of file and url is set, and
/// std::runtime_error if the file cannot be opened.
class elastic_exporter final : public exporter {
public:
    explicit elastic_exporter(elastic_options opts) : opts_(std::move(opts)) {
        if (opts_.file.empty() == opts_.url.empty())
            throw std::invalid_argument("tacit: elastic_exporter needs exactly one of options.file and options.url");
        if (opts_.index.empty() || opts_.index.find_first_of("\\/*?\"<>| ,#:") != std::string::npos ||
            opts_.index.front() == '_' || opts_.index.front() == '-' || opts_.index.front() == '+')
            throw std::invalid_argument("tacit: '" + opts_.index + "' is not a valid Elasticsearch index name");
        if (!opts_.file.empty()) {
            file_ = std::fopen(opts_.file.c_str(), "ab");
            if (!file_) throw std::runtime_error("tacit: elastic_exporter cannot open " + opts_.file);
        } else {
            static const bool global = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
            curl_ = global ? curl_easy_init() : nullptr;
            if (!curl_) throw std::runtime_error("tacit: elastic_exporter could not start libcurl");
            headers_ = curl_slist_append(headers_, "Content-Type: application/x-ndjson");
            headers_ = curl_slist_append(headers_, "Expect:");
            curl_easy_setopt(curl_, CURLOPT_URL, opts_.url.c_str());
            curl_easy_setopt(curl_, CURLOPT_POST, 1L);
            curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
            curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(opts_.timeout.count()));
            curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &detail::elastic_write_cb);
            curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &response_);
        }
    }
    elastic_exporter(const elastic_exporter&) = delete;
    elastic_exporter& operator=(const elastic_exporter&) = delete;
    ~elastic_exporter() override { close(); }

    export_result export_spans(const export_batch& batch) override {
        if (batch.spans.empty()) return export_result::success();
        body_.clear();
        const std::string_view service = opts_.service_name.empty() ? batch.resource.service_name
                                                                     : std::string_view(opts_.service_name);
        for (const auto& s : batch.spans)
            append_elastic_bulk(body_, s, opts_.index, service, batch.resource.service_version);
        if (file_) {
            if (std::fwrite(body_.data(), 1, body_.size(), file_) != body_.size() || std::fflush(file_) != 0)
                return export_result::failure();
            return export_result::success();
        }
        if (!curl_) return export_result::failure();
        response_.clear();
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body_.data());
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
        if (curl_easy_perform(curl_) != CURLE_OK) return export_result::failure();
        long code = 0;
        curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &code);
        if (code < 200 || code >= 300) return export_result::failure();
        const std::uint64_t refused = rejected_items(response_);
        return refused ? export_result::partial(refused) : export_result::success();
    }

    bool force_flush(std::chrono::milliseconds) override { return !file_ || std::fflush(file_) == 0; }
    void shutdown(std::chrono::milliseconds) override { close(); }

    /// Items of a `_bulk` response whose "status" is not 2xx (the response's "errors" flag
    /// says whether to look). Elasticsearch answers 200 even when some documents failed.
    static std::uint64_t rejected_items(std::string_view response) {
        if (response.find("\"errors\":true") == std::string_view::npos) return 0;
        std::uint64_t n = 0;
        for (std::size_t p = response.find("\"status\":"); p != std::string_view::npos;
             p = response.find("\"status\":", p + 9)) {
            std::size_t q = p + 9;
            while (q < response.size() && response[q] == ' ') ++q;
            int code = 0;
            while (q < response.size() && response[q] >= '0' && response[q] <= '9') code = code * 10 + (response[q++] - '0');
            if (code >= 300) ++n;
        }
        return n;
    }

private:
    void close() noexcept {
        if (file_) {
            std::fclose(file_);
            file_ = nullptr;
        }
        if (curl_) {
            curl_easy_cleanup(curl_);
            curl_ = nullptr;
        }
        if (headers_) {
            curl_slist_free_all(headers_);
            headers_ = nullptr;
        }
    }

    elastic_options opts_;
    std::FILE* file_ = nullptr;
    CURL* curl_ = nullptr;
    curl_slist* headers_ = nullptr;
    std::string body_, response_;
};

}  // namespace tacit::inline TACIT_ABI
